#include "laser-net-device.h"

#include "laser-channel.h"
#include "laser-corruption-tag.h"
#include "time-cache.h"

#include "ns3/abort.h"
#include "ns3/data-rate.h"
#include "ns3/drop-tail-queue.h"
#include "ns3/log.h"
#include "ns3/pointer.h"
#include "ns3/ppp-header.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"
#include "ns3/double.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace ns3
{

/**
 * The default transmit queue: drop-tail, like DropTailQueue, and its frames can be read
 * in place (the run's books count them at the end).
 */
class LaserTxQueue : public Queue<Packet>
{
  public:
    static TypeId GetTypeId()
    {
        static TypeId tid = TypeId("ns3::LaserTxQueue")
                                .SetParent<Queue<Packet>>()
                                .SetGroupName("Netsim")
                                .AddConstructor<LaserTxQueue>();
        return tid;
    }

    bool Enqueue(Ptr<Packet> item) override
    {
        return DoEnqueue(GetContainer().end(), item);
    }

    Ptr<Packet> Dequeue() override
    {
        return DoDequeue(GetContainer().begin());
    }

    Ptr<Packet> Remove() override
    {
        return DoRemove(GetContainer().begin());
    }

    Ptr<const Packet> Peek() const override
    {
        return DoPeek(GetContainer().begin());
    }

    void ForEach(const Callback<void, Ptr<const Packet>>& f) const
    {
        for (const auto& p : GetContainer())
        {
            f(p);
        }
    }
};

NS_OBJECT_ENSURE_REGISTERED(LaserTxQueue);

NS_LOG_COMPONENT_DEFINE("LaserNetDevice");
NS_OBJECT_ENSURE_REGISTERED(LaserNetDevice);

TypeId
LaserNetDevice::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::LaserNetDevice")
            .SetParent<NetDevice>()
            .SetGroupName("Netsim")
            .AddConstructor<LaserNetDevice>()
            .AddAttribute("Mtu",
                          "The MAC-level maximum transmission unit, bytes.",
                          UintegerValue(1500),
                          MakeUintegerAccessor(&LaserNetDevice::SetMtu, &LaserNetDevice::GetMtu),
                          MakeUintegerChecker<uint16_t>())
            .AddAttribute("Address",
                          "The MAC address of this device.",
                          Mac48AddressValue(Mac48Address("ff:ff:ff:ff:ff:ff")),
                          MakeMac48AddressAccessor(&LaserNetDevice::m_address),
                          MakeMac48AddressChecker())
            .AddAttribute("DataRate",
                          "Line rate of the laser (on-off keying, one bit per symbol).",
                          DataRateValue(DataRate("10Gbps")),
                          MakeDataRateAccessor(&LaserNetDevice::m_bps),
                          MakeDataRateChecker())
            .AddAttribute("TxQueue",
                          "The transmit queue in front of the laser (default: a drop-tail LaserTxQueue "
                          "of TxQueueSize, created on first use).",
                          PointerValue(),
                          MakePointerAccessor(&LaserNetDevice::m_queue),
                          MakePointerChecker<Queue<Packet>>())
            .AddAttribute("TxQueueSize",
                          "Capacity of the default transmit queue.",
                          QueueSizeValue(QueueSize("100p")),
                          MakeQueueSizeAccessor(&LaserNetDevice::m_queueSize),
                          MakeQueueSizeChecker())
            .AddAttribute("Channels",
                          "Channels of the terminal's lane: parallel transmitters at DataRate "
                          "each, one transmit queue of TxQueueSize each; a flow keeps to one.",
                          UintegerValue(1),
                          MakeUintegerAccessor(&LaserNetDevice::SetChannels, &LaserNetDevice::GetChannels),
                          MakeUintegerChecker<uint32_t>(1, 4096))
            .AddAttribute("BackgroundRate",
                          "Fluid background load the terminal carries (all channels together); "
                          "packets get what is left of DataRate on each channel.",
                          DataRateValue(DataRate(0)),
                          MakeDataRateAccessor(&LaserNetDevice::m_background),
                          MakeDataRateChecker())
            .AddAttribute("BackgroundFrameBytes",
                          "Size of the background's frames (the wait for the one in service).",
                          UintegerValue(1500),
                          MakeUintegerAccessor(&LaserNetDevice::m_backgroundFrameBytes),
                          MakeUintegerChecker<uint32_t>(1, 65535))
            .AddAttribute("MinPacketShare",
                          "Share of DataRate packets keep when the background fills the terminal.",
                          DoubleValue(0.01),
                          MakeDoubleAccessor(&LaserNetDevice::m_minPacketShare),
                          MakeDoubleChecker<double>(1e-6, 1.0))
            .AddAttribute("LinkModel",
                          "Optical link budget and bit-error model; none = ideal link.",
                          PointerValue(),
                          MakePointerAccessor(&LaserNetDevice::m_linkModel),
                          MakePointerChecker<OpticalLinkModel>())
            .AddTraceSource("Drop",
                            "A packet was lost: packet, cause (bit errors, link down, queue).",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_dropTrace),
                            "ns3::LaserNetDevice::DropCallback")
            .AddTraceSource("TerminalState",
                            "The terminal's link changed state: old, new (idle, slewing, "
                            "acquiring, up).",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_stateTrace),
                            "ns3::LaserNetDevice::TerminalStateCallback")
            .AddTraceSource("MacTx",
                            "A packet arrived from above for transmission.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_macTxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("MacTxDrop",
                            "A packet was dropped before transmission: link down or queue full.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_macTxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("MacRx",
                            "A packet was received and passed up the stack.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_macRxTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyTxBegin",
                            "The laser started sending a packet.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_phyTxBeginTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyTxEnd",
                            "The laser finished sending a packet.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_phyTxEndTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyTxDrop",
                            "A packet was lost at the transmitter because the channel "
                            "had no peer.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_phyTxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyRxEnd",
                            "The last bit of a packet arrived.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_phyRxEndTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PhyRxDrop",
                            "A packet arrived with bit errors and was discarded.",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_phyRxDropTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("Sniffer",
                            "Non-promiscuous packet sniffer (pcap).",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_snifferTrace),
                            "ns3::Packet::TracedCallback")
            .AddTraceSource("PromiscSniffer",
                            "Promiscuous packet sniffer (pcap).",
                            MakeTraceSourceAccessor(&LaserNetDevice::m_promiscSnifferTrace),
                            "ns3::Packet::TracedCallback");
    return tid;
}

