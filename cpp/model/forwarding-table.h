#ifndef NETSIM_FORWARDING_TABLE_H
#define NETSIM_FORWARDING_TABLE_H

#include "next-hop-solver.h"

#include "ns3/ipv4-address.h"
#include "ns3/object.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ns3
{

/**
 * @brief Next-hop ports of every forwarding node toward every destination, one byte each.
 *
 * Routing runs in Python at each update interval and copies its result in whole rows
 * (SetRows: as cheap as a diff and without its index arrays). Destinations are the IPv4
 * addresses of traffic endpoints, numbered 0..n-1; a row per node keeps the lookup a
 * single array access.
 *
 * Rows may come from searches bounded by where packets start (NextHopSolver::
 * SolveBounded): entries a bounded search did not reach are UNSOLVED, and the first
 * lookup of one completes that destination's search on the interval's graph (SetGraph),
 * with exactly the next hops a full search gives.
 */
class ForwardingTable : public Object
{
  public:
    static TypeId GetTypeId();

    /** Port value meaning "no route": the packet is dropped. */
    static constexpr uint8_t NO_ROUTE = NextHopSolver::NO_ROUTE;
    /** Port value meaning "not searched yet": resolved at the first lookup. */
    static constexpr uint8_t UNSOLVED = NextHopSolver::UNSOLVED;

    /** Size the table; every entry starts as NO_ROUTE. */
    void Resize(uint32_t nNodes, uint32_t nDestinations);
    /** Make packets addressed to addr use destination column dest (for the run: an address keeps its column). */
    void AddDestination(Ipv4Address addr, uint32_t dest);
    /** Overwrite rows [firstNode, firstNode + nNodes): ports is nNodes x nDestinations, row-major. */
    void SetRows(uint32_t firstNode, uint32_t nNodes, const uint8_t* ports);

    /**
     * The graph the current rows were computed on, and the node of each destination
     * column; needed only when rows may hold UNSOLVED. The graph's arrays are not copied:
     * they must stay alive until the next SetGraph (completions are rare, so the graph is
     * packed for searching only at the first one).
     */
    void SetGraph(uint32_t nNodes,
                  uint32_t nTransit,
                  const int64_t* rowStart,
                  const uint32_t* col,
                  const double* weight,
                  const uint8_t* reversePort,
                  const uint32_t* destinationNodes,
                  uint32_t nDestinations);

    /** @return the destination column for addr, or -1 if addr is not an endpoint */
    int64_t FindDestination(Ipv4Address addr) const;
    /** The port of node toward dest (an UNSOLVED entry is resolved first). */
    uint8_t Lookup(uint32_t node, uint32_t dest);
    /** Where Lookup(node, dest) reads (null outside the table): for a look-ahead to fetch. */
    const uint8_t* PeekEntry(uint32_t node, uint32_t dest) const;
    /** Columns searched in full because a lookup met an UNSOLVED entry (since the table was made). */
    uint64_t GetResolveCount() const;

    uint32_t GetNNodes() const;
    uint32_t GetNDestinations() const;

  private:
    /** Search dest's column in full; fills its UNSOLVED entries. */
    void Resolve(uint32_t dest);

    uint32_t m_nNodes{0};
    uint32_t m_nDestinations{0};
    std::vector<uint8_t> m_port;
    std::unordered_map<uint32_t, uint32_t> m_destinationByAddress;
    RouteGraph m_graph;            // the caller's arrays
    PackedRouteGraph m_packed;     // m_graph packed, made at the first completion
    bool m_hasGraph{false};
    std::vector<uint32_t> m_destinationNode; // node index of each destination column
    std::vector<uint8_t> m_scratch;          // one column of a resolving search
    uint64_t m_resolves{0};
};

} // namespace ns3

#endif
