"""The fast orbit path against poliastro (hapsira) and orbital mechanics."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.config import scenario_from_dict
from netsim.orbits import constellation_orbits, earth_constants, reference_state


@pytest.fixture(scope="module")
def orbits():
    return constellation_orbits(scenario_from_dict(default_scenario_dict()))


def test_fast_path_matches_poliastro_within_1_m_over_one_orbit(orbits):
    period = float(orbits.period_s[0])
    for index in (0, 13, 77, 143):
        for t_s in np.linspace(0, period, 7):
            pos, vel = orbits.at(t_s)
            ref_pos, ref_vel = reference_state(orbits, index, t_s)
            assert np.linalg.norm(pos[index] - ref_pos) < 1.0
            assert np.linalg.norm(vel[index] - ref_vel) < 1e-3


def test_period_is_kepler_third_law(orbits):
    gm, radius = earth_constants()
    a = radius + 550e3
    assert orbits.period_s[0] == pytest.approx(2 * np.pi * np.sqrt(a**3 / gm), rel=1e-12)
    start, _ = orbits.at(0.0)
    after, _ = orbits.at(float(orbits.period_s[0]))
    assert np.max(np.linalg.norm(after - start, axis=1)) < 1e-3


def test_walker_in_plane_neighbours_at_chord_distance(orbits):
    _, radius = earth_constants()
    a = radius + 550e3
    pos, _ = orbits.at(123.0)
    chord = 2 * a * np.sin(np.pi / 12)  # 12 satellites per plane
    assert np.linalg.norm(pos[1] - pos[0]) == pytest.approx(chord, rel=1e-9)
