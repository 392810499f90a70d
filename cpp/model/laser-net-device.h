#ifndef NETSIM_LASER_NET_DEVICE_H
#define NETSIM_LASER_NET_DEVICE_H

#include "optical-link-model.h"

#include "ns3/data-rate.h"
#include "ns3/event-id.h"
#include "ns3/mac48-address.h"
#include "ns3/net-device.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/packet.h"
#include "ns3/queue.h"
#include "ns3/traced-callback.h"

#include <utility>
#include <vector>

namespace ns3
{

class LaserChannel;

/**
 * @brief A laser terminal seen as a network device: a transmit queue feeding an
 * on-off-keyed laser at a fixed line rate (10 Gbps by default) over a LaserChannel.
 *
 * A terminal may carry a lane of several channels (attribute Channels): parallel
 * transmitters at the line rate each, with a transmit queue each. A packet goes to the
 * channel its flow hashes to (IPv4 addresses, protocol and ports), so one flow never
 * exceeds one channel's rate and is never reordered.
 *
 * Frames carry a PPP header so pcap traces open in Wireshark as DLT_PPP, like ns-3's
 * point-to-point device. The link is up while the device is attached to a connected
 * channel and not administratively down (a terminal that is slewing or acquiring).
 */
class LaserNetDevice : public NetDevice
{
  public:
    static TypeId GetTypeId();

    /** Why the device lost a packet (the Drop trace source and GetDropCount). */
    enum DropCause
    {
        DROP_BIT_ERRORS = 0, //!< the packet arrived with bit errors (link budget)
        DROP_LINK_DOWN = 1,  //!< no usable link: no peer, or the margin is lost
        DROP_QUEUE = 2,      //!< the transmit queue was full
        DROP_HANDOVER = 3,   //!< the terminal was slewing or acquiring a new peer
    };
    static constexpr int N_DROP_CAUSES = 4;

    /** Life cycle of the terminal's link (trace source TerminalState). */
    enum TerminalState
    {
        TERMINAL_IDLE = 0,      //!< no peer
        TERMINAL_SLEWING = 1,   //!< turning toward a new peer: dark
        TERMINAL_ACQUIRING = 2, //!< acquisition and tracking lock-in: dark
        TERMINAL_UP = 3,        //!< tracking its peer: the link carries packets
    };

    LaserNetDevice();
    ~LaserNetDevice() override;

    void SetDataRate(DataRate bps);
    DataRate GetDataRate() const;
    void SetQueue(Ptr<Queue<Packet>> queue);
    /**
     * The transmit queue. A device creates its DropTailQueue (TxQueueSize) on first use:
     * most terminals of a large fabric never carry a packet, and a queue costs ~0.5 KB.
     */
    Ptr<Queue<Packet>> GetQueue();
    /** @return the transmit queue, or null while none was created */
    Ptr<Queue<Packet>> GetQueueIfCreated() const;
    /** @return frames waiting in the transmit queues of all channels */
    uint32_t GetNQueued() const;
    /** Channels of the lane (parallel transmitters at the line rate). */
    void SetChannels(uint32_t channels);
    uint32_t GetChannels() const;
    /**
     * Fluid background load this terminal carries beside its packets (all channels
     * together), a share rho of each channel (at most 1 - MinPacketShare). Packets see
     * it three ways (docs/workloads.md, "Background load"): each waits rho x half a
     * background frame (the frame in service when it arrives, on average), is
     * serialised at DataRate, and the channel then stays busy with background for
     * rho / (1 - rho) of its serialisation time, so packets get (1 - rho) x DataRate;
     * and they may fill only (1 - rho) of the transmit queue (the rest holds background).
     */
    void SetBackgroundRate(DataRate bps);
    void SetMinPacketShare(double share);
    /** @return rho: the share of each channel the background holds */
    double GetBackgroundShare() const;
    /**
     * The channel of a flow in a lane of `channels`: a fixed hash of the IPv4 source and
     * destination, protocol and ports (0 for protocols without ports), as LAG/ECMP do.
     */
    static uint32_t LaneOfFlow(uint32_t src, uint32_t dst, uint8_t protocol, uint16_t srcPort,
                               uint16_t dstPort, uint32_t channels);
    /**
     * @return the channel a packet takes: an IPv4 datagram starting `offset` bytes in (0
     * before framing, PPP_HEADER_BYTES for a frame)
     */
    uint32_t LaneOf(const Packet& p, uint32_t offset = 0) const;
    /** Bytes of the PPP header in front of every frame */
    static constexpr uint32_t PPP_HEADER_BYTES = 2;
    /**
     * Call f for every frame waiting in the transmit queue, in order, leaving the queue as
     * it is (the run's books count them at the end).
     */
    void ForEachQueued(Callback<void, Ptr<const Packet>> f) const;
    /** Frames the laser started sending (PhyTxBegin) and their bytes, PPP framing included. */
    uint64_t GetTxFrames() const;
    uint64_t GetTxBytes() const;

