"""Traffic and tracing of a run: endpoints, pcap selection, per-link statistics and
ns-3 flow monitor (docs/traffic.md). The flows were expanded and checked when the
scenario was loaded (netsim.scenario.traffic).

Run time (`install` ... `TrafficRun.collect`, called by netsim.run.runner): satellite
endpoints get an IP stack (a VirtualNetDevice that sends through the satellite's
forwarder), flows are installed with ns3::TrafficHelper, pcap/link/flow-monitor
tracing is set up; at the end the tables are written to the run folder.

Destination columns: ground stations first (column g = ground station g), then the
satellites that are endpoints of some flow, in node order (`endpoint_nodes`). Column c
has the IPv4 address 10.128.0.0 + c + 1.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netsim.errors import ScenarioError
from netsim.files import new_path
from netsim.run import outputs
from netsim.scenario.model import TCP_CONGESTION_CONTROLS, Scenario
from netsim.scenario.traffic import FLOW_PORT_BASE

ADDRESS_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
UDP_KINDS = ("udp_cbr", "udp_onoff", "udp_burst")
# LaserNetDevice::DropCause, in enum order.
DEVICE_DROP_CAUSES = ("bit_errors", "link_down", "queue_full", "handover")
OUTPUT_FILES = ("tcp.csv", "ping.csv", "ping_probes.csv", "link_traffic.csv", "flowmon.xml", "flowmon.csv")


def endpoint_address(column: int) -> str:
    """IPv4 address of destination column `column` (ground stations first)."""
    return str(ipaddress.IPv4Address(ADDRESS_BASE + column + 1))


def endpoint_nodes(scenario: Scenario, layout) -> np.ndarray:
    """Node indices in destination-column order: every ground station, then each
    satellite that is an endpoint of some flow (in node order)."""
    n_sat = layout.n_satellites
    ground = np.arange(n_sat, layout.n_nodes)
    sats = sorted({layout.node_index(end) for flow in scenario.traffic for end in (flow.src, flow.dst)
                   if layout.node_index(end) < n_sat})
    return np.concatenate([ground, np.asarray(sats, dtype=ground.dtype)]).astype(np.int64)


def port_kinds(layout, node: int) -> list[str]:
    """'isl', 'inter_tier' or 'ground' for each laser port of a node (PortPlan order)."""
    if node >= layout.n_satellites:
        return ["ground"] * layout.ports(node)
    plan = layout.plan(node)
    return ["isl"] * plan.isl[1] + ["inter_tier"] * (plan.up[1] + plan.down[1]) + ["ground"] * plan.ground[1]


def pcap_ports(scenario: Scenario, layout) -> list[tuple[str, int, int]]:
    """(node name, node, port) of every laser port the outputs.pcap selectors pick."""
    names = list(layout.satellite_names) + list(layout.ground_names)
    tier_of = np.concatenate([np.full(shell.total, i) for i, (_, shell) in enumerate(scenario.shells)]) \
        if scenario.shells else np.zeros(0, dtype=int)
    shell_tiers = [tier for tier, _ in scenario.shells]
    picked: dict[tuple[int, int], None] = {}
    for sel in scenario.outputs.pcap:
        nodes = [layout.node_index(n) for n in sel.nodes]
        for tier in sel.tiers:
            nodes += [int(i) for i in np.flatnonzero([shell_tiers[s] == tier for s in tier_of])]
        if sel.ground_stations is True:
            nodes += list(range(layout.n_satellites, layout.n_nodes))
        elif isinstance(sel.ground_stations, list):
            nodes += [layout.node_index(n) for n in sel.ground_stations]
        for node in sorted(set(nodes)):
            for port, kind in enumerate(port_kinds(layout, node)):
                if sel.link in ("all", kind):
                    picked.setdefault((node, port))
    return [(names[n], n, p) for n, p in sorted(picked)]


@dataclass
class Collected:
    """What TrafficRun.collect found, per kind, keyed by traffic index."""

    packets: outputs.PacketRecords
    udp: dict = field(default_factory=dict)     # i -> (packets the application sent, delays ms)
    tcp: dict = field(default_factory=dict)     # i -> tcp.csv row
    ping: dict = field(default_factory=dict)    # i -> ping.csv row
    probes: dict = field(default_factory=dict)  # i -> echo requests the Ping sent


@dataclass
class TrafficRun:
    """What `install` set up; `collect` reads it out at the end of the run."""

    ns: Any
    fabric: Any
    scenario: Scenario
    layout: Any
    run_dir: Path
    recorder: Any
    helper: Any
    columns: dict[str, int]  # endpoint name -> destination column
    ranks: Any  # netsim.run.distributed.Ranks: merges what each rank recorded
    names: list = field(default_factory=list)  # every flow, in traffic order (flow i: port 9000 + i)
    ends: list = field(default_factory=list)
    udp_index: list = field(default_factory=list)  # traffic index of each UDP recorder flow
    udp: list = field(default_factory=list)  # flow models, in recorder order per kind
    tcp: list = field(default_factory=list)
    ping: list = field(default_factory=list)
    tcp_index: list = field(default_factory=list)  # traffic index of each TCP / ping recorder flow
    ping_index: list = field(default_factory=list)
    kinds: list = field(default_factory=list)  # kind of every flow, traffic order
    monitor_helper: Any = None
    monitor: Any = None
    keep: list = field(default_factory=list)  # objects Python must keep alive

    def collect(self, books: outputs.Books, ledger) -> "Collected":
        """Write tcp.csv, ping.csv, ping_probes.csv, link_traffic.csv, flowmon.*; return
        what flows.csv needs per kind (keyed by traffic index). `ledger` is the run's
        ns3::DropClassifier (the ping replies it saw), `books` its counts. Call before
        Simulator::Destroy."""
        packets = self._udp_packets()
        out = Collected(packets=packets)
        delay_ms = packets.delay_s * 1e3
        sent = self.ranks.sum(np.array([self.recorder.GetUdpSent(j) for j in range(len(self.udp_index))], np.int64))
        for j, i in enumerate(self.udp_index):
            out.udp[i] = (int(sent[j]), delay_ms[packets.flow == i])
        if self.tcp:
            rows = self._tcp_rows()
            outputs.write_csv(self.run_dir / "tcp.csv", outputs.TCP_COLUMNS, rows)
            out.tcp = dict(zip(self.tcp_index, rows))
        if self.ping:
            summary, probes = self._ping_rows(ledger)
            outputs.write_csv(self.run_dir / "ping.csv", outputs.PING_COLUMNS, summary)
            outputs.write_csv(self.run_dir / "ping_probes.csv", outputs.PING_PROBE_COLUMNS, probes)
            self.recorder.DisposePings()
            out.ping = dict(zip(self.ping_index, summary))
            out.probes = {i: row["probes_sent"] for i, row in out.ping.items()}
        if self.scenario.outputs.link_stats:
            outputs.write_csv(self.run_dir / "link_traffic.csv", outputs.LINK_TRAFFIC_COLUMNS, self._link_rows())
        if self.monitor is not None:
            self.monitor.CheckForLostPackets()
            xml = self.run_dir / "flowmon.xml"
            with new_path(xml) as tmp:  # ns-3 writes a fresh file of ours, renamed into place
                self.monitor.SerializeToXmlFile(str(tmp), False, False)
            outputs.write_csv(self.run_dir / "flowmon.csv", outputs.FLOWMON_COLUMNS,
                              flowmon_rows(xml, self.columns, books, len(self.names)))
        return out

    def _udp_packets(self) -> outputs.PacketRecords:
        n = int(self.recorder.GetNUdpReceived())
        arrays = [np.zeros(max(n, 1), dtype=t) for t in (np.uint32, np.uint32, np.int64, np.int64, np.uint32)]
        if n:
            self.recorder.CopyUdpReceived(*arrays)
        arrays = self.ranks.records([a[:n] for a in arrays], order_by=3)  # each at its receiver's rank
        n = len(arrays[0])
        arrays[0][:n] = np.asarray(self.udp_index, dtype=np.uint32)[arrays[0][:n]] if n else arrays[0][:n]
        return outputs.PacketRecords(*(a[:n] for a in arrays))

    def _tcp_rows(self) -> list[dict]:
        n = len(self.tcp)
        sent, received = np.zeros(n, np.uint64), np.zeros(n, np.uint64)
        connected, first, last = (np.zeros(n, np.int64) for _ in range(3))
        self.recorder.CopyTcp(sent, received, connected, first, last)
        retx, samples = np.zeros(n, np.uint64), np.zeros(n, np.uint64)
        rtt_sum, rtt_min, rtt_max = (np.zeros(n, np.int64) for _ in range(3))
        self.recorder.CopyTcpStats(retx, samples, rtt_sum, rtt_min, rtt_max)
        # The source's rank has the bytes sent, connection and RTTs; the sink's the arrivals.
        sent, received, retx, samples, rtt_sum = (self.ranks.sum(a) for a in (sent, received, retx, samples, rtt_sum))
        connected, first, last, rtt_max = (self.ranks.reduce(a, "max") for a in (connected, first, last, rtt_max))
        rtt_min = self.ranks.reduce(np.where(rtt_min > 0, rtt_min, np.iinfo(np.int64).max), "min")
        rows = []
        for i, f in enumerate(self.tcp):
            got = int(received[i])
            span = (last[i] - first[i]) * 1e-9 if got and last[i] > first[i] else None
            done = f.bytes > 0 and got >= f.bytes
            k = int(samples[i])
            # Missing values stay empty: no connection, not completed, fewer than two
            # arrivals (no goodput span), no RTT sample.
            rows.append(dict(zip(outputs.TCP_COLUMNS, [
                f.name, f.src, f.dst, f.congestion_control, f.bytes, int(sent[i]), got,
                bool(done), (connected[i] * 1e-9 if connected[i] >= 0 else None),
                (last[i] * 1e-9 - f.start_s) if done else None,
                got * 8 / span / 1e6 if span else None, int(retx[i]),
                rtt_sum[i] / k * 1e-6 if k else None, rtt_min[i] * 1e-6 if k else None,
                rtt_max[i] * 1e-6 if k else None])))
        return rows

    def _ping_rows(self, ledger) -> tuple[list[dict], list[dict]]:
        """A probe is answered when its echo reply reached the pinging node before the run
        ended (drain included), whether or not ns-3's Ping still listened: it closes its
        socket at stop_s, and a reply on its way then is not a lost probe."""
        n_tx, n_rx = int(self.recorder.GetNPingSent()), int(ledger.GetNPingReplies())
        tx = [np.zeros(max(n_tx, 1), t) for t in (np.uint32, np.uint32, np.int64)]
        rx = [np.zeros(max(n_rx, 1), t) for t in (np.uint32, np.uint32, np.int64)]
        if n_tx:
            self.recorder.CopyPingSent(*tx)
        if n_rx:
            ledger.CopyPingReplies(*rx)
        tx = self.ranks.records([a[:n_tx] for a in tx], order_by=2)  # at the pinging node's rank
        rx = self.ranks.records([a[:n_rx] for a in rx], order_by=2)
        n_tx, n_rx = len(tx[0]), len(rx[0])
        replied: dict[tuple[int, int], int] = {}
        for f, s, t in zip(rx[0][:n_rx].tolist(), rx[1][:n_rx].tolist(), rx[2][:n_rx].tolist()):
            replied.setdefault((f, s), t)  # the first reply of a probe
        probes, summary = [], []
        for j, s, t in zip(tx[0][:n_tx].tolist(), tx[1][:n_tx].tolist(), tx[2][:n_tx].tolist()):
            flow = self.ping[j]
            r = replied.get((self.ping_index[j], s))
            probes.append(dict(zip(outputs.PING_PROBE_COLUMNS, [flow.name, flow.src, flow.dst, s, t * 1e-9,
                                                                 r is not None, (r - t) * 1e-6 if r is not None else None])))
        for flow in self.ping:
            ms = np.array([p["rtt_ms"] for p in probes if p["flow"] == flow.name and p["replied"]])
            sent = sum(1 for p in probes if p["flow"] == flow.name)
            stats = ([float(ms.mean()), float(ms.min()), *map(float, np.percentile(ms, [50, 99])), float(ms.max())]
                     if len(ms) else [None] * 5)
            summary.append(dict(zip(outputs.PING_COLUMNS, [flow.name, flow.src, flow.dst, sent, len(ms),
                                                           (sent - len(ms)) / sent if sent else None, *stats])))
        return summary, probes

    def _link_rows(self) -> list[dict]:
        """Ports that sent or lost at least one frame (idle ports would be rows of zeros,
        millions of them on the seed fabric)."""
        helper = self.fabric.helper
        n = int(helper.GetNCreatedPorts())
        node, port = np.zeros(max(n, 1), np.uint32), np.zeros(max(n, 1), np.uint32)
        packets, nbytes = np.zeros(max(n, 1), np.uint64), np.zeros(max(n, 1), np.uint64)
        drops = np.zeros((max(n, 1), len(DEVICE_DROP_CAUSES)), np.uint64)
        if n:
            helper.CopyPortCounters(node, port, packets, nbytes, drops)
        active = (packets[:n] > 0) | (drops[:n].sum(axis=1) > 0)
        # Rows in (node, port) order (a port counts on its node's rank only).
        rows = [a[:n][active] for a in (node, port, packets, nbytes, drops)]
        rows.append(rows[0].astype(np.int64) * 256 + rows[1])
        node, port, packets, nbytes, drops, _ = self.ranks.records(rows, order_by=5)
        s, lay = self.scenario, self.layout
        seconds = s.duration_s + s.drain_s
        n_sat = lay.n_satellites
        rows = []
        for r in range(len(node)):
            v, p = int(node[r]), int(port[r])
            kind = port_kinds(lay, v)[p]
            rate = s.laser.data_rate_gbps * 1e9
            if kind == "ground" and s.ground_links.kind == "rf":
                rate = s.ground_links.rf_data_rate_gbps * 1e9
            name = lay.satellite_names[v] if v < n_sat else lay.ground_names[v - n_sat]
            b = int(nbytes[r])
            rows.append(dict(zip(outputs.LINK_TRAFFIC_COLUMNS, [
                name, v, p, kind, int(packets[r]), b, b * 8 / (rate * seconds),
                *(int(drops[r, c]) for c in range(len(DEVICE_DROP_CAUSES)))])))
        return rows


def install(ns, fabric, states, scenario: Scenario, run_dir: Path, captures, ranks) -> TrafficRun:
    """Endpoints, flows and tracing for a run; call after the nodes and ground stacks
    exist and before the first Simulator::Run. In a distributed run every rank installs
    every flow; a source starts only on its node's rank (netsim.run.distributed)."""
    lay = states.layout
    for stale in OUTPUT_FILES:
        (run_dir / stale).unlink(missing_ok=True)
    endpoints = states.destinations  # ground stations, then satellite endpoints (table sized by the runner)
    n_ground = len(lay.ground_names)
    names = list(lay.satellite_names) + list(lay.ground_names)
    columns = {names[int(node)]: c for c, node in enumerate(endpoints)}
    for c in range(n_ground, len(endpoints)):  # the stations' stacks exist already (the runner's)
        fabric.helper.InstallEndpointStack(int(endpoints[c]), ns.Ipv4Address(endpoint_address(c)), c)

    recorder = ns.CreateObject[ns.TrafficRecorder]()
    helper = ns.TrafficHelper(recorder)
    if ranks.distributed:
        helper.SetLocalSystemId(ranks.rank)
    run = TrafficRun(ns, fabric, scenario, lay, run_dir, recorder, helper, columns, ranks)
    t = lambda s: ns.NanoSeconds(round(s * 1e9))  # noqa: E731
    for i, flow in enumerate(scenario.traffic):
        src, dst = fabric.helper.GetNode(lay.node_index(flow.src)), fabric.helper.GetNode(lay.node_index(flow.dst))
        address = ns.Ipv4Address(endpoint_address(columns[flow.dst]))
        port = FLOW_PORT_BASE + i
        start, stop = flow.start_s, flow.stop_s if flow.stop_s is not None else scenario.duration_s
        run.names.append(flow.name)
        run.ends.append((flow.src, flow.dst))
        run.kinds.append(flow.kind)
        if flow.kind == "udp_cbr":
            interval = flow.packet_bytes * 8 / (flow.rate_mbps * 1e6)
            helper.InstallUdpCbr(src, dst, address, port, flow.packet_bytes, t(interval), t(start), t(stop))
            run.udp.append(flow)
            run.udp_index.append(i)
        elif flow.kind == "udp_onoff":
            interval = flow.packet_bytes * 8 / (flow.rate_mbps * 1e6)
            helper.InstallUdpSource(src, dst, address, port, flow.packet_bytes, t(interval), flow.on_s, flow.off_s,
                                    flow.distribution == "exponential", i, 0, t(1.0), t(start), t(stop))
            run.udp.append(flow)
            run.udp_index.append(i)
        elif flow.kind == "udp_burst":
            interval = flow.packet_bytes * 8 / (flow.rate_mbps * 1e6) if flow.rate_mbps else 0.0
            helper.InstallUdpSource(src, dst, address, port, flow.packet_bytes, t(interval), 1.0, 0.0, False, i,
                                    flow.burst_packets, t(flow.period_s), t(start), t(stop))
            run.udp.append(flow)
            run.udp_index.append(i)
        elif flow.kind == "tcp_bulk":
            helper.InstallTcpBulk(src, dst, address, port, flow.bytes, TCP_CONGESTION_CONTROLS[flow.congestion_control],
                                  flow.segment_bytes, flow.buffer_bytes, t(start), t(stop))
            run.tcp.append(flow)
            run.tcp_index.append(i)
        elif flow.kind == "ping":
            helper.InstallPing(src, address, t(flow.interval_s), flow.packet_bytes, flow.count, t(start), t(stop))
            run.ping.append(flow)
            run.ping_index.append(i)

    _install_pcap(run, captures)
    if scenario.outputs.flow_monitor and scenario.traffic:
        nodes = ns.NodeContainer()
        for node in endpoints.tolist():
            nodes.Add(fabric.helper.GetNode(int(node)))
        run.monitor_helper = ns.FlowMonitorHelper()
        run.monitor = run.monitor_helper.Install(nodes)
        run.keep.append(nodes)
    return run


