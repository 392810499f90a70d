"""The core's packet-hop count (manifest `packet_hops`): every packet a satellite hands
to a laser port, counted in C++, equals packets x satellites that forward them on the
routed paths (networkx shortest paths here)."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris
from netsim.space.sites import ground_sites


def test_manifest_counts_every_satellite_hop(tmp_path):
    import datetime as dt

    from netsim.run.runner import run

    raw = default_scenario_dict(duration_s=1.0, drain_s=0.3)
    raw["routing"] = {"update_interval_s": 5.0}  # one routing state for the whole run: fixed paths
    window = {"start_s": 0.1001, "stop_s": 0.9}
    raw["traffic"] = [
        {"name": "ground-ground", "src": "london", "dst": "new_york", "rate_mbps": 20, "packet_bytes": 1000, **window},
        {"name": "ground-sat", "src": "singapore", "dst": "vleo-3-4", "rate_mbps": 8, "packet_bytes": 500, **window},
        {"name": "sat-sat", "src": "vleo-0-0", "dst": "vleo-6-6", "rate_mbps": 4, "packet_bytes": 1000, **window},
        {"name": "sat-ground", "src": "vleo-6-6", "dst": "sydney", "rate_mbps": 2, "packet_bytes": 200, **window},
    ]
    raw["outputs"] = {"pcap_nodes": []}
    scenario = scenario_from_dict(raw)
    result = run(scenario, tmp_path / "hops", keep_next_hops=True)
    assert len(result.next_hops) == 1
    _, links = result.next_hops[0]

    orbits = constellation_ephemeris(scenario)
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    pos = np.concatenate([orbits.at(0.0)[0], sites.at(0.0)[0]])
    graph = nx.Graph()
    for a, b in zip(links.node_a.tolist(), links.node_b.tolist()):
        graph.add_edge(a, b, weight=float(np.linalg.norm(pos[a] - pos[b])))
    n_sat = len(orbits)
    index = {name: i for i, name in enumerate(orbits.names)}
    index.update({g.name: n_sat + i for i, g in enumerate(scenario.ground_stations)})

    expected = 0
    for flow in result.flows:
        assert flow["packets_lost"] == 0 and flow["packets_received"] > 0
        path = nx.dijkstra_path(graph, index[flow["src"]], index[flow["dst"]])
        # Satellites on the path forward once each, the destination satellite delivers.
        forwards = sum(1 for node in path[:-1] if node < n_sat)
        assert forwards >= 2
        expected += flow["packets_received"] * forwards
    manifest = json.loads((tmp_path / "hops" / "manifest.json").read_text())
    assert manifest["packet_hops"] == result.packet_hops == expected
    # Phases timed in wall and CPU seconds (the benchmarks divide packet-hops by the latter).
    assert set(manifest["cpu_timing"]) == set(manifest["timing"]) == {"setup", "network_state", "packets", "outputs"}
    assert 0 < manifest["cpu_timing"]["packets"] <= manifest["wall_time_s"] * 2  # at most both cores
