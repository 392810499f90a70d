#include "laser-channel.h"

#include "laser-net-device.h"

#include "ns3/abort.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/simulator.h"

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("LaserChannel");
NS_OBJECT_ENSURE_REGISTERED(LaserChannel);

TypeId
LaserChannel::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::LaserChannel")
            .SetParent<Channel>()
            .SetGroupName("Netsim")
            .AddConstructor<LaserChannel>()
            .AddTraceSource("TxRxLaser",
                            "A packet sent over the channel: packet, source, sink, "
                            "transmission time, propagation delay.",
                            MakeTraceSourceAccessor(&LaserChannel::m_txrxTrace),
                            "ns3::LaserChannel::TxRxAnimationCallback");
    return tid;
}

void
LaserChannel::Connect(Ptr<LaserNetDevice> a, Ptr<LaserNetDevice> b)
{
    NS_LOG_FUNCTION(this << a << b);
    NS_ABORT_MSG_IF(a == b, "a laser channel needs two distinct devices");
    Disconnect();
    m_end[0] = a;
    m_end[1] = b;
    m_mobility[0] = a->GetNode()->GetObject<MobilityModel>();
    m_mobility[1] = b->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!m_mobility[0] || !m_mobility[1],
                    "both ends of a laser channel need a MobilityModel");
    a->Attach(this);
    b->Attach(this);
}

void
LaserChannel::Disconnect()
{
    for (auto& end : m_end)
    {
        if (end)
        {
            Ptr<LaserNetDevice> dev = end;
            end = nullptr;
            dev->Detach();
        }
    }
    m_mobility[0] = m_mobility[1] = nullptr;
}

bool
LaserChannel::IsConnected() const
{
    return m_end[0] && m_end[1];
}

Ptr<LaserNetDevice>
LaserChannel::GetPeer(Ptr<const LaserNetDevice> dev) const
{
    if (m_end[0] == dev)
    {
        return m_end[1];
    }
    if (m_end[1] == dev)
    {
        return m_end[0];
    }
    return nullptr;
}

double
LaserChannel::GetDistance() const
{
    NS_ASSERT(IsConnected());
    return CalculateDistance(m_mobility[0]->GetPosition(), m_mobility[1]->GetPosition());
}

bool
LaserChannel::TransmitStart(Ptr<const Packet> p, Ptr<LaserNetDevice> src, Time txTime)
{
    if (!IsConnected())
    {
        return false;
    }
    const int from = (m_end[0] == src) ? 0 : 1;
    NS_ASSERT(m_end[from] == src);
    Ptr<LaserNetDevice> dst = m_end[1 - from];
    // Delay from the geometry at the instant the packet leaves the terminal.
    const Time delay = Seconds(GetDistance() / SPEED_OF_LIGHT_MPS);
    Simulator::ScheduleWithContext(dst->GetNode()->GetId(),
                                   txTime + delay,
                                   &LaserNetDevice::Receive,
                                   dst,
                                   p->Copy());
    m_txrxTrace(p, src, dst, txTime, delay);
    return true;
}

std::size_t
LaserChannel::GetNDevices() const
{
    return IsConnected() ? 2 : 0;
}

Ptr<NetDevice>
LaserChannel::GetDevice(std::size_t i) const
{
    NS_ASSERT(i < 2);
    return m_end[i];
}

} // namespace ns3
