"""Candidate neighbours from the spatial index against brute force."""

from __future__ import annotations

import numpy as np

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.space.geometry import line_of_sight
from netsim.space.neighbours import NeighbourIndex, candidate_pairs
from netsim.space.orbits import constellation_ephemeris, earth_constants


def brute_pairs(pos, range_m):
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    i, j = np.nonzero(np.triu(d < range_m, 1))
    return set(zip(i.tolist(), j.tolist()))


def test_pairs_within_range_equal_brute_force():
    pos, _ = constellation_ephemeris(scenario_from_dict(default_scenario_dict())).at(321.0)
    for range_m in (1500e3, 3000e3):
        pairs = NeighbourIndex(pos).pairs_within(range_m)
        assert set(map(tuple, pairs.tolist())) == brute_pairs(pos, range_m)


def test_nearest_are_the_k_closest_within_range():
    pos, _ = constellation_ephemeris(scenario_from_dict(default_scenario_dict())).at(0.0)
    idx, dist = NeighbourIndex(pos).nearest(4, 2500e3)
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for i in range(len(pos)):
        expected = np.sort(d[i])[:4]
        expected[expected >= 2500e3] = np.inf
        np.testing.assert_allclose(dist[i], expected, rtol=1e-12)
        assert np.all((idx[i] == -1) == np.isinf(expected))


def test_candidates_drop_pairs_blocked_by_the_earth():
    _, radius = earth_constants()
    pos, _ = constellation_ephemeris(scenario_from_dict(default_scenario_dict())).at(50.0)
    every = NeighbourIndex(pos).pairs_within(20000e3)
    visible = candidate_pairs(pos, 20000e3, radius)
    keep = line_of_sight(pos[every[:, 0]], pos[every[:, 1]], radius)
    assert 0 < len(visible) < len(every)
    assert set(map(tuple, visible.tolist())) == set(map(tuple, every[keep].tolist()))
    # Short range at 550 km: every candidate clears 80 km, the shortcut applies.
    near = candidate_pairs(pos, 3000e3, radius)
    assert len(near) == len(NeighbourIndex(pos).pairs_within(3000e3))


def test_ground_station_lookup():
    pos, _ = constellation_ephemeris(scenario_from_dict(default_scenario_dict())).at(0.0)
    hits = NeighbourIndex(pos).around(pos[:2] * 0.9, 2000e3)
    d = np.linalg.norm(pos[None] - pos[:2, None] * 0.9, axis=-1)
    for g in range(2):
        assert hits[g].tolist() == np.flatnonzero(d[g] < 2000e3).tolist()
