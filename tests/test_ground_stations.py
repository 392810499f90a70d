"""Ground stations on the rotating Earth: frame, bundled sets, passes overhead."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.scenario.model import GroundStation
from netsim.scenario.load import scenario_from_dict
from netsim.errors import ScenarioError
from netsim.space.geometry import elevation_rad
from netsim.space.sites import earth_rotation_angle, ground_sites
from netsim.scenario.stations import station_set
from netsim.space.orbits import constellation_ephemeris

EPOCH = dt.datetime(2026, 1, 1)


def test_inertial_frame_matches_astropy_cirs():
    """netsim's frame is Earth-fixed turned by ERA: astropy's ITRS -> CIRS, less polar
    motion (~10 m) and UT1 - UTC (~0.1 s -> ~40 m at the equator)."""
    from astropy import units as u
    from astropy.coordinates import CIRS, EarthLocation
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    stations = [GroundStation(name="quito", lat_deg=-0.18, lon_deg=-78.47, alt_km=2.85),
                GroundStation(name="oslo", lat_deg=59.91, lon_deg=10.75, alt_km=0.02)]
    sites = ground_sites(stations, EPOCH)
    for t_s in (0.0, 5000.0):
        pos, _ = sites.at(t_s)
        when = Time(EPOCH, scale="utc") + t_s * u.s
        for g, st in enumerate(stations):
            loc = EarthLocation.from_geodetic(st.lon_deg * u.deg, st.lat_deg * u.deg, st.alt_km * u.km)
            cirs = loc.get_itrs(obstime=when).transform_to(CIRS(obstime=when))
            ref = cirs.cartesian.xyz.to_value(u.m)
            assert np.linalg.norm(pos[g] - ref) < 100.0


def test_station_passes_under_an_equatorial_satellite_at_predicted_times():
    """Equatorial orbit, station on the equator: the satellite is overhead when the angles
    meet, t* = (theta0 + lon - u0) / (n - omega_E), and above an elevation mask e for a
    central angle lambda = acos(r cos e / a) - e either side (spherical geometry)."""
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"] = {"tiers": [{"name": "eq", "shells": [
        {"altitude_km": 550, "inclination_deg": 0, "planes": 1, "sats_per_plane": 1}]}]}
    orbits = constellation_ephemeris(scenario_from_dict(raw))
    omega = 7.292115e-5
    n = 2 * np.pi / float(orbits.period_s[0])
    theta0 = earth_rotation_angle(EPOCH)
    lon = np.degrees(-theta0 + 0.3) % 360 - 180  # overhead a little after t = 0
    station = GroundStation(name="eq", lat_deg=0.0, lon_deg=float(lon), alt_km=0.0)
    sites = ground_sites([station], EPOCH)
    t_star = ((theta0 + np.radians(lon)) % (2 * np.pi)) / (n - omega)

    def elevation(t_s):
        pos, _ = orbits.at(t_s)
        site, _ = sites.at(t_s)
        return float(elevation_rad(site, sites.up_at(t_s), pos)[0, 0])

    assert np.degrees(elevation(t_star)) == pytest.approx(90.0, abs=1e-4)
    mask = np.radians(25.0)
    a = np.linalg.norm(orbits.at(0.0)[0][0])
    r = np.linalg.norm(sites.ecef_m[0])
    half = (np.arccos(r * np.cos(mask) / a) - mask) / (n - omega)

    def crossing(lo, hi):  # bisection on elevation - mask
        rising = elevation(lo) < mask
        for _ in range(60):
            mid = (lo + hi) / 2
            if (elevation(mid) < mask) == rising:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    assert crossing(t_star - 2 * half, t_star) == pytest.approx(t_star - half, abs=0.01)
    assert crossing(t_star, t_star + 2 * half) == pytest.approx(t_star + half, abs=0.01)


def test_bundled_cities_load_from_yaml_with_extra_stations():
    rows = station_set("cities100")
    assert len(rows) == 100 and rows[0]["name"] == "tokyo"
    assert len({r["name"] for r in rows}) == 100
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["ground_stations"] = {"set": "cities100", "first": 10,
                              "stations": [{"name": "svalbard", "lat_deg": 78.23, "lon_deg": 15.39}]}
    scenario = scenario_from_dict(raw)
    names = [g.name for g in scenario.ground_stations]
    assert len(names) == 11 and names[0] == "tokyo" and names[-1] == "svalbard"
    sites = ground_sites(scenario.ground_stations, EPOCH)
    assert np.allclose(np.linalg.norm(sites.up, axis=1), 1.0)


@pytest.mark.parametrize("spec, key, words", [
    ({"set": "capitals"}, "ground_stations.set", "sets: cities100"),
    ({"set": "cities100", "first": 0}, "ground_stations.first", "1 to 100"),
    ({"set": "cities100", "top": 3}, "ground_stations.top", "allowed keys"),
    ({"set": "cities100", "stations": [{"name": "tokyo", "lat_deg": 0, "lon_deg": 0}]}, "ground_stations",
     "used twice"),
])
def test_bad_station_sets_name_the_key(spec, key, words):
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["ground_stations"] = spec
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "s.yaml")
    assert err.value.key == key and words in err.value.problem


def test_a_satellite_straight_overhead_is_at_90_degrees_never_nan():
    # Overhead, look . up / |look| rounds to 1 + 4e-16 for ~1 site in 5 (arcsin -> nan
    # without the clip); the elevation must be exactly 90 degrees for every site.
    rng = np.random.default_rng(1)
    site = rng.normal(size=(500, 3))
    site *= 6.371e6 / np.linalg.norm(site, axis=1)[:, None]
    up = site / np.linalg.norm(site, axis=1)[:, None]
    overhead = site + up * rng.uniform(3e5, 2e6, size=(500, 1))
    el = np.array([elevation_rad(site[i:i + 1], up[i:i + 1], overhead[i:i + 1])[0, 0] for i in range(500)])
    assert np.all(np.abs(el - np.pi / 2) < 1e-7)
