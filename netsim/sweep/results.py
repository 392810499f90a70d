"""Run folders -> summary metrics -> the results tables (Parquet), always rebuildable.

results.parquet: one row per finished run (ok or failed): run id, point, replicate,
seed, the axis values (one column per dotted path), status, error, summary metrics.
flows.parquet: one row per (run, flow) with the flows.csv columns.
Both are written to a temporary name and renamed, so a reader never sees half a table.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

from netsim.files import new_path

SCENARIO_FILE = "scenario.yaml"
LOG_FILE = "run.log"
RESULTS_FILE = "results.parquet"
FLOWS_FILE = "flows.parquet"
RUNS_DIR = "runs"
# Errors that mean the run was stopped, not that it failed: a rerun completes it.
INTERRUPTED = "interrupted"
_INTERRUPTION_ERRORS = (INTERRUPTED, "KeyboardInterrupt")
METRICS = ("wall_time_s", "handovers", "flows", "packets_sent", "packets_received", "packets_lost",
           "loss_ratio", "delay_mean_ms", "delay_p99_ms", "delay_p99_ms_mean", "drops_total")


def read_manifest(run_dir: Path) -> dict | None:
    try:
        return json.loads((Path(run_dir) / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


# States of a point: ok and failed are results; pending and incomplete (a run killed
# before it finished: status running, its process gone) are run (again).
TO_RUN = ("pending", "incomplete")


def run_state(run_dir: Path, retry_failed: bool = False) -> str:
    """'ok', 'failed' (a result: recorded, not rerun), 'incomplete' (killed: status running
    but its process is gone) or 'pending' (missing, interrupted)."""
    from netsim.run.folder import killed

    manifest = read_manifest(run_dir)
    status = manifest.get("status") if manifest else None
    if killed(manifest):
        return "incomplete"
    if status == "ok" and (Path(run_dir) / "flows.csv").is_file():
        return "ok"
    if status == "failed" and not retry_failed and not str(manifest.get("error", "")).startswith(_INTERRUPTION_ERRORS):
        return "failed"
    return "pending"


TEXT_COLUMNS = ("flow", "src", "dst", "kind")


def read_flows(run_dir: Path) -> list[dict]:
    """flows.csv as dicts: counts as int, measures as float, an empty cell (a value this
    flow's kind does not have, or no packet received) as None."""
    rows = []
    with open(Path(run_dir) / "flows.csv", newline="") as f:
        for row in csv.DictReader(f):
            out = {}
            for key, value in row.items():
                if key in TEXT_COLUMNS:
                    out[key] = value
                elif value == "":
                    out[key] = None
                elif key.startswith(("packets_", "lost_", "reverse_")) or key in ("bytes_delivered", "retransmissions",
                                                                                 "replies"):
                    out[key] = int(value)
                else:
                    out[key] = float(value)
            rows.append(out)
    return rows


def replicates_identical(sweep, out_dir: Path) -> tuple[int, int]:
    """(points whose finished replicates can be compared, of which all gave byte-identical
    flows.csv): seeds that change nothing are worth saying."""
    import hashlib

    groups: dict[str, list] = {}
    for point in sweep.points:
        run_dir = Path(out_dir) / RUNS_DIR / point.run_id
        if run_state(run_dir) != "ok":
            continue
        key = json.dumps(point.params, sort_keys=True, default=str)
        groups.setdefault(key, []).append(hashlib.sha256((run_dir / "flows.csv").read_bytes()).hexdigest())
    compared = [g for g in groups.values() if len(g) > 1]
    return len(compared), sum(len(set(g)) == 1 for g in compared)


def summarise(run_dir: Path) -> dict:
    """Summary of one finished run folder: status, error and metrics."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir) or {}
    ok = manifest.get("status") == "ok" and (run_dir / "flows.csv").is_file()
    row = {"status": "ok" if ok else "failed",
           "error": None if ok else (manifest.get("error") or f"incomplete run folder (status {manifest.get('status')!r})"),
           "attempts": manifest.get("attempts", 1),
           "wall_time_s": manifest.get("wall_time_s"), "handovers": manifest.get("handovers")}
    if not ok:
        return row
    flows = read_flows(run_dir)
    sent = sum(f["packets_sent"] for f in flows)
    received = sum(f["packets_received"] for f in flows)
    # One-way delays exist for the UDP kinds only (TCP and ping flows have RTTs instead).
    delays = [(f["delay_mean_ms"], f["packets_received"]) for f in flows if f.get("delay_mean_ms") is not None]
    p99 = [f["delay_p99_ms"] for f in flows if f.get("delay_p99_ms") is not None]
    delayed = sum(n for _, n in delays)
    drops = manifest.get("drops") or {}
    row.update(flows=len(flows), packets_sent=sent, packets_received=received, packets_lost=sent - received,
               loss_ratio=(sent - received) / sent if sent else 0.0,
               delay_mean_ms=sum(d * n for d, n in delays) / delayed if delayed else math.nan,
               delay_p99_ms=max(p99) if p99 else math.nan,
               delay_p99_ms_mean=sum(p99) / len(p99) if p99 else math.nan,
               drops_total=sum(int(v) for v in drops.values()))
    row.update({f"drops_{cause}": int(n) for cause, n in sorted(drops.items())})
    row["throughput_mbps"] = _throughput_mbps(flows, manifest.get("scenario") or {})
    row.update(_paths_summary(run_dir))
    # The terminals (manifest `photonics`): lane, usable ISL range, ISLs up at the start, cost.
    for key, value in (manifest.get("photonics") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) or value is None:
            row[key] = value
    row.update(workload_metrics(manifest.get("workloads")))
    row.update(background_metrics(manifest.get("background")))
    return row


def _throughput_mbps(flows: list[dict], scenario: dict) -> float:
    """Delivered payload rate summed over flows: UDP packets received x payload over the
    flow's active time, TCP goodput; pings carry no load."""
    specs = {f.get("name"): f for f in scenario.get("traffic") or []}
    total = 0.0
    for f in flows:
        spec = specs.get(f["flow"]) or {}
        if f.get("goodput_mbps") is not None:
            total += f["goodput_mbps"]
        elif spec.get("kind", "udp_cbr").startswith("udp") and spec.get("packet_bytes"):
            start = spec.get("start_s") or 0.0
            stop = spec.get("stop_s") or scenario.get("duration_s") or 0.0
            if stop > start:
                total += f["packets_received"] * spec["packet_bytes"] * 8 / (stop - start) / 1e6
    return total


def _paths_summary(run_dir: Path) -> dict:
    """Mean RTT and hops of the reported pairs over the routing updates they were
    reachable (rtt.csv), the fraction of updates they were, and the ISLs' mean
    availability (links.csv)."""
    out = {}
    rtt, hops, reachable, rows = 0.0, 0.0, 0, 0
    try:
        with open(run_dir / "rtt.csv", newline="") as f:
            for row in csv.DictReader(f):
                rows += 1
                if row["reachable"] in ("True", "true", "1") and row["rtt_ms"] not in ("", "nan"):
                    reachable += 1
                    rtt += float(row["rtt_ms"])
                    hops += float(row["hops"])
    except OSError:
        return out
    out.update(path_rtt_ms=rtt / reachable if reachable else math.nan,
               path_hops=hops / reachable if reachable else math.nan,
               path_reachable=reachable / rows if rows else math.nan)
    try:
        with open(run_dir / "links.csv", newline="") as f:
            isl = [float(r["availability"]) for r in csv.DictReader(f) if r["kind"] == "isl"]
        out["isl_availability"] = sum(isl) / len(isl) if isl else math.nan
    except (OSError, KeyError, ValueError):
        pass
    return out


def workload_metrics(summary: dict | None) -> dict:
    """Metrics of a run's workloads (manifest `workloads`, netsim.run.workloads.summarise):
    requests by outcome and their latency, training steps, storage throughput. None (NaN
    in the table) where the run has no such number."""
    if not summary:
        return {}
    nan = lambda v: math.nan if v is None else v  # noqa: E731
    req, jobs, storage = summary["requests"], summary["jobs"], summary["storage"]
    return {"requests_sent": req["sent"], "requests_answered": req["answered"], "requests_lost": req["lost"],
            "requests_in_flight": req["in_flight"],
            **{f"request_{k}_ms": nan(req["total_ms"][k]) for k in ("mean", "p50", "p90", "p99")},
            "iterations": jobs["iterations"], "iterations_completed": jobs["completed"],
            "step_mean_s": nan(jobs["step_s"]["mean"]), "step_max_s": nan(jobs["step_s"]["max"]),
            "communication_mean_s": nan(jobs["communication_s"]["mean"]),
            "job_retransmissions": jobs["retransmissions"], "job_handovers": jobs["handovers"],
            "storage_transfers": storage["transfers"], "storage_completed": storage["completed"],
            "storage_throughput_mean_gbps": nan(storage["throughput_gbps"]["mean"])}


def background_metrics(summary: dict | None) -> dict:
    """Metrics of a run's background load (manifest `background`): carried Tbps (mean
    over the intervals), the most utilised port, the share of demands fully served."""
    if not summary or not summary.get("intervals"):
        return {}
    return {"background_offered_tbps": summary["offered_tbps"], "background_carried_tbps": summary["carried_tbps"],
            "background_max_utilisation": summary["max_utilisation"],
            "background_demands_satisfied": summary["demands_satisfied"],
            "background_saturated_ports": summary["saturated_ports"]}


def _column(values: list):
    import pyarrow as pa

    plain = [json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in values]
    try:
        return pa.array(plain)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in one axis: keep them as text
        return pa.array([None if v is None else str(v) for v in plain], type=pa.string())


def _write_parquet(rows: list[dict], path: Path, first: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(first)
    for row in rows:
        columns += [k for k in row if k not in columns]
    table = pa.table({c: _column([row.get(c) for row in rows]) for c in columns}) if rows else \
        pa.table({c: pa.array([], type=pa.string()) for c in columns})
    with new_path(path) as tmp:
        pq.write_table(table, tmp)


def point_columns(sweep) -> list[str]:
    return ["run_id", "point", "replicate", "seed", *sweep.parameters]


def point_row(sweep, point) -> dict:
    return {"run_id": point.run_id, "point": point.index, "replicate": point.replicate, "seed": point.seed,
            **point.params}


def write_tables(sweep, out_dir: Path, summaries: dict[str, dict], cache: dict | None = None) -> int:
    """Write results.parquet and flows.parquet for the finished points; returns the row count.

    summaries: run id -> summarise() of the runs that just finished; other points are read
    from their folders. cache (run id -> (summary, flow rows)), kept by the caller between
    writes, saves reading a finished folder twice."""
    out_dir = Path(out_dir)
    cache = {} if cache is None else cache
    rows, flow_rows = [], []
    for point in sweep.points:
        run_dir = out_dir / RUNS_DIR / point.run_id
        entry = cache.get(point.run_id)
        fresh = summaries.get(point.run_id)
        if entry is None or (fresh is not None and entry[0] is not fresh):
            summary = fresh
            if summary is None:
                if run_state(run_dir) in TO_RUN:
                    continue
                summary = summarise(run_dir)
            entry = cache[point.run_id] = (summary, read_flows(run_dir) if summary["status"] == "ok" else [])
        summary, flows = entry
        rows.append({**point_row(sweep, point), **summary, "run_dir": f"{RUNS_DIR}/{point.run_id}"})
        flow_rows += [{**point_row(sweep, point), **f} for f in flows]
    first = point_columns(sweep) + ["status", "error", "attempts", *METRICS]
    _write_parquet(rows, out_dir / RESULTS_FILE, first)
    _write_parquet(flow_rows, out_dir / FLOWS_FILE, point_columns(sweep))
    return len(rows)


def read_table(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
