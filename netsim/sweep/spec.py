"""Sweep files: YAML -> a validated plan of points (resolved scenarios with run ids).

A sweep is a base scenario plus axes that address scenario keys by dotted path
(`laser.tx_power_w`, `traffic[0].rate_mbps`, `traffic[*].rate_mbps`). Points come from
a grid (every combination), zipped axes (the i-th value of every axis) or seeded random
sampling, each repeated for every replicate seed. Every point is validated as a scenario
before anything runs. Errors name the file, the key and what is allowed (SweepError).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from netsim.errors import ScenarioError, SweepError, read_yaml, unknown_key
from netsim.scenario.dotted import parse_path, set_path

SAMPLINGS = ("grid", "zip", "random")
TOP_KEYS = ("name", "base", "set", "sampling", "samples", "sampling_seed", "axes", "replicates", "seeds",
            "retries", "timeout_s", "cluster", "max_points")
# Points a sweep may have unless its file raises `max_points` (each is validated as a
# scenario, ~1-10 ms, and gets a run folder).
MAX_POINTS = 10_000
MAX_POINTS_LIMIT = 10_000_000
# grid/zip: how an axis lists its values; random: how an axis draws them.
LIST_SPECS = ("values", "linspace", "geomspace", "range")
RANDOM_SPECS = ("uniform", "log_uniform", "int", "choice")
RUN_ID_CHARS = 12


@dataclass(frozen=True)
class Point:
    """One run: the parameter values, the replicate seed and the resolved scenario."""

    index: int                 # point number in plan order (0-based, replicates counted)
    params: dict[str, Any]     # dotted path -> value, axes only
    replicate: int
    seed: int
    scenario: dict             # resolved scenario (JSON-compatible), seed included
    run_id: str                # hash of the resolved scenario: same point, same id


@dataclass
class Sweep:
    name: str
    path: Path                 # the sweep file
    base_path: Path
    sampling: str
    axes: dict[str, Any]
    points: list[Point]
    retries: int = 0
    timeout_s: float | None = None
    cluster: dict = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        return list(self.axes)


# ---------------------------------------------------------------------------- axes

def _axis_values(spec: Any, sampling: str, key: str, where, max_points: int = MAX_POINTS) -> list | dict:
    """grid/zip: the list of values; random: a {kind: args} distribution."""
    if isinstance(spec, list):
        if not spec:
            raise SweepError(where, key, "an axis needs at least one value")
        return spec if sampling != "random" else {"choice": spec}
    allowed = RANDOM_SPECS if sampling == "random" else LIST_SPECS
    if not isinstance(spec, dict) or len(spec) != 1:
        raise SweepError(where, key, f"must be a list of values or one of {{{': ..., '.join(allowed)}: ...}} "
                                     f"(sampling: {sampling}; got {spec!r})")
    (kind, args), = spec.items()
    if kind not in allowed:
        other = "random" if kind in RANDOM_SPECS else "grid or zip"
        hint = f" ({kind} is for sampling: {other})" if kind in RANDOM_SPECS + LIST_SPECS else ""
        raise SweepError(where, f"{key}.{kind}", f"unknown axis spec{hint}; allowed with sampling: {sampling}: "
                                                 + ", ".join(allowed))
    k = f"{key}.{kind}"
    if kind in ("values", "choice"):
        if not isinstance(args, list) or not args:
            raise SweepError(where, k, f"must be a non-empty list (got {args!r})")
        return args if kind == "values" else {"choice": args}
    numbers = isinstance(args, list) and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
    if numbers and not all(math.isfinite(a) for a in args):
        raise SweepError(where, k, f"numbers must be finite (got {args!r})")
    if kind in ("linspace", "geomspace"):
        if not numbers or len(args) != 3 or not isinstance(args[2], int) or args[2] < 1:
            raise SweepError(where, k, f"must be [start, stop, count] with count an integer >= 1 (got {args!r})")
        start, stop, n = args
        if n > max_points:
            raise SweepError(where, k, f"{n:,} values, more than max_points = {max_points:,} (raise max_points "
                                       "in the sweep file if the machine can take it)")
        if kind == "geomspace" and (start <= 0 or stop <= 0):
            raise SweepError(where, k, f"start and stop must be > 0 (got {args!r})")
        if n == 1:
            return [start]
        if kind == "linspace":
            return [_clean(start + (stop - start) * i / (n - 1)) for i in range(n)]
        return [_clean(start * (stop / start) ** (i / (n - 1))) for i in range(n)]
    if kind == "range":
        if not numbers or len(args) not in (2, 3) or (len(args) == 3 and args[2] == 0):
            raise SweepError(where, k, f"must be [start, stop] or [start, stop, step], step != 0 (got {args!r})")
        start, stop, step = (*args, 1) if len(args) == 2 else args
        n = math.ceil((stop - start) / step - 1e-9)
        if n < 1:
            raise SweepError(where, k, f"is empty (got {args!r})")
        if n > max_points:
            raise SweepError(where, k, f"{n:,} values, more than max_points = {max_points:,} (raise max_points "
                                       "in the sweep file if the machine can take it)")
        ints = all(isinstance(a, int) for a in (start, stop, step))
        return [start + i * step if ints else _clean(start + i * step) for i in range(n)]
    # random distributions
    if not numbers or len(args) != 2 or not args[0] <= args[1]:
        raise SweepError(where, k, f"must be [low, high] with low <= high (got {args!r})")
    if kind == "log_uniform" and args[0] <= 0:
        raise SweepError(where, k, f"low must be > 0 (got {args!r})")
    if kind == "int" and not all(isinstance(a, int) and -2**62 <= a <= 2**62 for a in args):
        raise SweepError(where, k, f"low and high must be integers from -2^62 to 2^62 (got {args!r})")
    return {kind: args}


def _clean(x: float) -> float:
    """Round float noise away (0.30000000000000004 -> 0.3) so values print and hash stably."""
    return float(f"{x:.12g}")


def _draw(dist: dict, rng) -> Any:
    (kind, args), = dist.items()
    if kind == "choice":
        return copy.deepcopy(args[int(rng.integers(len(args)))])
    if kind == "uniform":
        return _clean(rng.uniform(args[0], args[1]))
    if kind == "log_uniform":
        return _clean(math.exp(rng.uniform(math.log(args[0]), math.log(args[1]))))
    return int(rng.integers(args[0], args[1] + 1))  # int: inclusive


def _combinations(sweep_path, sampling: str, axes: dict, samples: int | None, seed: int) -> list[dict]:
    names = list(axes)
    if not names:
        return [{}]
    if sampling == "grid":
        return [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]
    if sampling == "zip":
        lengths = {n: len(axes[n]) for n in names}
        if len(set(lengths.values())) != 1:
            raise SweepError(sweep_path, "axes", "with sampling: zip every axis needs the same number of values; got "
                             + ", ".join(f"{n}: {k}" for n, k in lengths.items()))
        return [dict(zip(names, combo)) for combo in zip(*(axes[n] for n in names))]
    import numpy as np

    rng = np.random.default_rng(seed)
    return [{n: _draw(axes[n], rng) for n in names} for _ in range(samples)]


# ---------------------------------------------------------------------------- loading

def _axis_of(key: str, axis_parts: dict) -> str:
    """'axes.AXIS' for the axis that sets the scenario key an error names, else 'axes'."""
    try:
        parts = parse_path(key)
    except ValueError:
        return "axes"
    for axis, pattern in axis_parts.items():
        if len(pattern) <= len(parts) and all(a == "*" or a == b for a, b in zip(pattern, parts)):
            return f"axes.{axis}"
    return "axes"


def run_id(scenario: dict) -> str:
    """Deterministic id of a resolved scenario (its seed included): the run folder's name."""
    from netsim.scenario.model import Limits

    if scenario.get("limits") == Limits().model_dump(mode="json"):  # ids as before the limits section
        scenario = {k: v for k, v in scenario.items() if k != "limits"}
    text = json.dumps(scenario, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:RUN_ID_CHARS]


