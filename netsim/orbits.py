"""Orbits: Walker shells from the scenario, propagated as arrays.

Definitions follow poliastro (its maintained fork hapsira): Earth's GM and radius come
from `hapsira.bodies.Earth`, and `reference_state` propagates one satellite with
`Orbit.propagate` so the fast path can be checked against it. The fast path is exact
two-body motion for circular orbits, vectorised over all satellites: positions in m and
velocities in m/s in an Earth-centred inertial frame whose x axis points to the
vernal equinox of date (precession and nutation are neglected).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from netsim.config import Scenario, Shell


@cache
def earth_constants() -> tuple[float, float]:
    """(GM in m^3/s^2, equatorial radius in m), from hapsira's Earth."""
    from hapsira.bodies import Earth

    return float(Earth.k.to_value("m3/s2")), float(Earth.R.to_value("m"))


@dataclass(frozen=True)
class CircularOrbits:
    """Circular orbits of many satellites, one entry per satellite (SI units)."""

    semi_major_axis_m: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    arg_latitude_rad: np.ndarray  # argument of latitude at t = 0
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    @property
    def mean_motion_rad_s(self) -> np.ndarray:
        gm, _ = earth_constants()
        return np.sqrt(gm / self.semi_major_axis_m**3)

    @property
    def period_s(self) -> np.ndarray:
        return 2 * np.pi / self.mean_motion_rad_s

    def at(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions (m) and velocities (m/s) of every satellite at t_s, shape (n, 3)."""
        n = self.mean_motion_rad_s
        u = self.arg_latitude_rad + n * t_s
        cu, su = np.cos(u), np.sin(u)
        co, so = np.cos(self.raan_rad), np.sin(self.raan_rad)
        ci, si = np.cos(self.inclination_rad), np.sin(self.inclination_rad)
        a = self.semi_major_axis_m
        # Perifocal-to-inertial rotation with argument of perigee 0 (Vallado, eq. 2-103).
        pos = np.empty((len(a), 3))
        pos[:, 0] = a * (cu * co - su * ci * so)
        pos[:, 1] = a * (cu * so + su * ci * co)
        pos[:, 2] = a * (su * si)
        vel = np.empty_like(pos)
        speed = a * n
        vel[:, 0] = speed * (-su * co - cu * ci * so)
        vel[:, 1] = speed * (-su * so + cu * ci * co)
        vel[:, 2] = speed * (cu * si)
        return pos, vel

    @staticmethod
    def concatenate(parts: list["CircularOrbits"]) -> "CircularOrbits":
        return CircularOrbits(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in
              ("semi_major_axis_m", "inclination_rad", "raan_rad", "arg_latitude_rad")),
            names=tuple(name for p in parts for name in p.names),
        )


def walker_shell(shell: Shell) -> CircularOrbits:
    """A Walker shell i:T/P/F (Walker 1984): plane p has its node at p * spread / P, and
    satellite k of plane p sits at argument of latitude 2pi (k / S + F p / T)."""
    _, radius_m = earth_constants()
    planes, per_plane = shell.planes, shell.sats_per_plane
    p, k = np.divmod(np.arange(planes * per_plane), per_plane)
    raan = np.radians(shell.raan_spread) * p / planes
    arg_lat = 2 * np.pi * (k / per_plane + shell.phasing * p / (planes * per_plane))
    n = len(p)
    return CircularOrbits(
        semi_major_axis_m=np.full(n, radius_m + shell.altitude_km * 1e3),
        inclination_rad=np.full(n, np.radians(shell.inclination_deg)),
        raan_rad=raan,
        arg_latitude_rad=np.mod(arg_lat, 2 * np.pi),
        names=tuple(f"{shell.name}-{pp}-{kk}" for pp, kk in zip(p, k)),
    )


def constellation_orbits(scenario: Scenario) -> CircularOrbits:
    """Every satellite of the scenario, shells in file order."""
    return CircularOrbits.concatenate([walker_shell(shell) for _, shell in scenario.shells])


def reference_state(orbits: CircularOrbits, index: int, t_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Position (m) and velocity (m/s) of one satellite from poliastro's own propagator."""
    from astropy import units as u
    from hapsira.bodies import Earth
    from hapsira.twobody import Orbit

    orbit = Orbit.from_classical(
        Earth,
        orbits.semi_major_axis_m[index] * u.m,
        0 * u.one,
        orbits.inclination_rad[index] * u.rad,
        orbits.raan_rad[index] * u.rad,
        0 * u.rad,
        orbits.arg_latitude_rad[index] * u.rad,
    )
    state = orbit.propagate(t_s * u.s)
    return state.r.to_value(u.m), state.v.to_value(u.m / u.s)
