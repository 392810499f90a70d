#include "tcp-message-stream.h"

#include "ns3/abort.h"
#include "ns3/inet-socket-address.h"
#include "ns3/simulator.h"
#include "ns3/tcp-l4-protocol.h"
#include "ns3/tcp-socket-factory.h"
#include "ns3/uinteger.h"

#include <algorithm>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(TcpMessageStream);
NS_OBJECT_ENSURE_REGISTERED(StreamListener);

TypeId
TcpMessageStream::GetTypeId()
{
    static TypeId tid = TypeId("ns3::TcpMessageStream")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<TcpMessageStream>();
    return tid;
}

TcpMessageStream::TcpMessageStream() = default;
TcpMessageStream::~TcpMessageStream() = default;

void
TcpMessageStream::DoDispose()
{
    m_socket = nullptr;
    m_source = nullptr;
    m_deliveredCallback = MakeNullCallback<void, uint32_t>();
    m_retransmittedCallback = MakeNullCallback<void>();
    Object::DoDispose();
}

void
TcpMessageStream::Setup(Ptr<Node> source,
                        Ipv4Address destination,
                        uint16_t port,
                        TypeId congestion,
                        uint32_t segmentBytes,
                        uint32_t bufferBytes)
{
    m_source = source;
    m_destination = destination;
    m_port = port;
    m_congestion = congestion;
    m_segmentBytes = segmentBytes;
    m_bufferBytes = bufferBytes;
}

void
TcpMessageStream::SetMinRto(Time minRto)
{
    m_minRto = minRto;
}

void
TcpMessageStream::Open()
{
    if (m_socket)
    {
        return;
    }
    Ptr<TcpL4Protocol> tcp = m_source->GetObject<TcpL4Protocol>();
    NS_ABORT_MSG_IF(!tcp, "TcpMessageStream needs an IP stack on node " << m_source->GetId());
    m_socket = tcp->CreateSocket(m_congestion);
    m_socket->SetAttribute("SegmentSize", UintegerValue(m_segmentBytes));
    m_socket->SetAttribute("SndBufSize", UintegerValue(m_bufferBytes));
    m_socket->SetAttribute("RcvBufSize", UintegerValue(m_bufferBytes));
    m_socket->SetAttribute("MinRto", TimeValue(m_minRto));
    // The first window is the whole window (at least ns-3's 10 segments): a stream is a
    // tuned fabric transport (RoCE, which training clusters run, has no slow start), and
    // its window is already sized to the path and to fit a laser queue. Slow start from
    // 10 segments, its cwnd growing one segment per (delayed) ACK, left a 2-satellite
    // all-reduce cwnd-limited for iterations: its ACKs queue behind the other
    // direction's data, so the window it needs is the BDP plus that queue.
    m_socket->SetAttribute("InitialCwnd",
                           UintegerValue(std::max<uint32_t>(10, m_bufferBytes / m_segmentBytes)));
    m_socket->Bind();
    m_socket->TraceConnectWithoutContext("Retransmission",
                                         MakeCallback(&TcpMessageStream::Retransmitted, this));
    m_socket->SetConnectCallback(MakeCallback(&TcpMessageStream::Connected, this),
                                 MakeCallback(&TcpMessageStream::Failed, this));
    m_socket->SetSendCallback(MakeCallback(&TcpMessageStream::DataSend, this));
    m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    m_socket->Connect(InetSocketAddress(m_destination, m_port));
}

uint32_t
TcpMessageStream::Send(uint64_t bytes)
{
    NS_ABORT_MSG_IF(bytes == 0, "a message has at least one byte");
    m_queued += bytes;
    m_ends.push_back(m_queued);
    const uint32_t index = m_nDelivered + m_ends.size() - 1;
    Push();
    return index;
}

void
TcpMessageStream::SetDeliveredCallback(Callback<void, uint32_t> delivered)
{
    m_deliveredCallback = delivered;
}

void
TcpMessageStream::SetRetransmissionCallback(Callback<void> retransmitted)
{
    m_retransmittedCallback = retransmitted;
}

void
TcpMessageStream::Received(uint64_t bytes)
{
    m_delivered += bytes;
    while (!m_ends.empty() && m_delivered >= m_ends.front())
    {
        m_ends.pop_front();
        const uint32_t index = m_nDelivered++;
        if (!m_deliveredCallback.IsNull())
        {
            m_deliveredCallback(index);
        }
    }
}

uint64_t
TcpMessageStream::GetQueuedBytes() const
{
    return m_queued;
}

