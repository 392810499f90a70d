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
 * equal distances resolve to the lower node index. Entries carry their key (no lookup
 * into the distance array while sifting: at a million nodes that array does not fit in
 * cache) and decrease in place, so each node is in the heap at most once. The settling
 * order is the same as a binary heap with stale entries; measured ~20 % faster at
 * 800,000 nodes.
 */
struct Search
{
    static constexpr int32_t OUTSIDE = -1;
    using Entry = std::pair<double, uint32_t>; // (distance, node)
    std::vector<double> dist;
    std::vector<uint8_t> port;
    std::vector<Entry> heap;
    std::vector<int32_t> where; // position in heap, OUTSIDE when not in it

    void Place(const Entry& entry, std::size_t i)
    {
        heap[i] = entry;
        where[entry.second] = int32_t(i);
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

    uint32_t PopMin()
    {
        const uint32_t top = heap.front().second;
        where[top] = OUTSIDE;
        const Entry last = heap.back();
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
            heap.emplace_back(d, v);
            SiftUp(heap.size() - 1);
        }
        else
        {
            heap[where[v]].first = d;
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
