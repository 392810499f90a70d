"""Small C++ drivers for tests of the core: a sender that emits packets on a schedule
and a receiver that records arrival times, all inside ns-3 (no Python per packet)."""

from __future__ import annotations

from functools import cache

import numpy as np

from netsim.core.fabric import Fabric, load_core

SPEED_OF_LIGHT_MPS = 299_792_458.0


@cache
def drivers():
    ns = load_core()
    ns.cppyy.cppdef("""
    namespace netsim_test {
    std::vector<int64_t> arrivals;
    bool Record(ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet>, uint16_t, const ns3::Address&) {
        arrivals.push_back(ns3::Simulator::Now().GetNanoSeconds()); return true; }
    void Listen(ns3::Ptr<ns3::LaserNetDevice> d) {
        arrivals.clear(); d->SetReceiveCallback(ns3::MakeCallback(&Record)); }
    void SendTrain(ns3::Ptr<ns3::LaserNetDevice> d, double start, double interval, uint32_t count, uint32_t bytes) {
        for (uint32_t i = 0; i < count; ++i) {
            ns3::Simulator::Schedule(ns3::Seconds(start + i * interval), [d, bytes]() {
                d->Send(ns3::Create<ns3::Packet>(bytes), d->GetBroadcast(), 0x0800); });
        } }
    }""")
    return ns, ns.cppyy.gbl.netsim_test


def two_terminal_link(pos0, pos1, vel0=(0, 0, 0), vel1=(0, 0, 0), link_budget=None, queue_packets=100):
    """Two nodes with one laser port each, linked, moving uniformly over a 100 s window."""
    ns, _ = drivers()
    fabric = Fabric(ns, data_rate_gbps=10, queue_packets=queue_packets, link_budget=link_budget)
    fabric.create_nodes(2, 1, relay=False)
    p0, p1, v0, v1 = (np.asarray(x, dtype=float) for x in (pos0, pos1, vel0, vel1))
    window = 100.0
    pos = np.array([[p0, p1], [p0 + v0 * window, p1 + v1 * window]])
    vel = np.array([[v0, v1], [v0, v1]])
    fabric.set_ephemeris_window(0.0, window, pos, vel)
    fabric.connect([0], [0], [1], [0])
    return fabric


def run_and_collect(ns, test, until_s: float) -> list[int]:
    ns.Simulator.Stop(ns.Seconds(until_s))
    ns.Simulator.Run()
    arrivals = list(test.arrivals)
    return arrivals


def train_losses(distance_m: float, budget, interval_s: float, count: int, payload: int = 998,
                 start_s: float = 0.001, prepare=None) -> np.ndarray:
    """Send `count` frames of `payload` bytes (+2 PPP) every `interval_s` over one link of
    `distance_m` with `budget` (None: ideal) and return, per frame, whether it was lost.
    Frames are told apart by arrival time: the link is static, the queue always empty.
    prepare(fabric) runs before the simulation."""
    ns, test = drivers()
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m, 0], link_budget=budget)
    if prepare is not None:
        prepare(fabric)
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), start_s, interval_s, count, payload)
    arrivals = np.asarray(run_and_collect(ns, test, start_s + count * interval_s + 1.0), dtype=np.int64)
    ns.Simulator.Destroy()
    first = int(round((start_s + (payload + 2) * 8 / 10e9 + distance_m / SPEED_OF_LIGHT_MPS) * 1e9))
    received = np.zeros(count, dtype=bool)
    received[np.rint((arrivals - first) / (interval_s * 1e9)).astype(int)] = True
    return ~received


def burst_lengths(lost: np.ndarray) -> np.ndarray:
    """Lengths of the runs of consecutive lost frames."""
    edges = np.diff(np.concatenate(([0], lost.astype(np.int8), [0])))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
