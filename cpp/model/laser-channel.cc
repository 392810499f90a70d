#include "laser-channel.h"

#include "ephemeris-mobility-model.h"
#include "laser-corruption-tag.h"
#include "laser-net-device.h"
#include "time-window-scheduler.h"

#include "ns3/abort.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/simulator.h"

#include <cmath>
#include <cstring>
#include <new>
#include <typeinfo>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("LaserChannel");
NS_OBJECT_ENSURE_REGISTERED(LaserChannel);

LaserChannel::RemoteSender LaserChannel::s_remoteSender;
uint32_t LaserChannel::s_localSystemId = 0;

void
LaserChannel::SetRemoteSender(RemoteSender sender, uint32_t localSystemId)
{
    s_remoteSender = sender;
    s_localSystemId = localSystemId;
}

TypeId
LaserChannel::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::LaserChannel")
            .SetParent<Channel>()
            .SetGroupName("Netsim")
            .AddConstructor<LaserChannel>()
            .AddAttribute("Delay",
                          "A lower bound on the one-way light time over this link, valid for "
                          "every link of the run: ns-3's distributed (MPI) engine reads it as the "
                          "lookahead of links whose ends are on different ranks. The delay a "
                          "packet gets is always the light time of the moment it is sent.",
                          TimeValue(Seconds(0)),
                          MakeTimeAccessor(&LaserChannel::m_lookahead),
                          MakeTimeChecker(Seconds(0)))
            .AddTraceSource("TxRxLaser",
                            "A packet sent over the channel: packet, source, sink, "
                            "transmission time, propagation delay.",
                            MakeTraceSourceAccessor(&LaserChannel::m_txrxTrace),
                            "ns3::LaserChannel::TxRxAnimationCallback");
    return tid;
}

void
LaserChannel::Connect(Ptr<LaserNetDevice> a, Ptr<LaserNetDevice> b)
{
    NS_LOG_FUNCTION(this << a << b);
    NS_ABORT_MSG_IF(a == b, "a laser channel needs two distinct devices");
    Disconnect();
    m_end[0] = a;
    m_end[1] = b;
    m_endSystemId[0] = a->GetNode()->GetSystemId();
    m_endSystemId[1] = b->GetNode()->GetSystemId();
    m_mobility[0] = a->GetNode()->GetObject<MobilityModel>();
    m_mobility[1] = b->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!m_mobility[0] || !m_mobility[1],
                    "both ends of a laser channel need a MobilityModel");
    auto ephemerisA = DynamicCast<EphemerisMobilityModel>(m_mobility[0]);
    auto ephemerisB = DynamicCast<EphemerisMobilityModel>(m_mobility[1]);
    m_ephemeris = nullptr;
    if (ephemerisA && ephemerisB && ephemerisA->GetStore() && ephemerisA->GetStore() == ephemerisB->GetStore())
    {
        m_ephemeris = PeekPointer(ephemerisA->GetStore());
        m_ephemerisRow[0] = ephemerisA->GetIndex();
        m_ephemerisRow[1] = ephemerisB->GetIndex();
    }
    a->Attach(this);
    b->Attach(this);
}

void
LaserChannel::Disconnect()
{
    for (auto& end : m_end)
    {
        if (end)
        {
            Ptr<LaserNetDevice> dev = end;
            end = nullptr;
            dev->Detach();
        }
    }
    m_mobility[0] = m_mobility[1] = nullptr;
    m_ephemeris = nullptr;
}

bool
LaserChannel::IsConnected() const
{
    return m_end[0] && m_end[1];
}

Ptr<LaserNetDevice>
LaserChannel::GetPeer(Ptr<const LaserNetDevice> dev) const
{
    if (m_end[0] == dev)
    {
        return m_end[1];
    }
    if (m_end[1] == dev)
    {
        return m_end[0];
    }
    return nullptr;
}

double
LaserChannel::GetDistance() const
{
    NS_ASSERT(IsConnected());
    return CalculateDistance(PositionOf(0), PositionOf(1));
}

