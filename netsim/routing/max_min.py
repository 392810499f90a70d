"""Max-min fair rates of demands on fixed paths under link capacities (progressive
filling), vectorised over all demands at once.

Progressive filling raises every demand's rate together and freezes a demand when a link
on its path fills or it reaches what it asks for. Done literally that takes one step per
distinct rate level. Here each round freezes every demand whose level is already
decided: with the frozen demands' rates taken off, a link's fair share is
residual / active demands on it; a demand's level is the smallest share on its path (or
its own demand, if smaller). A link whose share is no larger than the level of any
demand crossing it fills at that share whatever happens elsewhere (shares elsewhere only
grow as lower demands freeze), so its demands freeze at it; likewise a demand smaller
than every share on its path gets all of it. The global minimum always qualifies, so
each round freezes something, and in practice a few dozen rounds settle 10^5 demands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Relative tolerance when comparing shares (float sums of many rates).
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Allocation:
    rate: np.ndarray  # per demand, the unit of capacity (e.g. Gbps)
    load: np.ndarray  # per link: the sum of the rates crossing it
    rounds: int  # freezing rounds taken


def max_min_rates(path_start: np.ndarray, path_links: np.ndarray, capacity: np.ndarray,
                  demand: np.ndarray) -> Allocation:
    """Max-min fair rates.

    path_start: (demands + 1) offsets into path_links (CSR: demand i crosses links
    path_links[path_start[i]:path_start[i+1]]); every path has at least one link and
    crosses a link at most once. capacity: per link, >= 0. demand: per demand, > 0;
    np.inf for an elastic demand that takes what it can get."""
    path_start = np.asarray(path_start, dtype=np.int64)
    path_links = np.asarray(path_links)
    capacity = np.asarray(capacity, dtype=float)
    demand = np.asarray(demand, dtype=float)
    n_demands, n_links = len(demand), len(capacity)
    lengths = np.diff(path_start)
    if n_demands and lengths.min() < 1:
        raise ValueError("every demand needs a path of at least one link")
    rate = np.zeros(n_demands)
    residual = capacity.copy()
    active = np.arange(n_demands)  # demands not frozen yet, in order
    entry_link = path_links
    # position in `active` of each entry's demand (int32: 10^7 entries at fabric scale)
    entry_owner = np.repeat(np.arange(n_demands, dtype=np.int32), lengths)
    rounds = 0
    while len(active):
        rounds += 1
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        crossing = np.bincount(entry_link, minlength=n_links)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(crossing > 0, np.maximum(residual, 0.0) / np.maximum(crossing, 1), np.inf)
        entry_share = share[entry_link]
        path_share = np.minimum.reduceat(entry_share, starts)
        level = np.minimum(demand[active], path_share)
        # A link is a bottleneck when no demand crossing it sits at a lower level.
        below = np.bincount(entry_link, weights=level[entry_owner] < entry_share * (1 - _TOLERANCE),
                            minlength=n_links)
        bottleneck = (crossing > 0) & (below == 0)
        frozen = (demand[active] <= path_share * (1 + _TOLERANCE)) | (
            np.add.reduceat(bottleneck[entry_link].astype(np.int64), starts) > 0)
        if not frozen.any():  # cannot happen in exact arithmetic; rounding must not loop
            frozen = level <= level.min() * (1 + _TOLERANCE)
        rate[active[frozen]] = level[frozen]
        frozen_entry = frozen[entry_owner]
        residual -= np.bincount(entry_link[frozen_entry], weights=level[entry_owner[frozen_entry]],
                                minlength=n_links)
        keep = ~frozen
        active, lengths = active[keep], lengths[keep]
        entry_link = entry_link[~frozen_entry]
        entry_owner = np.repeat(np.arange(len(active), dtype=np.int32), lengths)
    load = np.bincount(path_links, weights=np.repeat(rate, np.diff(path_start)), minlength=n_links)
    return Allocation(rate, load, rounds)
