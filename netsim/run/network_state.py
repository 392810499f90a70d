"""The network's state over time, without packets: positions, which links are up,
ground links and next hops, one snapshot per routing update.

Both the packet-level runner (which pushes each snapshot into the C++ core) and
`netsim paths` (which only writes routing tables) step through the same generator.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from netsim.links.dynamic_links import link_groups, update_group
from netsim.links.atmosphere import CloudCover
from netsim.links.fixed_isls import fixed_isls
from netsim.links.ground_links import GroundLinkAssigner, GroundLinkSet, StationLimits, remaining_visibility_s
from netsim.links.link_budget import LinkBudget
from netsim.links.numbering import Links, layout
from netsim.routing.solver import (NO_ROUTE, SPEED_OF_LIGHT_MPS, UNSOLVED, RouteGraph, link_weights,
                                   next_hop_distances, route_graph, solve)
from netsim.run.traffic import endpoint_nodes
from netsim.scenario.model import Scenario
from netsim.space.geometry import link_lengths_m, links_in_sight
from netsim.space.orbits import constellation_ephemeris, earth_constants
from netsim.space.sites import ground_sites


@dataclass
class Snapshot:
    """State at one routing update t_s (positions in m, inertial frame)."""

    t_s: float
    pos_m: np.ndarray  # (nodes, 3)
    vel_mps: np.ndarray
    isl_up: np.ndarray  # bool per fixed ISL: connected (possibly still acquiring)
    ground: GroundLinkSet  # the ground links now (possibly still acquiring)
    links: Links  # every link routes may use (ISLs, assigned links, ground links)
    ports: np.ndarray  # (nodes, destinations) next-hop ports, NO_ROUTE if none; stations too
    isl_dark_s: np.ndarray = None  # per fixed ISL: dark time if it rose now, s
    ground_ready_s: np.ndarray = None  # per ground link: when it carries packets, s
    ground_slew_s: np.ndarray = None  # per ground link: slew before it acquires (new links), s
    ground_acquisition_s: np.ndarray = None  # per ground link: acquisition (new links), s
    handovers: list = field(default_factory=list)  # rows of the handover table
    group_changes: list = field(default_factory=list)  # GroupChange per dynamic link group
    graph: RouteGraph | None = None  # what ports were computed on
    destinations: np.ndarray | None = None  # node of each destination column

    def next_hop(self, node: int, column: int) -> int:
        """ports[node, column], completing the column first if a bounded search left
        that entry UNSOLVED (the same next hops as a search of every node)."""
        port = int(self.ports[node, column])
        if port == UNSOLVED:
            self.ports[:, column] = solve(self.graph, self.destinations[[column]], len(self.ports))[:, 0]
            port = int(self.ports[node, column])
        return port


class NetworkStates:
    """Steps a scenario's network through time; call `at` with increasing times.

    routed: the destinations whose next hops are computed — "all" (every destination
    column), "traffic" (the endpoints of the scenario's flows: all a packet run can
    address) or node names (e.g. the stations of the reported pairs). The other
    columns stay NO_ROUTE, so a run routes only toward where its packets go.

    bounded (routed="traffic" only): each destination's search stops once the endpoints
    that send toward it are settled; other entries are UNSOLVED and completed on demand
    (Snapshot.next_hop, and the C++ ForwardingTable for packets), with the same next
    hops as a full search. None: on unless NETSIM_BOUNDED_ROUTING=0."""

    def __init__(self, scenario: Scenario, routed: str | Iterable[str] = "all", bounded: bool | None = None):
        self.scenario = scenario
        self.orbits = constellation_ephemeris(scenario)
        self.sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
        self.layout = layout(scenario, self.orbits.names)
        self.isl = fixed_isls(scenario, self.layout)
        self.budget = LinkBudget.from_config(scenario.laser) if scenario.laser.physics else None
        gl = scenario.ground_links
        self.assigner = GroundLinkAssigner(self.layout, station_limits(scenario, self.layout), gl.mode, gl.policy,
                                           gl.switch_margin, gl.satellite_field_of_regard_deg)
        self.n_satellites = self.layout.n_satellites
        # Destination columns: every ground station, then satellites that end a flow.
        self.destinations = endpoint_nodes(scenario, self.layout)
        self.routed_columns = self._routed_columns(routed)
        if bounded is None:
            bounded = os.environ.get("NETSIM_BOUNDED_ROUTING", "1") != "0"
        self.column_senders = (column_senders(scenario, self.layout, self.destinations)
                               if bounded and routed == "traffic" else None)
        self.peer_columns = self._peer_columns()
        self.allowed_isl = self._tier_mask()
        _, self.earth_radius_m = earth_constants()
        # Acquisition times are drawn from one stream per run: reproducible.
        self.rng = np.random.default_rng(scenario.seed)
        self.isl_up = np.zeros(len(self.isl), dtype=bool)
        self.isl_ready_s = np.zeros(len(self.isl))
        self.ground_ready: dict[int, float] = {}  # ground link key -> when it carries packets
        self.groups = link_groups(scenario, self.layout)
        # Clouds over the stations (optical ground links): intervals for the whole run.
        self.clouds = None
        if scenario.ground_links.kind == "optical" and scenario.laser.physics:
            clouds = CloudCover(scenario, list(self.layout.station_ports), scenario.duration_s + scenario.drain_s)
            self.clouds = clouds if clouds.any else None
        self.started = False

    def positions(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        sat_pos, sat_vel = self.orbits.at(t_s)
        gs_pos, gs_vel = self.sites.at(t_s)
        return np.concatenate([sat_pos, gs_pos]), np.concatenate([sat_vel, gs_vel])

    def at(self, t_s: float, pos_vel: tuple[np.ndarray, np.ndarray] | None = None) -> Snapshot:
        pos, vel = pos_vel if pos_vel is not None else self.positions(t_s)
        n_sat = self.n_satellites
        handovers: list[dict] = []

        # Which satellites each station sees depends on positions alone: found on another
        # thread while the link groups are assigned (both release the GIL for most of it).
        with ThreadPoolExecutor(1) as pool:
            visible = pool.submit(self.assigner.visible, pos[n_sat:], self.sites.up_at(t_s), pos[:n_sat])
            isl, isl_dark = self._isl_state(t_s, pos, handovers)
            group_changes = [self._update_group(group, t_s, pos, vel, handovers) for group in self.groups]
            visible = visible.result()
        old = self.assigner.current
        costs = self._ground_costs(t_s, pos, vel, visible, isl, old)
        ground = self.assigner.update(visible, costs)
        ready, slew, acquisition = self._ground_handovers(t_s, pos, old, ground, visible, handovers)

        ready_isl = isl & (self.isl_ready_s <= t_s + 1e-12)
        dynamic = [links for g in self.groups if self._group_allowed(g)
                   for links in (g.links(np.flatnonzero(g.ready_s <= t_s + 1e-12)), g.draining_links())]
        blocked = self.clouds.blocked(ground.station, ground.station_port, t_s) if self.clouds else None
        links = Links.concatenate([self.isl.select(ready_isl & self.allowed_isl), *dynamic,
                                   ground.links(n_sat, routable_ground_links(ground, ready, t_s, blocked))])
        graph = route_graph(links, link_weights(links, pos, self.scenario.routing.metric), self.layout.n_nodes,
                            self.n_satellites, pos if self.column_senders is not None else None)
        ports = self._next_hops(graph)
        self.started = True
        return Snapshot(t_s, pos, vel, isl.copy(), ground, links, ports, isl_dark, ready, slew, acquisition,
                        handovers, group_changes, graph, self.destinations)

    def _next_hops(self, graph: RouteGraph) -> np.ndarray:
        """(nodes, destination columns) ports; columns not routed stay NO_ROUTE."""
        n_nodes, routed = self.layout.n_nodes, self.routed_columns
        senders = None if self.column_senders is None else [self.column_senders.get(int(c), ()) for c in routed]
        if len(routed) == len(self.destinations):
            return solve(graph, self.destinations, n_nodes, senders)
        # The solver writes the routed columns in place (a (nodes, columns) scatter costs
        # as much as a search at 1.2 M satellites) and sets the others to NO_ROUTE.
        ports = np.empty((n_nodes, len(self.destinations)), dtype=np.uint8)
        return solve(graph, self.destinations[routed], n_nodes, senders, out=ports, columns=routed)

    def add_destinations(self, nodes) -> np.ndarray:
        """Destination columns for `nodes`, routed from now on: new columns for nodes that
        become endpoints during a run (workload servers, training and storage
        satellites); nodes that are columns already (stations) keep theirs. Returns the
        columns of `nodes`."""
        have = {int(n): c for c, n in enumerate(self.destinations)}
        new = [int(n) for n in dict.fromkeys(int(n) for n in nodes) if int(n) not in have]
        if new:
            first = len(self.destinations)
            self.destinations = np.concatenate([self.destinations, np.asarray(new, dtype=np.int64)])
            have.update({n: first + i for i, n in enumerate(new)})
        columns = np.array([have[int(n)] for n in nodes], dtype=np.int64)
        self.routed_columns = np.union1d(self.routed_columns, columns).astype(np.int64)
        return columns

    def extend_routes(self, snap: Snapshot, columns: np.ndarray) -> None:
        """Widen snap.ports to every destination column and fill in the next hops toward
        `columns` over snap's links (columns added after the snapshot was routed)."""
        n_nodes = self.layout.n_nodes
        ports = np.full((n_nodes, len(self.destinations)), NO_ROUTE, dtype=np.uint8)
        ports[:, :snap.ports.shape[1]] = snap.ports
        if len(columns):
            ports[:, columns] = solve(snap.graph, self.destinations[columns], n_nodes)
        snap.ports = ports
        snap.destinations = self.destinations

    def _routed_columns(self, routed) -> np.ndarray:
        if isinstance(routed, str) and routed == "all":
            return np.arange(len(self.destinations))
        if isinstance(routed, str) and routed == "traffic":
            routed = {end for flow in self.scenario.traffic for end in (flow.src, flow.dst)}
        column = {int(node): c for c, node in enumerate(self.destinations)}
        return np.array(sorted(column[self.layout.node_index(name)] for name in set(routed)), dtype=np.int64)

    def _update_group(self, group, t_s, pos, vel, handovers):
        max_range = self.budget.max_range_m() if self.budget is not None else 2 * 42_164e3
        change = update_group(group, t_s, pos, vel, self.layout.n_nodes, max_range, self.earth_radius_m,
                              self.scenario.constellation.grazing_altitude_km * 1e3, self._draw)
        names = self.layout.satellite_names
        removed, added = change.removed, change.added
        if self.started:
            for i in range(len(removed)):
                handovers.append(_row(t_s, names[removed.node_a[i]], int(removed.port_a[i]),
                                      names[removed.node_b[i]], "", 0.0,
                                      "reassigned" if change.removed_feasible[i] else "infeasible"))
            for i in range(len(added)):
                outage = max(change.slew_a_s[i], change.slew_b_s[i]) + change.acquisition_s[i]
                handovers.append(_row(t_s, names[added.node_a[i]], int(added.port_a[i]), "",
                                      names[added.node_b[i]], float(outage), "acquired"))
            draining = change.draining
            for i in range(len(draining)):
                # Make-before-break: the old link carries traffic while its replacement acquires.
                handovers.append(_row(t_s, names[draining.node_a[i]], int(draining.port_a[i]),
                                      names[draining.node_b[i]], "", 0.0, "make_before_break"))
        else:
            # Warm start: links chosen at t = 0 are up at once.
            group.ready_s[:] = 0.0
            change.slew_a_s[:] = change.slew_b_s[:] = change.acquisition_s[:] = 0.0
        return change

    def _group_allowed(self, group) -> bool:
        """routing.tiers: routes may use a group's links only if both its tiers are allowed."""
        allowed = self.scenario.routing.tiers
        tiers = self.scenario.constellation.tiers
        ends = (group.a_nodes[0], group.b_nodes[0])
        return allowed is None or all(tiers[self.layout.tier_of[n]].name in allowed for n in ends)

    def _isl_state(self, t_s, pos, handovers) -> tuple[np.ndarray, np.ndarray]:
        """+Grid links up now (connected), and the dark time of those that rise now."""
        isl = self.isl
        los = links_in_sight(pos, isl.node_a, isl.node_b, self.earth_radius_m,
                             self.scenario.constellation.grazing_altitude_km * 1e3)
        up = los.copy()
        if self.budget is not None:
            up &= self.budget.usable(link_lengths_m(pos, isl.node_a, isl.node_b))
        rising = up & ~self.isl_up
        dark = np.zeros(len(isl))
        if self.started and rising.any():
            # Links that come back after a break must acquire again (the +Grid partner
            # does not change, so there is no slew).
            tier_of_link = self.layout.tier_of[isl.node_a]
            for ti, tier in enumerate(self.scenario.constellation.tiers):
                mine = rising & (tier_of_link == ti)
                if mine.any():
                    dark[mine] = self._draw(tier.terminals.isl.acquisition_s, int(mine.sum()))
            self.isl_ready_s[rising] = t_s + dark[rising]
        names = self.layout.satellite_names
        for i in np.flatnonzero(self.isl_up & ~up):
            handovers.append(_row(t_s, names[isl.node_a[i]], int(isl.port_a[i]), names[isl.node_b[i]], "",
                                  0.0, "line_of_sight" if not los[i] else "margin"))
        for i in np.flatnonzero(rising) if self.started else ():
            handovers.append(_row(t_s, names[isl.node_a[i]], int(isl.port_a[i]), "", names[isl.node_b[i]],
                                  float(dark[i]), "restored"))
        self.isl_up = up
        return up, dark

    def _ground_costs(self, t_s, pos, vel, visible, isl_up, old: GroundLinkSet) -> list[np.ndarray] | None:
        policy = self.scenario.ground_links.policy
        if policy == "nearest" or self.scenario.ground_links.mode == "any_visible":
            return None
        n_sat = self.n_satellites
        if policy == "longest_visibility":
            mask = self.assigner.limits.mask_rad
            return [1.0 / remaining_visibility_s(pos[c.satellites], vel[c.satellites],
                                                 np.repeat(pos[n_sat + g][None], len(c.satellites), 0), mask[g])
                    for g, c in enumerate(visible)]
        # lowest_delay: slant delay + mean path delay from the candidate to where the
        # station's traffic goes, over the links up now and the other stations' links
        # (stations never relay, so a station's own links play no part).
        columns = np.unique(np.concatenate([c for c in self.peer_columns] + [np.zeros(0, dtype=np.int64)]))
        if not len(columns):
            return None
        links = Links.concatenate([self.isl.select(isl_up & self.allowed_isl),
                                   *[g.links() for g in self.groups if self._group_allowed(g)], old.links(n_sat)])
        delay = next_hop_distances(links, link_weights(links, pos, "delay"), self.layout.n_nodes,
                                   self.destinations[columns], n_sat, n_transit=n_sat)
        delay = np.where(np.isfinite(delay), delay, 1.0)  # unreachable: 1 s penalty
        where = {int(c): i for i, c in enumerate(columns)}
        return [c.range_m / SPEED_OF_LIGHT_MPS + delay[c.satellites][:, [where[int(x)] for x in self.peer_columns[g]]]
                .mean(axis=1) for g, c in enumerate(visible)]

    def _peer_columns(self) -> list[np.ndarray]:
        """Per station, the destination columns its traffic goes to or comes from (every
        other station when it has no traffic)."""
        lay = self.layout
        column = {int(node): c for c, node in enumerate(self.destinations)}
        n_stations = len(lay.ground_names)
        peers: list[set[int]] = [set() for _ in range(n_stations)]
        for flow in self.scenario.traffic:
            src, dst = lay.node_index(flow.src), lay.node_index(flow.dst)
            for here, there in ((src, dst), (dst, src)):
                if here >= lay.n_satellites:
                    peers[here - lay.n_satellites].add(column[there])
        return [np.array(sorted(p) if p else [c for c in range(n_stations) if c != g], dtype=np.int64)
                for g, p in enumerate(peers)]

    def _ground_handovers(self, t_s, pos, old: GroundLinkSet, new: GroundLinkSet, visible, handovers):
        """Ready time, slew and acquisition of every ground link; handover rows for each
        station terminal that changed satellite (assigned mode; any_visible links are
        free of terminals and up at once)."""
        gl = self.scenario.ground_links
        n_sat = self.n_satellites
        keys = new.keys()
        ready = np.array([self.ground_ready.get(int(k), t_s) for k in keys])
        slew, acquisition = np.zeros(len(new)), np.zeros(len(new))
        if gl.mode == "assigned":
            names = self.layout.satellite_names
            before = {(int(g), int(sp)): int(s) for g, sp, s in zip(old.station, old.station_port, old.satellite)}
            after = {(int(g), int(sp)): (i, int(s)) for i, (g, sp, s) in
                     enumerate(zip(new.station, new.station_port, new.satellite))}
            for g, sp in sorted(before.keys() | after.keys()):
                was = before.get((g, sp), -1)
                i, now = after.get((g, sp), (None, -1))
                if was == now:
                    continue
                if i is not None and self.started:
                    acquisition[i] = self._draw(gl.acquisition_s, 1)[0]
                    if was >= 0:
                        slew[i] = _angle(pos[was] - pos[n_sat + g], pos[now] - pos[n_sat + g]) / np.radians(
                            gl.max_slew_rate_deg_s)
                if i is not None:
                    ready[i] = t_s + slew[i] + acquisition[i]
                if was < 0 and not self.started:
                    continue  # links that exist at t = 0 start up (warm start)
                still_visible = was >= 0 and was in set(visible[g].satellites.tolist())
                cause = ("acquired" if was < 0 else "lost" if now < 0
                         else "reassigned" if still_visible else "set_below_mask")
                handovers.append(_row(t_s, self.layout.ground_names[g], sp, names[was] if was >= 0 else "",
                                      names[now] if now >= 0 else "", float(slew[i] + acquisition[i])
                                      if i is not None else 0.0, cause))
        self.ground_ready = dict(zip(keys.tolist(), ready.tolist()))
        return ready, slew, acquisition

    def _draw(self, spec, n: int) -> np.ndarray:
        return sample_durations(spec, n, self.rng)

    def _tier_mask(self) -> np.ndarray:
        """ISLs routing may use: both ends in routing.tiers (all tiers when not set)."""
        allowed_tiers = self.scenario.routing.tiers
        if allowed_tiers is None:
            return np.ones(len(self.isl), dtype=bool)
        allowed = np.array([tier.name in allowed_tiers for tier in self.scenario.constellation.tiers])
        in_tier = allowed[self.layout.tier_of]
        return in_tier[self.isl.node_a] & in_tier[self.isl.node_b]


