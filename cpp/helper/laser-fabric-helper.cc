#include "laser-fabric-helper.h"

#include "ns3/abort.h"
#include "ns3/channel-list.h"
#include "ephemeris-mobility-model.h"
#include "ns3/internet-stack-helper.h"
#include "ns3/ipv4-static-routing-helper.h"
#include "ns3/ipv4.h"
#include "ns3/mac48-address.h"
#include "ns3/queue-size.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/uinteger.h"
#include "ns3/simulator.h"

#include <algorithm>
#include <cmath>

namespace ns3
{

LaserFabricHelper::LaserFabricHelper()
{
    m_deviceFactory.SetTypeId("ns3::LaserNetDevice");
    m_store = CreateObject<EphemerisStore>();
    m_table = CreateObject<ForwardingTable>();
}

void
LaserFabricHelper::SetDeviceAttribute(std::string name, const AttributeValue& value)
{
    m_deviceFactory.Set(name, value);
}

uint64_t
LaserFabricHelper::StreamSeed(uint32_t node, uint32_t port)
{
    // Distinct, reproducible streams per run number and link end.
    uint64_t x = (uint64_t(RngSeedManager::GetSeed()) << 32) ^ RngSeedManager::GetRun();
    x ^= (uint64_t(node) << 8 | port) * 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 33)) * 0xFF51AFD7ED558CCDULL;
    return x ^ (x >> 33);
}

NodeContainer
LaserFabricHelper::CreateNodes(uint32_t n, uint32_t ports, bool relay, uint32_t systemId)
{
    NS_ABORT_MSG_IF(ports > ForwardingTable::UNSOLVED, "at most 254 ports per node");
    NodeContainer created;
    for (uint32_t i = 0; i < n; ++i)
    {
        const uint32_t index = m_nodes.GetN();
        Ptr<Node> node = CreateObject<Node>(systemId);
        Ptr<EphemerisMobilityModel> mobility = CreateObject<EphemerisMobilityModel>();
        mobility->SetStore(m_store, index);
        node->AggregateObject(mobility);
        Ptr<SatelliteForwarder> forwarder = CreateObject<SatelliteForwarder>();
        forwarder->Setup(m_table, index, ports, relay);
        node->AggregateObject(forwarder);
        m_nodes.Add(node);
        m_ports.emplace_back(ports);
        m_forwarders.push_back(forwarder);
        created.Add(node);
    }
    return created;
}

void
LaserFabricHelper::SetLocalSystemId(uint32_t systemId)
{
    m_partial = true;
    m_localSystemId = systemId;
}

bool
LaserFabricHelper::IsLocal(uint32_t node) const
{
    return !m_partial || m_nodes.Get(node)->GetSystemId() == m_localSystemId;
}

uint32_t
LaserFabricHelper::RemoteIfIndex(uint32_t node, uint32_t port)
{
    if (m_remoteIfIndex.size() < m_ports.size())
    {
        m_remoteIfIndex.resize(m_ports.size());
        m_nRemotePorts.resize(m_ports.size(), 0);
    }
    std::vector<uint16_t>& index = m_remoteIfIndex[node];
    if (index.empty())
    {
        index.assign(m_ports[node].size(), 0);
    }
    if (index[port] == 0)
    {
        index[port] = uint16_t(m_nodes.Get(node)->GetNDevices() + m_nRemotePorts[node]++ + 1);
    }
    return index[port] - 1u;
}

Ptr<LaserNetDevice>
LaserFabricHelper::CreatePort(uint32_t node, uint32_t port)
{
    Ptr<LaserNetDevice> dev = m_deviceFactory.Create<LaserNetDevice>();
    dev->SetAddress(Mac48Address::Allocate());
    dev->SetRandomStream(StreamSeed(node, port));
    for (const auto& rule : m_physics)
    {
        if (node - rule.firstNode < rule.nNodes && port - rule.firstPort < rule.nPorts)
        {
            dev->SetDataRate(rule.rate);
            dev->SetLinkModel(rule.model);
            dev->SetChannels(rule.channels);
        }
    }
    m_ports[node][port] = dev;
    ++m_nCreatedPorts;
    if (!IsLocal(node))
    {
        // A proxy: the far end of a link to this rank, never a device of its node here.
        dev->SetNode(m_nodes.Get(node));
        dev->SetIfIndex(RemoteIfIndex(node, port));
        return dev;
    }
    m_nodes.Get(node)->AddDevice(dev);
    m_forwarders[node]->SetPort(port, dev);
    for (auto& watcher : m_portWatchers)
    {
        watcher(node, port, dev);
    }
    return dev;
}

