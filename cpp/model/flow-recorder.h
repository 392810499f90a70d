#ifndef NETSIM_FLOW_RECORDER_H
#define NETSIM_FLOW_RECORDER_H

#include "ns3/object.h"
#include "ns3/packet.h"
#include "ns3/udp-client.h"
#include "ns3/udp-server.h"

#include <cstdint>
#include <vector>

namespace ns3
{

/**
 * @brief Per-packet record of UDP flows: what each client sent and, for every packet
 * that arrived, its sequence number, send time and arrival time.
 *
 * UdpClient stamps a SeqTsHeader (sequence, send time) into every payload, so the
 * one-way delay is measured from the packet itself. Records live in flat arrays that
 * Python copies out once at the end of a run, with no callback per packet.
 */
class FlowRecorder : public Object
{
  public:
    static TypeId GetTypeId();

    /** Record the flow from client to server; @return its flow number */
    uint32_t AddFlow(Ptr<UdpClient> client, Ptr<UdpServer> server);

    uint32_t GetNFlows() const;
    /** @return packets the client of a flow has sent */
    uint64_t GetSent(uint32_t flow) const;
    /** @return number of packets received over all flows */
    uint64_t GetNReceived() const;
    /**
     * Copy the receive records into caller arrays of GetNReceived() entries:
     * flow number, sequence number, send time (ns), arrival time (ns), size (bytes).
     */
    void CopyReceived(uint32_t* flow, uint32_t* seq, int64_t* sentNs, int64_t* receivedNs, uint32_t* bytes) const;

  private:
    void NotifySent(uint32_t flow, Ptr<const Packet> packet);
    void NotifyReceived(uint32_t flow, Ptr<const Packet> packet);

    std::vector<uint64_t> m_sent;
    std::vector<uint32_t> m_rxFlow;
    std::vector<uint32_t> m_rxSeq;
    std::vector<int64_t> m_rxSentNs;
    std::vector<int64_t> m_rxReceivedNs;
    std::vector<uint32_t> m_rxBytes;
};

} // namespace ns3

#endif
