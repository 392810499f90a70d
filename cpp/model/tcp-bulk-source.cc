#include "tcp-bulk-source.h"

#include "ns3/abort.h"
#include "ns3/simulator.h"
#include "ns3/tcp-l4-protocol.h"
#include "ns3/tcp-congestion-ops.h"
#include "ns3/type-id.h"
#include "ns3/uinteger.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(TcpBulkSource);

TypeId
TcpBulkSource::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::TcpBulkSource")
            .SetParent<Application>()
            .SetGroupName("Netsim")
            .AddConstructor<TcpBulkSource>()
            .AddAttribute("Remote",
                          "Destination address and port (InetSocketAddress).",
                          AddressValue(),
                          MakeAddressAccessor(&TcpBulkSource::m_peer),
                          MakeAddressChecker())
            .AddAttribute("MaxBytes",
                          "Bytes to send; 0: until the application stops.",
                          UintegerValue(0),
                          MakeUintegerAccessor(&TcpBulkSource::m_maxBytes),
                          MakeUintegerChecker<uint64_t>())
            .AddAttribute("SendSize",
                          "Bytes handed to the socket per call.",
                          UintegerValue(1448),
                          MakeUintegerAccessor(&TcpBulkSource::m_sendSize),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("SegmentSize",
                          "TCP maximum segment size, bytes.",
                          UintegerValue(1448),
                          MakeUintegerAccessor(&TcpBulkSource::m_segmentSize),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("SndBufSize",
                          "Socket send buffer, bytes.",
                          UintegerValue(4194304),
                          MakeUintegerAccessor(&TcpBulkSource::m_sndBuf),
                          MakeUintegerChecker<uint32_t>(1))
            .AddAttribute("CongestionControl",
                          "TypeId of the congestion control (a TcpCongestionOps).",
                          TypeIdValue(TcpNewReno::GetTypeId()),
                          MakeTypeIdAccessor(&TcpBulkSource::m_congestion),
                          MakeTypeIdChecker())
            .AddTraceSource("Tx",
                            "Data handed to the socket.",
                            MakeTraceSourceAccessor(&TcpBulkSource::m_txTrace),
                            "ns3::Packet::TracedCallback");
    return tid;
}

TcpBulkSource::TcpBulkSource() = default;
TcpBulkSource::~TcpBulkSource() = default;

uint64_t
TcpBulkSource::GetSentBytes() const
{
    return m_sent;
}

Time
TcpBulkSource::GetConnectedTime() const
{
    return m_connectedAt;
}

uint64_t
TcpBulkSource::GetRetransmissions() const
{
    return m_retransmissions;
}

void
TcpBulkSource::GetRtt(uint64_t& samples, int64_t& sumNs, int64_t& minNs, int64_t& maxNs) const
{
    samples = m_rttSamples;
    sumNs = m_rttSumNs;
    minNs = m_rttMinNs;
    maxNs = m_rttMaxNs;
}

void
TcpBulkSource::Retransmitted(Ptr<const Packet>,
                             const TcpHeader&,
                             const Address&,
                             const Address&,
                             Ptr<const TcpSocketBase>)
{
    m_retransmissions++;
}

void
TcpBulkSource::RttSample(Time, Time rtt)
{
    const int64_t ns = rtt.GetNanoSeconds();
    if (ns <= 0)
    {
        return; // the estimator's reset value, not a sample
    }
    m_rttMinNs = m_rttSamples ? std::min(m_rttMinNs, ns) : ns;
    m_rttMaxNs = m_rttSamples ? std::max(m_rttMaxNs, ns) : ns;
    m_rttSumNs += ns;
    m_rttSamples++;
}

void
TcpBulkSource::DoDispose()
{
    m_socket = nullptr;
    Application::DoDispose();
}

void
TcpBulkSource::StartApplication()
{
    if (m_socket)
    {
        return;
    }
    Ptr<TcpL4Protocol> tcp = GetNode()->GetObject<TcpL4Protocol>();
    NS_ABORT_MSG_IF(!tcp, "TcpBulkSource needs an IP stack on node " << GetNode()->GetId());
    m_socket = tcp->CreateSocket(m_congestion);
    m_socket->SetAttribute("SegmentSize", UintegerValue(m_segmentSize));
    m_socket->SetAttribute("SndBufSize", UintegerValue(m_sndBuf));
    m_socket->Bind();
    m_socket->TraceConnectWithoutContext("Retransmission",
                                         MakeCallback(&TcpBulkSource::Retransmitted, this));
    m_socket->TraceConnectWithoutContext("LastRTT", MakeCallback(&TcpBulkSource::RttSample, this));
    m_socket->SetConnectCallback(MakeCallback(&TcpBulkSource::Connected, this),
                                 MakeCallback(&TcpBulkSource::ConnectionFailed, this));
    m_socket->SetSendCallback(MakeCallback(&TcpBulkSource::DataSend, this));
    m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    m_socket->Connect(m_peer);
}

void
TcpBulkSource::StopApplication()
{
    if (m_socket && !m_closed)
    {
        m_socket->Close();
        m_closed = true;
    }
}

void
TcpBulkSource::Connected(Ptr<Socket>)
{
    m_connected = true;
    m_connectedAt = Simulator::Now();
    SendData();
}

void
TcpBulkSource::ConnectionFailed(Ptr<Socket>)
{
    m_closed = true;
}

void
TcpBulkSource::DataSend(Ptr<Socket>, uint32_t)
{
    if (m_connected)
    {
        SendData();
    }
}

void
TcpBulkSource::SendData()
{
    while (!m_closed && (m_maxBytes == 0 || m_sent < m_maxBytes))
    {
        uint64_t chunk = m_sendSize;
        if (m_maxBytes > 0)
        {
            chunk = std::min<uint64_t>(chunk, m_maxBytes - m_sent);
        }
        if (m_socket->GetTxAvailable() < chunk)
        {
            return; // DataSend calls back when the buffer drains
        }
        Ptr<Packet> p = Create<Packet>(uint32_t(chunk));
        const int sent = m_socket->Send(p);
        if (sent <= 0)
        {
            return;
        }
        m_sent += sent;
        m_txTrace(p);
    }
    if (!m_closed && m_maxBytes > 0 && m_sent >= m_maxBytes)
    {
        m_socket->Close(); // FIN after the buffered data
        m_closed = true;
    }
}

} // namespace ns3
