#ifndef NETSIM_EPHEMERIS_STORE_H
#define NETSIM_EPHEMERIS_STORE_H

#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/vector.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief A window of ephemeris samples for every node of a run, interpolated on demand.
 *
 * Python propagates orbits and pushes one window at a time (samples at start + k*step,
 * k = 0..n-1, positions in m and velocities in m/s, inertial frame). Positions between
 * samples come from cubic Hermite interpolation, which uses the velocities and so stays
 * within millimetres of the true orbit for steps of tens of seconds at LEO.
 * One store serves all nodes: arrays, not one object per sample.
 */
class EphemerisStore : public Object
{
  public:
    static TypeId GetTypeId();

    /**
     * Replace the current window.
     * @param startS time of the first sample, s of simulation time
     * @param stepS spacing of the samples, s (> 0)
     * @param nSamples number of samples (>= 2)
     * @param nNodes number of nodes per sample
     * @param posM positions, [sample][node][xyz], m
     * @param velMps velocities, [sample][node][xyz], m/s
     */
    void SetWindow(double startS,
                   double stepS,
                   uint32_t nSamples,
                   uint32_t nNodes,
                   const double* posM,
                   const double* velMps);

    /** @return position of a node at time t, m */
    Vector GetPosition(uint32_t node, Time t) const;
    /** Fetch into the cache the samples GetPosition(node, t) and GetVelocity read (a hint: no checks). */
    void Prefetch(uint32_t node, Time t) const;
    /** @return velocity of a node at time t, m/s */
    Vector GetVelocity(uint32_t node, Time t) const;

    uint32_t GetNNodes() const;
    /** @return time of the first sample of the window */
    Time GetWindowStart() const;
    /** @return time of the last sample of the window */
    Time GetWindowEnd() const;

  private:
    /** Find the sample interval holding t: index k and fraction s in [0, 1]. */
    void Locate(Time t, uint32_t& k, double& s) const;

    double m_startS{0};
    double m_stepS{1};
    uint32_t m_nSamples{0};
    uint32_t m_nNodes{0};
    static constexpr std::size_t VALUES = 6; // x, y, z in m, then vx, vy, vz in m/s
    std::vector<double> m_state;             // [node][sample][VALUES]
};

} // namespace ns3

#endif
