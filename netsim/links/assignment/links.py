"""One call per step and terminal-group pair: match feasible pairs and give each link a
terminal at both ends, re-matching the capacity freed by pairs no terminal could serve."""

from __future__ import annotations

import numpy as np

from netsim.links.assignment import _kernels as K
from netsim.links.assignment.matching import match
from netsim.links.assignment.terminals import TerminalGeometry, assign_link_terminals, assign_terminals

# Re-match passes after the first: each uses only the capacity the previous pass left.
EXTRA_PASSES = 2


def assign_links(pos_m, vel_mps, a, b, distance_m, a_group: TerminalGeometry, b_group: TerminalGeometry,
                 a_capacity: np.ndarray, b_capacity: np.ndarray, policy: str = "nearest",
                 keep: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
                 same_set: bool = False, passes: int = 1 + EXTRA_PASSES):
    """(a, b, term_a, term_b) of the links for this step, every row with a terminal at
    both ends.

    Matching counts terminals, not their fields of regard, so a node can be given more
    peers in one direction than its terminals there can serve: assign_terminals then
    drops those pairs. This repeats `match` with the chosen pairs as `keep` and the
    dropped pairs removed from the candidates, `passes` times in all.
    keep: the links up now as (a, b, term_a, term_b); continuing links keep their
    terminals when these still see the peer."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    dist = np.asarray(distance_m, dtype=np.float64)
    alive = np.ones(len(a), dtype=bool)
    # Previous terminals by candidate row (either orientation of the kept pair).
    prev_a = np.full(len(a), -1, dtype=np.int64)
    prev_b = np.full(len(a), -1, dtype=np.int64)
    keep_pairs = None
    if keep is not None and len(keep[0]):
        ka, kb = np.asarray(keep[0], dtype=np.int64), np.asarray(keep[1], dtype=np.int64)
        keep_pairs = (ka, kb)
        _lookup_previous(a, b, keep, prev_a, prev_b)
    # Pass 1: the full match, then terminals at both ends.
    rows = match(a, b, dist, a_capacity, b_capacity, policy, keep_pairs, return_rows=True)[2]
    ta, tb = assign_link_terminals(pos_m, vel_mps, a[rows], b[rows], a_group, b_group, same_set,
                                   previous=(prev_a[rows], prev_b[rows]))
    good = (ta >= 0) & (tb >= 0)
    chosen_rows, term_a, term_b = rows[good], ta[good], tb[good]
    for _ in range(max(passes, 1) - 1):
        if good.all():
            break
        alive[rows[~good]] = False
        # The next pass keeps what was served, on the same terminals, and re-matches the
        # capacity the dropped pairs freed.
        prev_a[chosen_rows], prev_b[chosen_rows] = term_a, term_b
        if policy != "nearest":  # least_loaded: loads count the kept links, full re-match
            rows_alive = np.flatnonzero(alive)
            _, _, sub = match(a[rows_alive], b[rows_alive], dist[rows_alive], a_capacity, b_capacity,
                              policy, (a[chosen_rows], b[chosen_rows]), return_rows=True)
            rows = rows_alive[sub]
            ta, tb = assign_link_terminals(pos_m, vel_mps, a[rows], b[rows], a_group, b_group, same_set,
                                           previous=(prev_a[rows], prev_b[rows]))
            good = (ta >= 0) & (tb >= 0)
            chosen_rows, term_a, term_b = rows[good], ta[good], tb[good]
            continue
        chosen_rows, term_a, term_b, good, rows = _extra_pass(
            pos_m, vel_mps, a, b, dist, a_group, b_group, a_capacity, b_capacity, same_set, alive,
            chosen_rows, prev_a, prev_b)
    return a[chosen_rows], b[chosen_rows], term_a, term_b


def _extra_pass(pos_m, vel_mps, a, b, dist, a_group, b_group, a_capacity, b_capacity, same_set, alive,
                chosen_rows, prev_a, prev_b):
    """One more "nearest" pass, the same result as `match` with keep = the chosen links
    followed by terminals for all of them, at the cost of the new rows only: the kept
    links fit (they were a matching), so the greedy takes them all and then the other
    alive pairs whose ends both have a terminal left, in distance order; terminals are
    re-assigned only at the nodes that got a new link (the others keep theirs, and the
    kept links of a node with a new link keep theirs too: their terminal is fixed).
    Returns (chosen rows, term_a, term_b) sorted by row, plus `good` / `rows` of the new
    rows (for the next pass's dropped pairs)."""
    n_cap = len(a_capacity)
    same_caps = a_capacity is b_capacity
    ca = np.array(a_capacity, dtype=np.int64, copy=True)
    ca -= np.bincount(a[chosen_rows], minlength=n_cap)[:n_cap]
    if same_caps:
        ca -= np.bincount(b[chosen_rows], minlength=n_cap)[:n_cap]
        cb = ca
    else:
        cb = np.array(b_capacity, dtype=np.int64, copy=True)
        cb -= np.bincount(b[chosen_rows], minlength=n_cap)[:n_cap]
    is_chosen = np.zeros(len(a), dtype=bool)
    is_chosen[chosen_rows] = True
    cand = np.flatnonzero(alive & ~is_chosen & (ca[a] > 0) & (cb[b] > 0))
    new = cand[match(a[cand], b[cand], dist[cand], ca, cb, "nearest", return_rows=True)[2]]
    term_a_all = np.full(len(a), -1, dtype=np.int64)
    term_b_all = np.full(len(a), -1, dtype=np.int64)
    term_a_all[chosen_rows], term_b_all[chosen_rows] = prev_a[chosen_rows], prev_b[chosen_rows]
    if len(new):
        is_chosen[new] = True
        rows = np.flatnonzero(is_chosen)  # chosen + new, by row (as match returns them)
        size = int(max(a[rows].max(), b[rows].max())) + 1
        if same_set:
            touched = np.zeros(size, dtype=bool)
            touched[a[new]] = True
            touched[b[new]] = True
            nodes, peers = np.concatenate([a[rows], b[rows]]), np.concatenate([b[rows], a[rows]])
            prev = np.concatenate([prev_a[rows], prev_b[rows]])
            sel = np.flatnonzero(touched[nodes])
            out = np.concatenate([term_a_all[rows], term_b_all[rows]])
            out[sel] = assign_terminals(pos_m, vel_mps, nodes[sel], peers[sel], a_group, prev[sel])
            term_a_all[rows], term_b_all[rows] = out[:len(rows)], out[len(rows):]
        else:
            for node, peer, prev, group, out in ((a, b, prev_a, a_group, term_a_all),
                                                 (b, a, prev_b, b_group, term_b_all)):
                touched = np.zeros(size, dtype=bool)
                touched[node[new]] = True
                sel = rows[touched[node[rows]]]
                out[sel] = assign_terminals(pos_m, vel_mps, node[sel], peer[sel], group, prev[sel])
    else:
        rows = chosen_rows
    ok = (term_a_all[rows] >= 0) & (term_b_all[rows] >= 0)
    # `good`/`rows` for the caller: the rows of this pass (old ones are all good).
    return rows[ok], term_a_all[rows[ok]], term_b_all[rows[ok]], ok, rows


def _lookup_previous(a, b, keep, prev_a, prev_b) -> None:
    """Write the kept links' terminals into the candidate rows that are those links."""
    ka, kb = np.asarray(keep[0], dtype=np.int64), np.asarray(keep[1], dtype=np.int64)
    kta, ktb = np.asarray(keep[2], dtype=np.int64), np.asarray(keep[3], dtype=np.int64)
    if not len(a):
        return
    size = int(max(a.max(), b.max(), ka.max(initial=-1), kb.max(initial=-1))) + 1
    start, rows = K.group_rows(a, size)
    found = K.find_kept(a, b, start, rows, ka, kb)
    hit = found >= 0
    r = found[hit]
    direct = a[r] == ka[hit]  # else the link was stored as (b, a)
    prev_a[r] = np.where(direct, kta[hit], ktb[hit])
    prev_b[r] = np.where(direct, ktb[hit], kta[hit])
