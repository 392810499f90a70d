"""Walker patterns: where each satellite of a shell sits, and how close two can come.

Pure geometry on the unit sphere (no units beyond radians), so the scenario validator can
use it without loading the orbit stack. Conventions follow Walker (1984), "Satellite
constellations", J. Br. Interplanet. Soc. 37: a shell i:T/P/F has P planes whose
ascending nodes are spread evenly over `spread` (2pi for delta, pi for star), S = T/P
satellites per plane, and satellite k of plane p at argument of latitude
2pi (k / S + F p / T) at t = 0.
"""

from __future__ import annotations

import numpy as np


def plane_and_slot(index: np.ndarray, per_plane: int) -> tuple[np.ndarray, np.ndarray]:
    """(plane p, slot k) of satellites numbered p * S + k."""
    return np.divmod(index, per_plane)


def raan_rad(plane: np.ndarray, planes: int, spread_rad: float) -> np.ndarray:
    return spread_rad * plane / planes


def arg_latitude_rad(plane: np.ndarray, slot: np.ndarray, planes: int, per_plane: int,
                     phasing: int) -> np.ndarray:
    """Argument of latitude at t = 0 in [0, 2pi). Computed in turns first so the
    reduction is exact for the integer part."""
    turns = slot / per_plane + phasing * plane / (planes * per_plane)
    return 2 * np.pi * (turns % 1.0)


def closest_approach_rad(inclination_rad: float, delta_raan_rad, delta_u_rad) -> np.ndarray:
    """Smallest angle, over a whole orbit, between two satellites on circular orbits of
    the same radius and inclination whose nodes differ by delta_raan and whose arguments
    of latitude differ by the constant delta_u (u2 = u1 + delta_u).

    With r(u) = R3(-raan) R1(-i) (cos u, sin u, 0), the dot product of the two unit
    vectors is
        cos g(u) = cos du (A + B) / 2 + cos(2u + du) (A - B) / 2 - cos i sin dO sin du,
        A = cos dO,  B = cos^2 i cos dO + sin^2 i,
    and A - B = -sin^2 i (1 - cos dO) <= 0, so the closest approach is at
    cos(2u + du) = -1 (the planes' crossing points).
    """
    ci, si2 = np.cos(inclination_rad), np.sin(inclination_rad) ** 2
    c_do, s_do = np.cos(delta_raan_rad), np.sin(delta_raan_rad)
    a = c_do
    b = ci**2 * c_do + si2
    cos_min = np.cos(delta_u_rad) * (a + b) / 2 - (a - b) / 2 - ci * s_do * np.sin(delta_u_rad)
    # Half-angle form keeps precision for tiny separations: |r1 - r2| = 2 sin(g / 2).
    return 2 * np.arcsin(np.sqrt(np.clip((1 - cos_min) / 2, 0.0, 1.0)))


def closest_pair(inclination_rad: float, planes: int, per_plane: int, phasing: int,
                 spread_rad: float) -> tuple[float, int, int]:
    """(angle, plane offset dp, slot offset dk) of the closest approach of any two
    satellites of a Walker shell over a whole orbit. Angle = pi when the shell has one
    satellite.

    Pairs depend only on (dp, dk), and for a given dp the cosine of the closest approach
    is R cos(du + phi) - C in the phase difference du (closest_approach_rad), largest at
    du = -phi. The du of the slots form a lattice of spacing 2pi / S, so the closest slot
    offset is one of the two lattice points around -phi: O(P) work whatever S, instead of
    scanning all (P - 1) * S offsets (which `closest_pair_scan` still does, for tests)."""
    total = planes * per_plane
    best = (np.pi, 0, 0)
    # Same plane: equal spacing 2pi / S, nearest at dk = 1.
    if per_plane > 1:
        best = (2 * np.pi / per_plane, 0, 1)
    if planes < 2:
        return best
    ci, si2 = np.cos(inclination_rad), np.sin(inclination_rad) ** 2
    for start in range(1, planes, 1 << 20):
        dp = np.arange(start, min(planes, start + (1 << 20)))
        d_raan = spread_rad * dp / planes
        c_do, s_do = np.cos(d_raan), np.sin(d_raan)
        a = (c_do + ci**2 * c_do + si2) / 2
        phi = np.arctan2(ci * s_do, a)
        # slot position (real) where du = -phi: du = 2pi (dk + F dp / P) / S (mod 2pi)
        x = (-phi / (2 * np.pi)) * per_plane - phasing * dp / planes
        below = np.mod(np.floor(x), per_plane).astype(np.int64)
        candidates = np.stack([below, (below + 1) % per_plane])
        angles = np.stack([closest_approach_rad(inclination_rad, d_raan, _delta_u(dk, dp, per_plane, phasing, total))
                           for dk in candidates])
        # equal angles: the smaller slot offset, as a scan in (dp, dk) order would pick
        pick = np.where((angles[0] < angles[1]) | ((angles[0] == angles[1]) & (candidates[0] < candidates[1])), 0, 1)
        angle = np.where(pick == 0, angles[0], angles[1])
        dk = np.where(pick == 0, candidates[0], candidates[1])
        i = int(np.argmin(angle))
        if angle[i] < best[0]:
            best = (float(angle[i]), int(dp[i]), int(dk[i]))
    return best


def _delta_u(dk, dp, per_plane: int, phasing: int, total: int):
    return 2 * np.pi * ((dk / per_plane + phasing * dp / total) % 1.0)


def closest_pair_scan(inclination_rad: float, planes: int, per_plane: int, phasing: int,
                      spread_rad: float) -> tuple[float, int, int]:
    """closest_pair by scanning every (dp, dk): (P - 1) * S cases; the reference for tests."""
    total = planes * per_plane
    best = (np.pi, 0, 0)
    if per_plane > 1:
        best = (2 * np.pi / per_plane, 0, 1)
    if planes < 2:
        return best
    dk = np.arange(per_plane)
    for dp_chunk in np.array_split(np.arange(1, planes), max(1, (planes * per_plane) // 1_000_000 + 1)):
        dp = dp_chunk[:, None]
        angle = closest_approach_rad(inclination_rad, spread_rad * dp / planes,
                                     _delta_u(dk[None, :], dp, per_plane, phasing, total))
        flat = int(np.argmin(angle))
        if angle.flat[flat] < best[0]:
            best = (float(angle.flat[flat]), int(dp_chunk[flat // per_plane]), int(dk[flat % per_plane]))
    return best
