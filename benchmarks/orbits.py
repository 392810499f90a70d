"""Orbit-layer benchmark on the seed fabric: 1,218,000 satellites in three tiers.

    .venv/bin/python benchmarks/orbits.py           # full: more repeats, 1,000-orbit poliastro sample
    .venv/bin/python benchmarks/orbits.py --quick   # about 20 s

Prints one headline figure per line as `figure-name: value unit`. Bars: positions of the
whole fabric in <= 1 s on one core and <= 2x the memory of the pos/vel arrays; candidate
neighbours within range in <= 10 s per epoch.
"""

from __future__ import annotations

import os

# One core for the position figure: keep BLAS/OpenMP pools (if any) single-threaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from netsim.scenario.load import load_scenario  # noqa: E402
from netsim.space.neighbours import candidate_pairs  # noqa: E402
from netsim.space.orbits import constellation_ephemeris, earth_constants, reference_state  # noqa: E402

SEED = Path(__file__).resolve().parents[1] / "topologies" / "seed-fabric-orbits.yaml"
NEIGHBOUR_RANGE_M = 100e3


def figure(name: str, value: float, unit: str, digits: int = 3) -> None:
    print(f"{name}: {value:.{digits}g} {unit}".rstrip(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller poliastro sample")
    args = parser.parse_args()
    repeats, sample = (3, 100) if args.quick else (10, 1000)

    t0 = time.perf_counter()
    eph = constellation_ephemeris(load_scenario(SEED))
    figure("satellites", len(eph), "", 7)
    figure("load-and-validate-s", time.perf_counter() - t0, "s")

    # Positions of all satellites for one epoch; the first call pays one-off costs.
    eph.at(0.0)
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        pos, vel = eph.at(17.0 + r)
        times.append(time.perf_counter() - start)
    fast_s = statistics.median(times)
    figure("positions-one-epoch-s", fast_s, "s")
    figure("positions-per-satellite-ns", fast_s / len(eph) * 1e9, "ns")

    # Peak memory of one call that allocates its own output, against the output alone.
    del pos, vel
    tracemalloc.start()
    pos, vel = eph.at(42.0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figure("positions-peak-mb", peak / 1e6, "MB")
    figure("positions-peak-over-posvel-arrays", peak / (pos.nbytes + vel.nbytes), "x")

    # poliastro's own per-orbit propagation of a spread-out sample of the same satellites.
    rng = np.random.default_rng(3)
    chosen = np.sort(rng.choice(len(eph), size=sample, replace=False))
    t_s = 42.0
    worst = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hapsira warns when it wraps the true anomaly
        reference_state(eph, int(chosen[0]), t_s)  # imports and JIT out of the timing
        start = time.perf_counter()
        for index in chosen:
            ref_pos, _ = reference_state(eph, int(index), t_s)
            worst = max(worst, float(np.linalg.norm(pos[index] - ref_pos)))
        per_orbit_s = (time.perf_counter() - start) / sample
    figure("poliastro-per-orbit-us", per_orbit_s * 1e6, "us")  # Orbit.from_classical + propagate
    figure("poliastro-whole-fabric-extrapolated-s", per_orbit_s * len(eph), "s")
    figure("speedup-vs-poliastro", per_orbit_s * len(eph) / fast_s, "x")
    figure("max-deviation-from-poliastro-m", worst, "m")

    # Streaming: a 16-epoch window (1 s steps) into reused buffers.
    start = time.perf_counter()
    for _ in eph.windows(0.0, 15.0, 1.0, steps_per_window=16):
        pass
    figure("window-16-epochs-s", time.perf_counter() - start, "s")

    # Candidate neighbours: all pairs within range, then line of sight above 80 km.
    _, radius = earth_constants()
    times, count = [], 0
    for r in range(1 if args.quick else 3):
        start = time.perf_counter()
        pairs = candidate_pairs(pos, NEIGHBOUR_RANGE_M, radius)
        times.append(time.perf_counter() - start)
        count = len(pairs)
        del pairs
    figure("neighbour-range-km", NEIGHBOUR_RANGE_M / 1e3, "km")
    figure("neighbour-pairs", count, "", 8)
    figure("neighbours-one-epoch-s", statistics.median(times), "s")


if __name__ == "__main__":
    main()
