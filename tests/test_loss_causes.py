"""Each loss cause of flows.csv provoked on purpose and counted against a hand
calculation: queue overflow (offered rate over line rate with a known queue), no route (a
station no satellite can see, both ways), bit errors (one laser hop with a known packet
error rate). Link-down losses (a link drifting out of range between routing updates):
tests/test_isl_margin.py; handover losses: tests/test_handovers.py."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import optics_reference as ref
from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict

START_S, STOP_S = 0.1001, 0.9001  # off the 0.1 s routing grid
POLE = {"name": "amundsen_scott", "lat_deg": -90.0, "lon_deg": 0.0}  # a 53 deg shell never rises there
LINE_RATE_BPS = 10e6
QUEUE_PACKETS = 50
CONGESTED = {"rate_mbps": 20.0, "packet_bytes": 1000}  # 2x the 10 Mbit/s line rate
PPP_IP_UDP_BYTES = 2 + 20 + 8


@pytest.fixture(scope="module")
def lossy_run(tmp_path_factory):
    """10 Mbit/s lasers with 50-packet queues; london offers 20 Mbit/s to new_york, and the
    South Pole station sends and receives."""
    from netsim.run.runner import run

    raw = default_scenario_dict(duration_s=1.0, drain_s=0.3)
    raw["ground_stations"] = raw["ground_stations"][:2] + [POLE]
    raw["laser"] = {"data_rate_gbps": LINE_RATE_BPS / 1e9, "queue_packets": QUEUE_PACKETS}
    slow = {"rate_mbps": 0.5, "packet_bytes": 500, "start_s": START_S, "stop_s": STOP_S}
    raw["traffic"] = [
        {"name": "congested", "src": "london", "dst": "new_york", **CONGESTED, "start_s": START_S, "stop_s": STOP_S},
        {"name": "to-pole", "src": "new_york", "dst": "amundsen_scott", **slow},
        {"name": "from-pole", "src": "amundsen_scott", "dst": "new_york", **slow},
    ]
    raw["outputs"] = {"pcap_nodes": []}
    out = tmp_path_factory.mktemp("lossy")
    result = run(scenario_from_dict(raw), out)
    return {f["flow"]: f for f in result.flows}, out


def sent_by_cbr(rate_mbps: float, packet_bytes: int) -> int:
    interval = packet_bytes * 8 / (rate_mbps * 1e6)
    return math.ceil((STOP_S - START_S) / interval - 1e-9)


def only(flow: dict, cause: str) -> None:
    causes = ("lost_bit_errors", "lost_link_down", "lost_queue_full", "lost_handover", "lost_no_route",
              "lost_ttl_expired", "lost_in_flight")
    assert {c: flow[c] for c in causes if c != cause and flow[c]} == {}, flow


def test_queue_overflow_loses_the_offered_packets_the_line_and_queue_cannot_take(lossy_run):
    flows, out = lossy_run
    flow = flows["congested"]
    n = sent_by_cbr(**CONGESTED)
    assert flow["packets_sent"] == n == 2000
    # Arrivals every 400 µs, one 1,030-byte frame leaves every 824 µs. From the first
    # arrival the laser never idles, so by the last arrival it has sent
    # floor((n - 1) 400 / 824) frames, has one on the wire and 50 waiting; every other
    # packet found the queue full. Downstream lasers run at the same rate: no more drops.
    interval = CONGESTED["packet_bytes"] * 8 / (CONGESTED["rate_mbps"] * 1e6)
    frame = (CONGESTED["packet_bytes"] + PPP_IP_UDP_BYTES) * 8 / LINE_RATE_BPS
    accepted = math.floor((n - 1) * interval / frame + 1e-9) + 1 + QUEUE_PACKETS
    assert flow["packets_received"] == accepted == 1021
    assert flow["lost_queue_full"] == n - accepted
    only(flow, "lost_queue_full")
    london = next(r for r in csv.DictReader((out / "link_traffic.csv").open())
                  if r["node"] == "london" and r["port"] == "0")
    assert int(london["drops_queue_full"]) == n - accepted and int(london["packets_sent"]) == accepted


def test_packets_for_a_station_no_satellite_sees_are_lost_for_want_of_a_route(lossy_run):
    flows, _ = lossy_run
    flow = flows["to-pole"]
    assert flow["packets_sent"] == sent_by_cbr(0.5, 500) == 100
    # The first satellite has no table entry toward the pole: every packet, none further.
    assert flow["lost_no_route"] == flow["packets_sent"] and flow["packets_received"] == 0
    only(flow, "lost_no_route")


def test_a_station_without_a_satellite_has_no_route_for_what_it_sends(lossy_run):
    flows, _ = lossy_run
    flow = flows["from-pole"]
    assert flow["packets_sent"] == 100
    # The station's own forwarder has no uplink toward anyone: every packet, at once.
    assert flow["lost_no_route"] == 100 and flow["packets_received"] == 0
    only(flow, "lost_no_route")


# ------------------------------------------------------------------------ bit errors

BIT_ERROR_LASER = {"tx_power_w": 1.5, "required_margin_db": -30.0, "receiver": {"type": "apd"}}


def test_bit_error_losses_on_one_hop_match_its_packet_error_rate(tmp_path):
    """vleo-0-0 to its in-plane neighbour vleo-0-1: one laser hop of constant length (the
    chord 2 a sin(pi / 12) of a 12-satellite plane), an APD receiver at 1.5 W, so
    PER ~ 0.37 per frame. Expected losses = frames x PER averaged over the Rice pointing
    errors of both ends (bias 1 µrad, jitter 1 µrad per axis each: the transmitter's
    pointing and the receiver's angle of arrival), from the reference formulas; the count
    is binomial, so the bar is 4 standard deviations (~2 % of the losses)."""
    from netsim.run.runner import run
    from netsim.space.orbits import earth_constants

    raw = default_scenario_dict(duration_s=1.0, drain_s=0.2)
    raw["laser"] = BIT_ERROR_LASER
    payload = 1000
    raw["traffic"] = [{"name": "hop", "src": "vleo-0-0", "dst": "vleo-0-1", "rate_mbps": 100.0,
                       "packet_bytes": payload, "start_s": START_S, "stop_s": STOP_S}]
    raw["outputs"] = {"pcap_nodes": []}
    flow = run(scenario_from_dict(raw), tmp_path / "ber").flows[0]

    _, earth_radius = earth_constants()
    distance = 2 * (earth_radius + 550e3) * math.sin(math.pi / 12)
    df = 10e9 / 2
    sigma_t = 20e-12 * math.sqrt(df)  # default receiver: 20 pA/sqrt(Hz), 0.9 A/W, M = 10, k = 0.7
    frame_bytes = payload + PPP_IP_UDP_BYTES

    def per(error_rad, rx_error_rad):
        power = ref.received_power_w(1.5, 0.8, 0.08, 0.08, 0.8, 1550e-9, distance, error_rad)
        power = power * ref.receive_pointing_loss(0.08, 1550e-9, rx_error_rad)
        q = ref.q_of_power("apd", power, 0.9, sigma_t, df, gain=10.0, k=0.7)
        return ref.packet_error_rate(ref.ber_for_q(q), frame_bytes)

    # Both ends' errors: the transmitter's pointing and the receiver's angle of arrival
    # (bias 1 µrad, jitter 1 µrad per axis each, independent).
    expected_per = ref.mean_packet_error_rate(per, 1e-6, 1e-6, rx_bias_rad=1e-6, rx_jitter_rad=1e-6)
    n = flow["packets_sent"]
    assert n == sent_by_cbr(100.0, payload) == 10_000
    assert 0.05 < expected_per < 0.5
    sigma = math.sqrt(n * expected_per * (1 - expected_per))
    assert abs(flow["lost_bit_errors"] - n * expected_per) <= 4 * sigma, (flow, n * expected_per, sigma)
    assert flow["packets_received"] == n - flow["lost_bit_errors"]
    only(flow, "lost_bit_errors")
