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
    // An address keeps its column: a labelled frame in transit is forwarded by the column
    // its last hop found (SatelliteForwarder::Forward).
    const auto [it, added] = m_destinationByAddress.emplace(addr.Get(), dest);
    NS_ABORT_MSG_IF(!added && it->second != dest,
                    "address " << addr << " already has destination column " << it->second);
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

void
ForwardingTable::SetGraph(uint32_t nNodes,
                          uint32_t nTransit,
                          const int64_t* rowStart,
                          const uint32_t* col,
                          const double* weight,
                          const uint8_t* reversePort,
                          const uint32_t* destinationNodes,
                          uint32_t nDestinations)
{
    NS_ABORT_MSG_IF(nDestinations != m_nDestinations,
                    "graph for " << nDestinations << " destinations, table has " << m_nDestinations);
    m_graph = RouteGraph{nNodes, nTransit, rowStart, col, weight, reversePort};
    m_packed = PackedRouteGraph();
    m_hasGraph = true;
    m_destinationNode.assign(destinationNodes, destinationNodes + nDestinations);
}

uint8_t
ForwardingTable::Lookup(uint32_t node, uint32_t dest)
{
    const std::size_t at = std::size_t(node) * m_nDestinations + dest;
    if (m_port[at] == UNSOLVED)
    {
        Resolve(dest);
    }
    return m_port[at];
}

const uint8_t*
ForwardingTable::PeekEntry(uint32_t node, uint32_t dest) const
{
    return node < m_nNodes && dest < m_nDestinations ? &m_port[std::size_t(node) * m_nDestinations + dest] : nullptr;
}

void
ForwardingTable::Resolve(uint32_t dest)
{
    NS_ABORT_MSG_IF(!m_hasGraph || dest >= m_destinationNode.size(),
                    "an UNSOLVED forwarding entry without the graph to resolve it");
    ++m_resolves;
    // The full search of dest: the entries the bounded one settled come out the same (same
    // order), the UNSOLVED ones get their port; once per column and interval, not per packet.
    if (m_packed.IsEmpty())
    {
        m_packed = PackedRouteGraph(m_graph);
    }
    const uint32_t n = std::min(m_nNodes, m_graph.nNodes);
    m_scratch.resize(n);
    NextHopSolver::SolveOne(m_packed, m_destinationNode[dest], nullptr, 0, n, m_scratch.data(), nullptr, 1);
    for (uint32_t v = 0; v < n; ++v)
    {
        uint8_t& entry = m_port[std::size_t(v) * m_nDestinations + dest];
        if (entry == UNSOLVED)
        {
            entry = m_scratch[v];
        }
    }
}

uint64_t
ForwardingTable::GetResolveCount() const
{
    return m_resolves;
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
