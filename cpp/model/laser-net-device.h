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

namespace ns3
{

class LaserChannel;

/**
 * @brief A laser terminal seen as a network device: a transmit queue feeding an
 * on-off-keyed laser at a fixed line rate (10 Gbps by default) over a LaserChannel.
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
    void Receive(Ptr<Packet> p, bool corrupted);

    /** The optical model of this terminal (null: an ideal, error-free link). */
    Ptr<OpticalLinkModel> GetLinkModel() const;
    void SetLinkModel(Ptr<OpticalLinkModel> model);
    /** Seed this terminal's random stream (one stream per link end, reproducible). */
    void SetRandomStream(uint64_t seed);
    /** @return a uniform draw in [0, 1) from this terminal's stream */
    double NextUniform();
    /** Two independent standard normal draws from this terminal's stream. */
    void NextNormalPair(double& a, double& b);
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
    void SetNode(Ptr<Node> node) override;
    bool NeedsArp() const override;
    void SetReceiveCallback(NetDevice::ReceiveCallback cb) override;
    void SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb) override;
    bool SupportsSendFrom() const override;

  protected:
    void DoDispose() override;

  private:
    /** Put the next queued frame on the wire, if the transmitter is idle. */
    void StartNextTransmission();
    void TransmitComplete();
    void UpdateLinkState();

    /** PPP protocol field for an EtherType (RFC 1661; IPv4 0x0021, IPv6 0x0057). */
    static uint16_t EtherToPpp(uint16_t proto);
    static uint16_t PppToEther(uint16_t proto);

    Ptr<Node> m_node;
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
    Ptr<Packet> m_currentPkt;
    DataRate m_bps;
    Mac48Address m_address;
    uint32_t m_ifIndex{0};
    uint16_t m_mtu;
    bool m_linkUp{false};

    NetDevice::ReceiveCallback m_rxCallback;
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
