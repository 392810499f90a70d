#include "next-hop-solver.h"

#include "ns3/abort.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

namespace ns3
{

namespace
{

/**
 * Dijkstra's state for one destination: per node its distance, next-hop port and heap
 * position side by side, and an indexed 4-ary min-heap of the reached, unsettled nodes
 * keyed on (distance, node index), so equal distances resolve to the lower node index.
 * Entries carry their key (no lookup into the node array while sifting) and decrease in
 * place, so each node is in the heap at most once. (A heap with stale entries and no
 * positions settles nodes in the same order; on the seed fabric it was ~1.5x slower.)
 */
struct Search
{
    static constexpr int32_t OUTSIDE = -1;
    static constexpr int32_t SETTLED = -2;
    using Entry = std::pair<double, uint32_t>; // (distance, node)

    struct Node
    {
        double dist;
        int32_t where;  // position in heap, OUTSIDE before it enters, SETTLED after
        uint8_t port;   // toward the node it was reached from
        uint8_t target; // 1 for the nodes the search must settle
    };

    std::vector<Node> node;
    std::vector<Entry> heap;

    void Reset(uint32_t n)
    {
        node.assign(n, Node{std::numeric_limits<double>::infinity(), OUTSIDE, NextHopSolver::NO_ROUTE, 0});
        heap.clear();
    }

    void Place(const Entry& entry, std::size_t i)
    {
        heap[i] = entry;
        node[entry.second].where = int32_t(i);
    }

    void SiftUp(std::size_t i)
    {
        const Entry entry = heap[i];
        while (i > 0)
        {
            const std::size_t parent = (i - 1) / 4;
            if (!(entry < heap[parent]))
            {
                break;
            }
            Place(heap[parent], i);
            i = parent;
        }
        Place(entry, i);
    }

    void SiftDown(std::size_t i)
    {
        const Entry entry = heap[i];
        const std::size_t n = heap.size();
        while (true)
        {
            const std::size_t first = 4 * i + 1;
            if (first >= n)
            {
                break;
            }
            std::size_t best = first;
            for (std::size_t c = first + 1; c < std::min(first + 4, n); ++c)
            {
                if (heap[c] < heap[best])
                {
                    best = c;
                }
            }
            if (!(heap[best] < entry))
            {
                break;
            }
            Place(heap[best], i);
            i = best;
        }
        Place(entry, i);
    }

    /** Remove the closest node from the heap; it is settled. */
    uint32_t PopMin()
    {
        const uint32_t top = heap.front().second;
        node[top].where = SETTLED;
        const Entry last = heap.back();
        heap.pop_back();
        if (!heap.empty())
        {
            heap.front() = last;
            SiftDown(0);
        }
        return top;
    }

