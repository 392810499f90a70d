"""Orbits: Walker shells and TLE satellites of a scenario, propagated as arrays.

Definitions follow poliastro (its maintained fork hapsira): Earth's GM, radius and J2 come
from `hapsira.bodies.Earth`, and `reference_state` propagates one satellite with
`Orbit.propagate` so the fast path can be checked against it. The fast path is exact
two-body motion for circular orbits (optionally with the secular J2 drift of node and
argument of latitude), computed shell by shell in chunks straight into preallocated
(n, 3) float64 arrays: positions in m, velocities in m/s, in netsim's inertial frame
(Earth-fixed turned by the Earth rotation angle; see netsim.space.sites).

Every ephemeris has `.names`, `len()`, `.at(t_s, out=None) -> (pos_m, vel_mps)` and
`.windows(...)`, which streams time windows so no caller holds all epochs at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, Protocol, Sequence

import numpy as np

from netsim.space import walker
from netsim.scenario.model import Scenario, Shell
from netsim.errors import ScenarioError

# Rows per chunk: big enough to amortise numpy's per-call cost, small enough that the
# scratch arrays (about ten of them) stay a few MB next to the output.
CHUNK_ROWS = 1 << 16
# Two satellites of a shell closer than this at any time occupy "the same position".
COLLISION_DISTANCE_M = 1.0


@cache
def earth_constants() -> tuple[float, float]:
    """(GM in m^3/s^2, equatorial radius in m), from hapsira's Earth."""
    from hapsira.bodies import Earth

    return float(Earth.k.to_value("m3/s2")), float(Earth.R.to_value("m"))


@cache
def earth_j2() -> float:
    from hapsira.bodies import Earth

    return float(Earth.J2.value)


class Part(Protocol):
    """A block of satellites that writes its own rows of the output arrays."""

    names: Sequence[str]

    def __len__(self) -> int: ...

    def write(self, t_s: float, pos_out: np.ndarray, vel_out: np.ndarray) -> None: ...


