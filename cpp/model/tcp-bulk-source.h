#ifndef NETSIM_TCP_BULK_SOURCE_H
#define NETSIM_TCP_BULK_SOURCE_H

#include "ns3/address.h"
#include "ns3/application.h"
#include "ns3/socket.h"
#include "ns3/tcp-header.h"
#include "ns3/tcp-socket-base.h"
#include "ns3/traced-callback.h"
#include "ns3/type-id.h"

namespace ns3
{

/**
 * @brief A TCP bulk transfer (like BulkSendApplication) whose socket uses the
 * congestion control given per application, not per node: the socket is created with
 * TcpL4Protocol::CreateSocket(CongestionControl).
 *
 * Sends MaxBytes (0: until stopped) in chunks of SendSize, then closes the connection.
 */
class TcpBulkSource : public Application
{
  public:
    static TypeId GetTypeId();
    TcpBulkSource();
    ~TcpBulkSource() override;

    /** @return bytes accepted by the socket so far */
    uint64_t GetSentBytes() const;
    /** @return time the connection was established (-1 ns if never) */
    Time GetConnectedTime() const;
    /** @return segments the socket retransmitted (its Retransmission trace) */
    uint64_t GetRetransmissions() const;
    /** RTT samples of the socket's estimator (LastRTT trace): count, sum, min, max (ns). */
    void GetRtt(uint64_t& samples, int64_t& sumNs, int64_t& minNs, int64_t& maxNs) const;

  protected:
    void DoDispose() override;

  private:
    void StartApplication() override;
    void StopApplication() override;
    void Connected(Ptr<Socket> socket);
    void ConnectionFailed(Ptr<Socket> socket);
    void DataSend(Ptr<Socket> socket, uint32_t available);
    void SendData();
    void Retransmitted(Ptr<const Packet> p,
                       const TcpHeader& header,
                       const Address& local,
                       const Address& peer,
                       Ptr<const TcpSocketBase> socket);
    void RttSample(Time oldRtt, Time newRtt);

    Address m_peer;
    uint64_t m_maxBytes{0};
    uint32_t m_sendSize{1448};
    uint32_t m_segmentSize{1448};
    uint32_t m_sndBuf{4194304};
    TypeId m_congestion;
    Ptr<Socket> m_socket;
    bool m_connected{false};
    bool m_closed{false};
    uint64_t m_sent{0};
    Time m_connectedAt{NanoSeconds(-1)};
    uint64_t m_retransmissions{0};
    uint64_t m_rttSamples{0};
    int64_t m_rttSumNs{0};
    int64_t m_rttMinNs{0};
    int64_t m_rttMaxNs{0};
    TracedCallback<Ptr<const Packet>> m_txTrace;
};

} // namespace ns3

#endif
