#include "laser-net-device.h"

#include "laser-channel.h"

#include "ns3/abort.h"
#include "ns3/data-rate.h"
#include "ns3/drop-tail-queue.h"
#include "ns3/log.h"
#include "ns3/pointer.h"
#include "ns3/ppp-header.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

#include <cmath>

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
    m_linkModel = nullptr;
    m_currentPkt = nullptr;
    m_rxCallback = MakeNullCallback<bool, Ptr<NetDevice>, Ptr<const Packet>, uint16_t,
                                    const Address&>();
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
    if (!m_queue)
    {
        return;
    }
    if (Ptr<LaserTxQueue> queue = DynamicCast<LaserTxQueue>(m_queue))
    {
        queue->ForEach(f);
        return;
    }
    // A queue of another type (TxQueue attribute): take every frame out and put it back.
    for (uint32_t i = 0, n = m_queue->GetNPackets(); i < n; ++i)
    {
        Ptr<Packet> p = m_queue->Dequeue();
        f(p);
        m_queue->Enqueue(p);
    }
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
    if (!up && m_queue)
    {
        // Frames waiting for a link that is gone would leave late on the next one.
        while (Ptr<Packet> p = m_queue->Dequeue())
        {
            m_macTxDropTrace(p);
            NotifyDrop(p, DownCause());
        }
    }
    m_linkChangeCallbacks();
    if (up)
    {
        StartNextTransmission();
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
    NS_LOG_FUNCTION(this << packet << protocolNumber);
    if (!m_linkUp)
    {
        m_macTxDropTrace(packet);
        NotifyDrop(packet, DownCause());
        return false;
    }
    PppHeader ppp;
    ppp.SetProtocol(EtherToPpp(protocolNumber));
    packet->AddHeader(ppp);
    m_macTxTrace(packet);
    if (!GetQueue()->Enqueue(packet))
    {
        m_macTxDropTrace(packet);
        NotifyDrop(packet, DROP_QUEUE);
        return false;
    }
    if (!m_currentPkt)
    {
        StartNextTransmission();
    }
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

void
LaserNetDevice::StartNextTransmission()
{
    if (m_currentPkt || !m_linkUp || !m_queue)
    {
        return;
    }
    Ptr<Packet> p = m_queue->Dequeue();
    if (!p)
    {
        return;
    }
    m_snifferTrace(p);
    m_promiscSnifferTrace(p);
    m_currentPkt = p;
    ++m_txFrames;
    m_txBytes += p->GetSize();
    m_phyTxBeginTrace(p);
    const Time txTime = m_bps.CalculateBytesTxTime(p->GetSize());
    Simulator::Schedule(txTime, &LaserNetDevice::TransmitComplete, this);
    if (!m_channel->TransmitStart(p, this, txTime))
    {
        m_phyTxDropTrace(p);
        NotifyDrop(p, DROP_LINK_DOWN);
    }
}

void
LaserNetDevice::TransmitComplete()
{
    m_phyTxEndTrace(m_currentPkt);
    m_currentPkt = nullptr;
    StartNextTransmission();
}

void
LaserNetDevice::Receive(Ptr<Packet> packet, bool corrupted)
{
    NS_LOG_FUNCTION(this << packet << corrupted);
    if (corrupted)
    {
        m_phyRxDropTrace(packet);
        NotifyDrop(packet, DROP_BIT_ERRORS);
        return;
    }
    m_snifferTrace(packet);
    m_promiscSnifferTrace(packet);
    m_phyRxEndTrace(packet);
    Ptr<Packet> original = packet->Copy();
    PppHeader ppp;
    packet->RemoveHeader(ppp);
    const uint16_t protocol = PppToEther(ppp.GetProtocol());
    if (!m_promiscCallback.IsNull())
    {
        m_promiscCallback(this, packet, protocol, GetAddress(), GetAddress(), PACKET_HOST);
    }
    m_macRxTrace(original);
    if (!m_rxCallback.IsNull())
    {
        m_rxCallback(this, packet, protocol, GetAddress());
    }
}

Ptr<OpticalLinkModel>
LaserNetDevice::GetLinkModel() const
{
    return m_linkModel;
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

void
LaserNetDevice::NextNormalPair(double& a, double& b)
{
    // Box-Muller; 1 - u keeps the logarithm finite.
    const double radius = std::sqrt(-2 * std::log(1.0 - NextUniform()));
    const double angle = 2 * M_PI * NextUniform();
    a = radius * std::cos(angle);
    b = radius * std::sin(angle);
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

void
LaserNetDevice::SetNode(Ptr<Node> node)
{
    m_node = node;
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