LaserNetDevice::LaserNetDevice()
    : m_bps(DataRate("10Gbps")),
      m_mtu(1500)
{
}

LaserNetDevice::~LaserNetDevice() = default;

void
LaserNetDevice::DoDispose()
{
    m_node = nullptr;
    m_channel = nullptr;
    m_stateEvent.Cancel();
    m_queue = nullptr;
    m_laneQueues.clear();
    m_linkModel = nullptr;
    m_firstTx.onWire = nullptr;
    m_moreTx.clear();
    m_rxCallback = MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t,
                                    const Address&>();
    m_takeOver = nullptr;
    m_takeOverLookAhead = nullptr;
    m_takeOverReceiver = nullptr;
    m_promiscCallback = MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t,
                                         const Address&, const Address&, PacketType>();
    NetDevice::DoDispose();
}

void
LaserNetDevice::SetDataRate(DataRate bps)
{
    m_bps = bps;
}

DataRate
LaserNetDevice::GetDataRate() const
{
    return m_bps;
}

void
LaserNetDevice::SetQueue(Ptr<Queue<Packet>> queue)
{
    m_queue = queue;
    m_userQueue = true;
}

Ptr<Queue<Packet>>
LaserNetDevice::GetQueue()
{
    if (!m_queue)
    {
        m_queue = CreateObject<LaserTxQueue>();
        m_queue->SetMaxSize(m_queueSize);
    }
    return m_queue;
}

Ptr<Queue<Packet>>
LaserNetDevice::GetQueueIfCreated() const
{
    return m_queue;
}

void
LaserNetDevice::ForEachQueued(Callback<void, Ptr<const Packet>> f) const
{
    std::vector<Ptr<Queue<Packet>>> queues{m_queue};
    queues.insert(queues.end(), m_laneQueues.begin(), m_laneQueues.end());
    for (const auto& q : queues)
    {
        if (!q)
        {
            continue;
        }
        if (Ptr<LaserTxQueue> queue = DynamicCast<LaserTxQueue>(q))
        {
            queue->ForEach(f);
            continue;
        }
        // A queue of another type (TxQueue attribute): take every frame out and put it back.
        for (uint32_t i = 0, n = q->GetNPackets(); i < n; ++i)
        {
            Ptr<Packet> p = q->Dequeue();
            f(p);
            q->Enqueue(p);
        }
    }
}

uint32_t
LaserNetDevice::GetNQueued() const
{
    uint32_t n = m_queue ? m_queue->GetNPackets() : 0;
    for (const auto& q : m_laneQueues)
    {
        n += q ? q->GetNPackets() : 0;
    }
    return n;
}

