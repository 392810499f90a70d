"""`netsim paths` on the reference set-up with 100 stations: the Kuiper-630 TLE shell
(1,156 satellites, topologies/kuiper-630.yaml) with the 100 largest cities in the
per-destination mode (every satellite within 1,260 km, routing chooses the uplink per
destination), 100 ms updates for 200 s = 2,001 updates, the scenario's three city pairs
reported. Bar: <= 60 s on the 2-core machine.

    python benchmarks/reference_paths.py [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netsim.run.paths import compute_paths  # noqa: E402
from netsim.scenario.load import scenario_from_dict  # noqa: E402

SCENARIO = ROOT / "topologies" / "kuiper-630.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s instead of 200 s")
    parser.add_argument("--threads", type=int, default=0, help="routing threads (default 0: all cores)")
    args = parser.parse_args()
    os.environ["NETSIM_ROUTING_THREADS"] = str(args.threads)
    raw = yaml.safe_load(SCENARIO.read_text())
    own = {s["name"] for s in raw["ground_stations"]}
    raw["ground_stations"] = {"set": "cities100"}  # holds the six cities of the pairs
    scenario = scenario_from_dict(raw, SCENARIO)
    assert own <= {g.name for g in scenario.ground_stations}
    to_s = 20.0 if args.quick else 200.0
    with tempfile.TemporaryDirectory() as out:
        cpu = time.process_time()
        start = time.perf_counter()
        summary = compute_paths(scenario, Path(out), 0.0, to_s)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
    print(f"stations: {len(scenario.ground_stations)}")
    print(f"updates: {summary['updates']}")
    print(f"paths-wall: {wall:.1f} s")
    print(f"paths-cpu: {cpu:.1f} s")
    print(f"network-state-per-update: {summary['routing_s'] / summary['updates'] * 1e3:.1f} ms")
    print(f"path-changes: {summary['path_changes']}")
    print(f"peak-rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
