"""Link-assignment benchmark: feasible pairs, matching and terminal assignment
for every terminal group of a three-tier fabric, one step cold and one step warm.

    .venv/bin/python benchmarks/assignment.py           # 10 k, 100 k, the 1.218 M seed fabric, mini hour
    .venv/bin/python benchmarks/assignment.py --quick   # 10 k and 100 k, 300 steps of the mini scenario

Prints one figure per line as `figure-name: value unit`. Bar: assignment + handovers of
the seed fabric in <= 10 s per 1 s step on one core (the warm step). `*-warm-*`: a new
k-d tree every step (what netsim.links.dynamic_links does today); `*-reuseN-*`: k-nearest lists
reused for N steps (NeighbourCache), mean over a full refresh cycle.

Terminals per satellite (all tiers): a ring of 4 horizontal terminals (intra-tier, FoR
60 deg half-angle), 1 zenith terminal (to the tier above) and 1 nadir terminal (to the
tier below), FoR 60 deg; slew limit 2 deg/s; laser range 5,000 km; grazing 80 km.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from netsim.links.assignment import NeighbourCache, TerminalGeometry, assign_links, feasible_pairs  # noqa: E402
from netsim.space.geometry import GRAZING_ALTITUDE_M  # noqa: E402
from netsim.space.orbits import Ephemeris, WalkerShellOrbits, earth_constants  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MAX_RANGE_M = 5000e3
FOR_RAD = np.radians(60.0)
SLEW_RAD_S = np.radians(2.0)
RING = TerminalGeometry(4, "ring", FOR_RAD, SLEW_RAD_S)
UP = TerminalGeometry(1, "zenith", FOR_RAD, SLEW_RAD_S)
DOWN = TerminalGeometry(1, "nadir", FOR_RAD, SLEW_RAD_S)


def figure(name: str, value: float, unit: str, digits: int = 3) -> None:
    print(f"{name}: {value:.{digits}g} {unit}".rstrip(), flush=True)


def shells_from_yaml(path: Path) -> list[tuple[str, float, float, int, int, int]]:
    """(name, altitude_km, inclination_deg, planes, per_plane, phasing) per tier (one shell each)."""
    raw = yaml.safe_load(path.read_text())
    return [(t["name"], s["altitude_km"], s["inclination_deg"], s["planes"], s["sats_per_plane"], s["phasing"])
            for t in raw["constellation"]["tiers"] for s in t["shells"]]


def ephemeris(shells) -> Ephemeris:
    _, radius = earth_constants()
    return Ephemeris(tuple(WalkerShellOrbits(name, radius + alt * 1e3, float(np.radians(inc)), planes, per,
                                             phasing, 2 * np.pi) for name, alt, inc, planes, per, phasing in shells))


class Fabric:
    """Link state of every terminal group of a multi-tier fabric, stepped in time."""

    def __init__(self, eph: Ephemeris, refresh_every: int = 1, k: int = 8):
        self.eph = eph
        self.k = k  # k nearest per query node
        _, self.radius = earth_constants()
        self.tiers = [np.arange(lo, hi) for lo, hi in zip(eph.offsets, eph.offsets[1:])]
        n = len(eph)
        self.cap = {"ring": np.full(n, RING.count), "up": np.full(n, UP.count), "down": np.full(n, DOWN.count)}
        # (name, a nodes, a group, b nodes, b group, same_set)
        self.groups = [(f"intra-{i}", t, RING, t, RING, True) for i, t in enumerate(self.tiers)]
        self.groups += [(f"inter-{i}-{i + 1}", lo, UP, hi, DOWN, False)
                        for i, (lo, hi) in enumerate(zip(self.tiers, self.tiers[1:]))]
        self.links = {name: None for name, *_ in self.groups}
        # k-nearest lists reused for refresh_every steps (1 = a new k-d tree every step).
        self.neighbours = {name: NeighbourCache(refresh_every) for name, *_ in self.groups}

    def step(self, t_s: float, timings: dict | None = None) -> int:
        pos, vel = self.eph.at(t_s)
        total = 0
        for name, a_nodes, a_group, b_nodes, b_group, same in self.groups:
            kept = self.links[name]
            start = time.perf_counter()
            a, b, d = feasible_pairs(pos, vel, a_nodes, a_group, b_nodes, b_group, MAX_RANGE_M, self.radius,
                                     GRAZING_ALTITUDE_M, same_set=same, k=self.k,
                                     include=None if kept is None else kept[:2], neighbours=self.neighbours[name])
            mid = time.perf_counter()
            cap_a = self.cap["ring"] if same else self.cap["up"]
            cap_b = self.cap["ring"] if same else self.cap["down"]
            self.links[name] = assign_links(pos, vel, a, b, d, a_group, b_group, cap_a, cap_b,
                                            keep=kept, same_set=same)
            end = time.perf_counter()
            if timings is not None:
                timings[name] = (mid - start, end - mid, len(a), len(self.links[name][0]),
                                 _continued(kept, self.links[name]))
            total += len(self.links[name][0])
        return total


def _continued(old, new) -> int:
    if old is None:
        return 0
    size = int(max(old[0].max(initial=0), old[1].max(initial=0), new[0].max(initial=0), new[1].max(initial=0))) + 1
    return int(np.isin(old[0] * size + old[1], new[0] * size + new[1]).sum())


def one_step(label: str, eph: Ephemeris) -> None:
    figure(f"{label}-satellites", len(eph), "", 7)
    fabric = Fabric(eph)
    for phase, t_s in (("cold", 0.0), ("warm", 1.0)):
        timings: dict = {}
        start = time.perf_counter()
        links = fabric.step(t_s, timings)
        figure(f"{label}-{phase}-step-s", time.perf_counter() - start, "s")
        figure(f"{label}-{phase}-issue-set-s", issue_set_s(timings), "s")
        figure(f"{label}-{phase}-links", links, "", 7)
        for name, (feasible_s, assign_s, pairs, chosen, continued) in timings.items():
            figure(f"{label}-{phase}-{name}-feasible-s", feasible_s, "s")
            figure(f"{label}-{phase}-{name}-match-assign-s", assign_s, "s")
            figure(f"{label}-{phase}-{name}-pairs", pairs, "", 7)
            figure(f"{label}-{phase}-{name}-links", chosen, "", 7)
            if phase == "warm":
                figure(f"{label}-{phase}-{name}-links-continued", continued, "", 7)


ISSUE_SET = ("intra-0", "inter-0-1", "inter-1-2")  # the issue's bar: VLEO ring, VLEO<->LEO, LEO<->MEO


def issue_set_s(timings: dict) -> float:
    return sum(timings[g][0] + timings[g][1] for g in ISSUE_SET if g in timings)


def reuse_steps(label: str, eph: Ephemeris, refresh: int) -> None:
    """Steps 1..refresh after a cold step with the k-nearest lists reused (NeighbourCache):
    step 1 reuses the lists of step 0, step `refresh` recomputes them, so the mean over
    the steps is the steady-state cost per step."""
    fabric = Fabric(eph, refresh_every=refresh)
    fabric.step(0.0)
    times, issue = [], []
    for i in range(1, refresh + 1):
        timings: dict = {}
        start = time.perf_counter()
        links = fabric.step(float(i), timings)
        times.append(time.perf_counter() - start)
        issue.append(issue_set_s(timings))
        if i == 1:
            figure(f"{label}-reuse{refresh}-warm-step-s", times[0], "s")
            figure(f"{label}-reuse{refresh}-warm-issue-set-s", issue[0], "s")
            for name, (feasible_s, assign_s, *_rest) in timings.items():
                figure(f"{label}-reuse{refresh}-warm-{name}-feasible-s", feasible_s, "s")
                figure(f"{label}-reuse{refresh}-warm-{name}-match-assign-s", assign_s, "s")
    figure(f"{label}-reuse{refresh}-mean-step-s", float(np.mean(times)), "s")
    figure(f"{label}-reuse{refresh}-max-step-s", float(np.max(times)), "s")
    figure(f"{label}-reuse{refresh}-mean-issue-set-s", float(np.mean(issue)), "s")
    figure(f"{label}-reuse{refresh}-links-step{refresh}", links, "", 7)


def mini_hour(steps: int) -> None:
    eph = ephemeris(shells_from_yaml(ROOT / "topologies" / "three-tier-mini.yaml"))
    fabric = Fabric(eph)
    fabric.step(0.0)
    changes = 0
    start = time.perf_counter()
    for i in range(1, steps + 1):
        timings: dict = {}
        fabric.step(float(i), timings)
        changes += sum(t[3] - t[4] for t in timings.values())
    elapsed = time.perf_counter() - start
    figure(f"mini-{steps}-steps-total-s", elapsed, "s")
    figure("mini-per-step-ms", elapsed / steps * 1e3, "ms")
    figure(f"mini-{steps}-steps-new-links", changes, "", 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no seed fabric; 300 mini steps")
    parser.add_argument("--refresh", type=int, default=10,
                        help="k-nearest lists reused for this many steps in the reuse figures (default 10)")
    args = parser.parse_args()
    # Compile (or load the cached) kernels outside the timings.
    Fabric(ephemeris(shells_from_yaml(ROOT / "topologies" / "three-tier-mini.yaml"))).step(0.0)
    one_step("10k", ephemeris([("vleo", 500, 53, 80, 82, 1), ("leo", 1000, 70, 50, 50, 1),
                               ("meo", 2000, 45, 32, 32, 1)]))
    one_step("100k", ephemeris([("vleo", 500, 53, 260, 254, 1), ("leo", 1000, 70, 160, 156, 1),
                                ("meo", 2000, 45, 100, 100, 1)]))
    if args.quick:
        reuse_steps("100k", ephemeris([("vleo", 500, 53, 260, 254, 1), ("leo", 1000, 70, 160, 156, 1),
                                       ("meo", 2000, 45, 100, 100, 1)]), args.refresh)
    else:
        seed = ephemeris(shells_from_yaml(ROOT / "topologies" / "seed-fabric-orbits.yaml"))
        one_step("seed", seed)
        reuse_steps("seed", seed, args.refresh)
    mini_hour(300 if args.quick else 3600)


if __name__ == "__main__":
    main()
