"""Geometry between nodes: line of sight past the Earth, elevation angles.

Positions are (n, 3) arrays in m in one frame (netsim.space.sites). Candidate neighbours at
scale (a spatial index rather than all pairs) are in netsim.space.neighbours.
"""

from __future__ import annotations

import numpy as np

# Links whose straight line dips below this altitude are blocked by the atmosphere
# (the usual choice for optical ISLs, e.g. Hypatia and Bhattacherjee & Singla 2019).
GRAZING_ALTITUDE_M = 80e3


def line_of_sight(pos_a: np.ndarray, pos_b: np.ndarray, earth_radius_m: float,
                  grazing_altitude_m: float = GRAZING_ALTITUDE_M) -> np.ndarray:
    """True where the segment a-b stays above earth_radius + grazing_altitude."""
    d = pos_b - pos_a
    length2 = np.einsum("ij,ij->i", d, d)
    # Closest point of the segment to the Earth's centre.
    s = np.clip(-np.einsum("ij,ij->i", pos_a, d) / np.where(length2 > 0, length2, 1), 0.0, 1.0)
    closest = pos_a + s[:, None] * d
    return np.linalg.norm(closest, axis=-1) > earth_radius_m + grazing_altitude_m


def elevation_rad(site_pos: np.ndarray, site_up: np.ndarray, target_pos: np.ndarray) -> np.ndarray:
    """Elevation of targets (m, shape (m, 3)) above the horizon of each site: (n, m)."""
    look = target_pos[None, :, :] - site_pos[:, None, :]
    dist = np.linalg.norm(look, axis=-1)
    # Clip: at the zenith rounding can put the sine a hair above 1 (arcsin -> nan).
    return np.arcsin(np.clip(np.einsum("nmk,nk->nm", look, site_up) / dist, -1.0, 1.0))
