"""The driver: plan -> skip finished runs -> Dask tasks -> results tables, resumably.

Resume rule: a point is finished when its run folder's manifest says "ok", or "failed"
with a real error (reported, not rerun unless --retry-failed). Missing, "running" (a run
that was killed) and interrupted runs are pending and run again. Run folders are named
by run id, a hash of the resolved scenario, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from netsim.errors import NetsimError
from netsim.files import io_reason, make_out_dir, new_file
from netsim.sweep import results
from netsim.sweep.spec import Sweep

TABLE_EVERY_S = 10.0  # rewrite the tables at most this often while runs finish


@dataclass
class SweepReport:
    out_dir: Path
    total: int
    ok: int = 0
    failed: int = 0
    ran: int = 0               # runs executed by this invocation
    interrupted: bool = False
    failures: list[tuple[str, dict, str]] = field(default_factory=list)  # (run id, params, error)


def default_out(sweep: Sweep) -> Path:
    return Path("runs") / sweep.name


def states(sweep: Sweep, out_dir: Path, retry_failed: bool = False) -> dict[str, str]:
    """run id -> ok / failed / pending."""
    return {p.run_id: results.run_state(out_dir / results.RUNS_DIR / p.run_id, retry_failed) for p in sweep.points}


def _job(sweep: Sweep, point, out_dir: Path) -> dict:
    return {"run_dir": str((out_dir / results.RUNS_DIR / point.run_id).resolve()), "run_id": point.run_id,
            "scenario": point.scenario, "retries": sweep.retries, "timeout_s": sweep.timeout_s,
            "point": {"point": point.index, "params": point.params, "replicate": point.replicate,
                      "seed": point.seed}}


@contextlib.contextmanager
def _driver_lock(out_dir: Path):
    """One driver per output folder (the kernel drops the lock if the driver is killed)."""
    try:
        fd = os.open(out_dir / ".sweep.lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        raise NetsimError(f"{out_dir / '.sweep.lock'}: cannot open the sweep lock: {io_reason(err)}") from None
    with os.fdopen(fd, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NetsimError(f"another netsim sweep is running in {out_dir}; wait for it or stop it") from None
        yield


@contextlib.contextmanager
def _sigterm_as_interrupt():
    def handler(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    try:
        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def run_sweep(sweep: Sweep, out_dir: Path | None = None, *, cluster: str | None = None, address: str | None = None,
              workers: int | None = None, retry_failed: bool = False, progress: bool = True) -> SweepReport:
    out_dir = make_out_dir(Path(out_dir or default_out(sweep)))
    runs = out_dir / results.RUNS_DIR
    if runs.is_symlink() or (runs.exists() and not runs.is_dir()):
        raise NetsimError(f"{runs}: must be a folder, not a symlink or a file; remove it")
    try:
        runs.mkdir(exist_ok=True)
    except OSError as err:
        raise NetsimError(f"--out: cannot create {runs}: {io_reason(err)}") from None
    with _driver_lock(out_dir), _sigterm_as_interrupt():
        for source, name in ((sweep.path, "sweep.yaml"), (sweep.base_path, "base.yaml")):
            with new_file(out_dir / name, "wb") as f:
                f.write(Path(source).read_bytes())
        state = states(sweep, out_dir, retry_failed)
        pending = [p for p in sweep.points if state[p.run_id] in results.TO_RUN]
        report = SweepReport(out_dir, len(sweep.points))
        summaries: dict[str, dict] = {}
        cache: dict = {}
        try:
            if pending:
                _execute(sweep, out_dir, pending, summaries, cache, report, cluster, address, workers, progress)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            results.write_tables(sweep, out_dir, summaries, cache)
        for point in sweep.points:  # the tables' rows, as just written
            if point.run_id not in cache:
                continue
            summary = cache[point.run_id][0]
            if summary["status"] == "ok":
                report.ok += 1
            else:
                report.failed += 1
                report.failures.append((point.run_id, point.params, summary.get("error") or ""))
        return report


def _execute(sweep, out_dir, pending, summaries, cache, report, cluster_kind, address, workers, progress) -> None:
    from tqdm import tqdm

    from netsim.core.ns3_loader import build_precompiled_header
    from netsim.sweep import cluster as clusters
    from netsim.sweep.task import run_point

    # Once, before any worker starts: every run then loads ns-3 from the PCH in ~1.5 s.
    try:
        build_precompiled_header()
    except NetsimError as err:
        print(f"netsim: warning: {err}; each run will load ns-3 slowly", file=sys.stderr)

    from dask.distributed import as_completed

    done_before = report.total - len(pending)
    bar = tqdm(total=report.total, initial=done_before, unit="run", disable=not progress, smoothing=0.1,
               desc=sweep.name, dynamic_ncols=True)
    client = cluster = None
    try:
        client, cluster = clusters.start(cluster_kind, address, sweep.cluster, len(pending), workers)
        if cluster_kind in ("slurm", "pbs") or address:
            clusters.register_pch_plugin(client)
        futures = {}
        for point in pending:
            future = client.submit(run_point, _job(sweep, point, out_dir), key=f"netsim-run-{point.run_id}",
                                   pure=False)
            futures[future] = point
        last_write = time.monotonic()
        failed = 0
        for future in as_completed(futures):
            point = futures[future]
            run_dir = out_dir / results.RUNS_DIR / point.run_id
            try:
                summary = future.result()
            except Exception as err:  # the task itself failed: e.g. its worker died too often
                summary = _task_failed(run_dir, f"{type(err).__name__}: {err}")
            summaries[point.run_id] = summary
            report.ran += 1
            failed += summary["status"] != "ok"
            bar.update(1)
            if failed:
                bar.set_postfix(failed=failed)
            if time.monotonic() - last_write > TABLE_EVERY_S:
                results.write_tables(sweep, out_dir, summaries, cache)
                last_write = time.monotonic()
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            if client is not None:
                client.close(timeout=10)
        with contextlib.suppress(Exception):
            if cluster is not None:
                cluster.close(timeout=10)


def _task_failed(run_dir: Path, error: str) -> dict:
    from netsim.run import outputs

    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = results.read_manifest(run_dir) or {}
    if manifest.get("status") != "ok":
        manifest.update(status="failed", error=f"dask task failed: {error}")
        outputs.write_manifest(run_dir, manifest)
    return results.summarise(run_dir)
