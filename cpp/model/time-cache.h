#ifndef NETSIM_TIME_CACHE_H
#define NETSIM_TIME_CACHE_H

#include "ns3/data-rate.h"
#include "ns3/nstime.h"

#include <cstdint>

namespace ns3
{

/*
 * The caches below are plain statics, read and written by the simulation's thread only:
 * ns-3 runs every event on one thread (an MPI rank is a process of its own) and the
 * routing-snapshot thread reads neither positions nor terminals. Not thread_local: in a
 * library loaded with dlopen each use of one is a __tls_get_addr call, ~2 % of a hop's
 * samples at 1.2 M nodes.
 */

/**
 * t.GetSeconds(), remembered for the last time step asked. A hop asks for the same
 * instant several times (both ends' positions, a velocity, two pointing samples) and
 * each conversion is a 128-bit fixed-point multiply; the value is GetSeconds' own.
 */
inline double
CachedSeconds(Time t)
{
    static int64_t step = INT64_MIN;
    static double seconds = 0;
    if (t.GetTimeStep() != step)
    {
        step = t.GetTimeStep();
        seconds = t.GetSeconds();
    }
    return seconds;
}

/**
 * rate.CalculateBytesTxTime(bytes), remembered for the last rate and size asked: a
 * 128-bit division per frame otherwise, while frames mostly share one size and one rate.
 * The value is CalculateBytesTxTime's own.
 */
inline Time
CachedTxTime(const DataRate& rate, uint32_t bytes)
{
    static uint64_t bps = 0;
    static uint32_t size = 0;
    static int64_t steps = 0;
    if (rate.GetBitRate() != bps || bytes != size || bps == 0)
    {
        bps = rate.GetBitRate();
        size = bytes;
        steps = rate.CalculateBytesTxTime(bytes).GetTimeStep();
    }
    return TimeStep(steps);
}

} // namespace ns3

#endif
