"""Satellite body frames and pointing: where a laser terminal looks, and how fast the line
of sight to a peer moves as seen from the spacecraft.

Body frame = LVLH (local vertical, local horizontal), built from the inertial position r
and velocity v of the satellite (arrays (n, 3), SI units):

    x = along-track: unit of v minus its radial part
    z = nadir: -r / |r|
    y = z x x (= -h / |h|, opposite the orbit normal h = r x v)

The frame turns with the orbit at omega = (r x v) / |r|^2 (inertial angular velocity,
along h = -y; exact for circular orbits, within e of it for eccentric ones).

Named boresights (unit vectors in the body frame): fore +x, aft -x, right +y, left -y,
zenith -z, nadir +z; "azD" is horizontal at azimuth D degrees from +x toward +y (a ring of
k terminals sits at az 360 i / k).

Line-of-sight rate in the body frame (what a terminal's gimbal must follow): with
d = r_peer - r_self, u = d / |d| and dv = v_peer - v_self, the inertial rate of u is
du/dt = (dv - (dv . u) u) / |d|; seen from a frame turning at omega it is
du/dt - omega x u, whose norm is the angular rate of the pointing direction (rad/s). Both
vectors are perpendicular to u, so no small-angle approximation is involved. Fore/aft
neighbours in the same circular orbit have a rate of 0: the chord turns with the orbit.
"""

from __future__ import annotations

import numpy as np

BORESIGHTS = {
    "fore": (1.0, 0.0, 0.0),
    "aft": (-1.0, 0.0, 0.0),
    "right": (0.0, 1.0, 0.0),
    "left": (0.0, -1.0, 0.0),
    "zenith": (0.0, 0.0, -1.0),
    "nadir": (0.0, 0.0, 1.0),
}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def lvlh_axes(pos_m: np.ndarray, vel_mps: np.ndarray) -> np.ndarray:
    """Body axes in the inertial frame: (n, 3, 3), rows x, y, z (so body = R @ inertial)."""
    pos_m, vel_mps = np.atleast_2d(pos_m), np.atleast_2d(vel_mps)
    z = -_unit(pos_m)
    radial = np.einsum("ij,ij->i", vel_mps, z)[:, None] * z
    x = _unit(vel_mps - radial)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


def frame_rate(pos_m: np.ndarray, vel_mps: np.ndarray) -> np.ndarray:
    """Inertial angular velocity of the LVLH frame, (r x v) / |r|^2: (n, 3) rad/s."""
    pos_m, vel_mps = np.atleast_2d(pos_m), np.atleast_2d(vel_mps)
    return np.cross(pos_m, vel_mps) / np.einsum("ij,ij->i", pos_m, pos_m)[:, None]


def boresight_vector(name: str) -> np.ndarray:
    """Unit body-frame vector of a named boresight ("fore", ..., or "az<degrees>")."""
    if name in BORESIGHTS:
        return np.array(BORESIGHTS[name])
    if name.startswith("az"):
        try:
            az = np.radians(float(name[2:]))
        except ValueError:
            pass
        else:
            return np.array([np.cos(az), np.sin(az), 0.0])
    raise ValueError(f"unknown boresight {name!r}: use one of {', '.join(BORESIGHTS)} or az<degrees>")


def ring_vectors(count: int) -> np.ndarray:
    """Horizontal boresights at azimuths 360 i / count from +x toward +y: (count, 3)."""
    az = 2 * np.pi * np.arange(count) / count
    return np.stack([np.cos(az), np.sin(az), np.zeros(count)], axis=1)


def to_body(axes: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Inertial vectors (n, 3) in the body frames `axes` (n, 3, 3)."""
    return np.einsum("nij,nj->ni", axes, vec)


def line_of_sight_body(pos_m, vel_mps, node, peer) -> np.ndarray:
    """Unit line of sight from node to peer in node's body frame: (n, 3)."""
    d = _unit(pos_m[peer] - pos_m[node])
    return to_body(lvlh_axes(pos_m[node], vel_mps[node]), d)


def los_rate_body(pos_m, vel_mps, node, peer) -> np.ndarray:
    """Angular rate (rad/s) of the line of sight from node to peer in node's body frame."""
    d = pos_m[peer] - pos_m[node]
    dist = np.linalg.norm(d, axis=-1, keepdims=True)
    u = d / dist
    dv = vel_mps[peer] - vel_mps[node]
    inertial = (dv - np.einsum("ij,ij->i", dv, u)[:, None] * u) / dist
    body = inertial - np.cross(frame_rate(pos_m[node], vel_mps[node]), u)
    return np.linalg.norm(body, axis=-1)


def los_angle_rad(pos_m, node, peer_1, peer_2) -> np.ndarray:
    """Angle between the lines of sight from node to peer_1 and to peer_2 (rad)."""
    u1 = _unit(pos_m[peer_1] - pos_m[node])
    u2 = _unit(pos_m[peer_2] - pos_m[node])
    # atan2 of |cross| and dot: accurate for tiny and near-pi angles alike.
    return np.arctan2(np.linalg.norm(np.cross(u1, u2), axis=-1), np.einsum("ij,ij->i", u1, u2))
