"""Cost of a packet-hop in full runs, this build against an earlier one, side by side.

The busy seed fabric (topologies/seed-fabric-busy.yaml: ten times the seed traffic, 100 ms
routing) scaled to SIZE satellites with benchmarks/_scaled_fabric.py, run by `netsim run`
in a child process with each build in turn (base, now, base, now, ...), so both see the
same machine. The figure is the packets phase over the packet-hops the core counted
(manifest `timing.packets` / `packet_hops`); the outputs of the two builds must be byte
for byte the same.

The earlier build is a git revision: its sources are checked out in a worktree, its C++
core built there with cmake against this environment's ns-3 wheel (once; kept in
--work), and its Python run from that tree with this environment's packages.

    .venv/bin/python benchmarks/per_hop.py --base REV                  # ~10 k satellites, 3 rounds
    .venv/bin/python benchmarks/per_hop.py --base REV --size 1218000 --rounds 1
    .venv/bin/python benchmarks/per_hop.py --base REV --quick          # 0.1 s + 0.1 s, 1 round
    .venv/bin/python benchmarks/per_hop.py --base REV --size 300000 --together  # both at once

On a machine whose speed drifts with other tenants' load (±10-15 % between runs of the
same build), --together runs the two builds at the same time, a core each: they then
meet the same load, and each other's, alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _scaled_fabric as sf  # noqa: E402
from netsim.run import huge_pages  # noqa: E402

ROOT = sf.ROOT
BUSY = ROOT / "topologies" / "seed-fabric-busy.yaml"
SEED_SATELLITES = 1_218_000
# Tables both builds write; each must be the same bytes.
COMPARED = ("flows.csv", "rtt.csv", "accounting.csv", "link_traffic.csv", "links.csv", "handovers.csv")
# Runs `netsim` from the tree in argv[1] (its netsim package and its built core), with the
# packages of this environment: an editable install's import hook is taken out first.
BOOTSTRAP = """
import sys
root = sys.argv.pop(1)
sys.path.insert(0, root)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()
                    and "editable" not in type(f).__module__.lower()]
import netsim
assert netsim.__file__.startswith(root), netsim.__file__
from netsim.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def build_base(rev: str, work: Path) -> Path:
    """A worktree of rev with its core built and installed into its netsim/_core."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    tree = work / f"base-{commit[:12]}"
    if not (tree / "netsim" / "_core" / "libnetsim-core.so").is_file():
        if not tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True,
                           stdout=subprocess.DEVNULL)
        build = tree / "build-per-hop"
        for step in (["-S", str(tree), "-B", str(build), f"-DPython3_EXECUTABLE={sys.executable}",
                      "-DNETSIM_BUILD_EXAMPLES=OFF", "-DCMAKE_BUILD_TYPE=Release"],
                     ["--build", str(build), "-j2"], ["--install", str(build), "--prefix", str(tree)]):
            done = subprocess.run(["cmake", *step], capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"per_hop: building {rev} failed (cmake {step[0]}):\n{done.stderr[-4000:]}")
    return tree


def scenario(size: int, duration_s: float, drain_s: float) -> dict:
    raw = yaml.safe_load(BUSY.read_text())
    if size < SEED_SATELLITES:
        raw = sf.scaled(raw, size / SEED_SATELLITES)
    return {**raw, "duration_s": duration_s, "drain_s": drain_s}


def start(tree: Path | None, scenario_file: Path, out: Path) -> subprocess.Popen:
    """Start one run (this build when tree is None)."""
    head = [sys.executable, "-m", "netsim.cli.main"] if tree is None else [sys.executable, "-c", BOOTSTRAP, str(tree)]
    # Both builds start with malloc on huge pages where the machine has them (this build's
    # `netsim run` would restart itself with them; an older one would not).
    return subprocess.Popen([*head, "run", str(scenario_file), "--out", str(out), "--quiet"],
                            stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
                            env=huge_pages.environment(os.environ))


def finish(process: subprocess.Popen, out: Path) -> dict:
    """Wait for a run; its manifest."""
    if process.wait():
        raise SystemExit(f"per_hop: the run in {out} failed (exit {process.returncode})")
    manifest = json.loads((out / "manifest.json").read_text())
    if manifest.get("status") != "ok":
        raise SystemExit(f"per_hop: the run in {out} did not finish: {manifest.get('error')}")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision of the earlier build")
    parser.add_argument("--size", type=int, default=10_000, help="satellites (scaled busy fabric); 1218000: all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=0.3, help="simulated seconds of traffic")
    parser.add_argument("--drain", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true", help="0.1 s + 0.1 s, one round")
    parser.add_argument("--together", action="store_true",
                        help="run both builds at the same time, a core each, so that both meet the "
                             "same load from elsewhere (needs memory for two runs)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "per-hop", help="worktree and runs")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.drain, args.rounds = 0.1, 0.1, 1
    args.work.mkdir(parents=True, exist_ok=True)
    base = build_base(args.base, args.work.resolve())
    raw = scenario(args.size, args.duration, args.drain)
    scenario_file = sf.write(raw, args.work, "busy")
    label = "1218k" if args.size >= SEED_SATELLITES else f"{round(args.size / 1000)}k"
    per_hop = {"base": [], "now": []}
    for r in range(args.rounds):
        runs = {name: args.work / f"{name}-{r}" for name in ("base", "now")}
        trees = {"base": base, "now": None}
        if args.together:
            started = {name: start(trees[name], scenario_file, runs[name]) for name in runs}
            manifests = {name: finish(started[name], runs[name]) for name in runs}
        else:
            manifests = {name: finish(start(trees[name], scenario_file, runs[name]), runs[name]) for name in runs}
        for name, manifest in manifests.items():
            us = manifest["timing"]["packets"] / manifest["packet_hops"] * 1e6
            per_hop[name].append(us)
            print(f"round {r + 1} {name}: {manifest['packet_hops']:,} packet-hops, packets phase "
                  f"{manifest['timing']['packets']:.1f} s, {us:.3f} us per hop", flush=True)
        differ = [f for f in COMPARED if (runs["base"] / f).read_bytes() != (runs["now"] / f).read_bytes()]
        if differ:
            raise SystemExit(f"per_hop: the builds' outputs differ in {', '.join(differ)} ({runs['base']}, "
                             f"{runs['now']})")
    base_us, now_us = statistics.median(per_hop["base"]), statistics.median(per_hop["now"])
    print(f"satellites: {sf.satellite_count(raw)}")
    print(f"per-hop-{label}-base-us: {base_us:.3f} us")
    print(f"per-hop-{label}-now-us: {now_us:.3f} us")
    print(f"per-hop-{label}-speedup: {base_us / now_us:.2f} x")
    print(f"per-hop-{label}-speedup-per-round: "
          + " ".join(f"{b / n:.2f}" for b, n in zip(per_hop["base"], per_hop["now"])) + " x")


if __name__ == "__main__":
    main()
