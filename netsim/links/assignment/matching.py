"""Greedy matching of feasible pairs under terminal counts, with hysteresis."""

from __future__ import annotations

import numpy as np

from netsim.links.assignment import _kernels as K

POLICIES = ("nearest", "least_loaded")


def _order_by_distance(rows: np.ndarray, a, b, dist) -> np.ndarray:
    """rows sorted by (distance, a, b): a stable sort on distance, then lexsort only if
    some distances tie."""
    order = rows[np.argsort(dist[rows], kind="stable")]
    d = dist[order]
    if len(d) > 1 and np.any(d[1:] == d[:-1]):
        order = rows[np.lexsort((b[rows], a[rows], dist[rows]))]
    return order


def match(a, b, distance_m, a_capacity: np.ndarray, b_capacity: np.ndarray, policy: str = "nearest",
          keep: tuple[np.ndarray, np.ndarray] | None = None, *, return_rows: bool = False):
    """Chosen (a, b) pairs among the feasible pairs (a, b, distance_m), sorted by row.

    a_capacity / b_capacity: free terminals per global node (indexable by node; they are
    not modified; for an intra-tier set pass the same array twice). Policies:
    "nearest": pairs in increasing distance (ties: lower a, then lower b), taken while
    both ends have a free terminal; "least_loaded": rounds over the a nodes in increasing
    number, each with a free terminal taking the feasible b with the fewest links so far
    (ties: nearest, then lower node); when a and b share nodes (intra-tier) every node
    chooses, among all its pairs.
    keep: existing links (either orientation); those among the feasible pairs are taken
    first, shortest first, while capacity lasts: hysteresis against flapping.
    Never exceeds a capacity. return_rows: also return the chosen rows of the input."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES} (got {policy!r})")
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    dist = np.asarray(distance_m, dtype=np.float64)
    same_caps = a_capacity is b_capacity
    n_nodes = int(max(a.max(initial=-1), b.max(initial=-1))) + 1
    cap = np.zeros(n_nodes, dtype=np.int64)
    # Capacity per node (a node in both sets, same array: one budget).
    if len(a):
        cap[b] = np.asarray(b_capacity)[b]
        cap[a] = np.asarray(a_capacity)[a]
    shared = False
    if len(a):  # do a and b share nodes? (a mask, not a sort of millions of keys)
        in_a = np.zeros(n_nodes, dtype=bool)
        in_a[a] = True
        shared = bool(in_a[b].any())
    overlap = same_caps and shared
    if not same_caps and shared:
        raise ValueError("a and b share nodes: pass the same capacity array for both")
    taken = np.zeros(len(a), dtype=bool)
    start = rows = None
    if keep is not None and len(keep[0]) and len(a):
        start, rows = K.group_rows(a, n_nodes)
        found = K.find_kept(a, b, start, rows, np.asarray(keep[0], dtype=np.int64),
                            np.asarray(keep[1], dtype=np.int64))
        is_kept = np.zeros(len(a), dtype=bool)
        is_kept[found[found >= 0]] = True
        kept = np.flatnonzero(is_kept)
        use = np.bincount(a[kept], minlength=n_nodes) + np.bincount(b[kept], minlength=n_nodes)
        if np.all(use <= cap):  # all fit: the greedy would take every one, in any order
            taken[kept] = True
            cap -= use
        else:
            K.greedy_take(a, b, _order_by_distance(kept, a, b, dist), cap, taken)
    if policy == "nearest":
        free = np.flatnonzero(~taken & (cap[a] > 0) & (cap[b] > 0))
        K.greedy_take(a, b, _order_by_distance(free, a, b, dist), cap, taken)
    else:
        load = np.zeros(n_nodes, dtype=np.int64)
        np.add.at(load, a[taken], 1)
        np.add.at(load, b[taken], 1)
        if overlap:
            both = np.concatenate([a, b])
            start, rows = K.group_rows(both, n_nodes)
            rows = rows % len(a)  # row of the pair, whichever end the node is
            choosers = np.unique(both)
        else:
            if start is None:
                start, rows = K.group_rows(a, n_nodes)
            choosers = np.unique(a)
        K.least_loaded(a, b, dist, choosers, start, rows, cap, load, taken, overlap)
    chosen = np.flatnonzero(taken)
    if return_rows:
        return a[chosen], b[chosen], chosen
    return a[chosen], b[chosen]
