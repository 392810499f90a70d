"""Per-packet one-way delay = path length / c at send time + transmission + queueing."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np

from netsim.space.sites import ground_sites
from netsim.space.orbits import constellation_ephemeris
from netsim.routing.solver import SPEED_OF_LIGHT_MPS

PPP_IP_UDP_OVERHEAD_BYTES = 2 + 20 + 8


def links_at(result, t_s):
    """(start of the routing interval holding t_s, the links up during it)."""
    return [(t, links) for t, links in result.next_hops if t <= t_s + 1e-12][-1]


def test_delay_equals_path_length_over_c_plus_transmission(short_run):
    scenario, result = short_run
    orbits = constellation_ephemeris(scenario)
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    n_sat = len(orbits)
    names = [g.name for g in scenario.ground_stations]
    packets = result.packets
    rate_bps = scenario.laser.data_rate_gbps * 1e9
    checked = 0
    for flow_index, flow in enumerate(scenario.traffic):
        src, dst = n_sat + names.index(flow.src), n_sat + names.index(flow.dst)
        # Packets whose flight spans a routing update take the new route after it;
        # the comparison holds for packets that fly within one routing interval.
        interval_ns = round(scenario.routing.update_interval_s * 1e9)
        same_interval = packets.sent_ns // interval_ns == packets.received_ns // interval_ns
        mine = np.flatnonzero((packets.flow == flow_index) & same_interval)
        for i in mine[:: max(1, len(mine) // 40)]:
            sent_s = packets.sent_ns[i] * 1e-9
            step_start, links = links_at(result, sent_s)
            sat_pos, _ = orbits.at(sent_s)
            gs_pos, _ = sites.at(sent_s)
            pos = np.concatenate([sat_pos, gs_pos])
            # Routes are computed from the geometry at the start of the interval.
            step_sat, _ = orbits.at(step_start)
            step_gs, _ = sites.at(step_start)
            step_pos = np.concatenate([step_sat, step_gs])
            graph = nx.Graph()
            for a, b in zip(links.node_a, links.node_b):
                graph.add_edge(int(a), int(b), weight=float(np.linalg.norm(step_pos[a] - step_pos[b])))
            path = nx.shortest_path(graph, src, dst, weight="weight")
            length_m = sum(np.linalg.norm(pos[a] - pos[b]) for a, b in zip(path, path[1:]))
            wire_bytes = packets.bytes[i] + PPP_IP_UDP_OVERHEAD_BYTES
            expected_s = length_m / SPEED_OF_LIGHT_MPS + (len(path) - 1) * wire_bytes * 8 / rate_bps
            measured_s = packets.delay_s[i]
            assert measured_s >= expected_s * 0.99
            assert abs(measured_s - expected_s) <= 0.01 * expected_s, (flow.name, sent_s, path)
            checked += 1
    assert checked >= 100


def test_every_flow_delivers(short_run):
    _, result = short_run
    for row in result.flows:
        assert row["packets_sent"] > 0
        assert row["packets_received"] > 0.9 * row["packets_sent"]
        assert 1.0 < row["delay_p50_ms"] < 200.0