    /** Called by LaserChannel::Connect. */
    void Attach(Ptr<LaserChannel> channel);
    /** Called by LaserChannel::Disconnect; the link goes down. */
    void Detach();
    /**
     * Start the life cycle toward the connected peer: slewing for slew, acquiring for
     * acquisition, then up. Zero durations skip a phase; a new call or Detach cancels it.
     */
    void StartAcquisition(Time slew, Time acquisition);
    TerminalState GetTerminalState() const;

    /** Called by the channel when the last bit of p arrives; corrupted = bit errors. */
    void Receive(const Ptr<Packet>& p, bool corrupted, uint32_t label = NO_LABEL);
    /** Fetch into the cache the members Receive reads (a pending arrival's look-ahead). */
    void PrefetchReceive() const;
    /**
     * A frame's label when its sender gave none. A label is what a take-over receiver
     * forwarded the frame by (a forwarder's destination column): the next take-over
     * receiver of the same fabric may forward by it instead of reading the headers, as
     * an MPLS label switch does. It travels on the arrival, not in the frame's bytes.
     */
    static constexpr uint32_t NO_LABEL = UINT32_MAX;
    /**
     * A receiver that takes arriving frames over (the node's forwarder): it gets each
     * frame as it arrived, PPP header first, and its label (or NO_LABEL), and may change
     * the frame in place, since the device keeps no reference to it (a promiscuous
     * callback and the MacRx trace get copies), and pass it on unchanged with SendFrame.
     * The receiver set last (this or the NetDevice receive callback) gets the packets.
     * A function and its receiver, not a Callback: it runs at every hop, and a Callback
     * reaches the function through two allocations of its own, which miss the cache when
     * a million nodes' receivers take turns.
     */
    typedef bool (*TakeOver)(void* receiver, const Ptr<Packet>& frame, uint32_t label);
    /**
     * A take-over receiver's look-ahead (the event queue's, for a frame due to arrive
     * soon): in steps a pop apart, it fetches what the receiver will read for a frame
     * with `label` and at the last step names the port the frame will leave by. Step 0
     * gets state null; each step gets what the one before returned; null ends it (nothing
     * more known). It only reads and fetches: the receiver decides when the frame arrives.
     */
    typedef const void* (*TakeOverLookAhead)(const void* receiver, uint32_t label, uint32_t step, const void* state);
    /** Steps of a TakeOverLookAhead; the last returns the LaserNetDevice the frame leaves by. */
    static constexpr uint32_t TAKE_OVER_LOOK_AHEAD_STEPS = 3;
    /** Hand arriving frames to `takeOver(receiver, ...)`; the receiver outlives the device's use of it. */
    void SetTakeOver(void* receiver, TakeOver takeOver, TakeOverLookAhead lookAhead = nullptr);
    /** One step of the take-over receiver's look-ahead (null without one). */
    const void* LookAheadTakeOver(uint32_t label, uint32_t step, const void* state) const;
    /**
     * Send a frame that already carries its PPP header (an IPv4 frame taken over from
     * another port): what Send does after framing. A transit hop thus neither removes
     * nor re-adds the header. The label reaches the peer's take-over receiver when the
     * frame goes straight on the wire; a frame that waits in the queue arrives without.
     */
    bool SendFrame(const Ptr<Packet>& frame, uint32_t label = NO_LABEL);
    /** Fetch into the cache what sending a frame reads of this terminal and its queue. */
    void PrefetchSend() const;
    /** Fetch what a transmission reads of its receiving terminal (node, blocking, pointing). */
    void PrefetchPeer() const;
    /** Fetch what sending reads of this terminal's queue (whether it is empty). */
    void PrefetchQueue() const;
    /** @return the channel, without taking a reference (a look-ahead's way to it) */
    const LaserChannel* PeekChannel() const;
    /**
     * A packet from a terminal on another MPI rank (through an MpiReceiver): the sending
     * rank's verdict travels in its LaserCorruptionTag.
     */
    void ReceiveFromRemote(Ptr<Packet> p);

