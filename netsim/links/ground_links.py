"""Ground links: which satellites each ground station links to, at each routing update.

Two modes (docs/ground-segment.md):
- assigned: a station has `terminals` laser terminals, each linked to one visible
  satellite of the serving tier with a free ground terminal, chosen by a policy with
  hysteresis; a terminal that re-points slews and acquires before it carries packets
  (handovers, netsim.run.network_state).
- any_visible: a station links to every satellite within its limits at once (up to
  `max_links`, nearest first), free of terminals and acquisition, as RF phased arrays
  and other simulators assume.
In both, routing picks per destination which of a station's links a packet takes
(the station's row of the forwarding table) and which link it arrives by.

Limits per station (its own keys override the ground_links ones): elevation mask,
maximum slant range, and the field of regard of the satellite's nadir terminals.

Policies of the assigned mode (cost, lower is better):
- nearest: slant range;
- longest_visibility: 1 / time the satellite stays above the mask (circular two-body
  look-ahead of the satellite, Earth rotation for the station);
- lowest_delay: slant delay plus the mean path delay from the satellite to where the
  station's traffic goes (its traffic peers; all other stations if it has none).
A terminal leaves a still-visible satellite only for a free one whose cost is lower by
the factor (1 + switch_margin); a satellite that sets is always replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from netsim.links.numbering import Layout, Links
from netsim.space.geometry import elevation_rad
from netsim.space.sites import EARTH_ROTATION_RAD_S

LOOK_AHEAD_S = 1800.0  # horizon of the visibility look-ahead
LOOK_AHEAD_STEP_S = 5.0


@dataclass(frozen=True)
class Candidates:
    """Satellites one station may link to now: indices (global), slant ranges (m)."""

    satellites: np.ndarray
    range_m: np.ndarray


@dataclass(frozen=True)
class StationLimits:
    """Per-station limits, arrays over stations (a station's own keys already applied)."""

    mask_rad: np.ndarray
    max_range_m: np.ndarray  # inf: no range limit
    links: np.ndarray  # assigned: terminals; any_visible: most links at once


@dataclass(frozen=True)
class GroundLinkSet:
    """The ground links at one update, sorted by (station, station port): station g's
    station port is its terminal (assigned) or link slot (any_visible)."""

    station: np.ndarray  # ground-station index (not node index)
    station_port: np.ndarray
    satellite: np.ndarray  # node index
    satellite_port: np.ndarray

    def __len__(self) -> int:
        return len(self.station)

    def links(self, n_satellites: int, rows: np.ndarray | slice = slice(None)) -> Links:
        return Links(self.station[rows] + n_satellites, self.station_port[rows], self.satellite[rows],
                     self.satellite_port[rows])

    def keys(self) -> np.ndarray:
        """One int64 per link: (station, station port, satellite, satellite port)."""
        return ((self.station.astype(np.int64) * 256 + self.station_port) * (1 << 32)
                + self.satellite.astype(np.int64)) * 256 + self.satellite_port

    def of_station(self, g: int) -> np.ndarray:
        return self.satellite[self.station == g]

    @staticmethod
    def empty() -> "GroundLinkSet":
        z = np.zeros(0, dtype=np.int64)
        return GroundLinkSet(z, z, z, z)


class GroundLinkAssigner:
    """Keeps each station's links from update to update; a link that stays keeps its
    ports at both ends, a new link takes the lowest free port at each end."""

    def __init__(self, lay: Layout, limits: StationLimits, mode: str = "assigned", policy: str = "nearest",
                 switch_margin: float = 0.0, satellite_field_of_regard_deg: float = 90.0):
        self.lay = lay
        self.limits = limits
        self.mode = mode
        self.policy = policy
        self.switch_margin = switch_margin
        self.field_of_regard_rad = np.radians(satellite_field_of_regard_deg)
        self.candidates = np.flatnonzero(lay.serving)
        self.current = GroundLinkSet.empty()

    # ------------------------------------------------------------------ visibility

    def visible(self, ground_pos, ground_up, sat_pos) -> list[Candidates]:
        """Satellites within each station's limits (mask, range, the satellite's field
        of regard), found with a k-d tree (never all pairs), in satellite order."""
        cand_pos = sat_pos[self.candidates]
        if not len(cand_pos):
            return [Candidates(np.zeros(0, int), np.zeros(0)) for _ in ground_pos]
        orbit_radius = float(np.max(np.linalg.norm(cand_pos, axis=1)))
        ground_radius = np.linalg.norm(ground_pos, axis=1)
        mask = self.limits.mask_rad
        # Slant range to the highest satellite at the station's mask elevation bounds the
        # search; the mask is lowered by 0.5 deg because that formula takes the local
        # vertical as radial, while the WGS-84 normal leans up to 0.19 deg from it.
        low = np.maximum(mask - np.radians(0.5), 0.0)
        reach = np.sqrt(np.maximum(orbit_radius**2 - (ground_radius * np.cos(low)) ** 2, 0.0)) \
            - ground_radius * np.sin(low)
        reach = np.minimum(reach * 1.001 + 1.0, self.limits.max_range_m)
        # An unbalanced tree with large leaves builds ~3x faster over 800 k satellites
        # (the build is most of this query); the ball search finds the same points.
        tree = cKDTree(cand_pos, leafsize=64, balanced_tree=False, compact_nodes=False)
        nearby = tree.query_ball_point(ground_pos, reach)
        # All (station, candidate) pairs at once, stations in order, candidates sorted.
        counts = np.fromiter((len(n) for n in nearby), dtype=np.int64, count=len(nearby))
        station = np.repeat(np.arange(len(nearby)), counts)
        near = np.concatenate([np.sort(np.asarray(n, dtype=np.int64)) for n in nearby] + [np.zeros(0, np.int64)])
        look = cand_pos[near] - ground_pos[station]
        slant = np.linalg.norm(look, axis=1)
        sin_elevation = np.einsum("ij,ij->i", look, ground_up[station]) / np.maximum(slant, 1e-9)
        sat_radius = np.linalg.norm(cand_pos[near], axis=1)
        # Off-nadir angle at the satellite: between -r_sat (nadir) and station - r_sat (= -look).
        cos_off_nadir = np.einsum("ij,ij->i", look, cand_pos[near]) / np.maximum(slant * sat_radius, 1e-9)
        keep = ((sin_elevation >= np.sin(mask[station])) & (slant <= self.limits.max_range_m[station])
                & (cos_off_nadir >= np.cos(self.field_of_regard_rad)))
        station, near, slant = station[keep], near[keep], slant[keep]
        bounds = np.searchsorted(station, np.arange(len(nearby) + 1))
        return [Candidates(self.candidates[near[a:b]], slant[a:b]) for a, b in zip(bounds, bounds[1:])]

    # ------------------------------------------------------------------ choice

    def update(self, visible: list[Candidates], costs: list[np.ndarray] | None = None) -> GroundLinkSet:
        """The new ground links. costs: per station, the policy's cost of each visible
        candidate (default: slant range); any_visible ignores costs."""
        if self.mode == "any_visible" and self.lay.ground_ports >= len(visible):
            station, satellite, preset = self._all_in_view(visible)
        else:
            station, satellite, preset = self._one_by_one(visible, costs)
        # Ports: a link that stays keeps them; new links take the lowest free, in order.
        station_port = lowest_free(station, preset, int(self.limits.links.max(initial=1)))
        old = self.current
        old_port = dict(zip(zip(old.station.tolist(), old.satellite.tolist()), old.satellite_port.tolist()))
        first = self.lay.plan(int(satellite[0])).ground[0] if len(satellite) else 0
        kept = np.array([old_port.get(k, first - 1) for k in zip(station.tolist(), satellite.tolist())],
                        dtype=np.int64) - first
        satellite_port = lowest_free(satellite, kept, self.lay.ground_ports) + first
        order = np.lexsort((station_port, station))
        self.current = GroundLinkSet(station[order], station_port[order], satellite[order], satellite_port[order])
        return self.current

    def _all_in_view(self, visible: list[Candidates]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """any_visible when no satellite can run out of ground ports: each station's
        nearest max_links candidates, all stations at once. Returns (station, satellite,
        the station port a staying link keeps or -1), stations in order, nearest first."""
        station = np.repeat(np.arange(len(visible)), [len(c.satellites) for c in visible])
        satellite = np.concatenate([c.satellites for c in visible] + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        slant = np.concatenate([c.range_m for c in visible] + [np.zeros(0)])
        order = np.lexsort((satellite, slant, station))
        station, satellite = station[order], satellite[order]
        rank = np.arange(len(station)) - np.searchsorted(station, station)
        keep = rank < self.limits.links[station]
        station, satellite = station[keep], satellite[keep]
        return station, satellite, self._kept_station_ports(station, satellite)

    def _kept_station_ports(self, station: np.ndarray, satellite: np.ndarray) -> np.ndarray:
        """The station port each (station, satellite) link had at the last update, -1 if new."""
        old = self.current
        n = self.lay.n_nodes
        old_keys = old.station * n + old.satellite
        order = np.argsort(old_keys)
        keys = station * n + satellite
        at = np.minimum(np.searchsorted(old_keys[order], keys), max(len(old_keys) - 1, 0))
        if not len(old_keys):
            return np.full(len(keys), -1, dtype=np.int64)
        found = old_keys[order][at] == keys
        return np.where(found, old.station_port[order][at], -1)

    def _one_by_one(self, visible: list[Candidates], costs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Station by station, in order, under the satellites' ground-port limit: the
        assigned mode's policy with hysteresis, or any_visible's nearest first."""
        old = self.current
        load: dict[int, int] = {}
        rows: list[tuple[int, int, int]] = []
        for g, cand in enumerate(visible):
            mine = old.station == g
            previous = dict(zip(old.satellite[mine].tolist(), old.station_port[mine].tolist()))
            if self.mode == "any_visible":
                picks = self._nearest_with_ports(cand, int(self.limits.links[g]), load)
            else:
                cost = costs[g] if costs is not None else cand.range_m
                picks = self._best_terminals(cand, cost, int(self.limits.links[g]), previous, load)
            rows += [(g, sat, p if p is not None else -1) for sat in picks for p in [previous.get(sat)]]
        if not rows:
            return (np.zeros(0, dtype=np.int64),) * 3
        return tuple(np.array(col, dtype=np.int64) for col in zip(*rows))

    def _nearest_with_ports(self, cand: Candidates, most: int, load: dict[int, int]) -> list[int]:
        picks = []
        for c in np.lexsort((cand.satellites, cand.range_m)):
            sat = int(cand.satellites[c])
            if len(picks) == most:
                break
            if load.get(sat, 0) < self.lay.ground_ports:
                picks.append(sat)
                load[sat] = load.get(sat, 0) + 1
        return picks

    def _best_terminals(self, cand: Candidates, cost: np.ndarray, terminals: int, previous: dict[int, int],
                        load: dict[int, int]) -> list[int]:
        """Up to `terminals` satellites: those kept from the last update, new ones in cost
        order, then swaps of the worst kept for a free satellite better by the margin (the
        terminal re-points: the new satellite takes over the old one's station port)."""
        # A station sees thousands of satellites of a large fabric but takes a few: walk
        # the candidates in cost order only as far as needed.
        order = np.lexsort((cand.satellites, cost))
        in_order = zip(cand.satellites[order].tolist(), cost[order].tolist())
        cost_of = {}
        for sat in previous:
            at = np.flatnonzero(cand.satellites == sat)
            if len(at):
                cost_of[sat] = float(cost[at[0]])
        free = lambda sat: load.get(sat, 0) < self.lay.ground_ports  # noqa: E731
        kept = [sat for sat in previous if sat in cost_of and free(sat)][:terminals]
        for sat in kept:
            load[sat] = load.get(sat, 0) + 1
        held = set(kept)
        others = ((sat, c) for sat, c in in_order if sat not in held)  # the rest, in cost order
        while len(kept) < terminals:
            sat, c = next(others, (None, None))
            if sat is None:
                break
            if free(sat):
                kept.append(sat)
                cost_of[sat] = c
                load[sat] = load.get(sat, 0) + 1
        for best, c in others:
            if not kept:
                break
            if not free(best):
                continue
            worst = max(kept, key=lambda s: (cost_of[s], s))
            if not c * (1 + self.switch_margin) < cost_of[worst]:
                break
            kept[kept.index(worst)] = best
            cost_of[best] = c
            load[worst] -= 1
            load[best] = load.get(best, 0) + 1
            previous[best] = previous.pop(worst, None)
        return kept


def lowest_free(group: np.ndarray, preset: np.ndarray, size: int) -> np.ndarray:
    """Port of each link within its group (a station's or a satellite's ports 0..size-1):
    preset where >= 0, else the lowest ports no preset link holds, handed out in the
    links' order."""
    out = preset.copy()
    need = np.flatnonzero(preset < 0)
    if not len(need):
        return out
    ids, inverse = np.unique(group, return_inverse=True)
    used = np.zeros((len(ids), size), dtype=bool)
    held = preset >= 0
    used[inverse[held], preset[held]] = True
    free = np.argsort(used, axis=1, kind="stable")  # per group: free ports first, ascending
    wanting = inverse[need]
    by_group = np.argsort(wanting, kind="stable")
    rank = np.empty(len(need), dtype=np.int64)
    rank[by_group] = np.arange(len(need)) - np.searchsorted(wanting[by_group], wanting[by_group])
    out[need] = free[wanting, rank]
    return out


def remaining_visibility_s(sat_pos, sat_vel, ground_pos, mask_rad) -> np.ndarray:
    """Seconds each satellite (rows) stays above the mask of its station (rows), up to
    LOOK_AHEAD_S. Circular two-body motion: r(t) = r cos(nt) + v/n sin(nt)."""
    r = np.linalg.norm(sat_pos, axis=1, keepdims=True)
    n = np.linalg.norm(sat_vel, axis=1, keepdims=True) / r
    times = np.arange(LOOK_AHEAD_STEP_S, LOOK_AHEAD_S + 1e-9, LOOK_AHEAD_STEP_S)
    remaining = np.full(len(sat_pos), LOOK_AHEAD_S)
    alive = np.ones(len(sat_pos), dtype=bool)
    for t in times:
        future = sat_pos * np.cos(n * t) + sat_vel / n * np.sin(n * t)
        theta = EARTH_ROTATION_RAD_S * t
        c, s = np.cos(theta), np.sin(theta)
        station = np.stack([c * ground_pos[:, 0] - s * ground_pos[:, 1],
                            s * ground_pos[:, 0] + c * ground_pos[:, 1], ground_pos[:, 2]], axis=1)
        up = station / np.linalg.norm(station, axis=1, keepdims=True)
        look = future - station
        sin_el = np.einsum("ij,ij->i", look, up) / np.linalg.norm(look, axis=1)
        setting = alive & (sin_el < np.sin(mask_rad))
        remaining[setting] = t
        alive &= ~setting
        if not alive.any():
            break
    return remaining
