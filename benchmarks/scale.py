"""Scaling benchmark: the whole seed fabric at packet level on one machine.

1. End to end: `netsim run` of copies of topologies/seed-fabric.yaml scaled to about
   10 k, 100 k and the full 1,218,000 satellites (10 s simulated each): wall time, wall
   time per simulated second, peak RSS, RSS per satellite, packets delivered and
   packet-hops per second (the core's own count of satellite hops, manifest
   `packet_hops`, over the packets phase). Bars: 1 h of wall per 10 s simulated, 16 GB.
2. At 10 k satellites, growth with ground stations, flows and routing interval, one
   knob at a time: wall time and peak RSS.
3. Bytes the C++ core spends per forwarding-only satellite (nodes, +Grid links, a
   120-destination forwarding table), and the same in plain ns-3 from the wheel
   (point-to-point links, internet stack, static host routes).

    .venv/bin/python benchmarks/scale.py --quick              # 10 k only, 1 s runs (a few minutes)
    .venv/bin/python benchmarks/scale.py --plot docs/scale.png
    .venv/bin/python benchmarks/scale.py --sizes 10000,100000 --duration 2 --keep
    .venv/bin/python benchmarks/scale.py --quick --dry-run    # only write and validate the scaled YAMLs

Every run is its own child process. Its peak RSS is the ru_maxrss that os.wait4 returns
for that child alone: unlike RUSAGE_CHILDREN (a maximum over every child so far) it
isolates each run, and unlike /usr/bin/time it needs no output parsing. Phase timings
and packet counts come from the run folder (manifest.json, flows.csv). Prints
one headline figure per line as `figure-name: value unit`; writes OUT/scale.json. A
simulated second is one of duration_s; the drain_s after it is in the wall time too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _scaled_fabric as sf
from netsim.sweep.results import read_flows, read_manifest

FULL = 1_218_000
BAR_WALL_PER_SIM_S = 3600 / 10  # 1 h per 10 s simulated
BAR_RSS_GB = 16
PORTS = 7  # a VLEO satellite: 4 ISL + 1 up + 2 ground terminals
DESTINATIONS = 120
WARM_UP_NODES = 10
PHASES = ("setup", "network_state", "packets", "outputs")  # manifest.json "timing"


def figure(name: str, value, unit: str = "", digits: int = 4) -> None:
    text = f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}".rstrip(), flush=True)


def label(satellites: int) -> str:
    return f"{satellites / 1000:g}k"


# --- one run ---------------------------------------------------------------------------

def run_child(cmd: list[str], log: Path) -> tuple[int, float, int]:
    """(exit code, wall s, peak RSS bytes) of one child process, measured for it alone."""
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss * 1024  # Linux: KiB


def read_run(run_dir: Path) -> dict:
    """What the run folder says: status, phase timings, packets, and the packet-hops the
    C++ core counted (manifest `packet_hops`: packets handed to a laser port by a
    satellite, every hop of every packet, delivered or not)."""
    manifest = read_manifest(run_dir) or {}
    flows = read_flows(run_dir) if (run_dir / "flows.csv").is_file() else []
    timing = manifest.get("timing") or {}
    return {"status": manifest.get("status", "missing"), "error": manifest.get("error"),
            "manifest_wall_s": manifest.get("wall_time_s"), "timing": {k: timing[k] for k in PHASES if k in timing},
            "cpu_timing": {k: v for k, v in (manifest.get("cpu_timing") or {}).items() if k in PHASES},
            "manifest_peak_rss_mb": manifest.get("peak_rss_mb"), "drops": manifest.get("drops"),
            "packets_sent": sum(r["packets_sent"] for r in flows),
            "packets_received": sum(r["packets_received"] for r in flows),
            "packet_hops": manifest.get("packet_hops"), "routing": manifest.get("routing") or {}}


def derived(point: dict) -> dict:
    """Per-satellite and per-simulated-second figures of a finished run."""
    out = {"wall_per_sim_s": point["wall_s"] / point["duration_s"],
           "peak_rss_gb": point["peak_rss_bytes"] / 1e9,
           "rss_per_satellite_kb": point["peak_rss_bytes"] / point["satellites"] / 1e3}
    packets_s = (point.get("timing") or {}).get("packets")
    packets_cpu_s = (point.get("cpu_timing") or {}).get("packets")
    hops = point.get("packet_hops")
    if packets_s and hops:
        out["packet_hops_per_s"] = hops / packets_s
        out["ns_per_packet_hop"] = packets_s / hops * 1e9
    if packets_cpu_s and hops:  # per CPU second of the packets phase: what other jobs do not change
        out["packet_hops_per_cpu_s"] = hops / packets_cpu_s
        out["cpu_ns_per_packet_hop"] = packets_cpu_s / hops * 1e9
    if hops and point.get("packets_sent"):
        out["satellite_hops_per_packet"] = hops / point["packets_sent"]
    return out


class Runs:
    """Writes scenarios, runs them once each (a repeated scenario reuses its result)."""

    def __init__(self, out: Path, keep: bool, dry_run: bool):
        self.out, self.keep, self.dry_run = out, keep, dry_run
        self.done: dict[str, dict] = {}

    def measure(self, raw: dict, name: str) -> dict:
        path = sf.write(raw, self.out / "scenarios", name)
        text = path.read_text()
        if text not in self.done:
            self.done[text] = self.validate(path) if self.dry_run else self.run(path, name)
        return {"scenario": str(path), "satellites": sf.satellite_count(raw),
                "duration_s": raw["duration_s"], **self.done[text]}

    @staticmethod
    def validate(path: Path) -> dict:
        from netsim.scenario.load import load_scenario
        from netsim.errors import NetsimError

        try:
            load_scenario(path)  # the validator refuses e.g. colliding shells
        except NetsimError as err:
            return {"status": "invalid", "error": str(err)}
        return {"status": "valid"}

    def run(self, path: Path, name: str) -> dict:
        run_dir = self.out / "runs" / name
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        cmd = [sys.executable, "-m", "netsim.cli.main", "run", str(path), "--out", str(run_dir), "--quiet"]
        code, wall_s, rss = run_child(cmd, run_dir.parent / f"{name}.log")
        point = {"exit_code": code, "wall_s": wall_s, "peak_rss_bytes": rss, **read_run(run_dir)}
        if code != 0 and not point["error"]:
            point["error"] = (run_dir.parent / f"{name}.log").read_text()[-2000:]
        if not self.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        return point


def ok(point: dict) -> bool:
    return point.get("exit_code") == 0 and point.get("status") == "ok"


# --- 1. end to end ---------------------------------------------------------------------

def end_to_end(runs: Runs, sizes: list[int], duration_s: float) -> list[dict]:
    seed = sf.seed_scenario()
    points = []
    for size in sizes:
        raw = sf.with_duration(sf.scaled(seed, size / FULL), duration_s)
        point = {"size": size, **runs.measure(raw, f"e2e-{label(size)}")}
        if ok(point):
            point.update(derived(point))
        points.append(point)
        print_end_to_end(point)
    return points


def print_end_to_end(p: dict) -> None:
    name = f"e2e-{label(p['size'])}"
    figure(f"{name}-satellites", p["satellites"])
    if not ok(p):
        figure(f"{name}-status", status(p))
        if p.get("error"):
            print(f"  {p['error'].strip().splitlines()[-1]}", flush=True)
        return
    figure(f"{name}-wall", p["wall_s"], "s")
    figure(f"{name}-wall-per-sim-s", p["wall_per_sim_s"], "s/s")
    for phase, seconds in (p.get("timing") or {}).items():
        figure(f"{name}-{phase.replace('_', '-')}", seconds, "s")
    for phase, seconds in (p.get("cpu_timing") or {}).items():
        figure(f"{name}-{phase.replace('_', '-')}-cpu", seconds, "s")
    figure(f"{name}-peak-rss", p["peak_rss_gb"], "GB")
    figure(f"{name}-rss-per-satellite", p["rss_per_satellite_kb"], "KB")
    figure(f"{name}-packets-delivered", p["packets_received"])
    if p.get("packet_hops") is not None:
        figure(f"{name}-packet-hops", p["packet_hops"])
    if "satellite_hops_per_packet" in p:
        figure(f"{name}-satellite-hops-per-packet", p["satellite_hops_per_packet"])
    if "packet_hops_per_s" in p:
        figure(f"{name}-packet-hops-per-s", p["packet_hops_per_s"], "/s")
        figure(f"{name}-ns-per-packet-hop", p["ns_per_packet_hop"], "ns")
    if "packet_hops_per_cpu_s" in p:
        figure(f"{name}-packet-hops-per-cpu-s", p["packet_hops_per_cpu_s"], "/s")
        figure(f"{name}-cpu-ns-per-packet-hop", p["cpu_ns_per_packet_hop"], "ns")
    snapshots = (p.get("routing") or {}).get("snapshots")
    if snapshots:
        # Network state per routing update, computed beside ns-3 (manifest routing.snapshots).
        figure(f"{name}-network-state-per-update", snapshots["mean_wall_s"], "s")
        figure(f"{name}-network-state-per-update-max", snapshots["max_wall_s"], "s")
        figure(f"{name}-completed-searches", p["routing"].get("completed_searches", 0))


def status(p: dict) -> str:
    return p["status"] if "exit_code" not in p else f"{p['status']} (exit {p['exit_code']})"


def print_marginal_rss(points: list[dict]) -> None:
    """RSS per added satellite between consecutive sizes: without the fixed cost of
    Python, ns-3 and the bindings that dominates small runs."""
    done = [p for p in points if ok(p)]
    for a, b in itertools.pairwise(done):
        per_sat = (b["peak_rss_bytes"] - a["peak_rss_bytes"]) / (b["satellites"] - a["satellites"])
        figure(f"e2e-marginal-rss-per-satellite-{label(a['size'])}-{label(b['size'])}", per_sat / 1e3, "KB")


# --- 2. growth at the smallest size ------------------------------------------------------

def growth(runs: Runs, size: int, duration_s: float, quick: bool) -> dict:
    base = sf.with_duration(sf.scaled(sf.seed_scenario(), size / FULL), duration_s)
    knobs = {  # name: (values, variant of the base scenario, figure-name suffix)
        "ground-stations": ([25, 100] if quick else [10, 25, 50, 100], sf.with_ground_stations, ""),
        "flows": ([1, 2] if quick else [0.5, 1, 2, 4], sf.with_flows, "x"),
        "routing-interval": ([0.5, 1.0] if quick else [0.25, 0.5, 1.0, 2.0], sf.with_routing_interval, "s"),
    }
    out = {}
    for knob, (values, variant, unit) in knobs.items():
        out[knob] = []
        for value in values:
            point = {"value": value, **runs.measure(variant(base, value), f"growth-{knob}-{value:g}")}
            out[knob].append(point)
            name = f"growth-{knob}-{value:g}{unit}"
            if ok(point):
                figure(f"{name}-wall", point["wall_s"], "s")
                figure(f"{name}-peak-rss", point["peak_rss_bytes"] / 1e9, "GB")
            else:
                figure(f"{name}-status", status(point))
    return out


# --- 3. core bytes per forwarding-only satellite ---------------------------------------

def grid_links(n: int, offset: int) -> tuple[int, list[np.ndarray]]:
    """A planes x per_plane torus of about n satellites (node ids from offset): each links
    to the next in its plane (port 0 -> 1) and in the next plane (port 2 -> 3)."""
    per_plane = int(np.sqrt(n))
    planes = n // per_plane
    idx = (np.arange(planes * per_plane, dtype=np.uint32) + offset).reshape(planes, per_plane)
    a = np.concatenate([idx.ravel(), idx.ravel()])
    b = np.concatenate([np.roll(idx, -1, axis=1).ravel(), np.roll(idx, -1, axis=0).ravel()])
    ports = [np.full(idx.size, p, dtype=np.uint32) for p in range(4)]
    return idx.size, [a, np.concatenate(ports[0::2]), b, np.concatenate(ports[1::2])]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fabric_bytes(ns, n: int) -> dict:
    """RSS added by n forwarding satellites of the netsim core, by part."""
    from netsim.core.fabric import Fabric

    fabric = Fabric(ns, 10.0, 100, None)
    fabric.create_nodes(WARM_UP_NODES, PORTS, True)  # one-off costs (type registry, first objects) out
    fabric.connect([0], [0], [1], [1])
    n, (a, pa, b, pb) = grid_links(n, WARM_UP_NODES)  # index arrays allocated before the readings
    readings = [rss_bytes()]
    fabric.create_nodes(n, PORTS, True)
    readings.append(rss_bytes())
    fabric.connect(a, pa, b, pb)
    readings.append(rss_bytes())
    fabric.helper.SetDestinationCount(DESTINATIONS)
    readings.append(rss_bytes())
    return per_satellite(n, readings, ("nodes", "links", "table"))


PLAIN_NS3 = r"""
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/point-to-point-module.h"
namespace scale_bench {
using namespace ns3;
NodeContainer nodes;
Ipv4AddressHelper addresses("10.0.0.0", "255.255.255.252");  // one for all calls: no duplicates
void Nodes(uint32_t n) {  // a forwarding node of plain ns-3 needs its IP stack
    nodes.Create(n);
    InternetStackHelper().Install(nodes);
}
void Links(const uint32_t* a, const uint32_t* b, uint32_t m) {  // devices, channels, a /30 each
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", StringValue("100p"));
    for (uint32_t i = 0; i < m; ++i) {
        addresses.Assign(p2p.Install(nodes.Get(a[i]), nodes.Get(b[i])));
        addresses.NewNetwork();
    }
}
void Routes(uint32_t destinations) {  // one static host route per destination
    Ipv4StaticRoutingHelper helper;
    for (uint32_t i = 0; i < nodes.GetN(); ++i) {
        Ptr<Ipv4StaticRouting> table = helper.GetStaticRouting(nodes.Get(i)->GetObject<Ipv4>());
        for (uint32_t d = 0; d < destinations; ++d)
            table->AddHostRouteTo(Ipv4Address(0x0a800001u + d), 1 + d % 4);
    }
}
}
"""


def plain_ns3_bytes(ns, n: int) -> dict:
    """RSS added by the same fabric in plain ns-3: nodes with an internet stack,
    point-to-point links with addresses, static host routes."""
    import cppyy

    cppyy.cppdef(PLAIN_NS3)
    bench = cppyy.gbl.scale_bench
    bench.Nodes(WARM_UP_NODES)
    bench.Links(np.array([0], np.uint32), np.array([1], np.uint32), 1)
    n, (a, _, b, _) = grid_links(n, WARM_UP_NODES)
    readings = [rss_bytes()]
    bench.Nodes(n)
    readings.append(rss_bytes())
    bench.Links(a, b, len(a))
    readings.append(rss_bytes())
    bench.Routes(DESTINATIONS)
    readings.append(rss_bytes())
    return per_satellite(n, readings, ("nodes", "links", "table"))


def per_satellite(n: int, readings: list[int], parts: tuple[str, ...]) -> dict:
    out = {"satellites": n, **{p: (after - before) / n for p, before, after in zip(parts, readings, readings[1:])}}
    out["total"] = (readings[-1] - readings[0]) / n
    return out


def core_bytes_child(which: str, n: int) -> None:
    """Child side: one measurement in a fresh process, printed as JSON."""
    from netsim.core.fabric import load_core

    ns = load_core()
    print(json.dumps((fabric_bytes if which == "fabric" else plain_ns3_bytes)(ns, n)))


def core_bytes(out: Path, which: str, n: int) -> dict | None:
    log = out / f"core-bytes-{which}.log"
    code, _, _ = run_child([sys.executable, __file__, "--core-bytes-child", which, str(n)], log)
    lines = log.read_text().strip().splitlines()
    prefix = "core" if which == "fabric" else "plain-ns3"
    if code != 0 or not lines:
        figure(f"{prefix}-bytes-status", f"failed (exit {code}, see {log})")
        return None
    result = json.loads(lines[-1])
    for part in ("nodes", "links", "table"):
        figure(f"{prefix}-bytes-{part}-per-satellite", round(result[part]), "B")
    figure(f"{prefix}-bytes-per-forwarding-satellite", round(result["total"]), "B")
    return result


# --- 4. plot ---------------------------------------------------------------------------

def plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [p for p in points if ok(p)]
    sats = [p["satellites"] for p in done]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    panels = ((left, "wall_per_sim_s", "wall time per simulated second (s)", BAR_WALL_PER_SIM_S, "1 h per 10 s"),
              (right, "peak_rss_gb", "peak RSS (GB)", BAR_RSS_GB, "16 GB"))
    for ax, key, ylabel, bar, bar_label in panels:
        ax.loglog(sats, [p[key] for p in done], "o-")
        ax.axhline(bar, color="red", linestyle="--", label=bar_label)
        ax.set_xlabel("satellites")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("Seed fabric at packet level, one machine")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


# --- main ------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 k satellites only, 1 s runs, small core test")
    parser.add_argument("--sizes", help="comma-separated satellite counts (default 10000,100000,1218000)")
    parser.add_argument("--duration", type=float, help="simulated seconds of the end-to-end runs")
    parser.add_argument("--parts", default="e2e,growth,core", help="which of e2e,growth,core to run")
    parser.add_argument("--out", type=Path, default=Path("/tmp/netsim-scale"), help="scenarios, runs, scale.json")
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    parser.add_argument("--dry-run", action="store_true", help="only write and validate the scaled scenarios")
    parser.add_argument("--plot", type=Path, help="write the two-panel plot here (e.g. docs/scale.png)")
    parser.add_argument("--core-bytes-child", nargs=2, metavar=("WHICH", "N"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.core_bytes_child:
        core_bytes_child(args.core_bytes_child[0], int(args.core_bytes_child[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000] if args.quick else [10_000, 100_000, FULL])
    duration = args.duration or (1.0 if args.quick else sf.seed_scenario()["duration_s"])
    parts = set(args.parts.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    runs = Runs(args.out, args.keep, args.dry_run)
    results = {"machine": {"cores": os.cpu_count()}, "quick": args.quick, "duration_s": duration}

    if "e2e" in parts:
        results["e2e"] = end_to_end(runs, sizes, duration)
        print_marginal_rss(results["e2e"])
    if "growth" in parts:
        results["growth"] = growth(runs, min(sizes), 1.0 if args.quick else 2.0, args.quick)
    if "core" in parts and not args.dry_run:
        n = 20_000 if args.quick else 200_000
        results["core_bytes"] = core_bytes(args.out, "fabric", n)
        results["plain_ns3_bytes"] = core_bytes(args.out, "plain", n // 10)  # plain ns-3 is far bigger

    (args.out / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"measurements: {args.out / 'scale.json'}", flush=True)
    if args.plot and "e2e" in results:
        plot(results["e2e"], args.plot)
        print(f"plot: {args.plot}", flush=True)


if __name__ == "__main__":
    main()
