"""The network's state over time, without packets: positions, which links are up,
ground links and next hops, one snapshot per routing update.

Both the packet-level runner (which pushes each snapshot into the C++ core) and
`netsim paths` (which only writes routing tables) step through the same generator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from netsim.config import Scenario
from netsim.geometry import line_of_sight
from netsim.ground import ground_sites
from netsim.linkbudget import LinkBudget
from netsim.orbits import constellation_orbits, earth_constants
from netsim.routing import SPEED_OF_LIGHT_MPS, link_weights, next_hop_ports
from netsim.topology import NO_SATELLITE, GroundLinkAssigner, Links, layout, plus_grid


@dataclass
class Snapshot:
    """State at one routing update t_s (positions in m, inertial frame)."""

    t_s: float
    pos_m: np.ndarray  # (nodes, 3)
    vel_mps: np.ndarray
    isl_up: np.ndarray  # bool per +Grid link
    ground_satellite: np.ndarray  # per ground station, NO_SATELLITE if none
    ground_port: np.ndarray
    links: Links  # every link that is up (ISLs then ground links)
    ports: np.ndarray  # (satellites, destinations) next-hop ports, NO_ROUTE if none


class NetworkStates:
    """Steps a scenario's network through time; call `at` with increasing times."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.orbits = constellation_orbits(scenario)
        self.sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
        self.layout = layout(scenario, self.orbits.names)
        self.isl = plus_grid(scenario, self.layout)
        self.budget = LinkBudget.from_config(scenario.laser) if scenario.laser.physics else None
        self.assigner = GroundLinkAssigner(self.layout, scenario.ground_links.elevation_mask_deg)
        self.n_satellites = self.layout.n_satellites
        self.destinations = np.arange(self.n_satellites, self.layout.n_nodes)
        self.allowed_isl = self._tier_mask()
        _, self.earth_radius_m = earth_constants()

    def positions(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        sat_pos, sat_vel = self.orbits.at(t_s)
        gs_pos, gs_vel = self.sites.at(t_s)
        return np.concatenate([sat_pos, gs_pos]), np.concatenate([sat_vel, gs_vel])

    def at(self, t_s: float, pos_vel: tuple[np.ndarray, np.ndarray] | None = None) -> Snapshot:
        pos, vel = pos_vel if pos_vel is not None else self.positions(t_s)
        isl = self.isl
        # Up while the line of sight clears the atmosphere and the budget leaves margin.
        up = line_of_sight(pos[isl.node_a], pos[isl.node_b], self.earth_radius_m,
                           self.scenario.constellation.grazing_altitude_km * 1e3)
        if self.budget is not None:
            up &= self.budget.usable(np.linalg.norm(pos[isl.node_b] - pos[isl.node_a], axis=-1))
        n_sat = self.n_satellites
        sat, port = self.assigner.update(pos[n_sat:], self.sites.up_at(t_s), pos[:n_sat])
        ground = np.flatnonzero(sat != NO_SATELLITE)
        links = Links.concatenate([isl.select(up & self.allowed_isl),
                                   Links(ground + n_sat, np.zeros(len(ground)), sat[ground], port[ground])])
        ports = next_hop_ports(links, link_weights(links, pos, self.scenario.routing.metric),
                               self.layout.n_nodes, self.destinations, n_sat)
        return Snapshot(t_s, pos, vel, up, sat.copy(), port.copy(), links, ports)

    def _tier_mask(self) -> np.ndarray:
        """ISLs routing may use: both ends in routing.tiers (all tiers when not set)."""
        allowed_tiers = self.scenario.routing.tiers
        if allowed_tiers is None:
            return np.ones(len(self.isl), dtype=bool)
        in_tier = np.concatenate([np.full(shell.total, tier in allowed_tiers)
                                  for tier, shell in self.scenario.shells])
        return in_tier[self.isl.node_a] & in_tier[self.isl.node_b]


def follow_path(snapshot: Snapshot, n_satellites: int, src: int, dst_index: int) -> list[int] | None:
    """Nodes from ground station node src to destination column dst_index by the
    next-hop table, or None if unreachable (or a transient loop)."""
    peer = port_peers(snapshot, n_satellites)
    dst = n_satellites + dst_index
    g = src - n_satellites
    first = snapshot.ground_satellite[g]
    if first == NO_SATELLITE:
        return None
    path, node = [src, int(first)], int(first)
    while node < n_satellites and len(path) <= n_satellites + 1:
        port = snapshot.ports[node, dst_index]
        nxt = peer.get((node, int(port)))
        if nxt is None:
            return None
        path.append(nxt)
        node = nxt
    return path if node == dst else None


def port_peers(snapshot: Snapshot, n_satellites: int) -> dict[tuple[int, int], int]:
    """(node, port) -> node at the other end, for links that are up (cached)."""
    cached = getattr(snapshot, "_peers", None)
    if cached is None:
        links = snapshot.links
        cached = {}
        for a, pa, b, pb in zip(links.node_a.tolist(), links.port_a.tolist(),
                                links.node_b.tolist(), links.port_b.tolist()):
            cached[(a, pa)] = b
            cached[(b, pb)] = a
        snapshot._peers = cached
    return cached


def path_delay_s(snapshot: Snapshot, path: list[int]) -> float:
    a = np.asarray(path[:-1])
    b = np.asarray(path[1:])
    return float(np.sum(np.linalg.norm(snapshot.pos_m[b] - snapshot.pos_m[a], axis=-1)) / SPEED_OF_LIGHT_MPS)
