"""Paths of many demands at once, walked down next-hop trees (the routing result), as
the laser ports each demand is sent through: the resources a flow-level allocation
shares out (netsim.routing.max_min)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.jit import njit
from netsim.links.numbering import Links
from netsim.routing.solver import NO_ROUTE


@dataclass(frozen=True)
class PortMap:
    """Who is at the other end of each (node, port) over a set of links: port ids are
    node * stride + port."""

    stride: int
    peer_node: np.ndarray  # per port id, -1 when the port has no link
    peer_port: np.ndarray

    @staticmethod
    def of(links: Links, n_nodes: int, stride: int) -> "PortMap":
        peer_node = np.full(n_nodes * stride, -1, dtype=np.int64)
        peer_port = np.zeros(n_nodes * stride, dtype=np.int64)
        a = links.node_a.astype(np.int64) * stride + links.port_a
        b = links.node_b.astype(np.int64) * stride + links.port_b
        peer_node[a], peer_port[a] = links.node_b, links.port_b
        peer_node[b], peer_port[b] = links.node_a, links.port_a
        return PortMap(stride, peer_node, peer_port)


@dataclass(frozen=True)
class DemandPaths:
    """CSR of the ports each routed demand transmits through, in path order."""

    routed: np.ndarray  # bool per demand
    start: np.ndarray  # (routed demands + 1) offsets into port_id
    port_id: np.ndarray  # node * stride + port of each hop's transmitting port
    hops: np.ndarray  # per demand (0 when not routed)


def walk_trees(tree_ports: np.ndarray, column: np.ndarray, start: np.ndarray, root: np.ndarray,
               reverse: np.ndarray, ports: PortMap, max_hops: int) -> DemandPaths:
    """Follow each demand from `start` to `root` down tree column `column` of
    tree_ports (nodes x trees next-hop ports). A demand with `reverse` set flows the other
    way (root -> start): its ports are the far ends of the hops walked, in the order it
    crosses them. A demand that starts at its root, meets NO_ROUTE, a port without a link
    or more than max_hops hops is not routed."""
    args = (np.ascontiguousarray(tree_ports), np.ascontiguousarray(column, dtype=np.int64),
            np.ascontiguousarray(start, dtype=np.int64), np.ascontiguousarray(root, dtype=np.int64),
            np.ascontiguousarray(reverse, dtype=np.bool_), ports.peer_node, ports.peer_port, ports.stride, max_hops)
    hops = _count_hops(*args)
    routed = hops > 0
    offsets = np.concatenate([[0], np.cumsum(hops[routed])]).astype(np.int64)
    # int32: ~10^7-10^8 entries a fabric-scale interval (port ids stay below 2^31).
    port_id = np.empty(int(offsets[-1]), dtype=np.int32)
    _fill_ports(*args, np.flatnonzero(routed), offsets, hops, port_id)
    return DemandPaths(routed, offsets, port_id, hops)


@njit
def _count_hops(tree_ports, column, start, root, reverse, peer_node, peer_port, stride, max_hops):  # pragma: no cover
    """Hops of each demand's walk, 0 when it is not routed."""
    hops = np.zeros(len(start), np.int64)
    for d in range(len(start)):
        at, k = start[d], 0
        while at != root[d] and k < max_hops:
            port = tree_ports[at, column[d]]
            nxt = -1 if port == NO_ROUTE else peer_node[at * stride + port]
            if nxt < 0:
                break
            k += 1
            at = nxt
        if at == root[d] and k > 0:
            hops[d] = k
    return hops


@njit
def _fill_ports(tree_ports, column, start, root, reverse, peer_node, peer_port, stride, max_hops,  # pragma: no cover
                routed, offsets, hops, port_id):
    """The transmitting port of every hop, in the direction of flow."""
    for i in range(len(routed)):
        d = routed[i]
        at = start[d]
        for step in range(hops[d]):
            pid = at * stride + tree_ports[at, column[d]]
            nxt = peer_node[pid]
            if reverse[d]:  # the next node sends back toward this one
                port_id[offsets[i] + hops[d] - 1 - step] = nxt * stride + peer_port[pid]
            else:
                port_id[offsets[i] + step] = pid
            at = nxt
