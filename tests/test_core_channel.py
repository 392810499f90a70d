"""The laser channel and device on their own: one link, fixed geometry, known delay."""

from __future__ import annotations

import numpy as np
import pytest

from netsim.engine.core import Fabric, load_core


def test_single_hop_delay_is_distance_over_c_plus_serialisation(short_run):
    # short_run has finished and destroyed its Simulator; this builds a fresh one.
    ns = load_core()
    fabric = Fabric(ns, data_rate_gbps=10, queue_packets=10)
    fabric.create_nodes(2, 1, forwarding=False)
    distance_m = 3_000_000.0
    pos = np.array([[[7e6, 0, 0], [7e6, distance_m, 0]]] * 2)
    fabric.set_ephemeris_window(0.0, 10.0, pos, np.zeros_like(pos))
    fabric.connect([0], [0], [1], [0])
    sender, receiver = fabric.port(0, 0), fabric.port(1, 0)
    arrivals = []

    ns.cppyy.cppdef("""
    namespace netsim_test {
    std::vector<int64_t> arrivals;
    bool Record(ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet>, uint16_t, const ns3::Address&) {
        arrivals.push_back(ns3::Simulator::Now().GetNanoSeconds()); return true; }
    void Hook(ns3::Ptr<ns3::LaserNetDevice> d) { d->SetReceiveCallback(ns3::MakeCallback(&Record)); }
    void SendAt(ns3::Ptr<ns3::LaserNetDevice> d, double t, uint32_t bytes) {
        ns3::Simulator::Schedule(ns3::Seconds(t), [d, bytes]() {
            d->Send(ns3::Create<ns3::Packet>(bytes), d->GetBroadcast(), 0x0800); }); }
    }""")
    test_ns = ns.cppyy.gbl.netsim_test
    test_ns.Hook(receiver)
    test_ns.SendAt(sender, 1.0, 998)
    ns.Simulator.Stop(ns.Seconds(5))
    ns.Simulator.Run()
    arrivals = list(test_ns.arrivals)
    ns.Simulator.Destroy()
    assert len(arrivals) == 1
    expected_s = 1.0 + distance_m / 299_792_458.0 + (998 + 2) * 8 / 10e9
    assert arrivals[0] * 1e-9 == pytest.approx(expected_s, abs=2e-9)
