"""Wall time, peak memory, carried load and bottlenecks of the seed fabric under
background load (topologies/seed-fabric-load.yaml; docs/workloads.md, docs/benchmarks.md).
One `netsim run` in a child process; prints `figure-name: value unit`, one per line.

    .venv/bin/python benchmarks/fabric_load.py           # 10 simulated seconds, routing every 1 s
    .venv/bin/python benchmarks/fabric_load.py --quick   # 2 simulated seconds
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from _child_run import child_run, quick_parser

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "topologies" / "seed-fabric-load.yaml"


def main() -> None:
    args = quick_parser(__doc__.splitlines()[0]).parse_args()
    with child_run(SCENARIO, args.quick, args.keep) as run:
        manifest = json.loads((run.run_dir / "manifest.json").read_text())
        summary = pd.read_csv(run.run_dir / "load_summary.csv")
        links = pd.read_csv(run.run_dir / "load_links.csv")
        flows = pd.read_csv(run.run_dir / "flows.csv")
    raw, wall, peak = run.scenario, run.wall_s, run.peak_mib
    load = manifest["background"]
    print(f"fabric-load-simulated: {raw['duration_s']:g} s")
    print(f"fabric-load-routing-interval: {raw['routing']['update_interval_s']:g} s")
    print(f"fabric-load-wall-time: {wall:.1f} s")
    print(f"fabric-load-peak-memory: {peak:.0f} MiB")
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
