"""Wall time and peak memory of the scaled seed-ai-fabric scenario (docs/workloads.md,
docs/benchmarks.md). One `netsim run` in a child process; prints `figure-name: value unit`.

    .venv/bin/python benchmarks/workloads.py           # 10 simulated seconds
    .venv/bin/python benchmarks/workloads.py --quick   # 2 simulated seconds
"""

from __future__ import annotations

import json
from pathlib import Path

from _child_run import child_run, quick_parser

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "topologies" / "seed-ai-fabric.yaml"


def main() -> None:
    args = quick_parser(__doc__.splitlines()[0]).parse_args()
    with child_run(SCENARIO, args.quick, args.keep) as run:
        manifest = json.loads((run.run_dir / "manifest.json").read_text())
    work = manifest["workloads"]
    print(f"seed-ai-fabric-simulated: {run.scenario['duration_s']:g} s")
    print(f"seed-ai-fabric-wall-time: {run.wall_s:.1f} s")
    print(f"seed-ai-fabric-peak-memory: {run.peak_mib:.0f} MiB")
    print(f"seed-ai-fabric-requests: {work['requests']['sent']} requests")
    print(f"seed-ai-fabric-iterations: {work['jobs']['completed']} iterations")


if __name__ == "__main__":
    main()
