"""Wall time, peak memory, carried load and bottlenecks of the seed fabric under
background load (topologies/seed-fabric-load.yaml; docs/workloads.md, docs/benchmarks.md).
One `netsim run` in a child process; prints `figure-name: value unit`, one per line.

    .venv/bin/python benchmarks/fabric_load.py           # 10 simulated seconds, routing every 1 s
    .venv/bin/python benchmarks/fabric_load.py --quick   # 2 simulated seconds
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

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "topologies" / "seed-fabric-load.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 simulated seconds instead of 10")
    parser.add_argument("--keep", type=Path, help="write the run folder here instead of a temporary one")
    args = parser.parse_args()
    raw = yaml.safe_load(SCENARIO.read_text())
    if args.quick:
        raw["duration_s"] = 2.0
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "seed-fabric-load.yaml"
        scenario.write_text(yaml.safe_dump(raw))
        out = args.keep or Path(tmp) / "run"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netsim.cli.main", "run", str(scenario), "--out", str(out), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        manifest = json.loads((out / "manifest.json").read_text())
        summary = pd.read_csv(out / "load_summary.csv")
        links = pd.read_csv(out / "load_links.csv")
        flows = pd.read_csv(out / "flows.csv")
    load = manifest["background"]
    print(f"fabric-load-simulated: {raw['duration_s']:g} s")
    print(f"fabric-load-routing-interval: {raw['routing']['update_interval_s']:g} s")
    print(f"fabric-load-wall-time: {wall:.1f} s")
    print(f"fabric-load-peak-memory: {peak_kib / 1024:.0f} MiB")
    print(f"fabric-load-background-time: {manifest['timing'].get('background', 0.0):.1f} s")
    print(f"fabric-load-demands: {load['demands']} demands")
    print(f"fabric-load-offered: {load['offered_tbps']:.3f} Tbps")
    print(f"fabric-load-carried: {load['carried_tbps']:.3f} Tbps")
    print(f"fabric-load-carried-fraction: {load['carried_fraction']:.4f}")
    print(f"fabric-load-demands-satisfied: {load['demands_satisfied']:.4f}")
    print(f"fabric-load-routed-fraction: {load['routed_fraction']:.4f}")
    print(f"fabric-load-max-utilisation: {load['max_utilisation']:.4f}")
    print(f"fabric-load-saturated-ports: {load['saturated_ports']} ports")
    print(f"fabric-load-link-load: {load['link_load_tbps']:.3f} Tbps")
    print(f"fabric-load-allocation-rounds: {load['allocation_rounds']} rounds")
    first = summary[summary["time_s"] == summary["time_s"].min()]
    for row in first.itertuples():
        print(f"fabric-load-{row.kind}-{row.tier}-mean-utilisation: {row.mean_utilisation:.4f}")
        print(f"fabric-load-{row.kind}-{row.tier}-saturated: {row.saturated_ports} ports")
    top = links[links["time_s"] == links["time_s"].min()]
    saturated = top[top["saturated"]]
    for kind, count in saturated.groupby(["kind", "tier"]).size().items():
        print(f"fabric-load-bottlenecks-{kind[0]}-{kind[1]}: {count} ports")
    udp = flows[flows["delay_mean_ms"].notna()]  # the UDP flows
    print(f"fabric-load-foreground-delay-mean: {udp['delay_mean_ms'].mean():.2f} ms")
    print(f"fabric-load-foreground-loss: {udp['packets_lost'].sum() / max(udp['packets_sent'].sum(), 1):.4f}")
    print(f"fabric-load-balanced: {manifest['accounting']['balanced']}")


if __name__ == "__main__":
    main()
