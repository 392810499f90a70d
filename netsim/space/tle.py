"""Satellites from TLE files, propagated with vectorised SGP4 (the `sgp4` package).

SGP4 (Vallado et al. 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753) gives
positions in TEME. netsim's inertial frame is the Earth-fixed frame turned by the Earth
rotation angle (see netsim.space.sites), so TEME is turned about z by ERA - GMST(IAU-82):
TEME -> Earth-fixed by GMST (Vallado 2006, eq. 1), Earth-fixed -> netsim by ERA. Polar
motion and the slow drift of TEME's equinox within a run are neglected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netsim.errors import NetsimError, ScenarioError

J2000_JD = 2451545.0


@dataclass(frozen=True)
class TleRecord:
    name: str  # from the title line, or the catalog number
    line1: str
    line2: str
    line_number: int  # 1-based line of line1 in its file


def tle_checksum(line: str) -> int:
    """Modulo-10 sum of the digits of columns 1-68, each '-' counting 1 (TLE format)."""
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def declared_grid(text: str) -> tuple[int, int] | None:
    """(planes, satellites per plane) when the file starts with a "PLANES SLOTS" line, as
    the TLE files written by Hypatia do (its satellites are then in plane-major order)."""
    first = next((line.split() for line in text.splitlines() if line.strip()), [])
    if len(first) == 2 and all(x.isdigit() for x in first):
        return int(first[0]), int(first[1])
    return None


MAX_TLE_BYTES = 1 << 30  # ~5 M satellites


def parse_tle(text: str, path: str | Path = "<tle>") -> list[TleRecord]:
    """Two- or three-line element sets (after an optional "PLANES SLOTS" line); errors
    name the file and the line."""
    lines = text.splitlines()
    records, title, n = [], None, 0
    if declared_grid(text) is not None:
        n = next(i for i, line in enumerate(lines) if line.strip()) + 1
    while n < len(lines):
        line = lines[n].rstrip()
        if not line.strip():
            n += 1
            continue
        if not line.startswith("1 "):
            if title is not None:
                raise ScenarioError(path, "", f"line {n + 1}: expected TLE line 1 (starting '1 ') after a title line; "
                                              "is this a TLE file?")
            title = line[2:].strip() if line.startswith("0 ") else line.strip()
            n += 1
            continue
        if n + 1 >= len(lines) or not lines[n + 1].startswith("2 "):
            raise ScenarioError(path, "", f"line {n + 2}: expected TLE line 2 (starting '2 ') after line 1")
        line2 = lines[n + 1].rstrip()
        for offset, text_line in ((0, line), (1, line2)):
            _check_line(text_line, n + 1 + offset, path)
        if line[2:7] != line2[2:7]:
            raise ScenarioError(path, "", f"line {n + 2}: catalog number {line2[2:7].strip()} "
                                          f"differs from line {n + 1}'s {line[2:7].strip()}")
        records.append(TleRecord(title or line[2:7].strip(), line, line2, n + 1))
        title, n = None, n + 2
    if title is not None:
        raise ScenarioError(path, "", f"line {len(lines)}: a title line has no element lines after it")
    if not records:
        raise ScenarioError(path, "", "no TLE sets found (expected lines starting '1 ' and '2 ')")
    return records


def _check_line(line: str, number: int, path) -> None:
    if len(line) != 69:
        raise ScenarioError(path, "", f"line {number}: a TLE line has 69 columns (got {len(line)})")
    if not line[68].isdigit():
        raise ScenarioError(path, "", f"line {number}: column 69 must be the checksum digit (got {line[68]!r})")
    expected = tle_checksum(line)
    if int(line[68]) != expected:
        raise ScenarioError(path, "", f"line {number}: bad checksum: column 69 says {line[68]} "
                                      f"but the line's digits give {expected}")


def read_tle(path: str | Path) -> list[TleRecord]:
    return parse_tle(_read_text(path), path)


def _read_text(path: str | Path) -> str:
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ScenarioError(path, "", "not a regular file; give a TLE text file")
    try:
        if path.stat().st_size > MAX_TLE_BYTES:
            raise ScenarioError(path, "", f"larger than {MAX_TLE_BYTES // 2**20} MiB; not a TLE file netsim reads")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "TLE file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(path, "", f"cannot read the TLE file: {getattr(err, 'strerror', None) or err}") from None


def tle_names(source: str, records: list[TleRecord]) -> tuple[str, ...]:
    """netsim's names of TLE satellites: SET-CATALOG (the set's name, the catalog number)."""
    return tuple(f"{source}-{r.line1[2:7].strip()}" for r in records)


@dataclass(frozen=True)
class TleSet:
    """The satellites of one `tle` source: records (after max_satellites), their netsim
    names (SET-CATALOG) and the plane/slot order declared for +Grid, if any."""

    records: list[TleRecord]
    names: tuple[str, ...]
    grid: tuple[int, int] | None


def read_tle_set(name: str, path: str | Path, max_satellites: int | None = None) -> TleSet:
    text = _read_text(path)
    records = parse_tle(text, path)[:max_satellites]
    names = tle_names(name, records)
    if len(set(names)) != len(names):
        seen: set[str] = set()
        twice = next(n for n in names if n in seen or seen.add(n))
        raise ScenarioError(path, "", f"catalog number {twice.rpartition('-')[2]} appears twice; netsim names "
                                      "TLE satellites SET-CATALOG, so catalog numbers must be unique in a file")
    return TleSet(records, names, declared_grid(text))


def gmst82_rad(days_since_j2000: float) -> float:
    """Greenwich mean sidereal time, IAU-82 (Vallado 2013, eq. 3-47), as SGP4 uses, from
    days of UT1 since J2000. The term 876600 h x T is 86400 s per day: taken as the
    fraction of the day, so the angle keeps sub-microsecond precision (a Julian date in one
    double resolves only ~40 µs, ~1 cm at 7,000 km)."""
    t = days_since_j2000 / 36525.0
    seconds = 67310.54841 + 86400.0 * (days_since_j2000 % 1.0) + 8640184.812866 * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return float(seconds % 86400.0) / 86400.0 * 2 * np.pi


def julian_date(moment: dt.datetime) -> tuple[float, float]:
    """(whole-ish day, fraction) split that keeps sub-microsecond precision."""
    from sgp4.api import jday

    jd, fr = jday(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                  moment.second + moment.microsecond * 1e-6)
    return jd, fr


class TleSatellites:
    """SGP4 satellites as one array (SatrecArray), positions in netsim's frame."""

    def __init__(self, source: str, records: list[TleRecord], epoch: dt.datetime):
        from sgp4.api import WGS72, Satrec, SatrecArray

        self.source = source
        self.records = records
        self.names = tle_names(source, records)
        # WGS-72 constants: the ones the element sets were fitted with (Vallado 2006, §2).
        self._satrecs = [Satrec.twoline2rv(r.line1, r.line2, WGS72) for r in records]
        self._array = SatrecArray(self._satrecs)
        self._jd, self._fr = julian_date(epoch)

    def __len__(self) -> int:
        return len(self.names)

    def teme_at(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """TEME positions (m) and velocities (m/s) at t_s after the scenario epoch."""
        jd = np.array([self._jd])
        fr = np.array([self._fr + t_s / 86400.0])
        err, r_km, v_kms = self._array.sgp4(jd, fr)
        bad = np.flatnonzero(err[:, 0])
        if len(bad):
            i = int(bad[0])
            raise NetsimError(f"TLE satellite {self.names[i]} (line {self.records[i].line_number}): "
                              f"SGP4 error {int(err[i, 0])} at t = {t_s} s (e.g. decayed or eccentricity out of range)")
        return r_km[:, 0, :] * 1e3, v_kms[:, 0, :] * 1e3

    def frame_angle_rad(self, t_s: float) -> float:
        """Turn from TEME to netsim's frame: ERA - GMST82 (UT1 ~ UTC)."""
        from netsim.space.sites import earth_rotation_angle_days

        days = (self._jd - J2000_JD) + self._fr + t_s / 86400.0
        return earth_rotation_angle_days(days) - gmst82_rad(days)

    def write(self, t_s: float, pos_out: np.ndarray, vel_out: np.ndarray) -> None:
        r, v = self.teme_at(t_s)
        angle = self.frame_angle_rad(t_s)
        c, s = np.cos(angle), np.sin(angle)
        for src, out in ((r, pos_out), (v, vel_out)):
            out[:, 0] = c * src[:, 0] - s * src[:, 1]
            out[:, 1] = s * src[:, 0] + c * src[:, 1]
            out[:, 2] = src[:, 2]

    def period_s(self) -> np.ndarray:
        # no_kozai is the mean motion in rad/min.
        return np.array([2 * np.pi / s.no_kozai * 60.0 for s in self._satrecs])


def walker_tle_text(name: str, planes: int, per_plane: int, inclination_deg: float, mean_motion_rev_per_day: float,
                    half_slot_shift: bool = True, eccentricity: float = 1e-7, arg_perigee_deg: float = 0.0) -> str:
    """A Walker-like shell as TLE sets, in the layout Hypatia's generator writes (Kassing
    et al., IMC 2020, satgenpy `generate_tles_from_scratch_manual`): a "PLANES SLOTS"
    line, then per satellite a title line and two element lines; plane p has RAAN
    360 p / P, slot k mean anomaly 360 k / S, odd planes shifted by half a slot when
    half_slot_shift; epoch 2000-01-01 00:00 UTC; catalog numbers 1..P*S in plane-major order."""
    lines = [f"{planes} {per_plane}"]
    for p in range(planes):
        raan = p * 360.0 / planes
        shift = 360.0 / (per_plane * 2.0) if half_slot_shift and p % 2 == 1 else 0.0
        for k in range(per_plane):
            number = p * per_plane + k + 1
            anomaly = shift + k * 360.0 / per_plane
            line1 = "1 %05dU 00000ABC 00001.00000000  .00000000  00000-0  00000+0 0    0" % number
            line2 = "2 %05d %s %s %s %s %s %s    0" % (
                number, ("%3.4f" % inclination_deg).rjust(8), ("%3.4f" % raan).rjust(8),
                ("%0.7f" % eccentricity)[2:], ("%3.4f" % arg_perigee_deg).rjust(8), ("%3.4f" % anomaly).rjust(8),
                ("%2.8f" % mean_motion_rev_per_day).rjust(11))
            lines += [f"{name} {number - 1}", line1 + str(tle_checksum(line1)), line2 + str(tle_checksum(line2))]
    return "\n".join(lines) + "\n"
