"""TLE satellites: parsing with errors by line, vectorised SGP4 against the sgp4 reference,
and netsim's frame against astropy's TEME."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.errors import ScenarioError
from netsim.space.orbits import constellation_ephemeris
from netsim.space.tle import TleSatellites, parse_tle, read_tle

# ISS (ZARYA), the example set of the sgp4 package's documentation.
ISS = ("ISS (ZARYA)\n"
       "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991\n"
       "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482\n")
EPOCH = "2019-12-09T17:00:00"


def starlink_like(count: int) -> str:
    """Element sets made with sgp4's own initialiser and exporter (valid checksums)."""
    from sgp4.api import WGS72, Satrec
    from sgp4.exporter import export_tle

    text = ""
    for i in range(count):
        sat = Satrec()
        # epoch in days since 1949-12-31 00:00 UTC (2019-12-09 here), angles in rad, n in rad/min
        sat.sgp4init(WGS72, "i", 44700 + i, 25545.6, 1e-4, 0.0, 0.0, 1.3e-4, 0.0, np.radians(53.05),
                     np.radians(36.0 * i % 360), 15.06 * 2 * np.pi / 1440, np.radians(10.0 * i % 360))
        line1, line2 = export_tle(sat)
        text += f"STARLINK-{i}\n{line1}\n{line2}\n"
    return text


def days_since_j2000(moment: dt.datetime) -> float:
    """UTC days since J2000.0 (JD 2451545.0 = 2000-01-01 12:00), kept as a day count: a
    whole Julian date in one double resolves only ~40 µs."""
    return (moment - dt.datetime(2000, 1, 1, 12)).total_seconds() / 86400.0


def era_rad(du: float) -> float:
    """Earth rotation angle, IERS Conventions 2010 eq. 5.15:
    2 pi (0.7790572732640 + 1.00273781191135448 (JD_UT1 - 2451545.0))."""
    return 2 * np.pi * ((0.7790572732640 + 0.00273781191135448 * du + du % 1.0) % 1.0)


