"""One run over several MPI ranks (netsim run --ranks N, ns-3's distributed engine)
against the same run on one rank: every output file but the manifest byte for byte.

The runs go through the command line in child processes (mpirun starts each rank's own
Python); they need the optional MPI build (bash scripts/setup.sh --mpi), which CI has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ROOT, default_scenario_dict

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def mpi():
    from netsim.core.mpi import mpi_problem

    problem = mpi_problem()
    if problem:
        if IN_CI:
            pytest.fail(problem + "; under CI=true the distributed tests must run")
        pytest.skip(problem)


def netsim_run(scenario: Path, out: Path, ranks: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "netsim", "run", str(scenario), "--out", str(out), "--quiet",
                           "--ranks", str(ranks)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text())


def outputs(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def same_as_one_rank(scenario: Path, tmp_path: Path, ranks=(2, 3)) -> dict[int, dict]:
    netsim_run(scenario, tmp_path / "r1", 1)
    one = outputs(tmp_path / "r1")
    manifests = {}
    for n in ranks:
        manifests[n] = netsim_run(scenario, tmp_path / f"r{n}", n)
        got = outputs(tmp_path / f"r{n}")
        assert sorted(got) == sorted(one), n
        for name in one:
            assert got[name] == one[name], f"{name} differs on {n} ranks"
        assert manifests[n]["ranks"]["size"] == n and manifests[n]["status"] == "ok"
    return manifests


def test_default_scenario_on_two_and_three_ranks_is_the_one_rank_run(mpi, tmp_path):
    manifests = same_as_one_rank(ROOT / "topologies" / "default.yaml", tmp_path)
    one = json.loads((tmp_path / "r1" / "manifest.json").read_text())
    for n, manifest in manifests.items():
        per_rank = manifest["ranks"]["per_rank"]
        # Each rank moved its share of the packets; together the one-rank count.
        assert sum(r["packet_hops"] for r in per_rank) == manifest["packet_hops"] == one["packet_hops"]
        if n == 2:  # both halves carry packets: the paths cross between the ranks
            assert all(r["packet_hops"] > 0 for r in per_rank), per_rank
        assert sum(r["nodes"] for r in per_rank) == 148  # 144 satellites + 4 stations
        # A rank builds the terminals of its own nodes (4 +Grid ports a satellite, at most
        # one up a station) and the far ends of the links reaching them: two plane cuts of
        # 12 links and the stations' uplinks; the whole fabric has 576 +Grid terminals.
        for r in per_rank:
            assert r["laser_devices"] <= 4 * r["nodes"] + 2 * 12 + 4, per_rank
        # The lookahead is a light time no longer than the shortest link's (the 12 x 12
        # shell's in-plane chord 2 a sin(pi / 12) at 550 km: ~3,444 km, 11.5 ms).
        assert 0 < manifest["ranks"]["lookahead_s"] < 2 * 6_928_137 * np.sin(np.pi / 12) / 299_792_458
    assert (tmp_path / "r3" / "pcap" / "144-london-port0.pcapng").stat().st_size > 10_000


def test_three_tier_links_on_two_and_three_ranks_is_the_one_rank_run(mpi, tmp_path):
    """Assigned inter-tier links and nearest-neighbour ISLs that break and acquire."""
    same_as_one_rank(ROOT / "topologies" / "three-tier-links.yaml", tmp_path)


def test_packets_in_flight_between_ranks_at_the_end_are_in_the_books(mpi, tmp_path):
    """Flows still sending when the run stops, no drain: packets handed to another rank
    and not there yet are counted in flight by the sending rank, as on one rank."""
    raw = default_scenario_dict(duration_s=1.5, drain_s=0.0)
    for flow in raw["traffic"]:
        flow.pop("stop_s", None)
        flow["start_s"] = 0.2
    scenario = tmp_path / "in-flight.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    same_as_one_rank(scenario, tmp_path, ranks=(2,))
    flows = (tmp_path / "r2" / "flows.csv").read_text().splitlines()
    header = flows[0].split(",")
    in_flight = [int(line.split(",")[header.index("lost_in_flight")]) for line in flows[1:]]
    assert all(n > 0 for n in in_flight), flows


def test_ranks_without_the_mpi_build_fail_with_one_line(tmp_path, monkeypatch, capsys):
    from netsim.cli.main import main
    from netsim.core import mpi as mpi_module

    monkeypatch.setattr(mpi_module, "mpi_dir", lambda: tmp_path / "no-mpi-build")
    code = main(["run", str(ROOT / "topologies" / "default.yaml"), "--out", str(tmp_path / "run"), "--ranks", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "--ranks" in err and "bash scripts/setup.sh --mpi" in err
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_a_distributed_run_refuses_what_it_cannot_run_yet(tmp_path, capsys, mpi):
    from netsim.cli.main import main

    raw = default_scenario_dict()
    raw["outputs"]["flow_monitor"] = True
    scenario = tmp_path / "flowmon.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    code = main(["run", str(scenario), "--out", str(tmp_path / "run"), "--ranks", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "outputs.flow_monitor" in err, err


def test_plane_blocks_keep_in_plane_links_on_one_rank_and_deal_stations():
    from netsim.links.numbering import layout
    from netsim.run.distributed import plane_partition
    from netsim.scenario.load import scenario_from_dict

    lay = layout(scenario_from_dict(default_scenario_dict()), tuple(f"sat-{i}" for i in range(144)))
    owner = plane_partition(lay, 3)
    planes = owner[:144].reshape(12, 12)  # plane by plane, 12 satellites each
    assert (planes == planes[:, :1]).all()  # a whole plane on one rank
    assert planes[:, 0].tolist() == [0] * 4 + [1] * 4 + [2] * 4  # contiguous blocks
    assert owner[144:].tolist() == [0, 1, 2, 0]  # stations round-robin
    # Load on planes 0 and 1 only: (12 x 12 plus 5 % of the mean per satellite) rank 0
    # takes plane 0, rank 1 plane 1, rank 2 the ten idle ones.
    load = np.zeros(148)
    load[:24] = 100.0
    balanced = plane_partition(lay, 3, load)[:144].reshape(12, 12)
    assert (balanced == balanced[:, :1]).all()
    assert balanced[:, 0].tolist() == [0, 1] + [2] * 10


def test_the_lookahead_bound_by_hand():
    from netsim.run.distributed import MAX_CLOSING_SPEED_MPS, lookahead_bound_s

    pos = np.array([[0.0, 0.0, 0.0], [100e3, 0.0, 0.0], [0.0, 400e3, 0.0]])
    later = np.array([[0.0, 0.0, 0.0], [90e3, 0.0, 0.0], [0.0, 400e3, 0.0]])
    bound = lookahead_bound_s(pos, later, np.array([0, 0]), np.array([1, 2]), 0.1)
    assert bound == pytest.approx((90e3 - MAX_CLOSING_SPEED_MPS * 0.1) / 299_792_458, rel=1e-12)
    assert lookahead_bound_s(pos, later, np.array([], int), np.array([], int), 0.1) == float("inf")
