"""Inputs that used to abort, hang or traceback; signals; stale outputs; full and
read-only disks; the Walker closest approach in closed form."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from fuzz_support import TINY

from netsim.errors import ScenarioError


def netsim(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "netsim", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def write(path: Path, raw) -> Path:
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw))
    return path


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# ---------------------------------------------------------------------------- reading YAML

@pytest.mark.parametrize("text,expected", [
    ("name: a\nname: b\n", "key 'name' is given twice (first at line 1)"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n"
                                              for p, c in zip("abcdef", "bcdefg")), "expands to more than"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nests lists and mappings"),
])
def test_yaml_shapes_are_refused(tmp_path, text, expected):
    from netsim.scenario.load import load_scenario

    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path / "s.yaml", text))
    assert expected in str(info.value) and len(str(info.value)) < 600


def test_not_utf8(tmp_path):
    from netsim.scenario.load import load_scenario

    (tmp_path / "s.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(tmp_path / "s.yaml")


def test_merge_keys_still_override(tmp_path):
    from netsim.errors import ScenarioError as E, read_yaml

    data = read_yaml(write(tmp_path / "m.yaml", "base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n"), E)
    assert data["use"] == {"x": 1, "y": 3}


# ---------------------------------------------------------------------------- values and sizes

@pytest.mark.parametrize("section,key,value,said", [
    ("laser", "tx_power_w", math.inf, "finite number"),
    ("laser", "required_margin_db", math.nan, "finite number"),
    ("laser", "data_rate_gbps", 1e-12, "greater than or equal to 0.000001"),
    ("laser", "queue_packets", 2**70, "less than or equal to 1000000"),
    ("routing", "update_interval_s", 1e-12, "greater than or equal to 0.000001"),
    (None, "duration_s", math.inf, "finite number"),
])
def test_values_that_aborted_ns3_are_refused(tmp_path, section, key, value, said):
    raw = json.loads(json.dumps(TINY))
    (raw.setdefault(section, {}) if section else raw)[key] = value
    result = netsim("run", write(tmp_path / "s.yaml", raw), "--out", tmp_path / "out")
    assert result.returncode == 2 and said in one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_sizes_say_size_limit_and_key(tmp_path):
    raw = json.loads(json.dumps(TINY))
    raw.pop("limits")
    raw["constellation"]["tiers"][0]["shells"][0].update(planes=3000, sats_per_plane=3000)
    start = time.perf_counter()
    result = netsim("paths", write(tmp_path / "s.yaml", raw), "--out", tmp_path / "out")
    line = one_error_line(result)
    assert result.returncode == 2 and "9,000,000" in line and "2,000,000" in line and "limits.max_satellites" in line
    assert time.perf_counter() - start < 60
    raw["constellation"]["tiers"][0]["shells"][0].update(planes=10**6, sats_per_plane=10**6)
    raw["limits"] = {"max_satellites": 10**9}  # the Walker check itself must not hang either
    result = netsim("paths", write(tmp_path / "s.yaml", raw), "--out", tmp_path / "out", timeout=120)
    assert result.returncode == 2, result.stderr


def test_paths_updates_limit(tmp_path):
    result = netsim("paths", write(tmp_path / "s.yaml", TINY), "--to", "1e6", "--out", tmp_path / "out")
    assert result.returncode == 2 and "limits.max_updates" in one_error_line(result)
    result = netsim("paths", tmp_path / "s.yaml", "--to", "inf", "--out", tmp_path / "out")
    assert result.returncode == 2 and "--to" in one_error_line(result)


def test_sweep_points_limit(tmp_path):
    write(tmp_path / "s.yaml", TINY)
    sweep = {"name": "big", "base": "s.yaml", "axes": {"laser.tx_power_w": {"linspace": [0.1, 1, 10**9]}}}
    start = time.perf_counter()
    result = netsim("sweep", write(tmp_path / "w.yaml", sweep), "--out", tmp_path / "out", "--dry-run")
    assert result.returncode == 2 and "max_points" in one_error_line(result)
    sweep = {"name": "big", "base": "s.yaml", "replicates": 10**9}
    result = netsim("sweep", write(tmp_path / "w.yaml", sweep), "--out", tmp_path / "out", "--dry-run")
    assert result.returncode == 2 and "max_points" in one_error_line(result)
    assert time.perf_counter() - start < 60


def test_walker_closed_form_matches_the_scan():
    from netsim.space.walker import closest_pair, closest_pair_scan

    rng = np.random.default_rng(3)
    for _ in range(400):
        planes, per_plane = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        args = (float(rng.uniform(0, np.pi)), planes, per_plane, int(rng.integers(0, planes)),
                float(rng.choice([2 * np.pi, np.pi, rng.uniform(0.1, 2 * np.pi)])))
        assert closest_pair(*args)[0] == pytest.approx(closest_pair_scan(*args)[0], abs=1e-12)
    start = time.perf_counter()
    closest_pair(0.9, 10**6, 10**6, 3, 2 * np.pi)
    assert time.perf_counter() - start < 30


# ---------------------------------------------------------------------------- the run folder

def test_rerun_clears_stale_outputs_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    (out / "analysis").mkdir(parents=True)
    (out / "pcap").mkdir()
    for name in ("flows.csv", "tcp.csv", "view.html", "analysis/flows.csv", "pcap/0-x-port0.pcapng", "notes.txt"):
        (out / name).write_text("old\n")
    (out / "manifest.json").write_text(json.dumps({"status": "ok", "scenario": {}}))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (out / "rtt.csv").symlink_to(victim)
    result = netsim("paths", write(tmp_path / "s.yaml", TINY), "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "notes.txt", "path_changes.csv", "pcap",
                                                     "rtt.csv"]
    assert not list((out / "pcap").iterdir())
    assert victim.read_text() == "keep\n" and not (out / "rtt.csv").is_symlink()


def test_a_folder_that_is_not_a_run_folder_is_left_alone(tmp_path):
    """Output names in a folder without a run's manifest: refused, nothing removed."""
    home = tmp_path / "home"
    (home / "analysis").mkdir(parents=True)
    (home / "analysis" / "thesis.tex").write_text("mine\n")
    (home / "flows.csv").write_text("mine\n")
    result = netsim("paths", write(tmp_path / "s.yaml", TINY), "--out", home)
    assert result.returncode == 2 and "no netsim run folder" in one_error_line(result)
    assert (home / "analysis" / "thesis.tex").read_text() == "mine\n" and (home / "flows.csv").exists()
    assert sorted(p.name for p in home.iterdir()) == ["analysis", "flows.csv"]


