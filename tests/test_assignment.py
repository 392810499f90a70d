"""Link assignment under terminal limits (issue 5), on real Walker geometry."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netsim.links.assignment import (TerminalGeometry, assign_link_terminals, assign_links, assign_terminals,
                               feasible_pairs, match, repoint_time_s)
from netsim.space.attitude import boresight_vector, line_of_sight_body, los_rate_body, lvlh_axes
from netsim.space.geometry import GRAZING_ALTITUDE_M, line_of_sight
from netsim.space.orbits import Ephemeris, WalkerShellOrbits, earth_constants

_, RADIUS = earth_constants()
RANGE_M = 5000e3
RING = TerminalGeometry(4, "ring", np.radians(60), np.radians(2))
UP = TerminalGeometry(1, "zenith", np.radians(60), np.radians(2))
DOWN = TerminalGeometry(1, "nadir", np.radians(60), np.radians(2))


def shell(name, alt_km, inc_deg, planes, per_plane, phasing=1):
    return WalkerShellOrbits(name, RADIUS + alt_km * 1e3, float(np.radians(inc_deg)), planes, per_plane,
                             phasing, 2 * np.pi)


@pytest.fixture(scope="module")
def fabric():
    """Three tiers like topologies/three-tier-mini.yaml, a bit denser."""
    eph = Ephemeris((shell("vleo", 500, 53, 24, 24), shell("leo", 1000, 60, 14, 14), shell("meo", 2000, 70, 10, 10)))
    tiers = [np.arange(lo, hi) for lo, hi in zip(eph.offsets, eph.offsets[1:])]
    return eph, tiers


def group_cases(tiers):
    return [(tiers[0], RING, tiers[0], RING, True), (tiers[1], RING, tiers[1], RING, True),
            (tiers[0], UP, tiers[1], DOWN, False), (tiers[1], UP, tiers[2], DOWN, False)]


def check_feasible(pos, vel, a, b, d, ga, gb):
    assert np.all(d <= RANGE_M)
    np.testing.assert_allclose(d, np.linalg.norm(pos[b] - pos[a], axis=1), rtol=1e-12)
    assert np.all(line_of_sight(pos[a], pos[b], RADIUS, GRAZING_ALTITUDE_M))
    for node, peer, g in ((a, b, ga), (b, a, gb)):
        los = line_of_sight_body(pos, vel, node, peer)
        assert np.all(np.max(los @ g.vectors.T, axis=1) >= np.cos(g.field_of_regard_rad) - 1e-12)
        assert np.all(los_rate_body(pos, vel, node, peer) <= g.max_slew_rate_rad_s + 1e-12)


def test_body_frame_is_lvlh(fabric):
    eph, _ = fabric
    pos, vel = eph.at(10.0)
    axes = lvlh_axes(pos, vel)
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", axes, axes), np.broadcast_to(np.eye(3), axes.shape),
                               atol=1e-12)
    np.testing.assert_allclose(axes[:, 2], -pos / np.linalg.norm(pos, axis=1, keepdims=True), atol=1e-15)
    h = np.cross(pos, vel)
    np.testing.assert_allclose(axes[:, 1], -h / np.linalg.norm(h, axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(axes[:, 0], vel / np.linalg.norm(vel, axis=1, keepdims=True), atol=1e-12)


def test_los_rate_matches_finite_difference(fabric):
    eph, tiers = fabric
    rng = np.random.default_rng(1)
    node = rng.choice(tiers[0], 50)
    peer = rng.choice(tiers[1], 50)
    dt = 0.01
    p0, v0 = eph.at(30.0)
    p1, v1 = eph.at(30.0 + dt)
    change = line_of_sight_body(p1, v1, node, peer) - line_of_sight_body(p0, v0, node, peer)
    p_mid, v_mid = eph.at(30.0 + dt / 2)
    np.testing.assert_allclose(los_rate_body(p_mid, v_mid, node, peer), np.linalg.norm(change, axis=1) / dt,
                               rtol=1e-5)


def test_chosen_links_feasible_and_within_capacity(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(200.0)
    for a_nodes, ga, b_nodes, gb, same in group_cases(tiers):
        a, b, d = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                 same_set=same)
        assert len(a) > 0
        check_feasible(pos, vel, a, b, d, ga, gb)
        if same:
            assert np.all(a < b)
            assert len(set(zip(a.tolist(), b.tolist()))) == len(a)
        cap_a, cap_b = np.full(len(pos), ga.count), np.full(len(pos), gb.count)
        if same:
            cap_b = cap_a
        for policy in ("nearest", "least_loaded"):
            ca, cb = match(a, b, d, cap_a, cap_b, policy=policy)
            load = np.bincount(np.concatenate([ca, cb]) if same else ca, minlength=len(pos))
            assert load.max() <= ga.count
            if not same:
                assert np.bincount(cb, minlength=len(pos)).max() <= gb.count
        la, lb, ta, tb = assign_links(pos, vel, a, b, d, ga, gb, cap_a, cap_b, same_set=same)
        assert np.all(ta >= 0) and np.all(tb >= 0)
        ends = [(la, ta), (lb, tb)] if not same else [(np.concatenate([la, lb]), np.concatenate([ta, tb]))]
        for nodes, terms in ends:  # one link per terminal
            assert len(set(zip(nodes.tolist(), terms.tolist()))) == len(nodes)


def brute_force_pairs(pos, vel, a_nodes, ga, b_nodes, gb, same):
    """Every feasible pair by testing all of them with the numpy functions of netsim.space.attitude."""
    a, b = np.meshgrid(a_nodes, b_nodes, indexing="ij")
    a, b = a.ravel(), b.ravel()
    keep = a < b if same else a != b
    a, b = a[keep], b[keep]
    d = np.linalg.norm(pos[b] - pos[a], axis=1)
    ok = (d <= RANGE_M) & line_of_sight(pos[a], pos[b], RADIUS, GRAZING_ALTITUDE_M)
    for node, peer, g in ((a, b, ga), (b, a, gb)):
        ok &= np.max(line_of_sight_body(pos, vel, node, peer) @ g.vectors.T, axis=1) >= np.cos(g.field_of_regard_rad)
        ok &= los_rate_body(pos, vel, node, peer) <= g.max_slew_rate_rad_s
    return a[ok], b[ok], d[ok]


def greedy(a, b, d, cap):
    cap = cap.copy()
    out = set()
    for i in np.lexsort((b, a, d)):
        if cap[a[i]] > 0 and cap[b[i]] > 0:
            cap[a[i]] -= 1
            cap[b[i]] -= 1
            out.add((int(a[i]), int(b[i])))
    return out


def test_nearest_is_the_global_greedy(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(500.0)
    for a_nodes, ga, b_nodes, gb, same in group_cases(tiers):
        # k = all nodes: the candidates are every pair, as in the brute force.
        a, b, d = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                 same_set=same, k=len(a_nodes) + len(b_nodes), sheets=False)
        ba, bb, bd = brute_force_pairs(pos, vel, a_nodes, ga, b_nodes, gb, same)
        assert set(zip(a.tolist(), b.tolist())) == set(zip(ba.tolist(), bb.tolist()))
        cap = np.full(len(pos), ga.count)
        cap[b_nodes] = gb.count
        ca, cb = match(a, b, d, cap, cap)
        assert set(zip(ca.tolist(), cb.tolist())) == greedy(ba, bb, bd, cap)


def test_keep_holds_feasible_links(fabric):
    eph, tiers = fabric
    for a_nodes, ga, b_nodes, gb, same in group_cases(tiers):
        cap_a = np.full(eph.offsets[-1], ga.count)
        cap_b = cap_a if same else np.full(eph.offsets[-1], gb.count)
        pos, vel = eph.at(0.0)
        a, b, d = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                 same_set=same)
        old = match(a, b, d, cap_a, cap_b)
        for t_s in (1.0, 30.0):
            pos, vel = eph.at(t_s)
            a, b, d = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                     same_set=same, include=old)
            feasible = set(zip(a.tolist(), b.tolist()))
            still = {p for p in zip(old[0].tolist(), old[1].tolist()) if p in feasible}
            new = set(zip(*(x.tolist() for x in match(a, b, d, cap_a, cap_b, keep=old))))
            assert still <= new
        # Reversed orientation of kept intra-tier pairs is recognised too.
        if same:
            again = set(zip(*(x.tolist() for x in match(a, b, d, cap_a, cap_b, keep=(old[1], old[0])))))
            assert still <= again


def test_least_loaded_balances():
    # 12 LEO satellites under 4 MEO satellites, every pair feasible, MEO nadir capacity 6:
    # nearest piles links on the closest MEO, least_loaded spreads them 3-3-3-3.
    rng = np.random.default_rng(7)
    a_nodes, b_nodes = np.arange(12), np.arange(12, 16)
    a, b = (x.ravel() for x in np.meshgrid(a_nodes, b_nodes, indexing="ij"))
    d = rng.uniform(1e6, 2e6, len(a))
    d[b == 12] -= 0.9e6  # one MEO is nearest to everyone
    cap_a, cap_b = np.ones(16, dtype=int), np.full(16, 6)
    near_b = match(a, b, d, cap_a, cap_b)[1]
    load = np.bincount(near_b, minlength=16)[b_nodes]
    assert load.max() - load.min() > 1
    for policy_b in (match(a, b, d, cap_a, cap_b, policy="least_loaded")[1],):
        load = np.bincount(policy_b, minlength=16)[b_nodes]
        assert load.max() - load.min() <= 1 and load.sum() == 12


def test_least_loaded_balances_intra_tier_ring(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(0.0)
    v = tiers[0]
    a, b, d = feasible_pairs(pos, vel, v, RING, v, RING, RANGE_M, RADIUS, GRAZING_ALTITUDE_M, same_set=True)
    cap = np.full(len(pos), 4)
    ca, cb = match(a, b, d, cap, cap, policy="least_loaded")
    load = np.bincount(np.concatenate([ca, cb]), minlength=len(pos))[v]
    # A symmetric Walker shell: every satellite ends with the same number of links, +-1.
    assert load.max() - load.min() <= 1


def test_assign_terminals_respects_each_terminals_for(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(100.0)
    v = tiers[0]
    narrow = TerminalGeometry(4, "ring", np.radians(50), np.radians(2))
    a, b, d = feasible_pairs(pos, vel, v, narrow, v, narrow, RANGE_M, RADIUS, GRAZING_ALTITUDE_M, same_set=True)
    cap = np.full(len(pos), 4)
    ca, cb = match(a, b, d, cap, cap)
    nodes, peers = np.concatenate([ca, cb]), np.concatenate([cb, ca])
    term = assign_terminals(pos, vel, nodes, peers, narrow)
    los = line_of_sight_body(pos, vel, nodes, peers)
    cosines = los @ narrow.vectors.T
    served = term >= 0
    assert np.all(cosines[served, term[served]] >= np.cos(narrow.field_of_regard_rad) - 1e-12)
    assert len(set(zip(nodes[served].tolist(), term[served].tolist()))) == served.sum()
    # Maximum: no node could serve more of its peers with another choice of terminals.
    sees = cosines >= np.cos(narrow.field_of_regard_rad)
    for node in np.unique(nodes):
        rows = np.flatnonzero(nodes == node)
        best = max(sum(1 for r, t in zip(subset, perm) if sees[r, t])
                   for n in range(len(rows), 0, -1) for subset in itertools.combinations(rows, n)
                   for perm in itertools.permutations(range(4), n))
        assert served[rows].sum() == best
    # A terminal kept from the previous step stays when it still sees the peer.
    again = assign_terminals(pos, vel, nodes, peers, narrow, previous=term)
    np.testing.assert_array_equal(again[served], term[served])
    assert np.any(~served)  # 50 deg leaves gaps between ring terminals: some pairs cannot be served
    la, lb, ta, tb = assign_links(pos, vel, a, b, d, narrow, narrow, cap, cap, same_set=True)
    both_ends = served[:len(ca)] & served[len(ca):]
    assert len(la) >= both_ends.sum() and np.all(ta >= 0) and np.all(tb >= 0)


def test_fore_aft_terminals_see_in_plane_neighbours():
    planes, per_plane = 12, 20
    orbit = shell("s", 550, 53, planes, per_plane)
    eph = Ephemeris((orbit,))
    pos, vel = eph.at(123.0)
    chord = 2 * orbit.semi_major_axis_m * np.sin(np.pi / per_plane)
    nodes = np.arange(len(eph))
    for for_deg in (60, 90):
        g = TerminalGeometry(2, ("fore", "aft"), np.radians(for_deg), np.radians(0.1))
        # Every pair as candidate (k = n): this tests the FoR and slew geometry, not the k-nearest.
        a, b, d = feasible_pairs(pos, vel, nodes, g, nodes, g, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                 same_set=True, k=len(nodes), sheets=False)
        pairs = dict(zip(zip(a.tolist(), b.tolist()), d.tolist()))
        p, k = np.divmod(nodes, per_plane)
        fore = p * per_plane + (k + 1) % per_plane
        for x, y in zip(nodes.tolist(), fore.tolist()):
            key = (min(x, y), max(x, y))
            assert key in pairs
            assert pairs[key] == pytest.approx(chord, rel=1e-9)
        term_a, term_b = assign_link_terminals(pos, vel, nodes, fore, g, g, same_set=True)
        np.testing.assert_array_equal(term_a, 0)  # fore terminal toward the next slot
        np.testing.assert_array_equal(term_b, 1)  # which sees us through its aft terminal
        assert np.all(los_rate_body(pos, vel, nodes, fore) < 1e-9)


def test_repoint_time_is_angle_over_slew(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(0.0)
    node, old, new = np.array([0, 1]), np.array([2, 3]), np.array([30, 40])
    u1 = pos[old] - pos[node]
    u2 = pos[new] - pos[node]
    angle = np.arccos(np.einsum("ij,ij->i", u1, u2) / np.linalg.norm(u1, axis=1) / np.linalg.norm(u2, axis=1))
    np.testing.assert_allclose(repoint_time_s(pos, vel, node, old, new, RING), angle / RING.max_slew_rate_rad_s)
    assert repoint_time_s(pos, vel, [0], [-1], [30], RING)[0] == 0.0
    # From an idle terminal's boresight: the fore terminal to a satellite straight ahead.
    g = TerminalGeometry(1, "fore", np.radians(60), np.radians(1))
    ahead = lvlh_axes(pos[:1], vel[:1])[0].T @ boresight_vector("fore")
    np.testing.assert_allclose(ahead, vel[0] / np.linalg.norm(vel[0]), atol=1e-12)
    assert repoint_time_s(pos, vel, [0], [-1], [1], g, terminal=[0])[0] >= 0


def test_deterministic(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(77.0)
    runs = []
    for _ in range(2):
        out = []
        for a_nodes, ga, b_nodes, gb, same in group_cases(tiers):
            a, b, d = feasible_pairs(pos.copy(), vel.copy(), a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS,
                                     GRAZING_ALTITUDE_M, same_set=same)
            cap = np.full(len(pos), 4)
            for policy in ("nearest", "least_loaded"):
                out.append(assign_links(pos, vel, a, b, d, ga, gb, cap, cap if same else cap.copy(),
                                        policy=policy, same_set=same))
        runs.append(out)
    for x, y in zip(*runs):
        for u, w in zip(x, y):
            np.testing.assert_array_equal(u, w)


def test_capacity_arrays_not_modified_and_zero_capacity(fabric):
    eph, tiers = fabric
    pos, vel = eph.at(0.0)
    a, b, d = feasible_pairs(pos, vel, tiers[1], UP, tiers[2], DOWN, RANGE_M, RADIUS, GRAZING_ALTITUDE_M)
    cap_a, cap_b = np.ones(len(pos), dtype=int), np.ones(len(pos), dtype=int)
    cap_b[tiers[2][::2]] = 0
    ca, cb = match(a, b, d, cap_a, cap_b)
    assert cap_a.sum() == len(pos) and not np.any(np.isin(cb, tiers[2][::2]))
    with pytest.raises(ValueError):
        match(a, b, d, cap_a, cap_b, policy="random")


def test_includes_listed_twice_come_out_once(fabric):
    # Links kept from the last step are passed back as includes; one listed twice (a
    # link both up and draining) must give one candidate pair, as in the list given once.
    eph, tiers = fabric
    for a_nodes, ga, b_nodes, gb, same in group_cases(tiers):
        pos, vel = eph.at(0.0)
        a, b, d = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                                 same_set=same, k=2)
        old = (a, b)
        pos, vel = eph.at(30.0)
        once = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                              same_set=same, k=2, include=old)
        twice = feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS, GRAZING_ALTITUDE_M,
                               same_set=same, k=2, include=tuple(np.concatenate([x, x[::-1]]) for x in old))
        pairs = list(zip(twice[0].tolist(), twice[1].tolist()))
        assert len(pairs) == len(set(pairs))
        assert set(pairs) == set(zip(once[0].tolist(), once[1].tolist()))


def test_pairs_filtered_on_both_cores_are_the_one_pass_result(fabric):
    # Large candidate sets are filtered in slices on several threads; joined, the slices
    # give exactly the one-pass arrays (every candidate pair of the VLEO ring group).
    from netsim.links.assignment import _kernels as K
    from netsim.links.assignment.candidates import _on_all_cores

    eph, tiers = fabric
    pos, vel = eph.at(100.0)
    a, b = (x.ravel() for x in np.meshgrid(tiers[0], tiers[0], indexing="ij"))
    keep = a < b
    a, b = a[keep], b[keep]

    def kernel(x, y):
        return K.filter_pairs(pos, vel, x, y, RING.vectors, RING.cos_for, RING.max_slew_rate_rad_s, RING.vectors,
                              RING.cos_for, RING.max_slew_rate_rad_s, RANGE_M, RADIUS + GRAZING_ALTITUDE_M)

    one_ok, one_d = kernel(a, b)
    ok, d = _on_all_cores(kernel, a, b, min_pairs=1_000)
    assert 0 < one_ok.sum() < len(a)
    assert np.array_equal(ok, one_ok) and np.array_equal(d, one_d)


def _all_pairs_feasible_by_geometry(pos, vel, q_nodes, q_group, t_nodes, t_group):
    """Oracle from netsim.space: every (query, tree) pair within range, in sight and
    inside a terminal's field of regard at both ends (slew rates not checked)."""
    q, t = (x.ravel() for x in np.meshgrid(q_nodes, t_nodes, indexing="ij"))
    ok = (np.linalg.norm(pos[t] - pos[q], axis=1) <= RANGE_M) & line_of_sight(pos[q], pos[t], RADIUS,
                                                                              GRAZING_ALTITUDE_M)
    for node, peer, g in ((q, t, q_group), (t, q, t_group)):
        los = line_of_sight_body(pos, vel, node, peer)
        ok &= np.max(los @ g.vectors.T, axis=1) >= np.cos(g.field_of_regard_rad)
    return q[ok], t[ok]


