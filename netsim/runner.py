"""One packet-level run: scenario -> orbits -> links -> routing -> ns-3 core -> run folder.

Python decides what exists and when, once per routing interval; the C++ core moves the
packets in between. Each interval [t_i, t_i+1] the runner pushes an ephemeris window
covering it, the link changes and the forwarding-table diff, then lets ns-3 run to t_i+1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netsim import outputs
from netsim.config import Scenario
from netsim.engine.core import Fabric, load_core
from netsim.network_state import NetworkStates
from netsim.paths import PathLog, report_pairs
from netsim.routing import NO_ROUTE, table_diff
from netsim.topology import NO_SATELLITE

# Ground station g has address 10.128.0.0 + g + 1 (a /9 leaves room for 8 M endpoints).
GROUND_ADDRESS_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
FLOW_PORT_BASE = 9000


@dataclass
class RunResult:
    run_dir: Path
    flows: list[dict]
    packets: outputs.PacketRecords
    handovers: int = 0
    drops: dict = field(default_factory=dict)  # packets lost in the core, by cause
    wall_time_s: float = 0.0
    # Path (node indices) of every destination's tree at each update, for analysis/tests.
    next_hops: list[tuple[float, np.ndarray]] = field(default_factory=list)


def ground_address(g: int) -> str:
    return str(ipaddress.IPv4Address(GROUND_ADDRESS_BASE + g + 1))


def run(scenario: Scenario, run_dir: str | Path, *, scenario_file: str | None = None,
        progress: bool = False, keep_next_hops: bool = False) -> RunResult:
    """Simulate the scenario and write the run folder; one call per process."""
    run_dir = Path(run_dir)
    (run_dir / "pcap").mkdir(parents=True, exist_ok=True)
    for stale in ("flows.csv", "rtt.csv", "path_changes.csv"):
        (run_dir / stale).unlink(missing_ok=True)
    manifest = {"scenario": scenario.model_dump(mode="json"), "scenario_file": scenario_file,
                "seed": scenario.seed, "versions": outputs.versions(), "status": "running",
                "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    outputs.write_manifest(run_dir, manifest)
    start = time.perf_counter()
    try:
        result = _simulate(scenario, run_dir, progress, keep_next_hops)
    except BaseException as err:
        manifest.update(status="failed", error=f"{type(err).__name__}: {err}",
                        traceback=traceback.format_exc(), wall_time_s=time.perf_counter() - start)
        outputs.write_manifest(run_dir, manifest)
        raise
    result.wall_time_s = time.perf_counter() - start
    outputs.write_csv(run_dir / "flows.csv", outputs.FLOW_COLUMNS, result.flows)
    manifest.update(status="ok", wall_time_s=round(result.wall_time_s, 3), handovers=result.handovers,
                    flows=len(result.flows), drops=result.drops)
    outputs.write_manifest(run_dir, manifest)
    return result


def _simulate(scenario: Scenario, run_dir: Path, progress: bool, keep_next_hops: bool) -> RunResult:
    ns = load_core()
    ns.RngSeedManager.SetSeed(1)
    ns.RngSeedManager.SetRun(scenario.seed + 1)
    ns.GlobalValue.Bind("ChecksumEnabled", ns.BooleanValue(True))

    states = NetworkStates(scenario)
    lay = states.layout
    n_sat, n_ground = lay.n_satellites, len(states.sites)

    fabric = Fabric(ns, scenario.laser.data_rate_gbps, scenario.laser.queue_packets, states.budget)
    for (tier, shell), base in zip(scenario.shells, lay.shell_offsets):
        fabric.create_nodes(shell.total, lay.ports(base), forwarding=True)
    fabric.create_nodes(n_ground, 1, forwarding=False)
    fabric.helper.SetDestinationCount(max(n_ground, 1))
    for g in range(n_ground):
        fabric.helper.InstallGroundStack(n_sat + g, ns.Ipv4Address(ground_address(g)), g)

    for node_name in scenario.outputs.pcap_nodes:
        node = lay.node_index(node_name)
        for port in range(lay.ports(node)):
            fabric.helper.EnablePcap(str(run_dir / "pcap" / f"{node_name}-port{port}.pcap"),
                                     fabric.port(node, port), False, True)

    recorder = ns.CreateObject[ns.FlowRecorder]()
    flow_helper = ns.CbrFlowHelper(recorder)
    names, ends = [], []
    for i, flow in enumerate(scenario.traffic):
        src, dst = lay.node_index(flow.src), lay.node_index(flow.dst)
        interval_s = flow.packet_bytes * 8 / (flow.rate_mbps * 1e6)
        stop_s = flow.stop_s if flow.stop_s is not None else scenario.duration_s
        flow_helper.Install(fabric.helper.GetNode(src), fabric.helper.GetNode(dst),
                            ns.Ipv4Address(ground_address(dst - n_sat)), FLOW_PORT_BASE + i,
                            flow.packet_bytes, ns.NanoSeconds(round(interval_s * 1e9)),
                            ns.NanoSeconds(round(flow.start_s * 1e9)), ns.NanoSeconds(round(stop_s * 1e9)))
        names.append(flow.name)
        ends.append((flow.src, flow.dst))

    isl = states.isl
    isl_up = np.zeros(len(isl), dtype=bool)
    ground_sat = np.full(n_ground, NO_SATELLITE)
    ground_port = np.full(n_ground, NO_SATELLITE)
    table = np.full((n_sat, max(n_ground, 1)), NO_ROUTE, dtype=np.uint8)
    handovers = 0
    next_hops = []
    path_log = PathLog(states, report_pairs(scenario, "flows"))

    step_ns = round(scenario.routing.update_interval_s * 1e9)
    end_ns = round((scenario.duration_s + scenario.drain_s) * 1e9)
    bar = _progress_bar(scenario.duration_s + scenario.drain_s, progress)
    t_ns = 0
    pos_vel = states.positions(0.0)
    while t_ns < end_ns:
        next_ns = min(t_ns + step_ns, end_ns)
        t_s, next_s = t_ns * 1e-9, next_ns * 1e-9
        snap = states.at(t_s, pos_vel)
        next_pos_vel = states.positions(next_s)
        fabric.set_ephemeris_window(t_s, next_s - t_s, np.stack([snap.pos_m, next_pos_vel[0]]),
                                    np.stack([snap.vel_mps, next_pos_vel[1]]))

        # Inter-satellite links that fell or rose since the last update.
        falling = isl_up & ~snap.isl_up
        rising = snap.isl_up & ~isl_up
        fabric.disconnect(isl.node_a[falling], isl.port_a[falling])
        fabric.connect(isl.node_a[rising], isl.port_a[rising], isl.node_b[rising], isl.port_b[rising])
        isl_up = snap.isl_up

        # Ground links: handovers re-point the station's terminal at its new satellite.
        changed = (snap.ground_satellite != ground_sat) | (snap.ground_port != ground_port)
        handovers += int(np.sum(changed & (ground_sat != NO_SATELLITE)))
        lost = np.flatnonzero(changed & (snap.ground_satellite == NO_SATELLITE))
        fabric.disconnect(lost + n_sat, np.zeros(len(lost)))
        moved = np.flatnonzero(changed & (snap.ground_satellite != NO_SATELLITE))
        fabric.connect(moved + n_sat, np.zeros(len(moved)), snap.ground_satellite[moved], snap.ground_port[moved])
        ground_sat, ground_port = snap.ground_satellite, snap.ground_port

        if n_ground:
            fabric.apply_forwarding(*table_diff(table, snap.ports))
            table = snap.ports
        if keep_next_hops:
            next_hops.append((t_s, snap.links))
        path_log.record(snap)

        ns.Simulator.Stop(ns.NanoSeconds(next_ns - ns.Simulator.Now().GetNanoSeconds()))
        ns.Simulator.Run()
        bar.update(next_s - t_s)
        t_ns, pos_vel = next_ns, next_pos_vel
    bar.close()

    packets = _received_packets(ns, recorder)
    sent = [recorder.GetSent(i) for i in range(len(names))]
    drops = fabric.drop_totals()
    path_log.write(run_dir)
    ns.Simulator.Destroy()  # closes the pcap files
    return RunResult(run_dir, outputs.flow_rows(names, ends, sent, packets), packets,
                     handovers=handovers, drops=drops, next_hops=next_hops)


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
