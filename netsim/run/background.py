"""Background load of a run: the traffic matrix as fluid rates on the routed paths,
allocated max-min fair under each laser port's capacity once per routing interval, and
(coupled) the share of each laser port the background holds taken from the packets.

The packet flows take part in the allocation (UDP at their rate, TCP elastic) so the
background leaves them their fair share; only the background's part is taken off the
ports. Paths are the packets' own: next-hop trees solved over the same links and metric
by the same solver. A demand from a ground station to a satellite follows the reverse
of the satellite's path to the station (links are symmetric: a shortest path too).
Model, assumptions and error: docs/workloads.md, "Background load".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netsim.files import new_file
from netsim.routing.max_min import max_min_rates
from netsim.routing.solver import solve
from netsim.routing.tree_paths import PortMap, walk_trees
from netsim.run.demands import draw_demands
from netsim.scenario.model import Scenario

KINDS = ("isl", "inter_tier", "ground")
# UDP 8 + IPv4 20 + PPP 2 bytes a datagram carries on the laser beyond its payload: a
# flow's rate_mbps counts payload, capacities and background rates count line bits.
UDP_WIRE_OVERHEAD_BYTES = 30
SATURATED = 1 - 1e-9  # utilisation at which a port counts as a bottleneck
LINK_COLUMNS = ("time_s", "node", "node_index", "port", "peer", "kind", "tier", "capacity_gbps", "background_gbps",
                "foreground_gbps", "utilisation", "saturated")
SUMMARY_COLUMNS = ("time_s", "kind", "tier", "ports_up", "ports_loaded", "capacity_gbps", "background_gbps",
                   "foreground_gbps", "mean_utilisation", "max_utilisation", "saturated_ports")
DEMAND_COLUMNS = ("time_s", "demand", "part", "src", "dst", "demand_gbps", "allocated_gbps", "satisfied", "routed",
                  "hops", "path")


@dataclass
class _Interval:
    """What one routing interval's allocation left for the tables."""

    time_s: float
    allocated_gbps: np.ndarray  # per background demand (0 when not routed)
    routed: np.ndarray
    hops: np.ndarray
    paths: list[str]  # the first record_paths demands
    links: dict  # LINK_COLUMNS -> arrays (the most loaded ports)
    summary: list[dict]
    rounds: int


@dataclass
class Allocated:
    """One interval's allocation, ready to couple to the fabric."""

    port_ids: np.ndarray  # ports carrying background (node * stride + port)
    background_gbps: np.ndarray  # per port in port_ids
    interval: _Interval | None = None  # None: no background in this interval
    clear_at_s: float | None = None  # the background stops inside the interval, here


