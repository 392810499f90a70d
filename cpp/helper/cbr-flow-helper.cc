#include "cbr-flow-helper.h"

#include "ns3/abort.h"
#include "ns3/udp-client-server-helper.h"
#include "ns3/uinteger.h"

namespace ns3
{

CbrFlowHelper::CbrFlowHelper(Ptr<FlowRecorder> recorder)
    : m_recorder(recorder)
{
}

uint32_t
CbrFlowHelper::Install(Ptr<Node> src,
                       Ptr<Node> dst,
                       Ipv4Address dstAddress,
                       uint16_t port,
                       uint32_t packetBytes,
                       Time interval,
                       Time start,
                       Time stop)
{
    NS_ABORT_MSG_IF(packetBytes < 12, "a UDP flow packet must hold its 12-byte SeqTs header");
    UdpServerHelper server(port);
    ApplicationContainer serverApps = server.Install(dst);
    serverApps.Start(Seconds(0));

    UdpClientHelper client(dstAddress, port);
    client.SetAttribute("MaxPackets", UintegerValue(0)); // bounded by the stop time
    client.SetAttribute("Interval", TimeValue(interval));
    client.SetAttribute("PacketSize", UintegerValue(packetBytes));
    ApplicationContainer clientApps = client.Install(src);
    clientApps.Start(start);
    clientApps.Stop(stop);

    return m_recorder->AddFlow(DynamicCast<UdpClient>(clientApps.Get(0)),
                               DynamicCast<UdpServer>(serverApps.Get(0)));
}

} // namespace ns3
