"""Routing: next hop of every satellite toward every destination, from the links that
are up. One Dijkstra per destination on a sparse graph (never all pairs, never a dense
matrix), run by the C++ core's NextHopSolver on all cores."""

from __future__ import annotations

import os

import numpy as np

from netsim.links.numbering import Links

SPEED_OF_LIGHT_MPS = 299_792_458.0
NO_ROUTE = 0xFF  # ForwardingTable::NO_ROUTE in the C++ core


def link_weights(links: Links, pos_m: np.ndarray, metric: str) -> np.ndarray:
    """Edge weights: propagation delay in s ("delay") or 1 per hop ("hops")."""
    if metric == "hops":
        return np.ones(len(links))
    return link_delays_s(links, pos_m)


def link_delays_s(links: Links, pos_m: np.ndarray) -> np.ndarray:
    return np.linalg.norm(pos_m[links.node_b] - pos_m[links.node_a], axis=-1) / SPEED_OF_LIGHT_MPS


def next_hop_ports(links: Links, weights: np.ndarray, n_nodes: int, destinations: np.ndarray,
                   forwarding_nodes: int, n_transit: int | None = None, threads: int | None = None,
                   with_distances: bool = False):
    """Port each forwarding node (0..forwarding_nodes-1) uses toward each destination
    node: uint8 array (forwarding_nodes, len(destinations)), NO_ROUTE where unreachable.
    Nodes n_transit.. (ground stations) start and end paths but never relay (default:
    every node may relay). threads: None reads NETSIM_ROUTING_THREADS (0 or unset: all cores)."""
    from netsim.core.fabric import load_core

    if threads is None:
        threads = int(os.environ.get("NETSIM_ROUTING_THREADS", "0"))

    ns = load_core()
    a = links.node_a.astype(np.int64)
    b = links.node_b.astype(np.int64)
    # CSR with both directions; entry u->v carries the port on v that leads back to u.
    rows = np.concatenate([a, b])
    order = np.argsort(rows, kind="stable")
    cols = np.ascontiguousarray(np.concatenate([b, a])[order], dtype=np.uint32)
    weight = np.ascontiguousarray(np.concatenate([weights, weights])[order], dtype=np.float64)
    back_port = np.ascontiguousarray(np.concatenate([links.port_b, links.port_a])[order], dtype=np.uint8)
    row_start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=row_start[1:])
    dest = np.ascontiguousarray(destinations, dtype=np.uint32)
    ports = np.empty((forwarding_nodes, len(dest)), dtype=np.uint8)
    distances = np.empty((forwarding_nodes, len(dest))) if with_distances else None
    if len(dest) and forwarding_nodes:
        transit = n_nodes if n_transit is None else n_transit
        ns.NextHopSolver.Solve(n_nodes, transit, row_start, _nonempty(cols), _nonempty(weight), _nonempty(back_port),
                               dest, len(dest), forwarding_nodes, ports,
                               distances if with_distances else ns.cppyy.nullptr, threads)
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
