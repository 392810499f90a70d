"""Dense shells: paths of hundreds of satellite hops. The fabric is one IPv4 hop; its loop
guard is routing.max_hops satellites (FabricHopTag), not the 8-bit IPv4 TTL."""

from __future__ import annotations

import csv

import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict


def _far_flow(max_hops=None):
    raw = default_scenario_dict(duration_s=0.6, drain_s=0.4)
    raw["constellation"]["tiers"][0]["shells"][0].update(planes=30, sats_per_plane=250, phasing=1)
    raw["ground_stations"] = [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278},
                              {"name": "sydney", "lat_deg": -33.8688, "lon_deg": 151.2093}]
    raw["traffic"] = [{"name": "far", "src": "london", "dst": "sydney", "rate_mbps": 1, "packet_bytes": 500,
                       "start_s": 0.1001, "stop_s": 0.5}]
    raw["routing"] = {"update_interval_s": 0.2, "metric": "hops"}
    if max_hops is not None:
        raw["routing"]["max_hops"] = max_hops
    raw["outputs"] = {"pcap_nodes": []}
    return scenario_from_dict(raw)


@pytest.fixture(scope="module")
def far_run(tmp_path_factory):
    from netsim.run.runner import run

    out = tmp_path_factory.mktemp("far")
    result = run(_far_flow(), out)
    # Satellites on the forward path while the flow sends: links minus one.
    satellites = [int(r["hops"]) - 1 for r in csv.DictReader((out / "rtt.csv").open())
                  if r["hops"] and r["src"] == "london" and 0.1 <= float(r["time_s"]) <= 0.5]
    return result, satellites


def test_paths_longer_than_64_hops_deliver(far_run):
    result, satellites = far_run
    assert max(satellites) > 64
    flow = result.flows[0]
    assert flow["packets_received"] == flow["packets_sent"] > 0
    assert flow["lost_ttl_expired"] == 0


def test_hop_limit_drops_exactly_the_paths_longer_than_it(far_run, tmp_path):
    from netsim.run.runner import run

    _, satellites = far_run
    enough = run(_far_flow(max_hops=max(satellites)), tmp_path / "enough").flows[0]
    assert enough["packets_received"] == enough["packets_sent"] > 0
    short = run(_far_flow(max_hops=min(satellites) - 1), tmp_path / "short").flows[0]
    assert short["packets_received"] == 0
    assert short["lost_ttl_expired"] == short["packets_sent"] > 0
