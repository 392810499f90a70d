#include "laser-helper.h"

#include "laser-channel.h"

#include "ns3/abort.h"
#include "ns3/mac48-address.h"
#include "ns3/pointer.h"
#include "ns3/rng-seed-manager.h"

namespace ns3
{

LaserHelper::LaserHelper()
{
    m_deviceFactory.SetTypeId("ns3::LaserNetDevice");
}

void
LaserHelper::SetDeviceAttribute(std::string name, const AttributeValue& value)
{
    m_deviceFactory.Set(name, value);
}

void
LaserHelper::SetLinkModel(Ptr<OpticalLinkModel> model)
{
    m_deviceFactory.Set("LinkModel", PointerValue(model));
}

Ptr<LaserNetDevice>
LaserHelper::MakeDevice(Ptr<Node> node)
{
    Ptr<LaserNetDevice> dev = m_deviceFactory.Create<LaserNetDevice>();
    dev->SetAddress(Mac48Address::Allocate());
    // A reproducible stream per run number, node and device slot (SplitMix64 finaliser).
    uint64_t x = (uint64_t(RngSeedManager::GetSeed()) << 32) ^ RngSeedManager::GetRun();
    x ^= (uint64_t(node->GetId()) << 8 | node->GetNDevices()) * 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 33)) * 0xFF51AFD7ED558CCDULL;
    dev->SetRandomStream(x ^ (x >> 33));
    node->AddDevice(dev);
    return dev;
}

NetDeviceContainer
LaserHelper::Install(Ptr<Node> a, Ptr<Node> b)
{
    Ptr<LaserNetDevice> devA = MakeDevice(a);
    Ptr<LaserNetDevice> devB = MakeDevice(b);
    CreateObject<LaserChannel>()->Connect(devA, devB);
    NetDeviceContainer devices;
    devices.Add(devA);
    devices.Add(devB);
    return devices;
}

NetDeviceContainer
LaserHelper::Install(NodeContainer c)
{
    NS_ABORT_MSG_IF(c.GetN() != 2, "LaserHelper::Install needs exactly two nodes");
    return Install(c.Get(0), c.Get(1));
}

void
LaserHelper::EnablePcapInternal(std::string prefix, Ptr<NetDevice> nd, bool, bool explicitFilename)
{
    Ptr<LaserNetDevice> device = nd->GetObject<LaserNetDevice>();
    if (!device)
    {
        return;
    }
    PcapHelper pcapHelper;
    const std::string filename =
        explicitFilename ? prefix : pcapHelper.GetFilenameFromDevice(prefix, device);
    Ptr<PcapFileWrapper> file = pcapHelper.CreateFile(filename, std::ios::out, PcapHelper::DLT_PPP);
    pcapHelper.HookDefaultSink<LaserNetDevice>(device, "PromiscSniffer", file);
}

} // namespace ns3
