"""Max-min fair allocation (netsim.routing.max_min) against two oracles written here: a
case solved by hand, and lexicographic max-min by repeated linear programs
(scipy.optimize.linprog) on small random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linprog

from netsim.routing.max_min import max_min_rates


def _csr(paths: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    start = np.concatenate([[0], np.cumsum([len(p) for p in paths])])
    return start, np.concatenate([np.asarray(p, dtype=np.int64) for p in paths])


def test_hand_solved_three_links_four_demands():
    """Links L0 (10 Gbps), L1 (8), L2 (6); demands A over L0+L1 and B over L1+L2 take
    what they can, C over L2 asks for 1, D over L0 takes what it can.

    Filling from 0: the fair shares are L0 10/2 = 5 (A, D), L1 8/2 = 4 (A, B), L2 6/2 = 3
    (B, C). C asks for less than any share on its path, so it freezes at 1; L2's share
    for B becomes (6 - 1)/1 = 5. Now L1 is the tightest (4): A = B = 4 and L1 is full.
    L0 has 10 - 4 = 6 left for D alone: D = 6. L2 carries 4 + 1 = 5 < 6 (not full).
    """
    start, links = _csr([[0, 1], [1, 2], [2], [0]])
    got = max_min_rates(start, links, np.array([10.0, 8.0, 6.0]), np.array([np.inf, np.inf, 1.0, np.inf]))
    np.testing.assert_allclose(got.rate, [4.0, 4.0, 1.0, 6.0], rtol=1e-12)
    np.testing.assert_allclose(got.load, [10.0, 8.0, 5.0], rtol=1e-12)


def _lp_max_min(paths: list[list[int]], capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Lexicographic max-min by repeated LPs: maximise the smallest rate t of the demands
    not fixed yet; then every such demand that cannot exceed t (its own LP, the others
    held at >= t) is fixed at t; repeat until all are fixed."""
    n, m = len(paths), len(capacity)
    usage = np.zeros((m, n))
    for i, path in enumerate(paths):
        usage[path, i] = 1.0
    fixed: dict[int, float] = {}
    bounds = [(0, None if np.isinf(d) else d) for d in demand]
    while len(fixed) < n:
        free = [i for i in range(n) if i not in fixed]
        # variables: r_0..r_{n-1}, t
        a_ub = [np.append(row, 0.0) for row in usage]
        b_ub = list(capacity)
        for i in free:  # t - r_i <= 0
            row = np.zeros(n + 1)
            row[i], row[n] = -1.0, 1.0
            a_ub.append(row)
            b_ub.append(0.0)
        var_bounds = [(v, v) if i in fixed else bounds[i] for i, v in
                      ((i, fixed.get(i)) for i in range(n))] + [(0, None)]
        objective = np.zeros(n + 1)
        objective[n] = -1.0
        best = linprog(objective, A_ub=np.array(a_ub), b_ub=b_ub, bounds=var_bounds, method="highs")
        assert best.status == 0
        level = best.x[n]
        held = var_bounds[:n] + [(level, level)]
        for i in free:
            objective = np.zeros(n + 1)
            objective[i] = -1.0
            alone = linprog(objective, A_ub=np.array(a_ub), b_ub=b_ub, bounds=held, method="highs")
            assert alone.status == 0
            if alone.x[i] <= level + 1e-7 * max(1.0, level):
                fixed[i] = level
        assert any(i in fixed for i in free)
    return np.array([fixed[i] for i in range(n)])


@pytest.mark.parametrize("seed", range(12))
def test_equals_lexicographic_lp_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    graph = nx.connected_watts_strogatz_graph(int(rng.integers(6, 12)), 4, 0.3, seed=seed)
    arcs = {}  # each direction of an edge is its own link (a laser port transmits one way)
    for u, v in graph.edges:
        arcs[(u, v)], arcs[(v, u)] = len(arcs), len(arcs) + 1
    capacity = rng.uniform(1.0, 10.0, len(arcs))
    capacity[rng.random(len(arcs)) < 0.1] = 0.0  # a dead direction freezes its demands at 0
    paths, demand = [], []
    nodes = list(graph.nodes)
    for _ in range(int(rng.integers(5, 16))):
        src, dst = rng.choice(nodes, 2, replace=False)
        hops = nx.shortest_path(graph, int(src), int(dst))
        paths.append([arcs[(a, b)] for a, b in zip(hops, hops[1:])])
        demand.append(np.inf if rng.random() < 0.5 else float(rng.uniform(0.2, 6.0)))
    demand = np.array(demand)
    start, links = _csr(paths)
    got = max_min_rates(start, links, capacity, demand)
    want = _lp_max_min(paths, capacity, demand)
    np.testing.assert_allclose(got.rate, want, rtol=1e-6, atol=1e-9)
    assert np.all(got.load <= capacity * (1 + 1e-9))


def test_no_demands_and_bad_paths():
    empty = max_min_rates(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.array([1.0]), np.zeros(0))
    assert len(empty.rate) == 0 and empty.load.tolist() == [0.0]
    with pytest.raises(ValueError, match="at least one link"):
        max_min_rates(np.array([0, 0]), np.zeros(0, dtype=np.int64), np.array([1.0]), np.array([1.0]))
