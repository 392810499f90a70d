#ifndef NETSIM_TCP_MESSAGE_STREAM_H
#define NETSIM_TCP_MESSAGE_STREAM_H

#include "ns3/callback.h"
#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/socket.h"
#include "ns3/tcp-header.h"
#include "ns3/tcp-socket-base.h"
#include "ns3/type-id.h"

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

namespace ns3
{

/**
 * @brief One TCP connection from a node to another that carries messages in order: the
 * sender queues messages of so many bytes (Send), the socket carries them as its window
 * allows, and when the receiving application has read all bytes of a message the
 * delivered callback fires with the message's index (0, 1, ...). The training jobs'
 * collectives, checkpoints and restores run on these (CollectiveJob).
 *
 * The receiving end is a StreamListener on the destination node and port, which hands
 * the bytes read from each accepted connection to the stream of that peer address.
 */
class TcpMessageStream : public Object
{
  public:
    static TypeId GetTypeId();
    TcpMessageStream();
    ~TcpMessageStream() override;

    /**
     * congestion: a TcpCongestionOps TypeId; segmentBytes: the MSS; bufferBytes: the
     * send buffer (the receiver's is the listener's).
     */
    void Setup(Ptr<Node> source,
               Ipv4Address destination,
               uint16_t port,
               TypeId congestion,
               uint32_t segmentBytes,
               uint32_t bufferBytes);
    /** The socket's minimum retransmission timeout (ns3::TcpSocketBase::MinRto); set before Open. */
    void SetMinRto(Time minRto);
    /** Connect now; messages queued before the connection opens wait for it. */
    void Open();
    /** Queue a message of `bytes` (> 0); @return its index */
    uint32_t Send(uint64_t bytes);
    void SetDeliveredCallback(Callback<void, uint32_t> delivered);
    /** Called for every segment the socket retransmits. */
    void SetRetransmissionCallback(Callback<void> retransmitted);
    /** The listener read `bytes` of this stream at the receiver. */
    void Received(uint64_t bytes);

    uint64_t GetQueuedBytes() const;
    uint64_t GetSentBytes() const;
    uint64_t GetDeliveredBytes() const;
    uint32_t GetDeliveredMessages() const;
    uint64_t GetRetransmissions() const;
    Ptr<Node> GetSource() const;

  protected:
    void DoDispose() override;

  private:
    void Connected(Ptr<Socket> socket);
    void Failed(Ptr<Socket> socket);
    void DataSend(Ptr<Socket> socket, uint32_t available);
    void Push();
    void Retransmitted(Ptr<const Packet> p,
                       const TcpHeader& header,
                       const Address& local,
                       const Address& peer,
                       Ptr<const TcpSocketBase> socket);

    Ptr<Node> m_source;
    Ipv4Address m_destination;
    uint16_t m_port{0};
    TypeId m_congestion;
    uint32_t m_segmentBytes{1448};
    uint32_t m_bufferBytes{4194304};
    Time m_minRto{Seconds(1)};
    Ptr<Socket> m_socket;
    bool m_connected{false};
    uint64_t m_queued{0};
    uint64_t m_sent{0};
    uint64_t m_delivered{0};
    std::deque<uint64_t> m_ends; // cumulative end offset of each message not yet delivered
    uint32_t m_nDelivered{0};
    uint64_t m_retransmissions{0};
    Callback<void, uint32_t> m_deliveredCallback;
    Callback<void> m_retransmittedCallback;
};

/**
 * @brief The receiving end of TcpMessageStreams on one node and port: accepts their
 * connections, reads everything they carry, and credits it to the stream whose source
 * address the connection comes from.
 */
class StreamListener : public Object
{
  public:
    static TypeId GetTypeId();
    StreamListener();
    ~StreamListener() override;

    void Setup(Ptr<Node> node, uint16_t port, uint32_t bufferBytes);
    void AddStream(Ipv4Address source, Ptr<TcpMessageStream> stream);

  protected:
    void DoDispose() override;

  private:
    bool Request(Ptr<Socket> socket, const Address& from);
    void Accept(Ptr<Socket> socket, const Address& from);
    void Read(Ptr<Socket> socket);

    Ptr<Node> m_node;
    Ptr<Socket> m_socket;
    std::map<uint32_t, Ptr<TcpMessageStream>> m_streams; // by source address
    std::map<Ptr<Socket>, Ptr<TcpMessageStream>> m_accepted;
};

} // namespace ns3

#endif
