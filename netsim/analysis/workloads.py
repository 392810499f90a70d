"""The workload tables of a run folder (requests.csv, jobs.csv, storage.csv, written by
netsim.run.workloads) summarised for `netsim analyze`: latency percentiles per station,
step and communication times per job, throughput per storage kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

QUANTILES = {"mean": None, "p50": 0.5, "p90": 0.9, "p99": 0.99, "max": 1.0}


def _quantiles(series: pd.Series, prefix: str) -> dict:
    values = series.dropna()
    if values.empty:
        return {f"{prefix}_{k}": None for k in QUANTILES}
    return {f"{prefix}_{k}": float(values.mean() if q is None else values.quantile(q)) for k, q in QUANTILES.items()}


def workload_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """name -> table for each workload table the run folder holds (none: empty dict).
    request_stations: per workload and station, requests = answered + lost + in flight,
    and the answered ones' total latency (ms); job_steps: per job, iterations begun and
    completed, step and communication seconds; storage_transfers: per job and kind."""
    run_dir = Path(run_dir)
    tables: dict[str, pd.DataFrame] = {}
    requests = run_dir / "requests.csv"
    if requests.is_file():
        frame = pd.read_csv(requests)
        rows = []
        for (work, station), group in frame.groupby(["workload", "station"], sort=False):
            answered = group[group["status"] == "answered"]
            rows.append({"workload": work, "station": station, "requests": len(group), "answered": len(answered),
                         "lost": int((group["status"] == "lost").sum()),
                         "in_flight": int((group["status"] == "in_flight").sum()),
                         **_quantiles(answered["total_ms"], "total_ms"),
                         **_quantiles(answered["uplink_ms"], "uplink_ms"),
                         **_quantiles(answered["downlink_ms"], "downlink_ms"),
                         "queue_ms_mean": float(answered["queue_ms"].mean()) if len(answered) else None})
        tables["request_stations"] = pd.DataFrame(rows)
    jobs = run_dir / "jobs.csv"
    if jobs.is_file():
        frame = pd.read_csv(jobs)
        rows = []
        for job, group in frame.groupby("job", sort=False):
            done = group[group["completed"].astype(str) == "True"]
            rows.append({"job": job, "satellites": int(group["satellites"].iloc[0]),
                         "collective": group["collective"].iloc[0], "iterations": len(group),
                         "completed": len(done), **_quantiles(done["step_s"], "step_s"),
                         **_quantiles(done["communication_s"], "communication_s"),
                         "ideal_communication_s": float(group["ideal_communication_s"].iloc[0]),
                         "retransmissions": int(group["retransmissions"].sum()),
                         "handovers": int(group["handovers"].sum())})
        tables["job_steps"] = pd.DataFrame(rows)
    storage = run_dir / "storage.csv"
    if storage.is_file():
        frame = pd.read_csv(storage)
        rows = []
        for (job, kind), group in frame.groupby(["job", "kind"], sort=False):
            done = group[group["completed"].astype(str) == "True"]
            rows.append({"job": job, "kind": kind, "transfers": len(group), "completed": len(done),
                         "bytes": int(done["bytes"].sum()), **_quantiles(done["duration_s"], "duration_s"),
                         **_quantiles(done["throughput_gbps"], "throughput_gbps")})
        tables["storage_transfers"] = pd.DataFrame(rows)
    return tables
