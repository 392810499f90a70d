"""The Python API: several runs in one process give the same bytes as separate
`netsim run` processes; changes by dotted path; errors name the key."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import yaml

import netsim
from conftest import default_scenario_dict


def digest(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def with_randomness() -> dict:
    raw = default_scenario_dict(duration_s=1.5, drain_s=0.3)
    raw["traffic"] = [
        {"name": "onoff", "kind": "udp_onoff", "src": "singapore", "dst": "sydney", "rate_mbps": 20,
         "on_s": 0.05, "off_s": 0.05, "distribution": "exponential"},
        {"name": "bulk", "kind": "tcp_bulk", "src": "new_york", "dst": "london", "bytes": 1_000_000},
        {"name": "probe", "kind": "ping", "src": "sydney", "dst": "london", "interval_s": 0.2}]
    raw["ground_links"]["acquisition_s"] = {"distribution": "exponential", "mean": 0.3}
    return raw


def test_runs_in_one_process_equal_runs_in_their_own(tmp_path):
    netsim.simulate(netsim.load_scenario(default_scenario_dict(), {"duration_s": 10}), tmp_path / "first")
    second = netsim.simulate(with_randomness(), tmp_path / "second", seed=7)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(with_randomness()))
    subprocess.run([sys.executable, "-m", "netsim", "run", str(tmp_path / "s.yaml"), "--seed", "7", "--quiet",
                    "--out", str(tmp_path / "alone")], check=True, capture_output=True, timeout=300)
    assert digest(second.folder) == digest(tmp_path / "alone")
    assert second.manifest["seed"] == 7 and len(second.flows) == 3


def test_changes_by_dotted_path_and_their_errors():
    scenario = netsim.load_scenario(default_scenario_dict(),
                                    {"laser.tx_power_w": 2.5, "traffic[*].packet_bytes": 500})
    assert scenario.laser.tx_power_w == 2.5 and {f.packet_bytes for f in scenario.traffic} == {500}
    with pytest.raises(netsim.ScenarioError) as err:
        netsim.load_scenario(default_scenario_dict(), {"laser.tx_power_watts": 1})
    assert err.value.key == "laser.tx_power_watts" and "no key 'tx_power_watts' in laser" in err.value.problem
    with pytest.raises(netsim.ScenarioError) as err:
        netsim.load_scenario(default_scenario_dict(), {"laser.tx_power_w": -1})
    assert err.value.key == "laser.tx_power_w"


def test_link_budget_and_missing_tables(tmp_path):
    budget = netsim.link_budget(1000, {"receiver": {"type": "pin"}})
    assert budget["max range (km)"] < 1000 < netsim.link_budget(1000)["max range (km)"]
    with pytest.raises(netsim.NetsimError, match="distance_km"):
        netsim.link_budget(0)
    with pytest.raises(netsim.NetsimError, match="no tcp.csv"):
        netsim.api.RunResult(tmp_path).table("tcp")
