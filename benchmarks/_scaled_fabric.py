"""Scaled copies of the seed fabric (topologies/seed-fabric.yaml) for benchmarks/scale.py.

A copy keeps the three tiers, their terminals, the ground stations, ground links and
traffic; each shell's planes and satellites per plane shrink by sqrt(fraction), and its
Walker phasing F is re-chosen to keep satellites as far apart as possible (phasing 1
often puts two satellites on top of each other, which the scenario validator refuses).
Variants change one knob at a time: ground stations, flows, routing interval, duration.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import yaml

from netsim.space.walker import closest_pair

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "topologies" / "seed-fabric.yaml"
PHASING_CANDIDATES = 60


def seed_scenario() -> dict:
    return yaml.safe_load(SEED.read_text())


def shells(raw: dict):
    for tier in raw["constellation"]["tiers"]:
        yield from tier["shells"]


def satellite_count(raw: dict) -> int:
    return sum(s["planes"] * s["sats_per_plane"] for s in shells(raw))


def best_phasing(inclination_deg: float, planes: int, per_plane: int) -> int:
    """The phasing F, among ~60 spread over 0..planes-1, with the widest closest approach."""
    candidates = np.unique(np.linspace(0, planes - 1, PHASING_CANDIDATES).round().astype(int))
    inclination = math.radians(inclination_deg)
    return int(max(candidates, key=lambda f: closest_pair(inclination, planes, per_plane, int(f), 2 * math.pi)[0]))


def scaled(raw: dict, fraction: float) -> dict:
    """The scenario with each shell's planes and sats_per_plane times sqrt(fraction)."""
    out = copy.deepcopy(raw)
    k = math.sqrt(fraction)
    for shell in shells(out):
        planes = max(1, round(shell["planes"] * k))
        per_plane = max(1, round(shell["sats_per_plane"] * k))
        if (planes, per_plane) != (shell["planes"], shell["sats_per_plane"]):  # full size keeps its own F
            shell["phasing"] = best_phasing(shell["inclination_deg"], planes, per_plane)
        shell["planes"], shell["sats_per_plane"] = planes, per_plane
    out["name"] = f"{raw['name']}-{satellite_count(out)}"
    return out


def with_duration(raw: dict, duration_s: float) -> dict:
    return {**copy.deepcopy(raw), "duration_s": duration_s}


def with_ground_stations(raw: dict, first: int) -> dict:
    """Only the first (most populous) stations of the bundled set."""
    out = copy.deepcopy(raw)
    out["ground_stations"] = {**out["ground_stations"], "first": first}
    return out


def with_flows(raw: dict, factor: float) -> dict:
    """factor x the generated flows. The gravity total rate grows too, so each added flow
    adds traffic as the fixed-rate random_pairs flows do."""
    out = copy.deepcopy(raw)
    for gen in out["traffic"]:
        if gen.get("generate") in ("gravity", "random_pairs"):
            gen["count"] = max(1, round(gen["count"] * factor))
        if gen.get("generate") == "gravity" and "total_rate_mbps" in gen:
            gen["total_rate_mbps"] = gen["total_rate_mbps"] * factor
    return out


def with_routing_interval(raw: dict, interval_s: float) -> dict:
    out = copy.deepcopy(raw)
    out["routing"] = {**out.get("routing", {}), "update_interval_s": interval_s}
    return out


def write(raw: dict, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