@pytest.mark.parametrize("boresights", [("zenith", "nadir"), ("az30", "nadir"), ("fore", "aft")])
def test_inter_tier_search_stops_where_no_pair_can_be_feasible(fabric, boresights):
    # The k-nearest search across tiers stops at a distance from the projected query
    # point derived from range and fields of regard; no pair the geometry allows may lie
    # beyond it (all pairs of two tiers checked at several times).
    from netsim.links.assignment.candidates import _search_cut

    eph, tiers = fabric
    low = TerminalGeometry(1, boresights[0], np.radians(60), np.radians(90))
    high = TerminalGeometry(1, boresights[1], np.radians(60), np.radians(90))
    for lower, upper in ((tiers[0], tiers[1]), (tiers[1], tiers[2])):
        for t_s in (0.0, 600.0, 1900.0):
            pos, vel = eph.at(t_s)
            # The scarce side (upper) queries the lower tier's tree, as feasible_pairs does.
            q_radius, t_radius = np.linalg.norm(pos[upper], axis=1), np.linalg.norm(pos[lower], axis=1)
            radius = float(np.median(t_radius))
            cut = _search_cut(q_radius, high, t_radius, low, radius, RANGE_M)
            q, t = _all_pairs_feasible_by_geometry(pos, vel, upper, high, lower, low)
            assert len(q) > 0
            projected = pos[q] * (radius / np.linalg.norm(pos[q], axis=1))[:, None]
            assert np.all(np.linalg.norm(projected - pos[t], axis=1) < cut)
            if boresights[0] == "zenith":
                # Tight for zenith terminals: the hand bound (elevation >= 90 - 60 deg
                # from the lower tier) is far inside the range; feasible pairs reach most of it.
                rl, ru = t_radius.min(), q_radius.max()
                angle = np.arccos(rl * np.cos(np.radians(30)) / ru) - np.radians(30)
                chord = max(np.sqrt(radius**2 + r**2 - 2 * radius * r * np.cos(angle)) for r in (t_radius.min(),
                                                                                                 t_radius.max()))
                assert cut == pytest.approx(chord, abs=2.0) and cut < 0.5 * RANGE_M  # 1 m + 1e-7 margin
                reached = np.max(np.linalg.norm(projected - pos[t], axis=1))
                assert reached > 0.8 * cut


