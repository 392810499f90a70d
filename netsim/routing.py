"""Routing: next hop of every satellite toward every destination, from the links that
are up, by sparse shortest paths (one Dijkstra per destination, never all pairs)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from netsim.topology import Links

SPEED_OF_LIGHT_MPS = 299_792_458.0
NO_ROUTE = 0xFF  # ForwardingTable::NO_ROUTE in the C++ core


def link_weights(links: Links, pos_m: np.ndarray, metric: str) -> np.ndarray:
    """Edge weights: propagation delay in s ("delay") or 1 per hop ("hops")."""
    if metric == "hops":
        return np.ones(len(links))
    length_m = np.linalg.norm(pos_m[links.node_b] - pos_m[links.node_a], axis=-1)
    return length_m / SPEED_OF_LIGHT_MPS


def next_hop_ports(links: Links, weights: np.ndarray, n_nodes: int,
                   destinations: np.ndarray, forwarding_nodes: int) -> np.ndarray:
    """Port each forwarding node (0..forwarding_nodes-1) uses toward each destination
    node: uint8 array (forwarding_nodes, len(destinations)), NO_ROUTE where unreachable."""
    a = links.node_a.astype(np.int64)
    b = links.node_b.astype(np.int64)
    graph = coo_matrix((weights, (a, b)), shape=(n_nodes, n_nodes)).tocsr()
    _, predecessors = dijkstra(graph, directed=False, indices=destinations, return_predecessors=True)
    # On an undirected graph, v's predecessor on the path from d is v's next hop to d.
    hops = predecessors[:, :forwarding_nodes].T  # (forwarding_nodes, n_dest)
    ports = np.full(hops.shape, NO_ROUTE, dtype=np.uint8)
    # Look up the port of each (node, next hop) pair among both directions of the links.
    keys = np.concatenate([a * n_nodes + b, b * n_nodes + a])
    key_ports = np.concatenate([links.port_a, links.port_b])
    order = np.argsort(keys)
    keys, key_ports = keys[order], key_ports[order]
    node = np.broadcast_to(np.arange(forwarding_nodes)[:, None], hops.shape)
    reachable = hops >= 0
    wanted = node[reachable] * n_nodes + hops[reachable]
    ports[reachable] = key_ports[np.searchsorted(keys, wanted)]
    return ports


def table_diff(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries that changed: (node, destination, new port) arrays for the C++ table."""
    node, dest = np.nonzero(old != new)
    return node.astype(np.uint32), dest.astype(np.uint32), new[node, dest].astype(np.uint8)
