"""Sweeps that run: 6 tiny points on a LocalCluster (one failing on purpose), and the
same sweep killed with SIGKILL midway and resumed: exactly 6 results, none duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from conftest import DEFAULT_SCENARIO
from netsim.sweep import load_sweep
from netsim.sweep.results import read_table

TINY = {  # ~3 s per run including the ns-3 load
    "duration_s": 0.5, "drain_s": 0.2, "outputs.pcap_nodes": [],
    "traffic": [{"name": "london-new_york", "src": "london", "dst": "new_york", "rate_mbps": 2,
                 "packet_bytes": 1000, "start_s": 0.1, "stop_s": 0.4}],
}


def six_point_sweep(tmp_path):
    path = tmp_path / "six.yaml"
    path.write_text(yaml.safe_dump({
        "name": "six", "base": str(DEFAULT_SCENARIO), "set": TINY,
        "axes": {"laser.queue_packets": [100, 1000, 5000]}, "replicates": 2, "cluster": {"workers": 2}}))
    return path


def sweep_cli(*args, **kw):
    return [sys.executable, "-m", "netsim.cli", "sweep", *map(str, args), "--quiet"]


def finished(out):
    runs = out / "runs"
    done = []
    for run_dir in runs.iterdir() if runs.is_dir() else []:
        try:
            if json.loads((run_dir / "manifest.json").read_text())["status"] == "ok":
                done.append(run_dir.name)
        except (OSError, ValueError, KeyError):
            pass
    return done


def test_six_point_sweep_reports_the_failed_run_and_plots(tmp_path):
    path, out = six_point_sweep(tmp_path), tmp_path / "out"
    points = load_sweep(path).points
    broken = points[3].run_id  # its run cannot create run_dir/pcap: a file is in the way
    (out / "runs" / broken).mkdir(parents=True)
    (out / "runs" / broken / "pcap").write_text("not a folder")

    result = subprocess.run(sweep_cli(path, "--out", out), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert f"failed run {broken} (laser.queue_packets=1000" in result.stderr
    rows = read_table(out / "results.parquet")
    assert sorted(r["run_id"] for r in rows) == sorted(p.run_id for p in points)
    by_id = {r["run_id"]: r for r in rows}
    assert by_id[broken]["status"] == "failed" and "pcap" in by_id[broken]["error"]
    for p in points:
        if p.run_id != broken:
            row = by_id[p.run_id]
            assert row["status"] == "ok" and row["error"] is None, row
            assert row["laser.queue_packets"] == p.params["laser.queue_packets"] and row["seed"] == p.seed
            assert row["packets_sent"] > 0 and 0 <= row["loss_ratio"] <= 1
            assert (out / row["run_dir"] / "scenario.yaml").is_file()
    assert json.loads((out / "runs" / broken / "manifest.json").read_text())["status"] == "failed"

    # Rerun: nothing pending (the failure is a result), so no cluster starts; then plot.
    start = time.monotonic()
    again = subprocess.run(sweep_cli(path, "--out", out, "--plot", "delay_mean_ms", "--against",
                                     "laser.queue_packets"), capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "ran 0 now" in again.stdout, again.stdout + again.stderr
    assert time.monotonic() - start < 20
    png = out / "plots" / "delay_mean_ms-vs-laser.queue_packets.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sigkill_midway_then_resume_gives_exactly_six_results(tmp_path):
    path, out = six_point_sweep(tmp_path), tmp_path / "out"
    driver = subprocess.Popen(sweep_cli(path, "--out", out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not finished(out) and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(driver.pid, signal.SIGKILL)  # driver, Dask workers, run subprocesses
    finally:
        driver.wait()
    before = finished(out)
    assert 1 <= len(before) < 6
    started = {rid: json.loads((out / "runs" / rid / "manifest.json").read_text())["started_utc"] for rid in before}

    result = subprocess.run(sweep_cli(path, "--out", out), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"ran {6 - len(before)} now" in result.stdout or f"ran {5 - len(before)} now" in result.stdout \
        or "6 ok" in result.stdout
    rows = read_table(out / "results.parquet")
    ids = [r["run_id"] for r in rows]
    assert len(rows) == 6 and len(set(ids)) == 6 and all(r["status"] == "ok" for r in rows)
    assert sorted(ids) == sorted(p.run_id for p in load_sweep(path).points) == sorted(finished(out))
    for rid, when in started.items():  # finished runs were not run again
        assert json.loads((out / "runs" / rid / "manifest.json").read_text())["started_utc"] == when
