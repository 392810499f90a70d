"""One packet-level run: scenario -> orbits -> links -> routing -> ns-3 core -> run folder.

Python decides what exists and when, once per routing interval; the C++ core moves the
packets in between. Each interval [t_i, t_i+1] the runner pushes an ephemeris window
covering it, the link changes and the forwarding table, then lets ns-3 run to t_i+1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
import resource
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netsim.core.fabric import Fabric, load_core
from netsim.errors import NetsimError, interrupt_name
from netsim.files import make_out_dir
from netsim.links.atmosphere import ground_budget
from netsim.links.availability import LINK_COLUMNS, LinkAvailability
from netsim.links.ground_links import GroundLinkSet
from netsim.run import huge_pages, outputs, traffic
from netsim.run.captures import Captures, prepare_folder, writes_captures
from netsim.run.distributed import Ranks, expected_load, launched_size, lookahead_bound_s, unsupported
from netsim.run.folder import clear_outputs, write_failed_manifest
from netsim.run.network_state import HANDOVER_COLUMNS, NetworkStates
from netsim.run.paths import PathLog, report_pairs
from netsim.run.photonics import photonics_summary
from netsim.run.prefetch import ComputeTimes, Prefetch, overlap_enabled
from netsim.scenario.model import Scenario

# Ground station g has address 10.128.0.0 + g + 1 (a /9 leaves room for 8 M endpoints).
GROUND_ADDRESS_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
FLOW_PORT_BASE = 9000
DROP_CAUSES_PER_FLOW = 7  # ns3::DropClassifier::N_CAUSES (outputs.BOOK_CAUSES)


@dataclass
class RunResult:
    run_dir: Path
    flows: list[dict]
    packets: outputs.PacketRecords
    handovers: int = 0
    drops: dict = field(default_factory=dict)  # packets lost in the core, by cause
    # Packets handed to a laser port by a satellite's forwarder, counted in the core: a
    # packet crossing k satellites counts k (manifest `packet_hops`).
    packet_hops: int = 0
    # How routes were computed: overlap, bounded searches, searches completed for packets
    # that met an UNSOLVED entry, per-snapshot compute time (manifest `routing`).
    routing: dict = field(default_factory=dict)
    accounting: list = field(default_factory=list)  # the books (accounting.csv rows)
    problems: list = field(default_factory=list)  # how the books fail to balance (empty: they do)
    wall_time_s: float = 0.0
    # Inference requests, training iterations, storage transfers (netsim.run.workloads).
    workloads: Any = None
    # Path (node indices) of every destination's tree at each update, for analysis/tests.
    next_hops: list[tuple[float, np.ndarray]] = field(default_factory=list)
    # Wall seconds per phase: setup, network_state (orbits, links, routes), packets (ns-3), outputs.
    timing: dict = field(default_factory=dict)
    cpu_timing: dict = field(default_factory=dict)  # CPU seconds of the process, same phases


def ground_address(g: int) -> str:
    return str(ipaddress.IPv4Address(GROUND_ADDRESS_BASE + g + 1))


def run(scenario: Scenario, run_dir: str | Path, *, scenario_file: str | None = None,
        progress: bool = False, keep_next_hops: bool = False) -> RunResult:
    """Simulate the scenario and write the run folder; one call per process. Launched on
    several MPI ranks (mpirun, srun; netsim.run.distributed), each rank runs its share and
    rank 0 writes the folder."""
    if launched_size() > 1 and unsupported(scenario):
        raise NetsimError(f"{unsupported(scenario)}: not available in a distributed run yet (docs/distributed.md); "
                          "run it on one rank")
    ranks = Ranks.start()
    try:
        if ranks.rank > 0:
            return _run_other_rank(scenario, Path(run_dir), ranks, progress, keep_next_hops)
        result = _run(scenario, run_dir, ranks, scenario_file, progress, keep_next_hops)
    except BaseException:
        ranks.abort()  # the other ranks would wait for this one forever
        raise
    ranks.finish()
    return result


def _run_other_rank(scenario: Scenario, run_dir: Path, ranks: Ranks, progress: bool,
                    keep_next_hops: bool) -> RunResult:
    """A rank > 0: rank 0 prepares and writes the run folder; this one adds the captures
    of the ports it owns and keeps its copies of the tables in a scratch folder."""
    ranks.comm.Barrier()  # the folder is ready
    scratch = Path(tempfile.mkdtemp(prefix=f"netsim-rank{ranks.rank}-"))
    try:
        (scratch / "pcap").mkdir()
        result = _simulate(scenario, scratch, False, keep_next_hops, {}, ranks, capture_dir=run_dir / "pcap")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ranks.finish()
    return result


def _run(scenario: Scenario, run_dir, ranks: Ranks, scenario_file, progress: bool, keep_next_hops: bool) -> RunResult:
    run_dir = make_out_dir(run_dir)
    clear_outputs(run_dir)  # an earlier run's tables, analysis/, view.html, captures (netsim.run.folder)
    prepare_folder(run_dir)  # pcap/: a real folder
    # pid + host: `netsim analyze` tells a live run from a killed one.
    manifest = {"scenario": scenario.model_dump(mode="json"), "scenario_file": scenario_file,
                "seed": scenario.seed, "versions": outputs.versions(), "status": "running",
                "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "pid": os.getpid(), "host": socket.gethostname(), "job": _scheduler_job(),
                "huge_pages": huge_pages.in_use()}
    outputs.write_manifest(run_dir, manifest)
    if ranks.distributed:
        ranks.comm.Barrier()  # the others may write their captures now
    start = time.perf_counter()
    try:
        result = _simulate(scenario, run_dir, progress, keep_next_hops, manifest, ranks)
    except BaseException as err:
        # SIGINT/SIGTERM/SIGHUP: "interrupted: SIGTERM" (a sweep reruns interrupted runs)
        cause = f"interrupted: {interrupt_name(err)}" if isinstance(err, KeyboardInterrupt) else f"{type(err).__name__}: {err}"
        manifest.update(status="failed", error=cause, traceback=traceback.format_exc(),
                        wall_time_s=time.perf_counter() - start)
        write_failed_manifest(run_dir, manifest)  # also on a full disk
        raise
    result.wall_time_s = time.perf_counter() - start
    outputs.write_csv(run_dir / "flows.csv", outputs.FLOW_COLUMNS, result.flows)
    outputs.write_csv(run_dir / "accounting.csv", outputs.ACCOUNTING_COLUMNS, result.accounting)
    if result.workloads is not None:
        manifest["workloads"] = result.workloads.summary
    manifest.update(status="ok", wall_time_s=round(result.wall_time_s, 3), handovers=result.handovers,
                    flows=len(result.flows), drops=result.drops, packet_hops=result.packet_hops,
                    routing=result.routing,
                    accounting={"balanced": not result.problems, "problems": result.problems},
                    timing={k: round(v, 3) for k, v in result.timing.items()},
                    cpu_timing={k: round(v, 3) for k, v in result.cpu_timing.items()},
                    peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    outputs.write_manifest(run_dir, manifest)
    return result


def _simulate(scenario: Scenario, run_dir: Path, progress: bool, keep_next_hops: bool,
              manifest: dict, ranks: Ranks, capture_dir: Path | None = None) -> RunResult:
    clock = _PhaseClock()
    ns = load_core()
    # Same event order as ns-3's default map scheduler ((time, uid) keys), faster
    # (docs/scaling.md, "An event queue that knows what comes next"). Set on the simulator itself: on several ranks
    # MPI made ns-3's distributed simulator (with the map scheduler) before this point.
    ns.Simulator.SetScheduler(ns.ObjectFactory("ns3::TimeWindowScheduler"))
    # ns-3 records every Time made before the first Simulator::Run in a std::set (so that a
    # later SetResolution can convert it): building a million-satellite fabric made tens of
    # millions of entries, a third of the first update's time. A Run with nothing
    # scheduled (every rank makes it) ends the recording.
    ns.Simulator.Run()
    ns.RngSeedManager.SetSeed(1)
    ns.RngSeedManager.SetRun(scenario.seed + 1)
    # IPv4, UDP and TCP checksums are computed (and verified) only when a capture shows them:
    # a bit error is a loss before delivery, so no endpoint ever meets a bad one, and the
    # UDP checksum over each payload was ~7 % of a 10 k-satellite run's packets phase.
    ns.GlobalValue.Bind("ChecksumEnabled", ns.BooleanValue(writes_captures(scenario)))
    # The fabric is one IP hop; its own loop guard is a hop limit (FabricHopTag).
    ns.Config.SetDefault("ns3::SatelliteForwarder::MaxHops", ns.UintegerValue(scenario.routing.max_hops))

    states = NetworkStates(scenario, routed="traffic")  # only toward where packets go
    lay = states.layout
    n_sat, n_ground = lay.n_satellites, len(states.sites)

    fabric = Fabric(ns, scenario.laser.data_rate_gbps, scenario.laser.queue_packets, states.budget,
                    channels=scenario.laser.channels)
    # A distributed run balances its ranks by the packets the first snapshot's routes
    # would carry; that snapshot is then the first interval's (it depends on nothing after).
    first_snap = [states.at(0.0, states.positions(0.0))] if ranks.distributed else []
    ranks.partition(lay, expected_load(scenario, lay, first_snap[0], states.destinations) if first_snap else None)
    if ranks.distributed:
        fabric.build_only_rank(ranks.rank)
        ranks.attach_receivers(fabric)
    for block in lay.blocks:
        for start, count, owner in ranks.segments(block.start, block.count):
            fabric.create_nodes(count, lay.ports(start), relay=True, rank=owner)
    for g in range(n_ground):  # stations are ends: they pick their uplink, never relay
        fabric.create_nodes(1, lay.ports(n_sat + g), relay=False, rank=int(ranks.owner[n_sat + g]))
    if states.budget is not None:
        _apply_tracking_jitter(fabric, lay, scenario, states.budget)
    if scenario.ground_links.kind == "rf":
        _use_rf_ground_segment(fabric, lay, scenario.ground_links.rf_data_rate_gbps)
    elif states.budget is not None and scenario.ground_links.atmosphere.model != "vacuum":
        _use_atmosphere(fabric, lay, scenario, states.budget)
    if states.clouds is not None:
        for g in range(n_ground):
            for port in range(lay.ports(n_sat + g)):
                iv = states.clouds.intervals.get((g, port), np.zeros((0, 2)))
                fabric.set_blocked(n_sat + g, port, iv[:, 0], iv[:, 1])
    manifest["photonics"] = photonics_summary(scenario, states)
    fabric.helper.SetDestinationCount(max(len(states.destinations), 1))
    for g in range(n_ground):
        fabric.helper.InstallEndpointStack(n_sat + g, ns.Ipv4Address(ground_address(g)), g)
    # Endpoint names and addresses (destination column c: 10.128.0.0 + c + 1), for analysis.
    all_names = list(lay.satellite_names) + list(lay.ground_names)
    manifest["endpoints"] = [{"name": all_names[int(node)], "node_index": int(node),
                              "address": traffic.endpoint_address(c)} for c, node in enumerate(states.destinations)]
    outputs.write_manifest(run_dir, manifest)

    captures = Captures(fabric, scenario, states, capture_dir or run_dir / "pcap", ranks)
    for node_name in scenario.outputs.pcap_nodes:
        node = lay.node_index(node_name)
        for port in range(lay.ports(node)):
            captures.enable(node, port)

    traffic_run = traffic.install(ns, fabric, states, scenario, run_dir, captures, ranks)  # flows, tracing
    names, ends = traffic_run.names, traffic_run.ends
    work = None  # the compute fabric's workloads (docs/workloads.md), their flows after the traffic's
    if scenario.workloads is not None and (scenario.workloads.inference or scenario.workloads.training):
        from netsim.run.workloads import WorkloadRun

        work = WorkloadRun(ns, fabric, states, scenario, run_dir, first_flow=len(names))
        work.install()

    background = None  # fluid background load beside the packets (docs/workloads.md)
    if scenario.background is not None:
        from netsim.run.background import BackgroundLoad

        background = BackgroundLoad(scenario, states)

    isl = states.isl
    isl_up = np.zeros(len(isl), dtype=bool)
    ground = GroundLinkSet.empty()
    handovers = 0
    next_hops = []
    path_log = PathLog(states, report_pairs(scenario, "flows"))
    handover_rows: list[dict] = []
    availability = LinkAvailability(len(isl))
    # The books: every packet a flow's endpoints send into the fabric, deliver out of it,
    # lose on the way (by cause) or still hold at the end (docs/traffic.md, "The books").
    losses = ns.CreateObject[ns.DropClassifier]()
    losses.Setup(FLOW_PORT_BASE, len(names) + (len(work.flows) if work else 0))
    fabric.helper.WatchDrops(losses)  # every forwarder and port, also ports created later
    for j, i in enumerate(traffic_run.ping_index):
        losses.AddPing(i, traffic_run.recorder.GetPingSignature(j))
    for node in states.destinations.tolist():
        losses.WatchEndpoint(fabric.helper.GetForwarder(int(node)))
    if work:
        work.attach(losses)  # per-request losses; servers added later are watched as they come

    step_ns = round(scenario.routing.update_interval_s * 1e9)
    end_ns = round((scenario.duration_s + scenario.drain_s) * 1e9)
    bar = _progress_bar(scenario.duration_s + scenario.drain_s, progress)
    t_ns = 0
    clock.lap("setup")

    snapshot_times, allocation_times = ComputeTimes(), ComputeTimes()

    def snapshot(t_s: float, pos_vel, next_s: float):
        """The network at t_s, the positions at the next update and the background's
        allocation over the network for [t_s, next_s) (netsim.run.prefetch)."""
        snap, next_pos_vel = snapshot_times.timed(lambda: (
            first_snap.pop() if t_s == 0 and first_snap else states.at(t_s, pos_vel), states.positions(next_s)))
        allocated = allocation_times.timed(background.allocate, snap, next_s) if background is not None else None
        return snap, next_pos_vel, allocated

    overlap = overlap_enabled()
    pending = None
    pos_vel = states.positions(0.0)
    while t_ns < end_ns:
        next_ns = min(t_ns + step_ns, end_ns)
        t_s, next_s = t_ns * 1e-9, next_ns * 1e-9
        if pending is None:
            snap, next_pos_vel, allocated = snapshot(t_s, pos_vel, next_s)
        else:
            snap, next_pos_vel, allocated = pending.result()
            pending = None
        fabric.set_ephemeris_window(t_s, next_s - t_s, np.stack([snap.pos_m, next_pos_vel[0]]),
                                    np.stack([snap.vel_mps, next_pos_vel[1]]))

        # Inter-satellite links that fell or rose since the last update; a link that
        # comes back acquires again (dark) before it carries packets.
        falling = isl_up & ~snap.isl_up
        rising = snap.isl_up & ~isl_up
        fabric.disconnect(isl.node_a[falling], isl.port_a[falling])
        fabric.connect_acquiring(isl.node_a[rising], isl.port_a[rising], isl.node_b[rising], isl.port_b[rising],
                                 np.zeros(int(rising.sum())), np.zeros(int(rising.sum())), snap.isl_dark_s[rising])
        isl_up = snap.isl_up

        # Ground links: a handover re-points a station terminal at its new satellite,
        # which slews and acquires before the link carries packets.
        gone = ~np.isin(ground.keys(), snap.ground.keys())
        new = np.flatnonzero(~np.isin(snap.ground.keys(), ground.keys()))
        if scenario.ground_links.mode == "assigned":
            handovers += int(gone.sum())
        fabric.disconnect(ground.station[gone] + n_sat, ground.station_port[gone])
        added = snap.ground.links(n_sat, new)
        fabric.connect_acquiring(added.node_a, added.port_a, added.node_b, added.port_b, snap.ground_slew_s[new],
                                 snap.ground_slew_s[new], snap.ground_acquisition_s[new])
        ground = snap.ground
        handover_rows.extend(snap.handovers)

        # Assigned links (nearest ISLs, inter-tier): break, then acquire the new ones.
        for change in snap.group_changes:
            fabric.disconnect(change.removed.node_a, change.removed.port_a)
            fabric.connect_acquiring(change.added.node_a, change.added.port_a, change.added.node_b,
                                     change.added.port_b, change.slew_a_s, change.slew_b_s, change.acquisition_s)
        on_ground = snap.ground.links(n_sat)
        others = list(zip(["ground"] * len(on_ground), on_ground.node_a.tolist(), on_ground.port_a.tolist(),
                          on_ground.node_b.tolist(), on_ground.port_b.tolist(), snap.ground_ready_s.tolist()))
        up = [(isl.node_a[isl_up], isl.node_b[isl_up]), (on_ground.node_a, on_ground.node_b)]  # every link up
        for group in states.groups:
            for links, ready in ((group.links(), group.ready_s),
                                 (group.draining_links(), np.zeros(len(group.draining[0])))):
                others += zip([group.kind] * len(links), links.node_a.tolist(), links.port_a.tolist(),
                              links.node_b.tolist(), links.port_b.tolist(), ready.tolist())
                up.append((links.node_a, links.node_b))
        availability.add_interval(t_s, next_s, isl_up, states.isl_ready_s, others)
        if ranks.distributed:
            ranks.bound_lookahead(lookahead_bound_s(snap.pos_m, next_pos_vel[0], np.concatenate([a for a, _ in up]),
                                                    np.concatenate([b for _, b in up]), next_s - t_s))

        if work:
            work.update(snap)  # candidate servers; new ones become endpoints with routes in snap.ports
        fabric.set_forwarding(snap.ports, snap.graph if states.column_senders is not None else None,
                              states.destinations)
        if keep_next_hops:
            next_hops.append((t_s, snap.links))
        path_log.record(snap)

        if overlap and next_ns < end_ns:
            # Everything above has read this snapshot's state; the next one may change it.
            pending = Prefetch(snapshot, next_s, next_pos_vel,
                               min(next_ns + step_ns, end_ns) * 1e-9)
        clock.lap("network_state")
        if background is not None:
            background.apply(allocated, fabric)
            clock.lap("background")
        ns.Simulator.Stop(ns.NanoSeconds(next_ns - ns.Simulator.Now().GetNanoSeconds()))
        ns.Simulator.Run()
        captures.check()  # a failed write (disk full) fails the run here, not with an abort
        clock.lap("packets")
        bar.update(next_s - t_s)
        t_ns, pos_vel = next_ns, next_pos_vel
    bar.close()

    captures.close()
    books = _books(ns, fabric, losses, ranks)
    found = traffic_run.collect(books, losses)
    totals = fabric.drop_totals()
    drops = dict(zip(totals, ranks.sum(np.array(list(totals.values()), np.int64)).tolist()))
    packet_hops = ranks.total(int(fabric.helper.GetPacketHops()))
    routing = {"overlap": overlap, "bounded": states.column_senders is not None,
               "completed_searches": ranks.total(int(fabric.helper.GetForwardingTable().GetResolveCount())),
               "snapshots": snapshot_times.summary()}
    if ranks.distributed:
        manifest["ranks"] = _rank_summary(ranks, clock, packet_hops=int(fabric.helper.GetPacketHops()),
                                          laser_devices=int(fabric.helper.GetNCreatedPorts()),
                                          snapshots=snapshot_times.summary())
    path_log.write(run_dir)
    if background is not None:
        manifest["background"] = background.write(run_dir) | {"allocations": allocation_times.summary()}
    outputs.write_csv(run_dir / "handovers.csv", HANDOVER_COLUMNS, handover_rows)
    outputs.write_csv(run_dir / "links.csv", LINK_COLUMNS,
                      availability.rows(isl, all_names, scenario.duration_s + scenario.drain_s))
    flow_list = [(name, kind, src, dst) for name, kind, (src, dst) in zip(names, traffic_run.kinds, ends)]
    work_results = None
    if work:
        work_results = work.collect(books)
        flow_list += work.flows
        manifest["endpoints"] = [{"name": all_names[int(node)], "node_index": int(node),
                                  "address": traffic.endpoint_address(c)} for c, node in enumerate(states.destinations)]
    flows = outputs.flow_rows(flow_list, books, found.udp, found.tcp, found.ping)
    books_rows, problems = outputs.accounting(flow_list, books, drops, found.udp, found.probes)
    if work_results is not None:
        problems += work_results.problems
    packets = found.packets
    ns.Simulator.Destroy()
    clock.lap("outputs")
    return RunResult(run_dir, flows, packets, handovers=handovers, drops=drops, packet_hops=packet_hops,
                     routing=routing,
                     next_hops=next_hops, timing=clock.seconds, cpu_timing=clock.cpu_seconds,
                     accounting=books_rows, problems=problems, workloads=work_results)


def _scheduler_job() -> dict:
    """Under a batch scheduler, the job that runs this (a sweep on SLURM or PBS records
    which job ran each point); empty otherwise."""
    return {key: os.environ[variable] for key, variable in (("slurm_job_id", "SLURM_JOB_ID"),
                                                            ("pbs_job_id", "PBS_JOBID")) if os.environ.get(variable)}


class _PhaseClock:
    """Wall seconds (manifest `timing`) and CPU seconds of this process (`cpu_timing`)
    spent per phase of a run; CPU time is what a phase costs on a machine shared with
    other jobs."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def lap(self, phase: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self.cpu_seconds[phase] = self.cpu_seconds.get(phase, 0.0) + cpu - self._last_cpu
        self._last, self._last_cpu = now, cpu


