"""Reading a scenario: YAML -> checked model (netsim.scenario.model), with cross-key
rules, bundled station sets, orbit checks and traffic expansion. Every error names the
file, the key as a dotted path and what is allowed (ScenarioError)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netsim.errors import ScenarioError, read_yaml
from netsim.scenario import limits
from netsim.scenario.background import check_background
from netsim.scenario.describe import describe, dotted, first_error
from netsim.scenario.clouds_file import MAX_CLOUD_INTERVALS, read_cloud_file
from netsim.scenario.links_file import read_links_file
from netsim.scenario.model import Scenario
from netsim.scenario.names import SatelliteNames
from netsim.scenario.stations import expand_station_set
from netsim.scenario.traffic import expand_traffic
from netsim.scenario.workloads import expand_workloads
# Checks that need the orbit and attitude models call down into netsim.space.
from netsim.space.attitude import boresight_vector
from netsim.space.orbits import tle_set
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
    raw = _resolve_files(raw, path)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        first = first_error(err.errors())
        raise ScenarioError(path, dotted(first["loc"]), describe(first, raw)) from None
    limits.check_satellites(scenario, path)  # before the Walker checks and names
    names = _check_references(scenario, path)
    _check_cloud_files(scenario, path)
    check_background(scenario, path, names)
    scenario = expand_workloads(expand_traffic(scenario, path, names), path, names)
    stations = {g.name for g in scenario.ground_stations}
    endpoints = {end for flow in scenario.traffic for end in (flow.src, flow.dst) if end not in stations}
    limits.check_routing(scenario, path, scenario.satellite_count + sum(map(len, names.tle_names.values())),
                         len(endpoints) + limits.workload_endpoints(scenario))
    limits.check_traffic(scenario, path)
    return scenario


def _check_cloud_files(scenario: Scenario, path) -> None:
    """Cloud files parse; drawn cloud cover stays within MAX_CLOUD_INTERVALS spells per sky
    (a cloudy spell begins every tau / (p (1 - p)) s on average)."""
    clouds = scenario.ground_links.clouds
    for i, station in enumerate(scenario.ground_stations):
        if station.cloud_file is None:
            p = clouds.probability if station.cloud_probability is None else station.cloud_probability
            tau = clouds.correlation_s if station.cloud_correlation_s is None else station.cloud_correlation_s
            spells = (scenario.duration_s + scenario.drain_s) * p * (1 - p) / tau
            if spells > MAX_CLOUD_INTERVALS:
                key = (f"ground_stations[{i}].cloud_correlation_s" if station.cloud_correlation_s is not None
                       else "ground_links.clouds.correlation_s")
                raise ScenarioError(path, key, f"{spells:,.0f} cloudy spells expected over the run, more than "
                                               f"{MAX_CLOUD_INTERVALS:,}; give a longer correlation time")
            continue
        if station.cloud_probability is not None:
            raise ScenarioError(path, f"ground_stations[{i}].cloud_file",
                                "give cloud_file or cloud_probability, not both")
        read_cloud_file(station.cloud_file, f"ground_stations[{i}].cloud_file", path)


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
            _check_policy_keys(group, role, key, path)
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


def _check_policy_keys(group, role: str, key: str, path) -> None:
    """Keys that belong to one policy are refused with another."""
    if group.policy == "list" and role != "isl":
        raise ScenarioError(path, f"{key}.policy", "list is a policy of isl terminals only; up/down: nearest, least_loaded")
    if group.policy == "list" and group.links_file is None:
        raise ScenarioError(path, f"{key}.links_file", "required with policy list: a file of links (docs/terminals.md)")
    if group.policy != "list" and group.links_file is not None:
        raise ScenarioError(path, f"{key}.links_file", f"only with policy list (the policy is {group.policy})")
    # Values, not "was the key given": a sweep re-validates a dumped model with every key.
    for name in ("cross_plane_offset", "seam_offset"):
        if getattr(group, name) != type(group).model_fields[name].default and group.policy != "plus_grid":
            raise ScenarioError(path, f"{key}.{name}", f"only with policy plus_grid (the policy is {group.policy})")
    if role != "isl" and group.policy == "plus_grid":
        raise ScenarioError(path, f"{key}.policy", "plus_grid is a policy of isl terminals only; up/down: "
                                                   "nearest, least_loaded")


# Keys of the assigned ground-link mode, meaningless when stations use every satellite in view.
ASSIGNED_ONLY_KEYS = ("terminals", "terminals_per_satellite", "policy", "switch_margin", "acquisition_s",
                      "max_slew_rate_deg_s")


def _check_ground_links(scenario: Scenario, path) -> None:
    gl = scenario.ground_links
    changed = [name for name in type(gl).model_fields if getattr(gl, name) != type(gl).model_fields[name].default]
    if gl.mode == "any_visible":
        for name in ASSIGNED_ONLY_KEYS:
            if name in changed:
                raise ScenarioError(path, f"ground_links.{name}", "only with mode assigned; mode any_visible uses "
                                                                  "every satellite in view, up to max_links")
        for i, station in enumerate(scenario.ground_stations):
            if station.terminals is not None:
                raise ScenarioError(path, f"ground_stations[{i}].terminals",
                                    "only with ground_links.mode assigned (any_visible: ground_links.max_links)")
    elif "max_links" in changed:
        raise ScenarioError(path, "ground_links.max_links", "only with mode any_visible (assigned: terminals)")


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


def _check_references(scenario: Scenario, path) -> SatelliteNames:
    """Cross-key rules the per-key types cannot express; returns the satellites' names."""
    _check_terminals(scenario, path)
    _check_ground_links(scenario, path)
    _unique([t.name for t in scenario.constellation.tiers], "constellation.tiers", path)
    _unique([b.name for _, b in scenario.blocks], "constellation.tiers[] shells and tle sets", path)
    _unique([g.name for g in scenario.ground_stations], "ground_stations", path)
    for ti, tier in enumerate(scenario.constellation.tiers):
        for si, shell in enumerate(tier.shells):
            if shell.phasing >= max(shell.planes, 1) and shell.planes > 1:
                raise ScenarioError(path, f"constellation.tiers[{ti}].shells[{si}].phasing",
                                    f"must be between 0 and planes - 1 = {shell.planes - 1} (got {shell.phasing})")
    _check_orbits(scenario, path)
    names = _satellite_names(scenario, path)
    _check_links_files(scenario, names, path)
    tiers = [t.name for t in scenario.constellation.tiers]
    for i, tier in enumerate(scenario.routing.tiers or []):
        if tier not in tiers:
            raise ScenarioError(path, f"routing.tiers[{i}]", f"no tier named {tier!r}; tiers: {', '.join(tiers)}")
    if scenario.ground_links.tier is not None and scenario.ground_links.tier not in tiers:
        raise ScenarioError(path, "ground_links.tier",
                            f"no tier named {scenario.ground_links.tier!r}; tiers: {', '.join(tiers)}")
    stations = [g.name for g in scenario.ground_stations]
    satellite_like = [g.name for g in scenario.ground_stations if g.name in names]
    if satellite_like:
        raise ScenarioError(path, "ground_stations", f"station name {satellite_like[0]!r} is also a satellite's name")
    # traffic: checked while it is expanded (netsim.scenario.traffic.expand_traffic).
    pcap_nodes = [(f"outputs.pcap_nodes[{i}]", node) for i, node in enumerate(scenario.outputs.pcap_nodes)]
    pcap_nodes += [(f"outputs.pcap[{i}].nodes[{j}]", node) for i, selector in enumerate(scenario.outputs.pcap)
                   for j, node in enumerate(selector.nodes)]
    for key, node in pcap_nodes:
        if node not in stations and node not in names:
            reason = names.why_unknown(node) if "-" in node else f"no node named {node!r}"
            raise ScenarioError(path, key, f"{reason}; use a ground station ({', '.join(stations) or 'none'}) or a satellite")
    for i, selector in enumerate(scenario.outputs.pcap):
        for j, tier in enumerate(selector.tiers):
            if tier not in tiers:
                raise ScenarioError(path, f"outputs.pcap[{i}].tiers[{j}]", f"no tier named {tier!r}; tiers: {', '.join(tiers)}")
        for j, station in enumerate(selector.ground_stations if isinstance(selector.ground_stations, list) else []):
            if station not in stations:
                raise ScenarioError(path, f"outputs.pcap[{i}].ground_stations[{j}]",
                                    f"no ground station named {station!r}; ground stations: {', '.join(stations) or 'none'}")
    return names


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


