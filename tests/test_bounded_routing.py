"""Bounded routing searches and the overlapped snapshot: the same next hops as a full
search for every node a packet can reach, and the same bytes in every output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import default_scenario_dict
from netsim.core.fabric import load_core
from netsim.routing.solver import NO_ROUTE, UNSOLVED, link_weights, route_graph, solve
from netsim.run.network_state import NetworkStates
from netsim.run.runner import run
from netsim.scenario.load import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def snapshot():
    """A 24 x 24 shell with the default stations: enough nodes for a search to stop early."""
    raw = default_scenario_dict()
    raw["constellation"]["tiers"][0]["shells"][0].update(planes=24, sats_per_plane=24, phasing=5)
    states = NetworkStates(scenario_from_dict(raw))
    snap = states.at(30.0)
    graph = route_graph(snap.links, link_weights(snap.links, snap.pos_m, "delay"), states.layout.n_nodes,
                        states.n_satellites)
    return states, snap, graph


def walk(ports, column, start, peer_of, limit=10_000):
    """Nodes from start along the next hops of column, until NO_ROUTE or the destination."""
    path, node = [start], start
    while len(path) < limit:
        port = int(ports[node, column])
        if port in (NO_ROUTE, UNSOLVED):
            return path, port
        node = peer_of[(node, port)]
        path.append(node)
        if node == -1:
            break
    return path, None


def peers(links):
    out = {}
    for a, pa, b, pb in zip(links.node_a.tolist(), links.port_a.tolist(), links.node_b.tolist(), links.port_b.tolist()):
        out[(a, pa)], out[(b, pb)] = b, a
    return out


def test_a_bounded_search_settles_fewer_nodes_with_the_full_searchs_next_hops(snapshot):
    states, snap, graph = snapshot
    n = states.layout.n_nodes
    destinations = states.destinations
    full = solve(graph, destinations, n)
    rng = np.random.default_rng(3)
    # Senders near and far; one column with none (searched in full).
    targets = [rng.choice(n, size=k, replace=False) for k in rng.integers(1, 4, len(destinations))]
    targets[0] = np.zeros(0, dtype=np.int64)
    bounded = solve(graph, destinations, n, targets)
    solved = bounded != UNSOLVED
    assert np.array_equal(bounded[solved], full[solved])
    assert solved[:, 0].all()  # no senders: every node
    assert (~solved).sum() > n  # the other searches did stop early
    link_peer = peers(snap.links)
    for j, senders in enumerate(targets):
        for s in senders.tolist():
            path, end = walk(bounded, j, s, link_peer)
            # Every node on a sender's path is settled: a packet never meets UNSOLVED there.
            assert end != UNSOLVED and path[-1] in (int(destinations[j]), s)


def test_the_forwarding_table_completes_unsolved_entries_exactly(snapshot):
    states, snap, graph = snapshot
    ns = load_core()
    n = states.layout.n_nodes
    destinations = states.destinations
    full = solve(graph, destinations, n)
    targets = [np.array([int(destinations[(j + 1) % len(destinations)])]) for j in range(len(destinations))]
    bounded = solve(graph, destinations, n, targets)
    assert (bounded == UNSOLVED).any()
    table = ns.CreateObject[ns.ForwardingTable]()
    table.Resize(n, len(destinations))
    table.SetRows(0, n, np.ascontiguousarray(bounded))
    g = graph
    table.SetGraph(g.n_nodes, g.n_transit, g.row_start, g.cols, g.weight, g.back_port,
                   np.ascontiguousarray(destinations, dtype=np.uint32), len(destinations))
    looked_up = np.array([[table.Lookup(v, j) for j in range(len(destinations))] for v in range(n)])
    assert np.array_equal(looked_up, full)
    # One completing search per column that had UNSOLVED entries, not one per lookup.
    assert table.GetResolveCount() == int((bounded == UNSOLVED).any(axis=0).sum())


def test_a_snapshot_completes_a_column_when_python_follows_it(snapshot):
    states, snap, graph = snapshot
    n = states.layout.n_nodes
    full = solve(graph, states.destinations, n)
    snap.ports = solve(graph, states.destinations, n, [np.array([int(d)]) for d in states.destinations])
    v = int(np.flatnonzero(snap.ports[:, 1] == UNSOLVED)[0])
    assert snap.next_hop(v, 1) == full[v, 1]
    assert np.array_equal(snap.ports[:, 1], full[:, 1])


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def handover_scenario() -> dict:
    """The default scenario for 40 s with instant handovers: packets in flight when a
    station's uplink changes meet entries the bounded searches left UNSOLVED."""
    raw = default_scenario_dict(duration_s=40.0)
    raw["ground_links"].update(switch_margin=0.0, acquisition_s=0.0, max_slew_rate_deg_s=1e9)
    for flow in raw["traffic"]:
        flow["start_s"], flow["stop_s"] = 0.2001, 39.8
    return raw


@pytest.mark.parametrize("name", ["handovers", "three-tier-links"])
def test_bounded_routing_and_overlap_give_the_same_bytes(name, tmp_path, monkeypatch):
    raw = handover_scenario() if name == "handovers" else yaml.safe_load(
        (ROOT / "topologies" / f"{name}.yaml").read_text())
    folders = {}
    for bounded, overlap in (("0", "0"), ("1", "1"), ("1", "0")):
        monkeypatch.setenv("NETSIM_BOUNDED_ROUTING", bounded)
        monkeypatch.setenv("NETSIM_OVERLAP", overlap)
        out = tmp_path / f"b{bounded}-o{overlap}"
        result = run(scenario_from_dict(raw), out)
        assert result.routing["bounded"] == (bounded == "1") and result.routing["overlap"] == (overlap == "1")
        folders[(bounded, overlap)] = (digest(out), result.routing)
    reference, plain = folders[("0", "0")]
    assert plain["completed_searches"] == 0
    assert {"flows.csv", "rtt.csv", "handovers.csv"} <= set(reference)
    for key, (files, routing) in folders.items():
        assert files == reference, f"bounded={key[0]} overlap={key[1]} changed outputs"
    if name == "handovers":
        # The run did complete searches for packets caught off the bounded region.
        assert folders[("1", "1")][1]["completed_searches"] > 0
