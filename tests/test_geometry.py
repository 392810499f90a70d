"""Line of sight past the Earth: the 80 km grazing altitude and degenerate segments,
against the closest-approach distance worked out by hand for a symmetric chord."""

from __future__ import annotations

import numpy as np
import pytest

from netsim.space.geometry import line_of_sight

RADIUS_M = 6_371_000.0


@pytest.mark.parametrize("closest_altitude_m, visible", [(80_000.5, True), (79_999.5, False)])
def test_a_chord_is_blocked_below_80_km_and_clear_above(closest_altitude_m, visible):
    # Endpoints at (R + h, -x, 0) and (R + h, +x, 0): the chord's closest point to the
    # centre is its midpoint, at altitude h. The 80 km limit is the usual optical-ISL
    # choice (Hypatia; Bhattacherjee & Singla 2019), documented in docs/models.md.
    r = RADIUS_M + closest_altitude_m
    a, b = np.array([[r, -2.0e6, 0.0]]), np.array([[r, 2.0e6, 0.0]])
    assert line_of_sight(a, b, RADIUS_M)[0] == visible


def test_a_zero_length_segment_above_the_atmosphere_is_in_sight():
    a = np.array([[RADIUS_M + 550e3, 0.0, 0.0]])
    assert line_of_sight(a, a.copy(), RADIUS_M)[0]