int
LaserChannel::IndexOf(const LaserNetDevice* dev) const
{
    NS_ASSERT(m_end[0] == dev || m_end[1] == dev);
    return m_end[0] == dev ? 0 : 1;
}

Vector
LaserChannel::PositionOf(int end) const
{
    // The same as the mobility model's answer (EphemerisMobilityModel::DoGetPosition).
    return m_ephemeris ? m_ephemeris->GetPosition(m_ephemerisRow[end], Simulator::Now())
                       : m_mobility[end]->GetPosition();
}

Vector
LaserChannel::VelocityOf(int end) const
{
    return m_ephemeris ? m_ephemeris->GetVelocity(m_ephemerisRow[end], Simulator::Now())
                       : m_mobility[end]->GetVelocity();
}

Time
LaserChannel::GetLightTime(Ptr<const LaserNetDevice> src) const
{
    const int from = IndexOf(PeekPointer(src));
    return Seconds(LightTimeS(PositionOf(from), PositionOf(1 - from), VelocityOf(1 - from)));
}

double
LaserChannel::LightTimeS(const Vector& txPos, const Vector& rxPos, const Vector& rxVel)
{
    // Fixed-point iteration; |v|/c ~ 3e-5 makes each step gain ~5 digits. The peer's
    // path over tau (< 0.1 s) is straight to within millimetres.
    double tau = CalculateDistance(txPos, rxPos) / SPEED_OF_LIGHT_MPS;
    for (int i = 0; i < 2; ++i)
    {
        const Vector rxLater(rxPos.x + rxVel.x * tau, rxPos.y + rxVel.y * tau, rxPos.z + rxVel.z * tau);
        tau = CalculateDistance(txPos, rxLater) / SPEED_OF_LIGHT_MPS;
    }
    return tau;
}

/**
 * The arrival of one packet: an event with its arguments as members, and a link of its
 * channel's list of packets in flight (one allocation per hop). It holds the channel, so
 * an arrival the run never reaches (the simulator destroyed first) unlinks itself safely.
 * The receiving terminal is not held (its node keeps it for the run, and only an arrival
 * the run reaches reads it): at a million nodes its reference count, up at the send and
 * down at the arrival, is a cache line of its own for nothing else.
 */
class LaserChannel::DeliverEvent : public EventImpl
{
  public:
    DeliverEvent(LaserChannel* channel, const Ptr<Packet>& packet, LaserNetDevice* dst, bool corrupted, uint32_t label)
        : m_packet(packet),
          m_channel(channel),
          m_dst(dst),
          m_corrupted(corrupted),
          m_label(label)
    {
        m_channel->Link(this);
    }

    ~DeliverEvent() override
    {
        if (m_channel)
        {
            m_channel->Unlink(this);
        }
    }

    // An arrival is made at every hop and freed when it has run: freed ones are kept on a
    // list for the next (the simulation's thread only, as every event), which spares
    // malloc's bookkeeping; the list holds at most the most arrivals ever in flight.
    static void* operator new(std::size_t size)
    {
        NS_ASSERT(size == sizeof(DeliverEvent));
        if (FreeArrival* arrival = s_free)
        {
            s_free = arrival->next;
            return arrival;
        }
        return ::operator new(size);
    }

    static void operator delete(void* memory)
    {
        s_free = new (memory) FreeArrival{s_free};
    }

    Ptr<Packet> m_packet;
    DeliverEvent* m_prev = nullptr;
    DeliverEvent* m_next = nullptr;

  private:
    friend class LaserChannel; // PrefetchArrivals reads where the arrival leads

    struct FreeArrival
    {
        FreeArrival* next;
    };
    static FreeArrival* s_free;

    void Notify() override
    {
        // The last bit reached the receiver: off the list, then handed over (the receiver
        // may change the packet in place: nobody else holds it).
        m_channel->Unlink(this);
        m_channel = nullptr;
        Ptr<Packet> packet = m_packet;
        m_packet = nullptr;
        m_dst->Receive(packet, m_corrupted, m_label);
    }

