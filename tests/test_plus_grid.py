"""+Grid links of a Walker shell have the analytic lengths."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris, earth_constants
from netsim.links.numbering import AFT, FORE, NEXT_PLANE, PREVIOUS_PLANE, layout
from netsim.links.fixed_isls import plus_grid


def unit_position(raan, inc, u):
    """Unit position on a circular orbit (argument of perigee 0)."""
    return np.array([np.cos(u) * np.cos(raan) - np.sin(u) * np.cos(inc) * np.sin(raan),
                     np.cos(u) * np.sin(raan) + np.sin(u) * np.cos(inc) * np.cos(raan),
                     np.sin(u) * np.sin(inc)])


@pytest.mark.parametrize("t_s", [0.0, 1234.5])
def test_plus_grid_links_have_analytic_lengths(t_s):
    scenario = scenario_from_dict(default_scenario_dict())
    shell = scenario.constellation.tiers[0].shells[0]
    orbits = constellation_ephemeris(scenario)
    lay = layout(scenario, orbits.names)
    links = plus_grid(scenario, lay)
    _, radius = earth_constants()
    a = radius + shell.altitude_km * 1e3
    planes, per_plane, phasing = shell.planes, shell.sats_per_plane, shell.phasing
    pos, _ = orbits.at(t_s)
    length = np.linalg.norm(pos[links.node_b] - pos[links.node_a], axis=1)
    in_plane = links.port_a == FORE
    assert np.all(links.port_b[in_plane] == AFT)
    # In-plane neighbours sit 2 pi / S apart on the same circle: chord 2 a sin(pi / S).
    assert length[in_plane] == pytest.approx(np.full(in_plane.sum(), 2 * a * np.sin(np.pi / per_plane)), rel=1e-12)
    # Cross-plane: positions from the Walker elements (RAAN 2 pi p / P, argument of
    # latitude 2 pi (k / S + F p / T) + n t), independent of the propagator.
    n = np.sqrt(earth_constants()[0] / a**3)
    inc = np.radians(shell.inclination_deg)
    cross = np.flatnonzero(links.port_a == NEXT_PLANE)
    assert np.all(links.port_b[cross] == PREVIOUS_PLANE) and len(cross) == planes * per_plane
    for i in cross:
        ends = []
        for node in (links.node_a[i], links.node_b[i]):
            p, k = divmod(int(node), per_plane)
            u = 2 * np.pi * (k / per_plane + phasing * p / (planes * per_plane)) + n * t_s
            ends.append(unit_position(2 * np.pi * p / planes, inc, u))
        assert length[i] == pytest.approx(a * np.linalg.norm(ends[1] - ends[0]), rel=1e-9)
