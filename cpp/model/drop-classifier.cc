#include "drop-classifier.h"

#include "ns3/ipv4-header.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(DropClassifier);

TypeId
DropClassifier::GetTypeId()
{
    static TypeId tid = TypeId("ns3::DropClassifier")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<DropClassifier>();
    return tid;
}

void
DropClassifier::Setup(uint16_t firstPort, uint32_t nFlows)
{
    m_firstPort = firstPort;
    m_nFlows = nFlows;
    m_counts.assign(std::size_t(nFlows) * N_CAUSES, 0);
    m_deviceSink = MakeCallback(&DropClassifier::CountDevice, this);
    m_forwarderSink = MakeCallback(&DropClassifier::CountForwarder, this);
}

void
DropClassifier::Watch(Ptr<LaserNetDevice> device)
{
    device->TraceConnectWithoutContext("Drop", m_deviceSink);
}

void
DropClassifier::Watch(Ptr<SatelliteForwarder> forwarder)
{
    forwarder->TraceConnectWithoutContext("Drop", m_forwarderSink);
}

void
DropClassifier::WatchPort(uint32_t, uint32_t, Ptr<LaserNetDevice> device)
{
    Watch(device);
}

void
DropClassifier::CountDevice(Ptr<const Packet> p, LaserNetDevice::DropCause cause)
{
    static const Cause map[] = {BIT_ERRORS, LINK_DOWN, QUEUE_FULL, HANDOVER};
    Count(p, map[cause]);
}

void
DropClassifier::CountForwarder(Ptr<const Packet> p, SatelliteForwarder::DropReason reason)
{
    if (reason == SatelliteForwarder::DROP_NO_ROUTE)
    {
        Count(p, NO_ROUTE);
    }
    else if (reason == SatelliteForwarder::DROP_TTL_EXPIRED)
    {
        Count(p, TTL_EXPIRED);
    }
}

void
DropClassifier::Count(Ptr<const Packet> p, Cause cause)
{
    const int64_t flow = FlowOf(p);
    if (flow >= 0)
    {
        m_counts[std::size_t(flow) * N_CAUSES + cause]++;
    }
}

int64_t
DropClassifier::FlowOf(Ptr<const Packet> p) const
{
    // Read only the bytes we need: [PPP 2 bytes] IPv4 header, then the ports.
    uint8_t buf[2 + 60 + 4];
    const uint32_t n = p->CopyData(buf, sizeof(buf));
    uint32_t ip = (n >= 2 && buf[0] == 0x00 && buf[1] == 0x21) ? 2 : 0;
    if (n < ip + 20 || (buf[ip] >> 4) != 4)
    {
        return -1;
    }
    const uint32_t ihl = (buf[ip] & 0x0F) * 4;
    const uint8_t protocol = buf[ip + 9];
    if ((protocol != 17 && protocol != 6) || n < ip + ihl + 4)
    {
        return -1;
    }
    const uint16_t dport = uint16_t(buf[ip + ihl + 2]) << 8 | buf[ip + ihl + 3];
    if (dport < m_firstPort || dport >= m_firstPort + m_nFlows)
    {
        return -1;
    }
    return dport - m_firstPort;
}

void
DropClassifier::CopyCounts(uint64_t* out) const
{
    std::copy(m_counts.begin(), m_counts.end(), out);
}

} // namespace ns3