def _expect(where, key: str, value, kinds, what: str):
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        raise SweepError(where, key, f"must be {what} (got {value!r})")
    return value


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file and every point it makes; raise SweepError/ScenarioError."""
    path = Path(path)
    return sweep_from_dict(read_yaml(path, SweepError), path)


def sweep_from_dict(raw: Any, path: str | Path = "<sweep>") -> Sweep:
    from netsim.scenario.load import load_scenario, scenario_from_dict

    path = Path(path)
    if not isinstance(raw, dict):
        raise SweepError(path, "", "must be a mapping of keys such as name, base, axes")
    for key in raw:
        if key not in TOP_KEYS:
            raise SweepError(path, str(key), unknown_key(key, TOP_KEYS))
    for key in ("name", "base"):
        if key not in raw:
            raise SweepError(path, key, "required key is missing")
    name = _expect(path, "name", raw["name"], (str,), "a name")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise SweepError(path, "name", f"use letters, digits, '.', '_' and '-' (it names the output folder; got {name!r})")
    base_text = _expect(path, "base", raw["base"], (str,), "the path of a scenario file, relative to the sweep file")
    base_path = (path.resolve().parent / base_text).resolve()
    if not base_path.is_file():
        raise SweepError(path, "base", f"no scenario file {base_path}")
    # Absolute path: TLE files in the base resolve to absolute paths, valid from any run folder.
    base = load_scenario(base_path).model_dump(mode="json")

    max_points = raw.get("max_points", MAX_POINTS)
    if isinstance(max_points, bool) or not isinstance(max_points, int) or not 1 <= max_points <= MAX_POINTS_LIMIT:
        raise SweepError(path, "max_points", f"must be an integer from 1 to {MAX_POINTS_LIMIT:,} (got {max_points!r})")

    def too_many(key: str, n: int, what: str) -> None:
        if n > max_points:
            raise SweepError(path, key, f"{what}: {n:,}, more than max_points = {max_points:,} (raise max_points "
                                        "in the sweep file if the machine can take it)")

    sampling = raw.get("sampling", "grid")
    if sampling not in SAMPLINGS:
        raise SweepError(path, "sampling", f"must be one of {', '.join(SAMPLINGS)} (got {sampling!r})")
    samples = raw.get("samples")
    if sampling == "random":
        if samples is None:
            raise SweepError(path, "samples", "required with sampling: random (number of points to draw)")
        _expect(path, "samples", samples, (int,), "an integer >= 1")
        if samples < 1:
            raise SweepError(path, "samples", f"must be an integer >= 1 (got {samples})")
        too_many("samples", samples, "points drawn")
    else:
        for key in ("samples", "sampling_seed"):
            if key in raw:
                raise SweepError(path, key, f"only with sampling: random (sampling is {sampling})")
    sampling_seed = _expect(path, "sampling_seed", raw.get("sampling_seed", 0), (int,), "an integer")
    if not 0 <= sampling_seed < 2**63:
        raise SweepError(path, "sampling_seed", f"must be an integer from 0 to 2^63-1 (got {sampling_seed})")

    fixed = raw.get("set") or {}
    _expect(path, "set", fixed, (dict,), "a mapping of dotted paths to values")
    axes_raw = raw.get("axes") or {}
    _expect(path, "axes", axes_raw, (dict,), "a mapping of dotted paths to lists of values")

    def check_path(section: str, key) -> list:
        try:
            parts = parse_path(key)
        except ValueError as err:
            raise SweepError(path, f"{section}.{key}", f"must be {err}") from None
        if parts[0] == "seed" and len(parts) == 1:
            raise SweepError(path, f"{section}.{key}", "the seed is set by replicates or seeds")
        try:
            set_path(copy.deepcopy(base), parts, None)
        except KeyError as err:
            raise SweepError(path, f"{section}.{key}", f"not a key of the base scenario {base_path.name}: "
                                                       f"{err.args[0]}") from None
        return parts

    fixed_parts = {key: check_path("set", key) for key in fixed}
    axes = {}
    axis_parts = {}
    for key, spec in axes_raw.items():
        axis_parts[key] = check_path("axes", key)
        axes[key] = _axis_values(spec, sampling, f"axes.{key}", path, max_points)

    if "replicates" in raw and "seeds" in raw:
        raise SweepError(path, "seeds", "give replicates or seeds, not both")
    if "seeds" in raw:
        seeds = raw["seeds"]
        if (not isinstance(seeds, list) or not seeds or len(set(map(str, seeds))) != len(seeds)
                or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds)):
            raise SweepError(path, "seeds", f"must be a list of distinct integers 0..2^31-1 (got {seeds!r})")
    else:
        n = raw.get("replicates", 1)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SweepError(path, "replicates", f"must be an integer >= 1 (got {n!r})")
        too_many("replicates", n, "replicates")
        if base["seed"] + n > 2**31:
            raise SweepError(path, "replicates", f"seeds {base['seed']}..{base['seed'] + n - 1} go beyond 2^31-1")
        seeds = [base["seed"] + r for r in range(n)]
    retries = raw.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SweepError(path, "retries", f"must be an integer >= 0 (got {retries!r})")
    timeout = raw.get("timeout_s")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout <= 1e7):
        raise SweepError(path, "timeout_s", f"must be a number of seconds, 0 < timeout_s <= 1e7 (got {timeout!r})")
    if retries > 100:
        raise SweepError(path, "retries", f"must be at most 100 (got {retries})")
    combos = (math.prod(len(v) for v in axes.values()) if sampling == "grid"
              else max((len(v) for v in axes.values()), default=1) if sampling == "zip" else samples)
    too_many("axes", combos * len(seeds), "points (combinations x replicates)")
    from netsim.sweep.cluster import check_cluster_section

    cluster = check_cluster_section(raw.get("cluster") or {}, path)

    resolved = copy.deepcopy(base)
    for key, parts in fixed_parts.items():
        set_path(resolved, parts, fixed[key])
    try:
        scenario_from_dict(copy.deepcopy(resolved), base_path)
    except ScenarioError as err:
        raise SweepError(path, "set", f"the base with these changes is not a valid scenario: "
                                      f"key '{err.key}': {err.problem}") from None

    points: list[Point] = []
    seen: dict[str, int] = {}
    for combo in _combinations(path, sampling, axes, samples, sampling_seed):
        scenario = copy.deepcopy(resolved)
        for key, value in combo.items():
            set_path(scenario, axis_parts[key], value)
        for r, seed in enumerate(seeds):
            one = copy.deepcopy(scenario)
            one["seed"] = seed
            label = ", ".join(f"{k}={v!r}" for k, v in combo.items()) + (f", seed={seed}" if combo else f"seed={seed}")
            try:
                checked = scenario_from_dict(copy.deepcopy(one), base_path).model_dump(mode="json")
            except ScenarioError as err:
                raise SweepError(path, _axis_of(err.key, axis_parts), f"point {len(points)} ({label}) is not a "
                                 f"valid scenario: key '{err.key}': {err.problem}") from None
            rid = run_id(checked)
            if rid in seen:
                if sampling == "random":
                    continue  # the same draw twice (small choice axes): one run
                raise SweepError(path, "axes", f"point {len(points)} ({label}) repeats point {seen[rid]}; "
                                               "every point must differ")
            seen[rid] = len(points)
            points.append(Point(len(points), combo, r, seed, checked, rid))
    return Sweep(name, path, base_path, sampling, axes, points, retries, timeout, cluster)


def random_elements(scenario: dict) -> list[str]:
    """What in a resolved scenario draws from the seed, so that replicates can differ: bit
    errors (laser physics draws every frame against its error probability), pointing or
    tracking jitter, random acquisition times, exponential on/off periods. Traffic
    generators (random_pairs) are drawn once when the base is read, so replicates share
    their pairs."""
    found = []
    laser = scenario.get("laser") or {}
    if laser.get("physics"):
        found.append("bit errors (laser.physics)")
        if laser.get("pointing_jitter_urad"):
            found.append("pointing jitter (laser.pointing_jitter_urad)")
    for ti, tier in enumerate((scenario.get("constellation") or {}).get("tiers") or []):
        for role, group in ((tier.get("terminals") or {}).items()):
            if not isinstance(group, dict):
                continue
            if isinstance(group.get("acquisition_s"), dict):
                found.append(f"random acquisition times (constellation.tiers[{ti}].terminals.{role}.acquisition_s)")
            if laser.get("physics") and group.get("tracking_jitter_urad"):
                found.append(f"tracking jitter (constellation.tiers[{ti}].terminals.{role}.tracking_jitter_urad)")
    if isinstance((scenario.get("ground_links") or {}).get("acquisition_s"), dict):
        found.append("random acquisition times (ground_links.acquisition_s)")
    for i, flow in enumerate(scenario.get("traffic") or []):
        if flow.get("kind") == "udp_onoff" and flow.get("distribution") == "exponential":
            found.append(f"exponential on/off periods (traffic[{i}])")
    return found


def replicate_warning(sweep: "Sweep") -> str | None:
    """A warning when a sweep has several replicates that cannot differ (None otherwise)."""
    seeds = {p.seed for p in sweep.points}
    if len(seeds) < 2 or any(random_elements(p.scenario) for p in sweep.points):
        return None
    return (f"the {len(seeds)} replicate seeds of each point will give identical results: the scenario has no "
            "random element (no bit errors: laser.physics is false; no pointing or tracking jitter; no random "
            "acquisition times; no exponential on/off periods); use one replicate, or add one of these")
