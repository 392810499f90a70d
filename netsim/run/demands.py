"""The background traffic matrix of a scenario as arrays of node indices and rates:
each `background.matrix` part drawn by its generator, deterministically from the
scenario seed (docs/workloads.md, "Background load")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.scenario.background import read_demand_file
from netsim.scenario.model import Scenario


@dataclass(frozen=True)
class Demands:
    part: np.ndarray  # index of the matrix part each demand comes from
    src: np.ndarray  # node indices
    dst: np.ndarray
    rate_gbps: np.ndarray

    def __len__(self) -> int:
        return len(self.src)


def draw_demands(scenario: Scenario, layout) -> Demands:
    parts = []
    for i, spec in enumerate(scenario.background.matrix):
        rng = np.random.default_rng([spec.seed if spec.seed is not None else scenario.seed, i])
        src, dst, weight = _GENERATORS[spec.generate](scenario, layout, spec, rng)
        rate = weight if spec.generate == "file" else spec.total_rate_gbps * weight / weight.sum()
        parts.append((np.full(len(src), i), src, dst, rate))
    return Demands(*(np.concatenate([p[k] for p in parts]) for k in range(4)))


def _stations(layout) -> np.ndarray:
    return np.arange(layout.n_satellites, layout.n_nodes, dtype=np.int64)


def _tier_nodes(scenario: Scenario, layout, tier: str) -> np.ndarray:
    index = [t.name for t in scenario.constellation.tiers].index(tier)
    return np.flatnonzero(layout.tier_of == index).astype(np.int64)


def _gravity(scenario, layout, spec, rng):
    """Every ordered station pair, weighted by the product of populations (1 where a
    station has none); count keeps the heaviest pairs."""
    stations = _stations(layout)
    population = np.array([g.population if g.population is not None else 1.0 for g in scenario.ground_stations])
    src, dst = (x.ravel() for x in np.meshgrid(np.arange(len(stations)), np.arange(len(stations)), indexing="ij"))
    pair = src != dst
    src, dst = src[pair], dst[pair]
    weight = population[src] * population[dst]
    if spec.count is not None and spec.count < len(weight):
        keep = np.sort(np.argsort(-weight, kind="stable")[:spec.count])
        src, dst, weight = src[keep], dst[keep], weight[keep]
    if not weight.sum() > 0:
        weight = np.ones(len(weight))
    return stations[src], stations[dst], weight


def _distinct_pairs(rng, count: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """count (a, b) index pairs in range(n), a != b, drawn independently (repeats allowed)."""
    a = rng.integers(n, size=count)
    return a, (a + rng.integers(1, n, size=count)) % n


def _uniform(scenario, layout, spec, rng):
    stations = _stations(layout)
    a, b = _distinct_pairs(rng, spec.count, len(stations))
    return stations[a], stations[b], np.ones(spec.count)


def _ground_to_tier(scenario, layout, spec, rng):
    stations, sats = _stations(layout), _tier_nodes(scenario, layout, spec.tier)
    station = stations[rng.integers(len(stations), size=spec.count)]
    sat = sats[rng.integers(len(sats), size=spec.count)]
    up = np.full(spec.count, spec.direction == "up") if spec.direction != "both" else rng.random(spec.count) < 0.5
    return np.where(up, station, sat), np.where(up, sat, station), np.ones(spec.count)


def _tier_to_tier(scenario, layout, spec, rng):
    """Random satellites of src_tier to `destinations` satellites of dst_tier drawn once
    (storage), each demand to one of them at random."""
    targets = rng.choice(_tier_nodes(scenario, layout, spec.dst_tier), spec.destinations, replace=False)
    sources = _tier_nodes(scenario, layout, spec.src_tier)
    dst = targets[rng.integers(len(targets), size=spec.count)]
    src = sources[rng.integers(len(sources), size=spec.count)]
    same = src == dst  # only when the tiers are the same: take the next satellite
    src[same] = sources[(np.searchsorted(sources, src[same]) + 1) % len(sources)]
    return src, dst, np.ones(spec.count)


def _file(scenario, layout, spec, rng):
    stations = [g.name for g in scenario.ground_stations]
    # Checked at load time already; read again with the run's own names (TLE sets too).
    rows = read_demand_file(spec.file, "background.matrix.file", scenario.name, stations, set(layout.satellite_names))
    wanted = {end for src, dst, _ in rows for end in (src, dst)}
    index = {name: layout.n_satellites + g for g, name in enumerate(stations)}
    index.update({name: i for i, name in enumerate(layout.satellite_names) if name in wanted})
    return (np.array([index[r[0]] for r in rows], dtype=np.int64), np.array([index[r[1]] for r in rows], dtype=np.int64),
            np.array([r[2] for r in rows]))


_GENERATORS = {"gravity": _gravity, "uniform": _uniform, "ground_to_tier": _ground_to_tier,
               "tier_to_tier": _tier_to_tier, "file": _file}
