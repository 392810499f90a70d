"""Routing cost on the time-varying fabric.

1. A 34 x 34 shell at 630 km with 100 ground stations (the 100 largest cities), 200 s
   at 100 ms updates: every update recomputes positions, line of sight, link budget,
   ground links and next hops toward all 100 stations (bar: <= 60 s total, one core).
2. The seed fabric as it runs (topologies/seed-fabric.yaml: 1,218,000 satellites in
   three tiers joined by inter-tier terminals, 100 stations, 120 destinations with the
   satellite endpoints of its traffic): routing updates with the link groups (VLEO zenith
   to LEO nadir, LEO zenith to MEO nadir) assigned, timed one by one, and the share of each
   tier's satellites that has a route to the ground (bar: <= 30 s per update, <= 8 GB).
   --quick runs the same fabric scaled to ~10 k satellites instead.
3. How one update grows with the number of satellites.
4. One destination's shortest-path search on the full fabric's graph: the C++
   NextHopSolver against scipy.sparse.csgraph.dijkstra.

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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _scaled_fabric as sf  # noqa: E402

from netsim.scenario.load import scenario_from_dict  # noqa: E402
from netsim.core.fabric import load_core  # noqa: E402
from netsim.run.network_state import NetworkStates, column_senders  # noqa: E402
from netsim.routing.solver import NO_ROUTE, UNSOLVED, link_weights, next_hop_ports, route_graph, solve  # noqa: E402


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


def cpu_updates(states: NetworkStates, times_s) -> tuple[float, float]:
    """(wall s, CPU s of this process) of the updates."""
    cpu = time.process_time()
    wall = time_updates(states, times_s)
    return wall, time.process_time() - cpu


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s of the 34x34 run; the seed fabric at ~10 k")
    parser.add_argument("--updates", type=int, default=3, help="routing updates of the seed fabric to time")
    parser.add_argument("--threads", type=int, default=1, help="routing threads (default 1: one core)")
    parser.add_argument("--parts", default="kuiper,growth,seed,run", help="which of kuiper,growth,seed,run to run")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    os.environ["NETSIM_ROUTING_THREADS"] = str(args.threads)
    load_core()

    if "kuiper" in parts:
        kuiper(args.quick)
    if "growth" in parts:
        growth()
    if "seed" in parts:
        seed_fabric(args.quick, args.updates)
    if "run" in parts:
        run_fabric(args.quick, args.updates)
    print(f"machine: {os.cpu_count()} cores, routing threads {args.threads}, load average {os.getloadavg()[0]:.1f}")


def kuiper(quick: bool) -> None:
    """34 x 34 at 630 km (the Kuiper shell of Hypatia's studies), 100 stations."""
    duration = 20.0 if quick else 200.0
    states = NetworkStates(scenario_from_dict(shell_scenario(34, 34, 630, 51.9)))
    times = np.arange(0, duration + 1e-9, 0.1)
    wall, cpu = cpu_updates(states, times)
    print(f"kuiper34-updates: {len(times)} updates")
    print(f"kuiper34-total-wall: {wall:.2f} s")
    print(f"kuiper34-total-cpu: {cpu:.2f} s")
    print(f"kuiper34-per-update: {wall / len(times) * 1e3:.2f} ms")



def growth() -> None:
    """One update (after a first, warm-up update) as satellites grow."""
    for planes, per_plane in ((100, 100), (200, 500)):
        states = NetworkStates(scenario_from_dict(shell_scenario(planes, per_plane, 550, 53)))
        states.at(0.0)
        wall, cpu = cpu_updates(states, [0.1])
        print(f"update-{planes * per_plane}-satellites: {wall:.2f} s")
        print(f"update-{planes * per_plane}-satellites-cpu: {cpu:.2f} s")



def seed_fabric(quick: bool, updates: int) -> None:
    """The seed fabric with its inter-tier links (the scaled copy with --quick)."""
    raw = sf.seed_scenario()
    name = "seed-fabric"
    if quick:
        raw, name = sf.scaled(raw, 10_000 / 1_218_000), "seed-fabric-10k"
    start = time.perf_counter()
    states = NetworkStates(scenario_from_dict(raw))
    print(f"{name}-satellites: {states.n_satellites}")
    print(f"{name}-destinations: {len(states.destinations)}")
    print(f"{name}-setup: {time.perf_counter() - start:.2f} s")
    interval = states.scenario.routing.update_interval_s
    for k in range(updates):
        start, cpu = time.perf_counter(), time.process_time()
        snap = states.at(k * interval)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        groups = sum(len(g.links()) for g in states.groups)
        print(f"{name}-update-{k}: {wall:.2f} s ({'first: link groups assigned cold' if k == 0 else 'warm'}, "
              f"{groups} inter-tier links)")
        # CPU seconds of this process: what the update costs when the machine is shared.
        print(f"{name}-update-{k}-cpu: {cpu:.2f} s")
    # Connected: every tier reaches the ground (the first station) through the inter-tier links.
    tiers = states.layout.tier_of[:states.n_satellites]
    satellite_ports = snap.ports[:states.n_satellites]  # rows of the stations follow
    for ti, tier in enumerate(states.scenario.constellation.tiers):
        routed = float(np.mean(satellite_ports[tiers == ti, 0] != NO_ROUTE))
        print(f"{name}-routed-fraction-{tier.name}: {routed:.4f}")
    print(f"{name}-peak-rss: {peak_rss_gb():.2f} GB")

    # 4. One destination's search on this graph: the C++ solver against scipy.
    solver_vs_scipy(states, snap, name)
    # 5. The destinations a run routes, searched in full, bounded by their senders, and
    #    bounded and guided toward them.
    bounded_vs_full(states, snap, name)


def run_fabric(quick: bool, updates: int) -> None:
    """5. Updates of the seed fabric as a run makes them: only toward its traffic's
    endpoints, guided searches (the scaled copy with --quick)."""
    raw, name = sf.seed_scenario(), "seed-fabric"
    if quick:
        raw, name = sf.scaled(raw, 10_000 / 1_218_000), "seed-fabric-10k"
    run_updates(raw, name, updates)


def run_updates(raw: dict, name: str, updates: int) -> None:
    """Wall and CPU seconds of each update as `netsim run` computes it (routed toward the
    flows' endpoints, each search bounded by and guided toward their senders).
    All cores, as a run uses."""
    threads = os.environ.get("NETSIM_ROUTING_THREADS")
    os.environ["NETSIM_ROUTING_THREADS"] = "0"
    states = NetworkStates(scenario_from_dict(raw), routed="traffic")
    interval = 0.1  # the routing interval of topologies/seed-fabric-busy.yaml
    walls = []
    for k in range(updates + 1):
        start, cpu = time.perf_counter(), time.process_time()
        states.at(k * interval)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{name}-run-update-{k}: {wall:.2f} s ({'first: link groups assigned cold' if k == 0 else 'warm'})")
        print(f"{name}-run-update-{k}-cpu: {cpu:.2f} s")
        walls += [wall] if k else []
    print(f"{name}-run-update-warm-median: {np.median(walls):.2f} s ({len(walls)} warm updates, "
          f"{len(states.routed_columns)} of {len(states.destinations)} destination columns routed)")
    os.environ["NETSIM_ROUTING_THREADS"] = threads or "0"


def bounded_vs_full(states, snap, name: str) -> None:
    """CPU seconds per destination of the searches a packet run makes (its flows'
    endpoints), on one thread: each search in full, then each stopped once the
    destination's senders are settled, then stopped there and guided toward them (A*,
    what a run does); and the share of entries the bounded ones settle. Every settled
    entry is checked against the full search."""
    senders = column_senders(states.scenario, states.layout, states.destinations)
    columns = sorted(senders)
    n = states.layout.n_nodes
    graph = route_graph(snap.links, link_weights(snap.links, snap.pos_m, "delay"), n, states.n_satellites)
    dest = states.destinations[columns]
    cpu = time.process_time()
    full = solve(graph, dest, n, threads=1)
    full_cpu = time.process_time() - cpu
    targets = [senders[c] for c in columns]
    cpu = time.process_time()
    bounded = solve(graph, dest, n, targets, threads=1, guided=False)
    bounded_cpu = time.process_time() - cpu
    solved = bounded != UNSOLVED
    assert np.array_equal(bounded[solved], full[solved])
    guided_graph = route_graph(snap.links, link_weights(snap.links, snap.pos_m, "delay"), n, states.n_satellites,
                               snap.pos_m)
    cpu = time.process_time()
    guided = solve(guided_graph, dest, n, targets, threads=1)
    guided_cpu = time.process_time() - cpu
    settled = guided != UNSOLVED
    assert np.array_equal(guided[settled], full[settled])
    print(f"{name}-routed-destinations: {len(columns)}")
    print(f"{name}-full-search-per-destination-cpu: {full_cpu / len(columns):.3f} s")
    print(f"{name}-bounded-search-per-destination-cpu: {bounded_cpu / len(columns):.3f} s")
    print(f"{name}-bounded-settled-share: {solved.mean():.3f}")
    print(f"{name}-bounded-over-full-cpu: {bounded_cpu / full_cpu:.3f}")
    print(f"{name}-guided-search-per-destination-cpu: {guided_cpu / len(columns):.3f} s")
    print(f"{name}-guided-settled-share: {settled.mean():.3f}")
    print(f"{name}-guided-over-full-cpu: {guided_cpu / full_cpu:.3f}")


def solver_vs_scipy(states, snap, name: str, destinations: int = 3) -> None:
    """Seconds per destination of the search alone: each tool runs once with one
    destination and once with `destinations`, and the difference is divided by the extra
    destinations, so building the graph (CSR) is left out of both."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    weights = link_weights(snap.links, snap.pos_m, "delay")
    dest = states.destinations[:destinations]
    n = states.layout.n_nodes

    def ours(d):
        start = time.perf_counter()
        next_hop_ports(snap.links, weights, n, d, n, n_transit=states.n_satellites, threads=1)
        return time.perf_counter() - start

    graph = csr_matrix((weights, (snap.links.node_a, snap.links.node_b)), shape=(n, n))

    def theirs(d):
        start = time.perf_counter()
        dijkstra(graph, directed=False, indices=d)
        return time.perf_counter() - start

    extra = len(dest) - 1
    print(f"{name}-solver-per-destination: {(ours(dest) - ours(dest[:1])) / extra:.3f} s "
          f"(NextHopSolver, one thread: distances and next-hop ports)")
    print(f"{name}-scipy-dijkstra-per-destination: {(theirs(dest) - theirs(dest[:1])) / extra:.3f} s "
          f"(scipy.sparse.csgraph.dijkstra: distances only)")


if __name__ == "__main__":
    main()
