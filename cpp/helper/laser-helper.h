#ifndef NETSIM_LASER_HELPER_H
#define NETSIM_LASER_HELPER_H

#include "laser-net-device.h"
#include "optical-link-model.h"

#include "ns3/net-device-container.h"
#include "ns3/node-container.h"
#include "ns3/object-factory.h"
#include "ns3/trace-helper.h"

#include <string>

namespace ns3
{

/**
 * @brief Builds laser links between pairs of nodes, the way PointToPointHelper builds
 * point-to-point links: a LaserNetDevice on each node and a LaserChannel between them.
 *
 * For plain ns-3 programs (cpp/examples/laser-link.cc). Both nodes need a MobilityModel:
 * the channel's delay is the light time between them when a packet is sent. Give the
 * devices an OpticalLinkModel (SetLinkModel) for range limits and bit errors; without one
 * the link is ideal. Each device gets its own reproducible random stream (pointing
 * jitter, bit errors) from the run number, its node and its position in the node.
 * EnablePcap writes classic pcap (DLT_PPP) through ns-3's PcapHelper.
 */
class LaserHelper : public PcapHelperForDevice
{
  public:
    LaserHelper();

    /** Set an attribute of the LaserNetDevices made afterwards (DataRate, TxQueueSize, Mtu). */
    void SetDeviceAttribute(std::string name, const AttributeValue& value);
    /** The optical link model of the devices made afterwards (null: ideal links). */
    void SetLinkModel(Ptr<OpticalLinkModel> model);

    /** A laser link between a and b: their two new devices, in that order. */
    NetDeviceContainer Install(Ptr<Node> a, Ptr<Node> b);
    /** A laser link between the two nodes of c. */
    NetDeviceContainer Install(NodeContainer c);

  private:
    void EnablePcapInternal(std::string prefix,
                            Ptr<NetDevice> nd,
                            bool promiscuous,
                            bool explicitFilename) override;
    Ptr<LaserNetDevice> MakeDevice(Ptr<Node> node);

    ObjectFactory m_deviceFactory;
};

} // namespace ns3

#endif
