/*
 * Two satellites on one laser link, in plain ns-3 (no Python): a LaserChannel between
 * two LaserNetDevices with an OpticalLinkModel, an IPv4 stack, a UDP flow, a pcap.
 *
 *   netsim-laser-link [--distanceKm=2000] [--txPowerW=1] [--packets=1000] [--pcap=laser-link|none]
 *
 * The satellites fly side by side (550 km up, same velocity), so the light time is the
 * distance over c. The program prints the link budget, packets sent and received, and
 * the measured one-way propagation delay against distance / c.
 */

#include "laser-helper.h"
#include "optical-link-model.h"

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"

#include <cmath>
#include <iomanip>
#include <iostream>

using namespace ns3;

namespace
{

Time g_delaySum;
uint64_t g_delayCount = 0;

void
OnLaserTxRx(Ptr<const Packet>, Ptr<NetDevice>, Ptr<NetDevice>, Time, Time delay)
{
    g_delaySum += delay;
    ++g_delayCount;
}

} // namespace

int
main(int argc, char* argv[])
{
    double distanceKm = 2000;
    double txPowerW = 1.0;
    uint32_t packets = 1000;
    std::string pcap = "laser-link";
    CommandLine cmd(__FILE__);
    cmd.AddValue("distanceKm", "distance between the satellites, km", distanceKm);
    cmd.AddValue("txPowerW", "transmit power, W", txPowerW);
    cmd.AddValue("packets", "UDP packets to send", packets);
    cmd.AddValue("pcap", "pcap file prefix (none: no capture)", pcap);
    cmd.Parse(argc, argv);

    NodeContainer satellites;
    satellites.Create(2);
    const double orbitRadiusM = 6378137.0 + 550e3;
    const Vector velocity(0, 0, 7585.0); // both satellites move together
    for (uint32_t i = 0; i < 2; ++i)
    {
        Ptr<ConstantVelocityMobilityModel> mobility = CreateObject<ConstantVelocityMobilityModel>();
        mobility->SetPosition(Vector(orbitRadiusM, i * distanceKm * 1e3, 0));
        mobility->SetVelocity(velocity);
        satellites.Get(i)->AggregateObject(mobility);
    }

    Ptr<OpticalLinkModel> model = CreateObject<OpticalLinkModel>();
    model->SetAttribute("TxPower", DoubleValue(txPowerW));
    LaserHelper laser;
    laser.SetDeviceAttribute("DataRate", DataRateValue(DataRate("10Gbps")));
    laser.SetLinkModel(model);
    NetDeviceContainer devices = laser.Install(satellites);

    InternetStackHelper internet;
    internet.Install(satellites);
    Ipv4AddressHelper addresses("10.1.1.0", "255.255.255.252");
    Ipv4InterfaceContainer interfaces = addresses.Assign(devices);

    UdpServerHelper server(9000);
    ApplicationContainer serverApp = server.Install(satellites.Get(1));
    UdpClientHelper client(interfaces.GetAddress(1), 9000);
    client.SetAttribute("MaxPackets", UintegerValue(packets));
    client.SetAttribute("Interval", TimeValue(MicroSeconds(100)));
    client.SetAttribute("PacketSize", UintegerValue(1000));
    ApplicationContainer clientApp = client.Install(satellites.Get(0));
    clientApp.Start(MilliSeconds(10));
    Config::ConnectWithoutContext("/ChannelList/*/$ns3::LaserChannel/TxRxLaser", MakeCallback(&OnLaserTxRx));
    if (pcap != "none")
    {
        laser.EnablePcapAll(pcap);
    }

    const double distanceM = distanceKm * 1e3;
    std::cout << "link budget at " << distanceKm << " km: margin " << model->GetMarginDb(distanceM)
              << " dB, usable " << (model->IsUsable(distanceM) ? "yes" : "no") << std::endl;
    Simulator::Stop(Seconds(1.0));
    Simulator::Run();
    const uint64_t received = DynamicCast<UdpServer>(serverApp.Get(0))->GetReceived();
    std::cout << "packets sent " << packets << " received " << received << std::endl;
    if (g_delayCount)
    {
        const double measuredS = g_delaySum.GetSeconds() / g_delayCount;
        std::cout << std::fixed << std::setprecision(4) << "propagation delay " << measuredS * 1e6
                  << " us, distance / c "
                  << distanceM / 299792458.0 * 1e6 << " us" << std::endl;
    }
    Simulator::Destroy();
    return received == packets ? 0 : 1;
}
