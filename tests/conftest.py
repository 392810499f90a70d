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
