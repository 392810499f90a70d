#include "laser-mpi.h"

#include "laser-channel.h"
#include "laser-fabric-helper.h"
#include "laser-net-device.h"

#include "ns3/config.h"
#include "ns3/distributed-simulator-impl.h"
#include "ns3/global-value.h"
#include "ns3/mpi-interface.h"
#include "ns3/mpi-receiver.h"
#include "ns3/simulator.h"
#include "ns3/string.h"

namespace ns3
{

namespace
{

void
AttachReceiver(uint32_t, uint32_t, Ptr<LaserNetDevice> dev)
{
    Ptr<MpiReceiver> receiver = CreateObject<MpiReceiver>();
    receiver->SetReceiveCallback(MakeCallback(&LaserNetDevice::ReceiveFromRemote, dev));
    dev->AggregateObject(receiver);
}

void
SendToRank(Ptr<Packet> p, const Time& arrival, uint32_t node, uint32_t ifIndex)
{
    MpiInterface::SendPacket(p, arrival, node, ifIndex);
}

} // namespace

void
LaserMpi::Enable(Time lookahead)
{
    NS_ABORT_MSG_IF(lookahead <= Time(0), "the lookahead must be positive");
    GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::DistributedSimulatorImpl"));
    static int argc = 1;
    static char name[] = "netsim";
    static char* args[] = {name, nullptr};
    static char** argv = args;
    MpiInterface::Enable(&argc, &argv);
    // Channels with a remote end report it as their Delay; the bound covers links that
    // are not up when a Run starts.
    Config::SetDefault("ns3::LaserChannel::Delay", TimeValue(lookahead));
    BoundLookAhead(lookahead);
    LaserChannel::SetRemoteSender(MakeCallback(&SendToRank), MpiInterface::GetSystemId());
}

void
LaserMpi::BoundLookAhead(Time lookahead)
{
    Ptr<DistributedSimulatorImpl> engine = DynamicCast<DistributedSimulatorImpl>(Simulator::GetImplementation());
    NS_ABORT_MSG_UNLESS(engine, "the simulator is not ns3::DistributedSimulatorImpl: was it used before MPI?");
    engine->BoundLookAhead(lookahead);
}

uint32_t
LaserMpi::GetSystemId()
{
    return MpiInterface::GetSystemId();
}

uint32_t
LaserMpi::GetSize()
{
    return MpiInterface::GetSize();
}

void
LaserMpi::AttachReceivers(LaserFabricHelper& fabric)
{
    // The fabric calls back for its own nodes' terminals only (never for proxies).
    fabric.WatchPorts(MakeCallback(&AttachReceiver));
}

void
LaserMpi::Disable()
{
    LaserChannel::SetRemoteSender(LaserChannel::RemoteSender(), 0);
    MpiInterface::Disable();
}

} // namespace ns3
