"""One run over 1 and over N MPI ranks side by side (netsim run --ranks; ns-3's
distributed engine): wall time, speed-up, per-rank memory and packet-hops, and whether
the outputs are the same bytes. Needs the optional MPI build (bash scripts/setup.sh --mpi;
docs/distributed.md). Prints `figure-name: value unit`, one per line.

    .venv/bin/python benchmarks/distributed.py            # ~100 k satellites, 10x the seed traffic, 0.5 s
    .venv/bin/python benchmarks/distributed.py --quick    # ~10 k satellites, 0.5 s
    .venv/bin/python benchmarks/distributed.py --scenario topologies/seed-fabric.yaml --duration 2 --only 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUSY = ROOT / "topologies" / "seed-fabric-busy.yaml"
# The busy seed fabric's three shells cut to ~100 k (full) or ~10 k (quick) satellites:
# (planes, satellites per plane, phasing) per tier, same altitudes and inclinations.
SHELLS = {"full": [(250, 264, 1), (125, 200, 1), (60, 165, 2)],
          "quick": [(80, 84, 1), (40, 64, 1), (20, 50, 1)]}


def scaled_busy_fabric(size: str, duration_s: float) -> dict:
    raw = yaml.safe_load(BUSY.read_text())
    for tier, (planes, per_plane, phasing) in zip(raw["constellation"]["tiers"], SHELLS[size]):
        tier["shells"][0].update(planes=planes, sats_per_plane=per_plane, phasing=phasing)
    raw.update(name=f"busy-fabric-{size}", duration_s=duration_s, drain_s=0.2)
    return raw


def run(scenario: Path, out: Path, ranks: int) -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "netsim", "run", str(scenario), "--out", str(out), "--quiet",
                    "--ranks", str(ranks)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, json.loads((out / "manifest.json").read_text())


def same_outputs(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "manifest.json")
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "manifest.json") \
        and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~10 k satellites instead of ~100 k")
    parser.add_argument("--ranks", type=int, default=2, help="the distributed run's ranks (default 2)")
    parser.add_argument("--scenario", type=Path, help="a scenario file instead of the scaled busy fabric")
    parser.add_argument("--only", type=int, help="run only on this many ranks (no side-by-side)")
    parser.add_argument("--duration", type=float, help="simulated seconds (default 0.5, or the scenario's)")
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    args = parser.parse_args()
    from netsim.core.mpi import mpi_problem

    if mpi_problem():
        sys.exit(f"netsim: error: {mpi_problem()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.scenario:
            raw = yaml.safe_load(args.scenario.read_text())
            raw["duration_s"] = args.duration or raw["duration_s"]
        else:
            raw = scaled_busy_fabric("quick" if args.quick else "full", args.duration or 0.5)
        scenario, tag = folder / f"{raw['name']}.yaml", raw["name"]
        scenario.write_text(yaml.safe_dump(raw))
        counts = [args.only] if args.only else [1, args.ranks]
        results = {n: run(scenario, folder / f"ranks-{n}", n) for n in counts}
        first = results[counts[0]][1]
        n_sat = sum(s["planes"] * s["sats_per_plane"] for t in first["scenario"]["constellation"]["tiers"]
                    for s in t["shells"])
        print(f"{tag}-satellites: {n_sat} satellites")
        print(f"{tag}-simulated: {first['scenario']['duration_s'] + first['scenario']['drain_s']:g} s")
        print(f"{tag}-packet-hops: {first['packet_hops']} hops")
        for n, (wall, manifest) in results.items():
            print(f"{tag}-wall-{n}-ranks: {wall:.1f} s")
            print(f"{tag}-packets-phase-{n}-ranks: {manifest['timing']['packets']:.1f} s")
            per_rank = manifest.get("ranks", {}).get("per_rank") or [
                {"rank": 0, "peak_rss_mb": manifest["peak_rss_mb"], "packet_hops": manifest["packet_hops"],
                 "snapshot_cpu_s": manifest["routing"]["snapshots"]["thread_cpu_s"]}]
            for r in per_rank:
                print(f"{tag}-peak-memory-{n}-ranks-rank-{r['rank']}: {r['peak_rss_mb']:.0f} MiB")
                print(f"{tag}-packet-hops-{n}-ranks-rank-{r['rank']}: {r['packet_hops']} hops")
                if "snapshot_cpu_s" in r:  # each rank computes every routing snapshot
                    print(f"{tag}-snapshot-cpu-{n}-ranks-rank-{r['rank']}: {r['snapshot_cpu_s']:.1f} s")
            if n > 1:
                print(f"{tag}-lookahead-{n}-ranks: {manifest['ranks']['lookahead_s'] * 1e6:.1f} us")
        if len(results) == 2:
            (w1, _), (wn, _) = results[1], results[args.ranks]
            print(f"{tag}-speed-up-{args.ranks}-ranks: {w1 / wn:.2f} x")
            print(f"{tag}-same-outputs: {same_outputs(folder / 'ranks-1', folder / f'ranks-{args.ranks}')}")


if __name__ == "__main__":
    main()