    Ptr<LaserChannel> m_channel;
    LaserNetDevice* m_dst;
    bool m_corrupted;
    // The look-ahead's progress (PrefetchArrivals): steps done, and what the last found.
    mutable uint8_t m_aheadStep = 0;
    uint32_t m_label; // the sender's label for the receiver's take-over look-ahead
    mutable const void* m_ahead = nullptr;
};

LaserChannel::DeliverEvent::FreeArrival* LaserChannel::DeliverEvent::s_free = nullptr;

namespace
{
// Every run's event queue looks ahead at the arrivals due next.
const bool g_lookAheadSet = (TimeWindowScheduler::SetLookAhead(&LaserChannel::PrefetchArrivals), true);
} // namespace

namespace
{
/** Fetch the first of a packet's tags (ns-3 gives no pointer to it but its iterator's). */
void
PrefetchFirstTag(const Packet& packet)
{
    const PacketTagIterator tags = packet.GetPacketTagIterator();
    const void* first;
    static_assert(sizeof(tags) == sizeof(first), "PacketTagIterator holds one pointer");
    std::memcpy(&first, &tags, sizeof(first));
    __builtin_prefetch(first);
}
} // namespace

void
LaserChannel::PrefetchMembers() const
{
    // An arrival or a transmission counts a reference to the channel (its arrival holds
    // it) and reads the ends, the in-flight list, the ephemeris rows and the trace.
    for (const void* member : {(const void*)this, (const void*)m_end, (const void*)&m_firstInFlight,
                               (const void*)&m_ephemerisRow, (const void*)&m_txrxTrace})
    {
        __builtin_prefetch(member);
    }
}

void
LaserChannel::PrefetchArrivals(const Scheduler::Event* next, std::size_t count)
{
    // Each pending arrival goes one step further per call (a pop apart: what the step
    // before fetched has arrived), along the chain of objects an arrival and its next
    // hop read, each found in the one before.
    constexpr uint8_t TAKE_OVER = 1; // the step that starts the receiver's own look-ahead
    constexpr uint8_t LEAVING = TAKE_OVER + LaserNetDevice::TAKE_OVER_LOOK_AHEAD_STEPS;
    static_assert(LEAVING + 2 <= TimeWindowScheduler::LOOK_AHEAD, "every step before the arrival runs");
    for (std::size_t i = 0; i < count; ++i)
    {
        const EventImpl* event = next[i].impl;
        if (event == nullptr || typeid(*event) != typeid(DeliverEvent))
        {
            continue;
        }
        const auto* arrival = static_cast<const DeliverEvent*>(event);
        const uint8_t step = arrival->m_aheadStep++;
        if (step == 0)
        {
            // The arrival reads the packet, unlinks itself from the channel's list (its
            // neighbours too) and hands the packet to the receiving terminal.
            __builtin_prefetch(PeekPointer(arrival->m_packet));
            arrival->m_channel->PrefetchMembers();
            __builtin_prefetch(arrival->m_next);
            __builtin_prefetch(arrival->m_prev);
            arrival->m_dst->PrefetchReceive();
        }
        else if (step == TAKE_OVER)
        {
            // The packet's first tag (its FabricHopTag in transit), which the forwarder
            // reads and rewrites: a packet's tags are a list of their own allocations.
            PrefetchFirstTag(*arrival->m_packet);
            // The receiving node's own position: the next hop leaves from it.
            const LaserChannel* channel = PeekPointer(arrival->m_channel);
            if (channel->m_ephemeris)
            {
                const int end = channel->m_end[0] == arrival->m_dst ? 0 : 1;
                channel->m_ephemeris->Prefetch(channel->m_ephemerisRow[end], Simulator::Now());
            }
            arrival->m_ahead = arrival->m_dst->LookAheadTakeOver(arrival->m_label, 0, nullptr);
        }
        else if (step < LEAVING)
        {
            if (arrival->m_ahead)
            {
                arrival->m_ahead = arrival->m_dst->LookAheadTakeOver(arrival->m_label, step - TAKE_OVER, arrival->m_ahead);
                if (step == LEAVING - 1 && arrival->m_ahead)
                {
                    static_cast<const LaserNetDevice*>(arrival->m_ahead)->PrefetchSend();
                }
            }
        }
        else if (step == LEAVING)
        {
            // The terminal the packet leaves by: its channel and queue.
            if (const auto* leaving = static_cast<const LaserNetDevice*>(arrival->m_ahead))
            {
                leaving->PrefetchQueue();
                if (const LaserChannel* channel = leaving->PeekChannel())
                {
                    channel->PrefetchMembers();
                }
            }
        }
        else if (step == LEAVING + 1)
        {
            // The next link's ends: their ephemeris samples and pointing state, and its
            // in-flight list's tail. (The channel is asked for again: the terminal outlives
            // the event, a channel may not.)
            const auto* leaving = static_cast<const LaserNetDevice*>(arrival->m_ahead);
            if (const LaserChannel* channel = leaving ? leaving->PeekChannel() : nullptr)
            {
                for (int end = 0; end < 2; ++end)
                {
                    if (const LaserNetDevice* device = PeekPointer(channel->m_end[end]))
                    {
                        device->PrefetchPeer();
                    }
                    if (channel->m_ephemeris)
                    {
                        channel->m_ephemeris->Prefetch(channel->m_ephemerisRow[end], Simulator::Now());
                    }
                }
                // The packet in flight its arrival will be linked after.
                if (const DeliverEvent* last = channel->m_lastInFlight)
                {
                    __builtin_prefetch(&last->m_next, 1);
                }
                arrival->m_ahead = nullptr;
            }
        }
    }
}

