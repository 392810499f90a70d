"""The compute fabric's own workloads at load time (docs/workloads.md): inference served
to ground users, training jobs whose iterations end in an all-reduce, checkpoints to
storage satellites. `workloads:` is a section of its own, beside `traffic:` (which holds
network flows): a workload is not a flow but users, servers and jobs with compute, each
with its own results table. Job generators are expanded and every job's satellites are
chosen here (seeded), so the manifest holds them; servers and storage satellites depend
on where the satellites are, and are chosen as the run goes (netsim.run.workloads).

Errors name the file and the key (`workloads.training[0].satellites`) and exit 2 like
every scenario error.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from netsim.errors import ScenarioError, unknown_key
from netsim.scenario.describe import describe, dotted, first_error, section_type
from netsim.scenario.model import (MAX_COUNT, MAX_SECONDS, TCP_CONGESTION_CONTROLS, Scenario, Shell, _Section,
                                   plain_name)
from netsim.scenario.names import SatelliteNames

# Bytes a workload's UDP segment starts with (ns3::WorkloadHeader), and the most
# segments a message may have (its 16-bit segment count).
HEADER_BYTES = 12
MAX_SEGMENTS = 65535
# Jumbo frames between workload satellites: TCP segments of a 9,000-byte IP MTU.
JUMBO_SEGMENT_BYTES = 9000 - 20 - 20 - 12


# Longest compute of one request or one iteration (a day): compute times are nanosecond
# integers in the core.
MAX_COMPUTE_S = 86400.0


class Checkpoint(_Section):
    """Every `every` iterations each of the job's satellites sends its share of `bytes`
    to its storage satellite in `tier` (TCP); `restore`: first each reads its share back."""

    every: int = Field(ge=1, le=MAX_COUNT)
    bytes: int = Field(ge=1, le=10**15)  # the whole checkpoint, split evenly over the job's satellites
    tier: str = Field(max_length=64)
    # nearest: each satellite's nearest storage satellite at the job's start; single: the
    # one nearest to the job's first satellite, for all; random: one per satellite (seeded).
    placement: Literal["nearest", "single", "random"] = "nearest"
    blocking: bool = True  # a satellite waits until its shard is stored before computing on
    restore: bool = False  # read the checkpoint back before the first iteration


class TrainingJob(_Section):
    """k satellites of a tier: iterations of compute, then an all-reduce of the gradient."""

    name: str
    tier: str = Field(max_length=64)
    satellites: int = Field(ge=1, le=MAX_COUNT)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_name(value)
    # plane_run: consecutive slots of one plane; plane_block: `planes` adjacent planes,
    # satellites / planes consecutive slots in each (ring order snakes through them);
    # random: anywhere in the tier (seeded).
    placement: Literal["plane_run", "plane_block", "random"] = "plane_run"
    shell: str | None = Field(default=None, max_length=64)  # Walker shell for plane placements (default: the tier's first)
    plane: int | None = Field(default=None, ge=0, le=MAX_COUNT)  # first plane (default: drawn from seed)
    slot: int | None = Field(default=None, ge=0, le=MAX_COUNT)  # first slot (default: drawn from seed)
    planes: int = Field(default=2, ge=1, le=MAX_COUNT)  # plane_block
    seed: int | None = Field(default=None, ge=0, lt=2**31)  # default: the scenario seed
    # The job's satellites in ring order, when the user chooses them (else placement does).
    members: list[str] | None = Field(default=None, max_length=MAX_COUNT)
    # Set by the loader on every load: the satellites in ring order (members, or the
    # placement's choice). Not read from the file, so a sweep that changes `satellites`
    # or `placement` places the job again.
    placed: list[str] | None = Field(default=None, max_length=MAX_COUNT)
    iterations: int = Field(default=0, ge=0, le=MAX_COUNT)  # 0: until stop_s
    # Compute per iteration per satellite: seconds, or operations / the tier's compute_tops.
    compute_s: float | None = Field(default=None, gt=0, le=86400)
    compute_ops: float | None = Field(default=None, gt=0, le=1e24)
    # Straggling: each satellite's compute x (1 + X), X exponential with this mean.
    straggler: float = Field(default=0.0, ge=0, le=100)
    gradient_bytes: int = Field(ge=1, le=10**13)
    collective: Literal["ring", "tree"] = "ring"
    congestion_control: Literal[tuple(TCP_CONGESTION_CONTROLS)] = "cubic"  # type: ignore[valid-type]
    segment_bytes: int = Field(default=JUMBO_SEGMENT_BYTES, ge=64, le=JUMBO_SEGMENT_BYTES)
    # TCP send and receive buffers (the window); 0: sized to the path at the start.
    buffer_bytes: int = Field(default=0, ge=0, le=2**30)
    checkpoint: Checkpoint | None = None
    start_s: float = Field(default=0.0, ge=0, le=MAX_SECONDS)
    stop_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)  # no iteration starts after it; default duration_s

    @field_validator("buffer_bytes")
    @classmethod
    def _window(cls, value: int) -> int:
        if 0 < value < 65536:
            raise ValueError("must be 0 (sized to the path) or at least 65536 bytes")
        return value


class JobGenerator(_Section):
    """Many training jobs on disjoint satellites; every other key is a key of the jobs."""

    generate: Literal["jobs"]
    name: str | None = Field(default=None, max_length=48)  # prefix of the job names (default job<k>)
    count: int = Field(ge=1, le=10_000)
    seed: int | None = Field(default=None, ge=0, lt=2**31)
    # satellites per job, cycled over the jobs
    sizes: list[Annotated[int, Field(ge=1, le=MAX_COUNT)]] = Field(min_length=1, max_length=10_000)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        return value if value is None else plain_name(value)


class InferenceWorkload(_Section):
    """Users at ground stations sending requests to servers of a tier."""

    name: str
    tier: str = Field(max_length=64)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_name(value)
    # Users' stations: ground_stations (all), a list of names, or {random: N, seed: S}.
    stations: Any = "ground_stations"
    # Arrival rate per station, or per million inhabitants of the station (its population).
    rate_per_s: float | None = Field(default=None, gt=0, le=1e6)
    rate_per_million: float | None = Field(default=None, gt=0, le=1e6)
    arrivals: Literal["poisson", "constant", "trace"] = "poisson"
    # arrivals trace: CSV with time_s, station and optionally request_bytes, response_bytes, ops.
    trace_file: str | None = Field(default=None, min_length=1, max_length=4096)
    request_bytes: int = Field(default=2000, ge=HEADER_BYTES, le=16_000_000)
    response_bytes: int = Field(default=8000, ge=HEADER_BYTES, le=16_000_000)
    ops: float = Field(default=1e12, gt=0, le=1e21)  # operations per request
    # serving: the station's serving satellite (its ground link's); nearest_spare: the
    # nearest of `candidates` satellites with spare capacity; within_hops: any satellite
    # within `hops` ISL hops of the serving one, at random.
    placement: Literal["serving", "nearest_spare", "within_hops"] = "serving"
    candidates: int = Field(default=4, ge=1, le=64)
    hops: int = Field(default=1, ge=0, le=16)
    spare_below: int = Field(default=1, ge=1, le=1_000_000)  # backlog under which a server has spare capacity
    server_queue: int = Field(default=0, ge=0, le=1_000_000)  # requests waiting per satellite; 0: unlimited
    segment_bytes: int = Field(default=1472, ge=2 * HEADER_BYTES, le=1472)
    start_s: float = Field(default=0.0, ge=0, le=MAX_SECONDS)
    stop_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)  # default duration_s

    @model_validator(mode="after")
    def _segments(self):
        for key in ("request_bytes", "response_bytes"):
            if -(-getattr(self, key) // self.segment_bytes) > MAX_SEGMENTS:
                raise ValueError(f"{key} / segment_bytes: at most {MAX_SEGMENTS} segments a message "
                                 f"(got {-(-getattr(self, key) // self.segment_bytes)})")
        return self

    @model_validator(mode="after")
    def _one_rate(self):
        given = [k for k in ("rate_per_s", "rate_per_million") if getattr(self, k) is not None]
        if self.arrivals == "trace":
            if given:
                raise ValueError(f"arrivals trace takes its times from trace_file, not {given[0]}")
            if self.trace_file is None:
                raise ValueError("arrivals trace needs trace_file: a CSV of time_s, station (docs/workloads.md)")
        elif len(given) != 1:
            raise ValueError("give one of rate_per_s (per station) or rate_per_million (per million inhabitants)")
        elif self.trace_file is not None:
            raise ValueError("trace_file is only read with arrivals: trace")
        return self


class Workloads(_Section):
    inference: list[InferenceWorkload] = Field(default_factory=list)
    training: list[TrainingJob] = Field(default_factory=list)


def expand_workloads(scenario: Scenario, path, names: SatelliteNames) -> Scenario:
    """The scenario with `workloads` as a checked Workloads model: generators expanded,
    every job's satellites chosen, trace files read and checked."""
    raw = scenario.workloads
    if raw is None or isinstance(raw, Workloads):
        return scenario
    if not isinstance(raw, dict):
        raise ScenarioError(path, "workloads", "must be a mapping with inference: [...] and/or training: [...]")
    for key in raw:
        if key not in Workloads.model_fields:
            raise ScenarioError(path, f"workloads.{key}", unknown_key(key, Workloads.model_fields))
    ctx = _Context(scenario, path, names or SatelliteNames(scenario))
    inference = [_inference(entry, f"workloads.inference[{i}]", ctx)
                 for i, entry in enumerate(_list(raw.get("inference"), "workloads.inference", path))]
    training: list[TrainingJob] = []
    used: set[str] = set()
    for i, entry in enumerate(_list(raw.get("training"), "workloads.training", path)):
        key = f"workloads.training[{i}]"
        if isinstance(entry, TrainingJob):
            entry = entry.model_dump()
        if isinstance(entry, dict) and "generate" in entry:
            training += _generate_jobs(entry, key, i, ctx, used)
        else:
            training.append(_job(entry, key, ctx, used))
    _unique([w.name for w in inference] + [j.name for j in training], "workloads", path)
    return scenario.model_copy(update={"workloads": Workloads(inference=inference, training=training)})


