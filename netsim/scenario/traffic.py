"""Traffic at load time: every `traffic` entry of a scenario is a flow (udp_cbr,
udp_onoff, udp_burst, tcp_bulk, ping) or a generator (all_pairs, random_pairs, gravity);
generators are expanded into flows, deterministically, and every flow is checked
(endpoints exist, times fit). The scenario that comes out holds only flow models.
Installing the flows in a run: netsim.run.traffic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from netsim.errors import ScenarioError, unknown_key
from netsim.scenario.describe import describe, dotted, first_error
from netsim.scenario.model import TRAFFIC_KINDS, FlowGenerator, Scenario, UdpCbrFlow
from netsim.scenario.names import SatelliteNames

FLOW_PORT_BASE = 9000  # flow i uses UDP/TCP port FLOW_PORT_BASE + i
MAX_FLOWS = 65535 - FLOW_PORT_BASE
RATE_KINDS = ("udp_cbr", "udp_onoff")
MAX_GRAVITY_PAIRS = 10_000_000

def expand_traffic(scenario: Scenario, path, satellites: SatelliteNames | None = None) -> Scenario:
    """The scenario with its traffic as a list of checked flow models (generators expanded)."""
    if not scenario.traffic:
        return scenario
    stations = [g.name for g in scenario.ground_stations]
    ctx = _Context(scenario, path, stations, satellites or SatelliteNames(scenario))
    flows: list = []
    for i, entry in enumerate(scenario.traffic):
        key = f"traffic[{i}]"
        if isinstance(entry, (UdpCbrFlow, *TRAFFIC_KINDS.values())):  # already expanded
            flows.append(entry)
            continue
        if not isinstance(entry, dict):
            raise ScenarioError(path, key, "must be a mapping: a flow (kind: udp_cbr, ...) or a generator (generate: ...)")
        if "generate" in entry:
            flows.extend(_generate(entry, key, i, ctx))
        else:
            flows.append(_flow(entry, key, ctx))
    if len(flows) > MAX_FLOWS:
        raise ScenarioError(path, "traffic", f"{len(flows)} flows; at most {MAX_FLOWS} (one UDP/TCP port each)")
    seen: dict[str, int] = {}
    for i, flow in enumerate(flows):
        if flow.name in seen:
            raise ScenarioError(path, "traffic", f"flow name {flow.name!r} is used twice; names must be unique")
        seen[flow.name] = i
    return scenario.model_copy(update={"traffic": flows})


@dataclass
class _Context:
    scenario: Scenario
    path: Any
    stations: list[str]
    names: SatelliteNames

    @property
    def satellites(self) -> list[str]:
        return self.names.all()

    def is_node(self, name: Any) -> bool:
        return isinstance(name, str) and (name in self.stations or name in self.names)

    def unknown(self, name: Any) -> str:
        if isinstance(name, str) and "-" in name:
            return self.names.why_unknown(name)
        return (f"no node named {name!r}; use a ground station ({', '.join(self.stations) or 'none'}) "
                "or a satellite (SHELL-PLANE-INDEX or SET-CATALOG)")


def _flow(entry: dict, key: str, ctx: _Context, where: str | None = None):
    """Validate one flow mapping; `where` overrides the key used in errors (generators)."""
    kind = entry.get("kind", "udp_cbr")
    model = TRAFFIC_KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ScenarioError(ctx.path, f"{where or key}.kind",
                            f"unknown kind {kind!r}; kinds: {', '.join(TRAFFIC_KINDS)}")
    raw = dict(entry)
    if model is not UdpCbrFlow:
        raw["kind"] = kind
        if raw.get("name") is None and isinstance(raw.get("src"), str) and isinstance(raw.get("dst"), str):
            raw["name"] = f"{kind}:{raw['src']}>{raw['dst']}"
    try:
        flow = model.model_validate(raw)
    except ValidationError as err:
        first = first_error(err.errors())
        message = describe(first, raw)
        if first["type"] == "extra_forbidden":
            message = unknown_key(first["loc"][-1], model.model_fields)
        raise ScenarioError(ctx.path, f"{where or key}.{dotted(first['loc'])}", message) from None
    scenario, path = ctx.scenario, ctx.path
    for end in ("src", "dst"):
        if not ctx.is_node(getattr(flow, end)):
            raise ScenarioError(path, f"{where or key}.{end}", ctx.unknown(getattr(flow, end)))
    if flow.src == flow.dst:
        raise ScenarioError(path, f"{where or key}.dst", "must differ from src")
    stop = flow.stop_s if flow.stop_s is not None else scenario.duration_s
    if not flow.start_s < stop <= scenario.duration_s:
        raise ScenarioError(path, f"{where or key}.stop_s",
                            f"need start_s < stop_s <= duration_s = {scenario.duration_s} (got {flow.start_s} .. {stop})")
    return flow


def _select(selector: Any, key: str, ctx: _Context) -> list[str]:
    """Node names a selector picks, in node order without repeats."""
    allowed = ("ground_stations | satellites | a node name | {tier: NAME} | {shell: NAME (a shell or TLE set)} "
               "| a list of these")
    if isinstance(selector, list):
        names: list[str] = []
        for j, part in enumerate(selector):
            names += _select(part, f"{key}[{j}]", ctx)
        return list(dict.fromkeys(names))
    if selector == "ground_stations":
        return list(ctx.stations)
    if selector == "satellites":
        return list(ctx.satellites)
    if isinstance(selector, str):
        if not ctx.is_node(selector):
            raise ScenarioError(ctx.path, key, f"{ctx.unknown(selector)}; a selector is {allowed}")
        return [selector]
    if isinstance(selector, dict) and len(selector) == 1:
        (what, name), = selector.items()
        if what == "tier":
            tiers = [t.name for t in ctx.scenario.constellation.tiers]
            if name not in tiers:
                raise ScenarioError(ctx.path, f"{key}.tier", f"no tier named {name!r}; tiers: {', '.join(tiers)}")
            blocks = {b.name for t, b in ctx.scenario.blocks if t == name}
        elif what == "shell":
            all_blocks = [b.name for _, b in ctx.scenario.blocks]
            if name not in all_blocks:
                raise ScenarioError(ctx.path, f"{key}.shell",
                                    f"no shell or TLE set named {name!r}; there are: {', '.join(all_blocks)}")
            blocks = {name}
        else:
            raise ScenarioError(ctx.path, f"{key}.{what}", f"unknown selector key; a selector is {allowed}")
        return ctx.names.in_blocks(blocks)
    raise ScenarioError(ctx.path, key, f"not a selector (got {selector!r}); a selector is {allowed}")


_GENERATOR_KEYS = set(FlowGenerator.model_fields)


def _generate(entry: dict, key: str, index: int, ctx: _Context) -> list:
    spec_raw = {k: v for k, v in entry.items() if k in _GENERATOR_KEYS}
    template = {k: v for k, v in entry.items() if k not in _GENERATOR_KEYS}
    try:
        spec = FlowGenerator.model_validate(spec_raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise ScenarioError(ctx.path, f"{key}.{dotted(first['loc'])}", describe(first, spec_raw)) from None
    path = ctx.path
    if spec.among is not None and (spec.src is not None or spec.dst is not None):
        raise ScenarioError(path, f"{key}.among", "give either among or src and dst, not both")
    if spec.among is not None:
        src_names = dst_names = _select(spec.among, f"{key}.among", ctx)
    elif spec.src is not None and spec.dst is not None:
        src_names = _select(spec.src, f"{key}.src", ctx)
        dst_names = _select(spec.dst, f"{key}.dst", ctx)
    else:
        raise ScenarioError(path, f"{key}.among", "required: the endpoints (among, or src and dst); "
                            "e.g. among: ground_stations")
    kind = template.get("kind", "udp_cbr")
    prefix = spec.name or f"gen{index}"
    n_pairs = len(src_names) * len(dst_names) - len(set(src_names) & set(dst_names))
    if n_pairs <= 0:
        raise ScenarioError(path, key, "the selectors give no pair of distinct endpoints")

    if spec.generate == "all_pairs":
        if n_pairs > MAX_FLOWS:
            raise ScenarioError(path, f"{key}.among", f"{n_pairs} pairs; at most {MAX_FLOWS} flows")
        pairs = [(s, d) for s in src_names for d in dst_names if s != d]
        extra = [{}] * len(pairs)
    elif spec.generate == "random_pairs":
        if spec.count is None:
            raise ScenarioError(path, f"{key}.count", "required for random_pairs: how many flows")
        if spec.count > MAX_FLOWS:
            raise ScenarioError(path, f"{key}.count", f"{spec.count} flows; at most {MAX_FLOWS} (one UDP/TCP port each)")
        if spec.count > n_pairs:
            raise ScenarioError(path, f"{key}.count", f"only {n_pairs} distinct pairs to choose from (got {spec.count})")
        rng = np.random.default_rng(spec.seed if spec.seed is not None else ctx.scenario.seed)
        chosen: dict[tuple[str, str], None] = {}
        while len(chosen) < spec.count:
            s = src_names[int(rng.integers(len(src_names)))]
            d = dst_names[int(rng.integers(len(dst_names)))]
            if s != d:
                chosen.setdefault((s, d))
        pairs = list(chosen)
        extra = [{}] * len(pairs)
    else:  # gravity
        pairs, extra = _gravity(spec, key, kind, src_names, dst_names, ctx)

    flows = []
    for (s, d), more in zip(pairs, extra):
        raw = {**template, **more, "src": s, "dst": d, "name": f"{prefix}:{s}>{d}"}
        if kind == "udp_cbr":
            raw.setdefault("kind", "udp_cbr")
        flows.append(_flow(raw, key, ctx, where=key))
    return flows


def _gravity(spec: FlowGenerator, key: str, kind: str, src_names, dst_names, ctx: _Context):
    """Pairs weighted by population_src * population_dst; a node's population is its
    `populations` entry, else its ground station's `population` (bundled sets fill it),
    else 1. The total rate (or bytes) is split in proportion; count keeps the heaviest pairs."""
    path = ctx.path
    for name in spec.populations:
        if not ctx.is_node(name):
            raise ScenarioError(path, f"{key}.populations.{name}", f"no node named {name!r}")
    if kind in RATE_KINDS:
        if spec.total_rate_mbps is None:
            raise ScenarioError(path, f"{key}.total_rate_mbps", f"required for gravity with kind {kind}")
        total, field_name = spec.total_rate_mbps, "rate_mbps"
    elif kind == "tcp_bulk":
        if spec.total_bytes is None:
            raise ScenarioError(path, f"{key}.total_bytes", "required for gravity with kind tcp_bulk")
        total, field_name = spec.total_bytes, "bytes"
    else:
        raise ScenarioError(path, f"{key}.kind", f"gravity splits a rate or a volume: use udp_cbr, udp_onoff "
                            f"(total_rate_mbps) or tcp_bulk (total_bytes), not {kind}")
    known = {g.name: g.population for g in ctx.scenario.ground_stations if g.population is not None}

    def pop(name: str) -> float:
        return float(spec.populations.get(name, known.get(name, 1.0)))

    n_pairs = len(src_names) * len(dst_names)
    if n_pairs > MAX_GRAVITY_PAIRS:
        raise ScenarioError(path, key, f"gravity weighs every pair: {n_pairs:,} pairs of endpoints; at most "
                                       f"{MAX_GRAVITY_PAIRS:,} (choose fewer endpoints, or random_pairs)")
    pairs = [(s, d) for s in src_names for d in dst_names if s != d]
    weight = np.array([pop(s) * pop(d) for s, d in pairs])
    if spec.count is not None and spec.count < len(pairs):
        keep = np.sort(np.argsort(-weight, kind="stable")[:spec.count])
        pairs = [pairs[i] for i in keep]
        weight = weight[keep]
    if not weight.sum() > 0:
        raise ScenarioError(path, f"{key}.populations", "the pair weights sum to zero")
    share = weight / weight.sum() * total
    if field_name == "bytes":
        extra = [{"bytes": max(1, int(round(v)))} for v in share]
    else:
        extra = [{"rate_mbps": float(v)} for v in share]
    return pairs, extra
