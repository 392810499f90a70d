"""A 6-point sweep of tiny scenarios on a LocalCluster, killed with SIGKILL midway and
resumed: exactly 6 results, each run once; one point fails on purpose and is reported
with its error while the others go on. One sweep (~6 runs of ~3 s on 2 workers) serves
every test here, to keep the suite fast."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import DEFAULT_SCENARIO
from netsim.sweep import load_sweep
from netsim.sweep.results import read_table

TINY = {  # the default scenario cut to 0.7 s and one flow: ~3 s per run including the ns-3 load
    "duration_s": 0.5, "drain_s": 0.2, "outputs.pcap_nodes": [],
    "traffic": [{"name": "london-new_york", "src": "london", "dst": "new_york", "rate_mbps": 2,
                 "packet_bytes": 1000, "start_s": 0.1, "stop_s": 0.4}],
}
BROKEN = 3  # this point's run cannot create run_dir/pcap: a file is in the way


def sweep_cli(*args):
    return [sys.executable, "-m", "netsim.cli.main", "sweep", *map(str, args), "--quiet"]


def finished(out) -> list[str]:
    done = []
    for manifest in (out / "runs").glob("*/manifest.json"):
        try:
            if json.loads(manifest.read_text())["status"] == "ok":
                done.append(manifest.parent.name)
        except (OSError, ValueError, KeyError):
            pass
    return done


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    path, out = tmp / "six.yaml", tmp / "out"
    path.write_text(yaml.safe_dump({
        "name": "six", "base": str(DEFAULT_SCENARIO), "set": TINY,
        "axes": {"laser.queue_packets": [100, 1000, 5000]}, "replicates": 2, "cluster": {"workers": 2}}))
    points = load_sweep(path).points
    broken = points[BROKEN].run_id
    (out / "runs" / broken).mkdir(parents=True)
    (out / "runs" / broken / "pcap").write_text("not a folder")

    driver = subprocess.Popen(sweep_cli(path, "--out", out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not finished(out) and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(driver.pid, signal.SIGKILL)  # the driver, its Dask workers and their runs
    finally:
        driver.wait()
    before = finished(out)
    started = {rid: json.loads((out / "runs" / rid / "manifest.json").read_text())["started_utc"] for rid in before}

    result = subprocess.run(sweep_cli(path, "--out", out), capture_output=True, text=True, timeout=300)
    return {"path": path, "out": out, "points": points, "broken": broken, "before": before, "started": started,
            "result": result}


def test_killed_midway_and_resumed_gives_exactly_six_results(resumed):
    out, points, before = resumed["out"], resumed["points"], resumed["before"]
    assert 1 <= len(before) < 5, before  # killed midway
    rows = read_table(out / "results.parquet")
    ids = [r["run_id"] for r in rows]
    assert len(rows) == 6 and len(set(ids)) == 6
    assert sorted(ids) == sorted(p.run_id for p in points)
    assert sorted(finished(out)) == sorted(p.run_id for p in points if p.run_id != resumed["broken"])
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(ids)
    for rid, when in resumed["started"].items():  # runs finished before the kill did not run again
        assert json.loads((out / "runs" / rid / "manifest.json").read_text())["started_utc"] == when
    assert "(5 ok, 1 failed, 0 pending of 6" in resumed["result"].stdout


def test_failed_run_is_reported_with_its_error(resumed):
    out, broken, result = resumed["out"], resumed["broken"], resumed["result"]
    assert result.returncode == 1, result.stderr
    assert f"failed run {broken} (laser.queue_packets=1000): " in result.stderr
    row = next(r for r in read_table(out / "results.parquet") if r["run_id"] == broken)
    assert row["status"] == "failed" and "pcap" in row["error"] and row["loss_ratio"] is None
    manifest = json.loads((out / "runs" / broken / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"] == row["error"]


def test_rows_carry_parameters_and_summary_metrics(resumed):
    by_id = {r["run_id"]: r for r in read_table(resumed["out"] / "results.parquet")}
    for point in resumed["points"]:
        row = by_id[point.run_id]
        assert row["laser.queue_packets"] == point.params["laser.queue_packets"] and row["seed"] == point.seed
        if point.run_id == resumed["broken"]:
            continue
        assert row["status"] == "ok" and row["error"] is None
        assert row["packets_sent"] > 0 and 0 <= row["loss_ratio"] <= 1 and row["wall_time_s"] > 0
        assert row["delay_mean_ms"] > 1 and row["delay_p99_ms"] >= row["delay_mean_ms"]
        assert yaml.safe_load((resumed["out"] / row["run_dir"] / "scenario.yaml").read_text()) == point.scenario
    flows = read_table(resumed["out"] / "flows.parquet")
    assert len(flows) == 5 and {f["flow"] for f in flows} == {"london-new_york"}


def test_summary_plot_of_a_finished_sweep(resumed):
    out = resumed["out"]
    start = time.monotonic()
    again = subprocess.run(sweep_cli(resumed["path"], "--out", out, "--plot", "delay_mean_ms", "--against",
                                     "laser.queue_packets"), capture_output=True, text=True, timeout=120)
    assert "ran 0 now" in again.stdout, again.stdout + again.stderr  # nothing pending: no cluster
    assert time.monotonic() - start < 30
    png = out / "plots" / "delay_mean_ms-vs-laser.queue_packets.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
