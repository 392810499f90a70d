#include "satellite-forwarder.h"

#include "fabric-hop-tag.h"

#include "ns3/ipv4-header.h"
#include "ns3/ppp-header.h"
#include "ns3/uinteger.h"
#include "ns3/log.h"
#include "ns3/node.h"

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SatelliteForwarder");
NS_OBJECT_ENSURE_REGISTERED(SatelliteForwarder);

TypeId
SatelliteForwarder::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SatelliteForwarder")
            .SetParent<Object>()
            .SetGroupName("Netsim")
            .AddConstructor<SatelliteForwarder>()
            .AddAttribute("MaxHops",
                          "Satellite hops a packet may take inside the fabric before it is "
                          "dropped as expired (the fabric's loop guard; see FabricHopTag).",
                          UintegerValue(4096),
                          MakeUintegerAccessor(&SatelliteForwarder::m_maxHops),
                          MakeUintegerChecker<uint16_t>(1))
            .AddTraceSource("Forward",
                            "A packet was sent toward its destination: packet, port.",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_forwardTrace),
                            "ns3::SatelliteForwarder::ForwardCallback")
            .AddTraceSource("LocalSend",
                            "A packet of this node's stack entered the fabric (IPv4 header "
                            "included), whatever happens to it next.",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_localSendTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("LocalDeliver",
                            "A packet for this node left the fabric to its stack (IPv4 "
                            "header included).",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_localDeliverTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("Drop",
                            "A packet was dropped: packet, reason.",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_dropTrace),
                            "ns3::SatelliteForwarder::DropCallback");
    return tid;
}

void
SatelliteForwarder::Setup(Ptr<ForwardingTable> table, uint32_t index, uint32_t nPorts, bool relay)
{
    m_table = table;
    m_index = index;
    m_relay = relay;
    m_ports.assign(nPorts, nullptr);
}

void
SatelliteForwarder::SetPort(uint32_t port, Ptr<LaserNetDevice> device)
{
    m_ports.at(port) = device;
    device->SetTakeOver(this, &SatelliteForwarder::TakeOver, &SatelliteForwarder::LookAhead);
}

bool
SatelliteForwarder::TakeOver(void* receiver, const Ptr<Packet>& frame, uint32_t label)
{
    return static_cast<SatelliteForwarder*>(receiver)->Forward(frame, label);
}

const void*
SatelliteForwarder::LookAhead(const void* receiver, uint32_t label, uint32_t step, const void*)
{
    // What Forward will read for a transit frame for destination column `label`, a step
    // per pop: this forwarder, the table entry, the port. The table may change before
    // the frame arrives; Forward decides again then.
    const auto* self = static_cast<const SatelliteForwarder*>(receiver);
    switch (step)
    {
    case 0:
        __builtin_prefetch(self);
        __builtin_prefetch(&self->m_localDest);
        __builtin_prefetch(&self->m_forwardTrace);
        return self;
    case 1:
        if (label == LaserNetDevice::NO_LABEL || !self->m_relay || int64_t(label) == self->m_localDest)
        {
            return nullptr;
        }
        __builtin_prefetch(self->m_ports.data());
        __builtin_prefetch(self->m_table->PeekEntry(self->m_index, label)); // null: a no-op
        return self;
    default: {
        // The entry is looked up again, not kept: the table is the run's, not the event's.
        const uint8_t* entry = self->m_table->PeekEntry(self->m_index, label);
        return entry && *entry < self->m_ports.size() ? PeekPointer(self->m_ports[*entry]) : nullptr;
    }
    }
}

namespace
{
/** The frame's payload: its PPP header removed. */
Ptr<Packet>
Unframed(Ptr<Packet> frame)
{
    PppHeader ppp;
    frame->RemoveHeader(ppp);
    return frame;
}
} // namespace

