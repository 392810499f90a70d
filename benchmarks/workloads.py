"""Wall time and peak memory of the scaled seed-ai-fabric scenario (docs/workloads.md,
docs/benchmarks.md). One `netsim run` in a child process; prints `figure-name: value unit`.

    .venv/bin/python benchmarks/workloads.py           # 10 simulated seconds
    .venv/bin/python benchmarks/workloads.py --quick   # 2 simulated seconds
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "topologies" / "seed-ai-fabric.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 simulated seconds instead of 10")
    args = parser.parse_args()
    raw = yaml.safe_load(SCENARIO.read_text())
    if args.quick:
        raw["duration_s"] = 2.0
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "seed-ai-fabric.yaml"
        scenario.write_text(yaml.safe_dump(raw))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(scenario), "--out", f"{tmp}/run",
                        "--quiet"], check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        manifest = json.loads(Path(f"{tmp}/run/manifest.json").read_text())
    work = manifest["workloads"]
    print(f"seed-ai-fabric-simulated: {raw['duration_s']:g} s")
    print(f"seed-ai-fabric-wall-time: {wall:.1f} s")
    print(f"seed-ai-fabric-peak-memory: {peak_kib / 1024:.0f} MiB")
    print(f"seed-ai-fabric-requests: {work['requests']['sent']} requests")
    print(f"seed-ai-fabric-iterations: {work['jobs']['completed']} iterations")


if __name__ == "__main__":
    main()
