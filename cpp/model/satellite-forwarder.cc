#include "satellite-forwarder.h"

#include "ns3/ipv4-header.h"
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
            .AddTraceSource("Forward",
                            "A packet was sent toward its destination: packet, port.",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_forwardTrace),
                            "ns3::SatelliteForwarder::ForwardCallback")
            .AddTraceSource("Drop",
                            "A packet was dropped: packet, reason.",
                            MakeTraceSourceAccessor(&SatelliteForwarder::m_dropTrace),
                            "ns3::SatelliteForwarder::DropCallback");
    return tid;
}

void
SatelliteForwarder::Setup(Ptr<ForwardingTable> table,
                          uint32_t index,
                          const std::vector<Ptr<LaserNetDevice>>& ports)
{
    m_table = table;
    m_index = index;
    m_ports = ports;
    for (auto& port : m_ports)
    {
        port->SetReceiveCallback(MakeCallback(&SatelliteForwarder::Receive, this));
    }
}

bool
SatelliteForwarder::Receive(Ptr<NetDevice>, Ptr<const Packet> packet, uint16_t protocol, const Address&)
{
    if (protocol != 0x0800)
    {
        m_drops[DROP_NOT_IPV4]++;
        m_dropTrace(packet, DROP_NOT_IPV4);
        return false;
    }
    Ptr<Packet> p = packet->Copy();
    Ipv4Header ip;
    p->RemoveHeader(ip);
    const int64_t dest = m_table->FindDestination(ip.GetDestination());
    if (dest >= 0 && dest == m_localDest)
    {
        m_localDeliver(packet->Copy());
        return true;
    }
    const uint8_t port = dest < 0 ? ForwardingTable::NO_ROUTE : m_table->Lookup(m_index, dest);
    DropReason reason = DROP_NO_ROUTE;
    if (port != ForwardingTable::NO_ROUTE && port < m_ports.size())
    {
        if (ip.GetTtl() <= 1)
        {
            reason = DROP_TTL_EXPIRED;
        }
        else
        {
            ip.SetTtl(ip.GetTtl() - 1);
            if (Node::ChecksumEnabled())
            {
                ip.EnableChecksum();
            }
            p->AddHeader(ip);
            m_forwardTrace(p, port);
            if (m_ports[port]->Send(p, m_ports[port]->GetBroadcast(), 0x0800))
            {
                return true;
            }
            reason = DROP_PORT_REFUSED;
        }
    }
    m_drops[reason]++;
    m_dropTrace(packet, reason);
    return false;
}

uint64_t
SatelliteForwarder::GetDropCount(DropReason reason) const
{
    return m_drops[reason];
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
    Ipv4Header ip;
    packet->PeekHeader(ip);
    const int64_t dest = m_table->FindDestination(ip.GetDestination());
    const uint8_t port = dest < 0 ? ForwardingTable::NO_ROUTE : m_table->Lookup(m_index, dest);
    DropReason reason = DROP_NO_ROUTE;
    if (port != ForwardingTable::NO_ROUTE && port < m_ports.size())
    {
        m_forwardTrace(packet, port);
        if (m_ports[port]->Send(packet, m_ports[port]->GetBroadcast(), 0x0800))
        {
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
