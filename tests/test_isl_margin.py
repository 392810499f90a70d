"""+Grid links that lose and regain their optical margin: the `margin` and `restored`
events of handovers.csv against link lengths computed here, links.csv up/dark seconds
against those events, and routes that never use a link beyond the range limit.

The required margin is set (from the reference link budget, tests/optics_reference.py)
so that the maximum range is 3,650 km: between the in-plane links of the 12 x 12 shell
(3,586 km, always up) and the longest cross-plane links (3,769 km). Over 80 s a few
cross-plane links cross it each way."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
import yaml

import optics_reference as ref
from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris

MAX_RANGE_M = 3650e3
ACQUISITION_S = 2.5
DURATION_S = 80.0
INTERVAL_S = 0.5


def required_margin_db(distance_m: float) -> float:
    """The margin the default terminal (1 W, 80 mm, 1 µrad bias at each end, EDFA pre-amplified
    receiver, BER 1e-12) has at distance_m: requiring it puts the range limit there."""
    df = 10e9 / 2
    received = ref.received_power_w(1.0, 0.8, 0.08, 0.08, 0.8, 1550e-9, distance_m, 1e-6)
    received *= ref.receive_pointing_loss(0.08, 1550e-9, 1e-6)  # the receiver's 1 µrad too
    sensitivity = ref.preamp_sensitivity_w(ref.q_for_ber(1e-12), 0.9, 20e-12 * np.sqrt(df), df, 10 ** 3.0,
                                           10 ** 0.45, 20e9, 1550e-9)
    return ref.db(received / sensitivity)


def margin_scenario(**laser) -> dict:
    raw = default_scenario_dict(duration_s=DURATION_S, drain_s=0.0)
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "acquisition_s": ACQUISITION_S}}
    raw["laser"] = {"required_margin_db": required_margin_db(MAX_RANGE_M), **laser}
    raw["routing"] = {"update_interval_s": INTERVAL_S}
    raw["traffic"] = [{"name": "probe", "src": "london", "dst": "sydney", "rate_mbps": 0.1, "packet_bytes": 100,
                       "start_s": 0.1, "stop_s": DURATION_S - 0.1}]
    raw["outputs"] = {"pcap_nodes": []}
    return raw


@pytest.fixture(scope="module")
def margin_run(tmp_path_factory):
    from netsim.run.runner import run

    scenario = scenario_from_dict(margin_scenario())
    out = tmp_path_factory.mktemp("margin")
    run(scenario, out)
    events = [r for r in csv.DictReader((out / "handovers.csv").open()) if r["cause"] in ("margin", "restored")]
    links = [r for r in csv.DictReader((out / "links.csv").open()) if r["kind"] == "isl"]
    return scenario, events, links


def length_m(orbits, names, a: str, b: str, t_s: float) -> float:
    pos, _ = orbits.at(t_s)
    return float(np.linalg.norm(pos[names.index(a)] - pos[names.index(b)]))


def test_margin_and_restored_events_follow_the_link_length(margin_run):
    scenario, events, _ = margin_run
    orbits = constellation_ephemeris(scenario)
    names = list(orbits.names)
    causes = [e["cause"] for e in events]
    assert causes.count("margin") >= 2 and causes.count("restored") >= 2, causes
    for e in events:
        t = float(e["time_s"])
        a = e["node"]
        b = e["old_peer"] or e["new_peer"]
        now, before = length_m(orbits, names, a, b, t), length_m(orbits, names, a, b, t - INTERVAL_S)
        if e["cause"] == "margin":  # fell beyond the range at this update, within it at the last
            assert before <= MAX_RANGE_M < now and e["old_peer"] and not e["new_peer"], e
            assert float(e["outage_s"]) == 0.0
        else:  # back within range: acquires again (same partner, no slew)
            assert now <= MAX_RANGE_M < before and e["new_peer"] and not e["old_peer"], e
            assert float(e["outage_s"]) == ACQUISITION_S


def test_isl_up_and_dark_seconds_add_up_to_the_events(margin_run):
    scenario, events, links = margin_run
    orbits = constellation_ephemeris(scenario)
    names = list(orbits.names)
    end = DURATION_S
    by_link = {}
    for e in events:
        by_link.setdefault((e["node"], int(e["terminal"]), e["old_peer"] or e["new_peer"]), []).append(e)
    checked = 0
    for row in links:
        key = (row["node_a"], int(row["port_a"]), row["node_b"])
        # Connected at t = 0 when within range (a warm start: up at once), then per event.
        connected = length_m(orbits, names, row["node_a"], row["node_b"], 0.0) <= MAX_RANGE_M
        since, dark_until = 0.0, 0.0
        up_s = dark_s = 0.0
        for e in by_link.get(key, []):
            t = float(e["time_s"])
            if e["cause"] == "margin":
                assert connected
                dark_s += min(dark_until, t) - min(since, t) if dark_until > since else 0.0
                up_s += t - max(since, min(dark_until, t))
                connected = False
            else:
                assert not connected
                connected, since, dark_until = True, t, t + float(e["outage_s"])
        if connected:
            dark_s += max(0.0, min(dark_until, end) - since)
            up_s += end - max(since, min(dark_until, end))
        assert float(row["up_s"]) == pytest.approx(up_s, abs=1e-6), (row, by_link.get(key))
        assert float(row["dark_s"]) == pytest.approx(dark_s, abs=1e-6), row
        assert float(row["availability"]) == pytest.approx(up_s / end, abs=1e-6)
        checked += key in by_link
    assert checked >= 4  # links with events, not only links up all along


def route_hops(tmp_path, raw) -> list[tuple[float, str, str]]:
    """(time, satellite, satellite) of every inter-satellite hop of every routed path
    between all station pairs, from `netsim paths`."""
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = path.with_suffix("")
    subprocess.run([sys.executable, "-m", "netsim.cli.main", "paths", str(path), "--pairs", "all", "--to", "40", "--out", str(out),
                    "--quiet"], check=True, capture_output=True, timeout=300)
    hops = []
    for row in csv.DictReader((out / "rtt.csv").open()):
        assert row["reachable"] == "True"
        nodes = row["path"].split(">")
        hops += [(float(row["time_s"]), a, b) for a, b in zip(nodes[1:-2], nodes[2:-1])]
    return hops


def test_routes_never_use_a_link_beyond_the_range_limit(tmp_path):
    scenario = scenario_from_dict(margin_scenario())
    orbits = constellation_ephemeris(scenario)
    names = list(orbits.names)

    def longest(raw):
        return max(length_m(orbits, names, a, b, t) for t, a, b in route_hops(tmp_path, raw))

    def hop_metric(raw):
        # Minimum-hop routes do not avoid long links on their own, as delay routes do.
        raw["routing"]["metric"] = "hops"
        return raw

    assert longest(hop_metric(margin_scenario())) <= MAX_RANGE_M
    # The same routes with ideal links (no range limit) do use longer links: the limit bites.
    assert longest(hop_metric(margin_scenario(physics=False))) > MAX_RANGE_M


def test_a_link_that_drifts_out_of_range_between_updates_loses_its_packets_as_link_down(margin_run, tmp_path):
    """Routes change only at routing updates; the core checks the range per packet. A
    flow over the first link to fall past the limit (between updates 5 s apart) loses
    exactly the packets sent from the instant the link crosses 3,650 km (found here by
    bisection on the ephemeris) until the next update, which routes around it."""
    from netsim.run.runner import run

    scenario, events, _ = margin_run
    fall = next(e for e in events if e["cause"] == "margin")
    a, b, t_fall = fall["node"], fall["old_peer"], float(fall["time_s"])
    orbits = constellation_ephemeris(scenario)
    names = list(orbits.names)
    lo, hi = t_fall - INTERVAL_S, t_fall  # within range at lo, beyond at hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if length_m(orbits, names, a, b, mid) <= MAX_RANGE_M else (lo, mid)
    crossing = hi
    update = 5.0 * np.floor(crossing / 5.0)  # the routing update before the crossing
    next_update = update + 5.0
    interval = 0.008  # 1,000-byte packets at 1 Mbit/s
    start = update + 0.0501

    raw = margin_scenario()
    raw["duration_s"] = next_update + 1.0
    raw["routing"]["update_interval_s"] = 5.0
    raw["traffic"] = [{"name": "across", "src": a, "dst": b, "rate_mbps": 1.0, "packet_bytes": 1000,
                       "start_s": start, "stop_s": next_update + 0.9}]
    raw["drain_s"] = 0.1
    flow = run(scenario_from_dict(raw), tmp_path / "drift").flows[0]
    sent = start + interval * np.arange(flow["packets_sent"])
    lost = int(np.sum((sent >= crossing) & (sent < next_update)))
    assert 50 < lost < flow["packets_sent"] / 2
    assert flow["lost_link_down"] == lost == flow["packets_lost"], (flow, crossing)


def test_a_restored_link_is_routed_only_once_its_acquisition_is_over():
    # Network state alone (no packets): a +Grid link back within range at t is dark until
    # t + ACQUISITION_S (absent from the routing graph), then routed.
    from netsim.run.network_state import NetworkStates

    states = NetworkStates(scenario_from_dict(margin_scenario()))
    index = {name: i for i, name in enumerate(states.layout.satellite_names)}
    pending = {}  # (a, b) -> time its acquisition ends
    checked_dark = checked_up = 0
    for t in np.arange(0.0, 40.0, INTERVAL_S):
        snap = states.at(float(t))
        for h in snap.handovers:
            if h["cause"] == "restored":
                pending[(index[h["node"]], index[h["new_peer"]])] = float(t) + float(h["outage_s"])
            elif h["cause"] == "margin":
                pending.pop((index[h["node"]], index[h["old_peer"]]), None)
        routed = set(zip(snap.links.node_a.tolist(), snap.links.node_b.tolist()))
        for (a, b), ready_s in list(pending.items()):
            if t < ready_s - 1e-9:
                assert (a, b) not in routed and (b, a) not in routed, (t, a, b)
                checked_dark += 1
            else:
                assert (a, b) in routed or (b, a) in routed, (t, a, b)
                checked_up += 1
                del pending[(a, b)]
    assert checked_dark >= 4 and checked_up >= 1
