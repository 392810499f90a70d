"""netsim's forwarding path against ns-3's stock IPv4 forwarding, same path, same packets.

A line of 12 nodes: a sender, 10 forwarding nodes, a receiver; a UDP flow of 1,000-byte
payloads from end to end, paced so that no queue grows. Built twice in one process:

- netsim: LaserFabricHelper nodes (the 10 in the middle satellites with a
  SatelliteForwarder and a ForwardingTable, the ends stations with an endpoint stack),
  laser links (light time from the ephemeris; no optical loss model, so that both sides
  do the same work per hop);
- ns-3 stock: PointToPointHelper links (same rate, same delay), InternetStackHelper on
  every node, Ipv4StaticRoutingHelper routes, the middle nodes forwarding IPv4.

Each repeat runs both, interleaved; the best wall time of Simulator::Run per side gives
forwarding hops per second (packets x 10 / s), and their ratio is the headline.

    python benchmarks/forwarding_chain.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netsim.core.fabric import Fabric, load_core  # noqa: E402

FORWARDERS = 10
SPACING_M = 1_000e3
PAYLOAD_BYTES = 1000
INTERVAL_S = 2e-6  # 4 Gbps of payload on 10 Gbps links: no queue grows

UDP = """
namespace chainbench {
uint64_t received = 0;
void Count(ns3::Ptr<ns3::Socket> s) {
    ns3::Ptr<ns3::Packet> p;
    while ((p = s->Recv())) { ++received; }
}
void Listen(ns3::Ptr<ns3::Node> node) {
    received = 0;
    ns3::Ptr<ns3::Socket> s = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    s->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), 9));
    s->SetRecvCallback(ns3::MakeCallback(&Count));
}
void Send(ns3::Ptr<ns3::Node> node, ns3::Ipv4Address to, uint32_t count, double interval, uint32_t bytes) {
    ns3::Ptr<ns3::Socket> s = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    s->Bind();
    s->Connect(ns3::InetSocketAddress(to, 9));
    for (uint32_t i = 0; i < count; ++i)
        ns3::Simulator::Schedule(ns3::Seconds(1e-3 + i * interval), [s, bytes]() { s->Send(ns3::Create<ns3::Packet>(bytes)); });
}
}
"""


def netsim_chain(ns, udp, packets: int):
    n = FORWARDERS + 2
    fabric = Fabric(ns, 10, 1000, None)
    fabric.create_nodes(1, 1, relay=False)  # sender
    fabric.create_nodes(FORWARDERS, 2, relay=True)
    fabric.create_nodes(1, 1, relay=False)  # receiver
    pos0 = np.array([[7e6, i * SPACING_M, 0.0] for i in range(n)])
    vel = np.tile([0.0, 0.0, 7500.0], (n, 1))
    fabric.set_ephemeris_window(0.0, 100.0, np.stack([pos0, pos0 + vel * 100]), np.stack([vel, vel]))
    fabric.helper.SetDestinationCount(2)
    sender, receiver = ns.Ipv4Address("10.128.0.1"), ns.Ipv4Address("10.128.0.2")
    fabric.helper.InstallEndpointStack(n - 1, receiver, 0)
    fabric.helper.InstallEndpointStack(0, sender, 1)
    # Satellite i: port 0 toward i - 1, port 1 toward i + 1; the ends have port 0 only.
    fabric.connect([0], [0], [1], [0])
    fabric.connect(list(range(1, n - 2)), [1] * (n - 3), list(range(2, n - 1)), [0] * (n - 3))
    fabric.connect([n - 2], [1], [n - 1], [0])
    ports = np.full((n, 2), 0xFF, dtype=np.uint8)
    ports[0, 0] = 0
    ports[1:n - 1, 0], ports[1:n - 1, 1] = 1, 0
    ports[n - 1, 1] = 0
    fabric.set_forwarding(ports)
    udp.Listen(fabric.helper.GetNode(n - 1))
    udp.Send(fabric.helper.GetNode(0), receiver, packets, INTERVAL_S, PAYLOAD_BYTES)
    return fabric


def stock_chain(ns, udp, packets: int):
    n = FORWARDERS + 2
    nodes = ns.NodeContainer()
    nodes.Create(n)
    ns.InternetStackHelper().Install(nodes)
    p2p = ns.PointToPointHelper()
    p2p.SetDeviceAttribute("DataRate", ns.StringValue("10Gbps"))
    p2p.SetChannelAttribute("Delay", ns.StringValue(f"{round(SPACING_M / 299_792_458.0 * 1e9)}ns"))
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns.StringValue("1000p"))
    addresses = ns.Ipv4AddressHelper()
    interfaces = []
    for i in range(n - 1):
        devices = p2p.Install(nodes.Get(i), nodes.Get(i + 1))
        addresses.SetBase(ns.Ipv4Address(f"10.1.{i}.0"), ns.Ipv4Mask("255.255.255.0"))
        interfaces.append(addresses.Assign(devices))
    static = ns.Ipv4StaticRoutingHelper()
    receiver = interfaces[-1].GetAddress(1)
    sender = interfaces[0].GetAddress(0)
    for i in range(n):
        routing = static.GetStaticRouting(nodes.Get(i).GetObject[ns.Ipv4]())
        if i < n - 1:  # toward the receiver: the link to i + 1 (interface 1, or 1 at the sender)
            routing.AddHostRouteTo(receiver, interfaces[i].GetAddress(1), 2 if i > 0 else 1)
        if i > 0:  # back toward the sender
            routing.AddHostRouteTo(sender, interfaces[i - 1].GetAddress(0), 1)
    udp.Listen(nodes.Get(n - 1))
    udp.Send(nodes.Get(0), receiver, packets, INTERVAL_S, PAYLOAD_BYTES)
    return nodes


def measure(ns, udp, build, packets: int) -> tuple[float, int]:
    keep = build(ns, udp, packets)
    start = time.perf_counter()
    ns.Simulator.Run()
    wall = time.perf_counter() - start
    received = int(udp.received)
    ns.Simulator.Destroy()
    del keep
    return wall, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    packets = 20_000 if args.quick else 200_000
    repeats = 2 if args.quick else args.repeats
    ns = load_core()
    ns.GlobalValue.Bind("ChecksumEnabled", ns.BooleanValue(True))
    ns.cppyy.cppdef(UDP)
    udp = ns.cppyy.gbl.chainbench
    builders = {"netsim": netsim_chain, "stock": stock_chain}
    walls = {name: [] for name in builders}
    for _ in range(repeats):  # interleaved, best of each: robust to other load on the machine
        for name, build in builders.items():
            wall, received = measure(ns, udp, build, packets)
            assert received == packets, (name, received, packets)
            walls[name].append(wall)
    rate = {name: packets * FORWARDERS / min(w) for name, w in walls.items()}
    for name in builders:
        print(f"{name}-forwarding-hops-per-second: {rate[name]:.0f} hops/s")
        print(f"{name}-ns-per-forwarding-hop: {1e9 / rate[name]:.0f} ns")
    print(f"netsim-over-stock-forwarding-rate: {rate['netsim'] / rate['stock']:.2f} x")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; {FORWARDERS} forwarding nodes, "
          f"{packets} packets of {PAYLOAD_BYTES} bytes, best of {repeats}")


if __name__ == "__main__":
    main()
