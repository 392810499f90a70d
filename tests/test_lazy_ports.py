"""What makes a million satellites fit: laser devices exist only for ports that are used,
per-port physics rules reach ports created later, whole forwarding rows are copied."""

from __future__ import annotations

import numpy as np

from netsim.core.fabric import Fabric, load_core
from netsim.routing.solver import NO_ROUTE


def _fabric(n_nodes=50, ports=7):
    ns = load_core()
    fabric = Fabric(ns, data_rate_gbps=10, queue_packets=100)
    fabric.create_nodes(n_nodes, ports, relay=True)
    return ns, fabric


def test_only_connected_or_requested_ports_get_a_device():
    _, fabric = _fabric()
    helper = fabric.helper
    assert helper.GetNCreatedPorts() == 0 and helper.GetNPorts(3) == 7
    fabric.connect(np.arange(10), np.zeros(10), np.arange(10, 20), np.ones(10))
    assert helper.GetNCreatedPorts() == 20
    fabric.port(40, 6)  # asking for a port (pcap, tests) creates it
    assert helper.GetNCreatedPorts() == 21
    n = 21
    node, port = np.zeros(n, np.uint32), np.zeros(n, np.uint32)
    frames, nbytes, drops = np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros((n, 4), np.uint64)
    helper.CopyPortCounters(node, port, frames, nbytes, drops)
    assert sorted(zip(node.tolist(), port.tolist())) == sorted(
        [(i, 0) for i in range(10)] + [(i, 1) for i in range(10, 20)] + [(40, 6)])
    # An idle device has no queue object until it first sends.
    assert not frames.any() and not drops.any()


def test_port_physics_rules_reach_ports_created_later():
    ns, fabric = _fabric()
    before = fabric.port(5, 4)
    fabric.set_port_physics(range(0, 20), range(4, 6), 2.5)  # ideal links at 2.5 Gbps
    later = fabric.port(7, 5)
    outside = fabric.port(7, 3), fabric.port(25, 4)
    for dev in (before, later):
        assert dev.GetDataRate().GetBitRate() == 2_500_000_000 and not dev.GetLinkModel()
    for dev in outside:
        assert dev.GetDataRate().GetBitRate() == 10_000_000_000


def test_forwarding_rows_are_copied_whole():
    _, fabric = _fabric(n_nodes=30)
    fabric.helper.SetDestinationCount(4)
    rng = np.random.default_rng(1)
    ports = rng.integers(0, 7, size=(30, 4)).astype(np.uint8)
    ports[3, 2] = NO_ROUTE
    fabric.set_forwarding(ports)
    table = fabric.helper.GetForwardingTable()
    got = np.array([[table.Lookup(n, d) for d in range(4)] for n in range(30)], dtype=np.uint8)
    assert (got == ports).all()
