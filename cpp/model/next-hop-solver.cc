#include "next-hop-solver.h"

#include "ns3/abort.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace ns3
{

namespace
{

constexpr int32_t OUTSIDE = -1; // heap position of a node not reached yet
constexpr int32_t SETTLED = -2; // and of a node settled

/** A node in a plain search. */
struct PlainNode
{
    double dist;
    int32_t where;  // position in heap, OUTSIDE before it enters, SETTLED after
    uint8_t port;   // toward the node it was reached from
    uint8_t target; // 1 for the nodes the search must settle

    static PlainNode Fresh()
    {
        return {std::numeric_limits<double>::infinity(), OUTSIDE, NextHopSolver::NO_ROUTE, 0};
    }
};

/**
 * A node in a guided search: also its bound to go (made when it is first reached) and
 * the node it was reached from (the tie rule), in the same record so a relaxed node
 * costs one cache line, not three.
 */
struct GuidedNode
{
    double dist;
    double bound;
    uint32_t parent;
    int32_t where;
    uint8_t port;
    uint8_t target;

    static GuidedNode Fresh()
    {
        return {std::numeric_limits<double>::infinity(), 0.0, 0, OUTSIDE, NextHopSolver::NO_ROUTE, 0};
    }
};

/**
 * Dijkstra's state for one destination: per node its distance, next-hop port and heap
 * position side by side, and an indexed 4-ary min-heap of the reached, unsettled nodes
 * keyed on (distance, node index), so equal distances resolve to the lower node index.
 * A guided search (GuidedNode) keys the heap on distance + the node's bound to go.
 * Entries carry their key (no lookup into the node array while sifting) and decrease in
 * place, so each node is in the heap at most once. (A heap with stale entries and no
 * positions settles nodes in the same order; on the seed fabric it was ~1.5x slower.)
 */
template <class Node>
struct Search
{
    using Entry = std::pair<double, uint32_t>; // (key, node)

    std::vector<Node> node;
    std::vector<Entry> heap;
    // Nodes the last search changed (reached or marked as targets): a search that stops
    // early costs what it touched, not the size of the graph, to reset and to report.
    std::vector<uint32_t> touched;

    void Reset(uint32_t n)
    {
        if (node.size() != n)
        {
            node.assign(n, Node::Fresh());
        }
        else
        {
            for (const uint32_t v : touched)
            {
                node[v] = Node::Fresh();
            }
        }
        touched.clear();
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

    /** Lower v's distance to d, heap key `key` (v is not settled); insert it if it is not in the heap. */
    void Lower(uint32_t v, double d, double key)
    {
        Node& n = node[v];
        n.dist = d;
        if (n.where == OUTSIDE)
        {
            touched.push_back(v);
            heap.emplace_back(key, v);
            SiftUp(heap.size() - 1);
        }
        else
        {
            heap[n.where].first = key;
            SiftUp(n.where);
        }
    }

    /** Whether u is settled before w in Dijkstra's order: (distance, node index). */
    bool SettlesBefore(uint32_t u, uint32_t w) const
    {
        return node[u].dist < node[w].dist || (node[u].dist == node[w].dist && u < w);
    }
};

/**
 * Lower bound of the weight from a node to the nearest target: the straight line to it
 * x weightPerMetre, less 1e-6 of it. Without the margin the bound would be exactly
 * consistent and rounding could let a node settle before a neighbour that gives it an
 * equally short path; with it every such neighbour settles strictly first. (A bound that
 * also goes around the Earth settled a fifth fewer nodes on the seed fabric but cost as
 * much in trigonometry as it saved.)
 */
class TargetBound
{
  public:
    TargetBound(const SearchGuide& guide, const uint32_t* targets, uint32_t nTargets)
        : m_position(guide.position),
          m_scale(guide.weightPerMetre * (1.0 - 1e-6))
    {
        for (uint32_t i = 0; i < nTargets; ++i)
        {
            m_target.insert(m_target.end(), m_position + 3 * std::size_t(targets[i]),
                            m_position + 3 * std::size_t(targets[i]) + 3);
        }
    }

    double operator()(uint32_t v) const
    {
        const double* p = m_position + 3 * std::size_t(v);
        double nearest = std::numeric_limits<double>::infinity();
        for (std::size_t t = 0; t < m_target.size(); t += 3)
        {
            const double dx = p[0] - m_target[t];
            const double dy = p[1] - m_target[t + 1];
            const double dz = p[2] - m_target[t + 2];
            nearest = std::min(nearest, dx * dx + dy * dy + dz * dz);
        }
        return m_scale * std::sqrt(nearest);
    }

  private:
    const double* m_position;
    double m_scale;
    std::vector<double> m_target; // x, y, z of each target
};

/**
 * Dijkstra from one destination (A* toward the targets when Guided), stopped once every
 * target is settled (never, when there are none). Settled nodes leave the heap for good:
 * where[v] == SETTLED.
 * @return true if it stopped at its targets (unsettled nodes may still be reachable)
 */
template <bool Guided, class Node = std::conditional_t<Guided, GuidedNode, PlainNode>>
bool
SearchFrom(uint32_t source,
           const PackedRouteGraph& g,
           const uint32_t* targets,
           uint32_t nTargets,
           const TargetBound* toTargets,
           Search<Node>& s)
{
    s.Reset(g.nNodes);
    uint32_t remaining = 0;
    for (uint32_t i = 0; i < nTargets; ++i)
    {
        if (s.node[targets[i]].target == 0) // a target listed twice counts once
        {
            ++remaining;
            s.node[targets[i]].target = 1;
            s.touched.push_back(targets[i]);
        }
    }
    auto reach = [&](uint32_t v, double d) {
        if constexpr (Guided)
        {
            if (s.node[v].where == OUTSIDE)
            {
                s.node[v].bound = (*toTargets)(v);
            }
            s.Lower(v, d, d + s.node[v].bound);
        }
        else
        {
            s.Lower(v, d, d);
        }
    };
    if constexpr (Guided)
    {
        s.node[source].parent = source;
    }
    reach(source, 0.0);
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
            Node& n = s.node[link.to];
            if (n.where == SETTLED)
            {
                continue;
            }
            if (nd < n.dist)
            {
                n.port = link.reversePort;
                if constexpr (Guided)
                {
                    n.parent = u;
                }
                reach(link.to, nd);
            }
            else if constexpr (Guided)
            {
                // An equally short path: Dijkstra keeps the one through the neighbour it
                // settles first; A* may settle them in another order.
                if (nd == n.dist && s.SettlesBefore(u, n.parent))
                {
                    n.port = link.reversePort;
                    n.parent = u;
                }
            }
        }
    }
    return false;
}

/**
 * Write a search's next hops (and distances) for nodes 0..nForwarding-1. A search that
 * stopped at its targets writes only what it settled: the caller filled the column
 * with UNSOLVED.
 */
template <class Node>
void
Report(const Search<Node>& s,
       bool early,
       uint32_t nForwarding,
       uint8_t* ports,
       double* distances,
       std::size_t stride)
{
    if (early && !distances)
    {
        for (const uint32_t v : s.touched)
        {
            if (v < nForwarding && s.node[v].where == SETTLED)
            {
                ports[v * stride] = s.node[v].port;
            }
        }
        return;
    }
    for (uint32_t v = 0; v < nForwarding; ++v)
    {
        const Node& n = s.node[v];
        ports[v * stride] = n.where == SETTLED ? n.port : early ? NextHopSolver::UNSOLVED : NextHopSolver::NO_ROUTE;
    }
    if (distances)
    {
        for (uint32_t v = 0; v < nForwarding; ++v)
        {
            distances[v * stride] = s.node[v].dist;
        }
    }
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
                        std::size_t stride,
                        SearchGuide guide)
{
    if (nTargets > 0 && guide.position && guide.weightPerMetre > 0)
    {
        thread_local Search<GuidedNode> s;
        const TargetBound toTargets(guide, targets, nTargets);
        const bool early = SearchFrom<true>(destination, g, targets, nTargets, &toTargets, s);
        Report(s, early, nForwarding, ports, distances, stride);
    }
    else
    {
        thread_local Search<PlainNode> s;
        const bool early = SearchFrom<false>(destination, g, targets, nTargets, nullptr, s);
        Report(s, early, nForwarding, ports, distances, stride);
    }
}

namespace
{

/**
 * Run work(j) for j = 0..n-1 over `threads` threads (0: all cores), each thread taking
 * the next j when it is free: searches differ in size (a bounded one may settle 1 % of
 * the nodes or 80 %), so a fixed split leaves a core idle. Each j writes only its own
 * column, so the split does not change the result.
 */
template <typename Work>
void
OverThreads(uint32_t n, uint32_t threads, Work work)
{
    if (threads == 0)
    {
        threads = std::max(1u, std::thread::hardware_concurrency());
    }
    threads = std::min(threads, std::max(1u, n));
    std::atomic<uint32_t> next{0};
    auto share = [&]() {
        for (uint32_t j = next++; j < n; j = next++)
        {
            work(j);
        }
    };
    std::vector<std::thread> pool;
    for (uint32_t t = 1; t < threads; ++t)
    {
        pool.emplace_back(share);
    }
    share();
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
                            uint32_t threads)
{
    for (uint32_t j = 0; portColumns && j < nDestinations; ++j)
    {
        NS_ABORT_MSG_IF(portColumns[j] >= portsStride,
                        "destination column " << portColumns[j] << " outside rows of " << portsStride);
    }
    NS_ABORT_MSG_IF(!portColumns && portsStride != nDestinations, "rows of " << portsStride << " for "
                                                                       << nDestinations << " destinations");
    SolveAll({nNodes, nTransit, rowStart, col, weight, reversePort}, destinations, nDestinations, targetStart,
             targets, nForwarding, ports, nullptr, threads, {position, weightPerMetre}, {portsStride, portColumns});
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
                        uint32_t threads,
                        SearchGuide guide,
                        PortLayout layout)
{
    if (layout.stride == 0)
    {
        layout.stride = nDestinations;
    }
    NS_ABORT_MSG_IF(distances && layout.stride != nDestinations, "distances come in rows of nDestinations only");
    const PackedRouteGraph g(graph);
    if (targetStart)
    {
        // Bounded searches write only the entries they settle (SolveOne): the others
        // start UNSOLVED, and columns of no destination NO_ROUTE.
        for (uint32_t v = 0; v < nForwarding; ++v)
        {
            uint8_t* row = ports + v * layout.stride;
            if (layout.columns)
            {
                std::fill(row, row + layout.stride, NO_ROUTE);
            }
            for (uint32_t j = 0; j < nDestinations; ++j)
            {
                row[layout.Column(j)] = UNSOLVED;
            }
        }
    }
    OverThreads(nDestinations, threads, [&](uint32_t j) {
        const uint32_t nTargets = targetStart ? uint32_t(targetStart[j + 1] - targetStart[j]) : 0;
        SolveOne(g, destinations[j], nTargets ? targets + targetStart[j] : nullptr, nTargets, nForwarding,
                 ports + layout.Column(j), distances ? distances + j : nullptr, layout.stride, guide);
    });
}

} // namespace ns3