void
LaserFabricHelper::SetDestinationCount(uint32_t nDestinations)
{
    // One row per node keeps node index == row; ground rows are simply unused.
    m_table->Resize(m_nodes.GetN(), nDestinations);
}

namespace
{

bool
SendThroughForwarder(Ptr<SatelliteForwarder> forwarder,
                     Ptr<Packet> packet,
                     const Address&,
                     const Address&,
                     uint16_t protocol)
{
    return protocol == 0x0800 && forwarder->SendLocal(packet);
}

void
DeliverToStack(Ptr<VirtualNetDevice> device, Ptr<Packet> packet)
{
    device->Receive(packet, 0x0800, device->GetAddress(), device->GetAddress(), NetDevice::PACKET_HOST);
}

} // namespace

Ptr<VirtualNetDevice>
LaserFabricHelper::InstallEndpointStack(uint32_t node, Ipv4Address addr, uint32_t dest)
{
    Ptr<Node> n = m_nodes.Get(node);
    NS_ABORT_MSG_IF(n->GetObject<Ipv4>(), "node " << node << " already has an IP stack");
    InternetStackHelper stack;
    stack.Install(n);
    Ptr<VirtualNetDevice> device = CreateObject<VirtualNetDevice>();
    device->SetAddress(Mac48Address::Allocate());
    device->SetNeedsArp(false);
    device->SetIsPointToPoint(true);
    device->SetSendCallback(MakeBoundCallback(&SendThroughForwarder, m_forwarders.at(node)));
    n->AddDevice(device);
    Ptr<Ipv4> ipv4 = n->GetObject<Ipv4>();
    const int32_t iface = ipv4->AddInterface(device);
    ipv4->AddAddress(iface, Ipv4InterfaceAddress(addr, Ipv4Mask("255.255.255.255")));
    ipv4->SetUp(iface);
    Ipv4StaticRoutingHelper routing;
    routing.GetStaticRouting(ipv4)->AddNetworkRouteTo(Ipv4Address("0.0.0.0"), Ipv4Mask("0.0.0.0"), iface);
    m_table->AddDestination(addr, dest);
    m_forwarders[node]->SetLocalDelivery(dest, MakeBoundCallback(&DeliverToStack, device));
    return device;
}

void
LaserFabricHelper::Release(Ptr<LaserNetDevice> dev)
{
    if (Ptr<Channel> old = dev->GetChannel())
    {
        Ptr<LaserChannel> channel = DynamicCast<LaserChannel>(old);
        channel->Disconnect();
        m_freeChannels.push_back(channel);
    }
}

void
LaserFabricHelper::ConnectPorts(Ptr<LaserNetDevice> a, Ptr<LaserNetDevice> b)
{
    Release(a);
    Release(b);
    Ptr<LaserChannel> channel;
    if (m_freeChannels.empty())
    {
        channel = CreateObject<LaserChannel>();
    }
    else
    {
        channel = m_freeChannels.back();
        m_freeChannels.pop_back();
    }
    channel->Connect(a, b);
}

std::pair<Ptr<LaserNetDevice>, Ptr<LaserNetDevice>>
LaserFabricHelper::Link(uint32_t nodeA, uint32_t portA, uint32_t nodeB, uint32_t portB)
{
    if (IsLocal(nodeA) || IsLocal(nodeB))
    {
        Ptr<LaserNetDevice> a = GetPort(nodeA, portA);
        Ptr<LaserNetDevice> b = GetPort(nodeB, portB);
        ConnectPorts(a, b);
        return {a, b};
    }
    for (const auto& [node, port] : {std::pair{nodeA, portA}, std::pair{nodeB, portB}})
    {
        CheckPort(node, port);
        RemoteIfIndex(node, port);
        if (Ptr<LaserNetDevice> proxy = m_ports[node][port])
        {
            Release(proxy);
        }
    }
    return {nullptr, nullptr};
}

