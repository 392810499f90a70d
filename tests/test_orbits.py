"""The fast orbit path against poliastro (hapsira) and orbital mechanics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.space import walker
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris, earth_constants, reference_state


@pytest.fixture(scope="module")
def orbits():
    return constellation_ephemeris(scenario_from_dict(default_scenario_dict()))


def three_tier(**constellation) -> dict:
    """Two tiers, one shell given by mean motion and its own epoch."""
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"] = {"tiers": [
        {"name": "vleo", "shells": [{"altitude_km": 500, "inclination_deg": 53, "planes": 10,
                                     "sats_per_plane": 8, "phasing": 3}]},
        {"name": "meo", "shells": [{"mean_motion_rev_per_day": 12.0, "inclination_deg": 97.5, "planes": 6,
                                    "sats_per_plane": 5, "phasing": 1, "pattern": "star",
                                    "epoch": "2025-12-31T23:00:00"}]},
    ], **constellation}
    return raw


def test_fast_path_matches_poliastro_within_1_m_over_one_orbit(orbits):
    period = float(orbits.period_s[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hapsira wraps the true anomaly
        for index in (0, 13, 77, 143):
            for t_s in np.linspace(0, period, 7):
                pos, vel = orbits.at(t_s)
                ref_pos, ref_vel = reference_state(orbits, index, t_s)
                assert np.linalg.norm(pos[index] - ref_pos) < 1.0
                assert np.linalg.norm(vel[index] - ref_vel) < 1e-3


def test_tiers_mean_motion_and_shell_epochs_match_poliastro():
    eph = constellation_ephemeris(scenario_from_dict(three_tier()))
    assert len(eph) == 80 + 30 and eph.names[80] == "meo-0-0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in (5, 79, 80, 109):
            for t_s in np.linspace(0, float(eph.period_s[index]), 5):
                pos, _ = eph.at(t_s)
                ref_pos, _ = reference_state(eph, index, t_s)
                assert np.linalg.norm(pos[index] - ref_pos) < 1.0
    # The MEO shell's pattern holds one hour before the scenario epoch.
    part, _ = eph.locate(80)
    assert part.epoch_offset_s == 3600.0


def test_period_is_kepler_third_law(orbits):
    gm, radius = earth_constants()
    a = radius + 550e3
    assert orbits.period_s[0] == pytest.approx(2 * np.pi * np.sqrt(a**3 / gm), rel=1e-12)
    start, _ = orbits.at(0.0)
    after, _ = orbits.at(float(orbits.period_s[0]))
    assert np.max(np.linalg.norm(after - start, axis=1)) < 1e-3


def test_mean_motion_gives_its_period():
    eph = constellation_ephemeris(scenario_from_dict(three_tier()))
    assert eph.period_s[80] == pytest.approx(86400.0 / 12.0, rel=1e-12)


def test_walker_in_plane_neighbours_at_chord_distance(orbits):
    _, radius = earth_constants()
    a = radius + 550e3
    pos, _ = orbits.at(123.0)
    chord = 2 * a * np.sin(np.pi / 12)  # 12 satellites per plane
    assert np.linalg.norm(pos[1] - pos[0]) == pytest.approx(chord, rel=1e-9)


def test_walker_cross_plane_closest_approach_is_analytic(orbits):
    """Plane 0 slot 0 and plane 1 slot k: closest at cos(2u + du) = -1 (netsim.space.walker)."""
    _, radius = earth_constants()
    a = radius + 550e3
    inc, planes, per_plane, phasing = np.radians(53), 12, 12, 1
    period = float(orbits.period_s[0])
    n = 2 * np.pi / period
    samples = np.linspace(0, period, 721)
    dense = np.array([orbits.at(t)[0] for t in samples])  # (time, sat, 3), 144 satellites
    for k in range(per_plane):
        du = 2 * np.pi * ((k / per_plane + phasing / (planes * per_plane)) % 1.0)
        predicted = 2 * a * np.sin(walker.closest_approach_rad(inc, 2 * np.pi / planes, du) / 2)
        # At u = (pi - du) / 2 (mod pi) the pair is at its closest.
        u0 = 0.0  # plane 0 slot 0 starts at the node
        t_min = (((np.pi - du) / 2 - u0) % np.pi) / n
        pos, _ = orbits.at(t_min)
        assert np.linalg.norm(pos[per_plane + k] - pos[0]) == pytest.approx(predicted, rel=1e-9, abs=1e-3)
        sampled = np.linalg.norm(dense[:, per_plane + k] - dense[:, 0], axis=1)
        assert sampled.min() >= predicted - 1e-3
    # The shell's overall closest pair is what the scan over (dp, dk) reports.
    angle, dp, dk = walker.closest_pair(inc, planes, per_plane, phasing, 2 * np.pi)
    all_pairs = np.linalg.norm(dense[:, :, None, :] - dense[:, None, :, :], axis=-1)
    all_pairs[:, np.arange(144), np.arange(144)] = np.inf
    chord = 2 * a * np.sin(angle / 2)
    assert all_pairs.min() >= chord - 1e-3
    du = 2 * np.pi * ((dk / per_plane + phasing * dp / (planes * per_plane)) % 1.0)
    pos, _ = orbits.at((((np.pi - du) / 2) % np.pi) / n)
    assert np.linalg.norm(pos[dp * per_plane + dk] - pos[0]) == pytest.approx(chord, abs=1e-3)


def test_j2_sun_synchronous_node_drift():
    """At 700 km a sun-synchronous orbit has i = 98.19 deg (Wertz, SMAD 3rd ed., Table
    6-5 / Vallado 2013 ex. 9-4), i.e. its node turns 360 deg per tropical year."""
    raw = three_tier(propagation="j2")
    raw["constellation"]["tiers"][1]["shells"][0].update(mean_motion_rev_per_day=None, altitude_km=700,
                                                         inclination_deg=98.19)
    del raw["constellation"]["tiers"][1]["shells"][0]["mean_motion_rev_per_day"]
    eph = constellation_ephemeris(scenario_from_dict(raw))
    part, _ = eph.locate(80)
    raan_rate, _ = part.rates_rad_s
    assert raan_rate == pytest.approx(2 * np.pi / (365.2422 * 86400), rel=5e-3)


def test_j2_secular_drift_matches_poliastro_cowell():
    """Node drift over 10 orbits from hapsira's Cowell + J2 (osculating node sampled at the
    same argument of latitude, so the short-period terms cancel)."""
    from astropy import units as u
    from hapsira.bodies import Earth
    from hapsira.core.perturbations import J2_perturbation
    from hapsira.core.propagation import func_twobody
    from hapsira.twobody import Orbit
    from hapsira.twobody.propagation import CowellPropagator

    eph = constellation_ephemeris(scenario_from_dict(three_tier(propagation="j2")))
    part, _ = eph.locate(0)
    raan_rate, u_rate = part.rates_rad_s
    orbit = Orbit.from_classical(Earth, part.semi_major_axis_m * u.m, 0 * u.one, part.inclination_rad * u.rad,
                                 0 * u.rad, 0 * u.rad, 0 * u.rad)
    k, radius, j2 = Earth.k.to_value(u.km**3 / u.s**2), Earth.R.to_value(u.km), Earth.J2.value

    def accel(t0, state, mu):
        return func_twobody(t0, state, mu) + np.r_[0, 0, 0, J2_perturbation(t0, state, mu, j2, radius)]

    nodal_period = 2 * np.pi / u_rate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        later = orbit.propagate(10 * nodal_period * u.s, method=CowellPropagator(f=accel, rtol=1e-11))
    h = np.cross(later.r.to_value(u.km), later.v.to_value(u.km / u.s))
    h0 = np.cross(orbit.r.to_value(u.km), orbit.v.to_value(u.km / u.s))
    drift = np.arctan2(h[0], -h[1]) - np.arctan2(h0[0], -h0[1])
    assert drift == pytest.approx(raan_rate * 10 * nodal_period, rel=0.02)
    assert k > 0


def test_windows_stream_the_same_states(orbits):
    seen = []
    for times, pos, vel in orbits.windows(0.0, 9.0, 1.0, steps_per_window=4):
        assert pos.shape[0] == len(times) <= 4
        for w, t_s in enumerate(times):
            ref_pos, ref_vel = orbits.at(t_s)
            np.testing.assert_array_equal(pos[w], ref_pos)
            np.testing.assert_array_equal(vel[w], ref_vel)
        seen.extend(times)
    assert seen == list(np.arange(10.0))


def test_velocity_is_the_derivative_of_position_with_j2():
    eph = constellation_ephemeris(scenario_from_dict(three_tier(propagation="j2")))
    h = 1e-3
    (p1, _), (p2, _), (_, v) = eph.at(100 - h), eph.at(100 + h), eph.at(100)
    np.testing.assert_allclose((p2 - p1) / (2 * h), v, atol=1e-4)


# ---------------------------------------------------------------------------------------
# Walker layouts against hapsira, from the textbook definition (not from netsim's elements)

def walker_reference_km(a_m, inclination_deg, planes, per_plane, phasing, spread_deg, index, t_s):
    """Position (m) of satellite `index` (= p * S + k) of a Walker shell i:T/P/F t_s after
    the epoch at which its pattern holds: node of plane p at p * spread / P, argument of
    latitude 2 pi (k / S + F p / T) (Walker 1984, J. Br. Interplanet. Soc. 37), circular,
    propagated by hapsira's own two-body propagator."""
    from astropy import units as u
    from hapsira.bodies import Earth
    from hapsira.twobody import Orbit

    total = planes * per_plane
    p, k = index // per_plane, index % per_plane
    raan = np.radians(spread_deg) * p / planes
    arg_lat = 2 * np.pi * ((k / per_plane + phasing * p / total) % 1.0)
    orbit = Orbit.from_classical(Earth, a_m * u.m, 0 * u.one, np.radians(inclination_deg) * u.rad, raan * u.rad,
                                 0 * u.rad, arg_lat * u.rad)
    return orbit.propagate(t_s * u.s).r.to_value(u.m)