    /** The optical model of this terminal (null: an ideal, error-free link). */
    Ptr<OpticalLinkModel> GetLinkModel() const;
    /** The same, without a reference counted (the channel asks at every hop). */
    const OpticalLinkModel* PeekLinkModel() const;
    void SetLinkModel(Ptr<OpticalLinkModel> model);
    /** Seed this terminal's random stream (one stream per link end, reproducible). */
    void SetRandomStream(uint64_t seed);
    /** @return a uniform draw in [0, 1) from this terminal's stream */
    double NextUniform();
    /** Two independent standard normal draws from this terminal's stream. */
    void NextNormalPair(double& a, double& b);
    /**
     * This terminal's pointing jitter now, per axis in units of its rms: independent
     * standard normals at every call (correlationS = 0, white jitter), or an
     * Ornstein-Uhlenbeck process with that correlation time, advanced exactly from the
     * last sample: x <- a x + sqrt(1 - a^2) n, a = exp(-dt / correlationS).
     */
    void SamplePointing(double correlationS, double& x, double& y);
    /**
     * One pointing draw. White jitter is kept as its Box-Muller radius and angle: the
     * radius alone bounds the radial error, which often settles a packet's fate without
     * the angle's sine and cosine. Correlated jitter (or none) is known exactly.
     */
    struct PointingDraw
    {
        double biasRad;
        double jitterRad;
        double radius;
        double angle;
        double error{-1}; //!< >= 0: the radial error, already exact
        /** @return an upper bound of Error() (bias + jitter x radius), with room for rounding */
        double MaxError() const;
        /** @return the radial error, hypot(bias + jitter x, jitter y), rad */
        double Error() const;
    };
    /** @return the radial pointing error |(bias + jitter x, jitter y)| (Rice), rad */
    static double RadialError(double biasRad, double jitterRad, double x, double y);
    /**
     * Draw this terminal's pointing error with a static bias and an rms jitter per axis
     * (no draw when the jitter is 0), the jitter white or with that correlation time:
     * the same draws and state as SamplePointing(correlationS).
     */
    PointingDraw DrawPointing(double correlationS, double biasRad, double jitterRad);
    /**
     * The link through this terminal is blocked (clouds over a ground station) during the
     * intervals [start[i], end[i]) s, which must not overlap; replaces the earlier list.
     */
    void SetBlockedIntervals(const double* startS, const double* endS, uint32_t n);
    /** @return true while a blocked interval covers time t */
    bool IsBlocked(Time t) const;
    /** Count and trace a lost packet. */
    void NotifyDrop(Ptr<const Packet> p, DropCause cause);
    uint64_t GetDropCount(DropCause cause) const;

    // NetDevice
    void SetIfIndex(const uint32_t index) override;
    uint32_t GetIfIndex() const override;
    Ptr<Channel> GetChannel() const override;
    void SetAddress(Address address) override;
    Address GetAddress() const override;
    bool SetMtu(const uint16_t mtu) override;
    uint16_t GetMtu() const override;
    bool IsLinkUp() const override;
    void AddLinkChangeCallback(Callback<void> callback) override;
    bool IsBroadcast() const override;
    Address GetBroadcast() const override;
    bool IsMulticast() const override;
    Address GetMulticast(Ipv4Address multicastGroup) const override;
    Address GetMulticast(Ipv6Address addr) const override;
    bool IsPointToPoint() const override;
    bool IsBridge() const override;
    bool Send(Ptr<Packet> packet, const Address& dest, uint16_t protocolNumber) override;
    bool SendFrom(Ptr<Packet> packet,
                  const Address& source,
                  const Address& dest,
                  uint16_t protocolNumber) override;
    Ptr<Node> GetNode() const override;
    /** @return the id of the device's node (kept here: the channel asks at every packet) */
    uint32_t GetNodeId() const;
    void SetNode(Ptr<Node> node) override;
    bool NeedsArp() const override;
    void SetReceiveCallback(NetDevice::ReceiveCallback cb) override;
    void SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb) override;
    bool SupportsSendFrom() const override;

  protected:
    void DoDispose() override;

  private:
    /** A frame (PPP header on) onto channel `lane`: straight to the wire if nothing waits, else queued. */
    bool SendOnLane(uint32_t lane, const Ptr<Packet>& frame, uint32_t label = NO_LABEL);
    /** While the link is not up: count and trace p as refused (true); else false. */
    bool RefusedWhileDown(const Ptr<Packet>& p);
    /** Put the next queued frame of a channel on the wire, if its transmitter is idle. */
    void StartNextTransmission(uint32_t lane = 0);
    void TransmitComplete(uint32_t lane);
    /** A frame to the sniffer traces and then `trace`, each only if someone listens. */
    void TraceFrame(const Ptr<Packet>& p, const TracedCallback<Ptr<const Packet>>& trace) const;
    class TransmitCompleteEvent;
    /** The transmit queue of a channel (lane 0: the TxQueue), created on first use. */
    Ptr<Queue<Packet>> GetLaneQueue(uint32_t lane);
    void UpdateLinkState();