def _install_pcap(run: TrafficRun, captures) -> None:
    """Captures of the outputs.pcap selections (after those of outputs.pcap_nodes), then
    the names table pcap/index.csv (netsim.run.captures)."""
    scenario, lay = run.scenario, run.layout
    ports = pcap_ports(scenario, lay)
    already = {(lay.node_index(n), p) for n in scenario.outputs.pcap_nodes for p in range(lay.ports(lay.node_index(n)))}
    ports = [x for x in ports if (x[1], x[2]) not in already]
    total = len(ports) + len(already)
    if total > scenario.outputs.pcap_max_files:
        raise ScenarioError(scenario.name, "outputs.pcap",
                            f"selects {total} laser ports; at most outputs.pcap_max_files = "
                            f"{scenario.outputs.pcap_max_files} (raise it to trace more)")
    for _, node, port in ports:
        captures.enable(node, port)
    captures.write_index()


def flowmon_rows(xml_path: Path, columns: dict[str, int], books: outputs.Books, n_flows: int) -> list[dict]:
    """Per flow of ns-3's FlowMonitor XML: 5-tuple (with node names) and its counters.

    lost_packets = tx - rx - in flight at the end (in flight from the run's books, matched
    by port as the books match flows): ns-3 counts a packet lost only once it is older than
    MaxPerHopDelay (10 s), so in a shorter run its own count misses real losses."""
    by_address = {endpoint_address(c): name for name, c in columns.items()}
    root = ET.parse(xml_path).getroot()
    tuples = {f.get("flowId"): f for f in root.iter("Flow") if f.get("sourceAddress")}
    rows = []
    for stats in root.find("FlowStats").iter("Flow"):
        fid = stats.get("flowId")
        t = tuples.get(fid)
        ns_of = lambda key: float(stats.get(key, "+0ns").rstrip("ns").lstrip("+")) * 1e-9  # noqa: E731
        tx, rx = int(stats.get("txPackets")), int(stats.get("rxPackets"))
        proto = {"17": "udp", "6": "tcp", "1": "icmp"}.get(t.get("protocol"), t.get("protocol")) if t is not None else ""
        sport = int(t.get("sourcePort")) if t is not None else 0
        dport = int(t.get("destinationPort")) if t is not None else 0
        in_flight = 0
        if 0 <= dport - FLOW_PORT_BASE < n_flows:
            in_flight = int(books.in_flight[2 * (dport - FLOW_PORT_BASE)])
        elif 0 <= sport - FLOW_PORT_BASE < n_flows:
            in_flight = int(books.in_flight[2 * (sport - FLOW_PORT_BASE) + 1])
        rows.append(dict(zip(outputs.FLOWMON_COLUMNS, [
            int(fid), by_address.get(t.get("sourceAddress"), t.get("sourceAddress")) if t is not None else "",
            by_address.get(t.get("destinationAddress"), t.get("destinationAddress")) if t is not None else "",
            proto, sport, dport, tx, int(stats.get("txBytes")), rx, int(stats.get("rxBytes")),
            tx - rx - in_flight, in_flight,
            ns_of("delaySum") / rx * 1e3 if rx else None,
            ns_of("jitterSum") / (rx - 1) * 1e3 if rx > 1 else None,
            ns_of("timeFirstTxPacket"), ns_of("timeLastRxPacket") if rx else None])))
    return rows