    /** Lower v's distance to d (v is not settled); insert it if it is not in the heap. */
    void Lower(uint32_t v, double d)
    {
        Node& n = node[v];
        n.dist = d;
        if (n.where == OUTSIDE)
        {
            heap.emplace_back(d, v);
            SiftUp(heap.size() - 1);
        }
        else
        {
            heap[n.where].first = d;
            SiftUp(n.where);
        }
    }
};

/**
 * Dijkstra from one destination, stopped once every target is settled (never, when
 * there are none). Settled nodes leave the heap for good: where[v] == SETTLED.
 * @return true if it stopped at its targets (unsettled nodes may still be reachable)
 */
bool
SearchFrom(uint32_t source, const PackedRouteGraph& g, const uint32_t* targets, uint32_t nTargets, Search& s)
{
    s.Reset(g.nNodes);
    uint32_t remaining = 0;
    for (uint32_t i = 0; i < nTargets; ++i)
    {
        remaining += s.node[targets[i]].target == 0; // a target listed twice counts once
        s.node[targets[i]].target = 1;
    }
    s.Lower(source, 0.0);
    while (!s.heap.empty())
    {
        const uint32_t u = s.PopMin();
        if (s.node[u].target && --remaining == 0)
        {
            return true; // u's links are not relaxed: the others may still be reachable
        }
        if (u >= g.nTransit && u != source)
        {
            continue; // an end node: reached, never relayed through
        }
        const double d = s.node[u].dist;
        for (uint32_t e = g.first[u]; e < g.first[u + 1]; ++e)
        {
            const PackedRouteGraph::Link& link = g.link[e];
            const double nd = d + link.weight;
            Search::Node& n = s.node[link.to];
            if (nd < n.dist && n.where != Search::SETTLED)
            {
                n.port = link.reversePort;
                s.Lower(link.to, nd);
            }
        }
    }
    return false;
}

} // namespace

PackedRouteGraph::PackedRouteGraph(const RouteGraph& g)
    : nNodes(g.nNodes),
      nTransit(g.nTransit),
      first(g.rowStart, g.rowStart + g.nNodes + 1),
      link(std::size_t(g.rowStart[g.nNodes]))
{
    NS_ABORT_MSG_IF(g.rowStart[g.nNodes] > std::numeric_limits<uint32_t>::max(), "more than 2^32 link ends");
    for (std::size_t e = 0; e < link.size(); ++e)
    {
        link[e] = {g.weight[e], g.col[e], g.reversePort[e]};
    }
}

bool
PackedRouteGraph::IsEmpty() const
{
    return first.empty();
}

void
NextHopSolver::SolveOne(const PackedRouteGraph& g,
                        uint32_t destination,
                        const uint32_t* targets,
                        uint32_t nTargets,
                        uint32_t nForwarding,
                        uint8_t* ports,
                        double* distances,
                        std::size_t stride)
{
    thread_local Search s;
    const bool early = SearchFrom(destination, g, targets, nTargets, s);
    for (uint32_t v = 0; v < nForwarding; ++v)
    {
        const Search::Node& n = s.node[v];
        ports[v * stride] = n.where == Search::SETTLED ? n.port : early ? UNSOLVED : NO_ROUTE;
    }
    if (distances)
    {
        for (uint32_t v = 0; v < nForwarding; ++v)
        {
            distances[v * stride] = s.node[v].dist;
        }
    }
}

namespace
{

/** Run work(j) for j = 0..n-1 over `threads` threads (0: all cores), j split round-robin. */
template <typename Work>
void
OverThreads(uint32_t n, uint32_t threads, Work work)
{
    if (threads == 0)
    {
        threads = std::max(1u, std::thread::hardware_concurrency());
    }
    threads = std::min(threads, std::max(1u, n));
    auto share = [&](uint32_t first) {
        for (uint32_t j = first; j < n; j += threads)
        {
            work(j);
        }
    };
    std::vector<std::thread> pool;
    for (uint32_t t = 1; t < threads; ++t)
    {
        pool.emplace_back(share, t);
    }
    share(0);
    for (auto& t : pool)
    {
        t.join();
    }
}

} // namespace

void
NextHopSolver::Solve(uint32_t nNodes,
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
                     uint32_t threads)
{
    SolveAll({nNodes, nTransit, rowStart, col, weight, reversePort}, destinations, nDestinations, nullptr, nullptr,
             nForwarding, ports, distances, threads);
}

void
NextHopSolver::SolveBounded(uint32_t nNodes,
                            uint32_t nTransit,
                            const int64_t* rowStart,
                            const uint32_t* col,
                            const double* weight,
                            const uint8_t* reversePort,
                            const uint32_t* destinations,
                            uint32_t nDestinations,
                            const int64_t* targetStart,
                            const uint32_t* targets,
                            uint32_t nForwarding,
                            uint8_t* ports,
                            uint32_t threads)
{
    SolveAll({nNodes, nTransit, rowStart, col, weight, reversePort}, destinations, nDestinations, targetStart,
             targets, nForwarding, ports, nullptr, threads);
}

void
NextHopSolver::SolveAll(const RouteGraph& graph,
                        const uint32_t* destinations,
                        uint32_t nDestinations,
                        const int64_t* targetStart,
                        const uint32_t* targets,
                        uint32_t nForwarding,
                        uint8_t* ports,
                        double* distances,
                        uint32_t threads)
{
    const PackedRouteGraph g(graph);
    OverThreads(nDestinations, threads, [&](uint32_t j) {
        const uint32_t nTargets = targetStart ? uint32_t(targetStart[j + 1] - targetStart[j]) : 0;
        SolveOne(g, destinations[j], nTargets ? targets + targetStart[j] : nullptr, nTargets, nForwarding,
                 ports + j, distances ? distances + j : nullptr, nDestinations);
    });
}

} // namespace ns3