def _apply_tracking_jitter(fabric, lay, scenario: Scenario, budget) -> None:
    """Terminal groups with their own tracking jitter get their own optical model."""
    for ti, tier in enumerate(scenario.constellation.tiers):
        sats = _node_range(np.flatnonzero(lay.tier_of == ti))
        for role in ("isl", "up", "down"):
            jitter = getattr(tier.terminals, role).tracking_jitter_urad
            first, count = getattr(lay.plans[ti], role)
            if jitter is not None:
                fabric.set_port_physics(sats, range(first, first + count), scenario.laser.data_rate_gbps,
                                        dataclasses.replace(budget, pointing_jitter_rad=jitter * 1e-6),
                                        scenario.laser.channels)


def _use_atmosphere(fabric, lay, scenario: Scenario, budget) -> None:
    """Optical ground links cross the atmosphere: the stations' terminals and the
    satellites' ground terminals get the budget with extinction and turbulence."""
    ground = ground_budget(budget, scenario.ground_links.atmosphere)
    rate, channels = scenario.laser.data_rate_gbps, scenario.laser.channels
    fabric.set_port_physics(range(lay.n_satellites, lay.n_nodes), range(max(lay.station_ports, default=1)), rate,
                            ground, channels)
    serving = np.flatnonzero(lay.serving)
    for sat_tier in np.unique(lay.tier_of[serving]):
        first, count = lay.plans[sat_tier].ground
        fabric.set_port_physics(_node_range(serving[lay.tier_of[serving] == sat_tier]), range(first, first + count),
                                rate, ground, channels)