def _resolve_files(raw: dict, path) -> dict:
    """TLE and ISL list file paths are relative to the scenario file (to the working
    folder when the scenario did not come from a file); made absolute, so a resolved
    scenario (a sweep point, a manifest) reads the same files again."""
    base = Path(path).parent if Path(path).is_file() else Path(".")
    tiers = (raw.get("constellation") or {}).get("tiers") if isinstance(raw.get("constellation"), dict) else None
    for tier in tiers if isinstance(tiers, list) else []:
        if not isinstance(tier, dict):
            continue
        for source in tier.get("tle") if isinstance(tier.get("tle"), list) else []:
            if isinstance(source, dict) and isinstance(source.get("file"), str):
                source["file"] = os.path.abspath(base / source["file"])
        isl = tier.get("terminals", {}).get("isl") if isinstance(tier.get("terminals"), dict) else None
        if isinstance(isl, dict) and isinstance(isl.get("links_file"), str):
            isl["links_file"] = os.path.abspath(base / isl["links_file"])
    stations = raw.get("ground_stations")
    for station in stations if isinstance(stations, list) else []:
        if isinstance(station, dict) and isinstance(station.get("cloud_file"), str):
            station["cloud_file"] = os.path.abspath(base / station["cloud_file"])
    background = raw.get("background")
    matrix = background.get("matrix") if isinstance(background, dict) else None
    for part in matrix if isinstance(matrix, list) else []:
        if isinstance(part, dict) and isinstance(part.get("file"), str):
            part["file"] = os.path.abspath(base / part["file"])
    return raw


