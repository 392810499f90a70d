#ifndef NETSIM_TRAFFIC_RECORDER_H
#define NETSIM_TRAFFIC_RECORDER_H

#include "tcp-bulk-source.h"

#include "ns3/application.h"
#include "ns3/nstime.h"
#include "ns3/object.h"
#include "ns3/packet-sink.h"
#include "ns3/packet.h"
#include "ns3/ping.h"
#include "ns3/udp-server.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief Counters and per-packet records of every traffic kind (netsim.run.traffic), kept
 * in flat arrays that Python copies out once at the end of a run.
 *
 * UDP flows (any source with a "Tx" trace and a SeqTsHeader payload: UdpClient,
 * SeqTsUdpSource) -> per received packet: flow, sequence, send time, arrival time, size.
 * TCP flows (TcpBulkSource -> PacketSink) -> bytes sent/received, first/last arrival.
 * Pings (ns3::Ping) -> per echo request: flow, sequence, send time; per reply: RTT.
 * Each kind numbers its flows 0, 1, ... in the order they are added.
 */
class TrafficRecorder : public Object
{
  public:
    static TypeId GetTypeId();

    uint32_t AddUdpFlow(Ptr<Application> source, Ptr<UdpServer> server);
    uint32_t AddTcpFlow(Ptr<TcpBulkSource> source, Ptr<PacketSink> sink);
    uint32_t AddPing(Ptr<Ping> ping);
    /**
     * @return the signature flow's Ping writes at the start of every echo payload (its
     * node id << 32 + its index among the node's applications): DropClassifier::AddPing
     */
    uint64_t GetPingSignature(uint32_t flow) const;

    // UDP
    uint64_t GetUdpSent(uint32_t flow) const;
    uint64_t GetUdpSentBytes(uint32_t flow) const;
    uint64_t GetNUdpReceived() const;
    /** Copy GetNUdpReceived() records: flow, sequence, send ns, arrival ns, payload bytes. */
    void CopyUdpReceived(uint32_t* flow, uint32_t* seq, int64_t* sentNs, int64_t* receivedNs, uint32_t* bytes) const;

    // TCP: per flow bytes sent (accepted by the socket), bytes received by the sink,
    // connection time, first and last arrival (ns; -1 if none).
    void CopyTcp(uint64_t* sentBytes, uint64_t* receivedBytes, int64_t* connectedNs, int64_t* firstRxNs, int64_t* lastRxNs) const;
    uint32_t GetNTcpFlows() const;
    /** Per flow: retransmitted segments, RTT samples, their sum, min and max (ns). */
    void CopyTcpStats(uint64_t* retransmissions, uint64_t* rttSamples, int64_t* rttSumNs, int64_t* rttMinNs,
                      int64_t* rttMaxNs) const;

    // Ping
    uint64_t GetNPingSent() const;
    void CopyPingSent(uint32_t* flow, uint32_t* seq, int64_t* sentNs) const;
    uint64_t GetNPingRtt() const;
    void CopyPingRtt(uint32_t* flow, uint32_t* seq, int64_t* rttNs) const;
    /**
     * Dispose the Ping applications while the simulator still exists: Ping reports in
     * DoDispose and would otherwise do so at process exit, after Simulator::Destroy.
     */
    void DisposePings();

  protected:
    void DoDispose() override;

  private:
    void UdpSent(uint32_t flow, Ptr<const Packet> packet);
    void UdpReceived(uint32_t flow, Ptr<const Packet> packet);
    void TcpReceived(uint32_t flow, Ptr<const Packet> packet, const Address& from);
    void PingSent(uint32_t flow, uint16_t seq, Ptr<Packet> packet);
    void PingRtt(uint32_t flow, uint16_t seq, Time rtt);

    std::vector<uint64_t> m_udpSent;
    std::vector<uint64_t> m_udpSentBytes;
    std::vector<uint32_t> m_rxFlow;
    std::vector<uint32_t> m_rxSeq;
    std::vector<int64_t> m_rxSentNs;
    std::vector<int64_t> m_rxReceivedNs;
    std::vector<uint32_t> m_rxBytes;

    std::vector<Ptr<TcpBulkSource>> m_tcpSources;
    std::vector<uint64_t> m_tcpRxBytes;
    std::vector<int64_t> m_tcpFirstRx;
    std::vector<int64_t> m_tcpLastRx;

    uint32_t m_nPings{0};
    std::vector<Ptr<Ping>> m_pings;
    std::vector<uint64_t> m_pingSignatures;
    std::vector<uint32_t> m_pingTxFlow;
    std::vector<uint32_t> m_pingTxSeq;
    std::vector<int64_t> m_pingTxNs;
    std::vector<uint32_t> m_pingRttFlow;
    std::vector<uint32_t> m_pingRttSeq;
    std::vector<int64_t> m_pingRttNs;
};

} // namespace ns3

#endif