def _use_rf_ground_segment(fabric, lay, rate_gbps: float) -> None:
    """RF ground links: the stations' terminals and the satellites' ground terminals
    become ideal links at the RF rate (no optical budget, no atmosphere model)."""
    fabric.set_port_physics(range(lay.n_satellites, lay.n_nodes), range(max(lay.station_ports, default=1)), rate_gbps)
    serving = np.flatnonzero(lay.serving)
    for sat_tier in np.unique(lay.tier_of[serving]):
        first, count = lay.plans[sat_tier].ground
        fabric.set_port_physics(_node_range(serving[lay.tier_of[serving] == sat_tier]),
                                range(first, first + count), rate_gbps)


def _node_range(nodes: np.ndarray) -> range:
    """A tier's satellites as the contiguous node range they are (satellites are numbered
    tier by tier, shell by shell)."""
    if not len(nodes):
        return range(0)
    assert nodes[-1] - nodes[0] + 1 == len(nodes), "a tier's satellites are contiguous"
    return range(int(nodes[0]), int(nodes[-1]) + 1)


def _books(ns, fabric, ledger, ranks: Ranks) -> outputs.Books:
    """Read the ledger after counting what is still in queues and on channels (summed
    over ranks: each counts what happened at its own nodes)."""
    queued, on_channels = np.zeros(1, np.uint64), np.zeros(1, np.uint64)
    fabric.helper.CountInFlight(ledger, queued, on_channels)
    rows = int(ledger.GetNRows())
    lost = np.zeros((rows, DROP_CAUSES_PER_FLOW), dtype=np.uint64)
    ledger.CopyCounts(lost)
    sent, received, in_flight = (np.zeros(rows, np.uint64) for _ in range(3))
    ledger.CopyBooks(sent, received, in_flight)
    sent, received, lost, in_flight, queued, on_channels = (ranks.sum(a) for a in (
        sent, received, lost, in_flight, queued, on_channels))
    return outputs.Books(sent.astype(np.int64), received.astype(np.int64), lost.astype(np.int64),
                         in_flight.astype(np.int64), int(queued[0]), int(on_channels[0]))