void
LaserChannel::Link(DeliverEvent* event)
{
    event->m_prev = m_lastInFlight;
    (m_lastInFlight ? m_lastInFlight->m_next : m_firstInFlight) = event;
    m_lastInFlight = event;
}

void
LaserChannel::Unlink(DeliverEvent* event)
{
    (event->m_prev ? event->m_prev->m_next : m_firstInFlight) = event->m_next;
    (event->m_next ? event->m_next->m_prev : m_lastInFlight) = event->m_prev;
    event->m_prev = event->m_next = nullptr;
}

bool
LaserChannel::TransmitStart(const Ptr<Packet>& p, LaserNetDevice* src, Time txTime, uint32_t label)
{
    if (!IsConnected())
    {
        return false;
    }
    const int from = IndexOf(src);
    LaserNetDevice* dst = PeekPointer(m_end[1 - from]);
    // Geometry at the instant the packet leaves the terminal.
    const Vector txPos = PositionOf(from);
    const Vector rxPos = PositionOf(1 - from);
    // Where the event queue will put the arrival, fetched while the link budget is worked out.
    TimeWindowScheduler::PrefetchPlace(Simulator::Now() + txTime, CalculateDistance(txPos, rxPos) / SPEED_OF_LIGHT_MPS);
    bool corrupted = false;
    // Clouds over a ground station: its links are dark while a blocked interval lasts.
    if (src->IsBlocked(Simulator::Now()) || dst->IsBlocked(Simulator::Now()))
    {
        return false;
    }
    if (const OpticalLinkModel* model = src->PeekLinkModel())
    {
        const double distance = CalculateDistance(txPos, rxPos);
        double transmittance = 1.0;
        double scintillationSigma = 0.0;
        if (model->HasAtmosphere())
        {
            // Elevation at the lower end (the ground station), with its radial direction
            // as the local vertical.
            const bool txLow = txPos.GetLength() < rxPos.GetLength();
            const Vector& low = txLow ? txPos : rxPos;
            const Vector& high = txLow ? rxPos : txPos;
            const Vector look = high - low;
            const double sinElevation =
                (look.x * low.x + look.y * low.y + look.z * low.z) / (distance * low.GetLength());
            transmittance = model->GetAtmosphericTransmittance(sinElevation);
            scintillationSigma = model->GetLogIrradianceSigma(sinElevation);
        }
        if (!model->IsUsable(distance, transmittance))
        {
            return false;
        }
        // Radial pointing errors: static bias plus jitter on two axes (Rice), the
        // transmitter's own and the receiver's angle of arrival, each terminal's jitter
        // white or time-correlated (JitterBandwidth).
        const double tau = model->GetJitterCorrelationS();
        const auto tx = src->DrawPointing(tau, model->GetPointingBiasRad(), model->GetPointingJitterRad());
        const auto rx = dst->DrawPointing(tau, model->GetRxPointingBiasRad(), model->GetRxPointingJitterRad());
        double fade = 1.0;
        if (scintillationSigma > 0)
        {
            // Log-normal irradiance of mean 1 (weak turbulence), one draw per packet.
            double n;
            double unused;
            src->NextNormalPair(n, unused);
            fade = std::exp(scintillationSigma * n - 0.5 * scintillationSigma * scintillationSigma);
        }
        const double u = src->NextUniform();
        // The power at the errors' bounds usually leaves no room for a bit error; the
        // errors themselves (a white draw's sine, cosine, hypot) only when it does.
        corrupted =
            !model->IsErrorFree(model->GetReceivedPowerW(distance, tx.MaxError(), rx.MaxError()) * transmittance *
                                fade) &&
            model->IsCorruptedAtPower(model->GetReceivedPowerW(distance, tx.Error(), rx.Error()) * transmittance * fade,
                                      p->GetSize(),
                                      u);
    }
    const Time delay = Seconds(LightTimeS(txPos, rxPos, VelocityOf(1 - from)));
    if (!s_remoteSender.IsNull() && m_endSystemId[1 - from] != s_localSystemId)
    {
        // The receiving terminal is on another rank: everything random was drawn here.
        DropArrivedRemote();
        const Time arrival = Simulator::Now() + txTime + delay;
        m_remoteInFlight.push_back({p->Copy(), arrival});
        Ptr<Packet> wire = p->Copy();
        LaserCorruptionTag tag;
        tag.SetCorrupted(corrupted);
        wire->AddPacketTag(tag);
        s_remoteSender(wire, arrival, dst->GetNodeId(), dst->GetIfIndex());
        TraceTxRx(p, src, dst, txTime, delay);
        return true;
    }
    Simulator::ScheduleWithContext(dst->GetNodeId(), txTime + delay, new DeliverEvent(this, p, dst, corrupted, label));
    TraceTxRx(p, src, dst, txTime, delay);
    return true;
}

