"""Routing on the time-varying fabric: shortest paths, reroutes, unreachable stations."""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
import yaml

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.run.network_state import NetworkStates
from netsim.routing.paths import follow_path, path_delay_s
from netsim.routing.solver import NO_ROUTE, link_weights, next_hop_ports
from netsim.links.numbering import Links


def graph_of(links: Links, weights) -> nx.Graph:
    graph = nx.Graph()
    for a, b, w in zip(links.node_a.tolist(), links.node_b.tolist(), weights.tolist()):
        graph.add_edge(a, b, weight=w)
    return graph


@pytest.fixture(scope="module")
def states():
    return NetworkStates(scenario_from_dict(default_scenario_dict()))


@pytest.mark.parametrize("t_s", [0.0, 2.6, 7.3])
def test_every_routed_path_is_a_networkx_shortest_path(states, t_s):
    snap = states.at(t_s)
    weights = link_weights(snap.links, snap.pos_m, "delay")
    graph = graph_of(snap.links, weights)
    n_sat = states.n_satellites
    lengths = {d: nx.single_source_dijkstra_path_length(graph, int(d)) for d in states.destinations}
    checked = 0
    for j, dest in enumerate(states.destinations):
        for v in range(n_sat):
            port = snap.ports[v, j]
            if v not in lengths[dest]:
                assert port == NO_ROUTE
                continue
            # The next hop lies on a shortest path: w(v, u) + dist(u) == dist(v).
            peer = next(b if a == v else a for a, pa, b, pb in zip(
                snap.links.node_a, snap.links.port_a, snap.links.node_b, snap.links.port_b)
                if (a == v and pa == port) or (b == v and pb == port))
            assert graph[v][peer]["weight"] + lengths[dest][peer] == pytest.approx(lengths[dest][v], rel=1e-12)
            checked += 1
    assert checked > n_sat
    # And whole paths between stations equal networkx's (unique with real-valued delays).
    for src in states.destinations:
        for j, dst in enumerate(states.destinations):
            if src == dst or dst not in lengths[src]:
                continue
            path = follow_path(snap, n_sat, int(src), j)
            assert path == nx.dijkstra_path(graph, int(src), int(dst))


def test_hop_metric_gives_minimum_hop_paths(states):
    snap = states.at(1.0)
    ports = next_hop_ports(snap.links, link_weights(snap.links, snap.pos_m, "hops"),
                           states.layout.n_nodes, states.destinations, states.layout.n_nodes, states.n_satellites)
    graph = graph_of(snap.links, np.ones(len(snap.links)))
    hops_snap = dataclasses.replace(snap, ports=ports)
    src, dst = int(states.destinations[0]), int(states.destinations[1])
    path = follow_path(hops_snap, states.n_satellites, src, 1)
    assert len(path) - 1 == nx.shortest_path_length(graph, src, dst)


def test_link_cut_reroutes_at_the_next_update(states):
    snap = states.at(0.0)
    n_sat = states.n_satellites
    src, j = int(states.destinations[0]), 1
    before = follow_path(snap, n_sat, src, j)
    cut = (before[2], before[3])  # an inter-satellite link in the middle of the path
    keep = ~(((snap.links.node_a == cut[0]) & (snap.links.node_b == cut[1])) |
             ((snap.links.node_a == cut[1]) & (snap.links.node_b == cut[0])))
    links = snap.links.select(keep)
    ports = next_hop_ports(links, link_weights(links, snap.pos_m, "delay"), states.layout.n_nodes,
                           states.destinations, states.layout.n_nodes, n_sat)
    after_snap = dataclasses.replace(snap, links=links, ports=ports)
    after = follow_path(after_snap, n_sat, src, j)
    assert after is not None and after != before
    assert not any({a, b} == set(cut) for a, b in zip(after, after[1:]))
    assert path_delay_s(after_snap, after) > path_delay_s(snap, before)
    assert after == nx.dijkstra_path(graph_of(links, link_weights(links, snap.pos_m, "delay")),
                                     src, int(states.destinations[j]))


