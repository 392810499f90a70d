"""Which laser terminal points at which peer: +Grid links inside each shell and
ground-station links to the nearest visible satellite of the serving tier.

Port numbering (the C++ core addresses terminals by node and port):
satellite ports 0/1 are the in-plane fore/aft terminals, 2/3 the cross-plane terminals
toward the next/previous plane, 4.. the ground terminals; a ground station has port 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from netsim.config import Scenario
from netsim.geometry import elevation_rad

FORE, AFT, NEXT_PLANE, PREVIOUS_PLANE, FIRST_GROUND_PORT = 0, 1, 2, 3, 4
NO_SATELLITE = -1


@dataclass(frozen=True)
class Links:
    """Bidirectional links as parallel arrays: (node_a, port_a) <-> (node_b, port_b)."""

    node_a: np.ndarray
    port_a: np.ndarray
    node_b: np.ndarray
    port_b: np.ndarray

    def __len__(self) -> int:
        return len(self.node_a)

    def select(self, mask: np.ndarray) -> "Links":
        return Links(self.node_a[mask], self.port_a[mask], self.node_b[mask], self.port_b[mask])

    @staticmethod
    def concatenate(parts: list["Links"]) -> "Links":
        if not parts:
            empty = np.zeros(0, dtype=np.uint32)
            return Links(empty, empty, empty, empty)
        return Links(*(np.concatenate([getattr(p, f) for p in parts]).astype(np.uint32)
                       for f in ("node_a", "port_a", "node_b", "port_b")))


@dataclass(frozen=True)
class Layout:
    """Node numbering of a scenario: satellites first (shells in file order), then
    ground stations; and each node's port count."""

    satellite_names: tuple[str, ...]
    ground_names: tuple[str, ...]
    serving: np.ndarray  # bool per satellite: may link to the ground
    ground_ports: int  # ground terminals per serving satellite
    shell_offsets: tuple[int, ...]

    @property
    def n_satellites(self) -> int:
        return len(self.satellite_names)

    @property
    def n_nodes(self) -> int:
        return self.n_satellites + len(self.ground_names)

    def node_index(self, name: str) -> int:
        if name in self.ground_names:
            return self.n_satellites + self.ground_names.index(name)
        return self.satellite_names.index(name)

    def ports(self, node: int) -> int:
        if node >= self.n_satellites:
            return 1
        return FIRST_GROUND_PORT + (self.ground_ports if self.serving[node] else 0)


def layout(scenario: Scenario, satellite_names: tuple[str, ...]) -> Layout:
    serving, offsets, start = [], [], 0
    for tier, shell in scenario.shells:
        offsets.append(start)
        serving.append(np.full(shell.total, tier == scenario.serving_tier))
        start += shell.total
    return Layout(satellite_names, tuple(g.name for g in scenario.ground_stations),
                  np.concatenate(serving), scenario.ground_links.terminals_per_satellite, tuple(offsets))


def plus_grid(scenario: Scenario, lay: Layout) -> Links:
    """+Grid: each satellite links to its fore/aft neighbours in the plane and to the
    satellite with the same index in the adjacent planes. Across the seam of a Walker
    delta shell, plane P-1 meets plane 0 shifted by the phasing factor F."""
    parts = []
    for (_, shell), base in zip(scenario.shells, lay.shell_offsets):
        planes, per_plane, phasing = shell.planes, shell.sats_per_plane, shell.phasing
        p, k = np.divmod(np.arange(shell.total), per_plane)
        index = base + p * per_plane + k
        if per_plane >= 2:
            ring = k < per_plane if per_plane >= 3 else k == 0  # two in a plane: one link
            fore = base + p * per_plane + (k + 1) % per_plane
            parts.append(_links(index[ring], FORE, fore[ring], AFT))
        inner = p < planes - 1
        parts.append(_links(index[inner], NEXT_PLANE, index[inner] + per_plane, PREVIOUS_PLANE))
        if shell.pattern == "delta" and planes >= 3:
            seam = p == planes - 1
            partner = base + (k[seam] + phasing) % per_plane
            parts.append(_links(index[seam], NEXT_PLANE, partner, PREVIOUS_PLANE))
    return Links.concatenate(parts)


def _links(a: np.ndarray, port_a: int, b: np.ndarray, port_b: int) -> Links:
    return Links(a, np.full(len(a), port_a), b, np.full(len(a), port_b))


class GroundLinkAssigner:
    """Keeps each ground station linked to the nearest visible satellite of the serving
    tier that has a free ground terminal, and a station's terminal port stable while it
    stays on the same satellite."""

    def __init__(self, lay: Layout, elevation_mask_deg: float):
        self.lay = lay
        self.mask_rad = np.radians(elevation_mask_deg)
        self.candidates = np.flatnonzero(lay.serving)
        n_ground = len(lay.ground_names)
        self.satellite = np.full(n_ground, NO_SATELLITE)
        self.port = np.full(n_ground, NO_SATELLITE)

    def update(self, ground_pos, ground_up, sat_pos) -> tuple[np.ndarray, np.ndarray]:
        """New (satellite, port) per ground station; NO_SATELLITE where none is visible."""
        cand_pos = sat_pos[self.candidates]
        # Only satellites within the slant range at the mask can be visible: a k-d tree
        # finds them without testing every station against every satellite.
        orbit_radius = float(np.max(np.linalg.norm(cand_pos, axis=1))) if len(cand_pos) else 0.0
        ground_radius = np.linalg.norm(ground_pos, axis=1)
        reach = np.sqrt(np.maximum(orbit_radius**2 - (ground_radius * np.cos(self.mask_rad)) ** 2, 0.0)) \
            - ground_radius * np.sin(self.mask_rad)
        nearby = cKDTree(cand_pos).query_ball_point(ground_pos, reach * 1.001 + 1.0) if len(cand_pos) else []
        used: dict[int, set[int]] = {}
        new_sat = np.full_like(self.satellite, NO_SATELLITE)
        new_port = np.full_like(self.port, NO_SATELLITE)
        wanted = {}
        for g, near in enumerate(nearby):
            near = np.asarray(sorted(near), dtype=np.int64)
            if not len(near):
                continue
            elevation = elevation_rad(ground_pos[g:g + 1], ground_up[g:g + 1], cand_pos[near])[0]
            distance = np.linalg.norm(cand_pos[near] - ground_pos[g], axis=1)
            visible = elevation >= self.mask_rad
            for c in near[visible][np.argsort(distance[visible], kind="stable")]:
                sat = int(self.candidates[c])
                if len(used.setdefault(sat, set())) < self.lay.ground_ports:
                    used[sat].add(g)
                    wanted[g] = sat
                    break
        # Stations that stay keep their port; the others take the lowest free one.
        taken: dict[int, set[int]] = {}
        for g, sat in wanted.items():
            if self.satellite[g] == sat:
                new_sat[g], new_port[g] = sat, self.port[g]
                taken.setdefault(sat, set()).add(int(self.port[g]))
        for g, sat in wanted.items():
            if new_sat[g] == NO_SATELLITE:
                free = next(p for p in range(FIRST_GROUND_PORT, FIRST_GROUND_PORT + self.lay.ground_ports)
                            if p not in taken.setdefault(sat, set()))
                taken[sat].add(free)
                new_sat[g], new_port[g] = sat, free
        self.satellite, self.port = new_sat, new_port
        return new_sat, new_port