def _list(value, key, path) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(path, key, "must be a list")
    return value


def _unique(names, key, path):
    seen = set()
    for name in names:
        if name in seen:
            raise ScenarioError(path, key, f"workload name {name!r} is used twice; names must be unique")
        seen.add(name)


class _Context:
    def __init__(self, scenario: Scenario, path, names: SatelliteNames):
        self.scenario, self.path, self.names = scenario, path, names
        self.tiers = {t.name: (i, t) for i, t in enumerate(scenario.constellation.tiers)}
        self.stations = [g.name for g in scenario.ground_stations]

    def tier(self, name, key: str, need_compute: bool = True):
        if name not in self.tiers:
            raise ScenarioError(self.path, key, f"no tier named {name!r}; tiers: {', '.join(self.tiers)}")
        index, tier = self.tiers[name]
        if need_compute and tier.compute_tops is None:
            raise ScenarioError(self.path, key, f"tier {name!r} has no compute: give "
                                f"constellation.tiers[{index}].compute_tops (TOPS per satellite)")
        return index, tier

    def tier_satellites(self, tier) -> list[str]:
        return self.names.in_blocks({b.name for b in (*tier.shells, *tier.tle)})

    def tier_size(self, tier) -> int:
        return sum(s.total for s in tier.shells) + sum(len(self.names.tle_names.get(t.name, ())) for t in tier.tle)

    def in_tier(self, name: str, tier) -> bool:
        if name not in self.names:
            return False
        if any(name in self.names.tle_names.get(t.name, ()) for t in tier.tle):
            return True
        shell = name.rpartition("-")[0].rpartition("-")[0]
        return shell in {s.name for s in tier.shells}

    def times(self, model, key):
        stop = model.stop_s if model.stop_s is not None else self.scenario.duration_s
        if not model.start_s < stop <= self.scenario.duration_s:
            raise ScenarioError(self.path, f"{key}.stop_s", f"need start_s < stop_s <= duration_s = "
                                f"{self.scenario.duration_s} (got {model.start_s} .. {stop})")


