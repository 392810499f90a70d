"""Ground stations on the rotating Earth, in the same inertial frame as the orbits.

The frame: Earth-fixed (WGS-84) coordinates turned about z by the Earth rotation angle
(ERA), i.e. the Celestial Intermediate Reference System of IERS 2010 with polar motion,
precession and nutation neglected and UT1 ~ UTC. Walker shells are laid out in it and TLE
satellites are turned into it (netsim.space.tle). Bundled station sets:
netsim.scenario.stations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# WGS-84 ellipsoid (NIMA TR8350.2) and Earth's rotation rate (IERS Conventions 2010).
WGS84_A_M = 6378137.0
WGS84_F = 1 / 298.257223563
EARTH_ROTATION_RAD_S = 7.292115e-5


def earth_rotation_angle(epoch: dt.datetime) -> float:
    """Earth rotation angle at epoch, rad (IERS Conventions 2010, eq. 5.15; UT1 ~ UTC)."""
    j2000 = dt.datetime(2000, 1, 1, 12, 0, 0)
    days = (epoch.replace(tzinfo=None) - j2000).total_seconds() / 86400.0
    return earth_rotation_angle_days(days)


def earth_rotation_angle_days(days_since_j2000: float) -> float:
    # Split the day count so the fraction of a turn keeps its precision.
    whole = np.floor(days_since_j2000)
    turns = (0.7790572732640 + 0.00273781191135448 * days_since_j2000 + (days_since_j2000 - whole)) % 1.0
    return 2 * np.pi * turns


@dataclass(frozen=True)
class GroundSites:
    """Fixed points on Earth: Earth-fixed positions (m) and local up vectors."""

    ecef_m: np.ndarray  # (n, 3)
    up: np.ndarray  # (n, 3) unit ellipsoid normals
    names: tuple[str, ...]
    rotation_at_epoch_rad: float

    def __len__(self) -> int:
        return len(self.names)

    def _rotation(self, t_s: float) -> np.ndarray:
        theta = self.rotation_at_epoch_rad + EARTH_ROTATION_RAD_S * t_s
        c, s = np.cos(theta), np.sin(theta)
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    def at(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Inertial positions (m) and velocities (m/s) at t_s, shape (n, 3)."""
        pos = self.ecef_m @ self._rotation(t_s).T
        vel = np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], pos)
        return pos, vel

    def up_at(self, t_s: float) -> np.ndarray:
        """Inertial local-vertical unit vectors at t_s."""
        return self.up @ self._rotation(t_s).T


def ground_sites(stations: list, epoch: dt.datetime) -> GroundSites:
    """Stations (anything with name, lat_deg, lon_deg, alt_km) fixed on the WGS-84
    ellipsoid (geodetic to Earth-fixed: NIMA TR8350.2, eq. 4-14)."""
    lat = np.radians([g.lat_deg for g in stations])
    lon = np.radians([g.lon_deg for g in stations])
    h = np.array([g.alt_km * 1e3 for g in stations])
    e2 = WGS84_F * (2 - WGS84_F)
    n = WGS84_A_M / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    ecef = np.stack([(n + h) * np.cos(lat) * np.cos(lon),
                     (n + h) * np.cos(lat) * np.sin(lon),
                     (n * (1 - e2) + h) * np.sin(lat)], axis=-1).reshape(-1, 3)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1).reshape(-1, 3)
    return GroundSites(ecef, up, tuple(g.name for g in stations), earth_rotation_angle(epoch))


