"""Shared fixtures: one in-process packet-level run per test session (ns-3 loads once)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from netsim.scenario.load import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "topologies" / "default.yaml"


def default_scenario_dict(**overrides) -> dict:
    raw = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    raw = copy.deepcopy(raw)
    raw.update(overrides)
    return raw


@pytest.fixture(scope="session")
def short_run(tmp_path_factory):
    """The default scenario shortened to 3 s, with every routing state kept."""
    from netsim.run.runner import run

    raw = default_scenario_dict(duration_s=3.0)
    # Nearest satellite, no hysteresis, instant re-pointing: london hands over at 2.6 s.
    raw["ground_links"].update(switch_margin=0.0, acquisition_s=0.0, max_slew_rate_deg_s=1e9)
    for flow in raw["traffic"]:
        # Off the 0.1 s update grid: no packet leaves during the ~100 ns re-pointing.
        flow["start_s"], flow["stop_s"] = 0.2001, 2.8
    scenario = scenario_from_dict(raw)
    run_dir = tmp_path_factory.mktemp("short-run")
    result = run(scenario, run_dir, keep_next_hops=True)
    return scenario, result


def capture_path(run_dir, node: str, port: int = 0):
    """The capture file of a node's laser port, looked up in the run's pcap/index.csv."""
    import csv

    with (Path(run_dir) / "pcap" / "index.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["node"] == node and int(r["port"]) == port]
    assert len(rows) == 1, f"no single capture of {node} port {port}"
    return Path(run_dir) / "pcap" / rows[0]["file"]


def node_captures(run_dir, node: str) -> list:
    """Every capture file of a node, by port."""
    import csv

    with (Path(run_dir) / "pcap" / "index.csv").open(newline="") as f:
        rows = sorted((int(r["port"]), r["file"]) for r in csv.DictReader(f) if r["node"] == node)
    return [Path(run_dir) / "pcap" / file for _, file in rows]


# Every flow kind, satellite endpoints, and losses of every kind at once: queues of 8
# frames (a back-to-back burst overflows them, TCP fills them), london's handover at
# ~2.6 s with a 0.3 s acquisition, ISL tracking jitter that corrupts some frames. The
# drain (0.1 s) is shorter than the london-sydney RTT: the last probes are in flight.
STRESS_TRAFFIC = [
    {"name": "cbr", "src": "london", "dst": "new_york", "rate_mbps": 20, "packet_bytes": 1000, "start_s": 0.1001},
    {"name": "onoff", "kind": "udp_onoff", "src": "london", "dst": "vleo-3-4", "rate_mbps": 4, "on_s": 0.2,
     "off_s": 0.1, "distribution": "exponential", "start_s": 0.1},
    {"name": "burst", "kind": "udp_burst", "src": "vleo-0-0", "dst": "sydney", "burst_packets": 40, "period_s": 0.25,
     "start_s": 0.1},
    {"name": "tcp", "kind": "tcp_bulk", "src": "new_york", "dst": "london", "bytes": 0, "congestion_control": "cubic",
     "start_s": 0.1},
    {"name": "sat-tcp", "kind": "tcp_bulk", "src": "vleo-6-6", "dst": "singapore", "bytes": 2000000,
     "congestion_control": "new_reno", "start_s": 0.2},
    {"name": "ping", "kind": "ping", "src": "london", "dst": "sydney", "interval_s": 0.05, "start_s": 0.1},
    {"name": "sat-ping", "kind": "ping", "src": "vleo-5-5", "dst": "london", "interval_s": 0.1, "start_s": 0.1},
]


def stress_scenario_dict() -> dict:
    raw = default_scenario_dict(duration_s=3.2, drain_s=0.1, traffic=copy.deepcopy(STRESS_TRAFFIC))
    raw["laser"] = {**raw["laser"], "queue_packets": 8}
    raw["ground_links"].update(switch_margin=0.0, acquisition_s=0.3, max_slew_rate_deg_s=1e9, policy="nearest")
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "tracking_jitter_urad": 6.0}}
    raw["outputs"] = {"pcap_nodes": ["london"], "flow_monitor": True, "link_stats": True}
    return raw


@pytest.fixture(scope="session")
def stress_run(tmp_path_factory):
    """A run with every optional table (tcp.csv, ping*.csv, flowmon.*, captures) and
    losses of every kind (tests/test_accounting.py, tests/test_docs.py)."""
    from netsim.run.runner import run

    scenario = scenario_from_dict(stress_scenario_dict())
    return scenario, run(scenario, tmp_path_factory.mktemp("stress-run"))


def workload_scenario_dict() -> dict:
    """Inference requests arriving faster than one satellite computes them (a queue of 2
    overflows), a run that ends while some are on their way (every outcome of a request
    at once), a 2-satellite training job whose checkpoints go to a small MEO tier, and a
    capture at london (tests/test_workloads.py, tests/test_docs.py)."""
    raw = default_scenario_dict(duration_s=0.6, drain_s=0.004, traffic=[])
    vleo = raw["constellation"]["tiers"][0]
    vleo["compute_tops"] = 1000.0
    vleo["terminals"] = {"isl": {"count": 4, "policy": "plus_grid"}, "up": {"count": 1, "field_of_regard_deg": 60}}
    raw["constellation"]["tiers"].append({
        "name": "meo", "shells": [{"altitude_km": 2000, "inclination_deg": 53, "planes": 4, "sats_per_plane": 4,
                                   "phasing": 1}],
        "terminals": {"isl": {"count": 4, "policy": "plus_grid"}, "down": {"count": 1, "field_of_regard_deg": 60}}})
    raw["ground_links"]["tier"] = "vleo"
    raw["outputs"] = {"pcap_nodes": ["london"]}
    raw["workloads"] = {
        "inference": [{"name": "busy", "tier": "vleo", "rate_per_s": 400.0, "request_bytes": 3000,
                       "response_bytes": 6000, "ops": 4.0e+12, "server_queue": 2, "start_s": 0.1}],
        "training": [{"name": "pair", "tier": "vleo", "satellites": 2, "plane": 0, "slot": 0, "compute_s": 0.05,
                      "gradient_bytes": 2_000_000, "iterations": 4,
                      "checkpoint": {"every": 2, "bytes": 1_000_000, "tier": "meo"}}]}
    return raw


@pytest.fixture(scope="session")
def workload_run(tmp_path_factory):
    from netsim.run.runner import run

    scenario = scenario_from_dict(workload_scenario_dict())
    return scenario, run(scenario, tmp_path_factory.mktemp("workload-run"))


def background_scenario_dict() -> dict:
    """The default scenario, 2 s, with a background matrix: city pairs and station <->
    satellite demands, allocated every 0.5 s."""
    raw = default_scenario_dict(duration_s=2.0, drain_s=0.5)
    raw["routing"] = {**raw["routing"], "update_interval_s": 0.5}
    raw["traffic"] = [{**flow, "start_s": 0.2, "stop_s": 1.8} for flow in raw["traffic"]]
    raw["outputs"] = {}
    raw["background"] = {"matrix": [{"generate": "gravity", "name": "cities", "total_gbps": 30},
                                    {"generate": "ground_to_tier", "name": "edge", "tier": "vleo", "count": 40,
                                     "total_gbps": 40}], "record_paths": 5}
    return raw


@pytest.fixture(scope="session")
def background_run(tmp_path_factory):
    from netsim.run.runner import run

    scenario = scenario_from_dict(background_scenario_dict())
    return scenario, run(scenario, tmp_path_factory.mktemp("background-run"))
