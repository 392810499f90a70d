"""The laser channel and device on their own: one link, known geometry, known delay."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from core_support import SPEED_OF_LIGHT_MPS, drivers, run_and_collect, two_terminal_link


def test_single_hop_delay_is_distance_over_c_plus_serialisation():
    ns, test = drivers()
    distance_m = 3_000_000.0
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m, 0])
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), 1.0, 1.0, 1, 998)
    arrivals = run_and_collect(ns, test, 5.0)
    ns.Simulator.Destroy()
    assert len(arrivals) == 1
    expected_s = 1.0 + distance_m / SPEED_OF_LIGHT_MPS + (998 + 2) * 8 / 10e9
    assert arrivals[0] * 1e-9 == pytest.approx(expected_s, abs=2e-9)


def test_light_time_for_a_receiver_moving_away():
    """Light chasing a receding terminal flies d / (c - v), longer than d / c."""
    ns, test = drivers()
    distance_m, speed_mps = 3_000_000.0, 7_500.0
    send_s = 2.0
    # Receiver at distance_m from the sender at send time, receding along the line.
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m - speed_mps * send_s, 0],
                               vel1=(0, speed_mps, 0))
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), send_s, 1.0, 1, 998)
    arrivals = run_and_collect(ns, test, 5.0)
    ns.Simulator.Destroy()
    flight_s = arrivals[0] * 1e-9 - send_s - (998 + 2) * 8 / 10e9
    naive_s = distance_m / SPEED_OF_LIGHT_MPS
    expected_s = distance_m / (SPEED_OF_LIGHT_MPS - speed_mps)
    assert flight_s == pytest.approx(expected_s, abs=2e-9)
    assert flight_s - naive_s == pytest.approx(distance_m * speed_mps / SPEED_OF_LIGHT_MPS**2, rel=0.02)


TX_NS = (998 + 2) * 8 / 10e9 * 1e9  # a 998-byte payload + PPP at 10 Gbps: 800 ns


@cache
def tx_end_watcher():
    ns, _ = drivers()
    ns.cppyy.cppdef("""
    namespace netsim_test_tx {
    std::vector<int64_t> ends;
    void Record(ns3::Ptr<const ns3::Packet>) { ends.push_back(ns3::Simulator::Now().GetNanoSeconds()); }
    void Watch(ns3::Ptr<ns3::LaserNetDevice> d) {
        ends.clear(); d->TraceConnectWithoutContext("PhyTxEnd", ns3::MakeCallback(&Record)); }
    }""")
    return ns.cppyy.gbl.netsim_test_tx


def burst(count: int, queue_packets: int, watch_tx_end: bool, interval_s: float = 0.0):
    """`count` frames offered to one port from t = 1 s every interval_s (0: all at once);
    returns the arrival times (ns), the queue drops, and the PhyTxEnd times if watched."""
    ns, test = drivers()
    fabric = two_terminal_link([7e6, 0, 0], [7e6, 3_000_000.0, 0], queue_packets=queue_packets)
    sender = fabric.port(0, 0)
    watcher = tx_end_watcher() if watch_tx_end else None
    if watcher is not None:
        watcher.Watch(sender)
    test.Listen(fabric.port(1, 0))
    test.SendTrain(sender, 1.0, interval_s, count, 998)
    arrivals = np.asarray(run_and_collect(ns, test, 5.0), dtype=np.int64)
    drops = int(sender.GetDropCount(ns.LaserNetDevice.DROP_QUEUE))
    ends = list(watcher.ends) if watcher is not None else []
    ns.Simulator.Destroy()
    return arrivals, drops, ends


@pytest.mark.parametrize("watch_tx_end", [False, True], ids=["no-listener", "PhyTxEnd-listener"])
def test_a_burst_leaves_back_to_back_and_drop_tail_takes_the_rest(watch_tx_end):
    """10 frames at one instant into a 5-frame queue: one goes on the wire, 5 wait and
    follow it back to back, 4 are dropped. Hand count: arrival k = 1 s + (k + 1) x 800 ns
    + 3,000 km / c, whether or not a PhyTxEnd listener makes every frame end an event."""
    arrivals, drops, ends = burst(10, 5, watch_tx_end)
    first_ns = 1e9 + TX_NS + 3_000_000.0 / SPEED_OF_LIGHT_MPS * 1e9
    assert len(arrivals) == 6 and drops == 4
    assert np.diff(arrivals).tolist() == [round(TX_NS)] * 5
    assert arrivals[0] == pytest.approx(first_ns, abs=2)
    if watch_tx_end:
        assert ends == [round(1e9 + (k + 1) * TX_NS) for k in range(6)]


@pytest.mark.parametrize("gap", [0.5, 1.0, 1.5], ids=["mid-frame", "at-frame-end", "after-frame-end"])
def test_a_frame_waits_for_the_one_on_the_wire_and_no_longer(gap):
    """Two frames `gap` frame times apart: the second leaves when the first has left
    (at 800 ns), or at once if the transmitter is idle again by then."""
    arrivals, drops, _ = burst(2, 5, False, interval_s=gap * TX_NS * 1e-9)
    assert drops == 0 and len(arrivals) == 2
    assert arrivals[1] - arrivals[0] == round(max(gap, 1.0) * TX_NS)


def test_a_channel_allocates_no_more_than_any_ns3_channel():
    """A million-satellite fabric has ~5 M channels, nearly none with a remote end: a
    LaserChannel must allocate no more beyond its own object than ns-3 does for any
    channel (SimpleChannel: attributes, aggregation). Heap bytes from glibc's mallinfo2
    over 20,000 objects made in one C++ loop. An empty std::deque member alone costs
    ~590 bytes more."""
    ns, _ = drivers()
    ns.cppyy.cppdef("""
    #include <malloc.h>
    #include "ns3/simple-channel.h"
    namespace netsim_memory {
    template <typename T>
    double HeapBytesBeyondObject(int n) {
        std::vector<ns3::Ptr<T>> keep;
        keep.reserve(n);
        keep.push_back(ns3::CreateObject<T>()); // the first one registers the type
        const auto before = mallinfo2().uordblks;
        for (int i = 1; i < n; ++i) { keep.push_back(ns3::CreateObject<T>()); }
        return double(mallinfo2().uordblks - before) / (n - 1) - sizeof(T);
    } }""")
    extra = ns.cppyy.gbl.netsim_memory.HeapBytesBeyondObject
    laser, simple = extra[ns.LaserChannel](20_001), extra[ns.SimpleChannel](20_001)
    assert 0 < simple < 1000
    assert laser < simple + 16
