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

from netsim.scenario.model import Scenario

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
class Layout:
    """Node numbering of a scenario: satellites first (shells in file order), then
    ground stations; and each node's port count."""

    satellite_names: tuple[str, ...]
    ground_names: tuple[str, ...]
    serving: np.ndarray  # bool per satellite: may link to the ground
    ground_ports: int  # ground terminals per serving satellite
    shell_offsets: tuple[int, ...]
    tier_of: np.ndarray  # tier index per satellite
    plans: tuple[PortPlan, ...]  # per tier

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
        return self.plans[self.tier_of[node]].total

    def plan(self, node: int) -> PortPlan:
        return self.plans[self.tier_of[node]]


def layout(scenario: Scenario, satellite_names: tuple[str, ...]) -> Layout:
    tiers = scenario.constellation.tiers
    tier_index = {tier.name: i for i, tier in enumerate(tiers)}
    serving, offsets, tier_of, start = [], [], [], 0
    for tier, shell in scenario.shells:
        offsets.append(start)
        serving.append(np.full(shell.total, tier == scenario.serving_tier))
        tier_of.append(np.full(shell.total, tier_index[tier]))
        start += shell.total
    count = scenario.ground_links.terminals_per_satellite
    plans = tuple(PortPlan.of(tier, tier.name == scenario.serving_tier, count) for tier in tiers)
    return Layout(satellite_names, tuple(g.name for g in scenario.ground_stations),
                  np.concatenate(serving), count, tuple(offsets), np.concatenate(tier_of), plans)


