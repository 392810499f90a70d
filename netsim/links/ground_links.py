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
        # Slant range to the highest satellite at the station's mask elevation bounds the search.
        reach = np.sqrt(np.maximum(orbit_radius**2 - (ground_radius * np.cos(mask)) ** 2, 0.0)) \
            - ground_radius * np.sin(mask)
        reach = np.minimum(reach * 1.001 + 1.0, self.limits.max_range_m)
        nearby = cKDTree(cand_pos).query_ball_point(ground_pos, reach)
        out = []
        for g, near in enumerate(nearby):
            near = np.asarray(sorted(near), dtype=np.int64)
            if len(near):
                elevation = elevation_rad(ground_pos[g:g + 1], ground_up[g:g + 1], cand_pos[near])[0]
                slant = np.linalg.norm(cand_pos[near] - ground_pos[g], axis=1)
                near = near[(elevation >= mask[g]) & (slant <= self.limits.max_range_m[g]) &
                            (off_nadir_rad(cand_pos[near], ground_pos[g]) <= self.field_of_regard_rad)]
            out.append(Candidates(self.candidates[near], np.linalg.norm(cand_pos[near] - ground_pos[g], axis=1)
                                  if len(near) else np.zeros(0)))
        return out

    # ------------------------------------------------------------------ choice

    def update(self, visible: list[Candidates], costs: list[np.ndarray] | None = None) -> GroundLinkSet:
        """The new ground links. costs: per station, the policy's cost of each visible
        candidate (default: slant range); any_visible ignores costs."""
        old = self.current
        load: dict[int, int] = {}
        chosen: list[tuple[int, int, int]] = []  # (station, station port, satellite)
        for g, cand in enumerate(visible):
            previous = dict(zip(old.satellite[old.station == g].tolist(), old.station_port[old.station == g].tolist()))
            if self.mode == "any_visible":
                picks = self._all_in_view(cand, int(self.limits.links[g]), load)
            else:
                cost = costs[g] if costs is not None else cand.range_m
                picks = self._best_terminals(cand, cost, int(self.limits.links[g]), previous, load)
            chosen += _station_ports(g, picks, previous)
        self.current = self._satellite_ports(chosen)
        return self.current

    def _all_in_view(self, cand: Candidates, most: int, load: dict[int, int]) -> list[int]:
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
        order, then swaps of the worst kept for a free satellite better by the margin."""
        order = np.lexsort((cand.satellites, cost))
        cost_of = {int(cand.satellites[c]): float(cost[c]) for c in order}
        free = lambda sat: load.get(sat, 0) < self.lay.ground_ports  # noqa: E731
        kept = [sat for sat in previous if sat in cost_of and free(sat)][:terminals]
        for sat in kept:
            load[sat] = load.get(sat, 0) + 1
        others = [int(cand.satellites[c]) for c in order if int(cand.satellites[c]) not in kept]
        while len(kept) < terminals and others:
            sat = others.pop(0)
            if free(sat):
                kept.append(sat)
                load[sat] = load.get(sat, 0) + 1
        others = [sat for sat in others if free(sat)]
        while others and kept:
            worst = max(kept, key=lambda s: (cost_of[s], s))
            best = others[0]
            if not cost_of[best] * (1 + self.switch_margin) < cost_of[worst]:
                break
            others.pop(0)
            kept[kept.index(worst)] = best  # the same terminal re-points
            load[worst] -= 1
            load[best] = load.get(best, 0) + 1
            previous.setdefault(best, previous.pop(worst, None))
        return kept

    def _satellite_ports(self, chosen: list[tuple[int, int, int]]) -> GroundLinkSet:
        """Satellite ports: a link that stays keeps its port, the others take the lowest free."""
        old = self.current
        old_port = dict(zip(zip(old.station.tolist(), old.satellite.tolist()), old.satellite_port.tolist()))
        taken: dict[int, set[int]] = {}
        ports = [None] * len(chosen)
        for i, (g, _, sat) in enumerate(chosen):
            if (g, sat) in old_port:
                ports[i] = old_port[(g, sat)]
                taken.setdefault(sat, set()).add(ports[i])
        for i, (g, _, sat) in enumerate(chosen):
            if ports[i] is None:
                first = self.lay.plan(sat).ground[0]
                ports[i] = next(p for p in range(first, first + self.lay.ground_ports)
                                if p not in taken.setdefault(sat, set()))
                taken[sat].add(ports[i])
        rows = sorted((g, sp, sat, port) for (g, sp, sat), port in zip(chosen, ports))
        if not rows:
            return GroundLinkSet.empty()
        return GroundLinkSet(*(np.array(col, dtype=np.int64) for col in zip(*rows)))


def _station_ports(g: int, picks: list[int], previous: dict[int, int | None]) -> list[tuple[int, int, int]]:
    """Station ports of the picked satellites: a satellite kept (or replacing one on the
    same terminal) keeps its port; the others take the lowest free ports."""
    used = {previous[s] for s in picks if previous.get(s) is not None}
    free = (p for p in range(len(picks) + len(used) + 1) if p not in used)
    return [(g, previous[s] if previous.get(s) is not None else next(free), s) for s in picks]


def off_nadir_rad(sat_pos: np.ndarray, station_pos: np.ndarray) -> np.ndarray:
    """Angle at each satellite between nadir and the station, rad."""
    look = station_pos - sat_pos
    cos = -np.einsum("ij,ij->i", look, sat_pos) / (np.linalg.norm(look, axis=1) * np.linalg.norm(sat_pos, axis=1))
    return np.arccos(np.clip(cos, -1.0, 1.0))


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
