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
from netsim.links.numbering import Links
from netsim.routing.solver import NO_ROUTE, SPEED_OF_LIGHT_MPS, UNSOLVED, link_weights, route_graph, solve
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


def test_a_guided_search_settles_a_band_with_the_full_searchs_next_hops(snapshot):
    # Guided by where the nodes are (A*), a bounded search settles only nodes near the
    # paths from its senders: a subset of what the unguided bounded search settles, with
    # the full search's next hops, and every sender's path still settled end to end.
    states, snap, graph = snapshot
    n = states.layout.n_nodes
    destinations = states.destinations
    guided_graph = route_graph(snap.links, link_weights(snap.links, snap.pos_m, "delay"), n,
                               states.n_satellites, snap.pos_m)
    assert guided_graph.weight_per_metre == pytest.approx(1 / SPEED_OF_LIGHT_MPS, rel=1e-12)
    full = solve(graph, destinations, n)
    rng = np.random.default_rng(5)
    targets = [rng.choice(states.n_satellites, size=k, replace=False) for k in rng.integers(1, 4, len(destinations))]
    unguided = solve(guided_graph, destinations, n, targets, guided=False)
    guided = solve(guided_graph, destinations, n, targets)
    settled = guided != UNSOLVED
    assert np.array_equal(guided[settled], full[settled])
    assert not (settled & (unguided == UNSOLVED)).any()
    assert settled.sum() < 0.6 * (unguided != UNSOLVED).sum()
    link_peer = peers(snap.links)
    for j, senders in enumerate(targets):
        for s in senders.tolist():
            path, end = walk(guided, j, s, link_peer)
            assert end != UNSOLVED and path[-1] == int(destinations[j])
    # Written in place into wider rows (as a run stores them): the same entries, NO_ROUTE
    # in the columns of no destination.
    wide = np.empty((n, len(destinations) + 2), dtype=np.uint8)
    columns = np.arange(len(destinations))[::-1] + 1
    solve(guided_graph, destinations, n, targets, out=wide, columns=columns)
    assert np.array_equal(wide[:, columns], guided)
    assert (wide[:, [0, -1]] == NO_ROUTE).all()


def grid_links(side: int) -> Links:
    """A side x side square grid, node i * side + j, links to the right and up."""
    a, pa, b, pb = [], [], [], []
    for i in range(side):
        for j in range(side):
            u = i * side + j
            if j + 1 < side:
                a.append(u), pa.append(0), b.append(u + 1), pb.append(1)
            if i + 1 < side:
                a.append(u), pa.append(2), b.append(u + side), pb.append(3)
    return Links(*(np.array(x, dtype=np.uint32) for x in (a, pa, b, pb)))


def test_a_guided_search_breaks_ties_between_equal_paths_as_the_full_search_does():
    # A flat square grid with equal link lengths: between two nodes most shortest paths
    # have the same length bit for bit, and which next hop a node keeps depends only on
    # the tie rule (Dijkstra keeps the neighbour it settles first). A* settles the
    # neighbours in another order; its entries must still be the full search's.
    side, spacing_m = 40, 100e3
    links = grid_links(side)
    i, j = np.divmod(np.arange(side * side), side)
    pos = np.stack([i * spacing_m, j * spacing_m, np.full(side * side, 7e6)], axis=1)
    n = side * side
    graph = route_graph(links, link_weights(links, pos, "delay"), n, pos_m=pos)
    destinations = np.array([0, side * side - 1, 17 * side + 3, 25 * side + 30])
    full = solve(graph, destinations, n)
    targets = [np.array([side * side - 1, 5 * side + 35]), np.array([0]), np.array([39 * side + 39, 2 * side + 1]),
               np.array([1 * side + 2])]
    guided = solve(graph, destinations, n, targets)
    settled = guided != UNSOLVED
    assert settled.mean() < 0.9
    # Nodes with two equally short ways on: the tie rule decides their entries.
    assert np.array_equal(guided[settled], full[settled])


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