void
LaserChannel::TraceTxRx(const Ptr<Packet>& p, LaserNetDevice* src, LaserNetDevice* dst, Time txTime, Time delay) const
{
    // Most runs listen to none: the arguments (reference counts up and down, calls into
    // ns-3 for each) only for a listener.
    if (!m_txrxTrace.IsEmpty())
    {
        m_txrxTrace(p, src, dst, txTime, delay);
    }
}

void
LaserChannel::DropArrivedRemote() const
{
    // Arrivals are nearly in send order (the light time drifts by ns per packet): the
    // front is the oldest; a late one behind it is caught at the next call.
    const Time now = Simulator::Now();
    while (!m_remoteInFlight.empty() && m_remoteInFlight.front().arrival < now)
    {
        m_remoteInFlight.pop_front();
    }
}

void
LaserChannel::ForEachInFlight(Callback<void, Ptr<const Packet>> f) const
{
    for (const DeliverEvent* e = m_firstInFlight; e; e = e->m_next)
    {
        f(e->m_packet);
    }
    // Handed to another rank and not there yet at the end of the run (an arrival at the
    // stop instant is not delivered, as on one rank: the stop event was scheduled first).
    const Time now = Simulator::Now();
    for (const auto& remote : m_remoteInFlight)
    {
        if (remote.arrival >= now)
        {
            f(remote.packet);
        }
    }
}

std::size_t
LaserChannel::GetNInFlight() const
{
    std::size_t n = 0;
    ForEachInFlight(Callback<void, Ptr<const Packet>>([&n](Ptr<const Packet>) { ++n; }));
    return n;
}

std::size_t
LaserChannel::GetNDevices() const
{
    return IsConnected() ? 2 : 0;
}

Ptr<NetDevice>
LaserChannel::GetDevice(std::size_t i) const
{
    NS_ASSERT(i < 2);
    return m_end[i];
}

} // namespace ns3
