"""One call per step and terminal-group pair: match feasible pairs and give each link a
terminal at both ends, re-matching the capacity freed by pairs no terminal could serve."""

from __future__ import annotations

import numpy as np

from netsim.assignment.matching import match
from netsim.assignment.terminals import TerminalGeometry, assign_link_terminals

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
    chosen_rows = np.zeros(0, dtype=np.int64)
    term_a = term_b = np.zeros(0, dtype=np.int64)
    for _ in range(max(passes, 1)):
        rows_alive = np.flatnonzero(alive)
        _, _, sub = match(a[rows_alive], b[rows_alive], dist[rows_alive], a_capacity, b_capacity,
                          policy, keep_pairs, return_rows=True)
        rows = rows_alive[sub]
        ta, tb = assign_link_terminals(pos_m, vel_mps, a[rows], b[rows], a_group, b_group, same_set,
                                       previous=(prev_a[rows], prev_b[rows]))
        good = (ta >= 0) & (tb >= 0)
        chosen_rows, term_a, term_b = rows[good], ta[good], tb[good]
        if good.all():
            break
        alive[rows[~good]] = False
        # The next pass keeps what was served, on the same terminals.
        keep_pairs = (a[chosen_rows], b[chosen_rows])
        prev_a[chosen_rows], prev_b[chosen_rows] = term_a, term_b
    return a[chosen_rows], b[chosen_rows], term_a, term_b


def _lookup_previous(a, b, keep, prev_a, prev_b) -> None:
    """Write the kept links' terminals into the candidate rows that are those links."""
    size = int(max(a.max(initial=-1), b.max(initial=-1), np.max(keep[0], initial=-1),
                   np.max(keep[1], initial=-1))) + 1
    key = a * size + b
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    ka, kb = np.asarray(keep[0], dtype=np.int64), np.asarray(keep[1], dtype=np.int64)
    kta, ktb = np.asarray(keep[2], dtype=np.int64), np.asarray(keep[3], dtype=np.int64)
    for x, y, tx, ty in ((ka, kb, kta, ktb), (kb, ka, ktb, kta)):
        k = x * size + y
        pos = np.searchsorted(sorted_key, k)
        hit = pos < len(sorted_key)
        hit[hit] = sorted_key[pos[hit]] == k[hit]
        rows = order[pos[hit]]
        prev_a[rows], prev_b[rows] = tx[hit], ty[hit]