void
LaserFabricHelper::Connect(const uint32_t* nodeA,
                           const uint32_t* portA,
                           const uint32_t* nodeB,
                           const uint32_t* portB,
                           uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i)
    {
        Link(nodeA[i], portA[i], nodeB[i], portB[i]);
    }
}

void
LaserFabricHelper::ConnectWithAcquisition(const uint32_t* nodeA,
                                          const uint32_t* portA,
                                          const uint32_t* nodeB,
                                          const uint32_t* portB,
                                          const double* slewA,
                                          const double* slewB,
                                          const double* acquisitionS,
                                          uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i)
    {
        const auto [a, b] = Link(nodeA[i], portA[i], nodeB[i], portB[i]);
        if (!a)
        {
            continue;
        }
        // Each end slews on its own; acquisition needs both and ends together.
        const double slew = std::max(slewA[i], slewB[i]);
        a->StartAcquisition(Seconds(slewA[i]), Seconds(slew - slewA[i] + acquisitionS[i]));
        b->StartAcquisition(Seconds(slewB[i]), Seconds(slew - slewB[i] + acquisitionS[i]));
    }
}

void
LaserFabricHelper::SetPortPhysics(uint32_t firstNode,
                                  uint32_t nNodes,
                                  uint32_t firstPort,
                                  uint32_t nPorts,
                                  DataRate rate,
                                  Ptr<OpticalLinkModel> model,
                                  uint32_t channels)
{
    m_physics.push_back({firstNode, nNodes, firstPort, nPorts, rate, model, channels});
    const uint32_t lastNode = std::min<uint64_t>(uint64_t(firstNode) + nNodes, m_ports.size());
    for (uint32_t node = firstNode; node < lastNode; ++node)
    {
        const uint32_t lastPort = std::min<uint64_t>(uint64_t(firstPort) + nPorts, m_ports[node].size());
        for (uint32_t port = firstPort; port < lastPort; ++port)
        {
            if (Ptr<LaserNetDevice> dev = m_ports[node][port])
            {
                dev->SetDataRate(rate);
                dev->SetLinkModel(model);
                dev->SetChannels(channels);
            }
        }
    }
}

void
LaserFabricHelper::SetBackgroundRates(const uint32_t* node,
                                      const uint32_t* port,
                                      const double* bps,
                                      uint64_t n,
                                      double minPacketShare)
{
    for (uint64_t i = 0; i < n; ++i)
    {
        if (node[i] >= m_ports.size() || port[i] >= m_ports[node[i]].size())
        {
            continue;
        }
        if (Ptr<LaserNetDevice> dev = m_ports[node[i]][port[i]])
        {
            dev->SetMinPacketShare(minPacketShare);
            dev->SetBackgroundRate(DataRate(uint64_t(std::llround(std::max(bps[i], 0.0)))));
        }
    }
}

void
LaserFabricHelper::ClearBackgroundAt(double atS)
{
    Simulator::Schedule(Seconds(atS) - Simulator::Now(), [this]() {
        for (auto& ports : m_ports)
        {
            for (auto& dev : ports)
            {
                if (dev)
                {
                    dev->SetBackgroundRate(DataRate(0));
                }
            }
        }
    });
}

void
LaserFabricHelper::SetBlockedIntervals(uint32_t node,
                                       uint32_t port,
                                       const double* startS,
                                       const double* endS,
                                       uint32_t n)
{
    GetPort(node, port)->SetBlockedIntervals(startS, endS, n);
}

void
LaserFabricHelper::WatchPorts(PortCallback watcher)
{
    m_portWatchers.push_back(watcher);
    for (uint32_t node = 0; node < m_ports.size(); ++node)
    {
        for (uint32_t port = 0; port < m_ports[node].size(); ++port)
        {
            if (Ptr<LaserNetDevice> dev = m_ports[node][port])
            {
                watcher(node, port, dev);
            }
        }
    }
}

void
LaserFabricHelper::WatchDrops(Ptr<DropClassifier> classifier)
{
    for (const auto& forwarder : m_forwarders)
    {
        classifier->Watch(forwarder);
    }
    WatchPorts(MakeCallback(&DropClassifier::WatchPort, classifier));
}