@dataclass
class BackgroundLoad:
    scenario: Scenario
    states: object  # netsim.run.network_state.NetworkStates
    intervals: list[_Interval] = field(default_factory=list)
    _coupled_ports: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self):
        lay = self.states.layout
        self.spec = self.scenario.background
        self.demands = draw_demands(self.scenario, lay)
        self.stride = max([plan.total for plan in lay.plans] + list(lay.station_ports) + [1])
        is_station = np.zeros(lay.n_nodes, dtype=bool)
        is_station[lay.n_satellites:] = True
        # Station -> satellite demands walk the satellite's path to the station backwards.
        self.reverse = is_station[self.demands.src] & ~is_station[self.demands.dst]
        self.start = np.where(self.reverse, self.demands.dst, self.demands.src)
        self.root = np.where(self.reverse, self.demands.src, self.demands.dst)
        self.names = np.array(list(lay.satellite_names) + list(lay.ground_names), dtype=object)
        self.tier_names = [t.name for t in self.scenario.constellation.tiers] + ["ground"]
        self.part_names = [p.name or f"bg{i}" for i, p in enumerate(self.spec.matrix)]

    # -- one routing interval -------------------------------------------------------------

    def allocate(self, snap, next_s: float) -> "Allocated":
        """The allocation over snap's routes for [snap.t_s, next_s). Reads only the
        snapshot and the demands, so it may run on the snapshot thread while ns-3 moves
        the previous interval's packets (netsim.run.prefetch); `apply` hands it on."""
        # The background runs while the traffic does (until duration_s).
        if snap.t_s >= self.scenario.duration_s - 1e-12:
            return Allocated(np.zeros(0, dtype=np.int64), np.zeros(0))
        lay = self.states.layout
        n_bg = len(self.demands)
        fg_src, fg_dst, fg_rate = self._foreground(snap.t_s, next_s)
        start = np.concatenate([self.start, fg_src])
        root = np.concatenate([self.root, fg_dst])
        reverse = np.concatenate([self.reverse, np.zeros(len(fg_src), dtype=bool)])
        roots, column = np.unique(root, return_inverse=True)
        ports = PortMap.of(snap.links, lay.n_nodes, self.stride)
        paths = walk_trees(self._trees(snap, roots), column, start, root, reverse, ports,
                           self.scenario.routing.max_hops)
        # The ports crossed, in port-id order, and each entry's index among them (np.unique's
        # result, by a table over all port ids instead of a sort of ~10^8 entries).
        crossed = np.zeros(lay.n_nodes * self.stride, dtype=bool)
        crossed[paths.port_id] = True
        port_ids = np.flatnonzero(crossed)
        link_of_entry = (np.cumsum(crossed, dtype=np.int64) - 1)[paths.port_id].astype(np.int32)
        capacity = self.capacity_gbps(port_ids)
        wanted = np.concatenate([self.demands.rate_gbps, fg_rate])[paths.routed]
        allocation = max_min_rates(paths.start, link_of_entry, capacity, wanted)
        rate = np.zeros(len(start))
        rate[paths.routed] = allocation.rate
        bg_entries = int(paths.start[int(paths.routed[:n_bg].sum())])
        background = np.bincount(link_of_entry[:bg_entries], weights=np.repeat(
            allocation.rate, np.diff(paths.start))[:bg_entries], minlength=len(port_ids))
        foreground = allocation.load - background
        interval = _Interval(
            snap.t_s, rate[:n_bg], paths.routed[:n_bg], paths.hops[:n_bg], self._paths(paths, n_bg),
            self._link_rows(snap.t_s, ports, port_ids, capacity, background, foreground),
            self._summary(snap.t_s, ports, port_ids, capacity, background, foreground), allocation.rounds)
        clear_at = self.scenario.duration_s if next_s > self.scenario.duration_s else None
        return Allocated(port_ids, background, interval, clear_at)

    def apply(self, done: "Allocated", fabric) -> None:
        """Couple an allocation to the fabric's ports (None: routing only) and keep its
        tables. Called in interval order, before the interval's packets run."""
        self._couple(fabric, done.port_ids, done.background_gbps)
        if fabric is not None and self.spec.couple and done.clear_at_s is not None:
            fabric.clear_background_at(done.clear_at_s)  # the drain runs without it
        if done.interval is not None:
            self.intervals.append(done.interval)

    def _foreground(self, t_s: float, next_s: float):
        """Packet flows active in the interval, as demands at their line rate: UDP at its
        (peak) rate, a burst flow at its mean rate, TCP elastic (np.inf). Pings are left
        out (bytes per probe)."""
        if not self.spec.reserve_foreground:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        lay = self.states.layout
        src, dst, rate = [], [], []
        for flow in self.scenario.traffic:
            stop = flow.stop_s if flow.stop_s is not None else self.scenario.duration_s
            if flow.kind == "ping" or not (flow.start_s < next_s and stop > t_s):
                continue
            if flow.kind == "tcp_bulk":
                gbps = np.inf
            elif flow.kind == "udp_burst":
                gbps = flow.burst_packets * (flow.packet_bytes + UDP_WIRE_OVERHEAD_BYTES) * 8 / flow.period_s / 1e9
            else:
                gbps = flow.rate_mbps / 1e3 * (flow.packet_bytes + UDP_WIRE_OVERHEAD_BYTES) / flow.packet_bytes
            src.append(lay.node_index(flow.src))
            dst.append(lay.node_index(flow.dst))
            rate.append(gbps)
        return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(rate, dtype=float)

    def _trees(self, snap, roots: np.ndarray) -> np.ndarray:
        """Next-hop ports toward each root (nodes x roots), solved over snap's links and
        metric as the packets' own columns are (complete trees: every demand's source
        needs its entry, while the packets' columns need only their senders')."""
        return solve(snap.graph, roots, self.states.layout.n_nodes)

    def _couple(self, fabric, port_ids: np.ndarray, background_gbps: np.ndarray) -> None:
        """Set the background of the ports that carry some; clear it where it is gone."""
        if fabric is None or not self.spec.couple:
            return
        loaded = port_ids[background_gbps > 0]
        cleared = np.setdiff1d(self._coupled_ports, loaded)
        ids = np.concatenate([cleared, loaded])
        gbps = np.concatenate([np.zeros(len(cleared)), background_gbps[background_gbps > 0]])
        fabric.set_background(ids // self.stride, ids % self.stride, gbps, self.spec.min_packet_share)
        self._coupled_ports = loaded

    # -- ports ----------------------------------------------------------------------------

    def port_kind_tier(self, port_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index into KINDS and into tier_names ('ground' for stations) of each port."""
        lay = self.states.layout
        node, port = port_ids // self.stride, port_ids % self.stride
        sat = node < lay.n_satellites
        tier = np.full(len(node), len(lay.plans), dtype=np.int64)
        tier[sat] = lay.tier_of[node[sat]]
        isl_end = np.array([p.isl[0] + p.isl[1] for p in lay.plans] + [0])
        ground_first = np.array([p.ground[0] for p in lay.plans] + [0])
        kind = np.where(~sat | (port >= ground_first[tier]), 2, np.where(port < isl_end[tier], 0, 1))
        return kind, tier

    def capacity_gbps(self, port_ids: np.ndarray) -> np.ndarray:
        """Line rate x channels of each port; the RF rate on an RF ground segment."""
        laser = self.scenario.laser
        capacity = np.full(len(port_ids), laser.data_rate_gbps * laser.channels)
        gl = self.scenario.ground_links
        if gl.kind == "rf":
            kind, _ = self.port_kind_tier(port_ids)
            capacity[kind == 2] = gl.rf_data_rate_gbps
        return capacity

    # -- tables ---------------------------------------------------------------------------

    def _paths(self, paths, n_bg: int) -> list[str]:
        """Node names along each of the first record_paths background demands."""
        out = []
        index = np.cumsum(paths.routed) - 1
        for d in range(min(self.spec.record_paths, n_bg)):
            if not paths.routed[d]:
                out.append("unrouted")
                continue
            i = index[d]
            hops = paths.port_id[paths.start[i]:paths.start[i + 1]] // self.stride
            out.append(" ".join(self.names[np.append(hops, self.demands.dst[d])]))
        return out

    def _link_rows(self, t_s, ports, port_ids, capacity, background, foreground) -> dict:
        utilisation = (background + foreground) / np.maximum(capacity, 1e-300)
        order = np.lexsort((port_ids, -utilisation))[:self.spec.link_rows]
        ids = port_ids[order]
        kind, tier = self.port_kind_tier(ids)
        return {"time_s": np.full(len(ids), round(t_s, 9)), "node": self.names[ids // self.stride],
                "node_index": ids // self.stride, "port": ids % self.stride, "peer": self.names[ports.peer_node[ids]],
                "kind": np.array(KINDS, dtype=object)[kind],
                "tier": np.array(self.tier_names, dtype=object)[tier], "capacity_gbps": capacity[order],
                "background_gbps": background[order], "foreground_gbps": foreground[order],
                "utilisation": utilisation[order], "saturated": utilisation[order] >= SATURATED}

    def _summary(self, t_s, ports, port_ids, capacity, background, foreground) -> list[dict]:
        """Per link kind and tier (of the sending end): ports up, loaded, capacity, load."""
        up = np.flatnonzero(ports.peer_node >= 0)
        up_capacity = self.capacity_gbps(up)
        up_kind, up_tier = self.port_kind_tier(up)
        kind, tier = self.port_kind_tier(port_ids)
        utilisation = (background + foreground) / np.maximum(capacity, 1e-300)
        rows = []
        n_tiers = len(self.tier_names)
        for k in range(len(KINDS)):
            for t in range(n_tiers):
                here_up = (up_kind == k) & (up_tier == t)
                if not here_up.any():
                    continue
                here = (kind == k) & (tier == t)
                n_up = int(here_up.sum())
                rows.append({"time_s": round(t_s, 9), "kind": KINDS[k], "tier": self.tier_names[t], "ports_up": n_up,
                             "ports_loaded": int(here.sum()), "capacity_gbps": float(up_capacity[here_up].sum()),
                             "background_gbps": float(background[here].sum()),
                             "foreground_gbps": float(foreground[here].sum()),
                             "mean_utilisation": float(utilisation[here].sum() / n_up),
                             "max_utilisation": float(utilisation[here].max()) if here.any() else 0.0,
                             "saturated_ports": int((utilisation[here] >= SATURATED).sum())})
        return rows

    def write(self, run_dir: Path) -> dict:
        """load_links.csv, load_summary.csv, load_demands.csv; returns the manifest summary."""
        import pandas as pd

        def save(name: str, frame) -> None:
            with new_file(Path(run_dir) / name, "w", newline="") as f:
                frame.to_csv(f, index=False, lineterminator="\n", float_format="%.6f")

        links = [pd.DataFrame(iv.links, columns=LINK_COLUMNS) for iv in self.intervals]
        save("load_links.csv", pd.concat(links) if links else pd.DataFrame(columns=LINK_COLUMNS))
        save("load_summary.csv", pd.DataFrame([row for iv in self.intervals for row in iv.summary],
                                              columns=SUMMARY_COLUMNS))
        save("load_demands.csv", self._demand_table(pd))
        return self.summary()

    def _demand_table(self, pd):
        d = self.demands
        n = len(d)
        frames = []
        for iv in self.intervals:
            path = np.full(n, "", dtype=object)
            path[:len(iv.paths)] = iv.paths
            frames.append(pd.DataFrame({
                "time_s": np.full(n, round(iv.time_s, 9)), "demand": np.arange(n),
                "part": np.array(self.part_names, dtype=object)[d.part], "src": self.names[d.src],
                "dst": self.names[d.dst], "demand_gbps": d.rate_gbps, "allocated_gbps": iv.allocated_gbps,
                "satisfied": iv.allocated_gbps / d.rate_gbps, "routed": iv.routed, "hops": iv.hops, "path": path}))
        return pd.concat(frames) if frames else pd.DataFrame(columns=DEMAND_COLUMNS)

    def summary(self) -> dict:
        """Run figures over the intervals with background (means over intervals; maxima)."""
        offered = float(self.demands.rate_gbps.sum())
        if not self.intervals:
            return {"demands": len(self.demands), "offered_tbps": round(offered / 1e3, 9), "intervals": 0}
        carried = np.array([iv.allocated_gbps.sum() for iv in self.intervals])
        satisfied = np.array([(iv.allocated_gbps >= self.demands.rate_gbps * (1 - 1e-9)).mean()
                              for iv in self.intervals])
        rows = [row for iv in self.intervals for row in iv.summary]
        return {"demands": len(self.demands), "intervals": len(self.intervals),
                "offered_tbps": round(offered / 1e3, 9), "carried_tbps": round(float(carried.mean()) / 1e3, 9),
                "carried_fraction": round(float(carried.mean()) / offered, 6),
                "demands_satisfied": round(float(satisfied.mean()), 6),
                "routed_fraction": round(float(np.mean([iv.routed.mean() for iv in self.intervals])), 6),
                "max_utilisation": round(max(r["max_utilisation"] for r in rows), 6),
                "saturated_ports": max(sum(r["saturated_ports"] for r in iv.summary) for iv in self.intervals),
                "link_load_tbps": round(float(np.mean([sum(r["background_gbps"] for r in iv.summary)
                                                       for iv in self.intervals])) / 1e3, 9),
                "allocation_rounds": max(iv.rounds for iv in self.intervals),
                "coupled": self.spec.couple}
