#ifndef NETSIM_TRAFFIC_HELPER_H
#define NETSIM_TRAFFIC_HELPER_H

#include "seqts-udp-source.h"
#include "tcp-bulk-source.h"
#include "traffic-recorder.h"

#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/nstime.h"

#include <string>

namespace ns3
{

/**
 * @brief Installs the traffic of netsim.run.traffic: UDP constant rate,
 * on/off and burst flows, TCP bulk transfers and pings, each registered with a
 * TrafficRecorder. Every Install* returns the flow's number within its kind.
 */
class TrafficHelper
{
  public:
    explicit TrafficHelper(Ptr<TrafficRecorder> recorder);

    /**
     * A distributed run: sources on nodes another MPI rank owns are installed all the
     * same (every rank numbers flows and applications alike) but never start; that rank
     * runs them. Servers and sinks only listen, so they are installed everywhere.
     */
    void SetLocalSystemId(uint32_t systemId);

    /** UdpClient -> UdpServer at a constant rate (the udp_cbr kind). */
    uint32_t InstallUdpCbr(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                           uint32_t packetBytes, Time interval, Time start, Time stop);

    /**
     * SeqTsUdpSource -> UdpServer: on/off (burstPackets = 0; on/off times constant or
     * exponential with the given means, random stream `stream`) or bursts.
     */
    uint32_t InstallUdpSource(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                              uint32_t packetBytes, Time interval, double onS, double offS,
                              bool exponential, int64_t stream, uint32_t burstPackets,
                              Time burstPeriod, Time start, Time stop);

    /**
     * TcpBulkSource -> PacketSink. congestion: an ns-3 TypeId name such as
     * "ns3::TcpCubic"; maxBytes 0: until stop. The sink's receive buffer is the largest
     * bufferBytes of all TCP flows (ns3::TcpSocket::RcvBufSize default).
     */
    uint32_t InstallTcpBulk(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                            uint64_t maxBytes, std::string congestion, uint32_t segmentBytes,
                            uint32_t bufferBytes, Time start, Time stop);

    /** ns3::Ping (ICMP echo) every interval; count 0: until stop. */
    uint32_t InstallPing(Ptr<Node> src, Ipv4Address dstAddress, Time interval, uint32_t payloadBytes,
                         uint32_t count, Time start, Time stop);

  private:
    /** Start and stop a source, or leave it dormant if another rank owns its node. */
    void Schedule(Ptr<Application> source, Time start, Time stop) const;

    Ptr<TrafficRecorder> m_recorder;
    bool m_distributed{false};
    uint32_t m_localSystemId{0};
    uint32_t m_rcvBuf{0};
};

} // namespace ns3

#endif
