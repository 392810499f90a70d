"""Combined sizes of a scenario against the limits of its `limits` section (defaults
sized for a 24 GB, 2-core machine): satellites, forwarding-table cells, routing updates,
packets offered, rows of `netsim paths`. Each refusal says the size, the limit and the
key that raises it, before any work starts (README "Limits")."""

from __future__ import annotations

import math

from netsim.errors import ScenarioError
from netsim.scenario.model import Scenario


def _refuse(path, key: str, what: str, size: float, limit: int, name: str) -> None:
    raise ScenarioError(path, key, f"{what}: {size:,.0f}, more than the limit of {limit:,} "
                                   f"(raise limits.{name} if the machine can take it)")


def check_satellites(scenario: Scenario, path) -> None:
    """Before orbits or names are computed: the number of Walker satellites."""
    limit = scenario.limits.max_satellites
    total = scenario.satellite_count
    if total > limit:
        _refuse(path, "constellation", "satellites in the Walker shells", total, limit, "max_satellites")


def check_routing(scenario: Scenario, path, n_satellites: int, satellite_endpoints: int = 0) -> None:
    """Nodes x destinations of the forwarding table."""
    limit = scenario.limits.max_satellites
    if n_satellites > limit:
        _refuse(path, "constellation", "satellites (Walker shells and TLE sets)", n_satellites, limit,
                "max_satellites")
    nodes = n_satellites + len(scenario.ground_stations)
    cells = nodes * max(len(scenario.ground_stations) + satellite_endpoints, 1)
    if cells > scenario.limits.max_routing_entries:
        _refuse(path, "ground_stations", f"forwarding-table cells ({nodes:,} nodes x destinations)", cells,
                scenario.limits.max_routing_entries, "max_routing_entries")


def updates(span_s: float, interval_s: float) -> float:
    return math.floor(span_s / interval_s) + 1 if span_s >= 0 else 0


def check_updates(scenario: Scenario, path, span_s: float | None = None, key: str = "routing.update_interval_s",
                  what: str = "routing updates ((duration_s + drain_s) / update_interval_s)") -> None:
    span = scenario.duration_s + scenario.drain_s if span_s is None else span_s
    n = updates(span, scenario.routing.update_interval_s)
    if n > scenario.limits.max_updates:
        _refuse(path, key, what, n, scenario.limits.max_updates, "max_updates")


def offered_packets(flow, scenario: Scenario) -> float:
    """Packets a flow offers at most (its whole active time at its rate)."""
    stop = flow.stop_s if flow.stop_s is not None else scenario.duration_s
    active = max(stop - flow.start_s, 0.0)
    line_pps = scenario.laser.data_rate_gbps * 1e9 / (8 * 1500)
    if flow.kind in ("udp_cbr", "udp_onoff"):
        return flow.rate_mbps * 1e6 / (8 * flow.packet_bytes) * active
    if flow.kind == "udp_burst":
        return flow.burst_packets * math.ceil(active / flow.period_s)
    if flow.kind == "ping":
        probes = active / flow.interval_s
        return 2 * (min(probes, flow.count) if flow.count else probes)
    # tcp_bulk: data segments and their ACKs, at most the line rate
    segments = min(flow.bytes / flow.segment_bytes if flow.bytes else math.inf,
                   line_pps * 1500 / flow.segment_bytes * active)
    return 2 * segments


def check_traffic(scenario: Scenario, path) -> None:
    """The packets all flows offer together, and the routing updates of the run."""
    check_updates(scenario, path)
    total = workload_packets(scenario)
    if total > scenario.limits.max_packets:
        _refuse(path, "workloads", "packets the workloads offer over the run", total, scenario.limits.max_packets,
                "max_packets")
    for i, flow in enumerate(scenario.traffic):
        total += offered_packets(flow, scenario)
        if total > scenario.limits.max_packets:
            _refuse(path, f"traffic[{i}]", f"packets offered by traffic[0..{i}] over the run", total,
                    scenario.limits.max_packets, "max_packets")


def workload_endpoints(scenario: Scenario) -> int:
    """Satellites that may become endpoints for the workloads (a destination column each):
    every job's satellites and their storage satellites, and per user station the servers
    its placement can choose at one time (routing updates may add more as they move)."""
    w = scenario.workloads
    if w is None:
        return 0
    total = sum(job.satellites * (2 if job.checkpoint is not None else 1) for job in w.training)
    for work in w.inference:
        per_station = {"serving": 1, "nearest_spare": work.candidates,
                       "within_hops": 1 + 2 * work.hops * (work.hops + 1)}[work.placement]
        total += len(work.stations) * per_station
    return total


def workload_packets(scenario: Scenario) -> float:
    """Packets the workloads offer at most: the requests' and responses' segments at the
    arrival rates; per job, its all-reduce (2 (k - 1) G bytes an iteration, at most one
    iteration per compute time) and checkpoints in segments and ACKs, at most every
    stream at the line rate."""
    w = scenario.workloads
    if w is None:
        return 0.0
    total = 0.0
    populations = {g.name: g.population or 0 for g in scenario.ground_stations}
    for work in w.inference:
        active = max((work.stop_s if work.stop_s is not None else scenario.duration_s) - work.start_s, 0.0)
        segments = math.ceil(work.request_bytes / work.segment_bytes) + math.ceil(work.response_bytes /
                                                                                 work.segment_bytes)
        if work.rate_per_s is not None:
            rate = work.rate_per_s * len(work.stations)
        elif work.rate_per_million is not None:
            rate = work.rate_per_million * sum(populations[s] for s in work.stations) / 1e6
        else:
            rate = 0.0  # a trace: its rows were counted as they were read (MAX_TRACE_BYTES)
        total += rate * active * segments
    line_pps = scenario.laser.data_rate_gbps * 1e9 / 8 / 1500
    for job in w.training:
        active = max((job.stop_s if job.stop_s is not None else scenario.duration_s) - job.start_s, 0.0)
        streams = job.satellites * (3 if job.checkpoint is not None else 1)
        by_line = 1.5 * streams * line_pps * active
        tops = next(t.compute_tops for t in scenario.constellation.tiers if t.name == job.tier)
        compute_s = job.compute_s if job.compute_s is not None else job.compute_ops / (tops * 1e12)
        iterations = job.iterations or math.floor(active / compute_s) + 1  # each computes first
        per_iteration = 2 * (job.satellites - 1) * job.gradient_bytes
        if job.checkpoint is not None:
            per_iteration += job.checkpoint.bytes / job.checkpoint.every
        total += min(1.5 * iterations * per_iteration / job.segment_bytes, by_line)
    return total