uint64_t
TcpMessageStream::GetSentBytes() const
{
    return m_sent;
}

uint64_t
TcpMessageStream::GetDeliveredBytes() const
{
    return m_delivered;
}

uint32_t
TcpMessageStream::GetDeliveredMessages() const
{
    return m_nDelivered;
}

uint64_t
TcpMessageStream::GetRetransmissions() const
{
    return m_retransmissions;
}

Ptr<Node>
TcpMessageStream::GetSource() const
{
    return m_source;
}

void
TcpMessageStream::Connected(Ptr<Socket>)
{
    m_connected = true;
    Push();
}

void
TcpMessageStream::Failed(Ptr<Socket>)
{
    m_connected = false;
}

void
TcpMessageStream::DataSend(Ptr<Socket>, uint32_t)
{
    Push();
}

void
TcpMessageStream::Push()
{
    if (!m_connected)
    {
        return;
    }
    while (m_sent < m_queued)
    {
        const uint64_t available = m_socket->GetTxAvailable();
        if (available == 0)
        {
            return; // DataSend calls back as the buffer drains
        }
        const uint32_t chunk = uint32_t(std::min<uint64_t>({available, m_queued - m_sent, 1u << 20}));
        const int sent = m_socket->Send(Create<Packet>(chunk));
        if (sent <= 0)
        {
            return;
        }
        m_sent += uint64_t(sent);
    }
}

void
TcpMessageStream::Retransmitted(Ptr<const Packet>,
                                const TcpHeader&,
                                const Address&,
                                const Address&,
                                Ptr<const TcpSocketBase>)
{
    m_retransmissions++;
    if (!m_retransmittedCallback.IsNull())
    {
        m_retransmittedCallback();
    }
}

TypeId
StreamListener::GetTypeId()
{
    static TypeId tid = TypeId("ns3::StreamListener")
                            .SetParent<Object>()
                            .SetGroupName("Netsim")
                            .AddConstructor<StreamListener>();
    return tid;
}

StreamListener::StreamListener() = default;
StreamListener::~StreamListener() = default;

void
StreamListener::DoDispose()
{
    m_socket = nullptr;
    m_accepted.clear();
    m_streams.clear();
    m_node = nullptr;
    Object::DoDispose();
}

void
StreamListener::Setup(Ptr<Node> node, uint16_t port, uint32_t bufferBytes)
{
    m_node = node;
    m_socket = Socket::CreateSocket(node, TcpSocketFactory::GetTypeId());
    // Accepted sockets are forks of this one: they inherit its receive buffer.
    m_socket->SetAttribute("RcvBufSize", UintegerValue(bufferBytes));
    m_socket->SetAttribute("SndBufSize", UintegerValue(1u << 16));
    // Delayed ACKs wait at most 40 ms (Linux's TCP_ATO_MIN), not ns-3's 200 ms: a
    // 200 ms delayed ACK races the sender's 200 ms minimum RTO, and after a timeout
    // (window of one segment) every segment is then retransmitted spuriously once and
    // the window never grows back (seen as one 9 kB segment per 224 ms).
    m_socket->SetAttribute("DelAckTimeout", TimeValue(MilliSeconds(40)));
    NS_ABORT_MSG_IF(m_socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), port)) != 0,
                    "StreamListener: cannot bind port " << port << " on node " << node->GetId());
    m_socket->Listen();
    m_socket->SetAcceptCallback(MakeCallback(&StreamListener::Request, this),
                                MakeCallback(&StreamListener::Accept, this));
}

void
StreamListener::AddStream(Ipv4Address source, Ptr<TcpMessageStream> stream)
{
    m_streams[source.Get()] = stream;
}

bool
StreamListener::Request(Ptr<Socket>, const Address& from)
{
    return m_streams.count(InetSocketAddress::ConvertFrom(from).GetIpv4().Get()) > 0;
}

void
StreamListener::Accept(Ptr<Socket> socket, const Address& from)
{
    m_accepted[socket] = m_streams.at(InetSocketAddress::ConvertFrom(from).GetIpv4().Get());
    socket->SetRecvCallback(MakeCallback(&StreamListener::Read, this));
}

void
StreamListener::Read(Ptr<Socket> socket)
{
    Ptr<TcpMessageStream> stream = m_accepted.at(socket);
    while (Ptr<Packet> packet = socket->Recv())
    {
        if (packet->GetSize() == 0)
        {
            break;
        }
        stream->Received(packet->GetSize());
    }
}

} // namespace ns3
