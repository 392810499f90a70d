"""Sweep files: dotted paths, grid/zip/random points, run ids, and one-line errors (exit 2).
No simulation runs here (see test_sweep_runs.py)."""

from __future__ import annotations

import pytest
import yaml

from conftest import DEFAULT_SCENARIO
from netsim.cli.main import main
from netsim.sweep import load_sweep
from netsim.scenario.dotted import parse_path


def write_sweep(tmp_path, name="s.yaml", **keys) -> str:
    raw = {"name": "t", "base": str(DEFAULT_SCENARIO), **keys}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def test_parse_path():
    assert parse_path("traffic[0].rate_mbps") == ["traffic", 0, "rate_mbps"]
    assert parse_path("traffic.0.rate_mbps") == ["traffic", 0, "rate_mbps"]
    assert parse_path("traffic[*].stop_s") == ["traffic", "*", "stop_s"]
    assert parse_path("constellation.tiers[0].shells[0].altitude_km")[3:] == ["shells", 0, "altitude_km"]
    for bad in ("", "laser..x", ".laser", "laser[x]"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_grid_points_replicates_and_stable_ids(tmp_path):
    path = write_sweep(tmp_path, axes={"laser.tx_power_w": [0.5, 1.0, 2.0], "traffic[*].rate_mbps": {"values": [1, 2]}},
                       replicates=2)
    sweep = load_sweep(path)
    assert len(sweep.points) == 12
    assert len({p.run_id for p in sweep.points}) == 12
    first = sweep.points[0]
    assert first.params == {"laser.tx_power_w": 0.5, "traffic[*].rate_mbps": 1} and first.seed == 1
    assert sweep.points[1].seed == 2 and sweep.points[1].params == first.params
    assert all(f["rate_mbps"] == 1 for f in first.scenario["traffic"])
    assert first.scenario["laser"]["tx_power_w"] == 0.5
    assert [p.run_id for p in load_sweep(path).points] == [p.run_id for p in sweep.points]


def test_zip_linspace_and_explicit_seeds(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, sampling="zip", seeds=[5, 9], axes={
        "laser.tx_power_w": {"linspace": [0.1, 0.3, 3]}, "routing.update_interval_s": [0.05, 0.1, 0.2]}))
    assert [p.params["laser.tx_power_w"] for p in sweep.points[::2]] == [0.1, 0.2, 0.3]
    assert [p.seed for p in sweep.points] == [5, 9] * 3


def test_random_sampling_is_seeded(tmp_path):
    axes = {"laser.queue_packets": {"int": [10, 2000]}, "laser.pointing_jitter_urad": {"log_uniform": [0.5, 8.0]},
            "routing.metric": ["delay", "hops"]}
    a = load_sweep(write_sweep(tmp_path, "a.yaml", sampling="random", samples=5, sampling_seed=3, axes=axes))
    b = load_sweep(write_sweep(tmp_path, "b.yaml", sampling="random", samples=5, sampling_seed=3, axes=axes))
    c = load_sweep(write_sweep(tmp_path, "c.yaml", sampling="random", samples=5, sampling_seed=4, axes=axes))
    assert [p.params for p in a.points] == [p.params for p in b.points] != [p.params for p in c.points]
    for p in a.points:
        assert 10 <= p.params["laser.queue_packets"] <= 2000 and 0.5 <= p.params["laser.pointing_jitter_urad"] <= 8
        assert p.params["routing.metric"] in ("delay", "hops")


BAD = [
    ("unknown key", {"axis": {}}, "key 'axis'", "allowed keys: name, base"),
    ("path not in base", {"axes": {"laser.tx_pwr": [1]}}, "key 'axes.laser.tx_pwr'", "no key 'tx_pwr' in laser"),
    ("index out of range", {"axes": {"traffic[7].rate_mbps": [1]}}, "key 'axes.traffic[7].rate_mbps'", "has 3 items"),
    ("random spec in grid", {"axes": {"laser.tx_power_w": {"uniform": [0.1, 1]}}}, "key 'axes.laser.tx_power_w.uniform'",
     "sampling: random"),
    ("zip lengths", {"sampling": "zip", "axes": {"laser.tx_power_w": [1, 2], "routing.metric": ["hops"]}},
     "key 'axes'", "same number of values"),
    ("invalid point", {"axes": {"laser.tx_power_w": [1.0, -1.0]}}, "key 'axes.laser.tx_power_w'",
     "point 1 (laser.tx_power_w=-1.0, seed=1) is not a valid scenario: key 'laser.tx_power_w'"),
    ("slurm resources", {"cluster": {"slurm": {"cpus": 4}}}, "key 'cluster.slurm.cpus'", "allowed keys: queue"),
]


