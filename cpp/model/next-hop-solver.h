#ifndef NETSIM_NEXT_HOP_SOLVER_H
#define NETSIM_NEXT_HOP_SOLVER_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief The graph routes are computed on: undirected, as CSR with both directions of
 * every link. Entries rowStart[u]..rowStart[u+1]-1 are u's links, to col[e] with
 * weight[e] (delay in s, or 1 for hop count); reversePort[e] is the port on col[e] that
 * leads back to u. Nodes numbered nTransit and above (ground stations) are ends, never
 * relays: a search reaches them but does not continue through them, unless it starts there.
 * The arrays are not owned (see PackedRouteGraph).
 */
struct RouteGraph
{
    uint32_t nNodes{0};
    uint32_t nTransit{0};
    const int64_t* rowStart{nullptr};
    const uint32_t* col{nullptr};
    const double* weight{nullptr};
    const uint8_t* reversePort{nullptr};
};

/**
 * A RouteGraph packed for searching, owning its data: each node's links as one run of
 * (weight, peer, port back) records (one place to read per relaxed node instead of three
 * arrays; on the seed fabric's graph it searches as fast as the arrays did).
 */
class PackedRouteGraph
{
  public:
    struct Link
    {
        double weight;
        uint32_t to;
        uint8_t reversePort;
    };

    PackedRouteGraph() = default;
    explicit PackedRouteGraph(const RouteGraph& g);

    bool IsEmpty() const;

    uint32_t nNodes{0};
    uint32_t nTransit{0};
    std::vector<uint32_t> first; // node u's links: link[first[u]] .. link[first[u + 1] - 1]
    std::vector<Link> link;
};

/**
 * What lets a bounded search head for its targets (A*): every link's weight is at least
 * weightPerMetre times the straight-line distance between its ends at `position` (x, y, z
 * per node, m). Delays are distance / c, so 1 / c bounds them. No guide (weightPerMetre
 * 0): the search spreads evenly from the destination.
 */
struct SearchGuide
{
    const double* position{nullptr};
    double weightPerMetre{0};
};

/** Where a solver writes destination j's next hops: column Column(j) of rows `stride` apart. */
struct PortLayout
{
    std::size_t stride{0};
    const uint32_t* columns{nullptr};

    uint32_t Column(uint32_t j) const
    {
        return columns ? columns[j] : j;
    }
};

/**
 * @brief Next hop of every forwarding node toward every destination, by one Dijkstra
 * per destination on a sparse graph (never all pairs, never a dense matrix).
 *
 * Searching outward from a destination d, a node v first reached from u gets "port
 * toward u" as its next hop toward d. Destinations are split over threads; the result
 * does not depend on their number (ties go to the lower node index).
 *
 * A bounded search stops as soon as its targets (the nodes that send toward d) are
 * settled. Dijkstra settles nodes in the same order whether or not it stops early, so
 * every settled node has exactly the next hop of the full search, and so has every node
 * on a path from a settled node (it is closer to d, hence settled first). Nodes not
 * settled get UNSOLVED; a later search that stops at one of them completes it exactly.
 *
 * With a SearchGuide the bounded search is A*: nodes are settled in order of distance
 * to d plus a lower bound of the distance still to go to the nearest target (straight
 * line x weightPerMetre, less 1e-6 of it), so it settles a band around the paths from
 * the targets instead of a ball around d. The bound is consistent, so every settled
 * node has its exact distance and its next hop is settled before it; the 1e-6 margin
 * makes every node that could give a settled node its shortest path settle strictly
 * before it, and equal-length paths resolve by the rule Dijkstra follows (the neighbour
 * settled first there: lower distance, then lower index). So the settled entries are
 * those of the full search, bit for bit.
 */
class NextHopSolver
{
  public:
    /** Port value for "unreachable" (ForwardingTable::NO_ROUTE). */
    static constexpr uint8_t NO_ROUTE = 0xFF;
    /** Port value for "the bounded search stopped before this node". */
    static constexpr uint8_t UNSOLVED = 0xFE;

    /**
     * @param ports output, nForwarding x nDestinations, row-major: ports[v * nDest + j]
     * @param distances optional output (may be null), same layout: path weight from v to
     *        destination j (infinity if unreachable)
     * @param nTransit nodes 0..nTransit-1 may relay; the others only start or end paths
     * @param threads worker threads (0: hardware concurrency)
     */
    static void Solve(uint32_t nNodes,
                      uint32_t nTransit,
                      const int64_t* rowStart,
                      const uint32_t* col,
                      const double* weight,
                      const uint8_t* reversePort,
                      const uint32_t* destinations,
                      uint32_t nDestinations,
                      uint32_t nForwarding,
                      uint8_t* ports,
                      double* distances,
                      uint32_t threads);

    /**
     * As Solve, each destination's search bounded by its targets:
     * targets[targetStart[j]..targetStart[j+1]) must be settled toward destination j; a
     * destination with no targets is searched in full. Unsettled nodes get UNSOLVED
     * (NO_ROUTE when the search ran out of nodes: they are unreachable). With a position
     * (not null) and weightPerMetre > 0 each search is guided toward its targets (see
     * SearchGuide). Output: row v of ports starts at ports[v * portsStride]; destination j
     * is its column portColumns[j] (null: j, and portsStride must be nDestinations); the
     * other columns of a wider row are set to NO_ROUTE.
     */
    static void SolveBounded(uint32_t nNodes,
                             uint32_t nTransit,
                             const int64_t* rowStart,
                             const uint32_t* col,
                             const double* weight,
                             const uint8_t* reversePort,
                             const double* position,
                             double weightPerMetre,
                             const uint32_t* destinations,
                             uint32_t nDestinations,
                             const int64_t* targetStart,
                             const uint32_t* targets,
                             uint32_t nForwarding,
                             uint8_t* ports,
                             uint32_t portsStride,
                             const uint32_t* portColumns,
                             uint32_t threads);

    /**
     * Solve (targetStart null) or SolveBounded on a graph given as a RouteGraph; layout
     * stride 0: rows of nDestinations.
     */
    static void SolveAll(const RouteGraph& graph,
                         const uint32_t* destinations,
                         uint32_t nDestinations,
                         const int64_t* targetStart,
                         const uint32_t* targets,
                         uint32_t nForwarding,
                         uint8_t* ports,
                         double* distances,
                         uint32_t threads,
                         SearchGuide guide = {},
                         PortLayout layout = {});

    /**
     * One destination's search on g, stopped once the nTargets targets are settled (all
     * nodes when nTargets is 0), guided toward them when guide has a weightPerMetre;
     * writes ports[v * stride] for v < nForwarding and, when distances is not null,
     * distances[v * stride]. A search that stops at its targets (and has no distances to
     * write) writes only the entries it settled: the caller fills the column with
     * UNSOLVED first. Uses this thread's scratch space.
     */
    static void SolveOne(const PackedRouteGraph& g,
                         uint32_t destination,
                         const uint32_t* targets,
                         uint32_t nTargets,
                         uint32_t nForwarding,
                         uint8_t* ports,
                         double* distances,
                         std::size_t stride,
                         SearchGuide guide = {});
};

} // namespace ns3

#endif
