#ifndef NETSIM_NEXT_HOP_SOLVER_H
#define NETSIM_NEXT_HOP_SOLVER_H

#include <cstdint>

namespace ns3
{

/**
 * @brief Next hop of every forwarding node toward every destination, by one Dijkstra
 * per destination on a sparse graph (never all pairs, never a dense matrix).
 *
 * The graph is undirected and given as CSR with both directions of every link: the
 * entries rowStart[u]..rowStart[u+1]-1 are u's links, to col[e] with weight[e] (delay in
 * s, or 1 for hop count), and reversePort[e] is the port on col[e] that leads back to u.
 * Searching outward from a destination d, a node v first reached from u gets "port
 * toward u" as its next hop toward d. Destinations are split over threads; the result
 * does not depend on their number (ties go to the lower node index).
 *
 * Nodes numbered nTransit and above (ground stations) are ends, never relays: a search
 * reaches them but does not continue through them, unless the search starts there.
 */
class NextHopSolver
{
  public:
    /** Port value for "unreachable" (ForwardingTable::NO_ROUTE). */
    static constexpr uint8_t NO_ROUTE = 0xFF;

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
};

} // namespace ns3

#endif
