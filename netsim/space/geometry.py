"""Geometry between nodes: line of sight past the Earth, elevation angles.

Positions are (n, 3) arrays in m in one frame (netsim.space.sites). Candidate neighbours at
scale (a spatial index rather than all pairs) are in netsim.space.neighbours.
"""

from __future__ import annotations

import numpy as np

from netsim.jit import njit

# Links whose straight line dips below this altitude are blocked by the atmosphere
# (the usual choice for optical ISLs, e.g. Hypatia and Bhattacherjee & Singla 2019).
GRAZING_ALTITUDE_M = 80e3


def line_of_sight(pos_a: np.ndarray, pos_b: np.ndarray, earth_radius_m: float,
                  grazing_altitude_m: float = GRAZING_ALTITUDE_M) -> np.ndarray:
    """True where the segment a-b stays above earth_radius + grazing_altitude."""
    pos_a = np.ascontiguousarray(pos_a, dtype=np.float64).reshape(-1, 3)
    pos_b = np.ascontiguousarray(pos_b, dtype=np.float64).reshape(-1, 3)
    rows = np.arange(len(pos_a))
    return _clear(pos_a, pos_b, rows, rows, earth_radius_m + grazing_altitude_m)


def links_in_sight(pos: np.ndarray, node_a: np.ndarray, node_b: np.ndarray, earth_radius_m: float,
                   grazing_altitude_m: float = GRAZING_ALTITUDE_M) -> np.ndarray:
    """line_of_sight(pos[node_a], pos[node_b], ...) without gathering the ends."""
    pos = np.ascontiguousarray(pos, dtype=np.float64)
    return _clear(pos, pos, node_a, node_b, earth_radius_m + grazing_altitude_m)


def link_lengths_m(pos: np.ndarray, node_a: np.ndarray, node_b: np.ndarray) -> np.ndarray:
    """|pos[node_b] - pos[node_a]| per link, m: numpy's norm bit for bit, without its
    link-sized temporaries."""
    return _lengths(np.ascontiguousarray(pos, dtype=np.float64), node_a, node_b)


@njit
def _clear(pos_a, pos_b, ia, ib, limit):
    """Closest point of each segment to the Earth's centre above limit (m); the sums in
    numpy's order (einsum, norm) so the result is theirs."""
    out = np.empty(len(ia), dtype=np.bool_)
    for i in range(len(ia)):
        p, q = pos_a[ia[i]], pos_b[ib[i]]
        d0, d1, d2 = q[0] - p[0], q[1] - p[1], q[2] - p[2]
        length2 = d0 * d0 + d1 * d1 + d2 * d2
        s = -(p[0] * d0 + p[1] * d1 + p[2] * d2) / (length2 if length2 > 0 else 1.0)
        s = min(max(s, 0.0), 1.0)
        c0, c1, c2 = p[0] + s * d0, p[1] + s * d1, p[2] + s * d2
        out[i] = np.sqrt(c0 * c0 + c1 * c1 + c2 * c2) > limit
    return out


@njit
def _lengths(pos, a, b):
    out = np.empty(len(a))
    for i in range(len(a)):
        p, q = pos[a[i]], pos[b[i]]
        d0, d1, d2 = q[0] - p[0], q[1] - p[1], q[2] - p[2]
        out[i] = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    return out


def elevation_rad(site_pos: np.ndarray, site_up: np.ndarray, target_pos: np.ndarray) -> np.ndarray:
    """Elevation of targets (m, shape (m, 3)) above the horizon of each site: (n, m)."""
    look = target_pos[None, :, :] - site_pos[:, None, :]
    dist = np.linalg.norm(look, axis=-1)
    # Clip: at the zenith rounding can put the sine a hair above 1 (arcsin -> nan).
    return np.arcsin(np.clip(np.einsum("nmk,nk->nm", look, site_up) / dist, -1.0, 1.0))
