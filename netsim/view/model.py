"""The data of a view: per frame (a routing update) the Earth-fixed positions of the nodes
drawn, the links drawn with their state and load, and the path of every reported pair.

Where the frames come from:
- a scenario file: NetworkStates stepped through a few instants (no packets); paths by
  following the next-hop tables (routing only toward the reported destinations);
- a run folder: paths as the run recorded them (rtt.csv); link states by replaying the
  run's network state update by update (the same generator the runner steps, so the same
  links, handovers and acquisition draws) when that is affordable, otherwise the links
  on the recorded paths only; link loads from link_traffic.csv.
Large constellations are sampled: at most `max_per_tier` satellites per tier are drawn
(a fixed random sample) plus every satellite on a path or serving a station.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.routing.paths import follow_path, path_delay_s
from netsim.run.network_state import NetworkStates
from netsim.run.paths import UNREACHABLE, report_pairs
from netsim.run.traffic import port_kinds
from netsim.space.earth_fixed import geodetic, rotation_at_epoch_rad, to_earth_fixed
from netsim.view.source import Source

ISL, INTER_TIER, GROUND = 0, 1, 2
KIND_NAMES = ("isl", "inter_tier", "ground")
UP, DARK, DOWN = 0, 1, 2
STATE_NAMES = ("up", "dark (acquiring)", "down")

# Defaults: satellites drawn per tier, frames on the slider, and how much network state
# (satellites x snapshots) a view may compute: the 1.218 M-satellite seed fabric gets one
# snapshot, a 10 k-satellite fabric a few hundred.
MAX_PER_TIER = 3000
MAX_FRAMES = 200
SCENARIO_INSTANTS = 11
STATE_BUDGET = 1_500_000
MAX_PAIRS = 60


@dataclass
class LinkSet:
    """Links drawn in one frame: ends (node indices), kind, state, utilisation (NaN if
    not measured)."""

    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    state: np.ndarray
    util: np.ndarray

    @staticmethod
    def empty() -> "LinkSet":
        z = np.zeros(0, dtype=np.int64)
        return LinkSet(z, z, z, z, np.zeros(0))

    def __len__(self) -> int:
        return len(self.a)

    def select(self, mask) -> "LinkSet":
        return LinkSet(self.a[mask], self.b[mask], self.kind[mask], self.state[mask], self.util[mask])


@dataclass
class PathRecord:
    src: str
    dst: str
    nodes: list[int] | None  # None: unreachable at this update
    rtt_ms: float
    hops: int | None


@dataclass
class Frame:
    t_s: float
    update: int  # index into Source.update_times
    nodes: np.ndarray  # node indices with a position in this frame (sorted)
    lat: np.ndarray
    lon: np.ndarray
    alt_km: np.ndarray
    satellites: np.ndarray  # satellites drawn as markers (sample + path + serving)
    links: LinkSet
    paths: list[PathRecord]
    serving: list[np.ndarray]  # per station: the satellites it links to (none when out of view)

    def where(self, nodes) -> np.ndarray:
        """Rows of `nodes` in this frame's position arrays."""
        return np.searchsorted(self.nodes, nodes)


@dataclass
class ViewModel:
    source: Source
    names: list[str] | tuple[str, ...]  # node names: satellites then stations
    n_satellites: int
    tier_names: list[str]
    tier_of: np.ndarray
    tier_counts: list[int]
    sample: np.ndarray  # satellites drawn in every frame
    frames: list[Frame]
    initial: int  # frame shown first
    notes: list[str] = field(default_factory=list)
    link_states: str = "every update"  # how link states were obtained (for the page)

    @property
    def has_utilisation(self) -> bool:
        return self.source.utilisation is not None