void
LaserFabricHelper::CountInFlight(Ptr<DropClassifier> classifier, uint64_t* queued, uint64_t* onChannels) const
{
    *queued = 0;
    *onChannels = 0;
    Callback<void, Ptr<const Packet>> count = MakeCallback(&DropClassifier::CountInFlight, classifier);
    for (const auto& ports : m_ports)
    {
        for (const auto& dev : ports)
        {
            if (dev)
            {
                dev->ForEachQueued(count);
                *queued += dev->GetNQueued();
            }
        }
    }
    // Channels released by a handover may still carry packets: walk every one there is.
    for (auto it = ChannelList::Begin(); it != ChannelList::End(); ++it)
    {
        if (Ptr<LaserChannel> channel = DynamicCast<LaserChannel>(*it))
        {
            channel->ForEachInFlight(count);
            *onChannels += channel->GetNInFlight();
        }
    }
}

void
LaserFabricHelper::Disconnect(const uint32_t* node, const uint32_t* port, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i)
    {
        if (Ptr<LaserNetDevice> dev = m_ports.at(node[i]).at(port[i]))
        {
            Release(dev);
        }
    }
}

void
LaserFabricHelper::SetEphemerisWindow(double startS,
                                      double stepS,
                                      uint32_t nSamples,
                                      const double* posM,
                                      const double* velMps)
{
    m_store->SetWindow(startS, stepS, nSamples, m_nodes.GetN(), posM, velMps);
}

void
LaserFabricHelper::SetForwardingRows(uint32_t firstNode, uint32_t nNodes, const uint8_t* ports)
{
    m_table->SetRows(firstNode, nNodes, ports);
}

void
LaserFabricHelper::GetDropTotals(uint64_t* deviceDrops, uint64_t* forwarderDrops) const
{
    std::fill(deviceDrops, deviceDrops + LaserNetDevice::N_DROP_CAUSES, 0);
    std::fill(forwarderDrops, forwarderDrops + 4, 0);
    for (std::size_t node = 0; node < m_ports.size(); ++node)
    {
        for (const auto& dev : m_ports[node])
        {
            if (!dev)
            {
                continue;
            }
            for (int c = 0; c < LaserNetDevice::N_DROP_CAUSES; ++c)
            {
                deviceDrops[c] += dev->GetDropCount(LaserNetDevice::DropCause(c));
            }
        }
        for (int r = 0; r < 4; ++r)
        {
            forwarderDrops[r] += m_forwarders[node]->GetDropCount(SatelliteForwarder::DropReason(r));
        }
    }
}

uint64_t
LaserFabricHelper::GetPacketHops() const
{
    uint64_t hops = 0;
    for (const auto& forwarder : m_forwarders)
    {
        if (forwarder)
        {
            hops += forwarder->GetForwardedCount();
        }
    }
    return hops;
}

Ptr<Node>
LaserFabricHelper::GetNode(uint32_t node) const
{
    return m_nodes.Get(node);
}

void
LaserFabricHelper::CheckPort(uint32_t node, uint32_t port) const
{
    NS_ABORT_MSG_IF(node >= m_ports.size() || port >= m_ports[node].size(),
                    "no laser port " << port << " on node " << node);
}

Ptr<LaserNetDevice>
LaserFabricHelper::GetPort(uint32_t node, uint32_t port)
{
    CheckPort(node, port);
    Ptr<LaserNetDevice> dev = m_ports[node][port];
    return dev ? dev : CreatePort(node, port);
}

uint32_t
LaserFabricHelper::GetNPorts(uint32_t node) const
{
    return m_ports.at(node).size();
}

uint64_t
LaserFabricHelper::GetNCreatedPorts() const
{
    return m_nCreatedPorts;
}

void
LaserFabricHelper::CopyPortCounters(uint32_t* node,
                                    uint32_t* port,
                                    uint64_t* frames,
                                    uint64_t* bytes,
                                    uint64_t* drops) const
{
    uint64_t row = 0;
    for (uint32_t n = 0; n < m_ports.size(); ++n)
    {
        for (uint32_t p = 0; p < m_ports[n].size(); ++p)
        {
            const Ptr<LaserNetDevice>& dev = m_ports[n][p];
            if (!dev)
            {
                continue;
            }
            node[row] = n;
            port[row] = p;
            frames[row] = dev->GetTxFrames();
            bytes[row] = dev->GetTxBytes();
            for (int c = 0; c < LaserNetDevice::N_DROP_CAUSES; ++c)
            {
                drops[row * LaserNetDevice::N_DROP_CAUSES + c] =
                    dev->GetDropCount(LaserNetDevice::DropCause(c));
            }
            ++row;
        }
    }
}

