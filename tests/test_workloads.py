"""The compute fabric's workloads against hand calculations (docs/workloads.md).

- one inference request over a fixed path: latency = light time up + serialisation up
  + compute (operations / compute rate) + serialisation down + light time down, to 1 µs;
- a 2-satellite ring all-reduce of G bytes on an idle 10 Gbps link: G 8 / rate plus the
  light time (the chunks are pipelined in slices, so the latency is paid once), within 5 %;
- a ring of k satellites on idle links: 2 (k - 1) / k G 8 / rate, within 5 %;
- the books: every request answered, lost with a cause, or in flight at the end;
- bad workload input: one line naming the key, exit 2.

Positions come from the orbit and site models; every other number of the oracles is
computed here from the textbook formulas, not read from netsim.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import default_scenario_dict
from test_packet_delay import light_time_s
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris
from netsim.space.sites import ground_sites

RATE_BPS = 10e9
PPP_IP_UDP_BYTES = 2 + 20 + 8
TOPS = 1000.0


def _read(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _positions(scenario):
    orbits = constellation_ephemeris(scenario)
    sites = ground_sites(scenario.ground_stations, dt.datetime.fromisoformat(scenario.epoch))
    return lambda t_s: np.concatenate([orbits.at(t_s)[0], sites.at(t_s)[0]]), len(orbits)


# ----------------------------------------------------------------------------- one request

def _one_request_dict() -> dict:
    raw = default_scenario_dict(duration_s=0.6, drain_s=0.2, traffic=[])
    raw["constellation"]["tiers"][0]["compute_tops"] = TOPS
    raw["ground_stations"] = raw["ground_stations"][:1]  # london
    raw["outputs"] = {}
    raw["workloads"] = {"inference": [{
        "name": "one", "tier": "vleo", "rate_per_s": 1.0, "arrivals": "constant", "start_s": 0.2501,
        "stop_s": 0.26, "request_bytes": 1000, "response_bytes": 1400, "ops": 3.0e+12}]}
    return raw


@pytest.fixture(scope="module")
def one_request(tmp_path_factory):
    from netsim.run.runner import run

    scenario = scenario_from_dict(_one_request_dict())
    result = run(scenario, tmp_path_factory.mktemp("one-request"))
    return scenario, result, _read(result.run_dir / "requests.csv")


def test_one_request_is_light_time_serialisation_and_compute(one_request):
    scenario, result, rows = one_request
    assert len(rows) == 1 and rows[0]["status"] == "answered"
    row = rows[0]
    positions, n_sat = _positions(scenario)
    station = n_sat  # london, the only station
    names = [f"vleo-{p}-{s}" for p in range(12) for s in range(12)]
    server = names.index(row["server"])
    sent = float(row["sent_s"])
    up_wire = (1000 + PPP_IP_UDP_BYTES) * 8 / RATE_BPS
    arrived = sent + up_wire + light_time_s(positions, station, server, sent)
    compute = 3.0e12 / (TOPS * 1e12)  # 3 ms
    done = arrived + compute
    down_wire = (1400 + PPP_IP_UDP_BYTES) * 8 / RATE_BPS
    answered = done + down_wire + light_time_s(positions, server, station, done)
    assert float(row["uplink_ms"]) * 1e-3 == pytest.approx(arrived - sent, abs=1e-6)
    assert float(row["queue_ms"]) == pytest.approx(0.0, abs=1e-6)
    assert float(row["compute_ms"]) * 1e-3 == pytest.approx(compute, abs=1e-6)
    assert float(row["downlink_ms"]) * 1e-3 == pytest.approx(answered - done, abs=1e-6)
    assert float(row["total_ms"]) * 1e-3 == pytest.approx(answered - sent, abs=1e-6)
    # The serialisation terms (0.82 + 1.14 µs) are what the 1 µs bar must see.
    assert up_wire + down_wire > 1.9e-6


# ----------------------------------------------------------------------------- all-reduce

# Two planes 2 degrees of RAAN apart, 60 satellites each (720 km between neighbours in a
# plane): a 2-satellite job in plane 0 and a 4-satellite ring that snakes over both
# planes, every ring edge a single idle laser. Iteration 0 carries the TCP handshakes;
# iteration 1 is the steady step the bars are about.
G2 = 20_000_000
G4 = 40_000_000


def _ring_dict() -> dict:
    return {
        "name": "rings", "seed": 1, "duration_s": 1.0, "drain_s": 0.0, "epoch": "2026-01-01T00:00:00",
        "constellation": {"tiers": [{"name": "leo", "compute_tops": TOPS, "shells": [
            {"altitude_km": 550, "inclination_deg": 53, "planes": 2, "sats_per_plane": 60, "phasing": 0,
             "raan_spread_deg": 4}]}]},
        "ground_stations": [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278}],
        "ground_links": {"elevation_mask_deg": 10},
        "routing": {"update_interval_s": 0.1},
        # A window above the bandwidth-delay product and queues that hold it.
        "laser": {"queue_packets": 5000},
        "workloads": {"training": [
            {"name": "pair", "tier": "leo", "satellites": 2, "placement": "plane_run", "plane": 0, "slot": 30,
             "compute_s": 0.01, "gradient_bytes": G2, "iterations": 2,
             "buffer_bytes": 20_000_000},
            {"name": "ring", "tier": "leo", "satellites": 4, "placement": "plane_block", "planes": 2, "plane": 0,
             "slot": 0, "compute_s": 0.01, "gradient_bytes": G4, "iterations": 2,
             "buffer_bytes": 20_000_000},
        ]},
    }


@pytest.fixture(scope="module")
def rings(tmp_path_factory):
    from netsim.run.runner import run

    scenario = scenario_from_dict(_ring_dict())
    result = run(scenario, tmp_path_factory.mktemp("rings"))
    return scenario, result, _read(result.run_dir / "jobs.csv")


def _steady(rows, job) -> dict:
    mine = [r for r in rows if r["job"] == job]
    assert [r["completed"] for r in mine] == ["True", "True"], mine
    return mine[1]


def test_two_satellite_allreduce_is_g_over_the_rate_plus_light_time(rings):
    scenario, _, rows = rings
    row = _steady(rows, "pair")
    positions, _ = _positions(scenario)
    a, b = 30, 31  # leo-0-30, leo-0-31
    t0 = float(row["start_s"]) + 0.01
    light = light_time_s(positions, a, b, t0)
    # Two steps; in each, both send G/2 at once, one per direction of the link. Pipelined
    # in slices, the second step's slices follow the first's on the wire without a gap,
    # so each direction is busy for G 8 / rate and its last byte lands one light time
    # later (the slice and frame headers are what the 5 % covers).
    expected = G2 * 8 / RATE_BPS + light
    measured = float(row["communication_s"])
    assert measured == pytest.approx(expected, rel=0.05), (measured, expected)
    assert measured >= G2 * 8 / RATE_BPS  # never faster than the wire


def test_ring_allreduce_is_2_k_minus_1_over_k_g_over_the_rate(rings):
    _, _, rows = rings
    row = _steady(rows, "ring")
    k = 4
    # The bar has no latency term: a pipelined ring still pays about one path latency
    # per iteration (the last slices' light time, ~2 ms over these one-hop edges of 500
    # to 720 km) and a slice. So the geometry keeps every ring edge one short laser and G
    # = 40 MB makes the wire time (48 ms) large enough that this stays inside 5 %.
    expected = 2 * (k - 1) / k * G4 * 8 / RATE_BPS
    measured = float(row["communication_s"])
    assert measured == pytest.approx(expected, rel=0.05), (measured, expected)


def test_ring_sends_2_k_minus_1_chunks_per_rank_without_loss(rings):
    _, _, rows = rings
    row = _steady(rows, "ring")
    k = 4
    assert int(row["bytes"]) == 2 * (k - 1) * G4  # each rank sends 2 (k - 1) chunks of G / k
    assert int(row["retransmissions"]) == 0
    assert all(int(row[f"lost_{c}"]) == 0 for c in ("bit_errors", "link_down", "queue_full", "handover"))
    # Never faster than the wire.
    assert float(row["communication_s"]) >= 2 * (k - 1) / k * G4 * 8 / RATE_BPS


# ----------------------------------------------------------------------------- the books

def test_every_request_is_answered_lost_with_a_cause_or_in_flight(workload_run):
    _, result = workload_run
    text = (result.run_dir / "requests.csv").read_text()
    assert "nan" not in text.lower()
    rows = _read(result.run_dir / "requests.csv")
    status = {s: [r for r in rows if r["status"] == s] for s in ("answered", "lost", "in_flight")}
    assert sum(map(len, status.values())) == len(rows)  # nothing else (no 'unaccounted')
    assert all(len(v) > 0 for v in status.values()), {k: len(v) for k, v in status.items()}
    assert all(r["cause"] for r in status["lost"]) and {r["cause"] for r in status["lost"]} >= {"server_full"}
    assert all(r["stage"] for r in status["in_flight"])
    assert all(r["total_ms"] for r in status["answered"]) and not any(r["total_ms"] for r in status["lost"])
    # The same books in the manifest, the console's numbers and per station.
    summary = json.loads((result.run_dir / "manifest.json").read_text())["workloads"]["requests"]
    assert summary["sent"] == len(rows) == summary["answered"] + summary["lost"] + summary["in_flight"]
    assert summary["lost_by_cause"]["server_full"] == sum(r["cause"] == "server_full" for r in rows)
    assert sum(s["requests"] for s in summary["stations"]) == len(rows)
    assert not result.problems, result.problems


def test_console_shows_the_books_and_percentiles_per_station(workload_run, capsys):
    from netsim.cli.main import _print_summary

    _, result = workload_run
    _print_summary(result)
    out = capsys.readouterr().out
    summary = result.workloads.summary["requests"]
    assert (f"inference requests: {summary['sent']} sent = {summary['answered']} answered + "
            f"{summary['lost']} lost") in out
    for station in ("london", "new_york", "singapore", "sydney"):
        assert any(line.split()[1:2] == [station] for line in out.splitlines())
    assert "nan" not in out


# ----------------------------------------------------------------------------- bad input

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "netsim.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


BAD = [
    ("unknown tier", lambda r: r["workloads"]["training"][0].update(tier="meo"),
     "workloads.training[0].tier", "no tier named 'meo'"),
    ("k larger than the tier", lambda r: r["workloads"]["training"][0].update(satellites=121, placement="random"),
     "workloads.training[0].satellites", "121 satellites; tier 'leo' has 120"),
    ("compute rate 0", lambda r: r["constellation"]["tiers"][0].update(compute_tops=0),
     "constellation.tiers[0].compute_tops", "greater than or equal to"),
    ("compute rate negative", lambda r: r["constellation"]["tiers"][0].update(compute_tops=-1.0),
     "constellation.tiers[0].compute_tops", "greater than or equal to"),
    ("compute time 0", lambda r: r["workloads"]["training"][1].update(compute_s=0),
     "workloads.training[1].compute_s", "greater than 0"),
]


@pytest.mark.parametrize("label,change,key,problem", BAD, ids=[b[0] for b in BAD])
def test_bad_workload_input_is_one_line_and_exit_2(tmp_path, label, change, key, problem):
    raw = copy.deepcopy(_ring_dict())
    change(raw)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    result = _cli("run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert key in lines[0] and problem in lines[0] and "s.yaml" in lines[0]


# ----------------------------------------------------------------------------- a handover

def _handover_dict() -> dict:
    """A 2-satellite job across two planes whose laser link outgrows the link budget at
    ~1.5 s: leo-6-20 and leo-7-20 drift apart at 1.5 km/s from 2,904.4 km, and the laser
    power is set so the longest usable link is 2,906.7 km (range scales as the square root
    of the power: ~5,317 km at 1 W with the default budget). In-plane links (1,809 km) stay."""
    from netsim.links.link_budget import LinkBudget
    from netsim.scenario.model import Laser

    range_at_1w_km = LinkBudget.from_config(Laser()).max_range_m() / 1e3
    return {
        "name": "handover", "seed": 1, "duration_s": 2.6, "drain_s": 0.0, "epoch": "2026-01-01T00:00:00",
        "constellation": {"tiers": [{"name": "leo", "compute_tops": TOPS, "shells": [
            {"altitude_km": 550, "inclination_deg": 53, "planes": 12, "sats_per_plane": 24, "phasing": 1}]}]},
        "ground_stations": [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278}],
        "ground_links": {"elevation_mask_deg": 10},
        "laser": {"tx_power_w": (2906.7 / range_at_1w_km) ** 2},
        "routing": {"update_interval_s": 0.1},
        "workloads": {"training": [
            {"name": "cross", "tier": "leo", "satellites": 2, "members": ["leo-6-20", "leo-7-20"],
             "compute_s": 0.05, "gradient_bytes": 4_000_000, "start_s": 1.2}]},
    }


def test_a_handover_during_an_iteration_is_a_longer_step_counted_in_jobs_csv(tmp_path):
    from netsim.run.runner import run

    result = run(scenario_from_dict(_handover_dict()), tmp_path / "run")
    rows = _read(result.run_dir / "jobs.csv")
    broken = [r for r in rows if int(r["handovers"]) > 0]
    assert broken, "the link's loss is counted in jobs.csv"
    first = broken[0]
    before = [float(r["step_s"]) for r in rows if int(r["iteration"]) < int(first["iteration"])]
    assert len(before) >= 2 and float(first["start_s"]) < 1.6 <= float(first["end_s"] or 99)
    # The iteration that loses its link waits for TCP to recover over the new route.
    assert first["completed"] == "True" and float(first["step_s"]) > 1.2 * max(before)
    assert int(first["path_changes"]) > 0
    handovers = _read(result.run_dir / "handovers.csv")
    assert any({h["node"], h["old_peer"]} == {"leo-6-20", "leo-7-20"} and h["cause"] == "margin" for h in handovers)


# ----------------------------------------------------------------------------- analyze, sweeps

def test_sweeps_and_analyze_read_the_workload_tables(workload_run, tmp_path):
    import pandas as pd

    from netsim.cli.main import main
    from netsim.sweep.results import summarise

    _, result = workload_run
    rows = _read(result.run_dir / "requests.csv")
    metrics = summarise(result.run_dir)  # a row of results.parquet
    assert metrics["requests_sent"] == len(rows)
    assert metrics["requests_answered"] + metrics["requests_lost"] + metrics["requests_in_flight"] == len(rows)
    answered = sorted(float(r["total_ms"]) for r in rows if r["status"] == "answered")
    assert metrics["request_p50_ms"] == pytest.approx(float(np.percentile(answered, 50)), abs=1e-5)
    assert metrics["iterations_completed"] == 4 and metrics["storage_completed"] == 4
    assert main(["analyze", str(result.run_dir), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    stations = pd.read_csv(tmp_path / "a" / "request_stations.csv")
    assert stations["requests"].sum() == len(rows)
    assert (stations["answered"] + stations["lost"] + stations["in_flight"] == stations["requests"]).all()
    jobs = pd.read_csv(tmp_path / "a" / "job_steps.csv")
    assert list(jobs["completed"]) == [4]
