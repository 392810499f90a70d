#include "next-hop-solver.h"

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
 * Dijkstra's state for one destination: distances, next-hop ports, and an indexed
 * 4-ary min-heap of the reached, unsettled nodes keyed on (distance, node index), so
 * equal distances resolve to the lower node index. Decrease-key in place: each node is
 * in the heap at most once (about twice as fast as a binary heap with stale entries,
 * with the same settling order).
 */
struct Search
{
    static constexpr int32_t OUTSIDE = -1;
    std::vector<double> dist;
    std::vector<uint8_t> port;
    std::vector<uint32_t> heap;
    std::vector<int32_t> where; // position in heap, OUTSIDE when not in it

    bool Before(uint32_t a, uint32_t b) const
    {
        return dist[a] < dist[b] || (dist[a] == dist[b] && a < b);
    }

    void Place(uint32_t node, std::size_t i)
    {
        heap[i] = node;
        where[node] = int32_t(i);
    }

    void SiftUp(std::size_t i)
    {
        const uint32_t node = heap[i];
        while (i > 0)
        {
            const std::size_t parent = (i - 1) / 4;
            if (!Before(node, heap[parent]))
            {
                break;
            }
            Place(heap[parent], i);
            i = parent;
        }
        Place(node, i);
    }

    void SiftDown(std::size_t i)
    {
        const uint32_t node = heap[i];
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
                if (Before(heap[c], heap[best]))
                {
                    best = c;
                }
            }
            if (!Before(heap[best], node))
            {
                break;
            }
            Place(heap[best], i);
            i = best;
        }
        Place(node, i);
    }

    uint32_t PopMin()
    {
        const uint32_t top = heap.front();
        where[top] = OUTSIDE;
        const uint32_t last = heap.back();
        heap.pop_back();
        if (!heap.empty())
        {
            heap.front() = last;
            SiftDown(0);
        }
        return top;
    }

    /** Lower v's distance to d (insert it if it is not in the heap). */
    void Lower(uint32_t v, double d)
    {
        dist[v] = d;
        if (where[v] == OUTSIDE)
        {
            heap.push_back(v);
            SiftUp(heap.size() - 1);
        }
        else
        {
            SiftUp(where[v]);
        }
    }
};

/** Dijkstra from one destination. */
void
SearchFrom(uint32_t source,
           uint32_t nNodes,
           uint32_t nTransit,
           const int64_t* rowStart,
           const uint32_t* col,
           const double* weight,
           const uint8_t* reversePort,
           Search& s)
{
    constexpr double inf = std::numeric_limits<double>::infinity();
    s.dist.assign(nNodes, inf);
    s.port.assign(nNodes, NextHopSolver::NO_ROUTE);
    s.where.assign(nNodes, Search::OUTSIDE);
    s.heap.clear();
    s.Lower(source, 0.0);
    while (!s.heap.empty())
    {
        const uint32_t u = s.PopMin();
        if (u >= nTransit && u != source)
        {
            continue; // an end node: reached, never relayed through
        }
        const double d = s.dist[u];
        for (int64_t e = rowStart[u]; e < rowStart[u + 1]; ++e)
        {
            const uint32_t v = col[e];
            const double nd = d + weight[e];
            if (nd < s.dist[v])
            {
                s.port[v] = reversePort[e];
                s.Lower(v, nd);
            }
        }
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
    if (threads == 0)
    {
        threads = std::max(1u, std::thread::hardware_concurrency());
    }
    threads = std::min(threads, std::max(1u, nDestinations));
    auto work = [&](uint32_t first) {
        Search s;
        for (uint32_t j = first; j < nDestinations; j += threads)
        {
            SearchFrom(destinations[j], nNodes, nTransit, rowStart, col, weight, reversePort, s);
            for (uint32_t v = 0; v < nForwarding; ++v)
            {
                ports[std::size_t(v) * nDestinations + j] = s.port[v];
            }
            if (distances)
            {
                for (uint32_t v = 0; v < nForwarding; ++v)
                {
                    distances[std::size_t(v) * nDestinations + j] = s.dist[v];
                }
            }
        }
    };
    std::vector<std::thread> pool;
    for (uint32_t t = 1; t < threads; ++t)
    {
        pool.emplace_back(work, t);
    }
    work(0);
    for (auto& t : pool)
    {
        t.join();
    }
}

} // namespace ns3
