#include "link-stats-recorder.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(LinkStatsRecorder);

TypeId
LinkStatsRecorder::GetTypeId()
{
    static TypeId tid = TypeId("ns3::LinkStatsRecorder")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<LinkStatsRecorder>();
    return tid;
}

uint32_t
LinkStatsRecorder::Attach(Ptr<LaserNetDevice> device)
{
    const uint32_t row = m_packets.size();
    m_packets.push_back(0);
    m_bytes.push_back(0);
    m_drops.resize(m_drops.size() + MAX_CAUSES, 0);
    device->TraceConnectWithoutContext("PhyTxBegin", MakeCallback(&LinkStatsRecorder::Sent, this, row));
    device->TraceConnectWithoutContext("Drop", MakeCallback(&LinkStatsRecorder::Dropped, this, row));
    return row;
}

uint32_t
LinkStatsRecorder::GetN() const
{
    return m_packets.size();
}

void
LinkStatsRecorder::Sent(uint32_t row, Ptr<const Packet> packet)
{
    m_packets[row]++;
    m_bytes[row] += packet->GetSize();
}

void
LinkStatsRecorder::Dropped(uint32_t row, Ptr<const Packet>, LaserNetDevice::DropCause cause)
{
    const uint32_t c = std::min<uint32_t>(uint32_t(cause), MAX_CAUSES - 1);
    m_drops[std::size_t(row) * MAX_CAUSES + c]++;
}

void
LinkStatsRecorder::Copy(uint64_t* packets, uint64_t* bytes, uint64_t* drops) const
{
    std::copy(m_packets.begin(), m_packets.end(), packets);
    std::copy(m_bytes.begin(), m_bytes.end(), bytes);
    std::copy(m_drops.begin(), m_drops.end(), drops);
}

} // namespace ns3
