#include "seqts-udp-source.h"

#include "ns3/pointer.h"
#include "ns3/seq-ts-header.h"
#include "ns3/string.h"
#include "ns3/simulator.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(SeqTsUdpSource);

TypeId
SeqTsUdpSource::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SeqTsUdpSource")
            .SetParent<Application>()
            .SetGroupName("Netsim")
            .AddConstructor<SeqTsUdpSource>()
            .AddAttribute("Remote",
                          "Destination address and port (InetSocketAddress).",
                          AddressValue(),
                          MakeAddressAccessor(&SeqTsUdpSource::m_peer),
                          MakeAddressChecker())
            .AddAttribute("PacketSize",
                          "UDP payload, bytes (>= 12 for the SeqTs header).",
                          UintegerValue(1000),
                          MakeUintegerAccessor(&SeqTsUdpSource::m_size),
                          MakeUintegerChecker<uint32_t>(12, 65507))
            .AddAttribute("Interval",
                          "Time between packets while on / inside a burst.",
                          TimeValue(MilliSeconds(1)),
                          MakeTimeAccessor(&SeqTsUdpSource::m_interval),
                          MakeTimeChecker())
            .AddAttribute("OnTime",
                          "Length of an on period, s.",
                          StringValue("ns3::ConstantRandomVariable[Constant=1.0]"),
                          MakePointerAccessor(&SeqTsUdpSource::m_onTime),
                          MakePointerChecker<RandomVariableStream>())
            .AddAttribute("OffTime",
                          "Length of an off period, s.",
                          StringValue("ns3::ConstantRandomVariable[Constant=0.0]"),
                          MakePointerAccessor(&SeqTsUdpSource::m_offTime),
                          MakePointerChecker<RandomVariableStream>())
            .AddAttribute("BurstPackets",
                          "Packets per burst; 0 selects on/off periods.",
                          UintegerValue(0),
                          MakeUintegerAccessor(&SeqTsUdpSource::m_burstPackets),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("BurstPeriod",
                          "Time from the start of one burst to the next.",
                          TimeValue(Seconds(0.1)),
                          MakeTimeAccessor(&SeqTsUdpSource::m_burstPeriod),
                          MakeTimeChecker())
            .AddTraceSource("Tx",
                            "A packet was sent.",
                            MakeTraceSourceAccessor(&SeqTsUdpSource::m_txTrace),
                            "ns3::Packet::TracedCallback");
    return tid;
}

SeqTsUdpSource::SeqTsUdpSource() = default;
SeqTsUdpSource::~SeqTsUdpSource() = default;

uint64_t
SeqTsUdpSource::GetSent() const
{
    return m_sent;
}

void
SeqTsUdpSource::DoDispose()
{
    m_socket = nullptr;
    m_onTime = nullptr;
    m_offTime = nullptr;
    Application::DoDispose();
}

void
SeqTsUdpSource::StartApplication()
{
    if (!m_socket)
    {
        m_socket = Socket::CreateSocket(GetNode(), UdpSocketFactory::GetTypeId());
        m_socket->Bind();
        m_socket->Connect(m_peer);
        m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    }
    if (m_burstPackets > 0)
    {
        StartBurst();
    }
    else
    {
        StartOn();
    }
}

void
SeqTsUdpSource::StopApplication()
{
    Simulator::Cancel(m_event);
    Simulator::Cancel(m_burstEvent);
    if (m_socket)
    {
        m_socket->Close();
    }
}

void
SeqTsUdpSource::SendOne()
{
    SeqTsHeader seqTs; // stamps Simulator::Now()
    seqTs.SetSeq(m_seq++);
    Ptr<Packet> p = Create<Packet>(m_size - seqTs.GetSerializedSize());
    p->AddHeader(seqTs);
    if (m_socket->Send(p) >= 0)
    {
        m_sent++;
        m_txTrace(p);
    }
}

void
SeqTsUdpSource::StartOn()
{
    m_onEnd = Simulator::Now() + Seconds(m_onTime->GetValue());
    SendInOnPeriod();
}

void
SeqTsUdpSource::SendInOnPeriod()
{
    if (Simulator::Now() >= m_onEnd)
    {
        m_event = Simulator::Schedule(Seconds(m_offTime->GetValue()), &SeqTsUdpSource::StartOn, this);
        return;
    }
    SendOne();
    m_event = Simulator::Schedule(m_interval, &SeqTsUdpSource::SendInOnPeriod, this);
}

void
SeqTsUdpSource::StartBurst()
{
    // The next burst starts a period after this one began.
    m_burstEvent = Simulator::Schedule(m_burstPeriod, &SeqTsUdpSource::StartBurst, this);
    SendInBurst(m_burstPackets);
}

void
SeqTsUdpSource::SendInBurst(uint32_t left)
{
    while (left > 0)
    {
        SendOne();
        --left;
        if (left > 0 && !m_interval.IsZero())
        {
            m_event = Simulator::Schedule(m_interval, &SeqTsUdpSource::SendInBurst, this, left);
            return;
        }
    }
}

} // namespace ns3
