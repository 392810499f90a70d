#ifndef NETSIM_DROP_CLASSIFIER_H
#define NETSIM_DROP_CLASSIFIER_H

#include "laser-net-device.h"
#include "satellite-forwarder.h"

#include "ns3/object.h"
#include "ns3/packet.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief Counts lost packets per flow and cause, so a flow table can say how many packets
 * a flow lost to handovers, bit errors, dead links, full queues or missing routes.
 *
 * Flows are told apart by their transport destination port (flow i uses firstPort + i,
 * UDP or TCP). Hooks the Drop trace sources of laser devices and forwarders; the
 * forwarder's "port refused" drops are left out because the refusing device reports them.
 */
class DropClassifier : public Object
{
  public:
    static TypeId GetTypeId();

    /** Causes, in column order: the LaserNetDevice causes, then no route and TTL. */
    enum Cause
    {
        BIT_ERRORS = 0,
        LINK_DOWN = 1,
        QUEUE_FULL = 2,
        HANDOVER = 3,
        NO_ROUTE = 4,
        TTL_EXPIRED = 5,
    };
    static constexpr int N_CAUSES = 6;

    void Setup(uint16_t firstPort, uint32_t nFlows);
    void Watch(Ptr<LaserNetDevice> device);
    void Watch(Ptr<SatelliteForwarder> forwarder);
    /** Watch a port as LaserFabricHelper creates it (a LaserFabricHelper::PortCallback). */
    void WatchPort(uint32_t node, uint32_t port, Ptr<LaserNetDevice> device);
    /** Copy the counts into a caller array of nFlows x N_CAUSES (row-major). */
    void CopyCounts(uint64_t* out) const;

  private:
    void CountDevice(Ptr<const Packet> p, LaserNetDevice::DropCause cause);
    void CountForwarder(Ptr<const Packet> p, SatelliteForwarder::DropReason reason);
    void Count(Ptr<const Packet> p, Cause cause);
    /** @return the flow of a packet (PPP frame or bare IPv4), or -1 */
    int64_t FlowOf(Ptr<const Packet> p) const;

    uint16_t m_firstPort{9000};
    uint32_t m_nFlows{0};
    std::vector<uint64_t> m_counts;
    // Made once and shared by every hook: a million satellites, one callback object.
    Callback<void, Ptr<const Packet>, LaserNetDevice::DropCause> m_deviceSink;
    Callback<void, Ptr<const Packet>, SatelliteForwarder::DropReason> m_forwarderSink;
};

} // namespace ns3

#endif