def column_senders(scenario: Scenario, lay, destinations: np.ndarray) -> dict[int, np.ndarray]:
    """Per destination column, the flow endpoints that send toward it: both ends of every
    flow (replies and acknowledgements go back). Columns added later (workloads) have
    none and are searched in full."""
    column = {int(node): c for c, node in enumerate(destinations)}
    senders: dict[int, set[int]] = {}
    for flow in scenario.traffic:
        src, dst = lay.node_index(flow.src), lay.node_index(flow.dst)
        senders.setdefault(column[dst], set()).add(src)
        senders.setdefault(column[src], set()).add(dst)
    return {c: np.array(sorted(nodes), dtype=np.uint32) for c, nodes in senders.items()}


HANDOVER_COLUMNS = ("time_s", "node", "terminal", "old_peer", "new_peer", "outage_s", "cause")


def _row(t_s, node, terminal, old_peer, new_peer, outage_s, cause) -> dict:
    return dict(zip(HANDOVER_COLUMNS, (round(t_s, 9), node, terminal, old_peer, new_peer, outage_s, cause)))


def routable_ground_links(ground: GroundLinkSet, ready_s: np.ndarray, t_s: float,
                          blocked: np.ndarray | None = None) -> np.ndarray:
    """Ground links routes may use: those ready now (and not under clouds), and a
    station's other links when it has none such (its packets are then lost to the
    handover or the clouds, and counted so, rather than to a missing route)."""
    is_ready = ready_s <= t_s + 1e-12
    if blocked is not None:
        is_ready = is_ready & ~blocked
    has_ready = np.zeros(int(ground.station.max()) + 1 if len(ground) else 0, dtype=bool)
    has_ready[ground.station[is_ready]] = True
    return is_ready | ~has_ready[ground.station]


def station_limits(scenario: Scenario, lay) -> StationLimits:
    """Each station's mask, range and link count: its own keys, else ground_links'."""
    gl = scenario.ground_links
    stations = scenario.ground_stations
    mask = [g.elevation_mask_deg if g.elevation_mask_deg is not None else gl.elevation_mask_deg for g in stations]
    reach = [g.max_range_km if g.max_range_km is not None else gl.max_range_km for g in stations]
    return StationLimits(np.radians(np.array(mask, dtype=float)),
                         np.array([np.inf if r is None else r * 1e3 for r in reach], dtype=float),
                         np.array(lay.station_ports, dtype=np.int64))


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    cos = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def sample_durations(spec, n: int, rng: np.random.Generator) -> np.ndarray:
    """n durations (s) from a fixed value or a Distribution (negative draws clip to 0)."""
    if isinstance(spec, (int, float)):
        return np.full(n, float(spec))
    if spec.distribution == "uniform":
        return rng.uniform(spec.low, spec.high, n)
    if spec.distribution == "exponential":
        return rng.exponential(spec.mean, n)
    return np.maximum(rng.normal(spec.mean, spec.std, n), 0.0)