@pytest.mark.parametrize("command", ["run", "paths"])
def test_out_that_is_a_file(tmp_path, command):
    (tmp_path / "f").write_text("x")
    write(tmp_path / "s.yaml", TINY)
    for out in (tmp_path / "f", tmp_path / "f" / "sub"):
        result = netsim(command, tmp_path / "s.yaml", "--out", out)
        assert result.returncode == 2 and "--out" in one_error_line(result)
    assert (tmp_path / "f").read_text() == "x"


def test_devices_are_never_replaced(tmp_path):
    """An output path naming a device is refused; /dev/null stays /dev/null (as root, a
    rename over it would replace the device with a file)."""
    import stat

    result = netsim("view", write(tmp_path / "s.yaml", TINY), "--out", "/dev/null")
    assert result.returncode == 2 and "not a regular file" in one_error_line(result)
    from netsim.errors import NetsimError
    from netsim.files import write_text

    with pytest.raises(NetsimError, match="not a regular file"):
        write_text("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.fixture
def mount_tmpfs(tmp_path):
    """A tmpfs (root only): mount_tmpfs(name, options) -> its folder; unmounted after the test."""
    mounted = []

    def mount(name, options):
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_read_only_and_full_disks(tmp_path, mount_tmpfs):
    write(tmp_path / "s.yaml", TINY)
    read_only = mount_tmpfs("ro", "ro,size=1m")
    for args in (["paths", tmp_path / "s.yaml", "--out", read_only / "p"],
                 ["run", tmp_path / "s.yaml", "--out", read_only / "r"],
                 ["link-budget", "--plot", read_only / "b.png"]):
        result = netsim(*args)
        assert result.returncode == 2 and "Read-only file system" in one_error_line(result)
    full = mount_tmpfs("full", "size=12k")
    result = netsim("paths", tmp_path / "s.yaml", "--to", "15", "--pairs", "all", "--out", full / "p", "--quiet")
    assert result.returncode == 1 and "No space left on device" in one_error_line(result)
    assert json.loads((full / "p" / "manifest.json").read_text())["status"] == "failed"


# ---------------------------------------------------------------------------- signals

def _start_run(tmp_path, duration_s: float):
    raw = json.loads(json.dumps(TINY))
    raw["duration_s"] = duration_s
    raw["limits"]["max_updates"] = 10**4
    raw["limits"]["max_packets"] = 10**6
    raw["traffic"][0]["stop_s"] = duration_s
    write(tmp_path / "s.yaml", raw)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "netsim", "run", str(tmp_path / "s.yaml"), "--out", str(out),
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # until the run is past setup (endpoints are in the manifest)
        try:
            if "endpoints" in json.loads((out / "manifest.json").read_text()):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    time.sleep(1.0)
    assert proc.poll() is None, "the run ended before the signal"
    return proc, out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_mark_the_run_failed(tmp_path, sig):
    proc, out = _start_run(tmp_path, 30.0)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and len(stderr.strip().splitlines()) == 1 and "interrupted" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"] == f"interrupted: {sig.name}"


_SNAPSHOT_IN_CPP_AT_EXIT = """
import sys, threading, time
import cppyy
from netsim.run.prefetch import Prefetch
cppyy.cppdef('''
#include <chrono>
#include <thread>
void netsim_test_solve() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }
''')
solve = cppyy.gbl.netsim_test_solve
solve.__release_gil__ = True  # as the core's solver: the GIL is released while it runs
if sys.argv[1] == "prefetch":
    Prefetch(solve)  # the runner's snapshot thread
else:
    threading.Thread(target=solve, daemon=True).start()
time.sleep(0.1)


class SlowToFinalise:  # the interpreter is still finalising when the solve returns
    def __del__(self):
        time.sleep(1.0)


slow = SlowToFinalise()
sys.exit(1)  # the run stopped early
"""


def test_a_run_stopped_while_a_snapshot_computes_in_cpp_leaves_with_its_one_line():
    """A routing snapshot still inside the C++ solver when the run stops early: on a daemon
    thread the process aborts while the interpreter finalises (the thread's C++ frames are
    unwound: "terminate called without an active exception", seen in CI after the one
    line); on the runner's snapshot thread (Prefetch) it exits with its code and nothing
    more."""
    runs = {how: subprocess.run([sys.executable, "-c", _SNAPSHOT_IN_CPP_AT_EXIT, how], capture_output=True,
                                text=True, timeout=120) for how in ("daemon", "prefetch")}
    assert "terminate called" in runs["daemon"].stderr  # the hazard is real here, else this tests nothing
    assert (runs["prefetch"].returncode, runs["prefetch"].stderr) == (1, "")


def test_sigkill_is_reported_incomplete_by_analyze_and_sweep_dry_run(tmp_path):
    proc, out = _start_run(tmp_path, 30.0)
    proc.kill()
    proc.communicate(timeout=60)
    result = netsim("analyze", out, "--out", tmp_path / "a")
    assert result.returncode == 2 and "no longer running" in one_error_line(result)
    # the same folder as a sweep's run folder: the dry run says it is incomplete and will be redone
    from netsim.sweep.spec import load_sweep

    sweep_file = write(tmp_path / "w.yaml", {"name": "k", "base": "s.yaml"})
    point = load_sweep(sweep_file).points[0]
    (tmp_path / "sw" / "runs").mkdir(parents=True)
    out.rename(tmp_path / "sw" / "runs" / point.run_id)
    result = netsim("sweep", sweep_file, "--out", tmp_path / "sw", "--dry-run")
    assert result.returncode == 0 and "incomplete" in result.stdout and "will be run again" in result.stdout
    assert "1 incomplete" in result.stdout


def test_the_signal_is_named_even_when_it_lands_inside_a_cpp_call():
    # Seen under load: SIGTERM during LaserFabricHelper::EnableCapture reached Python as
    # "<C++ signature> =>\n    Interrupted: SIGTERM"; the line and the manifest name the signal.
    from netsim.errors import interrupt_name

    wrapped = KeyboardInterrupt("std::string ns3::LaserFabricHelper::EnableCapture(uint32_t node) =>\n"
                                "    Interrupted: SIGTERM")
    assert interrupt_name(wrapped) == "SIGTERM"
    assert interrupt_name(KeyboardInterrupt("SIGHUP")) == "SIGHUP"
    assert interrupt_name(KeyboardInterrupt()) == "SIGINT"