WALKER_SHELLS = [
    # (shell keys, pattern spread in deg as Walker defines it, offset of the shell epoch in s)
    ({"altitude_km": 500, "inclination_deg": 53, "planes": 10, "sats_per_plane": 8, "phasing": 3}, 360.0, 0.0),
    ({"altitude_km": 780, "inclination_deg": 86.4, "planes": 6, "sats_per_plane": 11, "phasing": 2,
      "pattern": "star"}, 180.0, 0.0),
    ({"altitude_km": 1200, "inclination_deg": 40, "planes": 4, "sats_per_plane": 6, "phasing": 1,
      "raan_spread_deg": 90}, 90.0, 0.0),
    # 12 rev/day (a from GM / n^2), star, its pattern held 1 h 30 min before the scenario epoch.
    ({"mean_motion_rev_per_day": 12.0, "inclination_deg": 97.5, "planes": 6, "sats_per_plane": 5, "phasing": 1,
      "pattern": "star", "epoch": "2025-12-31T22:30:00"}, 180.0, 5400.0),
]


@pytest.mark.parametrize("shell, spread_deg, offset_s", WALKER_SHELLS)
def test_walker_positions_match_hapsira_from_the_walker_definition(shell, spread_deg, offset_s):
    from hapsira.bodies import Earth

    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"] = {"tiers": [{"name": "w", "shells": [shell]}]}
    eph = constellation_ephemeris(scenario_from_dict(raw))
    gm, radius = Earth.k.to_value("m3/s2"), Earth.R.to_value("m")
    if "altitude_km" in shell:
        a = radius + shell["altitude_km"] * 1e3
    else:
        n = shell["mean_motion_rev_per_day"] * 2 * np.pi / 86400
        a = (gm / n**2) ** (1 / 3)
    total = shell["planes"] * shell["sats_per_plane"]
    # Every plane's first and last slot, and a few in between.
    sample = sorted({0, total - 1, *range(0, total, shell["sats_per_plane"]),
                     *range(shell["sats_per_plane"] - 1, total, shell["sats_per_plane"]), total // 2 + 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hapsira wraps the true anomaly
        for t_s in (0.0, 1234.5, 4000.0):
            pos, _ = eph.at(t_s)
            for index in sample:
                ref = walker_reference_km(a, shell["inclination_deg"], shell["planes"], shell["sats_per_plane"],
                                          shell["phasing"], spread_deg, index, t_s + offset_s)
                # Both are exact two-body circles; 1 m covers hapsira's Farnocchia solver.
                assert np.linalg.norm(pos[index] - ref) < 1.0, (shell, index, t_s)


def test_walker_star_spreads_nodes_over_half_a_turn():
    """A star pattern's planes counter-rotate at the seam: the node of the last plane sits
    180 * (P - 1) / P deg from the first (a delta's at 360 * (P - 1) / P)."""
    for pattern, last_node_deg in (("star", 150.0), ("delta", 300.0)):
        raw = default_scenario_dict(traffic=[], outputs={})
        raw["constellation"] = {"tiers": [{"name": "w", "shells": [
            {"altitude_km": 780, "inclination_deg": 86.4, "planes": 6, "sats_per_plane": 11, "pattern": pattern}]}]}
        pos, vel = constellation_ephemeris(scenario_from_dict(raw)).at(0.0)
        h = np.cross(pos[55], vel[55])  # plane 5's orbit normal: node at atan2(h_x, -h_y)
        assert np.degrees(np.arctan2(h[0], -h[1])) % 360 == pytest.approx(last_node_deg, abs=1e-9)


def test_positions_computed_in_chunks_equal_one_pass(orbits, monkeypatch):
    # Large constellations are propagated CHUNK_ROWS satellites at a time; 144 satellites
    # in chunks of 25 (the last one partial) must give the same bytes as one pass.
    import netsim.space.orbits as orbits_module

    whole_pos, whole_vel = orbits.at(123.4)
    monkeypatch.setattr(orbits_module, "CHUNK_ROWS", 25)
    chunked_pos, chunked_vel = orbits.at(123.4)
    assert len(orbits) % 25 != 0
    np.testing.assert_array_equal(chunked_pos, whole_pos)
    np.testing.assert_array_equal(chunked_vel, whole_vel)


@pytest.mark.parametrize("inclination_deg", [0.0, 53.0, 63.43, 97.6])
def test_j2_along_track_rate_is_vallados_mean_anomaly_plus_perigee_rate(inclination_deg):
    """For e = 0 the argument of latitude turns at dM/dt + dw/dt, with (Vallado 2013, eqs.
    9-41, 9-42 and §9.6) dM/dt = n + k (1 - 3/2 sin^2 i), dw/dt = k (2 - 5/2 sin^2 i),
    k = 3/2 n J2 (R/a)^2 - written out here, not taken from netsim."""
    from netsim.space.orbits import WalkerShellOrbits

    gm, radius, j2 = 3.986004418e14, 6_378_136.6, 1.08263e-3  # the constants of hapsira's Earth
    a = radius + 550e3
    shell = WalkerShellOrbits("s", a, np.radians(inclination_deg), 1, 1, 0, 2 * np.pi, j2=True)
    n = np.sqrt(gm / a**3)
    k = 1.5 * n * j2 * (radius / a) ** 2
    s2 = np.sin(np.radians(inclination_deg)) ** 2
    raan_rate, u_rate = shell.rates_rad_s
    assert u_rate == pytest.approx(n + k * (1 - 1.5 * s2) + k * (2 - 2.5 * s2), rel=1e-9)
    assert raan_rate == pytest.approx(-k * np.cos(np.radians(inclination_deg)), rel=1e-9, abs=1e-20)


def test_a_shell_epoch_offset_is_a_time_shift_with_j2_too():
    # t = 0 of the scenario is epoch_offset_s after the shell's epoch: with J2 the nodes
    # have drifted by then as well, so the shell equals the unshifted one an offset later.
    from netsim.space.orbits import WalkerShellOrbits

    kwargs = dict(name="s", semi_major_axis_m=6_378_136.6 + 550e3, inclination_rad=np.radians(53.0),
                  planes=6, per_plane=5, phasing=1, raan_spread_rad=2 * np.pi, j2=True)
    shifted, plain = WalkerShellOrbits(epoch_offset_s=5400.0, **kwargs), WalkerShellOrbits(**kwargs)
    for t in (0.0, 777.0):
        pos, vel = np.empty((30, 3)), np.empty((30, 3))
        ref_pos, ref_vel = np.empty((30, 3)), np.empty((30, 3))
        shifted.write(t, pos, vel)
        plain.write(t + 5400.0, ref_pos, ref_vel)
        np.testing.assert_allclose(pos, ref_pos, atol=1e-4)
        np.testing.assert_allclose(vel, ref_vel, atol=1e-7)
