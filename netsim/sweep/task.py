"""The Dask task: one point -> one run folder, by a `netsim run` subprocess.

Runs on a worker. Holds an exclusive lock on the run folder for as long as the run
subprocess lives (the subprocess inherits the locked descriptor), so two attempts of one
point never write the same folder, even across a driver that was killed and restarted.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from netsim.sweep import results

LOG_TAIL_LINES = 5


def run_point(job: dict) -> dict:
    """job: run_dir, run_id, scenario, point (index, params, replicate, seed), retries, timeout_s.

    Returns the results row of the run folder (status ok or failed, never raises for a
    failed run)."""
    run_dir = Path(job["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for a still-running earlier attempt
        if results.run_state(run_dir) == "ok":
            return results.summarise(run_dir)
        _write_atomic(run_dir / "point.json", json.dumps({"run_id": job["run_id"], **job["point"]}, indent=2) + "\n")
        _write_atomic(run_dir / results.SCENARIO_FILE, yaml.safe_dump(job["scenario"], sort_keys=False))
        attempts = 1 + int(job.get("retries", 0))
        for attempt in range(1, attempts + 1):
            error = _attempt(run_dir, lock.fileno(), job.get("timeout_s"))
            if error is None:
                break
            _record_failure(run_dir, error, attempt)
        return results.summarise(run_dir)


def _attempt(run_dir: Path, lock_fd: int, timeout_s: float | None) -> str | None:
    """Run once; None when the folder is complete, else the error in one line."""
    command = [sys.executable, "-m", "netsim.cli.sweep_child", str(os.getpid()), "run",
               str(run_dir / results.SCENARIO_FILE), "--out", str(run_dir), "--quiet"]
    log_path = run_dir / results.LOG_FILE
    start = time.monotonic()
    log_path.unlink(missing_ok=True)  # a new file, never through a symlink left at its name
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                pass_fds=(lock_fd,))
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return f"timed out after {timeout_s:g} s (timeout_s)"
        except BaseException:  # the worker is going away: take the run with it
            proc.kill()
            proc.wait()
            raise
    if code == 0 and results.run_state(run_dir) == "ok":
        return None
    manifest = results.read_manifest(run_dir) or {}
    if manifest.get("status") == "failed" and manifest.get("error"):
        return str(manifest["error"])
    lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    said = [line.removeprefix("netsim: error: ") for line in lines if line.startswith("netsim: error:")]
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        head = f"{results.INTERRUPTED}: killed by {name}" if -code in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT) \
            else f"netsim run died with {name} after {time.monotonic() - start:.1f} s"
    else:
        head = f"netsim run exited with {code}"
    detail = said[-1] if said else " | ".join(lines[-LOG_TAIL_LINES:])
    return f"{head}: {detail}" if detail else head


def _record_failure(run_dir: Path, error: str, attempt: int) -> None:
    """The manifest says failed, with the error, whatever state the run left it in."""
    from netsim.run import outputs

    manifest = results.read_manifest(run_dir) or {}
    manifest.update(status="failed", error=error, attempts=attempt)
    outputs.write_manifest(run_dir, manifest)


def _write_atomic(path: Path, text: str) -> None:
    from netsim.files import write_text

    write_text(path, text)
