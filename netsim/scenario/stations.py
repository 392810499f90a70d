"""Bundled ground-station sets (netsim/data): `ground_stations: {set: cities100, ...}`."""

from __future__ import annotations

import csv
from importlib import resources

from netsim.errors import ScenarioError, unknown_key
from netsim.scenario.describe import shown

# Bundled station sets: name -> CSV in netsim/data (columns name, lat_deg, lon_deg, alt_km,
# and optionally population: an integer, or empty when unknown).
STATION_SETS = {"cities100": "cities100.csv"}


def station_set(name: str) -> list[dict]:
    """Rows of a bundled set, in file order (for cities100: by population rank); a row
    carries `population` when the file has it."""
    text = resources.files("netsim.data").joinpath(STATION_SETS[name]).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out = []
    for r in rows:
        row = {"name": r["name"], "lat_deg": float(r["lat_deg"]), "lon_deg": float(r["lon_deg"]),
               "alt_km": float(r["alt_km"])}
        if r.get("population"):
            row["population"] = int(r["population"])
        out.append(row)
    return out


def expand_station_set(spec: dict, path) -> list:
    """`{set: NAME, first: N, stations: [...]}` -> the set's first N stations, then the list."""
    allowed = {"set", "first", "stations"}
    for key in spec:
        if key not in allowed:
            raise ScenarioError(path, f"ground_stations.{key}", unknown_key(key, ("set", "first", "stations")))
    name = spec.get("set")
    if not isinstance(name, str) or name not in STATION_SETS:
        raise ScenarioError(path, "ground_stations.set",
                            f"no bundled set {shown(name)}; sets: {', '.join(STATION_SETS)}")
    rows = station_set(name)
    first = spec.get("first", len(rows))
    if not isinstance(first, int) or isinstance(first, bool) or not 1 <= first <= len(rows):
        raise ScenarioError(path, "ground_stations.first",
                            f"must be a whole number from 1 to {len(rows)} (got {shown(first)})")
    extra = spec.get("stations", [])
    if not isinstance(extra, list):
        raise ScenarioError(path, "ground_stations.stations",
                            "must be a list of {name, lat_deg, lon_deg, alt_km}")
    return rows[:first] + extra