@dataclass(frozen=True)
class WalkerShellOrbits:
    """A Walker shell on circular orbits, stored as a handful of numbers: per-satellite
    elements are derived chunk by chunk, so 800,000 satellites cost no element arrays."""

    name: str
    semi_major_axis_m: float
    inclination_rad: float
    planes: int
    per_plane: int
    phasing: int
    raan_spread_rad: float
    epoch_offset_s: float = 0.0  # scenario t = 0 is this long after the shell's epoch
    j2: bool = False

    def __len__(self) -> int:
        return self.planes * self.per_plane

    @cached_property
    def names(self) -> tuple[str, ...]:
        p, k = walker.plane_and_slot(np.arange(len(self)), self.per_plane)
        return tuple(f"{self.name}-{pp}-{kk}" for pp, kk in zip(p.tolist(), k.tolist()))

    @property
    def mean_motion_rad_s(self) -> float:
        gm, _ = earth_constants()
        return float(np.sqrt(gm / self.semi_major_axis_m**3))

    @property
    def rates_rad_s(self) -> tuple[float, float]:
        """(d raan/dt, d u/dt). With J2, the secular rates for e = 0 (Vallado 2013,
        eqs. 9-41 and 9-42 with the mean-anomaly rate of §9.6):
        dO/dt = -k cos i, dw/dt = k (2 - 2.5 sin^2 i), dM/dt = n + k (1 - 1.5 sin^2 i),
        k = 1.5 n J2 (R/a)^2."""
        n = self.mean_motion_rad_s
        if not self.j2:
            return 0.0, n
        _, radius = earth_constants()
        k = 1.5 * n * earth_j2() * (radius / self.semi_major_axis_m) ** 2
        s2 = np.sin(self.inclination_rad) ** 2
        return float(-k * np.cos(self.inclination_rad)), float(n + k * (3.0 - 4.0 * s2))

    @property
    def period_s(self) -> float:
        """Keplerian period 2pi sqrt(a^3 / GM) (nodal period differs with J2)."""
        return 2 * np.pi / self.mean_motion_rad_s

    def elements(self, index: np.ndarray, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(raan, argument of latitude) in rad of satellites `index` at t_s."""
        p, k = walker.plane_and_slot(np.asarray(index), self.per_plane)
        raan_rate, u_rate = self.rates_rad_s
        t = t_s + self.epoch_offset_s
        raan = walker.raan_rad(p, self.planes, self.raan_spread_rad) + raan_rate * t
        u0 = walker.arg_latitude_rad(p, k, self.planes, self.per_plane, self.phasing)
        return raan, u0 + np.fmod(u_rate * t, 2 * np.pi)

    def write(self, t_s: float, pos_out: np.ndarray, vel_out: np.ndarray) -> None:
        a = self.semi_major_axis_m
        raan_rate, u_rate = self.rates_rad_s
        ci, si = np.cos(self.inclination_rad), np.sin(self.inclination_rad)
        # Node cosines once per plane, then gathered: planes are few, satellites many.
        plane_raan = walker.raan_rad(np.arange(self.planes), self.planes, self.raan_spread_rad)
        plane_raan += raan_rate * (t_s + self.epoch_offset_s)
        plane_cos, plane_sin = np.cos(plane_raan), np.sin(plane_raan)
        buffers = {name: np.empty(min(CHUNK_ROWS, len(self))) for name in ("co", "so", "cu", "su", "t1", "t2", "t3")}
        for start in range(0, len(self), CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, len(self))
            s = SimpleNamespace(**{name: buf[:stop - start] for name, buf in buffers.items()})
            p, k = walker.plane_and_slot(np.arange(start, stop), self.per_plane)
            _, u = self.elements(np.arange(start, stop), t_s)
            np.take(plane_cos, p, out=s.co)
            np.take(plane_sin, p, out=s.so)
            np.cos(u, out=s.cu)
            np.sin(u, out=s.su)
            # Circular orbit, argument of perigee 0 (Vallado 2013, eq. 2-103 rotation).
            x, y, z = pos_out[start:stop, 0], pos_out[start:stop, 1], pos_out[start:stop, 2]
            np.multiply(s.su, ci, out=s.t1)  # sin u cos i
            np.multiply(s.cu, s.co, out=s.t2)
            np.multiply(s.t1, s.so, out=s.t3)
            np.subtract(s.t2, s.t3, out=s.t2)
            np.multiply(s.t2, a, out=x)
            np.multiply(s.cu, s.so, out=s.t2)
            np.multiply(s.t1, s.co, out=s.t3)
            np.add(s.t2, s.t3, out=s.t2)
            np.multiply(s.t2, a, out=y)
            np.multiply(s.su, a * si, out=z)
            # v = du/dt * dr/du + dO/dt * (z_hat x r)
            vx, vy, vz = vel_out[start:stop, 0], vel_out[start:stop, 1], vel_out[start:stop, 2]
            speed = a * u_rate
            np.multiply(s.cu, ci, out=s.t1)  # cos u cos i
            np.multiply(s.su, s.co, out=s.t2)
            np.multiply(s.t1, s.so, out=s.t3)
            np.add(s.t2, s.t3, out=s.t2)
            np.multiply(s.t2, -speed, out=vx)
            np.multiply(s.t1, s.co, out=s.t2)
            np.multiply(s.su, s.so, out=s.t3)
            np.subtract(s.t2, s.t3, out=s.t2)
            np.multiply(s.t2, speed, out=vy)
            np.multiply(s.cu, speed * si, out=vz)
            if raan_rate:
                vx -= raan_rate * y
                vy += raan_rate * x


@dataclass(frozen=True)
class Ephemeris:
    """All satellites of a constellation: Walker shells and TLE sets, in file order."""

    parts: tuple[Part, ...]
    offsets: tuple[int, ...] = field(init=False)

    def __post_init__(self):
        starts = np.cumsum([0] + [len(p) for p in self.parts])
        object.__setattr__(self, "offsets", tuple(int(s) for s in starts))

    def __len__(self) -> int:
        return self.offsets[-1]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(name for part in self.parts for name in part.names)

    @property
    def period_s(self) -> np.ndarray:
        """Keplerian period of every satellite, s."""
        return np.concatenate([np.full(len(p), p.period_s) if isinstance(p, WalkerShellOrbits)
                               else p.period_s() for p in self.parts])

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.empty((len(self), 3)), np.empty((len(self), 3))

    def at(self, t_s: float, out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions (m) and velocities (m/s) of every satellite at t_s, shape (n, 3).
        Pass `out` (from `empty()`) to reuse arrays between epochs."""
        pos, vel = out if out is not None else self.empty()
        for part, start, stop in zip(self.parts, self.offsets, self.offsets[1:]):
            part.write(float(t_s), pos[start:stop], vel[start:stop])
        return pos, vel

    def windows(self, start_s: float, stop_s: float, step_s: float,
                steps_per_window: int = 16) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Stream (times_s, pos (w, n, 3), vel (w, n, 3)) over [start_s, stop_s] in steps
        of step_s, w <= steps_per_window epochs at a time. The arrays are reused by the
        next window: copy what you keep."""
        count = int(np.floor((stop_s - start_s) / step_s + 1e-9)) + 1
        pos = np.empty((min(steps_per_window, count), len(self), 3))
        vel = np.empty_like(pos)
        for first in range(0, count, steps_per_window):
            times = start_s + step_s * np.arange(first, min(first + steps_per_window, count))
            for w, t_s in enumerate(times):
                self.at(t_s, (pos[w], vel[w]))
            yield times, pos[:len(times)], vel[:len(times)]

    def locate(self, index: int) -> tuple[Part, int]:
        """(part, row within it) of satellite `index`."""
        part = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return self.parts[part], index - self.offsets[part]


def semi_major_axis_m(shell: Shell) -> float:
    gm, radius = earth_constants()
    if shell.altitude_km is not None:
        return radius + shell.altitude_km * 1e3
    n = shell.mean_motion_rev_per_day * 2 * np.pi / 86400.0
    return float((gm / n**2) ** (1 / 3))


def walker_shell(shell: Shell, epoch_offset_s: float = 0.0, j2: bool = False) -> WalkerShellOrbits:
    """A Walker shell i:T/P/F (Walker 1984); see netsim.space.walker for the layout."""
    return WalkerShellOrbits(
        name=shell.name, semi_major_axis_m=semi_major_axis_m(shell),
        inclination_rad=float(np.radians(shell.inclination_deg)), planes=shell.planes,
        per_plane=shell.sats_per_plane, phasing=shell.phasing,
        raan_spread_rad=float(np.radians(shell.raan_spread)), epoch_offset_s=epoch_offset_s, j2=j2)


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=None)


def constellation_ephemeris(scenario: Scenario) -> Ephemeris:
    """Every satellite of the scenario: per tier, its Walker shells then its TLE sets."""
    from netsim.space.tle import TleSatellites, read_tle_set

    epoch = _utc(scenario.epoch)
    j2 = scenario.constellation.propagation == "j2"
    parts: list[Part] = []
    for tier in scenario.constellation.tiers:
        for shell in tier.shells:
            offset = (epoch - _utc(shell.epoch)).total_seconds() if shell.epoch else 0.0
            parts.append(walker_shell(shell, offset, j2))
        for source in tier.tle:
            records = read_tle_set(source.name, source.file, source.max_satellites).records
            parts.append(TleSatellites(source.name, records, epoch))
    return Ephemeris(tuple(parts))


def validate(scenario: Scenario, path) -> None:
    """Rules on orbit keys beyond their types: one size per shell, parseable epochs, no
    collisions inside a shell, readable TLE files whose declared plane/slot order fits
    their size. Errors name the key."""

    for ti, tier in enumerate(scenario.constellation.tiers):
        where = f"constellation.tiers[{ti}]"
        if not tier.shells and not tier.tle:
            raise ScenarioError(path, f"{where}.shells", "a tier needs at least one Walker shell or TLE source (tle)")
        for si, shell in enumerate(tier.shells):
            key = f"{where}.shells[{si}]"
            if (shell.altitude_km is None) == (shell.mean_motion_rev_per_day is None):
                raise ScenarioError(path, f"{key}.altitude_km",
                                    "give exactly one of altitude_km or mean_motion_rev_per_day")
            if shell.epoch is not None:
                try:
                    _utc(shell.epoch)
                except ValueError:
                    raise ScenarioError(path, f"{key}.epoch", "must be an ISO 8601 UTC time such as "
                                                              f"2026-01-01T00:00:00 (got {shell.epoch!r})") from None
            a = semi_major_axis_m(shell)  # above the surface: mean motion <= 17 rev/day
            angle, dp, dk = walker.closest_pair(np.radians(shell.inclination_deg), shell.planes,
                                                shell.sats_per_plane, shell.phasing, np.radians(shell.raan_spread))
            closest_m = 2 * a * np.sin(angle / 2)
            if closest_m < COLLISION_DISTANCE_M:
                raise ScenarioError(path, f"{key}.phasing",
                                    f"satellites collide: plane p slot k meets plane p+{dp} slot k+{dk} "
                                    f"(closest approach {closest_m:.2g} m); change phasing "
                                    f"(0..{shell.planes - 1}), planes or raan_spread_deg")
        for si, source in enumerate(tier.tle):
            tle_set(source, f"{where}.tle[{si}]", path)


def tle_set(source, key: str, path):
    """The satellites of a `tle` source (netsim.space.tle.TleSet) with its plane/slot
    order checked: the keys planes and sats_per_plane (both or neither) override the
    file's own declaration, and planes x slots must be the number of satellites."""
    from netsim.space.tle import read_tle_set

    if not Path(source.file).is_file():
        raise ScenarioError(path, f"{key}.file", f"TLE file not found: {source.file}")
    found = read_tle_set(source.name, source.file, source.max_satellites)
    if (source.planes is None) != (source.sats_per_plane is None):
        raise ScenarioError(path, f"{key}.planes", "give both planes and sats_per_plane, or neither")
    grid = (source.planes, source.sats_per_plane) if source.planes is not None else found.grid
    if grid is not None and grid[0] * grid[1] != len(found.records):
        where = f"{key}.planes" if source.planes is not None else f"{key}.file"
        raise ScenarioError(path, where, f"{grid[0]} planes x {grid[1]} satellites = {grid[0] * grid[1]}, but the "
                                         f"set has {len(found.records)} satellites")
    return dataclasses.replace(found, grid=grid)


def reference_state(orbits: Ephemeris, index: int, t_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Position (m) and velocity (m/s) of one Walker satellite from poliastro's own
    two-body propagator (Farnocchia), for checking the fast path."""
    from astropy import units as u
    from hapsira.bodies import Earth
    from hapsira.twobody import Orbit

    part, row = orbits.locate(index)
    raan, arg_lat = part.elements(np.array([row]), 0.0)  # state at scenario t = 0
    orbit = Orbit.from_classical(
        Earth, part.semi_major_axis_m * u.m, 0 * u.one, part.inclination_rad * u.rad,
        raan[0] * u.rad, 0 * u.rad, arg_lat[0] * u.rad)
    state = orbit.propagate(t_s * u.s)
    return state.r.to_value(u.m), state.v.to_value(u.m / u.s)