def _validate(model, entry, key: str, path):
    if isinstance(entry, model):
        return entry
    if not isinstance(entry, dict):
        raise ScenarioError(path, key, f"must be a mapping of the keys of a {model.__name__}")
    try:
        return model.model_validate(entry)
    except ValidationError as err:
        first = first_error(err.errors())
        loc = first["loc"]
        if first["type"] == "extra_forbidden":
            section = model
            for part in loc[:-1]:
                if isinstance(part, str) and part in section.model_fields:
                    section = section_type(section.model_fields[part].annotation) or section
            message = unknown_key(loc[-1], section.model_fields)
        elif first["type"] == "value_error" and not loc:
            message = first["msg"].removeprefix("Value error, ")
        else:
            message = describe(first, entry)
            if isinstance(first.get("input"), str) and _number_text(first["input"]):
                message += f"; YAML reads {first['input']} as text: write it with a sign in the exponent (1.0e+12)"
        return _raise(path, f"{key}.{dotted(loc)}" if loc else key, message)


def _number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _raise(path, key, message):
    raise ScenarioError(path, key, message)


def _inference(entry, key: str, ctx: _Context) -> InferenceWorkload:
    w = _validate(InferenceWorkload, entry, key, ctx.path)
    _, tier = ctx.tier(w.tier, f"{key}.tier")
    ctx.times(w, key)
    if w.placement in ("serving", "within_hops") and w.tier != ctx.scenario.serving_tier:
        raise ScenarioError(ctx.path, f"{key}.placement", f"{w.placement} uses the stations' serving satellites, "
                            f"which are in tier {ctx.scenario.serving_tier!r} (ground_links.tier), not {w.tier!r}; "
                            "use nearest_spare for another tier")
    tops = tier.compute_tops * 1e12
    if w.ops / tops > MAX_COMPUTE_S:
        raise ScenarioError(ctx.path, f"{key}.ops", f"{w.ops:g} operations take {w.ops / tops:.3g} s on a "
                            f"satellite of tier {w.tier!r} ({tier.compute_tops:g} TOPS); at most {MAX_COMPUTE_S:g} s")
    stations = select_stations(w.stations, f"{key}.stations", ctx)
    if w.rate_per_million is not None:
        known = {g.name: g.population for g in ctx.scenario.ground_stations}
        missing = [s for s in stations if not known.get(s)]
        if missing:
            raise ScenarioError(ctx.path, f"{key}.rate_per_million", f"station {missing[0]!r} has no population; "
                                "give it population: or use rate_per_s")
    if w.trace_file is not None:
        file = w.trace_file
        if not os.path.isabs(file) and Path(ctx.path).is_file():
            file = os.path.abspath(Path(ctx.path).parent / file)
        w = w.model_copy(update={"trace_file": os.path.abspath(file)})
        rows = read_trace(w, stations, f"{key}.trace_file", ctx.path, ctx.scenario.duration_s)
        longest = max((r["ops"] for r in rows), default=0.0) / tops
        if longest > MAX_COMPUTE_S:
            raise ScenarioError(ctx.path, f"{key}.trace_file", f"a request of the trace computes for {longest:.3g} s "
                                f"on tier {w.tier!r}; at most {MAX_COMPUTE_S:g} s")
    return w.model_copy(update={"stations": stations})


