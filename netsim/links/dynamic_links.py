"""Links chosen anew at each routing update under terminal limits: intra-tier
"nearest"/"least_loaded" ISLs and inter-tier links (a tier's zenith terminals to the
nadir terminals of the tier above). Uses netsim.links.assignment; +Grid ISLs (fixed
partners) and ground links are handled elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.links.assignment import TerminalGeometry, assign_links, feasible_pairs, repoint_time_s
from netsim.links.assignment.candidates import pairs_feasible
from netsim.scenario.model import Scenario, TerminalGroup
from netsim.links.numbering import Layout, Links


def geometry(group: TerminalGroup, default_boresights: str) -> TerminalGeometry:
    boresights = group.boresights if group.boresights is not None else default_boresights
    return TerminalGeometry(group.count, boresights if isinstance(boresights, str) else tuple(boresights),
                            np.radians(group.field_of_regard_deg), np.radians(group.max_slew_rate_deg_s))


@dataclass
class LinkGroup:
    """One assignment problem: A-side terminals linking to B-side terminals."""

    kind: str  # "isl" or "inter_tier"
    a_nodes: np.ndarray
    b_nodes: np.ndarray
    a_geometry: TerminalGeometry
    b_geometry: TerminalGeometry
    a_first_port: int
    b_first_port: int
    same_set: bool
    policy: str
    acquisition: object  # float or config.Distribution
    # Links up now (a, b, terminal a, terminal b) and when each can carry packets.
    current: tuple = field(default_factory=lambda: _no_links())
    ready_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Make-before-break: replaced links kept up on their own terminals until the links
    # that replace them are ready.
    draining: tuple = field(default_factory=lambda: _no_links())
    drain_until_s: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def links(self, rows: np.ndarray | slice = slice(None)) -> Links:
        return self._as_links(self.current, rows)

    def draining_links(self) -> Links:
        return self._as_links(self.draining, slice(None))

    def _as_links(self, links: tuple, rows) -> Links:
        a, b, ta, tb = (x[rows] for x in links)
        return Links(a.astype(np.uint32), (ta + self.a_first_port).astype(np.uint32),
                     b.astype(np.uint32), (tb + self.b_first_port).astype(np.uint32))


def _no_links() -> tuple:
    return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))


def link_groups(scenario: Scenario, lay: Layout) -> list[LinkGroup]:
    tiers = scenario.constellation.tiers
    nodes_of = [np.flatnonzero(lay.tier_of == i) for i in range(len(tiers))]
    groups = []
    for i, tier in enumerate(tiers):
        isl = tier.terminals.isl
        # +Grid and listed ISLs are fixed (netsim.links.fixed_isls); the others are assigned.
        if isl.policy not in ("plus_grid", "list") and isl.count > 0:
            g = geometry(isl, "ring")
            groups.append(LinkGroup("isl", nodes_of[i], nodes_of[i], g, g, lay.plans[i].isl[0],
                                    lay.plans[i].isl[0], True, isl.policy, isl.acquisition_s))
        if i + 1 < len(tiers):
            up, down = tier.terminals.up, tiers[i + 1].terminals.down
            if up.count > 0 and down.count > 0:
                groups.append(LinkGroup("inter_tier", nodes_of[i], nodes_of[i + 1], geometry(up, "zenith"),
                                        geometry(down, "nadir"), lay.plans[i].up[0], lay.plans[i + 1].down[0],
                                        False, up.policy, up.acquisition_s))
    return groups


@dataclass
class GroupChange:
    """What one update changes in a group: links to break and links to acquire."""

    removed: Links
    added: Links
    slew_a_s: np.ndarray
    slew_b_s: np.ndarray
    acquisition_s: np.ndarray
    removed_feasible: np.ndarray  # bool per removed link: still feasible (re-assigned)
    draining: Links = None  # replaced links kept up until their replacements are ready


def update_group(group: LinkGroup, t_s: float, pos, vel, n_nodes: int, max_range_m: float,
                 earth_radius_m: float, grazing_m: float, draw) -> GroupChange:
    old_a, old_b, old_ta, old_tb = group.current
    a, b, d = feasible_pairs(pos, vel, group.a_nodes, group.a_geometry, group.b_nodes, group.b_geometry,
                             max_range_m, earth_radius_m, grazing_m, same_set=group.same_set,
                             include=(np.concatenate([old_a, group.draining[0]]),
                                      np.concatenate([old_b, group.draining[1]])))
    # Links up now and draining links are among the candidates (includes): whether one is
    # feasible is the filter's answer for that pair, asked directly (not looked up among
    # the ~2 M feasible pairs).
    def feasible(x, y):
        if group.same_set:
            x, y = np.minimum(x, y), np.maximum(x, y)
        return pairs_feasible(pos, vel, x, group.a_geometry, y, group.b_geometry, max_range_m, earth_radius_m,
                              grazing_m)[0]

    # Draining links end when their replacements are ready or when they become infeasible.
    drain_a, drain_b = group.draining[0], group.draining[1]
    still = (group.drain_until_s > t_s + 1e-12) & feasible(drain_a, drain_b)
    ended = tuple(x[~still] for x in group.draining)
    group.draining = tuple(x[still] for x in group.draining)
    group.drain_until_s = group.drain_until_s[still]
    # Terminals held by draining links are not free for new links.
    a_cap = np.zeros(n_nodes, dtype=np.int64)
    a_cap[group.a_nodes] = group.a_geometry.count
    if group.same_set:
        b_cap = a_cap
    else:
        b_cap = np.zeros(n_nodes, dtype=np.int64)
        b_cap[group.b_nodes] = group.b_geometry.count
    np.subtract.at(a_cap, group.draining[0], 1)
    np.subtract.at(b_cap, group.draining[1], 1)
    new = assign_links(pos, vel, a, b, d, group.a_geometry, group.b_geometry, a_cap, b_cap, group.policy,
                       keep=group.current, same_set=group.same_set)
    # Links kept: the same (node, terminal) at both ends. Keys are unique (a terminal
    # holds one link), so one sort of both lists matches them.
    _, new_rows, old_rows = np.intersect1d(_keys(new, n_nodes), _keys(group.current, n_nodes), assume_unique=True,
                                           return_indices=True)
    kept_new = np.zeros(len(new[0]), dtype=bool)
    kept_new[new_rows] = True
    kept_old = np.zeros(len(old_a), dtype=bool)
    kept_old[old_rows] = True
    removed_feasible = feasible(old_a[~kept_old], old_b[~kept_old])
    # Slew of each new link's terminals from the peer they tracked before (if any).
    na, nb, nta, ntb = (x[~kept_new] for x in new)
    slew_a = repoint_time_s(pos, vel, na, _previous_peer(group.current, na, nta),
                            nb, group.a_geometry, terminal=nta)
    slew_b = repoint_time_s(pos, vel, nb, _previous_peer(group.current, nb, ntb),
                            na, group.b_geometry, terminal=ntb)
    acquisition = draw(group.acquisition, len(na))
    ready = np.zeros(len(new[0]))
    ready[new_rows] = group.ready_s[old_rows]
    ready[~kept_new] = t_s + np.maximum(slew_a, slew_b) + acquisition
    gone = tuple(x[~kept_old] for x in group.current)
    drain = _make_before_break(gone, removed_feasible, new, ready, kept_new, t_s)
    group.draining = tuple(np.concatenate([x, y[drain]]) for x, y in zip(group.draining, gone))
    group.drain_until_s = np.concatenate([group.drain_until_s, _drain_until(gone, drain, new, ready, n_nodes)])
    removed = group._as_links(tuple(np.concatenate([x, y[~drain]]) for x, y in zip(ended, gone)), slice(None))
    removed_feasible = np.concatenate([np.zeros(len(ended[0]), dtype=bool), removed_feasible[~drain]])
    group.current, group.ready_s = new, ready
    added = group.links(np.flatnonzero(~kept_new))
    return GroupChange(removed, added, slew_a, slew_b, acquisition, removed_feasible,
                       group._as_links(tuple(y[drain] for y in gone), slice(None)))


def _make_before_break(gone: tuple, feasible: np.ndarray, new: tuple, ready: np.ndarray, kept_new: np.ndarray,
                       t_s: float) -> np.ndarray:
    """Replaced links that may stay up until their replacement is ready: still feasible,
    neither terminal taken by a new link, and an end that gains a link not yet ready."""
    ga, gb, gta, gtb = (np.asarray(x, dtype=np.int64) for x in gone)
    na, nb, nta, ntb = (np.asarray(x, dtype=np.int64) for x in new)
    used = np.concatenate([na * 64 + nta, nb * 64 + ntb])  # (node, terminal) as in _keys
    waiting = ~kept_new & (ready > t_s)
    pending = np.concatenate([na[waiting], nb[waiting]])
    return (feasible.astype(bool) & ~np.isin(ga * 64 + gta, used) & ~np.isin(gb * 64 + gtb, used)
            & (np.isin(ga, pending) | np.isin(gb, pending)))


def _drain_until(gone: tuple, drain: np.ndarray, new: tuple, ready: np.ndarray, n_nodes: int) -> np.ndarray:
    """For each draining link: when the last new link at either of its ends is ready
    (0 when no new link touches it)."""
    last = np.full(n_nodes, -np.inf)
    np.maximum.at(last, new[0], ready)
    np.maximum.at(last, new[1], ready)
    until = np.maximum(last[gone[0][drain]], last[gone[1][drain]])
    return np.where(np.isfinite(until), until, 0.0)


def _keys(links: tuple, n_nodes: int) -> np.ndarray:
    a, b, ta, tb = (np.asarray(x, dtype=np.int64) for x in links)
    return ((a * 64 + ta) * n_nodes + b) * 64 + tb


def _previous_peer(current: tuple, nodes: np.ndarray, terminals: np.ndarray) -> np.ndarray:
    """Peer each (node, terminal) tracked before this update, -1 if it was idle.
    Vectorised lookup of node * 64 + terminal keys (a sorted key array + searchsorted);
    the a ends are looked up first, a key listed twice at one end gives its last row."""
    a, b, ta, tb = (np.asarray(x, dtype=np.int64) for x in current)
    nodes = np.asarray(nodes, dtype=np.int64)
    query = nodes * 64 + np.asarray(terminals, dtype=np.int64)
    peer = np.full(len(nodes), -1, dtype=np.int64)
    for node_col, term_col, other in ((a, ta, b), (b, tb, a)):
        if not len(node_col) or not len(query):
            continue
        key = node_col * 64 + term_col
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        at = np.searchsorted(sorted_key, query, side="right") - 1
        hit = (at >= 0) & (peer < 0)
        hit[hit] = sorted_key[at[hit]] == query[hit]
        peer[hit] = other[order[at[hit]]]
    return peer
