"""Per-packet cost of netsim's LaserNetDevice against ns-3's stock PointToPointNetDevice.

Both run the same chain of hops and the same packets: a relay on every node hands each
received packet to the next device through the generic NetDevice API, so the only
difference is the device/channel pair. The laser runs with its full optical model
(link budget, pointing jitter, bit-error draw, light-time delay from the ephemeris).

    python benchmarks/laser_device.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netsim.core.fabric import Fabric, load_core  # noqa: E402
from netsim.links.link_budget import LinkBudget  # noqa: E402

RELAY = """
namespace bench {
std::unordered_map<ns3::NetDevice*, ns3::Ptr<ns3::NetDevice>> next;
uint64_t delivered = 0;
bool Relay(ns3::Ptr<ns3::NetDevice> dev, ns3::Ptr<const ns3::Packet> p, uint16_t proto, const ns3::Address&) {
    auto it = next.find(ns3::PeekPointer(dev));
    if (it == next.end()) { ++delivered; return true; }
    it->second->Send(p->Copy(), it->second->GetBroadcast(), proto);
    return true;
}
void Chain(ns3::Ptr<ns3::NetDevice> in, ns3::Ptr<ns3::NetDevice> out) {
    if (out) next[ns3::PeekPointer(in)] = out;
    in->SetReceiveCallback(ns3::MakeCallback(&Relay));
}
void Reset() { next.clear(); delivered = 0; }
void Inject(ns3::Ptr<ns3::NetDevice> d, uint32_t count, double interval, uint32_t bytes) {
    for (uint32_t i = 0; i < count; ++i)
        ns3::Simulator::Schedule(ns3::Seconds(1e-3 + i * interval), [d, bytes]() {
            d->Send(ns3::Create<ns3::Packet>(bytes), d->GetBroadcast(), 0x0800); });
}
}
"""


def laser_chain(ns, bench, hops: int):
    fabric = Fabric(ns, 10, 1000, LinkBudget(pointing_jitter_rad=1e-6))
    fabric.create_nodes(hops + 1, 2, relay=False)
    # Nodes 1000 km apart on a line, moving together (satellites in a train).
    pos0 = np.array([[7e6, i * 1e6, 0.0] for i in range(hops + 1)])
    vel = np.tile([0.0, 0.0, 7500.0], (hops + 1, 1))
    fabric.set_ephemeris_window(0.0, 100.0, np.stack([pos0, pos0 + vel * 100]), np.stack([vel, vel]))
    for i in range(hops):
        fabric.connect([i], [1], [i + 1], [0])
    for i in range(1, hops + 1):
        bench.Chain(fabric.port(i, 0), fabric.port(i, 1) if i < hops else ns.cppyy.nullptr)
    return fabric.port(0, 1), fabric


def p2p_chain(ns, bench, hops: int):
    nodes = ns.NodeContainer()
    nodes.Create(hops + 1)
    helper = ns.PointToPointHelper()
    helper.SetDeviceAttribute("DataRate", ns.StringValue("10Gbps"))
    helper.SetChannelAttribute("Delay", ns.StringValue("3335641ns"))  # 1000 km / c
    helper.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns.StringValue("1000p"))
    links = [helper.Install(nodes.Get(i), nodes.Get(i + 1)) for i in range(hops)]
    for i in range(1, hops + 1):
        bench.Chain(links[i - 1].Get(1), links[i].Get(0) if i < hops else ns.cppyy.nullptr)
    return links[0].Get(0), links


def measure(ns, bench, build, hops, packets, interval) -> tuple[float, int, int]:
    bench.Reset()
    first, keep = build(ns, bench, hops)
    bench.Inject(first, packets, interval, 1000)
    start = time.perf_counter()
    ns.Simulator.Run()
    wall = time.perf_counter() - start
    events = int(ns.Simulator.GetEventCount())
    delivered = int(bench.delivered)
    ns.Simulator.Destroy()
    del keep
    return wall, events, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--hops", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    packets = 20_000 if args.quick else 200_000
    repeats = 2 if args.quick else args.repeats
    ns = load_core()
    ns.cppyy.cppdef(RELAY)
    bench = ns.cppyy.gbl.bench
    interval = 2e-6  # 4 Gbps offered per hop: no queue growth, every packet crosses every hop
    builders = {"p2p": p2p_chain, "laser": laser_chain}
    runs = {name: [] for name in builders}
    # Interleaved repeats, best of each: robust to other load on the machine.
    for _ in range(repeats):
        for name, build in builders.items():
            runs[name].append(measure(ns, bench, build, args.hops, packets, interval))
    results = {}
    for name in builders:
        wall = min(r[0] for r in runs[name])
        _, events, delivered = runs[name][0]
        assert delivered == packets, (name, delivered)
        results[name] = (wall, events)
        hop_packets = packets * args.hops
        print(f"{name}-wall: {wall:.3f} s")
        print(f"{name}-events-per-second: {events / wall:.0f} events/s")
        print(f"{name}-ns-per-packet-hop: {wall / hop_packets * 1e9:.0f} ns")
    print(f"laser-over-p2p-cost-ratio: {results['laser'][0] / results['p2p'][0]:.3f} x")
    print(f"machine: {__import__('os').cpu_count()} cores, {args.hops} hops, {packets} packets of 1000 bytes")


if __name__ == "__main__":
    main()
