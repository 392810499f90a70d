"""Which satellite each ground station links to: one visible satellite of the serving
tier with a free ground terminal, chosen by a policy, with hysteresis so links do not
flap.

Policies (cost, lower is better):
- nearest: slant range;
- longest_visibility: 1 / time the satellite stays above the mask (circular two-body
  look-ahead of the satellite, Earth rotation for the station);
- lowest_delay: slant range / c plus the mean path delay from the satellite to the
  satellites serving the other stations over the inter-satellite links.
A station leaves a still-visible satellite only for one whose cost is lower by the
factor (1 + switch_margin); a satellite that sets is always replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from netsim.space.geometry import elevation_rad
from netsim.space.sites import EARTH_ROTATION_RAD_S
from netsim.links.numbering import NO_SATELLITE, Layout

LOOK_AHEAD_S = 1800.0  # horizon of the visibility look-ahead
LOOK_AHEAD_STEP_S = 5.0


@dataclass(frozen=True)
class Candidates:
    """Visible satellites of one station: indices (global), slant ranges (m)."""

    satellites: np.ndarray
    range_m: np.ndarray


class GroundLinkAssigner:
    """Keeps each station's (satellite, port); ports stay stable on the same satellite."""

    def __init__(self, lay: Layout, elevation_mask_deg: float, policy: str = "nearest",
                 switch_margin: float = 0.0, satellite_field_of_regard_deg: float = 90.0):
        self.lay = lay
        self.mask_rad = np.radians(elevation_mask_deg)
        self.field_of_regard_rad = np.radians(satellite_field_of_regard_deg)
        self.policy = policy
        self.switch_margin = switch_margin
        self.candidates = np.flatnonzero(lay.serving)
        n_ground = len(lay.ground_names)
        self.satellite = np.full(n_ground, NO_SATELLITE)
        self.port = np.full(n_ground, NO_SATELLITE)

    def visible(self, ground_pos, ground_up, sat_pos) -> list[Candidates]:
        """Satellites above the mask per station, found with a k-d tree (never all pairs)."""
        cand_pos = sat_pos[self.candidates]
        if not len(cand_pos):
            return [Candidates(np.zeros(0, int), np.zeros(0)) for _ in ground_pos]
        orbit_radius = float(np.max(np.linalg.norm(cand_pos, axis=1)))
        ground_radius = np.linalg.norm(ground_pos, axis=1)
        # Slant range to the highest satellite at the mask elevation bounds the search.
        reach = np.sqrt(np.maximum(orbit_radius**2 - (ground_radius * np.cos(self.mask_rad)) ** 2, 0.0)) \
            - ground_radius * np.sin(self.mask_rad)
        nearby = cKDTree(cand_pos).query_ball_point(ground_pos, reach * 1.001 + 1.0)
        out = []
        for g, near in enumerate(nearby):
            near = np.asarray(sorted(near), dtype=np.int64)
            if len(near):
                elevation = elevation_rad(ground_pos[g:g + 1], ground_up[g:g + 1], cand_pos[near])[0]
                near = near[(elevation >= self.mask_rad) &
                            (off_nadir_rad(cand_pos[near], ground_pos[g]) <= self.field_of_regard_rad)]
            out.append(Candidates(self.candidates[near], np.linalg.norm(cand_pos[near] - ground_pos[g], axis=1)
                                  if len(near) else np.zeros(0)))
        return out

    def update(self, ground_pos, ground_up, sat_pos, costs: list[np.ndarray] | None = None,
               visible: list[Candidates] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """New (satellite, port) per station; NO_SATELLITE where none is visible.
        costs: per station, the policy's cost of each visible candidate (default: range)."""
        visible = visible if visible is not None else self.visible(ground_pos, ground_up, sat_pos)
        load: dict[int, int] = {}
        wanted: dict[int, int] = {}
        for g, cand in enumerate(visible):
            cost = costs[g] if costs is not None else cand.range_m
            order = np.lexsort((cand.satellites, cost))
            current = self.satellite[g]
            here = np.flatnonzero(cand.satellites == current)
            if len(here) and load.get(int(current), 0) < self.lay.ground_ports:
                best = order[0]
                # Hysteresis: stay unless the best is better by the switch margin.
                if not cost[best] * (1 + self.switch_margin) < cost[here[0]]:
                    wanted[g] = int(current)
                    load[int(current)] = load.get(int(current), 0) + 1
                    continue
            for c in order:
                sat = int(cand.satellites[c])
                if load.get(sat, 0) < self.lay.ground_ports:
                    wanted[g] = sat
                    load[sat] = load.get(sat, 0) + 1
                    break
        return self._ports(wanted)

    def _ports(self, wanted: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Stations that stay keep their port; the others take the lowest free one."""
        new_sat = np.full_like(self.satellite, NO_SATELLITE)
        new_port = np.full_like(self.port, NO_SATELLITE)
        taken: dict[int, set[int]] = {}
        for g, sat in wanted.items():
            if self.satellite[g] == sat:
                new_sat[g], new_port[g] = sat, self.port[g]
                taken.setdefault(sat, set()).add(int(self.port[g]))
        for g, sat in wanted.items():
            if new_sat[g] == NO_SATELLITE:
                first = self.lay.plan(sat).ground[0]
                free = next(p for p in range(first, first + self.lay.ground_ports)
                            if p not in taken.setdefault(sat, set()))
                taken[sat].add(free)
                new_sat[g], new_port[g] = sat, free
        self.satellite, self.port = new_sat, new_port
        return new_sat, new_port


def off_nadir_rad(sat_pos: np.ndarray, station_pos: np.ndarray) -> np.ndarray:
    """Angle at each satellite between nadir and the station, rad."""
    look = station_pos - sat_pos
    cos = -np.einsum("ij,ij->i", look, sat_pos) / (np.linalg.norm(look, axis=1) * np.linalg.norm(sat_pos, axis=1))
    return np.arccos(np.clip(cos, -1.0, 1.0))


def remaining_visibility_s(sat_pos, sat_vel, ground_pos, mask_rad: float) -> np.ndarray:
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
