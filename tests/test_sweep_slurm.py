"""A sweep through a real SLURM scheduler (the single-node cluster of
scripts/slurm-local.sh): every run executes inside a SLURM job, a worker job cancelled
with scancel mid-run loses nothing, and rerunning the command duplicates nothing.

Skipped only where SLURM cannot be installed (not root, no apt-get); under CI=true a
cluster that is not up is a failure, since .ci/run installs and starts it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from conftest import DEFAULT_SCENARIO, ROOT
from netsim.sweep import load_sweep
from netsim.sweep.results import read_table

SLURM_LOCAL = ROOT / "scripts" / "slurm-local.sh"
SHORT = {  # ~3 s per run on an idle machine, most of it loading ns-3
    "duration_s": 0.5, "drain_s": 0.2, "outputs.pcap_nodes": [],
    "traffic": [{"name": "london-new_york", "src": "london", "dst": "new_york", "rate_mbps": 2,
                 "packet_bytes": 1000, "start_s": 0.1, "stop_s": 0.4}],
}


def _local(command: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SLURM_LOCAL), command], capture_output=True, text=True, timeout=timeout)


def _cluster_up() -> bool:
    return shutil.which("sinfo") is not None and _local("status", 30).returncode == 0


@pytest.fixture(scope="module")
def slurm():
    """The local cluster, installed and started here if this machine allows it."""
    problem = None
    if not _cluster_up():
        can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
        if shutil.which("slurmctld") is None and can_install:
            done = _local("install", 600)
            problem = None if done.returncode == 0 else f"install failed: {done.stderr.strip()}"
        if shutil.which("slurmctld") is not None and os.geteuid() == 0:
            done = _local("start", 120)
            problem = None if done.returncode == 0 else f"start failed: {done.stderr.strip()}"
        elif problem is None:
            problem = "SLURM is not installed and cannot be here (needs root and apt-get)"
    if not _cluster_up():
        message = f"no local SLURM cluster ({problem or 'not up'}); see docs/sweeps.md"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must run this test (.ci/run starts the cluster)")
        pytest.skip(message)


def manifests(out) -> dict[str, dict]:
    found = {}
    for path in (out / "runs").glob("*/manifest.json"):
        try:
            found[path.parent.name] = json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # being written
    return found


def job_state(job_id: str) -> str:
    text = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"JobState=(\w+)", text)
    return match.group(1) if match else "unknown"


def job_name(job_id: str) -> str:
    text = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"JobName=(\S+)", text)
    return match.group(1) if match else ""


def test_sweep_on_slurm_survives_a_cancelled_worker_job(slurm, tmp_path):
    path, out = tmp_path / "four.yaml", tmp_path / "out"
    path.write_text(yaml.safe_dump({
        "name": "four", "base": str(DEFAULT_SCENARIO), "set": SHORT,
        "axes": {"laser.queue_packets": [100, 1000]}, "replicates": 2, "retries": 2,
        # Two one-core jobs; workers and scheduler talk over the loopback interface.
        "cluster": {"slurm": {"cores": 1, "processes": 1, "memory": "2GB", "jobs": 2, "walltime": "00:10:00",
                              "interface": "lo", "log_directory": str(tmp_path / "dask-logs")}}}))
    points = load_sweep(path).points
    command = [sys.executable, "-m", "netsim.cli.main", "sweep", str(path), "--cluster", "slurm",
               "--out", str(out), "--quiet"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        # Wait for one finished run and one running inside a job, then cancel that job.
        deadline = time.monotonic() + 150
        victim = None
        while victim is None and time.monotonic() < deadline and driver.poll() is None:
            seen = manifests(out)
            running = [(rid, m["job"]["slurm_job_id"]) for rid, m in seen.items()
                       if m.get("status") == "running" and m.get("job", {}).get("slurm_job_id")]
            if running and any(m.get("status") == "ok" for m in seen.values()):
                victim = running[0]
            time.sleep(0.05)
        assert victim is not None, "no run was seen running in a SLURM job after another had finished"
        finished_before = {rid: m["started_utc"] for rid, m in manifests(out).items() if m.get("status") == "ok"}
        subprocess.run(["scancel", victim[1]], check=True, timeout=30)
        # A run that finished in the instant between being seen running and the cancel
        # cannot show the re-run; the other checks still hold.
        raced = manifests(out).get(victim[0], {}).get("status") == "ok"
        stdout, stderr = driver.communicate(timeout=240)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, 15)
            driver.wait(timeout=60)

    assert driver.returncode == 0, stderr[-3000:]
    assert "(4 ok, 0 failed, 0 pending of 4" in stdout, stdout
    assert job_state(victim[1]) == "CANCELLED"
    final = manifests(out)
    assert sorted(final) == sorted(p.run_id for p in points)
    # Every run executed inside a job of this sweep; the cancelled run ran again, in another job.
    jobs = {m["job"]["slurm_job_id"] for m in final.values()}
    assert all(m["status"] == "ok" for m in final.values())
    assert all(job_name(j) == "netsim-sweep" for j in jobs), jobs
    assert raced or final[victim[0]]["job"]["slurm_job_id"] != victim[1]
    for rid, started in finished_before.items():  # finished runs were not run again
        assert final[rid]["started_utc"] == started
    rows = read_table(out / "results.parquet")
    assert sorted(r["run_id"] for r in rows) == sorted(p.run_id for p in points)
    assert all(r["status"] == "ok" for r in rows)

    # Resume: the same command again finds nothing pending and submits no job.
    submitted_before = subprocess.run(["squeue", "-h", "-n", "netsim-sweep", "-o", "%i"], capture_output=True,
                                      text=True, timeout=30).stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "ran 0 now" in again.stdout, again.stdout + again.stderr
    assert subprocess.run(["squeue", "-h", "-n", "netsim-sweep", "-o", "%i"], capture_output=True, text=True,
                          timeout=30).stdout == submitted_before
    assert manifests(out) == final
