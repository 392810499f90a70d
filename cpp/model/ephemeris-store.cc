#include "ephemeris-store.h"

#include "time-cache.h"

#include "ns3/abort.h"
#include "ns3/log.h"

#include <algorithm>
#include <cmath>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("EphemerisStore");
NS_OBJECT_ENSURE_REGISTERED(EphemerisStore);

TypeId
EphemerisStore::GetTypeId()
{
    static TypeId tid = TypeId("ns3::EphemerisStore")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<EphemerisStore>();
    return tid;
}

void
EphemerisStore::SetWindow(double startS,
                          double stepS,
                          uint32_t nSamples,
                          uint32_t nNodes,
                          const double* posM,
                          const double* velMps)
{
    NS_ABORT_MSG_IF(nSamples < 2, "an ephemeris window needs at least two samples");
    NS_ABORT_MSG_IF(!(stepS > 0), "ephemeris step must be positive");
    m_startS = startS;
    m_stepS = stepS;
    m_nSamples = nSamples;
    m_nNodes = nNodes;
    // Stored by node, then sample: a packet's position and velocity lookups read one
    // node's samples from one place (at a million nodes every lookup misses the cache).
    m_state.resize(std::size_t(nSamples) * nNodes * VALUES);
    for (uint32_t k = 0; k < nSamples; ++k)
    {
        for (uint32_t node = 0; node < nNodes; ++node)
        {
            const std::size_t from = (std::size_t(k) * nNodes + node) * 3;
            double* to = &m_state[(std::size_t(node) * nSamples + k) * VALUES];
            std::copy(posM + from, posM + from + 3, to);
            std::copy(velMps + from, velMps + from + 3, to + 3);
        }
    }
}

void
EphemerisStore::Locate(Time t, uint32_t& k, double& s) const
{
    const double x = (CachedSeconds(t) - m_startS) / m_stepS;
    // A tiny tolerance absorbs the ns rounding of simulation time at the window edges.
    NS_ABORT_MSG_IF(x < -1e-6 || x > (m_nSamples - 1) + 1e-6,
                    "time " << t.GetSeconds() << " s is outside the ephemeris window ["
                            << m_startS << ", " << m_startS + (m_nSamples - 1) * m_stepS
                            << "] s");
    const double clamped = std::clamp(x, 0.0, double(m_nSamples - 1));
    k = std::min(uint32_t(clamped), m_nSamples - 2);
    s = clamped - k;
}

Vector
EphemerisStore::GetPosition(uint32_t node, Time t) const
{
    NS_ASSERT(node < m_nNodes);
    uint32_t k;
    double s;
    Locate(t, k, s);
    // Cubic Hermite basis (positions and velocities at both ends of the interval).
    const double s2 = s * s;
    const double s3 = s2 * s;
    const double h00 = 2 * s3 - 3 * s2 + 1;
    const double h10 = (s3 - 2 * s2 + s) * m_stepS;
    const double h01 = -2 * s3 + 3 * s2;
    const double h11 = (s3 - s2) * m_stepS;
    const double* p0 = &m_state[(std::size_t(node) * m_nSamples + k) * VALUES];
    const double* v0 = p0 + 3;
    const double* p1 = p0 + VALUES;
    const double* v1 = p1 + 3;
    double r[3];
    for (int c = 0; c < 3; ++c)
    {
        r[c] = h00 * p0[c] + h10 * v0[c] + h01 * p1[c] + h11 * v1[c];
    }
    return Vector(r[0], r[1], r[2]);
}

void
EphemerisStore::Prefetch(uint32_t node, Time t) const
{
    if (node >= m_nNodes || m_nSamples < 2)
    {
        return;
    }
    const double x = (CachedSeconds(t) - m_startS) / m_stepS;
    if (!(x >= 0) || x > m_nSamples - 1)
    {
        return;
    }
    const uint32_t k = std::min(uint32_t(x), m_nSamples - 2);
    const char* samples = reinterpret_cast<const char*>(&m_state[(std::size_t(node) * m_nSamples + k) * VALUES]);
    // Two samples of six doubles: 96 bytes over two or three cache lines.
    __builtin_prefetch(samples);
    __builtin_prefetch(samples + 64);
    __builtin_prefetch(samples + 2 * VALUES * sizeof(double) - 1);
}

Vector
EphemerisStore::GetVelocity(uint32_t node, Time t) const
{
    NS_ASSERT(node < m_nNodes);
    uint32_t k;
    double s;
    Locate(t, k, s);
    // Derivative of the Hermite interpolant with respect to time.
    const double d00 = (6 * s * s - 6 * s) / m_stepS;
    const double d10 = 3 * s * s - 4 * s + 1;
    const double d01 = (-6 * s * s + 6 * s) / m_stepS;
    const double d11 = 3 * s * s - 2 * s;
    const double* p0 = &m_state[(std::size_t(node) * m_nSamples + k) * VALUES];
    const double* v0 = p0 + 3;
    const double* p1 = p0 + VALUES;
    const double* v1 = p1 + 3;
    double v[3];
    for (int c = 0; c < 3; ++c)
    {
        v[c] = d00 * p0[c] + d10 * v0[c] + d01 * p1[c] + d11 * v1[c];
    }
    return Vector(v[0], v[1], v[2]);
}

uint32_t
EphemerisStore::GetNNodes() const
{
    return m_nNodes;
}

Time
EphemerisStore::GetWindowStart() const
{
    return Seconds(m_startS);
}

Time
EphemerisStore::GetWindowEnd() const
{
    return Seconds(m_startS + (m_nSamples - 1) * m_stepS);
}

} // namespace ns3