def gmst82_rad(du: float) -> float:
    """Greenwich mean sidereal time, IAU-82 (Vallado 2013 eq. 3-47, the angle TEME is
    defined with): 67310.54841 s + (876600 h + 8640184.812866 s) T + 0.093104 s T^2
    - 6.2e-6 s T^3, T in Julian centuries of UT1 from J2000."""
    t = du / 36525.0
    seconds = 67310.54841 + (876600.0 * 3600 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return (seconds % 86400.0) / 86400.0 * 2 * np.pi


def rotate_z(angle: float, xyz: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.asarray(xyz) @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T


@pytest.fixture()
def tle_scenario(tmp_path):
    (tmp_path / "sats.tle").write_text(ISS + starlink_like(5))
    raw = default_scenario_dict(traffic=[], outputs={}, epoch=EPOCH)
    raw["constellation"]["tiers"].append({"name": "real", "tle": [{"name": "celestrak", "file": "sats.tle"}],
                                          "terminals": {"isl": {"count": 0}}})
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text("")  # relative TLE paths resolve against the scenario's folder
    return scenario_from_dict(raw, scenario_file)


def test_tle_satellites_match_the_sgp4_reference(tle_scenario):
    """SGP4 from the sgp4 package's own TEME states, turned into netsim's frame (Earth-fixed
    turned by ERA, UT1 = UTC) by GMST82 and ERA computed here from their formulas."""
    from sgp4.api import Satrec, jday

    eph = constellation_ephemeris(tle_scenario)
    assert len(eph) == 144 + 6 and eph.names[144] == "celestrak-25544"
    part, _ = eph.locate(144)
    records = read_tle(tle_scenario.constellation.tiers[1].tle[0].file)
    epoch = dt.datetime.fromisoformat(EPOCH)
    for t_s in (0.0, 1234.5, 86400.0):
        teme, teme_v = part.teme_at(t_s)
        pos, vel = eph.at(t_s)
        du = days_since_j2000(epoch + dt.timedelta(seconds=t_s))
        angle = era_rad(du) - gmst82_rad(du)  # TEME -> Earth-fixed (-GMST) -> netsim (+ERA)
        for i, rec in enumerate(records):
            sat = Satrec.twoline2rv(rec.line1, rec.line2)
            day, fraction = jday(2019, 12, 9, 17, 0, t_s)
            err, r_km, v_kms = sat.sgp4(day, fraction)
            assert err == 0
            assert np.linalg.norm(teme[i] - np.array(r_km) * 1e3) < 1e-3
            assert np.linalg.norm(teme_v[i] - np.array(v_kms) * 1e3) < 1e-6
            expected = rotate_z(angle, np.array(r_km) * 1e3)
            # 1 mm: both angles to ~1e-11 rad (0.1 mm at the ISS); a Julian date in one
            # double would be 1 cm off.
            assert np.linalg.norm(pos[144 + i] - expected) < 1e-3, (t_s, i)
            assert np.linalg.norm(vel[144 + i] - rotate_z(angle, np.array(v_kms) * 1e3)) < 1e-6


def test_tle_frame_agrees_with_astropy_teme_to_itrs(tle_scenario):
    """Turned back by ERA (computed here), netsim's positions are Earth-fixed. astropy's
    TEME -> ITRS uses UT1 and polar motion from the IERS tables; netsim takes UT1 = UTC,
    so after undoing that known rotation (Earth's rate x (UT1 - UTC)) the two agree to
    polar motion, ~0.3 arcsec (~10 m at 7,000 km)."""
    from astropy import units as u
    from astropy.coordinates import ITRS, TEME, CartesianRepresentation
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    eph = constellation_ephemeris(tle_scenario)
    part, _ = eph.locate(144)
    for t_s in (600.0, 30000.0):
        teme, _ = part.teme_at(t_s)
        pos, _ = eph.at(t_s)
        moment = dt.datetime.fromisoformat(EPOCH) + dt.timedelta(seconds=t_s)
        ecef = rotate_z(-era_rad(days_since_j2000(moment)), pos[144:])
        when = Time(moment, scale="utc")
        dut1_s = float(when.delta_ut1_utc)
        assert 0.05 < abs(dut1_s) < 0.9  # the correction below is real, not zero
        ecef_ut1 = rotate_z(-7.2921158553e-5 * dut1_s, ecef)
        ref = TEME(CartesianRepresentation(teme.T * u.m), obstime=when).transform_to(ITRS(obstime=when))
        ref_m = ref.cartesian.xyz.to_value(u.m).T
        assert np.max(np.linalg.norm(ecef_ut1 - ref_m, axis=1)) < 20.0
        # Without the UT1 correction the difference is the ~80 m rotation it undoes.
        assert np.max(np.linalg.norm(ecef - ref_m, axis=1)) > 40.0


def test_max_satellites_takes_the_first_sets(tmp_path):
    (tmp_path / "sats.tle").write_text(starlink_like(4))
    raw = default_scenario_dict(traffic=[], outputs={}, epoch=EPOCH)
    raw["constellation"]["tiers"].append(
        {"name": "real", "tle": [{"name": "sl", "file": str(tmp_path / "sats.tle"), "max_satellites": 2}],
         "terminals": {"isl": {"count": 0}}})
    eph = constellation_ephemeris(scenario_from_dict(raw))
    assert eph.names[144:] == ("sl-44700", "sl-44701")


def test_bad_checksum_names_file_and_line(tmp_path):
    bad = ISS.replace("9991\n", "9992\n")
    path = tmp_path / "bad.tle"
    path.write_text(bad)
    with pytest.raises(ScenarioError) as err:
        read_tle(path)
    assert "bad.tle" in str(err.value) and "line 2: bad checksum" in err.value.problem


def test_bad_checksum_fails_scenario_validation(tmp_path):
    (tmp_path / "bad.tle").write_text(ISS.replace("202482", "202483"))
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"]["tiers"].append({"name": "real", "tle": [{"name": "x", "file": str(tmp_path / "bad.tle")}]})
    with pytest.raises(ScenarioError, match="line 3: bad checksum"):
        scenario_from_dict(raw)


@pytest.mark.parametrize("text, words", [
    ("1 25544U 98067A\n", "line 2: expected TLE line 2"),
    (ISS.splitlines()[1][:60] + "\n" + ISS.splitlines()[2] + "\n", "line 1: a TLE line has 69 columns"),
    ("NAME\nOTHER\n", "line 2: expected TLE line 1"),
    ("", "no TLE sets found"),
])
def test_malformed_tle_names_the_line(text, words):
    with pytest.raises(ScenarioError, match=words):
        parse_tle(text, "x.tle")


def test_missing_tle_file_names_the_key():
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"]["tiers"].append({"name": "real", "tle": [{"name": "x", "file": "/nonexistent.tle"}]})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "s.yaml")
    assert err.value.key == "constellation.tiers[1].tle[0].file"


def test_tle_satellites_are_vectorised():
    records = parse_tle(starlink_like(50))
    sats = TleSatellites("sl", records, dt.datetime(2019, 12, 9, 17))  # 50 sets, one SatrecArray call
    pos, vel = np.empty((50, 3)), np.empty((50, 3))
    sats.write(60.0, pos, vel)
    assert np.all(np.abs(np.linalg.norm(pos, axis=1) - 6.92e6) < 3e4)
