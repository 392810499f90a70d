#include "laser-channel.h"

#include "laser-corruption-tag.h"
#include "laser-net-device.h"

#include "ns3/abort.h"
#include "ns3/log.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/simulator.h"

#include <cmath>

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
    m_mobility[0] = a->GetNode()->GetObject<MobilityModel>();
    m_mobility[1] = b->GetNode()->GetObject<MobilityModel>();
    NS_ABORT_MSG_IF(!m_mobility[0] || !m_mobility[1],
                    "both ends of a laser channel need a MobilityModel");
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
    return CalculateDistance(m_mobility[0]->GetPosition(), m_mobility[1]->GetPosition());
}

int
LaserChannel::IndexOf(Ptr<const LaserNetDevice> dev) const
{
    NS_ASSERT(m_end[0] == dev || m_end[1] == dev);
    return m_end[0] == dev ? 0 : 1;
}

Time
LaserChannel::GetLightTime(Ptr<const LaserNetDevice> src) const
{
    const int from = IndexOf(src);
    return Seconds(LightTimeS(m_mobility[from]->GetPosition(),
                              m_mobility[1 - from]->GetPosition(),
                              m_mobility[1 - from]->GetVelocity()));
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
 * The arrival of one packet: an event with its arguments as members (one allocation per
 * hop; MakeEvent's bound std::function needs two for this many arguments).
 */
class LaserChannel::DeliverEvent : public EventImpl
{
  public:
    DeliverEvent(LaserChannel* channel, InFlightList::iterator it, Ptr<LaserNetDevice> dst, bool corrupted)
        : m_channel(channel),
          m_it(it),
          m_dst(dst),
          m_corrupted(corrupted)
    {
    }

  private:
    void Notify() override
    {
        m_channel->Deliver(m_it, m_dst, m_corrupted);
    }

    LaserChannel* m_channel;
    InFlightList::iterator m_it;
    Ptr<LaserNetDevice> m_dst;
    bool m_corrupted;
};

bool
LaserChannel::TransmitStart(Ptr<Packet> p, Ptr<LaserNetDevice> src, Time txTime)
{
    if (!IsConnected())
    {
        return false;
    }
    const int from = IndexOf(src);
    Ptr<LaserNetDevice> dst = m_end[1 - from];
    // Geometry at the instant the packet leaves the terminal.
    const Vector txPos = m_mobility[from]->GetPosition();
    const Vector rxPos = m_mobility[1 - from]->GetPosition();
    bool corrupted = false;
    // Clouds over a ground station: its links are dark while a blocked interval lasts.
    if (src->IsBlocked(Simulator::Now()) || dst->IsBlocked(Simulator::Now()))
    {
        return false;
    }
    if (Ptr<OpticalLinkModel> model = src->GetLinkModel())
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
        auto radialError = [tau](Ptr<LaserNetDevice> terminal, double bias, double jitter) {
            if (jitter <= 0)
            {
                return bias;
            }
            double nx;
            double ny;
            terminal->SamplePointing(tau, nx, ny);
            return std::hypot(bias + jitter * nx, jitter * ny);
        };
        const double txError = radialError(src, model->GetPointingBiasRad(), model->GetPointingJitterRad());
        const double rxError = radialError(dst, model->GetRxPointingBiasRad(), model->GetRxPointingJitterRad());
        double power = model->GetReceivedPowerW(distance, txError, rxError) * transmittance;
        if (scintillationSigma > 0)
        {
            // Log-normal irradiance of mean 1 (weak turbulence), one draw per packet.
            double n;
            double unused;
            src->NextNormalPair(n, unused);
            power *= std::exp(scintillationSigma * n - 0.5 * scintillationSigma * scintillationSigma);
        }
        corrupted = model->IsCorruptedAtPower(power, p->GetSize(), src->NextUniform());
    }
    const Time delay = Seconds(LightTimeS(txPos, rxPos, m_mobility[1 - from]->GetVelocity()));
    if (!s_remoteSender.IsNull() && dst->GetNode()->GetSystemId() != s_localSystemId)
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
        m_txrxTrace(p, src, dst, txTime, delay);
        return true;
    }
    const auto it = m_inFlight.insert(m_inFlight.end(), p);
    Simulator::ScheduleWithContext(dst->GetNodeId(),
                                   txTime + delay,
                                   new DeliverEvent(this, it, dst, corrupted));
    m_txrxTrace(p, src, dst, txTime, delay);
    return true;
}

void
LaserChannel::Deliver(InFlightList::iterator it, Ptr<LaserNetDevice> dst, bool corrupted)
{
    Ptr<Packet> p = *it;
    m_inFlight.erase(it);
    dst->Receive(p, corrupted);
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
    for (const auto& p : m_inFlight)
    {
        f(p);
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
