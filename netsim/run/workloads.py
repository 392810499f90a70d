"""The compute fabric's workloads in a run (docs/workloads.md): inference users at ground
stations and their servers, training jobs with their all-reduce, checkpoints and
restores. The C++ core runs them (ns3::InferenceClient, ComputeServer, CollectiveJob,
TcpMessageStream; no Python per packet or per request); Python places them:

- at setup (`install`): the training jobs' satellites and their storage satellites
  become endpoints (an IP stack, a destination column, jumbo frames), every user
  station gets a client per inference workload, and each workload flow gets a row pair
  in the books (requests / responses; all-reduce, checkpoint, restore segments / ACKs);
- at every routing update (`update`): each station's candidate servers by the
  workload's placement (the serving satellite, the nearest with spare capacity, any
  within k hops); a satellite that becomes a candidate for the first time becomes an
  endpoint with a compute server, and routes toward it are added; the first update
  also opens the jobs' TCP streams, with windows sized to their paths;
- at the end (`collect`): requests.csv, jobs.csv, storage.csv, and the checks that
  every request is answered, lost with a cause, or in flight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from netsim.routing.paths import follow_column
from netsim.routing.solver import SPEED_OF_LIGHT_MPS
from netsim.run import outputs
from netsim.run.traffic import endpoint_address
from netsim.scenario.model import TCP_CONGESTION_CONTROLS, Scenario
from netsim.scenario.traffic import FLOW_PORT_BASE
from netsim.scenario.workloads import read_trace

WORKLOAD_KINDS = ("inference", "allreduce", "checkpoint", "restore")
OUTPUT_FILES = ("requests.csv", "jobs.csv", "storage.csv")
# ns3::WorkloadRecorder causes: the books' seven, then the servers' own.
CAUSES = (*outputs.BOOK_CAUSES, "no_server", "server_full")
STATUS = ("in_flight", "answered", "lost")
JUMBO_MTU = 9000
FRAME_OVERHEAD_BYTES = 2 + 20 + 20 + 12  # PPP, IPv4, TCP with timestamps, per segment
# Random streams: clients and jobs draw from their own, far from the traffic's (2i, 2i+1).
CLIENT_STREAM_BASE = 1_000_000
JOB_STREAM_BASE = 3_000_000
# Linux's minimum retransmission timeout (ns-3's default is 1 s).
MIN_RTO_MS = 200

REQUEST_COLUMNS = ("workload", "request", "station", "server", "sent_s", "request_bytes", "response_bytes", "ops",
                   "status", "cause", "stage", "uplink_ms", "queue_ms", "compute_ms", "downlink_ms", "total_ms")
JOB_COLUMNS = ("job", "iteration", "satellites", "collective", "completed", "start_s", "end_s", "step_s",
               "compute_s", "straggler_s", "slowest", "communication_s", "ideal_communication_s", "bytes",
               "retransmissions", *(f"lost_{c}" for c in outputs.LOSS_CAUSES), "handovers", "path_changes",
               "checkpoint")
STORAGE_COLUMNS = ("job", "kind", "iteration", "satellite", "storage", "bytes", "start_s", "end_s", "duration_s",
                   "throughput_gbps", "completed")


def workload_flows(scenario: Scenario) -> list[tuple[str, str, str, str]]:
    """(name, kind, src, dst) of every workload flow, in books order after the traffic:
    one per inference workload, then per job its all-reduce, checkpoints, restores."""
    w = scenario.workloads
    if w is None:
        return []
    flows = [(x.name, "inference", "(stations)", f"(servers in {x.tier})") for x in w.inference]
    for job in w.training:
        flows.append((f"{job.name}:allreduce", "allreduce", f"(ring of {job.satellites})", f"(ring of {job.satellites})")
                     if job.collective == "ring" else
                     (f"{job.name}:allreduce", "allreduce", f"(tree of {job.satellites})", f"(tree of {job.satellites})"))
        if job.checkpoint is not None:
            flows.append((f"{job.name}:checkpoint", "checkpoint", f"(job {job.name})", f"(storage in {job.checkpoint.tier})"))
            if job.checkpoint.restore:
                flows.append((f"{job.name}:restore", "restore", f"(storage in {job.checkpoint.tier})", f"(job {job.name})"))
    return flows


def compute_seconds(job, scenario: Scenario) -> float:
    if job.compute_s is not None:
        return job.compute_s
    tops = next(t.compute_tops for t in scenario.constellation.tiers if t.name == job.tier)
    return job.compute_ops / (tops * 1e12)


def ideal_communication_s(job, rate_bps: float) -> float:
    """The all-reduce on idle links with no latency: ring 2(k-1)/k G 8 / rate, tree 2
    depth G 8 / rate (each level sends the whole gradient, one level after the other)."""
    k, bits = job.satellites, job.gradient_bytes * 8
    if k == 1:
        return 0.0
    if job.collective == "ring":
        return 2 * (k - 1) / k * bits / rate_bps
    return 2 * math.floor(math.log2(k)) * bits / rate_bps


@dataclass
class _Job:
    model: Any
    index: int
    flow: int  # books flow of the all-reduce (checkpoint flow + 1, restore + 2 when present)
    nodes: list[int]
    storage: list[int] = field(default_factory=list)
    core: Any = None
    edges: list[tuple[int, int]] = field(default_factory=list)  # (from rank, to rank)
    # per routing update: (t, paths of its streams as tuples of nodes)
    paths: list[tuple[float, list[tuple[int, ...]]]] = field(default_factory=list)
    handover_times: list[float] = field(default_factory=list)


class WorkloadRun:
    """What `install` set up; `update` at each routing update; `collect` at the end."""

    def __init__(self, ns, fabric, states, scenario: Scenario, run_dir: Path, first_flow: int):
        self.ns, self.fabric, self.states, self.scenario, self.run_dir = ns, fabric, states, scenario, run_dir
        self.lay = states.layout
        self.first_flow = first_flow
        self.flows = workload_flows(scenario)
        self.recorder = ns.CreateObject[ns.WorkloadRecorder]()
        self.helper = ns.WorkloadHelper(self.recorder)
        self.names = list(self.lay.satellite_names) + list(self.lay.ground_names)
        self.tier_index = {t.name: i for i, t in enumerate(scenario.constellation.tiers)}
        self.ledger = None
        self.endpoints: set[int] = {int(n) for n in states.destinations}
        self.jobs: list[_Job] = []
        self.clients: list[tuple[int, int, int]] = []  # (workload, station index g, helper client index)
        self.client_first: list[int] = []  # first helper client of each workload
        self.served: dict[int, set[int]] = {}  # node -> workloads it serves
        self.opened = False
        self.keep: list = []

    # ------------------------------------------------------------------ setup

    def _endpoint(self, nodes, jumbo: bool) -> None:
        """Make nodes endpoints: a destination column, an IP stack; jumbo frames for TCP."""
        # Once each: ranks may share a storage satellite (placement single or nearest).
        nodes = [n for n in dict.fromkeys(int(n) for n in nodes) if n not in self.endpoints]
        if not nodes:
            return
        columns = self.states.add_destinations(nodes)
        self.fabric.helper.SetDestinationCount(len(self.states.destinations))
        for node, column in zip(nodes, columns.tolist()):
            device = self.fabric.helper.InstallEndpointStack(node, self.ns.Ipv4Address(endpoint_address(column)),
                                                             column)
            if jumbo:
                device.SetMtu(JUMBO_MTU)
            self.endpoints.add(node)
            if self.ledger is not None:
                self.ledger.WatchEndpoint(self.fabric.helper.GetForwarder(node))
        return columns

    def _address(self, node: int):
        column = int(np.flatnonzero(self.states.destinations == node)[0])
        return self.ns.Ipv4Address(endpoint_address(column))

    def _column(self, node: int) -> int:
        return int(np.flatnonzero(self.states.destinations == node)[0])

    def install(self) -> None:
        ns, s = self.ns, self.scenario
        w = s.workloads
        t = lambda sec: ns.NanoSeconds(round(sec * 1e9))  # noqa: E731
        flow = self.first_flow
        pos0 = self.states.positions(0.0)[0]
        for wi, work in enumerate(w.inference):
            self.client_first.append(self.helper.GetNClients())
            stations = work.stations
            # Responses go to the users' stations: route toward them even without traffic.
            self.states.add_destinations([self.lay.node_index(g) for g in stations])
            trace = read_trace(work, stations, "trace_file", s.name, s.duration_s) if work.arrivals == "trace" else None
            population = {g.name: g.population for g in s.ground_stations}
            stop = work.stop_s if work.stop_s is not None else s.duration_s
            choice = {"serving": 0, "nearest_spare": 1, "within_hops": 2}[work.placement]
            for name in stations:
                g = self.lay.ground_names.index(name)
                node = self.lay.n_satellites + g
                index = self.helper.AddClient(self.fabric.helper.GetNode(node), wi, g, FLOW_PORT_BASE + flow,
                                              work.segment_bytes, choice, work.spare_below)
                client = self.helper.GetClient(index)
                client.SetMessage(work.request_bytes, work.response_bytes, work.ops)
                if trace is not None:
                    mine = sorted((r for r in trace if r["station"] == name), key=lambda r: r["time_s"])
                    n = len(mine)
                    arr = lambda key, dt: np.ascontiguousarray([r[key] for r in mine] or [0], dtype=dt)  # noqa: E731
                    client.SetTrace(np.ascontiguousarray([round(r["time_s"] * 1e9) for r in mine] or [0], np.int64),
                                    arr("request_bytes", np.uint32), arr("response_bytes", np.uint32),
                                    arr("ops", np.float64), n)
                else:
                    rate = work.rate_per_s if work.rate_per_s is not None else \
                        work.rate_per_million * population[name] / 1e6
                    client.SetArrivals(rate, work.arrivals == "poisson", CLIENT_STREAM_BASE + index, t(work.start_s),
                                       t(stop))
                client.Start()  # its socket, and the first arrival scheduled
                self.clients.append((wi, g, index))
            flow += 1
        self.client_first.append(self.helper.GetNClients())
        storage_rng = np.random.default_rng(s.seed)
        for ji, job in enumerate(w.training):
            nodes = [self.lay.node_index(n) for n in job.placed]
            entry = _Job(job, ji, flow, nodes)
            flow += 1
            if job.checkpoint is not None:
                entry.storage = self._storage(job, nodes, pos0, storage_rng)
                flow += 1 + int(job.checkpoint.restore)
            self._endpoint(nodes + entry.storage, jumbo=True)
            self.jobs.append(entry)

    def _storage(self, job, nodes: list[int], pos0: np.ndarray, rng) -> list[int]:
        """Each rank's storage satellite in the checkpoint tier, by the placement policy,
        from where the satellites are at t = 0."""
        ck = job.checkpoint
        tier = np.flatnonzero(self.lay.tier_of == self.tier_index[ck.tier])
        if ck.placement == "random":
            return [int(tier[i]) for i in rng.integers(len(tier), size=len(nodes))]
        tree = cKDTree(pos0[tier])
        if ck.placement == "single":
            _, i = tree.query(pos0[nodes[0]])
            return [int(tier[i])] * len(nodes)
        _, idx = tree.query(pos0[nodes])
        return [int(tier[i]) for i in np.atleast_1d(idx)]

    def attach(self, ledger) -> None:
        """The run's ns3::DropClassifier (set up for every flow): per-request losses."""
        self.ledger = ledger
        self.recorder.Setup(self.first_flow + len(self.flows))
        flow = self.first_flow
        for wi, _ in enumerate(self.scenario.workloads.inference):
            self.recorder.SetInferenceFlow(flow, wi)
            flow += 1
        for job in self.jobs:
            n = 1 + (job.model.checkpoint is not None) + bool(job.model.checkpoint and job.model.checkpoint.restore)
            for f in range(job.flow, job.flow + n):
                self.recorder.SetJobFlow(f, job.index)
            flow += n
        self.recorder.Listen(ledger)

    # ------------------------------------------------------------------ per routing update

    def update(self, snap) -> None:
        """Candidates of every client from this snapshot; new servers become endpoints
        (routes toward them are added to snap.ports); on the first call the jobs open."""
        new_columns: list[int] = []
        w = self.scenario.workloads
        per_workload: list[list[list[int]]] = []
        for wi, work in enumerate(w.inference):
            lists = self._candidates(work, snap)
            per_workload.append(lists)
            nodes = sorted({n for c in lists for n in c})
            fresh = [n for n in nodes if n not in self.endpoints]
            if fresh:
                new_columns += self._endpoint(fresh, jumbo=False).tolist()
            tops = self.scenario.constellation.tiers[self.tier_index[work.tier]].compute_tops
            for n in nodes:
                if wi not in self.served.setdefault(n, set()):
                    server = self.helper.GetServer(self.fabric.helper.GetNode(n), tops * 1e12, work.server_queue)
                    server.AddService(wi, FLOW_PORT_BASE + self.first_flow + wi, work.segment_bytes)
                    self.served[n].add(wi)
        if new_columns:
            self.states.extend_routes(snap, np.asarray(new_columns, dtype=np.int64))
        elif snap.ports.shape[1] < len(self.states.destinations):
            self.states.extend_routes(snap, np.zeros(0, dtype=np.int64))
        for wi, lists in enumerate(per_workload):
            first = self.client_first[wi]
            offsets = np.zeros(len(lists) + 1, dtype=np.uint32)
            offsets[1:] = np.cumsum([len(c) for c in lists])
            flat = [n for c in lists for n in c]
            nodes = np.ascontiguousarray(flat or [0], dtype=np.uint32)
            addresses = np.ascontiguousarray([int(self._address(n).Get()) for n in flat] or [0], dtype=np.uint32)
            self.helper.SetCandidates(first, len(lists), offsets, nodes, addresses)
        if not self.opened:
            self._open(snap)
            self.opened = True
        for job in self.jobs:
            job.paths.append((snap.t_s, self._job_paths(job, snap)))
            on_path = {self.names[n] for p in job.paths[-1][1] for n in p}
            job.handover_times += [snap.t_s for row in snap.handovers
                                   if row["node"] in on_path or row.get("old_peer") in on_path]

    def _candidates(self, work, snap) -> list[list[int]]:
        """Per user station of the workload: candidate server nodes, in preference order."""
        n_sat = self.lay.n_satellites
        tier = self.tier_index[work.tier]
        out = []
        if work.placement == "nearest_spare":
            sats = np.flatnonzero(self.lay.tier_of == tier)
            tree = cKDTree(snap.pos_m[sats])
            k = min(work.candidates, len(sats))
            for name in work.stations:
                g = self.lay.ground_names.index(name)
                _, idx = tree.query(snap.pos_m[n_sat + g], k=k)
                out.append([int(sats[i]) for i in np.atleast_1d(idx)])
            return out
        adjacency = self._tier_graph(snap, tier) if work.placement == "within_hops" else None
        for name in work.stations:
            g = self.lay.ground_names.index(name)
            serving = snap.ground.of_station(g)
            serving = serving[self.lay.tier_of[serving] == tier] if len(serving) else serving
            if not len(serving):
                out.append([])
                continue
            d = np.linalg.norm(snap.pos_m[serving] - snap.pos_m[n_sat + g], axis=1)
            first = int(serving[int(np.argmin(d))])
            if adjacency is None:
                out.append([first])
                continue
            seen, frontier = {first}, {first}
            for _ in range(work.hops):
                frontier = {int(m) for n in frontier for m in adjacency.get(n, ())} - seen
                seen |= frontier
            out.append(sorted(seen))
        return out

    def _tier_graph(self, snap, tier: int) -> dict[int, list[int]]:
        links = snap.links
        a, b = links.node_a.astype(np.int64), links.node_b.astype(np.int64)
        n_sat = self.lay.n_satellites
        ok = (a < n_sat) & (b < n_sat)
        ok[ok] &= (self.lay.tier_of[a[ok]] == tier) & (self.lay.tier_of[b[ok]] == tier)
        adjacency: dict[int, list[int]] = {}
        for x, y in zip(a[ok].tolist(), b[ok].tolist()):
            adjacency.setdefault(x, []).append(y)
            adjacency.setdefault(y, []).append(x)
        return adjacency

    def _follow(self, snap, src: int, dst: int) -> tuple[int, ...] | None:
        path = follow_column(snap, self.lay.n_satellites, src, self._column(dst), dst,
                             4 * self.scenario.routing.max_hops)
        return tuple(path) if path is not None else None

    def _streams(self, job: _Job) -> list[tuple[int, int]]:
        """(src node, dst node) of every stream of the job: edges, checkpoints, restores."""
        pairs = [(job.nodes[a], job.nodes[b]) for a, b in job.edges]
        if job.storage:
            pairs += list(zip(job.nodes, job.storage))
            if job.model.checkpoint.restore:
                pairs += list(zip(job.storage, job.nodes))
        return pairs

    def _job_paths(self, job: _Job, snap) -> list[tuple[int, ...]]:
        return [self._follow(snap, a, b) or () for a, b in self._streams(job)]

    def _window(self, snap, src: int, dst: int, segment: int) -> int:
        """TCP buffers sized to the path at the start: twice its bandwidth-delay product,
        at least 1 MiB, but at most 80 % of a laser queue: ns-3's TCP sends a whole window
        back to back (no pacing) into the first laser's queue, so a larger window
        overflows it at the start of every step (and its SACK recovery with thousands of
        segments outstanding costs minutes of wall time). Paths whose BDP is larger run
        window-limited, as a host with that buffer would."""
        path = self._follow(snap, src, dst)
        if path is not None:
            one_way = float(np.sum(np.linalg.norm(np.diff(snap.pos_m[list(path)], axis=0), axis=1))) / SPEED_OF_LIGHT_MPS
        else:
            one_way = 1.5 * float(np.linalg.norm(snap.pos_m[dst] - snap.pos_m[src])) / SPEED_OF_LIGHT_MPS
        rate = self.scenario.laser.data_rate_gbps * 1e9 / 8
        bdp = 2 * one_way * rate
        queue = self.scenario.laser.queue_packets * (segment + FRAME_OVERHEAD_BYTES)
        return int(min(max(2 * bdp + 262144, 1 << 20), 0.8 * queue, 2**30))

    def _open(self, snap) -> None:
        """Build every job's streams and CollectiveJob (before the first packet moves)."""
        ns, s = self.ns, self.scenario
        t = lambda sec: ns.NanoSeconds(round(sec * 1e9))  # noqa: E731
        for job in self.jobs:
            m = job.model
            k = m.satellites
            if k > 1 and m.collective == "ring":
                job.edges = [(i, (i + 1) % k) for i in range(k)]
            elif k > 1:
                job.edges = [(c, (c - 1) // 2) for c in range(1, k)] + [((c - 1) // 2, c) for c in range(1, k)]
            core = ns.CreateObject[ns.CollectiveJob]()
            stop = m.stop_s if m.stop_s is not None else s.duration_s
            core.Setup(k, 0 if m.collective == "ring" else 1, m.gradient_bytes, m.iterations,
                       t(compute_seconds(m, s)), m.straggler, JOB_STREAM_BASE + job.index, t(m.start_s), t(stop))
            cc = TCP_CONGESTION_CONTROLS[m.congestion_control]

            def stream(src: int, dst: int, port: int):
                window = m.buffer_bytes or self._window(snap, src, dst, m.segment_bytes)
                st = self.helper.AddStream(self.fabric.helper.GetNode(src), self._address(src),
                                           self.fabric.helper.GetNode(dst), self._address(dst), port, cc,
                                           m.segment_bytes, window)
                st.SetMinRto(ns.MilliSeconds(MIN_RTO_MS))
                return st

            port = FLOW_PORT_BASE + job.flow
            for a, b in job.edges:
                core.SetEdge(a, b, stream(job.nodes[a], job.nodes[b], port))
            if m.checkpoint is not None:
                per_rank = -(-m.checkpoint.bytes // k)
                core.SetCheckpoint(m.checkpoint.every, per_rank, m.checkpoint.blocking)
                for i in range(k):
                    core.SetCheckpointStream(i, stream(job.nodes[i], job.storage[i], port + 1))
                if m.checkpoint.restore:
                    core.SetRestore(per_rank)
                    for i in range(k):
                        core.SetRestoreStream(i, stream(job.storage[i], job.nodes[i], port + 2))
            core.Start()
            job.core = core

    # ------------------------------------------------------------------ results

    def collect(self, books: outputs.Books) -> "WorkloadResults":
        out = WorkloadResults()
        self._requests(out, books)
        self._jobs(out)
        outputs.write_csv(self.run_dir / "requests.csv", REQUEST_COLUMNS, out.requests)
        outputs.write_csv(self.run_dir / "jobs.csv", JOB_COLUMNS, out.jobs)
        outputs.write_csv(self.run_dir / "storage.csv", STORAGE_COLUMNS, out.storage)
        out.summary.update(summarise(out))
        return out

    def _requests(self, out: "WorkloadResults", books: outputs.Books) -> None:
        rec = self.recorder
        n = int(rec.GetNRequests())
        m = max(n, 1)
        u32 = lambda: np.zeros(m, np.uint32)  # noqa: E731
        i64 = lambda: np.zeros(m, np.int64)  # noqa: E731
        u8 = lambda: np.zeros(m, np.uint8)  # noqa: E731
        u16 = lambda: np.zeros(m, np.uint16)  # noqa: E731
        workload, client, server = u32(), u32(), u32()
        status, cause, in_response = u8(), u8(), u8()
        sent, arrived, start, end, answered = i64(), i64(), i64(), i64(), i64()
        req_bytes, resp_bytes, ops = u32(), u32(), np.zeros(m, np.float64)
        segs = [u16() for _ in range(6)]
        if n:
            rec.CopyRequests(workload, client, server, status, cause, in_response, sent, arrived, start, end, answered)
            rec.CopySizes(req_bytes, resp_bytes, ops)
            rec.CopySegments(*segs)
        req_segs, req_got, req_fly, resp_segs, resp_got, resp_fly = (a[:n] for a in segs)
        works = self.scenario.workloads.inference
        stations = self.lay.ground_names
        ms = lambda a, b: (b - a) * 1e-6 if a >= 0 and b >= 0 else None  # noqa: E731
        unaccounted = 0
        for i in range(n):
            st = STATUS[int(status[i])]
            c, stage = "", ""
            if st == "lost":
                c = CAUSES[int(cause[i])]
                stage = "response" if in_response[i] else ("queue" if c == "server_full" else
                                                           "" if c == "no_server" else "request")
            else:
                if st == "in_flight":
                    if arrived[i] < 0:
                        stage = "request"
                        ok = req_got[i] + req_fly[i] == req_segs[i] and req_fly[i] > 0
                    elif start[i] < 0:
                        stage, ok = "queue", True
                    elif end[i] < 0:
                        stage, ok = "compute", True
                    else:
                        stage = "response"
                        ok = resp_got[i] + resp_fly[i] == resp_segs[i] and resp_fly[i] > 0
                    if not ok:
                        unaccounted += 1
                        st = "unaccounted"
            srv = int(server[i])
            out.requests.append(dict(zip(REQUEST_COLUMNS, [
                works[int(workload[i])].name, i, stations[int(client[i])],
                self.names[srv] if srv < len(self.names) else "", sent[i] * 1e-9, int(req_bytes[i]),
                int(resp_bytes[i]), float(ops[i]), st, c, stage, ms(sent[i], arrived[i]), ms(arrived[i], start[i]),
                ms(start[i], end[i]), ms(end[i], answered[i]), ms(sent[i], answered[i])])))
        if unaccounted:
            out.problems.append(f"{unaccounted} inference requests are neither answered, lost nor in flight "
                                "(requests.csv status 'unaccounted')")
        # The clients' request segments are what the books saw enter the fabric.
        for wi, work in enumerate(works):
            sent_by_clients = sum(int(self.helper.GetClient(j).GetSent())
                                  for j in range(self.client_first[wi], self.client_first[wi + 1]))
            in_books = books.row(self.first_flow + wi)["sent"]
            if sent_by_clients != in_books:
                out.problems.append(f"inference {work.name!r}: the clients sent {sent_by_clients} request segments, "
                                    f"{in_books} entered the fabric")

    def _jobs(self, out: "WorkloadResults") -> None:
        rec = self.recorder
        nd = int(rec.GetNJobDrops())
        drop_job, drop_ns, drop_cause = (np.zeros(max(nd, 1), t) for t in (np.uint32, np.int64, np.uint8))
        if nd:
            rec.CopyJobDrops(drop_job, drop_ns, drop_cause)
        rate = self.scenario.laser.data_rate_gbps * 1e9
        for job in self.jobs:
            m, core = job.model, job.core
            n = int(core.GetNRecords())
            it, rank = np.zeros(max(n, 1), np.uint32), np.zeros(max(n, 1), np.uint32)
            c0, c1, ce = (np.zeros(max(n, 1), np.int64) for _ in range(3))
            nbytes = np.zeros(max(n, 1), np.uint64)
            if n:
                core.CopyRecords(it, rank, c0, c1, ce, nbytes)
            it, rank, c0, c1, ce, nbytes = (a[:n] for a in (it, rank, c0, c1, ce, nbytes))
            nr = int(core.GetNRetransmissions())
            retx = np.zeros(max(nr, 1), np.int64)
            if nr:
                core.CopyRetransmissions(retx)
            retx = retx[:nr] * 1e-9
            mine = drop_job[:nd] == job.index
            drops_t, drops_c = drop_ns[:nd][mine] * 1e-9, drop_cause[:nd][mine]
            nx = int(core.GetNTransfers())
            xk, xi, xr = np.zeros(max(nx, 1), np.uint8), np.zeros(max(nx, 1), np.uint32), np.zeros(max(nx, 1), np.uint32)
            xb, xs, xe = np.zeros(max(nx, 1), np.uint64), np.zeros(max(nx, 1), np.int64), np.zeros(max(nx, 1), np.int64)
            if nx:
                core.CopyTransfers(xk, xi, xr, xb, xs, xe)
            checkpointed = {int(xi[j]) for j in range(nx) if xk[j] == 0}
            iterations = sorted(set(it.tolist()))
            starts = {i: int(c0[it == i].min()) * 1e-9 for i in iterations}
            for i in iterations:
                sel = it == i
                ranks = rank[sel]
                complete = len(ranks) == m.satellites and bool((c1[sel] >= 0).all()) and bool((ce[sel] >= 0).all())
                t0 = starts[i]
                t1 = int(ce[sel].max()) * 1e-9 if complete else None
                window_end = starts.get(i + 1, t1 if t1 is not None else math.inf)
                within = lambda times: int(((times >= t0) & (times < window_end)).sum())  # noqa: E731
                durations = (c1[sel] - c0[sel]) * 1e-9 if bool((c1[sel] >= 0).all()) else None
                ends = c1[sel] * 1e-9
                slow = int(ranks[int(np.argmax(ends))]) if durations is not None else None
                lost = {c: int(((drops_t >= t0) & (drops_t < window_end) & (drops_c == k)).sum())
                        for k, c in enumerate(outputs.LOSS_CAUSES)}
                changes = _path_changes(job.paths, t0, window_end)
                handovers = sum(1 for h in job.handover_times if t0 <= h < window_end)
                out.jobs.append(dict(zip(JOB_COLUMNS, [
                    m.name, i, m.satellites, m.collective, complete, t0, t1, (t1 - t0) if t1 is not None else None,
                    float(durations.max()) if durations is not None else None,
                    float(ends.max() - ends.min()) if durations is not None else None,
                    self.names[job.nodes[slow]] if slow is not None else "",
                    (t1 - float(ends.max())) if t1 is not None else None,
                    ideal_communication_s(m, rate), int(nbytes[sel].sum()), within(retx),
                    *lost.values(), handovers, changes, i in checkpointed])))
            for j in range(nx):
                kind = "checkpoint" if xk[j] == 0 else "restore"
                r = int(xr[j])
                done = xe[j] >= 0
                duration = (xe[j] - xs[j]) * 1e-9 if done else None
                out.storage.append(dict(zip(STORAGE_COLUMNS, [
                    m.name, kind, int(xi[j]), self.names[job.nodes[r]], self.names[job.storage[r]], int(xb[j]),
                    xs[j] * 1e-9, xe[j] * 1e-9 if done else None, duration,
                    int(xb[j]) * 8 / duration / 1e9 if done and duration > 0 else None, bool(done)])))


def _path_changes(paths: list, t0: float, t1: float) -> int:
    """Streams of a job whose route changed at a routing update within [t0, t1)."""
    changes = 0
    for (_, before), (t, after) in zip(paths, paths[1:]):
        if t0 <= t < t1:
            changes += sum(1 for a, b in zip(before, after) if a != b)
    return changes


@dataclass
class WorkloadResults:
    requests: list[dict] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    storage: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def station_percentiles(requests: list[dict]) -> list[dict]:
    """Per workload and station: requests, answered, lost, in flight, and the total
    latency of the answered ones (ms): mean, p50, p90, p99, max."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in requests:
        groups.setdefault((r["workload"], r["station"]), []).append(r)
    rows = []
    for (work, station), rs in groups.items():
        ms = np.array([r["total_ms"] for r in rs if r["status"] == "answered"], dtype=float)
        stats = [float(ms.mean()), *map(float, np.percentile(ms, [50, 90, 99])), float(ms.max())] if len(ms) \
            else [None] * 5
        rows.append({"workload": work, "station": station, "requests": len(rs), "answered": len(ms),
                     "lost": sum(r["status"] == "lost" for r in rs), "in_flight": sum(r["status"] == "in_flight" for r in rs),
                     **dict(zip(("total_mean_ms", "total_p50_ms", "total_p90_ms", "total_p99_ms", "total_max_ms"), stats))})
    return rows


def _quantiles(values: list[float]) -> dict:
    """mean, p50, p90, p99, max of values (None for each when there are none)."""
    keys = ("mean", "p50", "p90", "p99", "max")
    if not values:
        return dict.fromkeys(keys)
    a = np.asarray(values, dtype=float)
    return dict(zip(keys, [float(a.mean()), *map(float, np.percentile(a, [50, 90, 99])), float(a.max())]))


def summarise(out: WorkloadResults) -> dict:
    """The run's workloads in numbers (manifest `workloads`, the console, sweeps'
    results.parquet): the requests' books (answered + lost by cause + in flight =
    sent), their latency, per-station percentiles; iterations, step and communication
    times of the jobs; storage transfers and their throughput."""
    requests = out.requests
    status = {s: sum(1 for r in requests if r["status"] == s) for s in ("answered", "lost", "in_flight", "unaccounted")}
    causes: dict[str, int] = {}
    for r in requests:
        if r["status"] == "lost":
            causes[r["cause"]] = causes.get(r["cause"], 0) + 1
    totals = [r["total_ms"] for r in requests if r["status"] == "answered"]
    done = [j for j in out.jobs if j["completed"]]
    finished = [x for x in out.storage if x["completed"]]
    return {
        "requests": {"sent": len(requests), **status, "lost_by_cause": dict(sorted(causes.items())),
                     "total_ms": _quantiles(totals),
                     "stations": station_percentiles(requests)},
        "jobs": {"iterations": len(out.jobs), "completed": len(done),
                 "step_s": _quantiles([j["step_s"] for j in done]),
                 "communication_s": _quantiles([j["communication_s"] for j in done]),
                 "retransmissions": sum(j["retransmissions"] for j in out.jobs),
                 "lost": sum(j[f"lost_{c}"] for j in out.jobs for c in outputs.LOSS_CAUSES),
                 "handovers": sum(j["handovers"] for j in out.jobs)},
        "storage": {"transfers": len(out.storage), "completed": len(finished),
                    "bytes": sum(x["bytes"] for x in finished),
                    "throughput_gbps": _quantiles([x["throughput_gbps"] for x in finished
                                                   if x["throughput_gbps"] is not None]),
                    "duration_s": _quantiles([x["duration_s"] for x in finished])},
    }
