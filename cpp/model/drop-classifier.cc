#include "drop-classifier.h"

#include "ns3/simulator.h"

#include <algorithm>

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
    const std::size_t rows = GetNRows();
    m_counts.assign(rows * N_CAUSES, 0);
    m_sent.assign(rows, 0);
    m_delivered.assign(rows, 0);
    m_inFlight.assign(rows, 0);
    m_deviceSink = MakeCallback(&DropClassifier::CountDevice, this);
    m_forwarderSink = MakeCallback(&DropClassifier::CountForwarder, this);
}

void
DropClassifier::AddPing(uint32_t flow, uint64_t signature)
{
    m_pings[signature] = flow;
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
DropClassifier::WatchEndpoint(Ptr<SatelliteForwarder> forwarder)
{
    forwarder->TraceConnectWithoutContext("LocalSend", MakeCallback(&DropClassifier::CountSent, this));
    forwarder->TraceConnectWithoutContext("LocalDeliver",
                                          MakeCallback(&DropClassifier::CountDelivered, this));
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
    switch (reason)
    {
    case SatelliteForwarder::DROP_NO_ROUTE:
        Count(p, NO_ROUTE);
        break;
    case SatelliteForwarder::DROP_TTL_EXPIRED:
        Count(p, TTL_EXPIRED);
        break;
    case SatelliteForwarder::DROP_NOT_IPV4:
        Count(p, NOT_IPV4);
        break;
    case SatelliteForwarder::DROP_PORT_REFUSED:
        break; // the refusing device counts it (link down, queue full)
    }
}

void
DropClassifier::CountSent(Ptr<const Packet> p)
{
    m_sent[RowOf(p)]++;
}

void
DropClassifier::CountDelivered(Ptr<const Packet> p)
{
    int32_t seq = -1;
    const uint32_t row = RowOf(p, &seq);
    m_delivered[row]++;
    if (seq >= 0 && row < 2 * m_nFlows && row % 2 == 1)
    {
        // An echo reply reached the node that pinged: the probe was answered, whether or
        // not the Ping application still listens (it closes its socket at stop_s).
        m_replyFlow.push_back(row / 2);
        m_replySeq.push_back(uint32_t(seq));
        m_replyNs.push_back(Simulator::Now().GetNanoSeconds());
    }
}

void
DropClassifier::CountInFlight(Ptr<const Packet> p)
{
    const uint32_t row = RowOf(p);
    m_inFlight[row]++;
    if (!m_listener.IsNull())
    {
        m_listener(p, row, -1);
    }
}

void
DropClassifier::SetListener(Callback<void, Ptr<const Packet>, uint32_t, int32_t> listener)
{
    m_listener = listener;
}

void
DropClassifier::Count(Ptr<const Packet> p, Cause cause)
{
    const uint32_t row = RowOf(p);
    m_counts[std::size_t(row) * N_CAUSES + cause]++;
    if (!m_listener.IsNull())
    {
        m_listener(p, row, int32_t(cause));
    }
}

uint32_t
DropClassifier::RowOf(Ptr<const Packet> p, int32_t* icmpSeq) const
{
    const uint32_t none = 2 * m_nFlows;
    // Read only the bytes we need: [PPP 2 bytes] IPv4 header (up to 60), then the ports
    // or the ICMP echo header and the first 8 payload bytes (a Ping's signature).
    uint8_t buf[2 + 60 + 16];
    const uint32_t n = p->CopyData(buf, sizeof(buf));
    const uint32_t ip = (n >= 2 && buf[0] == 0x00 && buf[1] == 0x21) ? 2 : 0;
    if (n < ip + 20 || (buf[ip] >> 4) != 4)
    {
        return none;
    }
    const uint32_t l4 = ip + (buf[ip] & 0x0F) * 4;
    const uint8_t protocol = buf[ip + 9];
    if ((protocol == 17 || protocol == 6) && n >= l4 + 4)
    {
        const uint16_t sport = uint16_t(buf[l4]) << 8 | buf[l4 + 1];
        const uint16_t dport = uint16_t(buf[l4 + 2]) << 8 | buf[l4 + 3];
        if (dport >= m_firstPort && dport - m_firstPort < m_nFlows)
        {
            return 2 * (dport - m_firstPort);
        }
        if (sport >= m_firstPort && sport - m_firstPort < m_nFlows)
        {
            return 2 * (sport - m_firstPort) + 1;
        }
        return none;
    }
    // ICMP echo request (type 8) or reply (type 0): type, code, checksum, identifier,
    // sequence, then the data, whose first 8 bytes are the Ping's signature (little endian).
    if (protocol == 1 && n >= l4 + 16 && (buf[l4] == 8 || buf[l4] == 0))
    {
        uint64_t signature = 0;
        for (int k = 7; k >= 0; --k)
        {
            signature = signature << 8 | buf[l4 + 8 + k];
        }
        const auto it = m_pings.find(signature);
        if (it == m_pings.end())
        {
            return none;
        }
        if (icmpSeq)
        {
            *icmpSeq = int32_t(uint16_t(buf[l4 + 6]) << 8 | buf[l4 + 7]);
        }
        return 2 * it->second + (buf[l4] == 0 ? 1 : 0);
    }
    return none;
}

uint32_t
DropClassifier::GetNRows() const
{
    return 2 * m_nFlows + 1;
}

void
DropClassifier::CopyCounts(uint64_t* out) const
{
    std::copy(m_counts.begin(), m_counts.end(), out);
}

void
DropClassifier::CopyBooks(uint64_t* sent, uint64_t* delivered, uint64_t* inFlight) const
{
    std::copy(m_sent.begin(), m_sent.end(), sent);
    std::copy(m_delivered.begin(), m_delivered.end(), delivered);
    std::copy(m_inFlight.begin(), m_inFlight.end(), inFlight);
}

uint64_t
DropClassifier::GetNPingReplies() const
{
    return m_replyFlow.size();
}

void
DropClassifier::CopyPingReplies(uint32_t* flow, uint32_t* seq, int64_t* deliveredNs) const
{
    std::copy(m_replyFlow.begin(), m_replyFlow.end(), flow);
    std::copy(m_replySeq.begin(), m_replySeq.end(), seq);
    std::copy(m_replyNs.begin(), m_replyNs.end(), deliveredNs);
}

} // namespace ns3
