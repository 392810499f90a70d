"""+Grid conventions (cross-plane and seam offsets, TLE sets in a declared plane order)
and ISL list files, checked against links enumerated here from the definitions."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT, default_scenario_dict
from netsim.errors import ScenarioError
from netsim.links.fixed_isls import fixed_isls
from netsim.links.numbering import FORE, NEXT_PLANE, layout
from netsim.run.network_state import NetworkStates
from netsim.scenario.load import scenario_from_dict
from netsim.space.orbits import constellation_ephemeris


def links_of(raw):
    scenario = scenario_from_dict(raw, ROOT / "topologies" / "default.yaml")
    lay = layout(scenario, constellation_ephemeris(scenario).names)
    return fixed_isls(scenario, lay), lay


def pairs(links, port=None) -> set:
    keep = np.ones(len(links), bool) if port is None else links.port_a == port
    return {(int(a), int(b)) for a, b in zip(links.node_a[keep], links.node_b[keep])}


@pytest.mark.parametrize("cross, seam", [(0, None), (2, None), (3, 7), (-1, 0)])
def test_cross_plane_and_seam_offsets(cross, seam):
    raw = default_scenario_dict()
    isl = {"count": 4, "policy": "plus_grid", "cross_plane_offset": cross}
    if seam is not None:
        isl["seam_offset"] = seam
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": isl}
    links, _ = links_of(raw)
    planes = per_plane = 12
    phasing = 1
    expected = {(p * per_plane + k, (p + 1) * per_plane + (k + cross) % per_plane)
                for p in range(planes - 1) for k in range(per_plane)}
    seam_shift = seam if seam is not None else phasing + cross  # a delta shell continues its pattern
    expected |= {((planes - 1) * per_plane + k, (k + seam_shift) % per_plane) for k in range(per_plane)}
    assert pairs(links, NEXT_PLANE) == expected
    assert pairs(links, FORE) == {(p * per_plane + k, p * per_plane + (k + 1) % per_plane)
                                  for p in range(planes) for k in range(per_plane)}


def test_star_shells_have_no_seam_links():
    raw = default_scenario_dict()
    raw["constellation"]["tiers"][0]["shells"][0].update(pattern="star", phasing=0, inclination_deg=86.4)
    links, _ = links_of(raw)
    assert len(pairs(links, NEXT_PLANE)) == 11 * 12


def walker_tle(tmp_path, planes=4, per_plane=5, header=True):
    from netsim.space.tle import walker_tle_text

    text = walker_tle_text("T", planes, per_plane, 53.0, 15.0)
    if not header:
        text = text.split("\n", 1)[1]
    (tmp_path / "shell.tle").write_text(text)
    return str(tmp_path / "shell.tle")


def tle_raw(tmp_path, **source):
    raw = default_scenario_dict(traffic=[], outputs={}, epoch="2000-01-01T00:00:00")
    raw["constellation"]["tiers"] = [{"name": "t", "tle": [{"name": "t", "file": walker_tle(tmp_path), **source}]}]
    return raw


def test_tle_sets_get_plus_grid_in_their_declared_order(tmp_path):
    links, lay = links_of(tle_raw(tmp_path))
    assert lay.satellite_names[:2] == ("t-00001", "t-00002")
    planes, per_plane = 4, 5
    # A TLE set's planes wrap as listed (no Walker phasing at the seam).
    assert pairs(links, NEXT_PLANE) == {(p * per_plane + k, (p + 1) % planes * per_plane + k)
                                        for p in range(planes) for k in range(per_plane)}


def test_a_declared_order_must_fit_the_set(tmp_path):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(tle_raw(tmp_path, planes=3, sats_per_plane=5))
    assert err.value.key == "constellation.tiers[0].tle[0].planes" and "has 20 satellites" in err.value.problem
    raw = tle_raw(tmp_path)
    raw["constellation"]["tiers"][0]["tle"][0]["file"] = walker_tle(tmp_path, header=False)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw)
    assert err.value.key == "constellation.tiers[0].tle[0].planes" and "give planes and sats_per_plane" in err.value.problem
    raw["constellation"]["tiers"][0]["tle"][0].update(planes=4, sats_per_plane=5)
    scenario_from_dict(raw)  # the keys declare it instead of the file


def list_raw(tmp_path, text: str, count: int = 3):
    (tmp_path / "isls.txt").write_text(text)
    raw = default_scenario_dict(traffic=[], outputs={})
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": count, "policy": "list", "links_file": "isls.txt"}}
    (tmp_path / "s.yaml").write_text("")
    return raw, tmp_path / "s.yaml"


def test_an_isl_list_file_gives_exactly_its_links(tmp_path):
    raw, path = list_raw(tmp_path, "# ring of plane 0, by name and by index\nvleo-0-0 vleo-0-1\n1, 2\nvleo-0-2 0\n"
                                   "vleo-0-0 vleo-5-5  # a long one\n")
    scenario = scenario_from_dict(raw, path)
    states = NetworkStates(scenario)
    assert pairs(states.isl) == {(0, 1), (1, 2), (2, 0), (0, 65)}
    # each satellite's links take its isl ports in file order
    ports = {(int(n), int(p)) for n, p in zip(states.isl.node_a, states.isl.port_a)} | \
            {(int(n), int(p)) for n, p in zip(states.isl.node_b, states.isl.port_b)}
    assert ports == {(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (0, 1), (0, 2), (65, 0)}


@pytest.mark.parametrize("text, message", [
    ("vleo-0-0 vleo-0-0\n", "cannot link to itself"),
    ("vleo-0-0 vleo-0-1\nvleo-0-1 vleo-0-0\n", "listed twice"),
    ("vleo-0-0 nowhere-1\n", "'nowhere-1' is no satellite of tier 'vleo'"),
    ("0 144\n", "index 144 (the tier has 144 satellites, 0..143)"),
    ("0 1 2\n", "line 1: expected two satellites"),
    ("0 1\n0 2\n0 3\n0 4\n", "vleo-0-0 has more links than isl terminals (count = 3)"),
])
def test_bad_isl_list_files_name_the_line(tmp_path, text, message):
    raw, path = list_raw(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, path)
    assert err.value.key == "constellation.tiers[0].terminals.isl.links_file" and message in err.value.problem


def test_policy_keys_belong_to_their_policy(tmp_path):
    raw = default_scenario_dict()
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "policy": "list"}}
    with pytest.raises(ScenarioError, match="required with policy list"):
        scenario_from_dict(raw)
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "policy": "nearest", "cross_plane_offset": 1}}
    with pytest.raises(ScenarioError, match="only with policy plus_grid"):
        scenario_from_dict(raw)
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "policy": "plus_grid", "links_file": "x"}}
    with pytest.raises(ScenarioError, match="only with policy list"):
        scenario_from_dict(raw)