void
LaserNetDevice::SetChannels(uint32_t channels)
{
    NS_ABORT_MSG_IF(channels < 1, "a lane has at least one channel");
    m_channels = channels;
    if (m_moreTx.size() < channels - 1)
    {
        m_moreTx.resize(channels - 1); // never shrinks: a pending wake-up may name a lane
    }
}

uint32_t
LaserNetDevice::GetChannels() const
{
    return m_channels;
}

void
LaserNetDevice::SetBackgroundRate(DataRate bps)
{
    m_background = bps;
}

void
LaserNetDevice::SetMinPacketShare(double share)
{
    NS_ABORT_MSG_IF(!(share > 0 && share <= 1), "MinPacketShare is in (0, 1]");
    m_minPacketShare = share;
}

double
LaserNetDevice::GetBackgroundShare() const
{
    if (m_background.GetBitRate() == 0)
    {
        return 0.0;
    }
    // The background spreads over the lane's channels like the packets' flows do.
    const double rho = double(m_background.GetBitRate()) / m_channels / double(m_bps.GetBitRate());
    return std::min(rho, 1.0 - m_minPacketShare);
}

namespace
{
uint64_t
Mix64(uint64_t z)
{
    // SplitMix64's finaliser: every input bit moves every output bit.
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
} // namespace

uint32_t
LaserNetDevice::LaneOfFlow(uint32_t src, uint32_t dst, uint8_t protocol, uint16_t srcPort, uint16_t dstPort,
                           uint32_t channels)
{
    if (channels <= 1)
    {
        return 0;
    }
    const uint64_t addresses = uint64_t(src) << 32 | dst;
    const uint64_t rest = uint64_t(protocol) << 32 | uint64_t(srcPort) << 16 | dstPort;
    return uint32_t(Mix64(addresses ^ Mix64(rest + 0x9E3779B97F4A7C15ULL)) % channels);
}

uint32_t
LaserNetDevice::LaneOf(const Packet& p, uint32_t offset) const
{
    if (m_channels <= 1)
    {
        return 0;
    }
    NS_ASSERT(offset <= PPP_HEADER_BYTES);
    uint8_t bytes[PPP_HEADER_BYTES + 64];
    const uint32_t copied = p.CopyData(bytes, offset + 64);
    const uint8_t* b = bytes + offset;
    const uint32_t n = copied < offset ? 0 : copied - offset;
    if (n < 20 || (b[0] >> 4) != 4)
    {
        return 0;
    }
    const uint32_t ihl = (b[0] & 0x0F) * 4u;
    const uint32_t src = uint32_t(b[12]) << 24 | uint32_t(b[13]) << 16 | uint32_t(b[14]) << 8 | b[15];
    const uint32_t dst = uint32_t(b[16]) << 24 | uint32_t(b[17]) << 16 | uint32_t(b[18]) << 8 | b[19];
    const uint8_t protocol = b[9];
    uint16_t sport = 0;
    uint16_t dport = 0;
    if ((protocol == 6 || protocol == 17) && n >= ihl + 4)
    {
        sport = uint16_t(b[ihl] << 8 | b[ihl + 1]);
        dport = uint16_t(b[ihl + 2] << 8 | b[ihl + 3]);
    }
    return LaneOfFlow(src, dst, protocol, sport, dport, m_channels);
}

Ptr<Queue<Packet>>
LaserNetDevice::GetLaneQueue(uint32_t lane)
{
    if (lane == 0)
    {
        return GetQueue();
    }
    if (m_laneQueues.size() < m_channels - 1)
    {
        m_laneQueues.resize(m_channels - 1);
    }
    Ptr<Queue<Packet>>& q = m_laneQueues[lane - 1];
    if (!q)
    {
        q = CreateObject<LaserTxQueue>();
        q->SetMaxSize(m_queueSize);
    }
    return q;
}

uint64_t
LaserNetDevice::GetTxFrames() const
{
    return m_txFrames;
}

uint64_t
LaserNetDevice::GetTxBytes() const
{
    return m_txBytes;
}

void
LaserNetDevice::Attach(Ptr<LaserChannel> channel)
{
    // A plain attach is a link that is already tracking (e.g. at the start of a run).
    m_channel = channel;
    m_stateEvent.Cancel();
    SetTerminalState(TERMINAL_UP);
}

void
LaserNetDevice::Detach()
{
    m_channel = nullptr;
    m_stateEvent.Cancel();
    SetTerminalState(TERMINAL_IDLE);
}

void
LaserNetDevice::StartAcquisition(Time slew, Time acquisition)
{
    NS_ASSERT_MSG(m_channel, "acquisition needs a connected channel");
    m_stateEvent.Cancel();
    if (slew.IsStrictlyPositive())
    {
        SetTerminalState(TERMINAL_SLEWING);
        m_stateEvent = Simulator::Schedule(slew, &LaserNetDevice::StartAcquisition, this, Time(0), acquisition);
    }
    else if (acquisition.IsStrictlyPositive())
    {
        SetTerminalState(TERMINAL_ACQUIRING);
        m_stateEvent = Simulator::Schedule(acquisition, &LaserNetDevice::SetTerminalState, this, TERMINAL_UP);
    }
    else
    {
        SetTerminalState(TERMINAL_UP);
    }
}

LaserNetDevice::TerminalState
LaserNetDevice::GetTerminalState() const
{
    return m_state;
}

void
LaserNetDevice::SetTerminalState(TerminalState state)
{
    if (state != m_state)
    {
        m_stateTrace(m_state, state);
        m_state = state;
    }
    UpdateLinkState();
}

LaserNetDevice::DropCause
LaserNetDevice::DownCause() const
{
    return (m_state == TERMINAL_SLEWING || m_state == TERMINAL_ACQUIRING) ? DROP_HANDOVER
                                                                          : DROP_LINK_DOWN;
}

void
LaserNetDevice::UpdateLinkState()
{
    const bool up = m_channel && m_state == TERMINAL_UP;
    if (up == m_linkUp)
    {
        return;
    }
    m_linkUp = up;
    if (!up)
    {
        // Frames waiting for a link that is gone would leave late on the next one.
        std::vector<Ptr<Queue<Packet>>> queues{m_queue};
        queues.insert(queues.end(), m_laneQueues.begin(), m_laneQueues.end());
        for (const auto& q : queues)
        {
            while (Ptr<Packet> p = q ? q->Dequeue() : nullptr)
            {
                m_macTxDropTrace(p);
                NotifyDrop(p, DownCause());
            }
        }
    }
    m_linkChangeCallbacks();
    if (up)
    {
        for (uint32_t lane = 0; lane < m_channels; ++lane)
        {
            StartNextTransmission(lane);
        }
    }
}

uint16_t
LaserNetDevice::EtherToPpp(uint16_t proto)
{
    switch (proto)
    {
    case 0x0800:
        return 0x0021;
    case 0x86DD:
        return 0x0057;
    }
    NS_ABORT_MSG("LaserNetDevice carries IPv4 and IPv6 only, not EtherType " << proto);
    return 0;
}

uint16_t
LaserNetDevice::PppToEther(uint16_t proto)
{
    switch (proto)
    {
    case 0x0021:
        return 0x0800;
    case 0x0057:
        return 0x86DD;
    }
    NS_ABORT_MSG("unknown PPP protocol " << proto);
    return 0;
}

bool
LaserNetDevice::Send(Ptr<Packet> packet, const Address&, uint16_t protocolNumber)
{
    if (RefusedWhileDown(packet))
    {
        return false;
    }
    const uint32_t lane = LaneOf(*packet); // before framing: the packet starts with its IPv4 header
    PppHeader ppp;
    ppp.SetProtocol(EtherToPpp(protocolNumber));
    packet->AddHeader(ppp);
    return SendOnLane(lane, packet);
}

bool
LaserNetDevice::SendFrame(const Ptr<Packet>& frame, uint32_t label)
{
    return !RefusedWhileDown(frame) && SendOnLane(LaneOf(*frame, PPP_HEADER_BYTES), frame, label);
}

bool
LaserNetDevice::RefusedWhileDown(const Ptr<Packet>& p)
{
    if (m_linkUp)
    {
        return false;
    }
    m_macTxDropTrace(p);
    NotifyDrop(p, DownCause());
    return true;
}

bool
LaserNetDevice::SendOnLane(uint32_t lane, const Ptr<Packet>& packet, uint32_t label)
{
    if (!m_macTxTrace.IsEmpty())
    {
        m_macTxTrace(packet);
    }
    if (!m_userQueue && !IsBusy(lane) && LaneQueueIsEmpty(lane))
    {
        // Nothing waits: the frame goes on the wire without passing through the queue
        // (drop-tail never refuses a frame into an empty queue).
        Transmit(lane, packet, label);
        return true;
    }
    Ptr<Queue<Packet>> queue = GetLaneQueue(lane);
    // With background, packets may fill only their share of the queue.
    const double rho = GetBackgroundShare();
    const bool full = rho > 0 && double(queue->GetNPackets() + 1) >
                                     std::max(1.0, (1.0 - rho) * double(queue->GetMaxSize().GetValue()));
    if (full || !queue->Enqueue(packet))
    {
        m_macTxDropTrace(packet);
        NotifyDrop(packet, DROP_QUEUE);
        return false;
    }
    StartNextTransmission(lane);
    return true;
}

bool
LaserNetDevice::SendFrom(Ptr<Packet> packet,
                         const Address&,
                         const Address& dest,
                         uint16_t protocolNumber)
{
    return Send(packet, dest, protocolNumber);
}

/** The end of a frame on a lane: one allocation, no bound std::function. */
class LaserNetDevice::TransmitCompleteEvent : public EventImpl
{
  public:
    TransmitCompleteEvent(LaserNetDevice* device, uint32_t lane)
        : m_device(device),
          m_lane(lane)
    {
    }