uint32_t
LaserFabricHelper::GetNNodes() const
{
    return m_nodes.GetN();
}

Ptr<EphemerisStore>
LaserFabricHelper::GetEphemerisStore() const
{
    return m_store;
}

Ptr<ForwardingTable>
LaserFabricHelper::GetForwardingTable() const
{
    return m_table;
}

Ptr<SatelliteForwarder>
LaserFabricHelper::GetForwarder(uint32_t node) const
{
    return m_forwarders.at(node);
}

void
LaserFabricHelper::SetCaptureOptions(Time epoch,
                                     uint32_t snapLength,
                                     const std::vector<uint32_t>& addresses,
                                     const std::vector<std::string>& names,
                                     std::string comment)
{
    m_captureEpoch = epoch;
    m_captureSnapLength = snapLength;
    m_captureAddresses = addresses;
    m_captureNames = names;
    m_captureComment = comment;
}

std::string
LaserFabricHelper::EnableCapture(uint32_t node,
                                 uint32_t port,
                                 std::string folder,
                                 std::string file,
                                 std::string ifName,
                                 std::string ifDescription)
{
    if (node >= m_ports.size() || port >= m_ports[node].size())
    {
        return "no laser port " + std::to_string(port) + " on node " + std::to_string(node);
    }
    if (!IsLocal(node))
    {
        // Its rank writes the file; here the port is used at the same point as there.
        RemoteIfIndex(node, port);
        return "";
    }
    Ptr<PcapNgWriter> writer = CreateObject<PcapNgWriter>();
    writer->SetAttribute("Epoch", TimeValue(m_captureEpoch));
    writer->SetAttribute("SnapLength", UintegerValue(m_captureSnapLength));
    writer->SetNames(m_captureAddresses, m_captureNames);
    m_captures.push_back(writer); // a failed one too: GetCaptureError reports it
    if (!writer->Open(folder, file, PcapHelper::DLT_PPP, ifName, ifDescription, m_captureComment))
    {
        return writer->GetError();
    }
    Ptr<LaserNetDevice> device = GetPort(node, port);
    // The two points where the device's sniffers see a frame: leaving and arriving.
    device->TraceConnectWithoutContext("PhyTxBegin", MakeCallback(&PcapNgWriter::WriteOutbound, writer));
    device->TraceConnectWithoutContext("PhyRxEnd", MakeCallback(&PcapNgWriter::WriteInbound, writer));
    return "";
}

std::string
LaserFabricHelper::GetCaptureError() const
{
    for (const auto& writer : m_captures)
    {
        if (writer->IsFailed())
        {
            return writer->GetError();
        }
    }
    return "";
}

std::string
LaserFabricHelper::CloseCaptures()
{
    for (const auto& writer : m_captures)
    {
        writer->Close();
    }
    return GetCaptureError();
}

void
LaserFabricHelper::EnablePcapInternal(std::string prefix,
                                      Ptr<NetDevice> nd,
                                      bool,
                                      bool explicitFilename)
{
    // PcapHelperForDevice::EnablePcap: the same pcapng writer (new file, no symlink
    // followed, failures reported by GetCaptureError rather than an abort).
    Ptr<LaserNetDevice> device = nd->GetObject<LaserNetDevice>();
    if (!device)
    {
        return;
    }
    for (uint32_t node = 0; node < m_ports.size(); ++node)
    {
        for (uint32_t port = 0; port < m_ports[node].size(); ++port)
        {
            if (m_ports[node][port] != device)
            {
                continue;
            }
            PcapHelper pcapHelper;
            const std::string path =
                explicitFilename ? prefix : pcapHelper.GetFilenameFromDevice(prefix, device);
            const std::size_t slash = path.rfind('/');
            const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
            const std::string file = slash == std::string::npos ? path : path.substr(slash + 1);
            const std::string name = "node " + std::to_string(node) + " port " + std::to_string(port);
            EnableCapture(node, port, folder, file, name, name); // errors: GetCaptureError
            return;
        }
    }
}

} // namespace ns3
