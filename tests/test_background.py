"""Background load beside packets (netsim.run.background): the coupled model (fluid
background, max-min allocated, each port's packet rate reduced by it) against a full
packet-level run of the same network with the background sent as UDP packets at the
allocated rates, on a chain and on a small +Grid; the tables; the scenario keys."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from netsim.errors import ScenarioError
from netsim.run.background import UDP_WIRE_OVERHEAD_BYTES
from netsim.scenario.load import scenario_from_dict

# 10 Mbit/s lasers: a TCP window over these paths (RTT up to ~0.2 s) is tens of packets,
# within the queue, so TCP settles in the first second and keeps its bottleneck busy
# instead of spending the run recovering from slow start.
LINE_GBPS = 0.01
BASE = {
    "seed": 3, "duration_s": 10.0, "drain_s": 0.5,
    "laser": {"data_rate_gbps": LINE_GBPS, "physics": False, "queue_packets": 100},
    # One routing interval: the allocation the full run replays holds for the whole run.
    "routing": {"update_interval_s": 10.5},
}
FOREGROUND = [
    {"name": "fg-tcp", "kind": "tcp_bulk", "src": "S0", "dst": "S2", "start_s": 0.1, "stop_s": 10.0},
    {"name": "fg-udp", "kind": "udp_cbr", "src": "S3", "dst": "S5", "rate_mbps": 1, "packet_bytes": 1400,
     "start_s": 0.1, "stop_s": 10.0},
]


def _chain(tmp_path) -> dict:
    """Six satellites of one plane linked in a line (each hop ~725 km, 2.4 ms)."""
    (tmp_path / "chain.txt").write_text("".join(f"vleo-0-{i} vleo-0-{i + 1}\n" for i in range(5)))
    (tmp_path / "demands.csv").write_text("src,dst,rate_gbps\n" + "".join(
        f"vleo-0-{a},vleo-0-{b},{share * LINE_GBPS}\n" for a, b, share in ((0, 5, 0.4), (1, 3, 0.5), (2, 5, 0.3), (4, 2, 0.2))))
    raw = {**copy.deepcopy(BASE), "name": "chain", "constellation": {"tiers": [{
        "name": "vleo", "shells": [{"altitude_km": 550, "inclination_deg": 53, "planes": 1, "sats_per_plane": 60}],
        "terminals": {"isl": {"count": 2, "policy": "list", "links_file": str(tmp_path / "chain.txt")}}}]},
        "background": {"matrix": [{"generate": "file", "file": str(tmp_path / "demands.csv")}]}}
    ends = {f"S{i}": f"vleo-0-{i}" for i in range(6)}
    raw["traffic"] = [{**f, "src": ends[f["src"]], "dst": ends[f["dst"]]} for f in FOREGROUND]
    return raw


def _grid(tmp_path) -> dict:
    """A 6 x 20 +Grid; background from random satellites to four of them (tier_to_tier)."""
    raw = {**copy.deepcopy(BASE), "name": "grid", "constellation": {"tiers": [{
        "name": "vleo", "shells": [{"altitude_km": 550, "inclination_deg": 53, "planes": 6, "sats_per_plane": 20,
                                    "phasing": 1}]}]},
        "background": {"matrix": [{"generate": "tier_to_tier", "src_tier": "vleo", "dst_tier": "vleo",
                                   "destinations": 4, "count": 24, "total_gbps": 6 * LINE_GBPS, "seed": 5}]}}
    ends = {"S0": "vleo-0-0", "S2": "vleo-2-1", "S3": "vleo-3-0", "S5": "vleo-4-3"}
    raw["traffic"] = [{**f, "src": ends[f["src"]], "dst": ends[f["dst"]]} for f in FOREGROUND]
    return raw


def _full_packet(coupled: dict, demands: pd.DataFrame) -> dict:
    """The same scenario with the background as UDP packets at its allocated line rates."""
    raw = copy.deepcopy(coupled)
    del raw["background"]
    size = 1400
    for row in demands.itertuples():
        if row.allocated_gbps > 0:
            raw["traffic"].append({"name": f"bg{row.demand}", "kind": "udp_cbr", "src": row.src, "dst": row.dst,
                                   "packet_bytes": size, "start_s": 0.0, "stop_s": raw["duration_s"],
                                   "rate_mbps": row.allocated_gbps * 1e3 * size / (size + UDP_WIRE_OVERHEAD_BYTES)})
    return raw


@pytest.fixture(scope="module", params=["chain", "grid"])
def pair(request, tmp_path_factory):
    from netsim.run.runner import run

    folder = tmp_path_factory.mktemp(request.param)
    coupled_raw = {"chain": _chain, "grid": _grid}[request.param](folder)
    coupled = run(scenario_from_dict(coupled_raw), folder / "coupled")
    demands = pd.read_csv(folder / "coupled" / "load_demands.csv")
    full = run(scenario_from_dict(_full_packet(coupled_raw, demands)), folder / "full")
    return request.param, folder, coupled, full


def _flow(result, name: str) -> dict:
    return next(f for f in result.flows if f["flow"] == name)


def test_coupled_foreground_within_ten_percent_of_full_packet_level(pair):
    topology, folder, coupled, full = pair
    figures = {}
    for name, column in (("fg-tcp", "goodput_mbps"), ("fg-udp", "delay_mean_ms"), ("fg-udp", "packets_received")):
        a, b = float(_flow(coupled, name)[column]), float(_flow(full, name)[column])
        figures[f"{name}.{column}"] = (a, b)
        assert b > 0 and abs(a - b) / b <= 0.10, f"{topology} {name} {column}: coupled {a} vs full {b}"
    print(topology, json.dumps(figures))
    # The background really competes: the TCP flow's fair share is well below the line rate.
    assert float(_flow(coupled, "fg-tcp")["goodput_mbps"]) < 0.8 * LINE_GBPS * 1e3
    for result in (coupled, full):
        assert not result.problems  # the books balance in both runs


def test_the_chain_allocation_is_the_hand_solution(pair):
    """Chain links, in units of the line rate C; demands 0->5 0.4, 1->3 0.5, 2->5 0.3,
    4->2 0.2, TCP 0->2 elastic. Fair shares: 0->1 carries 0->5 and TCP (1/2 each); 1->2
    carries 0->5, 1->3 and TCP (1/3 each); 2->3 carries 0->5, 1->3 and 2->5 (1/3 each),
    but 2->5 asks for 0.3 < 1/3 and freezes there, which leaves 2->3 0.35 each for the
    other two. So 1->2 fills first, at 1/3: 0->5 = 1->3 = TCP = 1/3, and 2->3 carries
    0.967 (not full). 4->2 (0.2) is alone on its ports and gets it all."""
    topology, folder, coupled, full = pair
    if topology != "chain":
        pytest.skip("hand solution for the chain only")
    demands = pd.read_csv(folder / "coupled" / "load_demands.csv")
    np.testing.assert_allclose(demands["allocated_gbps"], np.array([1 / 3, 1 / 3, 0.3, 0.2]) * LINE_GBPS, atol=1e-6)
    links = pd.read_csv(folder / "coupled" / "load_links.csv")
    hop = links[(links["node"] == "vleo-0-1") & (links["peer"] == "vleo-0-2")].iloc[0]
    assert hop["background_gbps"] == pytest.approx(2 / 3 * LINE_GBPS, abs=1e-6)
    assert hop["foreground_gbps"] == pytest.approx(1 / 3 * LINE_GBPS, abs=1e-6)
    assert hop["utilisation"] == pytest.approx(1.0) and hop["saturated"]
    manifest = json.loads((folder / "coupled" / "manifest.json").read_text())
    assert manifest["background"]["carried_tbps"] == pytest.approx((2 / 3 + 0.5) * LINE_GBPS / 1e3, rel=1e-4)
    assert manifest["background"]["demands_satisfied"] == pytest.approx(0.5)


def test_tables_have_no_missing_numbers(pair):
    topology, folder, coupled, full = pair
    for name in ("load_links.csv", "load_summary.csv", "load_demands.csv"):
        table = pd.read_csv(folder / "coupled" / name, keep_default_na=False)
        assert len(table) and "nan" not in (folder / "coupled" / name).read_text()
    assert not (folder / "full" / "load_links.csv").exists()  # no background: no tables


@pytest.mark.parametrize("change, key, message", [
    ({"total_gbps": 1, "total_tbps": 1}, "background.matrix[0].total_gbps", "exactly one"),
    ({"generate": "uniform"}, "background.matrix[0].count", "required"),
    ({"tier": "vleo"}, "background.matrix[0].tier", "not used by generate: gravity"),
    ({"generate": "ground_to_tier", "tier": "nope", "count": 3}, "background.matrix[0].tier", "no tier named"),
    ({"generate": "tier_to_tier", "src_tier": "vleo", "dst_tier": "vleo", "count": 3, "destinations": 999},
     "background.matrix[0].destinations", "has 144 satellites"),
    ({"total_gbps": -1}, "background.matrix.0.total_gbps", "greater than 0"),
])
def test_bad_background_keys_name_the_key(change, key, message):
    from conftest import default_scenario_dict

    raw = default_scenario_dict(background={"matrix": [{"generate": "gravity", "total_gbps": 1, **change}]})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "s.yaml")
    assert err.value.key.replace("[0]", ".0") == key.replace("[0]", ".0") and message in err.value.problem


def test_a_bad_demand_file_names_its_line(tmp_path):
    from conftest import default_scenario_dict

    (tmp_path / "d.csv").write_text("src,dst,rate_gbps\nlondon,new_york,1\nlondon,mars,2\n")
    raw = default_scenario_dict(background={"matrix": [{"generate": "file", "file": str(tmp_path / "d.csv")}]})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "s.yaml")
    assert "line 3" in err.value.problem and "mars" in err.value.problem


def test_a_background_run_balances_its_books_and_tables(background_run):
    scenario, result = background_run
    assert not result.problems
    demands = pd.read_csv(result.run_dir / "load_demands.csv", keep_default_na=False)
    n_demands = 4 * 3 + 40  # gravity: every ordered pair of 4 stations; ground_to_tier: 40
    intervals = 4  # updates at 0, 0.5, 1.0, 1.5 s; none in the drain
    assert len(demands) == n_demands * intervals
    assert (demands["allocated_gbps"] <= demands["demand_gbps"] * (1 + 1e-6)).all()
    assert ((demands["path"] != "") == (demands["demand"] < 5)).all()  # record_paths: 5
    summary = pd.read_csv(result.run_dir / "load_summary.csv")
    links = pd.read_csv(result.run_dir / "load_links.csv")
    for t, rows in links.groupby("time_s"):
        # the summary's carried load is the sum over every loaded port (all are listed here)
        assert rows["background_gbps"].sum() == pytest.approx(summary[summary["time_s"] == t]["background_gbps"].sum(),
                                                              abs=1e-3)
        assert (rows["utilisation"] <= 1 + 1e-6).all()
    manifest = json.loads((result.run_dir / "manifest.json").read_text())["background"]
    assert manifest["offered_tbps"] == pytest.approx(0.07) and manifest["intervals"] == intervals
    # Each station has two ground terminals of 10 Gbps: 70 Gbps offered cannot all pass.
    assert 0 < manifest["carried_tbps"] < manifest["offered_tbps"] and manifest["max_utilisation"] == pytest.approx(1.0)


def test_same_scenario_same_bytes_with_the_allocation_computed_beside_ns3_or_in_turn(background_run, tmp_path,
                                                                                    monkeypatch):
    """The fixture's run allocates each interval's background on the snapshot thread
    while ns-3 runs the interval before; this one computes everything in turn."""
    from conftest import background_scenario_dict
    from netsim.run.runner import run

    monkeypatch.setenv("NETSIM_OVERLAP", "0")
    run(scenario_from_dict(background_scenario_dict()), tmp_path / "again")
    manifest = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert not manifest["routing"]["overlap"] and manifest["background"]["intervals"] > 1
    assert manifest["background"]["allocations"]["updates"] == manifest["routing"]["snapshots"]["updates"]
    for name in ("load_links.csv", "load_summary.csv", "load_demands.csv", "flows.csv", "accounting.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (background_run[1].run_dir / name).read_bytes(), name


def test_the_view_and_the_sweep_table_show_the_load(background_run, tmp_path):
    from netsim.cli.main import main
    from netsim.sweep.results import summarise

    run_dir = background_run[1].run_dir
    assert main(["view", str(run_dir)]) == 0
    page = (run_dir / "view.html").read_text()
    assert "background load from load_links.csv" in page and "links by utilisation" in page
    row = summarise(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())["background"]
    assert row["background_carried_tbps"] == manifest["carried_tbps"]
    assert row["background_max_utilisation"] == pytest.approx(1.0)
    assert 0 <= row["background_demands_satisfied"] <= 1


def test_a_loaded_port_delays_spaces_and_limits_packets_as_documented():
    """One 10 Gbit/s link whose sending port carries 6 Gbit/s of background (rho = 0.6),
    the three effects worked out by hand: a lone packet waits rho x half a 1,500-byte
    frame; back-to-back packets leave serialisation / (1 - rho) apart; of a burst of 100
    into a 100-packet queue, one goes into service and 40 = (1 - rho) x 100 wait."""
    from core_support import SPEED_OF_LIGHT_MPS, drivers, run_and_collect, two_terminal_link

    ns, test = drivers()
    distance_m, rho = 3_000_000.0, 0.6
    serialise_s = (998 + 2) * 8 / 10e9
    fabric = two_terminal_link([7e6, 0, 0], [7e6, distance_m, 0])
    fabric.set_background([0], [0], [rho * 10.0], 0.01)
    test.Listen(fabric.port(1, 0))
    test.SendTrain(fabric.port(0, 0), 1.0, 1.0, 1, 998)  # alone
    test.SendTrain(fabric.port(0, 0), 3.0, 1e-9, 100, 998)  # a burst
    arrivals = np.array(run_and_collect(ns, test, 5.0)) * 1e-9
    ns.Simulator.Destroy()
    wait_s = rho * 1500 * 8 / 10e9 / 2
    assert arrivals[0] == pytest.approx(1.0 + distance_m / SPEED_OF_LIGHT_MPS + serialise_s + wait_s, abs=2e-9)
    burst = arrivals[1:]
    assert len(burst) == 41
    np.testing.assert_allclose(np.diff(burst), serialise_s / (1 - rho), atol=2e-9)


def test_each_generator_draws_its_demands():
    """The matrix parts as drawn: rates sum to each part's total, ends are distinct and of
    the asked kind, gravity weighs by population products, draws repeat with the seed."""
    from conftest import default_scenario_dict
    from netsim.run.demands import draw_demands
    from netsim.run.network_state import NetworkStates

    raw = default_scenario_dict(background={"matrix": [
        {"generate": "gravity", "total_gbps": 12},
        {"generate": "uniform", "count": 7, "total_gbps": 7},
        {"generate": "ground_to_tier", "tier": "vleo", "count": 50, "total_tbps": 0.05, "direction": "up"},
        {"generate": "tier_to_tier", "src_tier": "vleo", "dst_tier": "vleo", "destinations": 3, "count": 60,
         "total_gbps": 6}]})
    raw["ground_stations"][0]["population"] = 3  # london weighs 3, the others 1
    scenario = scenario_from_dict(raw)
    lay = NetworkStates(scenario).layout
    d = draw_demands(scenario, lay)
    n_sat = lay.n_satellites
    for part, total in enumerate((12, 7, 50, 6)):
        mine = d.part == part
        assert d.rate_gbps[mine].sum() == pytest.approx(total)
    assert (d.src != d.dst).all()
    gravity = d.part == 0
    assert gravity.sum() == 12  # 4 stations, ordered pairs
    london = n_sat  # the first station
    from_london = gravity & (d.src == london)
    # weights: from or to london 3 (6 pairs), the 6 other pairs 1: total 24
    np.testing.assert_allclose(d.rate_gbps[from_london], 12 * 3 / 24)
    up = d.part == 2
    assert (d.src[up] >= n_sat).all() and (d.dst[up] < n_sat).all()
    storage = d.part == 3
    assert len(np.unique(d.dst[storage])) <= 3 and (d.src[storage] < n_sat).all()
    again = draw_demands(scenario, lay)
    assert (again.src == d.src).all() and (again.dst == d.dst).all()