def test_inter_tier_search_cut_changes_no_output(fabric, monkeypatch):
    # feasible_pairs with the search stopped at the cut gives the same arrays, in the same
    # order, as with an unbounded search, with the previous step's pairs as includes.
    from netsim.links.assignment import candidates

    eph, tiers = fabric
    cases = [(tiers[0], UP, tiers[1], DOWN), (tiers[1], UP, tiers[2], DOWN),
             (tiers[0], TerminalGeometry(1, "az30", np.radians(70), np.radians(3)), tiers[1], DOWN)]
    cut = candidates._search_cut
    for a_nodes, ga, b_nodes, gb in cases:
        for query_from in ("auto", "a", "both"):
            old = None
            for t_s in (0.0, 20.0, 40.0):
                pos, vel = eph.at(t_s)
                results = []
                for bounded in (True, False):
                    monkeypatch.setattr(candidates, "_search_cut", cut if bounded else lambda *a: np.inf)
                    results.append(feasible_pairs(pos, vel, a_nodes, ga, b_nodes, gb, RANGE_M, RADIUS,
                                                  GRAZING_ALTITUDE_M, k=4, query_from=query_from, include=old))
                for x, y in zip(*results):
                    np.testing.assert_array_equal(x, y)
                assert len(results[0][0]) > 0
                old = results[0][:2]
