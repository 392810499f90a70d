#ifndef NETSIM_TIME_CACHE_H
#define NETSIM_TIME_CACHE_H

#include "ns3/data-rate.h"
#include "ns3/nstime.h"

#include <cstdint>

namespace ns3
{

/**
 * t.GetSeconds(), remembered for the last time step asked on this thread. A hop asks for
 * the same instant several times (both ends' positions, a velocity, two pointing samples)
 * and each conversion is a 128-bit fixed-point multiply; the value is GetSeconds' own.
 */
inline double
CachedSeconds(Time t)
{
    thread_local int64_t step = INT64_MIN;
    thread_local double seconds = 0;
    if (t.GetTimeStep() != step)
    {
        step = t.GetTimeStep();
        seconds = t.GetSeconds();
    }
    return seconds;
}

/**
 * rate.CalculateBytesTxTime(bytes), remembered for the last rate and size asked on this
 * thread: a 128-bit division per frame otherwise, while frames mostly share one size and
 * one rate. The value is CalculateBytesTxTime's own.
 */
inline Time
CachedTxTime(const DataRate& rate, uint32_t bytes)
{
    thread_local uint64_t bps = 0;
    thread_local uint32_t size = 0;
    thread_local int64_t steps = 0;
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
