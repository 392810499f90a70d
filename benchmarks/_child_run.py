"""One `netsim run` of a scenario file, shortened for --quick, in a child process: its wall
time and peak memory, and the run folder to read figures from (benchmarks/workloads.py,
benchmarks/fabric_load.py)."""

from __future__ import annotations

import argparse
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass
class ChildRun:
    scenario: dict  # as run (duration shortened with --quick)
    run_dir: Path
    wall_s: float
    peak_mib: float


def quick_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="2 simulated seconds instead of 10")
    parser.add_argument("--keep", type=Path, help="write the run folder here instead of a temporary one")
    return parser


@contextlib.contextmanager
def child_run(scenario_file: Path, quick: bool, keep: Path | None = None):
    """Run the scenario (2 simulated seconds with quick) and yield a ChildRun; a temporary
    run folder is removed afterwards, `keep` stays."""
    raw = yaml.safe_load(scenario_file.read_text())
    if quick:
        raw["duration_s"] = 2.0
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / scenario_file.name
        scenario.write_text(yaml.safe_dump(raw))
        out = keep or Path(tmp) / "run"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(scenario), "--out", str(out), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        yield ChildRun(raw, out, wall, peak_kib / 1024)
