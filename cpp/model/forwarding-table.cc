#include "forwarding-table.h"

#include <algorithm>

#include "ns3/abort.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(ForwardingTable);

TypeId
ForwardingTable::GetTypeId()
{
    static TypeId tid = TypeId("ns3::ForwardingTable")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<ForwardingTable>();
    return tid;
}

void
ForwardingTable::Resize(uint32_t nNodes, uint32_t nDestinations)
{
    m_nNodes = nNodes;
    m_nDestinations = nDestinations;
    m_port.assign(std::size_t(nNodes) * nDestinations, NO_ROUTE);
}

void
ForwardingTable::AddDestination(Ipv4Address addr, uint32_t dest)
{
    NS_ABORT_MSG_IF(dest >= m_nDestinations, "destination " << dest << " out of range");
    m_destinationByAddress[addr.Get()] = dest;
}

void
ForwardingTable::SetRows(uint32_t firstNode, uint32_t nNodes, const uint8_t* ports)
{
    NS_ABORT_MSG_IF(uint64_t(firstNode) + nNodes > m_nNodes,
                    "forwarding rows " << firstNode << ".." << firstNode + nNodes << " out of range");
    std::copy(ports, ports + std::size_t(nNodes) * m_nDestinations,
              m_port.begin() + std::size_t(firstNode) * m_nDestinations);
}

int64_t
ForwardingTable::FindDestination(Ipv4Address addr) const
{
    auto it = m_destinationByAddress.find(addr.Get());
    return it == m_destinationByAddress.end() ? -1 : int64_t(it->second);
}

uint8_t
ForwardingTable::Lookup(uint32_t node, uint32_t dest) const
{
    return m_port[std::size_t(node) * m_nDestinations + dest];
}

uint32_t
ForwardingTable::GetNNodes() const
{
    return m_nNodes;
}

uint32_t
ForwardingTable::GetNDestinations() const
{
    return m_nDestinations;
}

} // namespace ns3
