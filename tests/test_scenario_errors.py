"""Bad scenario files exit 2 with one line naming the file, the key and what is allowed."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from conftest import default_scenario_dict


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "netsim.cli.main", *args], capture_output=True, text=True, timeout=120)


def write(tmp_path, raw) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw))
    return str(path)


def shell_with(**change) -> dict:
    raw = default_scenario_dict()
    raw["constellation"]["tiers"][0]["shells"][0].update(change)
    return raw


def station_without(key: str) -> dict:
    raw = default_scenario_dict()
    del raw["ground_stations"][0][key]
    return raw


def with_key(**extra) -> dict:
    raw = default_scenario_dict()
    raw.update(extra)
    return raw


CASES = [
    ("unknown key", with_key(durration_s=3), "key 'durration_s'", "allowed keys: name, seed, duration_s"),
    ("negative altitude", shell_with(altitude_km=-550), "key 'constellation.tiers[0].shells[0].altitude_km'",
     "greater than 0"),
    ("missing coordinate", station_without("lon_deg"), "key 'ground_stations[0].lon_deg'", "required key is missing"),
    ("wrong type", shell_with(planes="twelve"), "key 'constellation.tiers[0].shells[0].planes'",
     "valid integer"),
    ("inclination", shell_with(inclination_deg=181), "inclination_deg", "less than or equal to 180"),
    ("unknown station", with_key(traffic=[{"name": "f", "src": "paris", "dst": "london", "rate_mbps": 1}]),
     "key 'traffic[0].src'", "no node named 'paris'"),
]


@pytest.mark.parametrize("label,raw,key,allowed", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_exits_2_with_one_line(tmp_path, label, raw, key, allowed):
    path = write(tmp_path, raw)
    result = run_cli("run", path, "--out", str(tmp_path / "run"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert path in lines[0] and key in lines[0] and allowed in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists(), "bad input must not leave a run folder behind"


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "name: x\nduration_s: [1, 2\n")
    result = run_cli("run", path, "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert path in result.stderr and "not valid YAML at line" in result.stderr


def test_missing_file(tmp_path):
    result = run_cli("run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "file not found" in result.stderr


def test_help_does_not_load_ns3():
    code = "import sys; from netsim.cli.main import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\nprint('cppyy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("False")