def build(source: Source, update: int, max_per_tier: int = MAX_PER_TIER, max_frames: int = MAX_FRAMES,
          state_budget: int = STATE_BUDGET) -> ViewModel:
    """Frames of a source; `update` (Source.update_times index) is shown first."""
    scenario = source.scenario
    pairs = (report_pairs(scenario, "flows") if source.kind == "scenario"
             else list(dict.fromkeys((r["src"], r["dst"]) for r in source.rtt_rows)))
    notes = []
    if len(pairs) > MAX_PAIRS:
        notes.append(f"Showing the paths of {MAX_PAIRS} of {len(pairs)} reported pairs.")
        pairs = pairs[:MAX_PAIRS]
    # A scenario routes toward the reported pairs' stations only (both ends: the round
    # trip follows the path back too); a run recorded its paths, so it routes nowhere.
    states = NetworkStates(scenario, routed={end for pair in pairs for end in pair}
                           if source.kind == "scenario" else ())
    lay = states.layout
    n_sat = lay.n_satellites
    sample = _sample(lay.tier_of, len(scenario.constellation.tiers), max_per_tier)
    model = ViewModel(source, tuple(lay.satellite_names) + tuple(lay.ground_names), n_sat,
                      [t.name for t in scenario.constellation.tiers], lay.tier_of,
                      [int(np.sum(lay.tier_of == i)) for i in range(len(scenario.constellation.tiers))],
                      sample, [], 0, notes)
    builder = _FrameBuilder(model, states)
    n_updates = len(source.update_times)
    if source.kind == "scenario":
        wanted = _scenario_instants(n_updates, update, max(1, min(SCENARIO_INSTANTS, state_budget // max(n_sat, 1))))
        for u in wanted:
            snap = states.at(float(source.update_times[u]))
            model.frames.append(builder.from_snapshot(snap, u, builder.scenario_paths(snap, pairs)))
        model.link_states = ("computed at each instant shown" if len(wanted) > 1
                             else "computed at this instant")
    else:
        wanted = _run_frames(n_updates, update, max_frames)
        if len(wanted) < n_updates:
            notes.append(f"Showing {len(wanted):,} of {n_updates:,} routing updates (evenly spread).")
        recorded = _recorded_paths(source, pairs, model.names)
        replay_updates = int(wanted[-1]) + 1
        if n_sat * replay_updates <= state_budget:
            # Same calls as the runner, update by update: the same link states and draws.
            # Routes are not needed (the run recorded its paths): no Dijkstra.
            keep = set(int(u) for u in wanted)
            for u in range(replay_updates):
                snap = states.at(float(source.update_times[u]))
                if u in keep:
                    t_key = round(float(source.update_times[u]), 6)
                    model.frames.append(builder.from_snapshot(snap, u, recorded.get(t_key, [])))
            model.link_states = "replayed from the run's scenario at every update shown"
        else:
            for u in wanted:
                t_s = float(source.update_times[u])
                model.frames.append(builder.from_paths(t_s, u, recorded.get(round(t_s, 6), [])))
            model.link_states = ("links on the recorded paths only (replaying "
                                 f"{n_sat:,} satellites x {replay_updates:,} updates is past the view's budget)")
    model.initial = next(i for i, f in enumerate(model.frames) if f.update == update)
    return model


def _sample(tier_of: np.ndarray, n_tiers: int, max_per_tier: int) -> np.ndarray:
    """A fixed random sample of at most max_per_tier satellites of each tier (all of a
    smaller tier), in node order."""
    rng = np.random.default_rng(0)
    parts = []
    for ti in range(n_tiers):
        mine = np.flatnonzero(tier_of == ti)
        if len(mine) > max_per_tier:
            mine = np.sort(rng.choice(mine, max_per_tier, replace=False))
        parts.append(mine)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _scenario_instants(n_updates: int, update: int, count: int) -> list[int]:
    """`count` updates spread over the scenario, always including `update`."""
    if count <= 1:
        return [update]
    spread = np.unique(np.round(np.linspace(0, n_updates - 1, count)).astype(int))
    return sorted(set(spread.tolist()) | {update})


def _run_frames(n_updates: int, update: int, max_frames: int) -> np.ndarray:
    """At most max_frames updates evenly spread over the run, one of them `update`."""
    if n_updates <= max_frames:
        return np.arange(n_updates)
    spread = np.unique(np.round(np.linspace(0, n_updates - 1, max_frames)).astype(int))
    if update not in spread:
        spread[np.argmin(np.abs(spread - update))] = update
    return np.unique(spread)


def _recorded_paths(source: Source, pairs, names) -> dict[float, list[PathRecord]]:
    """rtt.csv rows of the chosen pairs, by update time, with node names -> indices."""
    index = {}
    wanted = set(pairs)
    out: dict[float, list[PathRecord]] = {}
    for row in source.rtt_rows:
        if (row["src"], row["dst"]) not in wanted:
            continue
        nodes = None
        if row["reachable"] == "True" and row["path"] != UNREACHABLE:
            hop_names = row["path"].split(">")
            if not index:
                index = {name: i for i, name in enumerate(names)}
            nodes = [index[n] for n in hop_names if n in index]
            if len(nodes) != len(hop_names):
                nodes = None
        rtt = float(row["rtt_ms"]) if row["rtt_ms"] not in ("", "nan") else float("nan")
        hops = int(row["hops"]) if row["hops"] else None
        out.setdefault(round(float(row["time_s"]), 6), []).append(
            PathRecord(row["src"], row["dst"], nodes, rtt, hops))
    return out


class _FrameBuilder:
    def __init__(self, model: ViewModel, states: NetworkStates):
        self.model = model
        self.states = states
        self.lay = states.layout
        self.rotation = rotation_at_epoch_rad(model.source.scenario.epoch)
        util = model.source.utilisation
        if util:
            keys = np.array([n * 256 + p for n, p in util], dtype=np.int64)
            order = np.argsort(keys)
            self.util_keys, self.util_values = keys[order], np.array(list(util.values()))[order]
        else:
            self.util_keys, self.util_values = np.zeros(0, np.int64), np.zeros(0)

    def scenario_paths(self, snap, pairs) -> list[PathRecord]:
        lay = self.lay
        records = []
        for src, dst in pairs:
            there = self._follow(snap, lay.node_index(src), dst)
            back = self._follow(snap, lay.node_index(dst), src)
            if there is None or back is None:
                records.append(PathRecord(src, dst, None, float("nan"), None))
            else:
                rtt = (path_delay_s(snap, there) + path_delay_s(snap, back)) * 1e3
                records.append(PathRecord(src, dst, there, rtt, len(there) - 1))
        return records

    def _follow(self, snap, src: int, dst_name: str) -> list[int] | None:
        return follow_path(snap, self.lay.n_satellites, src, self.lay.ground_names.index(dst_name))

    # -- frames ----------------------------------------------------------------------------
    def from_snapshot(self, snap, update: int, paths: list[PathRecord]) -> Frame:
        """A frame from a network-state snapshot: every link with both ends drawn."""
        links = self._snapshot_links(snap)
        serving = [snap.ground.of_station(g).copy() for g in range(len(self.lay.ground_names))]
        drawn = self._drawn_mask(paths, serving)
        links = links.select(drawn[links.a] & drawn[links.b])
        return self._frame(snap.t_s, update, snap.pos_m, links, paths, serving, drawn)

    def from_paths(self, t_s: float, update: int, paths: list[PathRecord]) -> Frame:
        """A frame from recorded paths alone: the links on them (up, or dark for a ground
        link still acquiring after a handover), positions from the orbits."""
        n_sat = self.lay.n_satellites
        linked: list[set] = [set() for _ in self.lay.ground_names]
        ends = set()
        for p in paths:
            if p.nodes:
                linked[p.nodes[0] - n_sat].add(p.nodes[1])
                linked[p.nodes[-1] - n_sat].add(p.nodes[-2])
                ends.update(zip(p.nodes[:-1], p.nodes[1:]))
        serving = [np.array(sorted(s), dtype=np.int64) for s in linked]
        pairs = np.array(sorted({(min(a, b), max(a, b)) for a, b in ends}), dtype=np.int64).reshape(-1, 2)
        a, b = pairs[:, 0], pairs[:, 1]
        ground = b >= n_sat
        same_tier = ~ground & (self.lay.tier_of[a] == self.lay.tier_of[np.minimum(b, n_sat - 1)])
        kind = np.where(ground, GROUND, np.where(same_tier, ISL, INTER_TIER))
        state = np.full(len(a), UP)
        for i in np.flatnonzero(ground):
            if self._ground_dark(self.model.names[b[i]], self.model.names[a[i]], t_s):
                state[i] = DARK
        links = LinkSet(a, b, kind, state, self._path_link_util(a, b, kind))
        pos, _ = self.states.positions(t_s)
        drawn = self._drawn_mask(paths, serving)
        return self._frame(t_s, update, pos, links, paths, serving, drawn)

    def _frame(self, t_s, update, pos_m, links, paths, serving, drawn) -> Frame:
        nodes = np.flatnonzero(drawn)
        lat, lon, alt = geodetic(to_earth_fixed(pos_m[nodes], t_s, self.rotation))
        satellites = nodes[nodes < self.lay.n_satellites]
        return Frame(t_s, update, nodes, np.round(lat, 3), np.round(lon, 3), np.round(alt / 1e3, 1), satellites,
                     links, paths, serving)

    def _drawn_mask(self, paths, serving) -> np.ndarray:
        n_sat = self.lay.n_satellites
        drawn = np.zeros(self.lay.n_nodes, dtype=bool)
        drawn[self.model.sample] = True
        drawn[n_sat:] = True
        for satellites in serving:
            drawn[satellites] = True
        for p in paths:
            if p.nodes:
                drawn[p.nodes] = True
        return drawn

    def _snapshot_links(self, snap) -> LinkSet:
        """Every link of the snapshot with its state: +Grid links (up, dark while they
        acquire after coming back, down when out of sight or range), assigned links (ISL
        and inter-tier; dark until acquired), ground links (dark after a handover)."""
        states, t = self.states, snap.t_s + 1e-12
        n_sat = self.lay.n_satellites
        parts = []
        isl = states.isl
        if len(isl):
            state = np.where(~snap.isl_up, DOWN, np.where(states.isl_ready_s > t, DARK, UP))
            parts.append((isl.node_a, isl.port_a, isl.node_b, isl.port_b, np.full(len(isl), ISL), state))
        for group in states.groups:
            kind = ISL if group.kind == "isl" else INTER_TIER
            cur, draining = group.links(), group.draining_links()
            parts.append((cur.node_a, cur.port_a, cur.node_b, cur.port_b, np.full(len(cur), kind),
                          np.where(group.ready_s > t, DARK, UP)))
            parts.append((draining.node_a, draining.port_a, draining.node_b, draining.port_b,
                          np.full(len(draining), kind), np.full(len(draining), UP)))
        ground = snap.ground.links(n_sat)
        parts.append((ground.node_a, ground.port_a, ground.node_b, ground.port_b, np.full(len(ground), GROUND),
                      np.where(np.asarray(snap.ground_ready_s) > t, DARK, UP)))
        a, pa, b, pb, kind, state = (np.concatenate([np.asarray(p[k]) for p in parts]).astype(np.int64)
                                     for k in range(6))
        util = np.fmax(self._util(a, pa), self._util(b, pb))
        return LinkSet(a, b, kind, state, util)

    def _util(self, nodes, ports) -> np.ndarray:
        out = np.full(len(nodes), np.nan)
        if self.model.source.utilisation is None:
            return out
        out[:] = 0.0
        if not len(self.util_keys):
            return out
        keys = nodes.astype(np.int64) * 256 + ports
        i = np.minimum(np.searchsorted(self.util_keys, keys), len(self.util_keys) - 1)
        hit = self.util_keys[i] == keys
        out[hit] = self.util_values[i[hit]]
        return out

    def _path_link_util(self, a, b, kind) -> np.ndarray:
        """Utilisation of path links whose ports are not recorded: +Grid ISLs by their
        fixed ports; otherwise the busiest port of that kind at each end (exact when a node
        has one terminal of that kind, an upper bound otherwise)."""
        if self.model.source.utilisation is None:
            return np.full(len(a), np.nan)
        isl = self.states.isl
        out = np.zeros(len(a))
        if len(isl):
            lo, hi = np.minimum(isl.node_a, isl.node_b).astype(np.int64), np.maximum(isl.node_a, isl.node_b)
            keys = lo * (self.lay.n_nodes + 1) + hi
            order = np.argsort(keys)
        for i in range(len(a)):
            u, v, k = int(a[i]), int(b[i]), int(kind[i])
            if k == ISL and len(isl):
                key = u * (self.lay.n_nodes + 1) + v
                j = np.searchsorted(keys, key, sorter=order)
                if j < len(keys) and keys[order[j]] == key:
                    r = order[j]
                    out[i] = np.nanmax(np.r_[self._util(np.array([isl.node_a[r], isl.node_b[r]]),
                                                        np.array([isl.port_a[r], isl.port_b[r]]))])
                    continue
            name = KIND_NAMES[k]
            best = 0.0
            for node in (u, v):
                ports = [p for p, kk in enumerate(port_kinds(self.lay, node)) if kk == name]
                if ports:
                    best = max(best, float(np.max(self._util(np.full(len(ports), node), np.array(ports)))))
            out[i] = best
        return out

    def _ground_dark(self, station: str, satellite: str, t_s: float) -> bool:
        """A station's link to `satellite` is dark at t_s if its last handover to it
        (handovers.csv) started less than its outage before t_s."""
        dark = False
        for row in self.model.source.handover_rows:
            if row["node"] == station and row["new_peer"] == satellite and float(row["time_s"]) <= t_s + 1e-9:
                dark = t_s < float(row["time_s"]) + float(row["outage_s"]) - 1e-12
        return dark
