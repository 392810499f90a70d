"""An RF ground segment: ground terminals run at the RF rate without the optical model."""

from __future__ import annotations

import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict


def short(kind: str) -> dict:
    raw = default_scenario_dict(duration_s=1.0, drain_s=0.3)
    raw["ground_links"].update(kind=kind, rf_data_rate_gbps=0.1, switch_margin=1e9)
    raw["traffic"] = [{"name": "lon-nyc", "src": "london", "dst": "new_york", "rate_mbps": 1,
                       "packet_bytes": 1000, "start_s": 0.1001, "stop_s": 0.9}]
    raw["outputs"] = {"pcap_nodes": []}
    return raw


def test_rf_ground_links_serialise_at_the_rf_rate(tmp_path):
    from netsim.run.runner import run

    optical = run(scenario_from_dict(short("optical")), tmp_path / "optical").flows[0]
    rf = run(scenario_from_dict(short("rf")), tmp_path / "rf").flows[0]
    assert rf["packets_received"] == rf["packets_sent"] > 0
    # Two ground hops (up and down) of a 1,030-byte frame at 0.1 Gbps instead of 10 Gbps.
    frame_bits = (1000 + 8 + 20 + 2) * 8
    extra_s = 2 * (frame_bits / 0.1e9 - frame_bits / 10e9)
    assert (rf["delay_p50_ms"] - optical["delay_p50_ms"]) * 1e-3 == pytest.approx(extra_s, rel=0.01)
