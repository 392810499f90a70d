"""Following the forwarding tables of one routing snapshot: the path a packet takes
between two nodes and its propagation delay."""

from __future__ import annotations

import numpy as np

from netsim.routing.solver import SPEED_OF_LIGHT_MPS


def follow_path(snapshot, n_satellites: int, src: int, dst_index: int) -> list[int] | None:
    """Nodes from node src to ground station dst_index (a station's destination column
    is its index) by the next-hop tables, the source's own row included, or None if
    unreachable (or a transient loop)."""
    return follow_column(snapshot, n_satellites, src, dst_index, n_satellites + dst_index, len(snapshot.ports) + 1)


def follow_column(snapshot, n_satellites: int, src: int, column: int, dst: int, max_nodes: int) -> list[int] | None:
    """Nodes from node src to node dst, whose destination column is `column`, by the
    next-hop tables (completing a bounded column where needed); None if a next hop is
    missing or the path exceeds max_nodes."""
    peer = port_peers(snapshot, n_satellites)
    path, node = [src], src
    while node != dst and len(path) <= max_nodes:
        nxt = peer(node, snapshot.next_hop(node, column))
        if nxt < 0:
            return None
        path.append(nxt)
        node = nxt
    return path if node == dst else None


def port_peers(snapshot: Snapshot, n_satellites: int):
    """Lookup (node, port) -> node at the other end (-1 if none), over the links that are
    up; built once per snapshot from sorted keys, without a per-link Python loop."""
    cached = getattr(snapshot, "_peers", None)
    if cached is None:
        links = snapshot.links
        keys = np.concatenate([links.node_a.astype(np.int64) * 256 + links.port_a,
                               links.node_b.astype(np.int64) * 256 + links.port_b])
        peers = np.concatenate([links.node_b, links.node_a]).astype(np.int64)
        order = np.argsort(keys)
        keys, peers = keys[order], peers[order]

        def cached(node: int, port: int) -> int:
            key = node * 256 + port
            i = int(np.searchsorted(keys, key))
            return int(peers[i]) if i < len(keys) and keys[i] == key else -1

        snapshot._peers = cached
    return cached


def path_delay_s(snapshot: Snapshot, path: list[int]) -> float:
    a = np.asarray(path[:-1])
    b = np.asarray(path[1:])
    return float(np.sum(np.linalg.norm(snapshot.pos_m[b] - snapshot.pos_m[a], axis=-1)) / SPEED_OF_LIGHT_MPS)
