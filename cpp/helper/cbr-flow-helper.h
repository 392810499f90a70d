#ifndef NETSIM_CBR_FLOW_HELPER_H
#define NETSIM_CBR_FLOW_HELPER_H

#include "flow-recorder.h"

#include "ns3/ipv4-address.h"
#include "ns3/node.h"
#include "ns3/nstime.h"

namespace ns3
{

/**
 * @brief Installs a constant-bit-rate UDP flow (UdpClient -> UdpServer) between two
 * nodes with IP stacks and registers it with a FlowRecorder.
 */
class CbrFlowHelper
{
  public:
    explicit CbrFlowHelper(Ptr<FlowRecorder> recorder);

    /**
     * @param packetBytes UDP payload per packet, bytes (>= 12: sequence and timestamp)
     * @param interval time between packets
     * @param start, stop when the client starts and stops sending
     * @return the flow number in the recorder
     */
    uint32_t Install(Ptr<Node> src,
                     Ptr<Node> dst,
                     Ipv4Address dstAddress,
                     uint16_t port,
                     uint32_t packetBytes,
                     Time interval,
                     Time start,
                     Time stop);

  private:
    Ptr<FlowRecorder> m_recorder;
};

} // namespace ns3

#endif
