"""Reading a scenario: YAML -> checked model (netsim.scenario.model), with cross-key
rules, bundled station sets, orbit checks and traffic expansion. Every error names the
file, the key as a dotted path and what is allowed (ScenarioError)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netsim.errors import ScenarioError, read_yaml
from netsim.scenario.describe import describe, dotted
from netsim.scenario.model import Scenario, is_satellite_name
from netsim.scenario.stations import expand_station_set
from netsim.scenario.traffic import expand_traffic
# Checks that need the orbit and attitude models call down into netsim.space.
from netsim.space.attitude import boresight_vector
from netsim.space.orbits import validate as validate_orbits

def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError naming what is wrong."""
    path = Path(path)
    return scenario_from_dict(read_yaml(path, ScenarioError), path)


def scenario_from_dict(raw: Any, path: str | Path = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario (used by load_scenario and sweeps)."""
    if not isinstance(raw, dict):
        raise ScenarioError(path, "", "must be a mapping of keys such as name, duration_s, constellation")
    raw = _name_shells(raw)
    raw = _expand_ground_station_set(raw, path)
    raw = _resolve_tle_files(raw, path)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise ScenarioError(path, dotted(first["loc"]), describe(first, raw)) from None
    _check_references(scenario, path)
    return expand_traffic(scenario, path)


def _name_shells(raw: dict) -> dict:
    """Give unnamed shells a name: the tier's, or tier-k when a tier has several."""
    tiers = (raw.get("constellation") or {}).get("tiers") if isinstance(raw.get("constellation"), dict) else None
    if not isinstance(tiers, list):
        return raw
    for tier in tiers:
        shells = tier.get("shells") if isinstance(tier, dict) else None
        if not isinstance(shells, list):
            continue
        for k, shell in enumerate(shells):
            if isinstance(shell, dict) and "name" not in shell and isinstance(tier.get("name"), str):
                shell["name"] = tier["name"] if len(shells) == 1 else f"{tier['name']}-{k}"
    return raw


def _check_terminals(scenario: Scenario, path) -> None:
    for ti, tier in enumerate(scenario.constellation.tiers):
        for role in ("isl", "up", "down"):
            group = getattr(tier.terminals, role)
            key = f"constellation.tiers[{ti}].terminals.{role}"
            _check_distribution(group.acquisition_s, f"{key}.acquisition_s", path)
            if role == "isl" and group.policy == "plus_grid" and group.count not in (0, 4):
                raise ScenarioError(path, f"{key}.count",
                                    f"+Grid needs 4 terminals (or 0 for no ISLs) (got {group.count})")
            names = group.boresights
            if names is None or names == "ring":
                continue
            listed = [names] if isinstance(names, str) else names
            if not isinstance(names, str) and len(listed) != group.count:
                raise ScenarioError(path, f"{key}.boresights",
                                    f"give one boresight per terminal ({group.count}) (got {len(listed)})")
            for name in listed:
                try:
                    boresight_vector(name)
                except ValueError as err:
                    raise ScenarioError(path, f"{key}.boresights", str(err)) from None
    _check_distribution(scenario.ground_links.acquisition_s, "ground_links.acquisition_s", path)


def _check_distribution(spec, key: str, path) -> None:
    if isinstance(spec, (int, float)):
        if spec < 0:
            raise ScenarioError(path, key, f"must be >= 0 s (got {spec})")
        return
    need = {"uniform": ("low", "high"), "exponential": ("mean",), "normal": ("mean", "std")}[spec.distribution]
    missing = [k for k in need if getattr(spec, k) is None]
    if missing:
        raise ScenarioError(path, f"{key}.{missing[0]}", f"required for a {spec.distribution} distribution")
    if spec.distribution == "uniform" and spec.low > spec.high:
        raise ScenarioError(path, f"{key}.high", f"must be >= low = {spec.low} (got {spec.high})")


def _check_references(scenario: Scenario, path) -> None:
    """Cross-key rules the per-key types cannot express."""
    _check_terminals(scenario, path)
    _unique([t.name for t in scenario.constellation.tiers], "constellation.tiers", path)
    _unique([s.name for _, s in scenario.shells], "constellation.tiers[].shells", path)
    _unique([g.name for g in scenario.ground_stations], "ground_stations", path)
    for ti, tier in enumerate(scenario.constellation.tiers):
        for si, shell in enumerate(tier.shells):
            if shell.phasing >= max(shell.planes, 1) and shell.planes > 1:
                raise ScenarioError(path, f"constellation.tiers[{ti}].shells[{si}].phasing",
                                    f"must be between 0 and planes - 1 = {shell.planes - 1} (got {shell.phasing})")
    _check_orbits(scenario, path)
    tiers = [t.name for t in scenario.constellation.tiers]
    for i, tier in enumerate(scenario.routing.tiers or []):
        if tier not in tiers:
            raise ScenarioError(path, f"routing.tiers[{i}]", f"no tier named {tier!r}; tiers: {', '.join(tiers)}")
    if scenario.ground_links.tier is not None and scenario.ground_links.tier not in tiers:
        raise ScenarioError(path, "ground_links.tier",
                            f"no tier named {scenario.ground_links.tier!r}; tiers: {', '.join(tiers)}")
    stations = [g.name for g in scenario.ground_stations]
    # traffic: checked while it is expanded (netsim.run.traffic.expand_traffic).
    shells = [s.name for _, s in scenario.shells]
    for i, node in enumerate(scenario.outputs.pcap_nodes):
        if node not in stations and not is_satellite_name(node, scenario):
            raise ScenarioError(path, f"outputs.pcap_nodes[{i}]",
                                f"no node named {node!r}; use a ground station ({', '.join(stations) or 'none'}) "
                                f"or a satellite SHELL-PLANE-INDEX with SHELL in {', '.join(shells)}")
    for i, selector in enumerate(scenario.outputs.pcap):
        for j, node in enumerate(selector.nodes):
            if node not in stations and not is_satellite_name(node, scenario):
                raise ScenarioError(path, f"outputs.pcap[{i}].nodes[{j}]",
                                    f"no node named {node!r}; use a ground station ({', '.join(stations) or 'none'}) "
                                    f"or a satellite SHELL-PLANE-INDEX with SHELL in {', '.join(shells)}")
        for j, tier in enumerate(selector.tiers):
            if tier not in tiers:
                raise ScenarioError(path, f"outputs.pcap[{i}].tiers[{j}]", f"no tier named {tier!r}; tiers: {', '.join(tiers)}")
        for j, station in enumerate(selector.ground_stations if isinstance(selector.ground_stations, list) else []):
            if station not in stations:
                raise ScenarioError(path, f"outputs.pcap[{i}].ground_stations[{j}]",
                                    f"no ground station named {station!r}; ground stations: {', '.join(stations) or 'none'}")


def _unique(names: list[str], key: str, path) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ScenarioError(path, key, f"name {name!r} is used twice; names must be unique")
        seen.add(name)


def _expand_ground_station_set(raw: dict, path) -> dict:
    """`ground_stations: {set: cities100, first: 20, stations: [...]}` -> a list."""
    stations = raw.get("ground_stations")
    if not isinstance(stations, dict):
        return raw
    return {**raw, "ground_stations": expand_station_set(stations, path)}


def _resolve_tle_files(raw: dict, path) -> dict:
    """TLE file paths are relative to the scenario file (to the working folder when the
    scenario did not come from a file)."""
    base = Path(path).parent if Path(path).is_file() else Path(".")
    tiers = (raw.get("constellation") or {}).get("tiers") if isinstance(raw.get("constellation"), dict) else None
    for tier in tiers if isinstance(tiers, list) else []:
        for source in (tier.get("tle") or []) if isinstance(tier, dict) and isinstance(tier.get("tle"), list) else []:
            if isinstance(source, dict) and isinstance(source.get("file"), str):
                source["file"] = str(base / source["file"])
    return raw


def _check_orbits(scenario: "Scenario", path) -> None:
    """Orbit-size keys, epochs, Walker collisions and TLE files (netsim.space.orbits.validate)."""
    validate_orbits(scenario, path)