def _rank_summary(ranks: Ranks, clock, packet_hops: int, laser_devices: int, snapshots: dict) -> dict:
    """Manifest `ranks`: the partition, the lookahead and each rank's share and time
    (every rank computes every snapshot: `snapshot_cpu_s`; `laser_devices`: its nodes'
    terminals in use plus the far ends of links reaching them)."""
    mine = {"rank": ranks.rank, "nodes": int((ranks.owner == ranks.rank).sum()), "laser_devices": laser_devices,
            "packet_hops": packet_hops,
            "timing": {k: round(v, 3) for k, v in clock.seconds.items()},
            "snapshot_cpu_s": snapshots["thread_cpu_s"],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    return {"size": ranks.size, "partition": "orbital-plane blocks per shell; stations round-robin",
            "lookahead_s": ranks.lookahead_s if np.isfinite(ranks.lookahead_s) else None, "per_rank": ranks.gather(mine)}


def _received_packets(ns, recorder) -> outputs.PacketRecords:
    n = int(recorder.GetNReceived())
    arrays = [np.zeros(max(n, 1), dtype=t) for t in (np.uint32, np.uint32, np.int64, np.int64, np.uint32)]
    if n:
        recorder.CopyReceived(*arrays)
    return outputs.PacketRecords(*(a[:n] for a in arrays))


def _progress_bar(total_s: float, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total_s, unit="sim s", disable=not enabled, leave=False,
                bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} sim s [{elapsed}<{remaining}]")