@pytest.mark.parametrize("label,keys,key,problem", BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_exits_2_with_one_line(tmp_path, capsys, label, keys, key, problem):
    path = write_sweep(tmp_path, **keys)
    assert main(["sweep", path, "--out", str(tmp_path / "out"), "--dry-run"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"netsim: error: {path}: {key}") and problem in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_unknown_plot_axis_is_bad_input(tmp_path, capsys):
    path = write_sweep(tmp_path, axes={"laser.tx_power_w": [1.0]})
    assert main(["sweep", path, "--dry-run", "--plot", "loss_ratio", "--against", "laser.rx_aperture_mm"]) == 2
    assert "is not an axis of the sweep" in capsys.readouterr().err


def test_dry_run_lists_pending_points(tmp_path, capsys):
    path = write_sweep(tmp_path, axes={"laser.tx_power_w": [0.5, 1.0]}, replicates=3)
    assert main(["sweep", path, "--out", str(tmp_path / "out"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "6 points in" in out and "6 pending" in out


def test_bundled_sweep_files_are_valid():
    from conftest import ROOT

    files = sorted((ROOT / "topologies" / "sweeps").glob("*.yaml"))
    assert files
    for path in files:
        assert load_sweep(path).points


def test_slurm_job_script_carries_the_requested_resources(tmp_path):
    from netsim.sweep.cluster import job_script

    sweep = load_sweep(write_sweep(tmp_path, axes={"laser.tx_power_w": [1.0]}, cluster={"slurm": {
        "queue": "compute", "account": "isl-lab", "cores": 8, "memory": "16GB", "walltime": "02:30:00",
        "job_extra_directives": ["--constraint=skylake"], "log_directory": str(tmp_path / "logs"),
        "job_script_prologue": ["module load gcc"]}}))
    script = job_script("slurm", sweep.cluster["slurm"])
    for line in ("#SBATCH -p compute", "#SBATCH -A isl-lab", "#SBATCH --cpus-per-task=8", "#SBATCH -t 02:30:00",
                 "#SBATCH --constraint=skylake", "#SBATCH --mem=15G", "module load gcc"):
        assert line in script, script
    # one worker process per core, one thread each: one ns-3 Simulator per process
    assert "--nworkers 8" in script and "--nthreads 1" in script


def test_job_script_needs_a_cluster_section(tmp_path, capsys):
    path = write_sweep(tmp_path, axes={"laser.tx_power_w": [1.0]})
    assert main(["sweep", path, "--cluster", "slurm", "--job-script"]) == 2
    assert "no cluster.slurm section" in capsys.readouterr().err


def test_resume_state_of_a_run_folder(tmp_path):
    """ok and real failures are results; missing, running and interrupted runs are pending."""
    import json

    from netsim.sweep.results import run_state

    def folder(name, manifest, flows=True):
        d = tmp_path / name
        d.mkdir()
        if manifest is not None:
            (d / "manifest.json").write_text(json.dumps(manifest))
        if flows:
            (d / "flows.csv").write_text("flow\n")
        return d

    assert run_state(tmp_path / "missing") == "pending"
    assert run_state(folder("ok", {"status": "ok"})) == "ok"
    assert run_state(folder("ok-no-table", {"status": "ok"}, flows=False)) == "pending"
    assert run_state(folder("running", {"status": "running"})) == "pending"
    failed = folder("failed", {"status": "failed", "error": "NetsimError: no route"})
    assert run_state(failed) == "failed" and run_state(failed, retry_failed=True) == "pending"
    assert run_state(folder("ctrl-c", {"status": "failed", "error": "KeyboardInterrupt: "})) == "pending"
    assert run_state(folder("killed", {"status": "failed", "error": "interrupted: killed by SIGKILL"})) == "pending"
