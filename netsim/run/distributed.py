"""One run over several MPI ranks on ns-3's distributed engine (docs/distributed.md).

Every rank computes the whole run: nodes, ephemerides, routes and the same connect /
disconnect schedule (all of it computed from the scenario, never from packets), but
builds laser terminals only for its own nodes and the far ends of links reaching them.
A node belongs to one rank; only that rank runs its applications and the packets at it,
and a laser channel hands a packet for another rank's terminal to MPI at its arrival
time (LaserChannel, netsim's MPI bridge). At the end every rank's counts
and records are merged collectively, so each rank holds the run's whole result; rank 0
writes the run folder, the others write only the captures of the ports they own.

Partition: contiguous groups of whole orbital planes (intra-plane links never cross
ranks) of equal expected packet-hops, from the traffic's paths in the first snapshot;
ground stations dealt round-robin. Lookahead: the shortest light time of
any link up in an interval, less what the ends can close in during it, bounded before
every interval (the engine keeps the smallest).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from netsim.errors import NetsimError

SPEED_OF_LIGHT_MPS = 299_792_458.0
# Two satellites close in on each other at most at twice the escape speed at the
# lowest altitude (~2 x 11 km/s): what a link may shorten by within an interval.
MAX_CLOSING_SPEED_MPS = 22_400.0
# Environment variables an MPI launcher sets: (size, rank) per family.
_LAUNCHERS = (("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"), ("PMI_SIZE", "PMI_RANK"),
              ("PMIX_SIZE", "PMIX_RANK"))


def launched_size() -> int:
    """Ranks of the MPI job this process was started in (1 outside mpirun / srun)."""
    for size, _ in _LAUNCHERS:
        if os.environ.get(size):
            return int(os.environ[size])
    return 1


def launched_rank() -> int:
    """This process's rank in its MPI job (0 outside mpirun / srun)."""
    for _, rank in _LAUNCHERS:
        if os.environ.get(rank):
            return int(os.environ[rank])
    return 0