    /** PPP protocol field for an EtherType (RFC 1661; IPv4 0x0021, IPv6 0x0057). */
    static uint16_t EtherToPpp(uint16_t proto);
    static uint16_t PppToEther(uint16_t proto);

    Ptr<Node> m_node;
    uint32_t m_nodeId{0};
    Ptr<LaserChannel> m_channel;
    Ptr<OpticalLinkModel> m_linkModel;
    uint64_t m_rngState{0x9E3779B97F4A7C15ULL};
    uint64_t m_drops[N_DROP_CAUSES]{0, 0, 0, 0};
    TracedCallback<Ptr<const Packet>, DropCause> m_dropTrace;
    TerminalState m_state{TERMINAL_IDLE};
    EventId m_stateEvent;
    TracedCallback<TerminalState, TerminalState> m_stateTrace;
    void SetTerminalState(TerminalState state);
    /** Drop cause for a packet refused while the link is down. */
    DropCause DownCause() const;
    Ptr<Queue<Packet>> m_queue;
    QueueSize m_queueSize;
    uint64_t m_txFrames{0};
    uint64_t m_txBytes{0};
    /**
     * A channel's transmitter. A frame's end is an event only when something waits for it
     * (a queued frame, a PhyTxEnd listener): in a fabric that is not congested most frames
     * leave an idle transmitter and need none, which saves one event per hop.
     */
    struct Transmitter
    {
        int64_t busyUntil{0}; //!< when the channel can take the next frame, in time steps
                              //!< (not a Time: ns-3 tracks every Time made before a run)
        bool wakeUp{false}; //!< a TransmitComplete event is pending
        Ptr<Packet> onWire; //!< a copy of the frame on the wire, for PhyTxEnd listeners only
    };
    Transmitter m_firstTx;             //!< channel 0's, in the device: one cache line fewer per hop
    std::vector<Transmitter> m_moreTx; //!< channels 1..n-1 (sized by SetChannels)
    Transmitter& Tx(uint32_t lane);
    const Transmitter& Tx(uint32_t lane) const;
    /** @return true while the channel's transmitter cannot take a frame */
    bool IsBusy(uint32_t lane) const;
    void ScheduleWakeUp(uint32_t lane, Time delay);
    /** Put p on the wire of an idle channel. */
    void Transmit(uint32_t lane, const Ptr<Packet>& p, uint32_t label = NO_LABEL);
    /** @return true when no frame waits for the channel (its queue may not exist yet) */
    bool LaneQueueIsEmpty(uint32_t lane) const;
    bool m_userQueue{false}; //!< the queue came from SetQueue: every frame passes through it
    std::vector<Ptr<Queue<Packet>>> m_laneQueues; //!< queues of channels 1..n-1
    uint32_t m_channels{1};
    double m_pointX{0};
    double m_pointY{0};
    double m_pointTimeS{-1}; //!< time of the last pointing sample; < 0: none yet
    // A white draw not yet resolved into m_pointX / m_pointY (DrawPointing): its
    // Box-Muller radius and angle.
    bool m_pointUnresolved{false};
    double m_pointRadius{0};
    double m_pointAngle{0};
    std::vector<std::pair<double, double>> m_blocked;
    DataRate m_bps;
    DataRate m_background{0};
    double m_minPacketShare{0.01};
    uint32_t m_backgroundFrameBytes{1500};
    Mac48Address m_address;
    uint32_t m_ifIndex{0};
    uint16_t m_mtu;
    bool m_linkUp{false};

    NetDevice::ReceiveCallback m_rxCallback;
    TakeOver m_takeOver{nullptr};
    TakeOverLookAhead m_takeOverLookAhead{nullptr};
    void* m_takeOverReceiver{nullptr};
    NetDevice::PromiscReceiveCallback m_promiscCallback;
    TracedCallback<> m_linkChangeCallbacks;

    TracedCallback<Ptr<const Packet>> m_macTxTrace;
    TracedCallback<Ptr<const Packet>> m_macTxDropTrace;
    TracedCallback<Ptr<const Packet>> m_macRxTrace;
    TracedCallback<Ptr<const Packet>> m_phyTxBeginTrace;
    TracedCallback<Ptr<const Packet>> m_phyTxEndTrace;
    TracedCallback<Ptr<const Packet>> m_phyTxDropTrace;
    TracedCallback<Ptr<const Packet>> m_phyRxEndTrace;
    TracedCallback<Ptr<const Packet>> m_phyRxDropTrace;
    TracedCallback<Ptr<const Packet>> m_snifferTrace;
    TracedCallback<Ptr<const Packet>> m_promiscSnifferTrace;
};

} // namespace ns3

#endif
