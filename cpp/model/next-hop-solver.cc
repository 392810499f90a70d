#include "next-hop-solver.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

namespace ns3
{

namespace
{

struct Search
{
    std::vector<double> dist;
    std::vector<uint8_t> port;
    std::vector<std::pair<double, uint32_t>> heap;
};

/** Dijkstra from one destination; binary heap with lazy deletion. */
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
    s.heap.clear();
    // Min-heap on (distance, node): equal distances resolve to the lower node index.
    auto later = [](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
        return a > b;
    };
    s.dist[source] = 0;
    s.heap.emplace_back(0.0, source);
    while (!s.heap.empty())
    {
        std::pop_heap(s.heap.begin(), s.heap.end(), later);
        const auto [d, u] = s.heap.back();
        s.heap.pop_back();
        if (d > s.dist[u])
        {
            continue; // stale entry
        }
        if (u >= nTransit && u != source)
        {
            continue; // an end node: reached, never relayed through
        }
        for (int64_t e = rowStart[u]; e < rowStart[u + 1]; ++e)
        {
            const uint32_t v = col[e];
            const double nd = d + weight[e];
            if (nd < s.dist[v])
            {
                s.dist[v] = nd;
                s.port[v] = reversePort[e];
                s.heap.emplace_back(nd, v);
                std::push_heap(s.heap.begin(), s.heap.end(), later);
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
