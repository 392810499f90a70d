"""Dense shells: paths of more than 64 satellite hops still deliver (endpoints send with TTL 255)."""

from __future__ import annotations

import csv

from conftest import default_scenario_dict
from netsim.config import scenario_from_dict


def test_paths_longer_than_64_hops_deliver(tmp_path):
    from netsim.runner import run

    raw = default_scenario_dict(duration_s=0.6, drain_s=0.4)
    raw["constellation"]["tiers"][0]["shells"][0].update(planes=30, sats_per_plane=250, phasing=1)
    raw["ground_stations"] = [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278},
                              {"name": "sydney", "lat_deg": -33.8688, "lon_deg": 151.2093}]
    raw["traffic"] = [{"name": "far", "src": "london", "dst": "sydney", "rate_mbps": 1, "packet_bytes": 500,
                       "start_s": 0.1001, "stop_s": 0.5}]
    raw["routing"] = {"update_interval_s": 0.2, "metric": "hops"}
    raw["outputs"] = {"pcap_nodes": []}
    result = run(scenario_from_dict(raw), tmp_path / "far")
    hops = max(int(r["hops"]) for r in csv.DictReader((tmp_path / "far" / "rtt.csv").open()) if r["hops"])
    assert hops > 64
    flow = result.flows[0]
    assert flow["packets_received"] == flow["packets_sent"] > 0
    assert flow["lost_ttl_expired"] == 0
