"""Node and port numbering, and links as arrays of (node, port) pairs (+Grid:
netsim.links.plus_grid; ground links: netsim.links.ground_links).

Port numbering (the C++ core addresses terminals by node and port): a satellite's ports
are its tier's terminal groups in order — isl, up (zenith), down (nadir), then ground
terminals on the serving tier. With the +Grid policy the isl ports 0/1 are the in-plane
fore/aft terminals and 2/3 those toward the next/previous plane. A ground station has
port 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.scenario.model import MAX_PORTS, Scenario
from netsim.space.orbits import tle_set

FORE, AFT, NEXT_PLANE, PREVIOUS_PLANE = 0, 1, 2, 3
NO_SATELLITE = -1


@dataclass(frozen=True)
class PortPlan:
    """First port and count of each terminal group on the satellites of one tier."""

    isl: tuple[int, int]
    up: tuple[int, int]
    down: tuple[int, int]
    ground: tuple[int, int]

    @property
    def total(self) -> int:
        return self.ground[0] + self.ground[1]

    @staticmethod
    def of(tier, serving: bool, ground_count: int) -> "PortPlan":
        t = tier.terminals
        first = 0
        groups = []
        for count in (t.isl.count, t.up.count, t.down.count, ground_count if serving else 0):
            groups.append((first, count))
            first += count
        return PortPlan(*groups)


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
class Block:
    """Satellites numbered together: one Walker shell or one TLE set of a tier."""

    tier: int  # tier index
    name: str
    start: int  # first node index
    count: int
    grid: tuple[int, int] | None  # (planes, satellites per plane) in node order, for +Grid
    phasing: int  # Walker F: where plane P-1 meets plane 0 (0 for TLE sets)
    seam: bool  # +Grid links close the ring of planes (Walker delta, TLE sets; >= 3 planes)
    walker: bool


@dataclass(frozen=True)
class Layout:
    """Node numbering of a scenario: satellites first (per tier its Walker shells, then
    its TLE sets), then ground stations; and each node's port count."""

    satellite_names: tuple[str, ...]
    ground_names: tuple[str, ...]
    serving: np.ndarray  # bool per satellite: may link to the ground
    ground_ports: int  # ground terminals (ports) per serving satellite
    blocks: tuple[Block, ...]
    tier_of: np.ndarray  # tier index per satellite
    plans: tuple[PortPlan, ...]  # per tier
    station_ports: tuple[int, ...]  # per ground station: its terminals or link slots

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
            return self.station_ports[node - self.n_satellites]
        return self.plans[self.tier_of[node]].total

    def plan(self, node: int) -> PortPlan:
        return self.plans[self.tier_of[node]]


def layout(scenario: Scenario, satellite_names: tuple[str, ...]) -> Layout:
    tiers = scenario.constellation.tiers
    blocks, start = [], 0
    for ti, tier in enumerate(tiers):
        for shell in tier.shells:
            blocks.append(Block(ti, shell.name, start, shell.total, (shell.planes, shell.sats_per_plane),
                                shell.phasing, shell.pattern == "delta" and shell.planes >= 3, True))
            start += shell.total
        for si, source in enumerate(tier.tle):
            found = tle_set(source, f"constellation.tiers[{ti}].tle[{si}]", scenario.name)
            blocks.append(Block(ti, source.name, start, len(found.records), found.grid, 0,
                                found.grid is not None and found.grid[0] >= 3, False))
            start += len(found.records)
    tier_of = np.concatenate([np.full(b.count, b.tier) for b in blocks]) if blocks else np.zeros(0, dtype=int)
    serving_index = next(i for i, tier in enumerate(tiers) if tier.name == scenario.serving_tier)
    gl = scenario.ground_links
    n_stations = len(scenario.ground_stations)
    if gl.mode == "any_visible":
        # Free of terminals: a satellite can serve every station (as far as its ports go).
        others = PortPlan.of(tiers[serving_index], False, 0).total
        ground_ports = max(1, min(n_stations, MAX_PORTS - others))
        station_ports = tuple(gl.max_links for _ in scenario.ground_stations)
    else:
        ground_ports = gl.terminals_per_satellite
        station_ports = tuple(g.terminals or gl.terminals for g in scenario.ground_stations)
    plans = tuple(PortPlan.of(tier, i == serving_index, ground_ports) for i, tier in enumerate(tiers))
    return Layout(satellite_names, tuple(g.name for g in scenario.ground_stations), tier_of == serving_index,
                  ground_ports, tuple(blocks), tier_of, plans, station_ports)
