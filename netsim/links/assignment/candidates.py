"""Feasible peer pairs between two terminal groups at one instant, from k-nearest lists
of a k-d tree (never all pairs)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.spatial import cKDTree

from netsim.links.assignment import _kernels as K
from netsim.links.assignment.terminals import TerminalGeometry

# Same-set queries split the tier into the satellites heading north and those heading
# south (sign of v_z); each sheet's tree also holds the other sheet's satellites whose
# v_z / |v| is within this margin of 0, so co-moving neighbours near the turning
# latitudes are not lost (widened for sparse sets, see _knn_same_set).
SHEET_OVERLAP = 0.05


class NeighbourCache:
    """k-nearest lists of one terminal-group pair, reused across consecutive steps.

    Satellites that fly together stay neighbours for minutes (7.6 km/s against tens of
    km of spacing, the relative motion of neighbours is a small fraction of that), so
    the k-d tree queries (most of feasible_pairs) need not run every step. The lists are
    recomputed on the first call, every `refresh_every` calls, and whenever the node sets
    or k change. They only choose the candidates: feasible_pairs filters every candidate
    (and every include) on the current positions, so a stale list can miss a new pair
    for a few steps but never yields an infeasible one. Deterministic: the result depends
    only on the sequence of calls."""

    def __init__(self, refresh_every: int = 10):
        if refresh_every < 1:
            raise ValueError(f"refresh_every must be >= 1 (got {refresh_every})")
        self.refresh_every = refresh_every
        self._key = None
        self._lists = None
        self._age = 0

    def _same(self, key) -> bool:
        old = self._key
        return (old is not None and old[2:] == key[2:] and len(old[0]) == len(key[0])
                and len(old[1]) == len(key[1]) and np.array_equal(old[0], key[0])
                and np.array_equal(old[1], key[1]))

    def lists(self, key, compute):
        if self._age < self.refresh_every and self._same(key):
            self._age += 1
            return self._lists
        self._lists = compute()
        self._key = (key[0].copy(), key[1].copy(), *key[2:])
        self._age = 1
        return self._lists


def _tree(points: np.ndarray) -> cKDTree:
    return cKDTree(points, leafsize=64, balanced_tree=False, compact_nodes=False)  # fastest build + query at 800 k


def _knn(tree_points: np.ndarray, query_points: np.ndarray, k: int, cut: float = np.inf) -> np.ndarray:
    """Rows of tree_points nearest to each query point and closer than `cut`, (n, k),
    -1 for missing."""
    k = min(k, len(tree_points))
    if k == 0 or not len(query_points):
        return np.full((len(query_points), max(k, 1)), -1, dtype=np.int64)
    # Each point alone: any split over the cores gives the same lists.
    _, idx = _tree(tree_points).query(query_points, k=k, workers=-1, distance_upper_bound=cut)
    idx = idx.reshape(len(query_points), k).astype(np.int64)
    idx[idx >= len(tree_points)] = -1
    return idx


def _knn_same_set(pos: np.ndarray, vel: np.ndarray, k: int, sheets: bool) -> np.ndarray:
    """k nearest others of each point of one set, (n, k) rows, -1 for missing."""
    if not sheets:
        return _knn(pos, pos, k + 1)
    north = vel[:, 2] / np.linalg.norm(vel, axis=1)
    # Sparse sets: neighbours are far apart in latitude, widen the overlap (mean spacing
    # sqrt(4 pi / n) rad, a few of them).
    overlap = max(SHEET_OVERLAP, 4 * np.sqrt(4 * np.pi / max(len(pos), 1)))
    out = np.full((len(pos), min(k + 1, len(pos))), -1, dtype=np.int64)
    for queries, members in ((north >= 0, north >= -overlap), (north < 0, north <= overlap)):
        q = np.flatnonzero(queries)
        if not len(q):
            continue
        m = np.flatnonzero(members)
        idx = _knn(pos[m], pos[q], k + 1)
        idx = np.where(idx >= 0, m[np.maximum(idx, 0)], -1)
        out[q, :idx.shape[1]] = idx
    return out


def _row_of(nodes: np.ndarray, size: int) -> np.ndarray:
    row = np.full(size, -1, dtype=np.int64)
    row[nodes] = np.arange(len(nodes))
    return row


def feasible_pairs(pos_m, vel_mps, a_nodes, a_group: TerminalGeometry, b_nodes, b_group: TerminalGeometry,
                   max_range_m, earth_radius_m, grazing_altitude_m, same_set: bool = False, *,
                   k: int = 8, query_from: str = "auto", sheets: bool = True,
                   include: tuple[np.ndarray, np.ndarray] | None = None,
                   neighbours: "NeighbourCache | None" = None,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate peer pairs feasible now: (a, b, distance_m), global node numbers.

    A pair is feasible when it is within max_range_m, its straight line stays above
    earth_radius_m + grazing_altitude_m, the peer is inside the FoR of at least one
    terminal of each end's group, and the line of sight's angular rate in each end's
    body frame is within that group's slew limit (netsim.space.attitude).

    Candidates are the k nearest of each query node (not every pair in range):
    - same_set (A and B the same node set, intra-tier): each node's k nearest others,
      among the satellites heading the same way (north/south, `sheets=True`): the others
      cross at several km/s and fail any slew limit. Each unordered pair once, a < b.
    - otherwise each query node's k nearest of the other set; query_from "a", "b", "both"
      or "auto" (the side with fewer terminals in total: it is the scarce side, and every
      one of its nodes gets k choices). The query points are projected radially onto the
      other set's median radius: for a shell of one radius the nearest in angle are the
      nearest in distance, and the tree search is several times faster.
    include: extra (a, b) pairs to test as well (e.g. the links up now, so that
    hysteresis does not depend on them staying among the k nearest).
    neighbours: a NeighbourCache (one per group, kept across steps): the k-nearest
    lists are recomputed only every `refresh_every` calls and reused in between; every
    candidate and include is still filtered on this step's geometry.
    Output order: by query node, then neighbour rank; includes last. Deterministic."""
    pos = np.ascontiguousarray(pos_m, dtype=np.float64)
    vel = np.ascontiguousarray(vel_mps, dtype=np.float64)
    a_nodes = np.asarray(a_nodes, dtype=np.int64)
    b_nodes = a_nodes if same_set else np.asarray(b_nodes, dtype=np.int64)
    if not same_set:
        if query_from == "auto":
            query_from = "a" if len(a_nodes) * a_group.count <= len(b_nodes) * b_group.count else "b"
        if query_from not in ("a", "b", "both"):
            raise ValueError(f"query_from must be 'a', 'b', 'both' or 'auto' (got {query_from!r})")

    def nearest():
        empty_nbr = np.zeros((0, 1), dtype=np.int64)
        if same_set:
            return _knn_same_set(pos[a_nodes], vel[a_nodes], k, sheets), empty_nbr
        nbr_a = nbr_b = empty_nbr
        if query_from in ("a", "both") and len(b_nodes):
            nbr_a = _knn_across(pos, a_nodes, a_group, b_nodes, b_group, k, max_range_m)
        if query_from in ("b", "both") and len(a_nodes):
            nbr_b = _knn_across(pos, b_nodes, b_group, a_nodes, a_group, k, max_range_m)
        return nbr_a, nbr_b

    if neighbours is None:
        nbr_a, nbr_b = nearest()
    else:
        nbr_a, nbr_b = neighbours.lists((a_nodes, b_nodes, k, query_from, same_set, sheets), nearest)
    size = len(pos)
    if include is not None and len(include[0]):
        inc_a = np.asarray(include[0], dtype=np.int64)
        inc_b = np.asarray(include[1], dtype=np.int64)
        row_a, row_b = _row_of(a_nodes, size), _row_of(b_nodes, size)
    else:
        inc_a = inc_b = row_a = row_b = np.zeros(0, dtype=np.int64)
    cand_a, cand_b, listed = K.emit_candidates(a_nodes, b_nodes, nbr_a, nbr_b, same_set, inc_a, inc_b, row_a, row_b)
    if len(cand_a) - listed > 1:
        # An include listed twice is emitted twice: keep its first (the pairs from the
        # k-nearest lists are distinct and no include repeats one of them).
        inc_a, inc_b = cand_a[listed:], cand_b[listed:]
        key = np.minimum(inc_a, inc_b) * size + np.maximum(inc_a, inc_b) if same_set else inc_a * size + inc_b
        _, first = np.unique(key, return_index=True)
        if len(first) < len(key):
            first.sort()
            cand_a = np.concatenate([cand_a[:listed], inc_a[first]])
            cand_b = np.concatenate([cand_b[:listed], inc_b[first]])
    ok, dist = pairs_feasible(pos, vel, cand_a, a_group, cand_b, b_group, max_range_m, earth_radius_m,
                              grazing_altitude_m)
    return cand_a[ok], cand_b[ok], dist[ok]


