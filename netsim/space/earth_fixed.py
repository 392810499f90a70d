"""From netsim's inertial frame back to the Earth: Earth-fixed positions and geodetic
longitude/latitude, for maps that do not spin with the Earth's rotation.

The inertial frame is the Earth-fixed frame turned about z by the Earth rotation angle
(netsim.space.sites); turning back by the same angle at time t gives Earth-fixed (WGS-84)
coordinates, in which ground stations stay put and satellites trace their ground tracks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from netsim.space.sites import EARTH_ROTATION_RAD_S, WGS84_A_M, WGS84_F, earth_rotation_angle


def rotation_at_epoch_rad(epoch: str) -> float:
    """Earth rotation angle at a scenario's epoch (ISO 8601 UTC), rad."""
    return earth_rotation_angle(dt.datetime.fromisoformat(epoch))


def to_earth_fixed(pos_m: np.ndarray, t_s: float, rotation_at_epoch: float) -> np.ndarray:
    """Inertial positions (n, 3) at t_s -> Earth-fixed positions (n, 3), m."""
    theta = rotation_at_epoch + EARTH_ROTATION_RAD_S * t_s
    c, s = np.cos(theta), np.sin(theta)
    # Inverse of sites.GroundSites._rotation: rows are turned by -theta.
    turn_back = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    return np.asarray(pos_m, dtype=float) @ turn_back.T


def geodetic(ecef_m: np.ndarray, iterations: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earth-fixed positions (n, 3), m -> geodetic latitude (deg), longitude (deg, -180..180)
    and height above the WGS-84 ellipsoid (m). Fixed-point iteration on the latitude
    (converges to < 1e-9 rad in four steps for heights up to geostationary orbit)."""
    x, y, z = (np.asarray(ecef_m, dtype=float)[:, k] for k in range(3))
    e2 = WGS84_F * (2 - WGS84_F)
    p = np.hypot(x, y)
    def height(lat):
        n = WGS84_A_M / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        # From whichever of p, z is better conditioned at this latitude.
        near_pole = np.abs(lat) >= np.pi / 4
        h = np.where(near_pole, z / np.where(near_pole, np.sin(lat), 1.0) - n * (1 - e2),
                     p / np.where(near_pole, 1.0, np.cos(lat)) - n)
        return n, h

    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(iterations):
        n, h = height(lat)
        lat = np.arctan2(z, p * (1 - e2 * n / (n + h)))
    return np.degrees(lat), np.degrees(np.arctan2(y, x)), height(lat)[1]