bool
SatelliteForwarder::Forward(const Ptr<Packet>& frame, uint32_t label)
{
    FabricHopTag tag;
    const bool transit = frame->PeekPacketTag(tag);
    int64_t dest = label;
    uint8_t ttl = 0;
    if (!transit || label == LaserNetDevice::NO_LABEL || label >= m_table->GetNDestinations())
    {
        // Read the protocol and destination straight from the frame's bytes (PPP header,
        // then IPv4): deserialising the headers would verify the IPv4 checksum at every
        // hop. A labelled frame in transit skips this: its last hop read the same address
        // and an address keeps its column (ForwardingTable::AddDestination).
        constexpr uint32_t ppp = LaserNetDevice::PPP_HEADER_BYTES;
        uint8_t bytes[ppp + 20];
        if (frame->CopyData(bytes, sizeof(bytes)) < sizeof(bytes) || bytes[0] != 0x00 || bytes[1] != 0x21)
        {
            return Drop(Unframed(frame), DROP_NOT_IPV4); // PPP protocol 0x0021: IPv4
        }
        const uint8_t* header = bytes + ppp;
        dest = m_table->FindDestination(Ipv4Address(uint32_t(header[16]) << 24 | uint32_t(header[17]) << 16 |
                                                    uint32_t(header[18]) << 8 | header[19]));
        ttl = header[8];
    }
    if (dest >= 0 && dest == m_localDest)
    {
        Ptr<Packet> packet = Unframed(frame);
        FabricHopTag hops;
        packet->RemovePacketTag(hops);
        m_localDeliverTrace(packet);
        m_localDeliver(packet);
        return true;
    }
    // An end node (ground station) relays nothing: a packet for someone else has no route here.
    const uint8_t port =
        dest < 0 || !m_relay ? ForwardingTable::NO_ROUTE : m_table->Lookup(m_index, dest);
    if (port == ForwardingTable::NO_ROUTE || port >= m_ports.size() || !m_ports[port])
    {
        return Drop(Unframed(frame), DROP_NO_ROUTE);
    }
    // Count this satellite's hop: in transit only the FabricHopTag moves; at ingress (no
    // tag yet) the whole fabric is one IP hop. An expired packet is dropped as it arrived.
    if (transit ? tag.GetHops() >= m_maxHops : ttl <= 1)
    {
        return Drop(Unframed(frame), DROP_TTL_EXPIRED);
    }
    if (transit)
    {
        tag.SetHops(tag.GetHops() + 1);
        frame->ReplacePacketTag(tag);
        if (m_forwardTrace.IsEmpty())
        {
            // It leaves as it came, labelled with its column for the next satellite.
            return Handed(m_ports[port]->SendFrame(frame, uint32_t(dest)), frame);
        }
    }
    Ptr<Packet> packet = Unframed(frame);
    if (!transit)
    {
        EnterFabric(packet);
    }
    if (!m_forwardTrace.IsEmpty())
    {
        m_forwardTrace(packet, port);
    }
    return Handed(m_ports[port]->Send(packet, m_ports[port]->GetBroadcast(), 0x0800), packet);
}

bool
SatelliteForwarder::Drop(Ptr<Packet> p, DropReason reason)
{
    m_drops[reason]++;
    m_dropTrace(p, reason);
    return false;
}

bool
SatelliteForwarder::Handed(bool sent, const Ptr<Packet>& p)
{
    if (sent)
    {
        m_forwarded++;
        return true;
    }
    // The port counted and traced it (link down, queue full).
    return Drop(p, DROP_PORT_REFUSED);
}

void
SatelliteForwarder::EnterFabric(Ptr<Packet> p) const
{
    Ipv4Header ip;
    p->RemoveHeader(ip);
    ip.SetTtl(ip.GetTtl() - 1);
    if (Node::ChecksumEnabled())
    {
        ip.EnableChecksum();
    }
    p->AddHeader(ip);
    FabricHopTag tag;
    tag.SetHops(1);
    p->AddPacketTag(tag);
}

uint64_t
SatelliteForwarder::GetDropCount(DropReason reason) const
{
    return m_drops[reason];
}

uint64_t
SatelliteForwarder::GetForwardedCount() const
{
    return m_forwarded;
}

void
SatelliteForwarder::SetLocalDelivery(uint32_t dest, Callback<void, Ptr<Packet>> deliver)
{
    m_localDest = dest;
    m_localDeliver = deliver;
}

bool
SatelliteForwarder::SendLocal(Ptr<Packet> packet)
{
    m_localSendTrace(packet);
    Ipv4Header ip;
    packet->PeekHeader(ip);
    const int64_t dest = m_table->FindDestination(ip.GetDestination());
    const uint8_t port = dest < 0 ? ForwardingTable::NO_ROUTE : m_table->Lookup(m_index, dest);
    DropReason reason = DROP_NO_ROUTE;
    if (port != ForwardingTable::NO_ROUTE && port < m_ports.size() && m_ports[port])
    {
        if (m_relay)
        {
            FabricHopTag hops; // originated inside the fabric: no IP hop to count
            packet->ReplacePacketTag(hops); // adds the tag when there is none
        }
        m_forwardTrace(packet, port);
        if (m_ports[port]->Send(packet, m_ports[port]->GetBroadcast(), 0x0800))
        {
            m_forwarded += m_relay; // a ground station's own packets are no satellite hop
            return true;
        }
        reason = DROP_PORT_REFUSED;
    }
    m_drops[reason]++;
    m_dropTrace(packet, reason);
    return false;
}

void
SatelliteForwarder::DoDispose()
{
    m_localDeliver = MakeNullCallback<void, Ptr<Packet>>();
    m_table = nullptr;
    m_ports.clear();
    Object::DoDispose();
}

} // namespace ns3