def pairs_feasible(pos_m, vel_mps, a, a_group: TerminalGeometry, b, b_group: TerminalGeometry, max_range_m,
                   earth_radius_m, grazing_altitude_m) -> tuple[np.ndarray, np.ndarray]:
    """(feasible, distance_m) of the given (a, b) pairs, by feasible_pairs' test: the
    answer feasible_pairs gives for a candidate pair in that orientation (same set:
    lower node first)."""
    pos = np.ascontiguousarray(pos_m, dtype=np.float64)
    vel = np.ascontiguousarray(vel_mps, dtype=np.float64)
    return _on_all_cores(lambda x, y: K.filter_pairs(
        pos, vel, x, y, a_group.vectors, a_group.cos_for, a_group.max_slew_rate_rad_s, b_group.vectors,
        b_group.cos_for, b_group.max_slew_rate_rad_s, float(max_range_m), float(earth_radius_m + grazing_altitude_m)),
        np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))


def _on_all_cores(kernel, a: np.ndarray, b: np.ndarray, min_pairs: int = 100_000):
    """kernel(a, b) -> per-pair arrays, run on slices of the pairs over the cores (the
    kernels release the GIL and look at one pair at a time: the same arrays, joined)."""
    parts = min(os.cpu_count() or 1, max(1, len(a) // min_pairs))
    if parts == 1:
        return kernel(a, b)
    bounds = np.linspace(0, len(a), parts + 1).astype(np.int64)
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(lambda i: kernel(a[bounds[i]:bounds[i + 1]], b[bounds[i]:bounds[i + 1]]), range(parts)))
    return tuple(np.concatenate(arrays) for arrays in zip(*done))


def _knn_across(pos, q_nodes, q_group: TerminalGeometry, t_nodes, t_group: TerminalGeometry, k: int,
                max_range_m: float) -> np.ndarray:
    """Rows of t_nodes nearest to each of q_nodes, the query points projected radially
    onto the median radius of t_nodes, searched only as far as a pair can be feasible."""
    tree, query = pos[t_nodes], pos[q_nodes]
    if not len(query):
        return _knn(tree, query, k)
    t_radius, q_radius = np.linalg.norm(tree, axis=1), np.linalg.norm(query, axis=1)
    radius = float(np.median(t_radius))
    projected = query * (radius / q_radius)[:, None]
    return _knn(tree, projected, k, _search_cut(q_radius, q_group, t_radius, t_group, radius, float(max_range_m)))


def _search_cut(q_radius, q_group: TerminalGeometry, t_radius, t_group: TerminalGeometry, radius: float,
                max_range_m: float) -> float:
    """Distance from a projected query point beyond which no (query, tree) pair can pass
    filter_pairs, so the k-nearest search stops there (the lists then differ from an
    unbounded search only by pairs the filter drops, and feasible_pairs' output not at all).
    - range: projecting moves a query point by |r - radius| (triangle inequality);
    - fields of regard: a set lying wholly below the other sees its peers at or above
      its terminals' least elevation, which bounds the central angle of a pair (worst
      case: that set's lowest point, the other's highest), hence the distance.
    Widened by 1e-7 relative and 1 m against rounding."""
    cut = max_range_m + float(np.max(np.abs(q_radius - radius)))
    angle = np.pi
    q_span, t_span = (float(q_radius.min()), float(q_radius.max())), (float(t_radius.min()), float(t_radius.max()))
    for group, (low, high), (peer_low, peer_high) in ((q_group, q_span, t_span), (t_group, t_span, q_span)):
        elevation = _least_elevation(group)
        if high <= peer_low and elevation > -np.pi / 2:
            # Elevation e of a peer at radius R seen from radius r at central angle c:
            # R cos(c + e) = r cos(e); it falls as c grows when r <= R.
            angle = min(angle, np.arccos(min(1.0, low * np.cos(elevation) / peer_high)) - elevation)
    angle = min(np.pi, max(angle, 0.0) + 1e-9)
    chord = max(np.sqrt(radius**2 + r**2 - 2 * radius * r * np.cos(angle)) for r in t_span)
    return min(cut, chord) * (1 + 1e-7) + 1.0


def _least_elevation(group: TerminalGeometry) -> float:
    """Lowest elevation (rad) of a direction inside the field of regard of any of the
    group's terminals (body z is nadir: a boresight at angle b from nadir with FoR f
    reaches down to elevation max(b - f, 0) - 90 deg)."""
    if group.count == 0:
        return -np.pi / 2
    from_nadir = np.arccos(np.clip(group.vectors[:, 2], -1.0, 1.0))
    return float(np.min(np.maximum(from_nadir - group.field_of_regard_rad, 0.0))) - np.pi / 2