def isolated_station_scenario(tmp_path):
    raw = default_scenario_dict(duration_s=1.0, drain_s=0.2)
    # A 53-degree shell never rises above 10 degrees at the South Pole.
    raw["ground_stations"].append({"name": "amundsen_scott", "lat_deg": -90.0, "lon_deg": 0.0})
    raw["traffic"] = [{"name": "to-pole", "src": "london", "dst": "amundsen_scott", "rate_mbps": 1,
                       "packet_bytes": 500, "start_s": 0.1, "stop_s": 0.9},
                      {"name": "london-new_york", "src": "london", "dst": "new_york", "rate_mbps": 1,
                       "packet_bytes": 500, "start_s": 0.1, "stop_s": 0.9}]
    raw["outputs"] = {"pcap_nodes": []}
    path = tmp_path / "pole.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_isolated_station_is_reported_unreachable_not_crashed_on(tmp_path):
    scenario_file = isolated_station_scenario(tmp_path)
    out = tmp_path / "paths"
    result = subprocess.run([sys.executable, "-m", "netsim.cli.main", "paths", str(scenario_file), "--to", "1",
                             "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "rtt.csv").open()))
    pole = [r for r in rows if "amundsen_scott" in (r["src"], r["dst"])]
    assert pole and all(r["reachable"] == "False" and r["path"] == "unreachable" for r in pole)
    assert all(r["reachable"] == "True" for r in rows if r not in pole)

    run_dir = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(scenario_file), "--out", str(run_dir),
                             "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    flows = {r["flow"]: r for r in csv.DictReader((run_dir / "flows.csv").open())}
    assert flows["to-pole"]["packets_received"] == "0" and int(flows["to-pole"]["packets_lost"]) > 0
    assert flows["london-new_york"]["packets_lost"] == "0"


def test_routing_only_toward_used_destinations_gives_the_same_rows():
    """A run routes only toward its flows' endpoints: those columns equal the full
    solve, the others are NO_ROUTE."""
    scenario = scenario_from_dict(default_scenario_dict())
    full, used = NetworkStates(scenario), NetworkStates(scenario, routed="traffic", bounded=False)
    for t in (0.0, 60.0):
        a, b = full.at(t), used.at(t)
        columns = used.routed_columns
        assert sorted(columns.tolist()) == [0, 1, 2, 3] and np.array_equal(a.ports[:, columns], b.ports[:, columns])
    few = NetworkStates(scenario, routed=["london", "sydney"])
    snap = few.at(0.0)
    assert few.routed_columns.tolist() == [0, 3]
    assert (snap.ports[:, [1, 2]] == NO_ROUTE).all() and (snap.ports[:, [0, 3]] != NO_ROUTE).any()


def tiered_scenario(**routing) -> dict:
    """A dense VLEO shell under a sparse LEO shell joined by zenith/nadir terminals: with
    the hop metric, long routes climb to LEO (fewer, longer hops) unless routing.tiers
    keeps them in VLEO."""
    raw = default_scenario_dict(duration_s=2.0, drain_s=0.0, traffic=[], outputs={})
    raw["constellation"] = {"tiers": [
        {"name": "vleo", "shells": [{"altitude_km": 500, "inclination_deg": 53, "planes": 20, "sats_per_plane": 20,
                                     "phasing": 1}],
         "terminals": {"isl": {"count": 4, "policy": "plus_grid"}, "up": {"count": 1, "acquisition_s": 0}}},
        {"name": "leo", "shells": [{"altitude_km": 1200, "inclination_deg": 60, "planes": 8, "sats_per_plane": 8,
                                    "phasing": 1}],
         "terminals": {"isl": {"count": 4, "policy": "plus_grid"}, "down": {"count": 1, "acquisition_s": 0}}},
    ]}
    raw["ground_stations"] += [{"name": "tokyo", "lat_deg": 35.68, "lon_deg": 139.65},
                               {"name": "sao_paulo", "lat_deg": -23.55, "lon_deg": -46.63}]
    raw["ground_links"] = {"elevation_mask_deg": 25, "tier": "vleo"}
    raw["routing"] = {"update_interval_s": 1.0, "metric": "hops", **routing}
    return raw


def paths_rows(tmp_path, raw, name) -> list[dict]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = subprocess.run([sys.executable, "-m", "netsim.cli.main", "paths", str(path), "--pairs", "all",
                             "--out", str(tmp_path / name), "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader((tmp_path / name / "rtt.csv").open()))


def test_routing_tiers_keeps_routes_in_the_listed_tiers(tmp_path):
    free = paths_rows(tmp_path, tiered_scenario(), "free")
    kept = paths_rows(tmp_path, tiered_scenario(tiers=["vleo"]), "kept")
    assert len(free) == len(kept) == 3 * 15  # updates at 0, 1, 2 s x 15 station pairs
    assert all(r["reachable"] == "True" for r in free + kept)

    def uses_leo(row):
        return any(node.startswith("leo-") for node in row["path"].split(">"))

    # Unrestricted, some routes climb to LEO; with tiers [vleo], none do, and each is
    # then at least as long in hops (a restriction can only lengthen a shortest path).
    assert any(uses_leo(r) for r in free)
    assert not any(uses_leo(r) for r in kept)
    for a, b in zip(free, kept):
        assert (a["time_s"], a["src"], a["dst"]) == (b["time_s"], b["src"], b["dst"])
        assert int(b["hops"]) >= int(a["hops"])
    assert sum(int(b["hops"]) > int(a["hops"]) for a, b in zip(free, kept)) >= 3


def test_solver_distances_and_ports_are_networkx_shortest_paths_stations_never_relaying():
    # A random sparse graph of 60 relays and 5 end nodes ("stations", n_transit = 60):
    # every distance equals networkx's Dijkstra length over the relays plus the two ends,
    # every next-hop port leads to a neighbour on such a shortest path.
    from netsim.routing.solver import next_hop_distances

    rng = np.random.default_rng(7)
    n_relays, n_ends = 60, 5
    pairs = {tuple(sorted(p)) for p in rng.integers(0, n_relays, size=(150, 2)) if p[0] != p[1]}
    pairs |= {(int(rng.integers(n_relays)), n_relays + e) for e in range(n_ends) for _ in range(2)}
    pairs = sorted(pairs)
    degree = np.zeros(n_relays + n_ends, dtype=int)
    node_a, port_a, node_b, port_b = [], [], [], []
    for a, b in pairs:
        node_a.append(a), port_a.append(degree[a]), node_b.append(b), port_b.append(degree[b])
        degree[a] += 1
        degree[b] += 1
    links = Links(*(np.array(x, dtype=np.uint32) for x in (node_a, port_a, node_b, port_b)))
    weights = rng.uniform(1e-3, 5e-3, size=len(links))
    destinations = np.arange(n_relays, n_relays + n_ends)
    n_nodes = n_relays + n_ends
    dist = next_hop_distances(links, weights, n_nodes, destinations, n_nodes, n_transit=n_relays)
    ports = next_hop_ports(links, weights, n_nodes, destinations, n_nodes, n_transit=n_relays)
    peer = {(a, pa): b for a, pa, b in zip(node_a, port_a, node_b)} | {(b, pb): a for a, b, pb in zip(node_a, node_b, port_b)}
    for j, dst in enumerate(destinations):
        graph = nx.Graph()
        for (a, b), w in zip(pairs, weights):
            if (a < n_relays or a == dst) and (b < n_relays or b == dst):
                graph.add_edge(a, b, weight=w)
        length = nx.single_source_dijkstra_path_length(graph, int(dst))
        for node in range(n_relays):
            if node in length and node != dst:
                assert dist[node, j] == pytest.approx(length[node], rel=1e-12)
                nxt = peer[(node, int(ports[node, j]))]
                assert length[nxt] + graph[node][nxt]["weight"] == pytest.approx(length[node], rel=1e-12)
            elif node not in length:
                assert np.isinf(dist[node, j]) and ports[node, j] == NO_ROUTE


def test_route_graph_rows_and_delays_match_numpy_built_ones():
    # The compiled CSR build and link delays against the numpy expressions they replace:
    # a stable sort of both link ends by node, and norm / c of each link.
    from netsim.routing.solver import SPEED_OF_LIGHT_MPS, link_delays_s, route_graph

    rng = np.random.default_rng(11)
    n, m = 500, 3000
    links = Links(*(rng.integers(0, hi, m).astype(np.uint32) for hi in (n, 8, n, 8)))
    pos = rng.normal(size=(n, 3)) * 7e6
    delays = link_delays_s(links, pos)
    assert np.array_equal(delays, np.linalg.norm(pos[links.node_b] - pos[links.node_a], axis=-1) / SPEED_OF_LIGHT_MPS)
    g = route_graph(links, delays, n)
    a, b = links.node_a.astype(np.int64), links.node_b.astype(np.int64)
    order = np.argsort(np.concatenate([a, b]), kind="stable")
    assert np.array_equal(g.row_start, np.concatenate([[0], np.cumsum(np.bincount(np.concatenate([a, b]), minlength=n))]))
    assert np.array_equal(g.cols, np.concatenate([b, a])[order])
    assert np.array_equal(g.weight, np.concatenate([delays, delays])[order])
    assert np.array_equal(g.back_port, np.concatenate([links.port_b, links.port_a])[order])
