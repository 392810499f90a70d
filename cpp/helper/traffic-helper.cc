#include "traffic-helper.h"

#include "ns3/abort.h"
#include "ns3/config.h"
#include "ns3/double.h"
#include "ns3/enum.h"
#include "ns3/inet-socket-address.h"
#include "ns3/packet-sink-helper.h"
#include "ns3/ping.h"
#include "ns3/pointer.h"
#include "ns3/random-variable-stream.h"
#include "ns3/tcp-socket-factory.h"
#include "ns3/udp-client-server-helper.h"
#include "ns3/uinteger.h"

namespace ns3
{

namespace
{

Ptr<UdpServer>
InstallServer(Ptr<Node> dst, uint16_t port)
{
    UdpServerHelper server(port);
    ApplicationContainer apps = server.Install(dst);
    apps.Start(Seconds(0));
    return DynamicCast<UdpServer>(apps.Get(0));
}

} // namespace

TrafficHelper::TrafficHelper(Ptr<TrafficRecorder> recorder)
    : m_recorder(recorder)
{
}

void
TrafficHelper::SetLocalSystemId(uint32_t systemId)
{
    m_distributed = true;
    m_localSystemId = systemId;
}

void
TrafficHelper::Schedule(Ptr<Application> source, Time start, Time stop) const
{
    if (m_distributed && source->GetNode()->GetSystemId() != m_localSystemId)
    {
        // Dormant: far beyond any run (a century), stop after start as for a live one.
        start = Seconds(100 * 365.25 * 86400);
        stop = start + NanoSeconds(1);
    }
    source->SetStartTime(start);
    source->SetStopTime(stop);
}

uint32_t
TrafficHelper::InstallUdpCbr(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                             uint32_t packetBytes, Time interval, Time start, Time stop)
{
    NS_ABORT_MSG_IF(packetBytes < 12, "a UDP flow packet must hold its 12-byte SeqTs header");
    Ptr<UdpServer> server = InstallServer(dst, port);
    UdpClientHelper client(dstAddress, port);
    client.SetAttribute("MaxPackets", UintegerValue(0)); // bounded by the stop time
    client.SetAttribute("Interval", TimeValue(interval));
    client.SetAttribute("PacketSize", UintegerValue(packetBytes));
    ApplicationContainer apps = client.Install(src);
    Schedule(apps.Get(0), start, stop);
    return m_recorder->AddUdpFlow(apps.Get(0), server);
}

uint32_t
TrafficHelper::InstallUdpSource(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                                uint32_t packetBytes, Time interval, double onS, double offS,
                                bool exponential, int64_t stream, uint32_t burstPackets,
                                Time burstPeriod, Time start, Time stop)
{
    Ptr<UdpServer> server = InstallServer(dst, port);
    Ptr<RandomVariableStream> on;
    Ptr<RandomVariableStream> off;
    if (exponential)
    {
        Ptr<ExponentialRandomVariable> e1 = CreateObject<ExponentialRandomVariable>();
        e1->SetAttribute("Mean", DoubleValue(onS));
        Ptr<ExponentialRandomVariable> e2 = CreateObject<ExponentialRandomVariable>();
        e2->SetAttribute("Mean", DoubleValue(offS));
        on = e1;
        off = e2;
    }
    else
    {
        Ptr<ConstantRandomVariable> c1 = CreateObject<ConstantRandomVariable>();
        c1->SetAttribute("Constant", DoubleValue(onS));
        Ptr<ConstantRandomVariable> c2 = CreateObject<ConstantRandomVariable>();
        c2->SetAttribute("Constant", DoubleValue(offS));
        on = c1;
        off = c2;
    }
    on->SetStream(2 * stream);
    off->SetStream(2 * stream + 1);
    Ptr<SeqTsUdpSource> app = CreateObject<SeqTsUdpSource>();
    app->SetAttribute("Remote", AddressValue(InetSocketAddress(dstAddress, port)));
    app->SetAttribute("PacketSize", UintegerValue(packetBytes));
    app->SetAttribute("Interval", TimeValue(interval));
    app->SetAttribute("OnTime", PointerValue(on));
    app->SetAttribute("OffTime", PointerValue(off));
    app->SetAttribute("BurstPackets", UintegerValue(burstPackets));
    app->SetAttribute("BurstPeriod", TimeValue(burstPeriod));
    src->AddApplication(app);
    Schedule(app, start, stop);
    return m_recorder->AddUdpFlow(app, server);
}

uint32_t
TrafficHelper::InstallTcpBulk(Ptr<Node> src, Ptr<Node> dst, Ipv4Address dstAddress, uint16_t port,
                              uint64_t maxBytes, std::string congestion, uint32_t segmentBytes,
                              uint32_t bufferBytes, Time start, Time stop)
{
    TypeId cc;
    NS_ABORT_MSG_IF(!TypeId::LookupByNameFailSafe(congestion, &cc),
                    "no congestion control named " << congestion);
    if (bufferBytes > m_rcvBuf)
    {
        m_rcvBuf = bufferBytes;
        Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(m_rcvBuf));
    }
    PacketSinkHelper sinkHelper("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer sinkApps = sinkHelper.Install(dst);
    sinkApps.Start(Seconds(0));
    Ptr<TcpBulkSource> app = CreateObject<TcpBulkSource>();
    app->SetAttribute("Remote", AddressValue(InetSocketAddress(dstAddress, port)));
    app->SetAttribute("MaxBytes", UintegerValue(maxBytes));
    app->SetAttribute("SendSize", UintegerValue(segmentBytes));
    app->SetAttribute("SegmentSize", UintegerValue(segmentBytes));
    app->SetAttribute("SndBufSize", UintegerValue(bufferBytes));
    app->SetAttribute("CongestionControl", TypeIdValue(cc));
    src->AddApplication(app);
    Schedule(app, start, stop);
    return m_recorder->AddTcpFlow(app, DynamicCast<PacketSink>(sinkApps.Get(0)));
}

uint32_t
TrafficHelper::InstallPing(Ptr<Node> src, Ipv4Address dstAddress, Time interval, uint32_t payloadBytes,
                           uint32_t count, Time start, Time stop)
{
    Ptr<Ping> ping = CreateObject<Ping>();
    ping->SetAttribute("Destination", AddressValue(dstAddress));
    ping->SetAttribute("Interval", TimeValue(interval));
    ping->SetAttribute("Size", UintegerValue(payloadBytes));
    ping->SetAttribute("Count", UintegerValue(count));
    ping->SetAttribute("VerboseMode", EnumValue(Ping::SILENT));
    src->AddApplication(ping);
    Schedule(ping, start, stop);
    return m_recorder->AddPing(ping);
}

} // namespace ns3
