"""Bad orbit input gets an error naming the key and what is allowed."""

from __future__ import annotations

import pytest

from conftest import default_scenario_dict
from netsim.scenario.load import scenario_from_dict
from netsim.errors import ScenarioError

SHELL = "constellation.tiers[0].shells[0]"


def with_shell(**changes) -> dict:
    raw = default_scenario_dict()
    shell = raw["constellation"]["tiers"][0]["shells"][0]
    shell.update(changes)
    for key in [k for k, v in shell.items() if v is None]:
        del shell[key]
    return raw


@pytest.mark.parametrize("changes, key, words", [
    ({"inclination_deg": 181}, f"{SHELL}.inclination_deg", "less than or equal to 180"),
    ({"planes": 0}, f"{SHELL}.planes", "greater than or equal to 1"),
    # 12 planes over 360 deg: planes p and p + 6 share an orbit plane in opposite
    # directions, and with F = 0 their satellites meet at the nodes.
    ({"phasing": 0}, f"{SHELL}.phasing", "satellites collide"),
    # Star pattern over 360 deg with 2 planes and one satellite each at i = 90: the same
    # polar circle, met at the poles.
    ({"planes": 2, "sats_per_plane": 1, "inclination_deg": 90}, f"{SHELL}.phasing", "satellites collide"),
    ({"mean_motion_rev_per_day": 15.0}, f"{SHELL}.altitude_km", "exactly one of"),
    ({"altitude_km": None}, f"{SHELL}.altitude_km", "exactly one of"),
    ({"altitude_km": None, "mean_motion_rev_per_day": 18}, f"{SHELL}.mean_motion_rev_per_day",
     "less than or equal to 17"),
    ({"epoch": "yesterday"}, f"{SHELL}.epoch", "ISO 8601"),
])
def test_bad_shells_name_the_key(changes, key, words):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(with_shell(**changes), "orbits.yaml")
    assert err.value.key == key, err.value
    assert words in err.value.problem
    assert str(err.value).startswith("orbits.yaml: ")


def test_collision_message_says_what_to_change():
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(with_shell(phasing=0))
    assert "change phasing (0..11)" in err.value.problem


def test_tier_needs_shells_or_tle():
    raw = default_scenario_dict()
    raw["constellation"]["tiers"].append({"name": "empty"})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw)
    assert err.value.key == "constellation.tiers[1].shells"


def test_bad_propagation_lists_the_choices():
    raw = default_scenario_dict()
    raw["constellation"]["propagation"] = "sgp4"
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw)
    assert err.value.key == "constellation.propagation" and "two_body" in err.value.problem


def test_seed_fabric_file_validates():
    from conftest import ROOT
    from netsim.scenario.load import load_scenario

    scenario = load_scenario(ROOT / "topologies" / "seed-fabric-orbits.yaml")
    assert scenario.satellite_count == 1_218_000 and len(scenario.ground_stations) == 100