def mpirun_command(ranks: int) -> tuple[list[str], dict]:
    """The launcher and environment for `ranks` processes on this machine (OpenMPI: may
    run as root in a container, more ranks than cores)."""
    env = {"OMPI_MCA_rmaps_base_oversubscribe": "1"}
    if os.geteuid() == 0:
        env |= {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    return ["mpirun", "-np", str(ranks)], env


def unsupported(scenario) -> str | None:
    """The first scenario feature a distributed run cannot run, or None."""
    if scenario.workloads is not None and (scenario.workloads.inference or scenario.workloads.training):
        return "workloads"
    if scenario.outputs.flow_monitor:
        return "outputs.flow_monitor"
    return None


def plane_partition(layout, size: int, load: np.ndarray | None = None) -> np.ndarray:
    """Owner rank per node: the orbital planes of every shell, in node order (a shell
    without a plane grid: its satellites one by one), cut into `size` contiguous groups
    of equal expected load (`load` per node, e.g. expected_load; None: equal satellite
    counts); every satellite also weighs 5 % of the mean, so planes no flow crosses still
    spread. Stations are dealt round-robin."""
    units = []  # (first node, nodes) per plane
    for block in layout.blocks:
        per_unit = block.grid[1] if block.grid is not None else 1
        units += [(start, per_unit) for start in range(block.start, block.start + block.count, per_unit)]
    owner = np.zeros(layout.n_nodes, dtype=np.int64)
    if units:
        n_sat = layout.n_satellites
        per_node = np.zeros(n_sat) if load is None else np.asarray(load[:n_sat], dtype=float)
        floor = 0.05 * per_node.sum() / n_sat if per_node.sum() > 0 else 1.0
        weight = np.add.reduceat(per_node + floor, np.array([u[0] for u in units])).tolist()
        owner[:n_sat] = np.repeat(_contiguous_groups(weight, size), [u[1] for u in units])
    stations = np.arange(layout.n_nodes - layout.n_satellites)
    owner[layout.n_satellites:] = stations % size
    return owner


def _contiguous_groups(weight: list[float], size: int) -> np.ndarray:
    """Group of each unit, units in order cut into `size` runs: a run closes when the next
    unit would take it past half of that unit over its share of what is left (or when
    the units left are only enough for the runs left)."""
    group = np.zeros(len(weight), dtype=np.int64)
    r, acc, left = 0, 0.0, float(sum(weight))
    target = left / size
    for i, w in enumerate(weight):
        if r < size - 1 and acc > 0 and (acc + w / 2 > target or len(weight) - i <= size - 1 - r):
            r, left = r + 1, left - acc
            acc, target = 0.0, left / (size - r)
        group[i] = r
        acc += w
    return group


def expected_load(scenario, layout, snap, destinations: np.ndarray) -> np.ndarray:
    """Packets through each node over the run if the first snapshot's routes held: every
    flow's offered packets (netsim.scenario.limits) along its path, both ways for TCP
    and pings (half each)."""
    from netsim.routing.paths import follow_column
    from netsim.scenario.limits import offered_packets

    column = {int(node): c for c, node in enumerate(destinations)}
    load = np.zeros(layout.n_nodes)
    for flow in scenario.traffic:
        src, dst = layout.node_index(flow.src), layout.node_index(flow.dst)
        ends = [(src, dst)] + ([(dst, src)] if flow.kind in ("tcp_bulk", "ping") else [])
        for a, b in ends:
            path = follow_column(snap, layout.n_satellites, a, column[b], b, len(snap.ports) + 1)
            if path:
                load[path] += offered_packets(flow, scenario) / len(ends)
    return load


def lookahead_bound_s(pos_m: np.ndarray, next_pos_m: np.ndarray, node_a: np.ndarray, node_b: np.ndarray,
                      interval_s: float) -> float:
    """A lower bound on the light time of every given link within the interval: the
    shorter of its lengths at the two ends, less what the ends can close in meanwhile."""
    if not len(node_a):
        return float("inf")
    shortest = min(float(np.linalg.norm(p[node_a] - p[node_b], axis=1).min()) for p in (pos_m, next_pos_m))
    return max(shortest - MAX_CLOSING_SPEED_MPS * interval_s, 0.0) / SPEED_OF_LIGHT_MPS


@dataclass
class Ranks:
    """This process's place in a run: rank, size, the owner of every node, and the
    collective merges of per-rank results (no-ops on one rank)."""

    rank: int = 0
    size: int = 1
    owner: np.ndarray | None = None
    ns: Any = None
    comm: Any = None
    lookahead_s: float = float("inf")

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @staticmethod
    def start() -> "Ranks":
        """Start MPI through ns-3 (before any node exists) when launched on several ranks."""
        size = launched_size()
        if size <= 1:
            return Ranks()
        from netsim.core.mpi import load_mpi, mpi_problem

        problem = mpi_problem()
        if problem:
            raise NetsimError(problem)
        ns = load_mpi()
        # A placeholder; every interval bounds it by its links before ns-3 runs it.
        ns.LaserMpi.Enable(ns.Seconds(1))
        import mpi4py

        mpi4py.rc.initialize = False  # ns-3 started MPI and finishes it
        mpi4py.rc.finalize = False
        from mpi4py import MPI

        ranks = Ranks(int(ns.LaserMpi.GetSystemId()), int(ns.LaserMpi.GetSize()), ns=ns, comm=MPI.COMM_WORLD)
        if ranks.size != size:
            raise NetsimError(f"MPI reports {ranks.size} ranks, the launcher {size}")
        return ranks

    def partition(self, layout, load: np.ndarray | None = None) -> None:
        self.owner = (plane_partition(layout, self.size, load) if self.distributed
                      else np.zeros(layout.n_nodes, np.int64))

    def segments(self, start: int, count: int):
        """(first node, count, owner) runs of one owner over nodes [start, start + count)."""
        if not self.distributed:
            yield start, count, 0
            return
        owners = self.owner[start:start + count]
        cuts = np.flatnonzero(np.diff(owners)) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [count]])):
            yield start + int(a), int(b - a), int(owners[a])

    def bound_lookahead(self, seconds: float) -> None:
        """Tighten the engine's lookahead before the next interval runs."""
        if not self.distributed or seconds >= self.lookahead_s:
            return
        if seconds <= 0:
            raise NetsimError("two linked terminals come closer than the distance light covers in a "
                              "nanosecond: no lookahead for a distributed run")
        self.lookahead_s = seconds
        self.ns.LaserMpi.BoundLookAhead(self.ns.NanoSeconds(max(int(seconds * 1e9), 1)))

    def attach_receivers(self, fabric) -> None:
        """MpiReceivers for this rank's terminals, now and as they are created."""
        if self.distributed:
            self.ns.LaserMpi.AttachReceivers(fabric.helper)

    # -- merging per-rank results (collective: every rank calls each, in the same order) ---

    def sum(self, array):
        """Elementwise sum over ranks (counts)."""
        if not self.distributed:
            return array
        from mpi4py import MPI

        a = np.ascontiguousarray(array)
        out = np.empty_like(a)
        self.comm.Allreduce(a, out, op=MPI.SUM)
        return out

    def reduce(self, array, op: str):
        """Elementwise min or max over ranks."""
        if not self.distributed:
            return array
        from mpi4py import MPI

        a = np.ascontiguousarray(array)
        out = np.empty_like(a)
        self.comm.Allreduce(a, out, op={"min": MPI.MIN, "max": MPI.MAX}[op])
        return out

    def total(self, value: int) -> int:
        return int(self.sum(np.array([value], dtype=np.int64))[0])

    def records(self, arrays: list[np.ndarray], order_by: int) -> list[np.ndarray]:
        """Records (parallel arrays) of every rank, ordered by column order_by (a time, a
        key); records of one rank keep their order, equal values go by rank."""
        if not self.distributed:
            return arrays
        everyone = self.comm.allgather(arrays)
        merged = [np.concatenate([r[i] for r in everyone]) for i in range(len(arrays))]
        order = np.argsort(merged[order_by], kind="stable")
        return [m[order] for m in merged]

    def gather(self, value):
        """Every rank's value, in rank order (on every rank)."""
        return self.comm.allgather(value) if self.distributed else [value]

    def abort(self) -> None:
        """End every rank of the job (a failure on one must not leave the others waiting)."""
        if self.distributed:
            self.comm.Abort(1)

    def finish(self) -> None:
        if self.distributed:
            self.comm.Barrier()
            self.ns.LaserMpi.Disable()
