#ifndef NETSIM_DROP_CLASSIFIER_H
#define NETSIM_DROP_CLASSIFIER_H

#include "laser-net-device.h"
#include "satellite-forwarder.h"

#include "ns3/object.h"
#include "ns3/packet.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ns3
{

/**
 * @brief The books of a run: per flow and direction, packets that entered the fabric,
 * left it at their destination, were lost (by cause) or are still inside it, so that
 * sent = received + lost + in flight can be checked rather than assumed.
 *
 * A packet belongs to flow i when its transport destination port is firstPort + i
 * (UDP, TCP: the forward direction) or its source port is (the TCP ACKs and other
 * segments of the receiver: the reverse direction), or when it is an ICMP echo request
 * (forward) or reply (reverse) carrying the signature of flow i's ns3::Ping in its
 * payload. Everything else is the "no flow" row, so that every packet the core loses is
 * counted somewhere.
 *
 * Rows: 2i = flow i forward, 2i + 1 = flow i reverse, 2 nFlows = no flow.
 * Hooks: the Drop trace sources of laser devices and forwarders (the forwarder's "port
 * refused" drops are left out because the refusing device reports them), and the
 * LocalSend/LocalDeliver trace sources of the endpoints' forwarders. Packets still in
 * queues and on channels at the end are counted with CountInFlight.
 */
class DropClassifier : public Object
{
  public:
    static TypeId GetTypeId();

    /** Causes, in column order: the LaserNetDevice causes, then no route, TTL, not IPv4. */
    enum Cause
    {
        BIT_ERRORS = 0,
        LINK_DOWN = 1,
        QUEUE_FULL = 2,
        HANDOVER = 3,
        NO_ROUTE = 4,
        TTL_EXPIRED = 5,
        NOT_IPV4 = 6,
    };
    static constexpr int N_CAUSES = 7;

    void Setup(uint16_t firstPort, uint32_t nFlows);
    /** ICMP echoes whose payload starts with this ns3::Ping signature belong to flow. */
    void AddPing(uint32_t flow, uint64_t signature);
    void Watch(Ptr<LaserNetDevice> device);
    void Watch(Ptr<SatelliteForwarder> forwarder);
    /** Count the packets an endpoint's forwarder sends into the fabric and delivers to its stack. */
    void WatchEndpoint(Ptr<SatelliteForwarder> forwarder);
    /** Watch a port as LaserFabricHelper creates it (a LaserFabricHelper::PortCallback). */
    void WatchPort(uint32_t node, uint32_t port, Ptr<LaserNetDevice> device);
    /** Count a packet found in a queue or on a channel at the end of the run. */
    void CountInFlight(Ptr<const Packet> p);
    /**
     * Also tell `listener` of every packet counted lost (its row and cause) or in flight
     * (cause -1): the workloads' per-request books (WorkloadRecorder::OnBooks).
     */
    void SetListener(Callback<void, Ptr<const Packet>, uint32_t, int32_t> listener);

    /** @return the number of rows (2 nFlows + 1) */
    uint32_t GetNRows() const;
    /** Copy the loss counts into a caller array of GetNRows() x N_CAUSES (row-major). */
    void CopyCounts(uint64_t* out) const;
    /** Copy per row: packets sent into the fabric, delivered by it, in flight (counted). */
    void CopyBooks(uint64_t* sent, uint64_t* delivered, uint64_t* inFlight) const;

    /** ICMP echo replies delivered to their pinging node: flow, sequence, time (ns). */
    uint64_t GetNPingReplies() const;
    void CopyPingReplies(uint32_t* flow, uint32_t* seq, int64_t* deliveredNs) const;

  private:
    void CountDevice(Ptr<const Packet> p, LaserNetDevice::DropCause cause);
    void CountForwarder(Ptr<const Packet> p, SatelliteForwarder::DropReason reason);
    void CountSent(Ptr<const Packet> p);
    void CountDelivered(Ptr<const Packet> p);
    void Count(Ptr<const Packet> p, Cause cause);
    /**
     * @return the row of a packet (PPP frame or bare IPv4): 2 flow + direction, or the
     * no-flow row; icmpSeq gets the echo sequence number of an ICMP echo (else -1)
     */
    uint32_t RowOf(Ptr<const Packet> p, int32_t* icmpSeq = nullptr) const;

    uint16_t m_firstPort{9000};
    uint32_t m_nFlows{0};
    std::vector<uint64_t> m_counts;
    std::vector<uint64_t> m_sent;
    std::vector<uint64_t> m_delivered;
    std::vector<uint64_t> m_inFlight;
    std::unordered_map<uint64_t, uint32_t> m_pings; // Ping signature -> flow
    std::vector<uint32_t> m_replyFlow;
    std::vector<uint32_t> m_replySeq;
    std::vector<int64_t> m_replyNs;
    // Made once and shared by every hook: a million satellites, one callback object.
    Callback<void, Ptr<const Packet>, LaserNetDevice::DropCause> m_deviceSink;
    Callback<void, Ptr<const Packet>, SatelliteForwarder::DropReason> m_forwarderSink;
    Callback<void, Ptr<const Packet>, uint32_t, int32_t> m_listener;
};

} // namespace ns3

#endif
