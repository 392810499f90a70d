"""Routing: next hop of every satellite toward every destination, from the links that
are up. One Dijkstra per destination on a sparse graph (never all pairs, never a dense
matrix), run by the C++ core's NextHopSolver on all cores; a search may stop once the
nodes that send toward its destination are settled (bounded routing), and when the graph
knows where its nodes are it heads for them (A*, guided by straight-line distance)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from netsim.links.assignment._kernels import group_rows
from netsim.links.numbering import Links
from netsim.space.geometry import link_lengths_m

SPEED_OF_LIGHT_MPS = 299_792_458.0
NO_ROUTE = 0xFF  # ForwardingTable::NO_ROUTE in the C++ core
UNSOLVED = 0xFE  # a bounded search did not reach this node (ForwardingTable::UNSOLVED)


def link_weights(links: Links, pos_m: np.ndarray, metric: str) -> np.ndarray:
    """Edge weights: propagation delay in s ("delay") or 1 per hop ("hops")."""
    if metric == "hops":
        return np.ones(len(links))
    return link_delays_s(links, pos_m)


def link_delays_s(links: Links, pos_m: np.ndarray) -> np.ndarray:
    """Length / c of every link, s."""
    return link_lengths_m(pos_m, links.node_a, links.node_b) / SPEED_OF_LIGHT_MPS


@dataclass(frozen=True)
class RouteGraph:
    """The graph routes are computed on, as the C++ solver takes it: CSR with both
    directions of every link; entry u->v carries the port on v that leads back to u.
    Nodes n_transit.. (ground stations) start and end paths but never relay."""

    n_nodes: int
    n_transit: int
    row_start: np.ndarray  # int64 (n_nodes + 1)
    cols: np.ndarray  # uint32 per link end
    weight: np.ndarray  # float64 per link end
    back_port: np.ndarray  # uint8 per link end
    # What guides a bounded search (weight_per_metre 0: no guide): where the nodes are
    # (m, (n_nodes, 3)) and a lower bound of a link's weight per metre of its length.
    pos_m: np.ndarray | None = None
    weight_per_metre: float = 0.0


def route_graph(links: Links, weights: np.ndarray, n_nodes: int, n_transit: int | None = None,
                pos_m: np.ndarray | None = None) -> RouteGraph:
    """The solver's graph of links with weights; with the nodes' positions pos_m, bounded
    searches on it are guided toward their targets."""
    a = np.ascontiguousarray(links.node_a, dtype=np.int64)
    b = np.ascontiguousarray(links.node_b, dtype=np.int64)
    # Both ends of every link in their node's row, in link order (a stable counting sort).
    row_start, order = group_rows(np.concatenate([a, b]), n_nodes)
    return RouteGraph(n_nodes, n_nodes if n_transit is None else n_transit, row_start,
                      _nonempty(np.concatenate([b, a])[order].astype(np.uint32)),
                      _nonempty(np.concatenate([weights, weights])[order].astype(np.float64)),
                      _nonempty(np.concatenate([links.port_b, links.port_a])[order].astype(np.uint8)),
                      *_guide(links, weights, pos_m))


def _guide(links: Links, weights: np.ndarray, pos_m: np.ndarray | None) -> tuple[np.ndarray | None, float]:
    """(positions, weight per metre) that guide a bounded search: the smallest weight /
    length over the links, so no path weighs less than its straight line times it (1 / c
    for delays). No guide when a link has no length or no weight: the bound would not hold."""
    if pos_m is None or not len(links):
        return None, 0.0
    pos = np.ascontiguousarray(pos_m, dtype=np.float64)
    length = link_lengths_m(pos, links.node_a, links.node_b)
    if not (np.all(length > 0) and np.all(weights > 0)):
        return None, 0.0
    return pos, float(np.min(weights / length))


def next_hop_ports(links: Links, weights: np.ndarray, n_nodes: int, destinations: np.ndarray,
                   forwarding_nodes: int, n_transit: int | None = None, threads: int | None = None,
                   with_distances: bool = False):
    """Port each forwarding node (0..forwarding_nodes-1) uses toward each destination
    node: uint8 array (forwarding_nodes, len(destinations)), NO_ROUTE where unreachable.
    Nodes n_transit.. (ground stations) start and end paths but never relay (default:
    every node may relay). threads: None reads NETSIM_ROUTING_THREADS (0 or unset: all cores)."""
    return solve(route_graph(links, weights, n_nodes, n_transit), destinations, forwarding_nodes, threads=threads,
                 with_distances=with_distances)


def solve(graph: RouteGraph, destinations: np.ndarray, forwarding_nodes: int, targets: list | None = None,
          threads: int | None = None, with_distances: bool = False, guided: bool = True,
          out: np.ndarray | None = None, columns: np.ndarray | None = None):
    """Next-hop ports (forwarding_nodes, len(destinations)) on graph. targets: per
    destination the nodes that send toward it (None or an empty list: every node); each
    search stops once its targets are settled, and the nodes it did not settle get
    UNSOLVED (exact next hops for every node on a path from a target; see
    Snapshot.next_hop and ForwardingTable for completing the rest). guided: head for the
    targets when the graph has positions (A*: fewer nodes settled, the same next hops).
    out, columns: write destination j into out[:, columns[j]] instead (out: uint8,
    (forwarding_nodes, any width), C order; its other columns become NO_ROUTE) and return out."""
    from netsim.core.fabric import load_core

    if threads is None:
        threads = int(os.environ.get("NETSIM_ROUTING_THREADS", "0"))
    ns = load_core()
    g = graph
    dest = np.ascontiguousarray(destinations, dtype=np.uint32)
    if out is None:
        ports, cols = np.empty((forwarding_nodes, len(dest)), dtype=np.uint8), ns.cppyy.nullptr
    else:
        ports, cols = out, _nonempty(np.ascontiguousarray(columns, dtype=np.uint32))
        if not (out.dtype == np.uint8 and out.flags.c_contiguous and out.shape[0] == forwarding_nodes
                and len(cols) >= len(dest) and (not len(dest) or int(cols[:len(dest)].max()) < out.shape[1])):
            raise ValueError("out must be C-ordered uint8 rows of every forwarding node, with a column per destination")
    distances = np.empty((forwarding_nodes, len(dest))) if with_distances else None
    if not (len(dest) and forwarding_nodes):
        if out is not None:
            out.fill(NO_ROUTE)
        return (ports, distances) if with_distances else ports
    if (targets is not None or out is not None) and with_distances:
        raise ValueError("distances come only from full searches into a new array")
    if targets is not None or out is not None:
        targets = [()] * len(dest) if targets is None else targets  # no targets: searched in full
        start = np.zeros(len(dest) + 1, dtype=np.int64)
        start[1:] = np.cumsum([len(t) for t in targets])
        flat = np.concatenate([np.asarray(t, dtype=np.uint32) for t in targets] + [np.zeros(0, dtype=np.uint32)])
        guide = g.pos_m if guided and g.weight_per_metre > 0 else None
        ns.NextHopSolver.SolveBounded(g.n_nodes, g.n_transit, g.row_start, g.cols, g.weight, g.back_port,
                                      ns.cppyy.nullptr if guide is None else guide,
                                      g.weight_per_metre if guide is not None else 0.0, dest, len(dest), start,
                                      _nonempty(np.ascontiguousarray(flat)), forwarding_nodes, ports,
                                      ports.shape[1], cols, threads)
        return ports
    ns.NextHopSolver.Solve(g.n_nodes, g.n_transit, g.row_start, g.cols, g.weight, g.back_port, dest, len(dest),
                           forwarding_nodes, ports, distances if with_distances else ns.cppyy.nullptr, threads)
    return (ports, distances) if with_distances else ports


def next_hop_distances(links: Links, weights: np.ndarray, n_nodes: int, destinations: np.ndarray,
                       forwarding_nodes: int, n_transit: int | None = None) -> np.ndarray:
    """Shortest-path weight from every forwarding node to every destination
    (forwarding_nodes, len(destinations)); inf where unreachable."""
    return next_hop_ports(links, weights, n_nodes, destinations, forwarding_nodes, n_transit,
                          with_distances=True)[1]


def _nonempty(arr: np.ndarray) -> np.ndarray:
    """cppyy needs a valid pointer even for an empty graph."""
    return arr if arr.size else np.zeros(1, dtype=arr.dtype)
