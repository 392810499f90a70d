#include "traffic-recorder.h"

#include "ns3/seq-ts-header.h"
#include "ns3/simulator.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(TrafficRecorder);

TypeId
TrafficRecorder::GetTypeId()
{
    static TypeId tid = TypeId("ns3::TrafficRecorder")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<TrafficRecorder>();
    return tid;
}

void
TrafficRecorder::DoDispose()
{
    m_tcpSources.clear();
    m_pings.clear();
    Object::DoDispose();
}

uint32_t
TrafficRecorder::AddUdpFlow(Ptr<Application> source, Ptr<UdpServer> server)
{
    const uint32_t flow = m_udpSent.size();
    m_udpSent.push_back(0);
    m_udpSentBytes.push_back(0);
    source->TraceConnectWithoutContext("Tx", MakeCallback(&TrafficRecorder::UdpSent, this, flow));
    server->TraceConnectWithoutContext("Rx", MakeCallback(&TrafficRecorder::UdpReceived, this, flow));
    return flow;
}

uint32_t
TrafficRecorder::AddTcpFlow(Ptr<TcpBulkSource> source, Ptr<PacketSink> sink)
{
    const uint32_t flow = m_tcpSources.size();
    m_tcpSources.push_back(source);
    m_tcpRxBytes.push_back(0);
    m_tcpFirstRx.push_back(-1);
    m_tcpLastRx.push_back(-1);
    sink->TraceConnectWithoutContext("Rx", MakeCallback(&TrafficRecorder::TcpReceived, this, flow));
    return flow;
}

uint32_t
TrafficRecorder::AddPing(Ptr<Ping> ping)
{
    const uint32_t flow = m_nPings++;
    m_pings.push_back(ping);
    Ptr<Node> node = ping->GetNode();
    uint64_t signature = uint64_t(node->GetId()) << 32;
    for (uint32_t i = 0; i < node->GetNApplications(); ++i)
    {
        if (node->GetApplication(i) == ping)
        {
            signature += i; // as Ping::GetApplicationSignature
        }
    }
    m_pingSignatures.push_back(signature);
    ping->TraceConnectWithoutContext("Tx", MakeCallback(&TrafficRecorder::PingSent, this, flow));
    ping->TraceConnectWithoutContext("Rtt", MakeCallback(&TrafficRecorder::PingRtt, this, flow));
    return flow;
}

void
TrafficRecorder::UdpSent(uint32_t flow, Ptr<const Packet> packet)
{
    m_udpSent[flow]++;
    m_udpSentBytes[flow] += packet->GetSize();
}

void
TrafficRecorder::UdpReceived(uint32_t flow, Ptr<const Packet> packet)
{
    SeqTsHeader seqTs;
    packet->PeekHeader(seqTs);
    m_rxFlow.push_back(flow);
    m_rxSeq.push_back(seqTs.GetSeq());
    m_rxSentNs.push_back(seqTs.GetTs().GetNanoSeconds());
    m_rxReceivedNs.push_back(Simulator::Now().GetNanoSeconds());
    m_rxBytes.push_back(packet->GetSize());
}

void
TrafficRecorder::TcpReceived(uint32_t flow, Ptr<const Packet> packet, const Address&)
{
    const int64_t now = Simulator::Now().GetNanoSeconds();
    if (m_tcpFirstRx[flow] < 0)
    {
        m_tcpFirstRx[flow] = now;
    }
    m_tcpLastRx[flow] = now;
    m_tcpRxBytes[flow] += packet->GetSize();
}

void
TrafficRecorder::PingSent(uint32_t flow, uint16_t seq, Ptr<Packet>)
{
    m_pingTxFlow.push_back(flow);
    m_pingTxSeq.push_back(seq);
    m_pingTxNs.push_back(Simulator::Now().GetNanoSeconds());
}

void
TrafficRecorder::PingRtt(uint32_t flow, uint16_t seq, Time rtt)
{
    m_pingRttFlow.push_back(flow);
    m_pingRttSeq.push_back(seq);
    m_pingRttNs.push_back(rtt.GetNanoSeconds());
}

uint64_t
TrafficRecorder::GetUdpSent(uint32_t flow) const
{
    return m_udpSent.at(flow);
}

uint64_t
TrafficRecorder::GetUdpSentBytes(uint32_t flow) const
{
    return m_udpSentBytes.at(flow);
}

uint64_t
TrafficRecorder::GetNUdpReceived() const
{
    return m_rxFlow.size();
}

void
TrafficRecorder::CopyUdpReceived(uint32_t* flow,
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

uint32_t
TrafficRecorder::GetNTcpFlows() const
{
    return m_tcpSources.size();
}

void
TrafficRecorder::CopyTcp(uint64_t* sentBytes,
                         uint64_t* receivedBytes,
                         int64_t* connectedNs,
                         int64_t* firstRxNs,
                         int64_t* lastRxNs) const
{
    for (std::size_t i = 0; i < m_tcpSources.size(); ++i)
    {
        sentBytes[i] = m_tcpSources[i]->GetSentBytes();
        connectedNs[i] = m_tcpSources[i]->GetConnectedTime().GetNanoSeconds();
    }
    std::copy(m_tcpRxBytes.begin(), m_tcpRxBytes.end(), receivedBytes);
    std::copy(m_tcpFirstRx.begin(), m_tcpFirstRx.end(), firstRxNs);
    std::copy(m_tcpLastRx.begin(), m_tcpLastRx.end(), lastRxNs);
}

void
TrafficRecorder::CopyTcpStats(uint64_t* retransmissions,
                              uint64_t* rttSamples,
                              int64_t* rttSumNs,
                              int64_t* rttMinNs,
                              int64_t* rttMaxNs) const
{
    for (std::size_t i = 0; i < m_tcpSources.size(); ++i)
    {
        retransmissions[i] = m_tcpSources[i]->GetRetransmissions();
        m_tcpSources[i]->GetRtt(rttSamples[i], rttSumNs[i], rttMinNs[i], rttMaxNs[i]);
    }
}

uint64_t
TrafficRecorder::GetPingSignature(uint32_t flow) const
{
    return m_pingSignatures.at(flow);
}

uint64_t
TrafficRecorder::GetNPingSent() const
{
    return m_pingTxFlow.size();
}

void
TrafficRecorder::CopyPingSent(uint32_t* flow, uint32_t* seq, int64_t* sentNs) const
{
    std::copy(m_pingTxFlow.begin(), m_pingTxFlow.end(), flow);
    std::copy(m_pingTxSeq.begin(), m_pingTxSeq.end(), seq);
    std::copy(m_pingTxNs.begin(), m_pingTxNs.end(), sentNs);
}

uint64_t
TrafficRecorder::GetNPingRtt() const
{
    return m_pingRttFlow.size();
}

void
TrafficRecorder::CopyPingRtt(uint32_t* flow, uint32_t* seq, int64_t* rttNs) const
{
    std::copy(m_pingRttFlow.begin(), m_pingRttFlow.end(), flow);
    std::copy(m_pingRttSeq.begin(), m_pingRttSeq.end(), seq);
    std::copy(m_pingRttNs.begin(), m_pingRttNs.end(), rttNs);
}

} // namespace ns3

namespace ns3
{

void
TrafficRecorder::DisposePings()
{
    for (auto& ping : m_pings)
    {
        ping->Dispose();
    }
    m_pings.clear();
}

} // namespace ns3
