"""Assigned links in runs: nearest ISLs and inter-tier links under terminal limits."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from netsim.scenario.load import load_scenario
from netsim.run.network_state import NetworkStates


@pytest.fixture(scope="module")
def steps():
    states = NetworkStates(load_scenario(ROOT / "topologies" / "three-tier-links.yaml"))
    return states, [states.at(float(t)) for t in np.arange(0.0, 30.0, 0.5)]


def test_terminal_counts_and_ports_are_respected(steps):
    states, snaps = steps
    lay = states.layout
    vleo, leo = lay.plans
    for snap in snaps:
        for group in states.groups:
            links = group.links()
            if group.kind == "inter_tier":
                # A VLEO zenith port to a LEO nadir port, one link per terminal.
                assert np.all(lay.tier_of[links.node_a] == 0) and np.all(lay.tier_of[links.node_b] == 1)
                assert np.all(links.port_a == vleo.up[0]) and np.all(links.port_b == leo.down[0])
            ends = np.concatenate([np.stack([links.node_a, links.port_a], 1), np.stack([links.node_b, links.port_b], 1)])
            assert len(np.unique(ends, axis=0)) == len(ends), "a terminal serves one link"
            per_node = np.bincount(ends[:, 0].astype(np.int64))
            assert per_node.max(initial=0) <= group.a_geometry.count


def test_links_in_acquisition_are_not_routed(steps):
    states, snaps = steps
    # The group state is the last snapshot's: every dark link is absent from its routing graph.
    last = snaps[-1]
    routed = {(int(a), int(pa), int(b), int(pb)) for a, pa, b, pb in
              zip(last.links.node_a, last.links.port_a, last.links.node_b, last.links.port_b)}
    dark_links = 0
    for group in states.groups:
        links = group.links()
        for i in np.flatnonzero(group.ready_s > last.t_s + 1e-9):
            dark_links += 1
            assert (int(links.node_a[i]), int(links.port_a[i]), int(links.node_b[i]), int(links.port_b[i])) \
                not in routed
    assert dark_links > 0, "links acquired in the last 5 s are still dark"


def test_new_links_report_their_outage(steps):
    _, snaps = steps
    acquired = [h for snap in snaps[1:] for h in snap.handovers if h["cause"] == "acquired"]
    assert acquired
    # Inter-tier acquisition is 2 s and nearest-ISL acquisition 5 s (plus any slew).
    assert all(h["outage_s"] >= 2.0 for h in acquired)


def test_make_before_break_keeps_the_old_link_until_the_new_one_is_ready():
    states = NetworkStates(load_scenario(ROOT / "topologies" / "three-tier-links.yaml"))
    seen = 0
    for t in np.arange(0.0, 120.0, 0.5):
        snap = states.at(float(t))
        routed = {(int(a), int(pa), int(b), int(pb)) for a, pa, b, pb in
                  zip(snap.links.node_a, snap.links.port_a, snap.links.node_b, snap.links.port_b)}
        for group in states.groups:
            draining, current = group.draining_links(), group.links()
            held = set(zip(current.node_a.tolist(), current.port_a.tolist())) | \
                set(zip(current.node_b.tolist(), current.port_b.tolist()))
            for i in range(len(draining)):
                seen += 1
                # Its own terminals, still carrying traffic, and only until the replacement is up.
                assert (int(draining.node_a[i]), int(draining.port_a[i])) not in held
                assert (int(draining.node_b[i]), int(draining.port_b[i])) not in held
                assert (int(draining.node_a[i]), int(draining.port_a[i]),
                        int(draining.node_b[i]), int(draining.port_b[i])) in routed
                assert group.drain_until_s[i] > snap.t_s
    assert seen > 0, "two minutes of nearest ISLs must show one make-before-break"


def test_the_fabric_starts_connected_isls_in_sight_need_no_acquisition_at_t0():
    # Acquisition is paid by a +Grid link that comes back after a break, not by the links
    # already in sight when the run starts: with a 5 s ISL acquisition, every +Grid link
    # in line of sight is routed in the very first snapshot.
    from conftest import default_scenario_dict
    from netsim.scenario.load import scenario_from_dict
    from netsim.space.geometry import line_of_sight

    raw = default_scenario_dict()
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "acquisition_s": 5.0}}
    states = NetworkStates(scenario_from_dict(raw))
    first = states.at(0.0)
    isl = states.isl
    in_sight = line_of_sight(first.pos_m[isl.node_a], first.pos_m[isl.node_b], states.earth_radius_m)
    routed = set(zip(first.links.node_a.tolist(), first.links.node_b.tolist()))
    assert in_sight.sum() > 200
    assert all((int(a), int(b)) in routed for a, b in zip(isl.node_a[in_sight], isl.node_b[in_sight]))
