#ifndef NETSIM_LASER_CHANNEL_H
#define NETSIM_LASER_CHANNEL_H

#include "ephemeris-store.h"
#include "laser-net-device.h"

#include "ns3/channel.h"
#include "ns3/mobility-model.h"
#include "ns3/nstime.h"
#include "ns3/packet.h"
#include "ns3/scheduler.h"
#include "ns3/traced-callback.h"

#include <cstdint>
#include <list>

namespace ns3
{

/**
 * @brief A free-space laser link between two terminals, with a propagation delay
 * computed from the two ends' positions at the moment each packet is sent.
 *
 * The ends are re-pointable: a handover connects the same channel to another peer.
 * Positions come from each node's MobilityModel (EphemerisMobilityModel for satellites
 * and ground stations), in m; the delay is the straight-line distance over c, since in
 * vacuum the group index is 1.
 */
class LaserChannel : public Channel
{
  public:
    static TypeId GetTypeId();

    /** Speed of light in vacuum, m/s (SI definition). */
    static constexpr double SPEED_OF_LIGHT_MPS = 299792458.0;

    /** Point this channel's two ends at devices a and b (each must be free). */
    void Connect(Ptr<LaserNetDevice> a, Ptr<LaserNetDevice> b);
    /** Release both ends; the devices see their link go down. */
    void Disconnect();
    bool IsConnected() const;

    /** @return the device at the other end from dev, or null */
    Ptr<LaserNetDevice> GetPeer(Ptr<const LaserNetDevice> dev) const;
    /** @return distance between the ends now, m */
    double GetDistance() const;
    /**
     * Light time from src to its peer for light leaving src now: the peer moves while
     * the light flies, so tau solves |r_peer(t + tau) - r_src(t)| = c tau.
     */
    Time GetLightTime(Ptr<const LaserNetDevice> src) const;

    /**
     * Start sending p from src; the peer receives it after txTime plus the
     * propagation delay at this instant. The channel holds p itself, not a copy, until
     * then: the sender must not change it. label goes to the receiver's take-over
     * look-ahead (LaserNetDevice::SendFrame).
     * @return false if the channel is not connected
     */
    bool TransmitStart(const Ptr<Packet>& p,
                       LaserNetDevice* src,
                       Time txTime,
                       uint32_t label = LaserNetDevice::NO_LABEL);

    /**
     * The hand-over of a packet to a receiving terminal that lives in another process (an
     * MPI rank): packet (with a LaserCorruptionTag), arrival time, receiving node id and
     * the device's interface index there. Set once per process (netsim's MPI bridge:
     * MpiInterface::SendPacket); without it every terminal is local.
     */
    typedef Callback<void, Ptr<Packet>, const Time&, uint32_t, uint32_t> RemoteSender;
    /** Send packets for nodes whose system id is not `localSystemId` through `sender`. */
    static void SetRemoteSender(RemoteSender sender, uint32_t localSystemId);

    /** Call f for every packet on its way over this channel (sent, not yet received). */
    void ForEachInFlight(Callback<void, Ptr<const Packet>> f) const;
    /** @return how many packets are on their way over this channel */
    std::size_t GetNInFlight() const;

    std::size_t GetNDevices() const override;
    Ptr<NetDevice> GetDevice(std::size_t i) const override;

    /**
     * The event queue's look-ahead (TimeWindowScheduler::SetLookAhead): for each of the
     * events due next that is a packet's arrival, fetch into the cache, a step further at
     * each call, what the arrival and the hop after it will read: the packet, this channel
     * and the receiving terminal; the receiver's forwarding decision (its take-over
     * look-ahead, from the sender's label); the terminal the packet leaves by, its channel,
     * and both ends' ephemeris samples and the next receiver's pointing state.
     */
    static void PrefetchArrivals(const Scheduler::Event* next, std::size_t count);

  private:
    class DeliverEvent;
    /** Fetch the members an arrival or a transmission reads of this channel. */
    void PrefetchMembers() const;
    /** The packets on their way, oldest first: their arrival events, linked through them. */
    void Link(DeliverEvent* event);
    void Unlink(DeliverEvent* event);
    int IndexOf(const LaserNetDevice* dev) const;
    /** Position and velocity of an end now, m and m/s. */
    Vector PositionOf(int end) const;
    Vector VelocityOf(int end) const;
    /** Light time, s, from txPos to a receiver at rxPos moving at rxVel. */
    static double LightTimeS(const Vector& txPos, const Vector& rxPos, const Vector& rxVel);

    /** A packet handed to another rank: in flight (for the run's books) until it arrives. */
    struct RemoteInFlight
    {
        Ptr<Packet> packet;
        Time arrival;
    };
    void DropArrivedRemote() const;
    /** The TxRxLaser trace, its arguments built only for a listener. */
    void TraceTxRx(const Ptr<Packet>& p, LaserNetDevice* src, LaserNetDevice* dst, Time txTime, Time delay) const;

    static RemoteSender s_remoteSender;
    static uint32_t s_localSystemId;

    Ptr<LaserNetDevice> m_end[2];
    /** Lower bound on the light time over this link: lookahead of ns-3's distributed engine. */
    Time m_lookahead;
    /** A list, not a deque: an empty std::deque holds a 512-byte block, ~60 % of a
     * channel's memory, and a million-satellite fabric has ~5 M channels, nearly all
     * without a remote end. */
    mutable std::list<RemoteInFlight> m_remoteInFlight;
    Ptr<MobilityModel> m_mobility[2];
    /** Both ends' ephemeris rows when both move by one EphemerisStore (else null): read
     * directly, a hop skips two mobility objects (cache misses at a million nodes). */
    const EphemerisStore* m_ephemeris = nullptr;
    uint32_t m_ephemerisRow[2] = {0, 0};
    /** Each end's node's system id (MPI rank): a hop checks it without the node. */
    uint32_t m_endSystemId[2] = {0, 0};
    /** Packets propagating (also those sent before a re-pointing): the run's books count
     * them. Each arrival event is a link of this list, so a hop allocates one object. */
    DeliverEvent* m_firstInFlight = nullptr;
    DeliverEvent* m_lastInFlight = nullptr;

    /** packet, source device, sink device, transmission time, propagation delay */
    TracedCallback<Ptr<const Packet>, Ptr<NetDevice>, Ptr<NetDevice>, Time, Time> m_txrxTrace;
};

} // namespace ns3

#endif