  private:
    void Notify() override
    {
        m_device->TransmitComplete(m_lane);
    }

    LaserNetDevice* m_device;
    uint32_t m_lane;
};

LaserNetDevice::Transmitter&
LaserNetDevice::Tx(uint32_t lane)
{
    return lane == 0 ? m_firstTx : m_moreTx[lane - 1];
}

const LaserNetDevice::Transmitter&
LaserNetDevice::Tx(uint32_t lane) const
{
    return lane == 0 ? m_firstTx : m_moreTx[lane - 1];
}

bool
LaserNetDevice::IsBusy(uint32_t lane) const
{
    // A pending wake-up at this very instant is still busy: the frame that ends now hands
    // over to the queue in its own event, whatever else happens at the same time.
    const Transmitter& tx = Tx(lane);
    return tx.wakeUp || Simulator::Now().GetTimeStep() < tx.busyUntil;
}

void
LaserNetDevice::ScheduleWakeUp(uint32_t lane, Time delay)
{
    Tx(lane).wakeUp = true;
    Simulator::Schedule(delay, Ptr<EventImpl>(new TransmitCompleteEvent(this, lane), false));
}

void
LaserNetDevice::StartNextTransmission(uint32_t lane)
{
    if (!m_linkUp || LaneQueueIsEmpty(lane))
    {
        return;
    }
    Transmitter& tx = Tx(lane);
    Ptr<Queue<Packet>> queue = lane == 0 ? m_queue : m_laneQueues[lane - 1];
    if (IsBusy(lane))
    {
        if (!tx.wakeUp)
        {
            ScheduleWakeUp(lane, TimeStep(tx.busyUntil) - Simulator::Now());
        }
        return;
    }
    if (Ptr<Packet> p = queue->Dequeue()) // a queue of another type may drop at dequeue
    {
        Transmit(lane, p);
    }
}

bool
LaserNetDevice::LaneQueueIsEmpty(uint32_t lane) const
{
    if (lane > 0 && lane - 1 >= m_laneQueues.size())
    {
        return true;
    }
    const Ptr<Queue<Packet>>& queue = lane == 0 ? m_queue : m_laneQueues[lane - 1];
    return !queue || queue->IsEmpty();
}

void
LaserNetDevice::Transmit(uint32_t lane, const Ptr<Packet>& p, uint32_t label)
{
    Transmitter& tx = Tx(lane);
    TraceFrame(p, m_phyTxBeginTrace);
    ++m_txFrames;
    m_txBytes += p->GetSize();
    const Time txTime = CachedTxTime(m_bps, p->GetSize());
    Time busy = txTime;   // until the channel takes the next frame
    Time onWire = txTime; // until the frame's last bit leaves
    if (const double rho = GetBackgroundShare(); rho > 0)
    {
        busy = Seconds(txTime.GetSeconds() / (1.0 - rho));
        onWire = txTime + Seconds(rho * 0.5 * m_bps.CalculateBytesTxTime(m_backgroundFrameBytes).GetSeconds());
    }
    tx.busyUntil = (Simulator::Now() + busy).GetTimeStep();
    if (!m_phyTxEndTrace.IsEmpty())
    {
        tx.onWire = p->Copy(); // the receiver may change p in place (SetTakeOver)
    }
    if (tx.onWire || !LaneQueueIsEmpty(lane))
    {
        ScheduleWakeUp(lane, busy);
    }
    if (!m_channel->TransmitStart(p, this, onWire, label))
    {
        m_phyTxDropTrace(p);
        NotifyDrop(p, DROP_LINK_DOWN);
    }
}

void
LaserNetDevice::TraceFrame(const Ptr<Packet>& p, const TracedCallback<Ptr<const Packet>>& trace) const
{
    // Most runs listen to none of these: an empty trace is skipped without building its
    // argument (a reference count up and down and a call per trace and hop).
    for (const auto* t : {&m_snifferTrace, &m_promiscSnifferTrace, &trace})
    {
        if (!t->IsEmpty())
        {
            (*t)(p);
        }
    }
}

void
LaserNetDevice::TransmitComplete(uint32_t lane)
{
    Transmitter& tx = Tx(lane);
    tx.wakeUp = false;
    if (tx.onWire)
    {
        m_phyTxEndTrace(tx.onWire);
        tx.onWire = nullptr;
    }
    StartNextTransmission(lane);
}

void
LaserNetDevice::Receive(const Ptr<Packet>& packet, bool corrupted, uint32_t label)
{
    if (corrupted)
    {
        m_phyRxDropTrace(packet);
        NotifyDrop(packet, DROP_BIT_ERRORS);
        return;
    }
    TraceFrame(packet, m_phyRxEndTrace);
    // The MAC trace sees the frame with its PPP header: copy it only for a listener.
    Ptr<Packet> original = m_macRxTrace.IsEmpty() ? nullptr : packet->Copy();
    // A take-over receiver gets the frame itself, PPP header on, to change in place
    // (nobody else holds it now: the channel let go of it); the NetDevice callbacks get
    // the payload, a copy of it while the frame is handed over.
    const bool handOver = m_takeOver != nullptr;
    Ptr<Packet> payload;
    uint16_t protocol = 0;
    if (!handOver || !m_promiscCallback.IsNull())
    {
        payload = handOver ? packet->Copy() : packet;
        PppHeader ppp;
        payload->RemoveHeader(ppp);
        protocol = PppToEther(ppp.GetProtocol());
    }
    if (!m_promiscCallback.IsNull())
    {
        m_promiscCallback(this, payload, protocol, GetAddress(), GetAddress(), PACKET_HOST);
    }
    if (original)
    {
        m_macRxTrace(original);
    }
    if (handOver)
    {
        m_takeOver(m_takeOverReceiver, packet, label);
    }
    else if (!m_rxCallback.IsNull())
    {
        m_rxCallback(this, payload, protocol, GetAddress());
    }
}

void
LaserNetDevice::PrefetchReceive() const
{
    __builtin_prefetch(&m_takeOver);
    __builtin_prefetch(&m_takeOverReceiver);
    __builtin_prefetch(&m_phyRxEndTrace);
    __builtin_prefetch(&m_snifferTrace);
}

const void*
LaserNetDevice::LookAheadTakeOver(uint32_t label, uint32_t step, const void* state) const
{
    return m_takeOverLookAhead ? m_takeOverLookAhead(m_takeOverReceiver, label, step, state) : nullptr;
}

void
LaserNetDevice::PrefetchSend() const
{
    // SendFrame, SendOnLane, Transmit and the channel's TransmitStart, in the order they read.
    for (const void* member : {(const void*)&m_linkUp, (const void*)&m_channels, (const void*)&m_macTxTrace,
                               (const void*)&m_firstTx, (const void*)&m_queue, (const void*)&m_snifferTrace,
                               (const void*)&m_phyTxBeginTrace, (const void*)&m_txFrames, (const void*)&m_bps,
                               (const void*)&m_background, (const void*)&m_phyTxEndTrace,
                               (const void*)&m_channel, (const void*)&m_blocked, (const void*)&m_linkModel,
                               (const void*)&m_rngState, (const void*)&m_pointTimeS})
    {
        __builtin_prefetch(member);
    }
}

void
LaserNetDevice::PrefetchQueue() const
{
    if (m_queue)
    {
        // QueueBase keeps its packet count in the object's first lines.
        const char* q = reinterpret_cast<const char*>(PeekPointer(m_queue));
        __builtin_prefetch(q);
        __builtin_prefetch(q + 64);
        __builtin_prefetch(q + 128);
    }
}

const LaserChannel*
LaserNetDevice::PeekChannel() const
{
    return PeekPointer(m_channel);
}

void
LaserNetDevice::PrefetchPeer() const
{
    for (const void* member : {(const void*)&m_nodeId, (const void*)&m_blocked, (const void*)&m_rngState,
                               (const void*)&m_pointTimeS, (const void*)&m_pointAngle})
    {
        __builtin_prefetch(member);
    }
}

void
LaserNetDevice::ReceiveFromRemote(Ptr<Packet> packet)
{
    LaserCorruptionTag tag;
    const bool tagged = packet->RemovePacketTag(tag);
    NS_ABORT_MSG_UNLESS(tagged, "a packet from another rank without its LaserCorruptionTag");
    Receive(packet, tag.IsCorrupted());
}

Ptr<OpticalLinkModel>
LaserNetDevice::GetLinkModel() const
{
    return m_linkModel;
}

const OpticalLinkModel*
LaserNetDevice::PeekLinkModel() const
{
    return PeekPointer(m_linkModel);
}

void
LaserNetDevice::SetLinkModel(Ptr<OpticalLinkModel> model)
{
    m_linkModel = model;
}

void
LaserNetDevice::SetRandomStream(uint64_t seed)
{
    m_rngState = seed;
}

double
LaserNetDevice::NextUniform()
{
    // SplitMix64 (Steele, Lea & Flood 2014): 8 bytes of state per terminal, so every
    // link end has its own reproducible stream without an ns-3 RandomVariable object.
    uint64_t z = (m_rngState += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (z >> 11) * 0x1.0p-53;
}

namespace
{
/** Box-Muller's radius and angle from two uniforms; 1 - u keeps the logarithm finite. */
void
DrawPolar(LaserNetDevice& terminal, double& radius, double& angle)
{
    radius = std::sqrt(-2 * std::log(1.0 - terminal.NextUniform()));
    angle = 2 * M_PI * terminal.NextUniform();
}

/** The pair of normals a Box-Muller radius and angle stand for. */
void
ToCartesian(double radius, double angle, double& x, double& y)
{
    x = radius * std::cos(angle);
    y = radius * std::sin(angle);
}
} // namespace

void
LaserNetDevice::NextNormalPair(double& a, double& b)
{
    double radius;
    double angle;
    DrawPolar(*this, radius, angle);
    ToCartesian(radius, angle, a, b);
}

double
LaserNetDevice::PointingDraw::MaxError() const
{
    if (error >= 0)
    {
        return error;
    }
    // Triangle inequality: |(b + j x, j y)| <= b + j |(x, y)| = b + j r; the factor covers
    // the rounding of hypot, cos and sin in Error().
    return (biasRad + jitterRad * radius) * (1 + 1e-9);
}

double
LaserNetDevice::PointingDraw::Error() const
{
    if (error >= 0)
    {
        return error;
    }
    double x;
    double y;
    ToCartesian(radius, angle, x, y);
    return RadialError(biasRad, jitterRad, x, y);
}

double
LaserNetDevice::RadialError(double biasRad, double jitterRad, double x, double y)
{
    return std::hypot(biasRad + jitterRad * x, jitterRad * y);
}

LaserNetDevice::PointingDraw
LaserNetDevice::DrawPointing(double correlationS, double biasRad, double jitterRad)
{
    PointingDraw draw{biasRad, jitterRad, 0, 0};
    if (jitterRad <= 0)
    {
        draw.error = biasRad;
    }
    else if (correlationS > 0)
    {
        double x;
        double y;
        SamplePointing(correlationS, x, y);
        draw.error = RadialError(biasRad, jitterRad, x, y);
    }
    else
    {
        DrawPolar(*this, draw.radius, draw.angle);
        m_pointUnresolved = true;
        m_pointRadius = draw.radius;
        m_pointAngle = draw.angle;
        m_pointTimeS = CachedSeconds(Simulator::Now());
    }
    return draw;
}

void
LaserNetDevice::SamplePointing(double correlationS, double& x, double& y)
{
    double nx;
    double ny;
    NextNormalPair(nx, ny);
    const double now = CachedSeconds(Simulator::Now());
    if (correlationS > 0 && m_pointTimeS >= 0)
    {
        if (m_pointUnresolved)
        {
            // The last sample was a white draw kept in polar form: it is the start here.
            ToCartesian(m_pointRadius, m_pointAngle, m_pointX, m_pointY);
        }
        // Exact update of an Ornstein-Uhlenbeck process over dt (Gillespie, Phys. Rev. E
        // 54(2), 1996): stationary variance 1, autocorrelation exp(-|dt| / correlationS).
        const double a = std::exp(-(now - m_pointTimeS) / correlationS);
        const double b = std::sqrt(std::max(0.0, 1 - a * a));
        m_pointX = a * m_pointX + b * nx;
        m_pointY = a * m_pointY + b * ny;
    }
    else
    {
        m_pointX = nx; // white jitter, or the first sample: from the stationary law
        m_pointY = ny;
    }
    m_pointUnresolved = false;
    m_pointTimeS = now;
    x = m_pointX;
    y = m_pointY;
}

void
LaserNetDevice::SetBlockedIntervals(const double* startS, const double* endS, uint32_t n)
{
    m_blocked.clear();
    for (uint32_t i = 0; i < n; ++i)
    {
        m_blocked.emplace_back(startS[i], endS[i]);
    }
    // Sorted by start, so IsBlocked finds the candidate interval by bisection.
    std::sort(m_blocked.begin(), m_blocked.end());
}

bool
LaserNetDevice::IsBlocked(Time t) const
{
    if (m_blocked.empty())
    {
        return false;
    }
    const double s = CachedSeconds(t);
    // The last interval starting at or before s; intervals do not overlap (cloud files
    // are checked, Markov spells alternate), so only it can cover s.
    auto it = std::upper_bound(m_blocked.begin(),
                               m_blocked.end(),
                               s,
                               [](double v, const std::pair<double, double>& iv) { return v < iv.first; });
    return it != m_blocked.begin() && s < std::prev(it)->second;
}

void
LaserNetDevice::NotifyDrop(Ptr<const Packet> p, DropCause cause)
{
    m_drops[cause]++;
    m_dropTrace(p, cause);
}

uint64_t
LaserNetDevice::GetDropCount(DropCause cause) const
{
    return m_drops[cause];
}

void
LaserNetDevice::SetIfIndex(const uint32_t index)
{
    m_ifIndex = index;
}

uint32_t
LaserNetDevice::GetIfIndex() const
{
    return m_ifIndex;
}

Ptr<Channel>
LaserNetDevice::GetChannel() const
{
    return m_channel;
}

void
LaserNetDevice::SetAddress(Address address)
{
    m_address = Mac48Address::ConvertFrom(address);
}

Address
LaserNetDevice::GetAddress() const
{
    return m_address;
}

bool
LaserNetDevice::SetMtu(const uint16_t mtu)
{
    m_mtu = mtu;
    return true;
}

uint16_t
LaserNetDevice::GetMtu() const
{
    return m_mtu;
}

bool
LaserNetDevice::IsLinkUp() const
{
    return m_linkUp;
}

void
LaserNetDevice::AddLinkChangeCallback(Callback<void> callback)
{
    m_linkChangeCallbacks.ConnectWithoutContext(callback);
}

bool
LaserNetDevice::IsBroadcast() const
{
    return true;
}

Address
LaserNetDevice::GetBroadcast() const
{
    return Mac48Address::GetBroadcast(); // a static: parsing the string costs ~5 % per hop
}

bool
LaserNetDevice::IsMulticast() const
{
    return true;
}

Address
LaserNetDevice::GetMulticast(Ipv4Address) const
{
    return Mac48Address("01:00:5e:00:00:00");
}

Address
LaserNetDevice::GetMulticast(Ipv6Address) const
{
    return Mac48Address("33:33:00:00:00:00");
}

bool
LaserNetDevice::IsPointToPoint() const
{
    return true;
}

bool
LaserNetDevice::IsBridge() const
{
    return false;
}

Ptr<Node>
LaserNetDevice::GetNode() const
{
    return m_node;
}

uint32_t
LaserNetDevice::GetNodeId() const
{
    return m_nodeId;
}

void
LaserNetDevice::SetNode(Ptr<Node> node)
{
    m_node = node;
    m_nodeId = node ? node->GetId() : 0;
}

bool
LaserNetDevice::NeedsArp() const
{
    return false;
}

void
LaserNetDevice::SetReceiveCallback(NetDevice::ReceiveCallback cb)
{
    m_rxCallback = cb;
    m_takeOver = nullptr; // the last receiver set wins
    m_takeOverLookAhead = nullptr;
    m_takeOverReceiver = nullptr;
}

void
LaserNetDevice::SetTakeOver(void* receiver, TakeOver takeOver, TakeOverLookAhead lookAhead)
{
    NS_ABORT_MSG_IF(takeOver == nullptr || receiver == nullptr, "a take-over needs a function and its receiver");
    m_takeOver = takeOver;
    m_takeOverLookAhead = lookAhead;
    m_takeOverReceiver = receiver;
    // The last receiver set wins; the node's callback (Node::AddDevice) is let go, ~240 B.
    m_rxCallback = MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t, const Address&>();
}

void
LaserNetDevice::SetPromiscReceiveCallback(NetDevice::PromiscReceiveCallback cb)
{
    m_promiscCallback = cb;
}

bool
LaserNetDevice::SupportsSendFrom() const
{
    return false;
}

} // namespace ns3