def _satellite_names(scenario: Scenario, path) -> SatelliteNames:
    """Every satellite's name; TLE sets are read (their names come from the files), and a
    TLE set in a tier with +Grid ISLs needs a plane/slot order."""
    tle_names = {}
    for ti, tier in enumerate(scenario.constellation.tiers):
        isl = tier.terminals.isl
        for si, source in enumerate(tier.tle):
            key = f"constellation.tiers[{ti}].tle[{si}]"
            found = tle_set(source, key, path)
            tle_names[source.name] = found.names
            if isl.policy == "plus_grid" and isl.count == 4 and found.grid is None:
                raise ScenarioError(path, f"{key}.planes", "+Grid ISLs need the set's order: give planes and "
                                    "sats_per_plane (file order, plane by plane), or choose another "
                                    "terminals.isl.policy (list, nearest) or count 0")
    return SatelliteNames(scenario, tle_names)


def _check_links_files(scenario: Scenario, names: SatelliteNames, path) -> None:
    """ISL list files: every end a satellite of the tier, no self or repeated links, no
    satellite with more links than isl terminals."""
    for ti, tier in enumerate(scenario.constellation.tiers):
        isl = tier.terminals.isl
        if isl.policy != "list":
            continue
        key = f"constellation.tiers[{ti}].terminals.isl.links_file"
        members = names.in_blocks({b.name for b in (*tier.shells, *tier.tle)})
        index = {name: i for i, name in enumerate(members)}
        degree: dict[int, int] = {}
        seen: set[tuple[int, int]] = set()
        for line, *ends in read_links_file(isl.links_file, key, path):
            pair = []
            for end in ends:
                i = int(end) if end.isdigit() else index.get(end)
                if i is None or i >= len(members):
                    what = f"index {end} (the tier has {len(members)} satellites, 0..{len(members) - 1})" \
                        if end.isdigit() else f"{end!r} is no satellite of tier {tier.name!r}"
                    raise ScenarioError(path, key, f"{isl.links_file}, line {line}: {what}")
                pair.append(i)
            a, b = min(pair), max(pair)
            if a == b:
                raise ScenarioError(path, key, f"{isl.links_file}, line {line}: a satellite cannot link to itself")
            if (a, b) in seen:
                raise ScenarioError(path, key, f"{isl.links_file}, line {line}: link {members[a]} - {members[b]} "
                                               "is listed twice")
            seen.add((a, b))
            for i in (a, b):
                degree[i] = degree.get(i, 0) + 1
                if degree[i] > isl.count:
                    raise ScenarioError(path, key, f"{isl.links_file}, line {line}: {members[i]} has more links "
                                        f"than isl terminals (count = {isl.count})")


def _check_orbits(scenario: "Scenario", path) -> None:
    """Orbit-size keys, epochs, Walker collisions and TLE files (netsim.space.orbits.validate)."""
    validate_orbits(scenario, path)