def select_stations(selector, key: str, ctx) -> list[str]:
    """Station names a stations selector picks, in file order."""
    stations = ctx.stations
    if not stations:
        raise ScenarioError(ctx.path, key, "the scenario has no ground stations for users")
    if selector in ("ground_stations", "all"):
        return list(stations)
    if isinstance(selector, list):
        for j, name in enumerate(selector):
            if name not in stations:
                raise ScenarioError(ctx.path, f"{key}[{j}]", f"no ground station named {name!r}")
        if len(set(selector)) != len(selector):
            raise ScenarioError(ctx.path, key, "a station is listed twice")
        return [s for s in stations if s in set(selector)]
    if isinstance(selector, dict) and set(selector) <= {"random", "seed"} and "random" in selector:
        count, seed = selector["random"], selector.get("seed", ctx.scenario.seed)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= len(stations):
            raise ScenarioError(ctx.path, f"{key}.random", f"must be 1..{len(stations)} stations (got {count!r})")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ScenarioError(ctx.path, f"{key}.seed", f"must be an integer >= 0 (got {seed!r})")
        chosen = set(np.random.default_rng(seed).choice(len(stations), size=count, replace=False).tolist())
        return [s for i, s in enumerate(stations) if i in chosen]
    raise ScenarioError(ctx.path, key, "must be ground_stations (all), a list of station names or "
                        f"{{random: N, seed: S}} (got {selector!r})")


