"""Background load at load time: the keys each generator needs and allows, the tiers
they name, the demand files and the number of demands (netsim.scenario.model.Background).
The demands themselves are drawn at run time (netsim.run.background), where satellites
are node indices rather than names."""

from __future__ import annotations

import math

from netsim.errors import ScenarioError, read_data_file
from netsim.scenario.model import BackgroundDemands, Scenario
from netsim.scenario.names import SatelliteNames

MAX_FILE_DEMANDS = 10_000_000
# Keys a generator uses beyond generate, name, seed; any other key given is a mistake.
_USES = {"gravity": {"total_gbps", "total_tbps", "count"},
         "uniform": {"total_gbps", "total_tbps", "count"},
         "ground_to_tier": {"total_gbps", "total_tbps", "count", "tier", "direction"},
         "tier_to_tier": {"total_gbps", "total_tbps", "count", "src_tier", "dst_tier", "destinations"},
         "file": {"file"}}
_REQUIRED = {"gravity": set(), "uniform": {"count"}, "ground_to_tier": {"count", "tier"},
             "tier_to_tier": {"count", "src_tier", "dst_tier"}, "file": {"file"}}


def check_background(scenario: Scenario, path, names: SatelliteNames) -> None:
    """Refuse a background section whose generators lack a key, give one they do not use,
    name an unknown tier or a bad file, or ask for more demands than limits allow."""
    background = scenario.background
    if background is None:
        return
    stations = [g.name for g in scenario.ground_stations]
    total = 0
    for i, part in enumerate(background.matrix):
        key = f"background.matrix[{i}]"
        # Keys set away from their defaults (a resolved scenario, as in a manifest, lists all).
        given = {k for k, f in BackgroundDemands.model_fields.items()
                 if getattr(part, k) != f.default} - {"generate", "name", "seed"}
        for extra in sorted(given - _USES[part.generate]):
            raise ScenarioError(path, f"{key}.{extra}", f"not used by generate: {part.generate}; it uses "
                                                        f"{', '.join(sorted(_USES[part.generate]))}")
        for missing in sorted(_REQUIRED[part.generate] - given):
            raise ScenarioError(path, f"{key}.{missing}", f"required for generate: {part.generate}")
        if part.generate != "file" and (part.total_gbps is None) == (part.total_tbps is None):
            raise ScenarioError(path, f"{key}.total_gbps", "give exactly one of total_gbps or total_tbps")
        tiers = [t.name for t in scenario.constellation.tiers]
        for tier_key in ("tier", "src_tier", "dst_tier"):
            value = getattr(part, tier_key)
            if value is not None and value not in tiers:
                raise ScenarioError(path, f"{key}.{tier_key}", f"no tier named {value!r}; tiers: {', '.join(tiers)}")
        if part.generate in ("gravity", "uniform", "ground_to_tier") and len(stations) < (
                1 if part.generate == "ground_to_tier" else 2):
            raise ScenarioError(path, f"{key}.generate", f"{part.generate} needs ground stations "
                                                         f"(the scenario has {len(stations)})")
        if part.generate == "tier_to_tier":
            in_tier = len(names.in_blocks({b.name for t, b in scenario.blocks if t == part.dst_tier}))
            if part.destinations > in_tier:
                raise ScenarioError(path, f"{key}.destinations", f"{part.destinations} destinations, but tier "
                                                                 f"{part.dst_tier} has {in_tier} satellites")
        if part.generate == "file":
            total += len(read_demand_file(part.file, f"{key}.file", path, stations, names))
        elif part.generate == "gravity":
            pairs = len(stations) * (len(stations) - 1)
            total += min(part.count or pairs, pairs)
        else:
            total += part.count
        if total > scenario.limits.max_background_demands:
            raise ScenarioError(path, key, f"background demands of matrix[0..{i}]: {total:,}, more than the limit "
                                           f"of {scenario.limits.max_background_demands:,} (raise "
                                           "limits.max_background_demands if the machine can take it)")


def read_demand_file(file, key: str, scenario_path, stations: list[str],
                     names: SatelliteNames) -> list[tuple[str, str, float]]:
    """(src, dst, rate_gbps) of every line of a demand file: `src,dst,rate_gbps` with
    node names (ground stations or SHELL-PLANE-INDEX / SET-CATALOG); a first line
    `src,dst,rate_gbps` is a header; `#` starts a comment."""
    text = read_data_file(file, key, scenario_path, "demand file")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = [field.strip() for field in line.split("#", 1)[0].split(",")]
        if body == [""]:
            continue
        if number == 1 and body == ["src", "dst", "rate_gbps"]:
            continue
        where = f"{file}, line {number}"
        if len(body) != 3:
            raise ScenarioError(scenario_path, key, f"{where}: expected src,dst,rate_gbps (got {len(body)} fields)")
        src, dst, rate = body
        for end in (src, dst):
            if end not in stations and end not in names:
                raise ScenarioError(scenario_path, key, f"{where}: no node named {end!r}; use a ground station "
                                                        "or a satellite (SHELL-PLANE-INDEX or SET-CATALOG)")
        if src == dst:
            raise ScenarioError(scenario_path, key, f"{where}: src and dst are the same node")
        try:
            value = float(rate)
        except ValueError:
            value = math.nan
        if not 0 < value <= 1e6:
            raise ScenarioError(scenario_path, key, f"{where}: rate_gbps must be a number in (0, 1e6] (got {rate!r})")
        rows.append((src, dst, value))
        if len(rows) > MAX_FILE_DEMANDS:
            raise ScenarioError(scenario_path, key, f"{where}: more than {MAX_FILE_DEMANDS:,} demands")
    if not rows:
        raise ScenarioError(scenario_path, key, f"{file}: no demands (lines src,dst,rate_gbps)")
    return rows
