"""Max-min fair rates of demands on fixed paths under link capacities (progressive
filling), in a compiled kernel (numba) over all demands at once.

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

from netsim.jit import njit

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
    path_start = np.ascontiguousarray(path_start, dtype=np.int64)
    path_links = np.ascontiguousarray(path_links, dtype=np.int64)
    capacity = np.ascontiguousarray(capacity, dtype=float)
    demand = np.ascontiguousarray(demand, dtype=float)
    if len(demand) and np.diff(path_start).min() < 1:
        raise ValueError("every demand needs a path of at least one link")
    rate = np.zeros(len(demand))
    rounds = _fill(path_start, path_links, capacity, demand, rate)
    load = np.bincount(path_links, weights=np.repeat(rate, np.diff(path_start)), minlength=len(capacity))
    return Allocation(rate, load, int(rounds))


@njit
def _fill(path_start, path_links, capacity, demand, rate):  # pragma: no cover - compiled
    """The rounds of the module doc, in place on rate; returns how many. Each round
    walks the paths of the demands still active twice (levels, bottlenecks) and once
    more to freeze, taking the frozen ones' rates off their links' residuals (summed per
    link first) and themselves off the links' active counts."""
    n_links = len(capacity)
    residual = capacity.copy()
    active = np.arange(len(demand))
    n_active = len(demand)
    crossing = np.zeros(n_links, np.int64)
    below = np.zeros(n_links, np.int64)
    taken = np.zeros(n_links)
    share = np.empty(n_links)
    level = np.empty(n_active)
    path_share = np.empty(n_active)
    frozen = np.zeros(n_active, np.bool_)
    for e in range(path_start[n_active]):  # active demands per link, kept up to date below
        crossing[path_links[e]] += 1
    rounds = 0
    while n_active > 0:
        rounds += 1
        for link in range(n_links):
            share[link] = max(residual[link], 0.0) / crossing[link] if crossing[link] > 0 else np.inf
        lowest = np.inf
        for k in range(n_active):
            d = active[k]
            smallest = np.inf
            for e in range(path_start[d], path_start[d + 1]):
                smallest = min(smallest, share[path_links[e]])
            path_share[k] = smallest
            level[k] = min(demand[d], smallest)
            lowest = min(lowest, level[k])
        # A link is a bottleneck when no demand crossing it sits at a lower level.
        below[:] = 0
        for k in range(n_active):
            d = active[k]
            for e in range(path_start[d], path_start[d + 1]):
                link = path_links[e]
                if level[k] < share[link] * (1 - _TOLERANCE):
                    below[link] += 1
        any_frozen = False
        for k in range(n_active):
            d = active[k]
            freeze = demand[d] <= path_share[k] * (1 + _TOLERANCE)
            if not freeze:
                for e in range(path_start[d], path_start[d + 1]):
                    if below[path_links[e]] == 0:
                        freeze = True
                        break
            frozen[k] = freeze
            any_frozen = any_frozen or freeze
        if not any_frozen:  # cannot happen in exact arithmetic; rounding must not loop
            for k in range(n_active):
                frozen[k] = level[k] <= lowest * (1 + _TOLERANCE)
        taken[:] = 0.0
        kept = 0
        for k in range(n_active):
            d = active[k]
            if frozen[k]:
                rate[d] = level[k]
                for e in range(path_start[d], path_start[d + 1]):
                    taken[path_links[e]] += level[k]
                    crossing[path_links[e]] -= 1
            else:
                active[kept] = d
                level[kept] = level[k]  # not read again this round; keeps arrays aligned
                kept += 1
        for link in range(n_links):
            residual[link] -= taken[link]
        n_active = kept
    return rounds