TRACE_COLUMNS = ("time_s", "station", "request_bytes", "response_bytes", "ops")
MAX_TRACE_BYTES = 256 << 20
MAX_TRACE_OPS = 1e21


def read_trace(workload: InferenceWorkload, stations: list[str], key: str, path, duration_s: float) -> list[dict]:
    """The rows of an inference trace file: time_s, station and optional sizes and ops
    (the workload's values where a column is absent or a cell empty)."""
    file = Path(workload.trace_file)
    if not file.exists():
        raise ScenarioError(path, key, f"{file}: no such file")
    if not file.is_file():
        raise ScenarioError(path, key, f"{file} is not a regular file")
    try:
        if file.stat().st_size > MAX_TRACE_BYTES:
            raise ScenarioError(path, key, f"{file} is larger than {MAX_TRACE_BYTES >> 20} MiB")
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(path, key, f"cannot read {file}: {getattr(err, 'strerror', None) or err}") from None
    rows = []
    with io.StringIO(text, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for column in ("time_s", "station"):
            if column not in header:
                raise ScenarioError(path, key, f"{file}: no column {column!r} (columns: {', '.join(TRACE_COLUMNS)})")
        for extra in header:
            if extra not in TRACE_COLUMNS:
                raise ScenarioError(path, key, f"{file}: {unknown_key(extra, TRACE_COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                t = float(row["time_s"])
                out = {"time_s": t, "station": row["station"],
                       "request_bytes": int(row.get("request_bytes") or workload.request_bytes),
                       "response_bytes": int(row.get("response_bytes") or workload.response_bytes),
                       "ops": float(row.get("ops") or workload.ops)}
            except (ValueError, TypeError) as err:
                raise ScenarioError(path, key, f"{file}, line {line}: {err}") from None
            stop = workload.stop_s if workload.stop_s is not None else duration_s
            if not (workload.start_s <= t < stop):
                raise ScenarioError(path, key, f"{file}, line {line}: time_s {t} is outside start_s .. stop_s "
                                    f"({workload.start_s} .. {stop})")
            if out["station"] not in stations:
                raise ScenarioError(path, key, f"{file}, line {line}: station {out['station']!r} is not one of "
                                    "the workload's stations")
            for size in ("request_bytes", "response_bytes"):
                if not HEADER_BYTES <= out[size] <= 16_000_000:
                    raise ScenarioError(path, key, f"{file}, line {line}: {size} must be {HEADER_BYTES}..16000000")
                if -(-out[size] // workload.segment_bytes) > MAX_SEGMENTS:
                    raise ScenarioError(path, key, f"{file}, line {line}: {size} / segment_bytes: at most "
                                        f"{MAX_SEGMENTS} segments a message")
            if not 0 < out["ops"] <= MAX_TRACE_OPS:
                raise ScenarioError(path, key, f"{file}, line {line}: ops must be > 0 and at most {MAX_TRACE_OPS:g}")
            rows.append(out)
    return rows


def _job(entry, key: str, ctx: _Context, used: set[str], where: str | None = None,
         placed: list[str] | None = None) -> TrainingJob:
    job = _validate(TrainingJob, entry, where or key, ctx.path)
    key = where or key
    ti, tier = ctx.tier(job.tier, f"{key}.tier")
    ctx.times(job, key)
    if (job.compute_s is None) == (job.compute_ops is None):
        raise ScenarioError(ctx.path, f"{key}.compute_s", "give one of compute_s (seconds per iteration) or "
                            "compute_ops (operations per iteration per satellite, / the tier's compute_tops)")
    if job.compute_ops is not None and job.compute_ops / (tier.compute_tops * 1e12) > MAX_COMPUTE_S:
        raise ScenarioError(ctx.path, f"{key}.compute_ops", f"{job.compute_ops:g} operations take "
                            f"{job.compute_ops / (tier.compute_tops * 1e12):.3g} s on a satellite of tier "
                            f"{job.tier!r} ({tier.compute_tops:g} TOPS); at most {MAX_COMPUTE_S:g} s per iteration")
    if job.gradient_bytes < job.satellites:
        raise ScenarioError(ctx.path, f"{key}.gradient_bytes", f"must be at least one byte per satellite "
                            f"({job.satellites}) (got {job.gradient_bytes})")
    size = ctx.tier_size(tier)
    if job.satellites > size:
        raise ScenarioError(ctx.path, f"{key}.satellites", f"{job.satellites} satellites; tier {job.tier!r} has "
                            f"{size}")
    if job.checkpoint is not None:
        ctx.tier(job.checkpoint.tier, f"{key}.checkpoint.tier", need_compute=False)
        if job.checkpoint.tier == job.tier:
            raise ScenarioError(ctx.path, f"{key}.checkpoint.tier", "storage is in another tier than the job's")
        if job.checkpoint.bytes < job.satellites:
            raise ScenarioError(ctx.path, f"{key}.checkpoint.bytes", "must be at least one byte per satellite")
    if job.members is not None:
        chosen = list(job.members)
        for j, name in enumerate(chosen):
            if not ctx.in_tier(name, tier):
                raise ScenarioError(ctx.path, f"{key}.members[{j}]", f"{name!r} is no satellite of tier {job.tier!r}")
        if len(chosen) != job.satellites or len(set(chosen)) != len(chosen):
            raise ScenarioError(ctx.path, f"{key}.members", f"need {job.satellites} distinct satellites "
                                f"(got {len(chosen)})")
    else:
        chosen = placed if placed is not None else _place(job, key, ti, tier, ctx, used)
    overlap = used & set(chosen)
    if overlap:
        raise ScenarioError(ctx.path, f"{key}.members", f"satellite {sorted(overlap)[0]!r} already runs another "
                            "training job")
    used.update(chosen)
    return job.model_copy(update={"placed": chosen})


def _shell(job: TrainingJob, key: str, tier, ctx) -> Shell:
    shells = {s.name: s for s in tier.shells}
    if job.shell is not None:
        if job.shell not in shells:
            raise ScenarioError(ctx.path, f"{key}.shell", f"tier {tier.name!r} has no Walker shell {job.shell!r}; "
                                f"shells: {', '.join(shells) or 'none'}")
        return shells[job.shell]
    if not tier.shells:
        raise ScenarioError(ctx.path, f"{key}.placement", f"{job.placement} needs a Walker shell; tier "
                            f"{tier.name!r} has only TLE sets: use placement random")
    return tier.shells[0]


def _place(job: TrainingJob, key: str, ti: int, tier, ctx, used: set[str], rng=None) -> list[str]:
    """Satellite names in ring order (neighbours in the ring are neighbours in orbit)."""
    rng = rng or np.random.default_rng(job.seed if job.seed is not None else ctx.scenario.seed)
    k = job.satellites
    if job.placement == "random":
        pool = [s for s in ctx.tier_satellites(tier) if s not in used]
        if k > len(pool):
            raise ScenarioError(ctx.path, f"{key}.satellites", f"only {len(pool)} free satellites in tier {tier.name!r}")
        return [pool[i] for i in sorted(rng.choice(len(pool), size=k, replace=False).tolist())]
    shell = _shell(job, key, tier, ctx)
    if job.placement == "plane_run":
        planes, per_plane = 1, k
        if k > shell.sats_per_plane:
            raise ScenarioError(ctx.path, f"{key}.satellites", f"{k} satellites do not fit one plane of shell "
                                f"{shell.name!r} ({shell.sats_per_plane} per plane): use plane_block or random")
    else:
        planes = job.planes
        if k % planes:
            raise ScenarioError(ctx.path, f"{key}.planes", f"satellites ({k}) must divide into planes ({planes})")
        per_plane = k // planes
        if planes > shell.planes or per_plane > shell.sats_per_plane:
            raise ScenarioError(ctx.path, f"{key}.planes", f"{planes} planes x {per_plane} slots do not fit shell "
                                f"{shell.name!r} ({shell.planes} planes x {shell.sats_per_plane})")
    for attempt in range(1000):
        plane = job.plane if job.plane is not None else int(rng.integers(shell.planes))
        slot = job.slot if job.slot is not None else int(rng.integers(shell.sats_per_plane))
        if plane >= shell.planes:
            raise ScenarioError(ctx.path, f"{key}.plane", f"shell {shell.name!r} has planes 0..{shell.planes - 1}")
        if slot >= shell.sats_per_plane:
            raise ScenarioError(ctx.path, f"{key}.slot", f"shell {shell.name!r} has slots 0..{shell.sats_per_plane - 1}")
        names = []
        for p in range(planes):
            slots = [(slot + j) % shell.sats_per_plane for j in range(per_plane)]
            if p % 2:
                slots.reverse()  # snake: the ring goes back along the next plane
            names += [f"{shell.name}-{(plane + p) % shell.planes}-{s}" for s in slots]
        if not used & set(names):
            return names
        if job.plane is not None and job.slot is not None:
            break
    raise ScenarioError(ctx.path, f"{key}.placement", f"no free place for {k} satellites in shell {shell.name!r}: "
                        "other jobs hold them")


_JOB_GENERATOR_KEYS = set(JobGenerator.model_fields)


def _generate_jobs(entry: dict, key: str, index: int, ctx: _Context, used: set[str]) -> list[TrainingJob]:
    spec = _validate(JobGenerator, {k: v for k, v in entry.items() if k in _JOB_GENERATOR_KEYS}, key, ctx.path)
    template = {k: v for k, v in entry.items() if k not in _JOB_GENERATOR_KEYS}
    for banned in ("name", "satellites", "members", "placed", "plane", "slot", "seed"):
        if banned in template:
            raise ScenarioError(ctx.path, f"{key}.{banned}", "set per job by the generator (name, sizes, seed)")
    seed = spec.seed if spec.seed is not None else ctx.scenario.seed
    rng = np.random.default_rng(seed)
    prefix = spec.name or f"job{index}"
    jobs = []
    for j in range(spec.count):
        raw = {**template, "name": f"{prefix}-{j}", "satellites": spec.sizes[j % len(spec.sizes)]}
        job = _validate(TrainingJob, raw, key, ctx.path)
        ti, tier = ctx.tier(job.tier, f"{key}.tier")
        if job.satellites > ctx.tier_size(tier):
            raise ScenarioError(ctx.path, f"{key}.sizes", f"{job.satellites} satellites; tier {job.tier!r} has "
                                f"{ctx.tier_size(tier)}")
        members = _place(job, key, ti, tier, ctx, used, rng)
        jobs.append(_job(raw, key, ctx, used, where=key, placed=members))
    return jobs
