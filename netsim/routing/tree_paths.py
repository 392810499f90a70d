"""Paths of many demands at once, walked down next-hop trees (the routing result), as
the laser ports each demand is sent through: the resources a flow-level allocation
shares out (netsim.routing.max_min)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    way (root -> start): its ports are the far ends of the hops walked. A demand that
    meets NO_ROUTE, a port without a link or more than max_hops hops is not routed."""
    n = len(start)
    stride = ports.stride
    owner, step_of, port_of = [], [], []
    alive = np.flatnonzero(start != root)
    at = start[alive].astype(np.int64)
    failed = np.zeros(n, dtype=bool)
    failed[start == root] = True
    for step in range(max_hops):
        if not len(alive):
            break
        port = tree_ports[at, column[alive]].astype(np.int64)
        pid = at * stride + np.where(port == NO_ROUTE, 0, port)
        nxt = np.where(port == NO_ROUTE, -1, ports.peer_node[pid])
        ok = nxt >= 0
        failed[alive[~ok]] = True
        alive, at, pid, nxt = alive[ok], at[ok], pid[ok], nxt[ok]
        back = reverse[alive]
        # Reversed demands transmit from the next node back toward this one.
        sent = np.where(back, nxt * stride + ports.peer_port[pid], pid)
        # int32: ~10^7 entries a fabric-scale interval (port ids stay below 2^31).
        owner.append(alive.astype(np.int32))
        step_of.append(np.where(back, -step, step).astype(np.int32))
        port_of.append(sent.astype(np.int32))
        arrived = nxt == root[alive]
        alive, at = alive[~arrived], nxt[~arrived]
    failed[alive] = True  # loop guard: more than max_hops
    owner_all = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int32)
    step_all = np.concatenate(step_of) if step_of else np.zeros(0, dtype=np.int32)
    port_all = np.concatenate(port_of) if port_of else np.zeros(0, dtype=np.int32)
    del owner, step_of, port_of
    keep = ~failed[owner_all]
    owner_all, step_all, port_all = owner_all[keep], step_all[keep], port_all[keep]
    order = np.lexsort((step_all, owner_all))  # by demand, then in the direction of flow
    hops = np.bincount(owner_all, minlength=n)
    routed = ~failed
    offsets = np.concatenate([[0], np.cumsum(hops[routed])])
    return DemandPaths(routed, offsets, port_all[order], np.where(routed, hops, 0))
