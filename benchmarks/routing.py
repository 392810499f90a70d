"""Routing cost on the time-varying fabric.

1. A 34 x 34 shell at 630 km with 100 ground stations (the 100 largest cities), 200 s
   at 100 ms updates: every update recomputes positions, line of sight, link budget,
   ground links and next hops toward all 100 stations (bar: <= 60 s total, one core).
2. The full seed fabric (1,218,000 satellites, three tiers) with the same 100 stations:
   one routing update (bar: <= 30 s and <= 8 GB).
3. How one update grows with the number of satellites.

    python benchmarks/routing.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netsim.scenario.load import scenario_from_dict  # noqa: E402
from netsim.core.fabric import load_core  # noqa: E402
from netsim.run.network_state import NetworkStates  # noqa: E402


def shell_scenario(planes: int, per_plane: int, altitude_km: float, inclination_deg: float) -> dict:
    return {
        "name": f"shell-{planes}x{per_plane}", "duration_s": 200,
        "constellation": {"tiers": [{"name": "shell", "shells": [{
            "altitude_km": altitude_km, "inclination_deg": inclination_deg, "planes": planes,
            "sats_per_plane": per_plane, "phasing": 1}]}]},
        "ground_stations": {"set": "cities100"},
        "ground_links": {"elevation_mask_deg": 25, "terminals_per_satellite": 4},
    }


def time_updates(states: NetworkStates, times_s) -> float:
    start = time.perf_counter()
    for t in times_s:
        states.at(float(t))
    return time.perf_counter() - start


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s of the 34x34 run; skip the full fabric")
    parser.add_argument("--threads", type=int, default=1, help="routing threads (default 1: one core)")
    args = parser.parse_args()
    os.environ["NETSIM_ROUTING_THREADS"] = str(args.threads)
    load_core()

    # 1. 34 x 34 at 630 km (the Kuiper shell of Hypatia's studies), 100 stations.
    duration = 20.0 if args.quick else 200.0
    states = NetworkStates(scenario_from_dict(shell_scenario(34, 34, 630, 51.9)))
    times = np.arange(0, duration + 1e-9, 0.1)
    wall = time_updates(states, times)
    print(f"kuiper34-updates: {len(times)} updates")
    print(f"kuiper34-total-wall: {wall:.2f} s")
    print(f"kuiper34-per-update: {wall / len(times) * 1e3:.2f} ms")

    # 3. Growth with satellites: one update (after a first, warm-up update).
    for planes, per_plane in ((100, 100), (200, 500)):
        states = NetworkStates(scenario_from_dict(shell_scenario(planes, per_plane, 550, 53)))
        states.at(0.0)
        wall = time_updates(states, [0.1])
        print(f"update-{planes * per_plane}-satellites: {wall:.2f} s")

    if args.quick:
        return
    # 2. The full seed fabric with 100 stations linked to VLEO.
    raw = yaml.safe_load((ROOT / "topologies" / "seed-fabric-orbits.yaml").read_text())
    raw["ground_links"] = {"elevation_mask_deg": 25, "terminals_per_satellite": 4, "tier": "vleo"}
    start = time.perf_counter()
    states = NetworkStates(scenario_from_dict(raw))
    print(f"seed-fabric-setup: {time.perf_counter() - start:.2f} s")
    wall = time_updates(states, [0.0])
    print(f"seed-fabric-one-update: {wall:.2f} s")
    print(f"seed-fabric-peak-rss: {peak_rss_gb():.2f} GB")
    print(f"machine: {os.cpu_count()} cores, routing threads {args.threads}")


if __name__ == "__main__":
    main()
