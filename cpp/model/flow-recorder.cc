#include "flow-recorder.h"

#include "ns3/seq-ts-header.h"
#include "ns3/simulator.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(FlowRecorder);

TypeId
FlowRecorder::GetTypeId()
{
    static TypeId tid = TypeId("ns3::FlowRecorder")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<FlowRecorder>();
    return tid;
}

uint32_t
FlowRecorder::AddFlow(Ptr<UdpClient> client, Ptr<UdpServer> server)
{
    const uint32_t flow = m_sent.size();
    m_sent.push_back(0);
    client->TraceConnectWithoutContext("Tx", MakeCallback(&FlowRecorder::NotifySent, this, flow));
    server->TraceConnectWithoutContext("Rx",
                                       MakeCallback(&FlowRecorder::NotifyReceived, this, flow));
    return flow;
}

void
FlowRecorder::NotifySent(uint32_t flow, Ptr<const Packet>)
{
    m_sent[flow]++;
}

void
FlowRecorder::NotifyReceived(uint32_t flow, Ptr<const Packet> packet)
{
    SeqTsHeader seqTs;
    packet->PeekHeader(seqTs);
    m_rxFlow.push_back(flow);
    m_rxSeq.push_back(seqTs.GetSeq());
    m_rxSentNs.push_back(seqTs.GetTs().GetNanoSeconds());
    m_rxReceivedNs.push_back(Simulator::Now().GetNanoSeconds());
    m_rxBytes.push_back(packet->GetSize());
}

uint32_t
FlowRecorder::GetNFlows() const
{
    return m_sent.size();
}

uint64_t
FlowRecorder::GetSent(uint32_t flow) const
{
    return m_sent.at(flow);
}

uint64_t
FlowRecorder::GetNReceived() const
{
    return m_rxFlow.size();
}

void
FlowRecorder::CopyReceived(uint32_t* flow,
                           uint32_t* seq,
                           int64_t* sentNs,
                           int64_t* receivedNs,
                           uint32_t* bytes) const
{
    std::copy(m_rxFlow.begin(), m_rxFlow.end(), flow);
    std::copy(m_rxSeq.begin(), m_rxSeq.end(), seq);
    std::copy(m_rxSentNs.begin(), m_rxSentNs.end(), sentNs);
    std::copy(m_rxReceivedNs.begin(), m_rxReceivedNs.end(), receivedNs);
    std::copy(m_rxBytes.begin(), m_rxBytes.end(), bytes);
}

} // namespace ns3
