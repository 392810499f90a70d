"""Ground handovers: when they happen, what they cost, and the limits they respect."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.space.geometry import elevation_rad
from netsim.run.network_state import NetworkStates
from netsim.space.orbits import constellation_ephemeris
from netsim.space.sites import ground_sites


def single_station(**ground_links) -> dict:
    raw = default_scenario_dict(duration_s=40.0, drain_s=0.5)
    raw["ground_stations"] = raw["ground_stations"][:2]  # london, new_york
    raw["ground_links"] = {"elevation_mask_deg": 10, "terminals_per_satellite": 2, **ground_links}
    raw["routing"] = {"update_interval_s": 0.5}
    raw["traffic"] = []
    raw["outputs"] = {"pcap_nodes": []}
    return raw


def test_sticky_station_hands_over_when_its_satellite_sets_below_the_mask():
    # With a huge switch margin a station only leaves a satellite that sets.
    scenario = scenario_from_dict(single_station(switch_margin=1e9, acquisition_s=0.0))
    states = NetworkStates(scenario)
    orbits = constellation_ephemeris(scenario)
    events = []
    for t in np.arange(0, 600.0, 0.5):
        events += [e for e in states.at(float(t)).handovers if e["node"] == "london"]
    sets = [e for e in events if e["cause"] == "set_below_mask"]
    assert sets, "a 10-minute window must see london's satellite set"
    names = list(orbits.names)
    site = states.sites
    mask = np.radians(10)
    for event in sets:
        old = names.index(event["old_peer"])
        t = event["time_s"]
        # Geometry: the satellite was above the mask one update earlier and is below now.
        for when, above in ((t - 0.5, True), (t, False)):
            sat_pos, _ = orbits.at(when)
            gs_pos, _ = site.at(when)
            el = elevation_rad(gs_pos[:1], site.up_at(when)[:1], sat_pos[old:old + 1])[0, 0]
            assert (el >= mask) == above, (event, when, np.degrees(el))


def test_terminal_counts_and_field_of_regard_are_respected():
    raw = single_station(terminals_per_satellite=1, satellite_field_of_regard_deg=55)
    raw["ground_stations"] = default_scenario_dict()["ground_stations"] + [
        {"name": "paris", "lat_deg": 48.8566, "lon_deg": 2.3522},
        {"name": "brussels", "lat_deg": 50.8503, "lon_deg": 4.3517}]
    states = NetworkStates(scenario_from_dict(raw))
    n_sat = states.n_satellites
    for t in np.arange(0, 300.0, 5.0):
        snap = states.at(float(t))
        assert np.bincount(snap.ground.satellite).max(initial=0) <= 1  # one ground terminal per satellite
        for g, sat in zip(snap.ground.station, snap.ground.satellite):
            to_station = snap.pos_m[n_sat + g] - snap.pos_m[sat]  # off-nadir angle, from its definition
            angle = np.arccos(np.dot(to_station, -snap.pos_m[sat]) /
                              (np.linalg.norm(to_station) * np.linalg.norm(snap.pos_m[sat])))
            assert angle <= np.radians(55) + 1e-12


def slew_s(orbits, sites, names, event, rate_deg_s) -> float:
    """Re-pointing time of a ground handover, from the geometry here: the angle at the
    station between the old and the new satellite at the handover, over the slew rate."""
    t = float(event["time_s"])
    sat_pos, _ = orbits.at(t)
    station = sites.at(t)[0][list(sites.names).index(event["node"])]
    old = sat_pos[names.index(event["old_peer"])] - station
    new = sat_pos[names.index(event["new_peer"])] - station
    angle = np.arccos(np.clip(old @ new / (np.linalg.norm(old) * np.linalg.norm(new)), -1.0, 1.0))
    return float(angle / np.radians(rate_deg_s))


def test_slew_time_follows_the_slew_rate():
    scenario = scenario_from_dict(single_station(max_slew_rate_deg_s=2.0, acquisition_s=1.5))
    states = NetworkStates(scenario)
    orbits = constellation_ephemeris(scenario)
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    names = list(orbits.names)
    reassigned = []
    for t in np.arange(0, 900.0, 0.5):
        reassigned += [e for e in states.at(float(t)).handovers if e["old_peer"] and e["new_peer"]]
    assert reassigned
    for event in reassigned:
        # Outage = slew (angle / rate) + acquisition, to float precision.
        assert event["outage_s"] == pytest.approx(slew_s(orbits, sites, names, event, 2.0) + 1.5, abs=1e-9)
        assert event["outage_s"] > 1.5 + 1.0  # the slew is seconds here, not a rounding


ISOLATED_INTERVAL_S = 0.0007  # packets never land on a routing-update boundary
ACQUISITION_S, SLEW_DEG_S = 0.4, 20.0


@pytest.fixture(scope="module")
def one_handover(tmp_path_factory):
    """london alone sends to a satellite (nothing else hands over on its path), 12 s,
    nearest satellite without hysteresis: exactly one handover, at 3.0 s."""
    from netsim.run.runner import run

    raw = single_station(acquisition_s=ACQUISITION_S, max_slew_rate_deg_s=SLEW_DEG_S, policy="nearest",
                         switch_margin=0.0)
    raw["ground_stations"] = raw["ground_stations"][:1]
    raw["duration_s"], raw["drain_s"] = 12.0, 0.5
    raw["traffic"] = [{"name": "up", "src": "london", "dst": "vleo-3-4", "packet_bytes": 500,
                       "rate_mbps": 500 * 8 / ISOLATED_INTERVAL_S / 1e6, "start_s": 0.0, "stop_s": 12.0}]
    scenario = scenario_from_dict(raw)
    out = tmp_path_factory.mktemp("one-handover")
    return scenario, run(scenario, out), out


def test_one_handover_drops_exactly_the_packets_sent_into_its_window(one_handover):
    scenario, result, out = one_handover
    events = list(csv.DictReader((out / "handovers.csv").open()))
    assert len(events) == 1 and events[0]["node"] == "london", events
    event = events[0]
    start, outage = float(event["time_s"]), float(event["outage_s"])
    orbits = constellation_ephemeris(scenario)
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    slew = slew_s(orbits, sites, list(orbits.names), event, SLEW_DEG_S)
    assert outage == pytest.approx(slew + ACQUISITION_S, abs=1e-6)  # the table rounds to 1 µs
    assert slew > 1.0  # this handover re-points by tens of degrees

    all_sent = np.arange(0.0, 12.0, ISOLATED_INTERVAL_S)
    flow = result.flows[0]
    assert flow["packets_sent"] == len(all_sent)
    packets = result.packets
    assert np.all(np.abs(packets.sent_ns * 1e-9 - all_sent[packets.seq]) < 1e-9)  # the schedule assumed here
    in_window = (all_sent >= start) & (all_sent < start + outage)
    # Exactly the packets sent into the dark window are lost, to the handover; all others arrive.
    assert set(packets.seq.tolist()) == set(np.flatnonzero(~in_window).tolist())
    assert flow["lost_handover"] == flow["packets_lost"] == int(in_window.sum()) > 6000


def test_links_table_adds_up_to_the_handover_table(one_handover):
    """links.csv: london's old link was up until the handover, the new one dark for the
    outage and up after it; every +Grid link was up the whole run (no ISL events)."""
    scenario, _, out = one_handover
    end = scenario.duration_s + scenario.drain_s
    event = next(csv.DictReader((out / "handovers.csv").open()))
    start, outage = float(event["time_s"]), float(event["outage_s"])
    rows = list(csv.DictReader((out / "links.csv").open()))
    ground = {r["node_b"]: r for r in rows if r["kind"] == "ground"}
    assert set(ground) == {event["old_peer"], event["new_peer"]}
    old, new = ground[event["old_peer"]], ground[event["new_peer"]]
    assert (float(old["up_s"]), float(old["dark_s"])) == pytest.approx((start, 0.0), abs=1e-6)
    assert (float(new["up_s"]), float(new["dark_s"])) == pytest.approx((end - start - outage, outage), abs=1e-6)
    assert float(new["availability"]) == pytest.approx((end - start - outage) / end, abs=1e-6)
    isl = [r for r in rows if r["kind"] == "isl"]
    assert len(isl) == 144 * 2
    assert all(float(r["up_s"]) == pytest.approx(end) and float(r["dark_s"]) == 0.0 for r in isl)
