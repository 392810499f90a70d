"""`netsim paths`: routing state alone, without packets. For each routing update in a
time range, the path and round-trip time of every reported ground-station pair, and a
table of path changes. Unreachable intervals are explicit rows."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path


from netsim.run import outputs
from netsim.scenario.model import Scenario
from netsim.errors import NetsimError
from netsim.run.network_state import NetworkStates
from netsim.routing.paths import follow_path, path_delay_s

RTT_COLUMNS = ("time_s", "src", "dst", "reachable", "rtt_ms", "hops", "path")
CHANGE_COLUMNS = ("time_s", "src", "dst", "old_path", "new_path", "rtt_before_ms", "rtt_after_ms")
UNREACHABLE = "unreachable"


def report_pairs(scenario: Scenario, which: str) -> list[tuple[str, str]]:
    """Ground-station pairs to report: the traffic's, or all unordered pairs."""
    if which == "flows":
        stations = {g.name for g in scenario.ground_stations}  # satellite endpoints: not reported
        pairs = {(f.src, f.dst) for f in scenario.traffic if f.src in stations and f.dst in stations}
        return sorted(pairs)
    names = [g.name for g in scenario.ground_stations]
    return list(itertools.combinations(names, 2))


class PathLog:
    """Path and RTT of chosen station pairs at each routing update, and path changes."""

    def __init__(self, states: NetworkStates, pairs: list[tuple[str, str]]):
        self.states = states
        self.pairs = pairs
        lay = states.layout
        self.names = list(lay.satellite_names) + list(lay.ground_names)
        self.rtt_rows: list[dict] = []
        self.change_rows: list[dict] = []
        self.previous: dict[tuple[str, str], tuple[str, float]] = {}

    def record(self, snap) -> None:
        lay = self.states.layout
        for src, dst in self.pairs:
            there = follow_path(snap, lay.n_satellites, lay.node_index(src), lay.ground_names.index(dst))
            back = follow_path(snap, lay.n_satellites, lay.node_index(dst), lay.ground_names.index(src))
            if there is None or back is None:
                label, rtt_ms, hops = UNREACHABLE, float("nan"), ""
            else:
                label = ">".join(self.names[n] for n in there)
                rtt_ms = (path_delay_s(snap, there) + path_delay_s(snap, back)) * 1e3
                hops = len(there) - 1
            t_s = round(snap.t_s, 9)
            self.rtt_rows.append({"time_s": t_s, "src": src, "dst": dst, "reachable": label != UNREACHABLE,
                                  "rtt_ms": rtt_ms, "hops": hops, "path": label})
            old = self.previous.get((src, dst))
            if old is not None and old[0] != label:
                self.change_rows.append({"time_s": t_s, "src": src, "dst": dst, "old_path": old[0],
                                         "new_path": label, "rtt_before_ms": old[1], "rtt_after_ms": rtt_ms})
            self.previous[(src, dst)] = (label, rtt_ms)

    def write(self, out_dir: Path) -> None:
        outputs.write_csv(out_dir / "rtt.csv", RTT_COLUMNS, self.rtt_rows)
        outputs.write_csv(out_dir / "path_changes.csv", CHANGE_COLUMNS, self.change_rows)


def check_span(scenario: Scenario, scenario_path, from_s: float, to_s: float, pairs: str = "flows") -> None:
    """NetsimError when the time range is not 0 <= from < to or asks for more routing
    updates or rtt.csv rows than the scenario's limits allow."""
    from netsim.scenario.limits import updates

    if not 0 <= from_s < to_s:
        raise NetsimError(f"--from/--to: need 0 <= from < to (got {from_s} .. {to_s})")
    n = updates(to_s - from_s, scenario.routing.update_interval_s)
    limit = scenario.limits.max_updates
    if n > limit:
        raise NetsimError(f"--from/--to: {n:,} routing updates ({from_s:g} .. {to_s:g} s every "
                          f"{scenario.routing.update_interval_s:g} s), more than the limit of {limit:,} "
                          f"(shorten the range, or raise limits.max_updates in {scenario_path})")
    rows = n * len(report_pairs(scenario, pairs))
    if rows > scenario.limits.max_path_rows:
        raise NetsimError(f"--from/--to, --pairs: {rows:,} rows of rtt.csv (updates x pairs), more than the limit "
                          f"of {scenario.limits.max_path_rows:,} (shorten the range, use --pairs flows, or raise "
                          f"limits.max_path_rows in {scenario_path})")


def compute_paths(scenario: Scenario, out_dir: Path, from_s: float, to_s: float,
                  pairs: str = "flows", progress: bool = False) -> dict:
    """Write rtt.csv, path_changes.csv and manifest.json into out_dir; return a summary.
    The manifest says failed (with the error) when this stops early."""
    import os
    import socket
    import traceback

    from netsim.files import make_out_dir
    from netsim.run.folder import clear_outputs, write_failed_manifest

    check_span(scenario, "the scenario", from_s, to_s, pairs)
    out_dir = make_out_dir(out_dir)
    clear_outputs(out_dir)
    manifest = {"scenario": scenario.model_dump(mode="json"), "from_s": from_s, "to_s": to_s,
                "status": "running", "versions": outputs.versions(),
                "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "pid": os.getpid(), "host": socket.gethostname()}
    outputs.write_manifest(out_dir, manifest)
    start = time.perf_counter()
    try:
        summary = _compute(scenario, out_dir, from_s, to_s, pairs, progress, start)
    except BaseException as err:
        cause = f"interrupted: {err or 'SIGINT'}" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
        manifest.update(status="failed", error=cause, traceback=traceback.format_exc(),
                        wall_time_s=round(time.perf_counter() - start, 3))
        write_failed_manifest(out_dir, manifest)  # also on a full disk
        raise
    manifest.update(status="ok", **summary)
    outputs.write_manifest(out_dir, manifest)
    return summary


def _compute(scenario: Scenario, out_dir: Path, from_s: float, to_s: float, pairs: str, progress: bool,
             start: float) -> dict:
    reported = report_pairs(scenario, pairs)
    states = NetworkStates(scenario, routed={end for pair in reported for end in pair})
    log = PathLog(states, reported)
    step_ns = round(scenario.routing.update_interval_s * 1e9)
    times_ns = range(round(from_s * 1e9), round(to_s * 1e9) + 1, step_ns)
    routing_s = 0.0
    from tqdm import tqdm

    for t_ns in tqdm(times_ns, disable=not progress, unit="update", leave=False):
        tick = time.perf_counter()
        snap = states.at(t_ns * 1e-9)
        routing_s += time.perf_counter() - tick
        log.record(snap)
    log.write(out_dir)
    return {"updates": len(times_ns), "pairs": len(log.pairs), "path_changes": len(log.change_rows),
            "unreachable_rows": sum(not r["reachable"] for r in log.rtt_rows),
            "routing_s": round(routing_s, 3), "wall_time_s": round(time.perf_counter() - start, 3)}
