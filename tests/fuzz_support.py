"""Bad inputs generated from the schema, and the checks every one of them must pass.

Cases are generated, not listed: every field of the scenario model (netsim.scenario.model,
walked recursively, traffic kinds and generators included) gets wrong types, negative,
zero, inf, nan, huge, empty, unicode/NUL and path-like values and its own bounds; every
option of every subcommand (walked from netsim.cli.main.build_parser) gets bad numbers,
paths and choices; capture files (written with scapy) get broken header fields; sweep files
get bad top keys and axis specs; run folders get symlinks at every output name.

Each case runs `netsim ...` in a subprocess with cwd and --out in its own temporary
folder, an address-space limit (RLIMIT_AS, 2 GB) and a time limit, and must: exit 2 (or
0 where the input is valid), say so in one line on stderr without a traceback, leave
every file outside its --out folder as it was, and never leave a manifest saying ok for
a failed run. tests/test_fuzz.py runs a sample; benchmarks/fuzz.py runs them all.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import resource
import stat
import struct
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 2 * 1024**3
TIME_LIMIT_S = 240  # the machine's 2 cores are shared: a valid tiny run takes 5-15 s

# A tiny scenario: a 6 x 6 shell, two stations, one flow, 0.4 s; its limits are lowered so
# that every valid value still makes a run of seconds (the limits are under test too).
TINY = {
    "name": "tiny", "duration_s": 0.3, "drain_s": 0.1,
    "constellation": {"tiers": [{"name": "vleo", "shells": [
        {"altitude_km": 550, "inclination_deg": 53, "planes": 6, "sats_per_plane": 6, "phasing": 1}]}]},
    "ground_stations": [{"name": "london", "lat_deg": 51.5074, "lon_deg": -0.1278},
                        {"name": "paris", "lat_deg": 48.8566, "lon_deg": 2.3522}],
    "ground_links": {"elevation_mask_deg": 10},
    "routing": {"update_interval_s": 0.1},
    "traffic": [{"name": "f", "src": "london", "dst": "paris", "rate_mbps": 1, "packet_bytes": 500,
                 "start_s": 0.05, "stop_s": 0.25}],
    "outputs": {"pcap_nodes": ["london"]},
    "limits": {"max_satellites": 5000, "max_routing_entries": 100_000, "max_updates": 200,
               "max_packets": 20_000, "max_path_rows": 10_000},
}
FLOW_TEMPLATES = {
    "udp_cbr": {"kind": "udp_cbr", "rate_mbps": 1, "packet_bytes": 500},
    "udp_onoff": {"kind": "udp_onoff", "rate_mbps": 1, "on_s": 0.05, "off_s": 0.05},
    "udp_burst": {"kind": "udp_burst", "burst_packets": 3, "period_s": 0.05},
    "tcp_bulk": {"kind": "tcp_bulk", "bytes": 20000},
    "ping": {"kind": "ping", "interval_s": 0.05},
}
GENERATOR = {"generate": "random_pairs", "among": "ground_stations", "count": 1, "kind": "udp_cbr",
             "rate_mbps": 1, "start_s": 0.05, "stop_s": 0.25}
# The compute fabric's workloads on TINY's tier (its compute rate is set where they are used).
WORKLOADS = {
    "inference": {"name": "chat", "tier": "vleo", "rate_per_s": 10, "request_bytes": 2000, "response_bytes": 4000,
                  "ops": 1.0e+9, "start_s": 0.05, "stop_s": 0.25},
    "training": {"name": "job", "tier": "vleo", "satellites": 2, "plane": 0, "slot": 0, "compute_s": 0.05,
                 "gradient_bytes": 100000, "iterations": 2,
                 "checkpoint": {"every": 1, "bytes": 20000, "tier": "meo"}},
    "jobs": {"generate": "jobs", "count": 1, "sizes": [2], "tier": "vleo", "compute_s": 0.05,
             "gradient_bytes": 100000, "iterations": 2},
}
# One background part per generator (TINY: two stations, one 36-satellite tier).
BACKGROUND_PARTS = [
    {"generate": "gravity", "total_gbps": 1},
    {"generate": "uniform", "count": 3, "total_gbps": 1},
    {"generate": "ground_to_tier", "tier": "vleo", "count": 3, "total_tbps": 0.001},
    {"generate": "tier_to_tier", "src_tier": "vleo", "dst_tier": "vleo", "destinations": 2, "count": 3,
     "total_gbps": 1},
]
HUGE_INT = 2**70
BAD_STRINGS = ["", "nul\x00inside", "ünïcødé-名前", "../../escape", "a" * 5000, "line\nbreak"]


@dataclasses.dataclass
class Case:
    name: str
    argv: list[str]                        # after `netsim`; {dir} is the case folder
    files: dict[str, Any] = dataclasses.field(default_factory=dict)  # name -> dict (YAML) | bytes | str
    setup: Callable[[Path], None] | None = None
    valid: bool | None = None               # None: either exit 0 or 2 is right
    out: str = "out"                        # the folder the command may write (relative)
    allow_exit: tuple = (0, 2)


# ---------------------------------------------------------------------------- values

def _origin(annotation):
    return typing.get_origin(annotation), typing.get_args(annotation)


def _kinds(annotation) -> set[str]:
    """'int', 'float', 'str', 'bool', 'literal', 'list', 'dict', 'model', 'any' in an annotation."""
    from pydantic import BaseModel

    origin, args = _origin(annotation)
    if annotation is typing.Any:
        return {"any"}
    if origin is typing.Literal:
        return {"literal"}
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return set().union(*(_kinds(a) for a in args if a is not type(None)))
    if origin is typing.Annotated:
        return _kinds(args[0])
    if origin in (list, tuple):
        return {"list"}
    if origin is dict:
        return {"dict"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"model"}
    return {getattr(annotation, "__name__", "any")}


def _bounds(field) -> list:
    """Values just outside and at the edges of a field's ge/gt/le/lt bounds."""
    out = []
    for meta in field.metadata:
        for name in ("ge", "gt", "le", "lt"):
            bound = getattr(meta, name, None)
            if bound is None:
                continue
            step = max(abs(bound) * 1e-6, 1e-9) if isinstance(bound, float) else 1
            outside = bound - step if name in ("ge", "gt") else bound + step
            out += [bound, outside]
    return out


def field_values(field) -> list[tuple[str, Any]]:
    kinds = _kinds(field.annotation)
    values: list[tuple[str, Any]] = []
    if kinds & {"int", "float"}:
        values += [("neg", -1), ("zero", 0), ("inf", float("inf")), ("nan", float("nan")), ("huge", 1e300),
                   ("hugeint", HUGE_INT), ("string", "12")]
        values += [(f"bound{b!r}", b) for b in _bounds(field)]
    if "str" in kinds:
        values += [(f"str{i}", s) for i, s in enumerate(BAD_STRINGS)] + [("int", 7)]
    if "bool" in kinds:
        values += [("yes", "yes"), ("two", 2)]
    if "literal" in kinds:
        values += [("unknown", "bogus"), ("number", 3)]
    if kinds & {"list", "dict", "model", "any"}:
        values += [("scalar", 5), ("nested", [[[[]]]])]
    return values


# ---------------------------------------------------------------------------- scenario cases

def _set(tree, path: list, value) -> None:
    for part in path[:-1]:
        tree = tree[part]
    tree[path[-1]] = value


def _sections(model, path: list, raw_parent) -> list[tuple[list, Any]]:
    """(path, model) of every section reachable in the tiny scenario, with the raw tree
    grown where a section is missing (so its fields can be mutated)."""
    out = [(path, model)]
    for name, field in model.model_fields.items():
        kinds = _kinds(field.annotation)
        if "model" not in kinds:
            continue
        sub = _section_type(field.annotation)
        if sub is None:
            continue
        node = raw_parent.get(name) if isinstance(raw_parent, dict) else None
        if kinds - {"model", "list"}:
            continue  # a number or a section (acquisition_s): its values are fuzzed as a leaf
        if "list" in kinds:
            if not isinstance(node, list) or not node:
                continue
            out += _sections(sub, path + [name, 0], node[0])
        elif isinstance(node, dict):
            out += _sections(sub, path + [name], node)
    return out


def _section_type(annotation):
    from netsim.scenario.describe import section_type

    return section_type(annotation)


def scenario_cases() -> list[Case]:
    from netsim.scenario.model import TRAFFIC_KINDS, FlowGenerator, Scenario

    cases = []
    bases: list[tuple[str, dict, list, Any]] = []  # (label, raw, path, model)
    raw = walk_base()
    for path, model in _sections(Scenario, [], raw):
        bases.append(("scenario", raw, path, model))
    for kind, template in FLOW_TEMPLATES.items():
        flow_raw = copy.deepcopy(TINY)
        flow_raw["traffic"] = [{"name": "f", "src": "london", "dst": "paris", "start_s": 0.05, "stop_s": 0.25,
                                **template}]
        bases.append((kind, flow_raw, ["traffic", 0], TRAFFIC_KINDS[kind]))
    gen_raw = copy.deepcopy(TINY)
    gen_raw["traffic"] = [dict(GENERATOR)]
    bases.append(("generator", gen_raw, ["traffic", 0], FlowGenerator))
    from netsim.scenario.model import BackgroundDemands

    for part in BACKGROUND_PARTS:  # each generator's part of the background matrix
        bg_raw = copy.deepcopy(TINY)
        bg_raw["background"] = {"matrix": [dict(part)]}
        bases.append((f"background-{part['generate']}", bg_raw, ["background", "matrix", 0], BackgroundDemands))
    from netsim.scenario.workloads import Checkpoint, InferenceWorkload, JobGenerator, TrainingJob

    for label, model, section in (("inference", InferenceWorkload, "inference"), ("training", TrainingJob, "training"),
                                  ("jobs", JobGenerator, "training")):
        work_raw = with_workloads(section, WORKLOADS[label])
        bases.append((label, work_raw, ["workloads", section, 0], model))
    bases.append(("checkpoint", with_workloads("training", WORKLOADS["training"]),
                  ["workloads", "training", 0, "checkpoint"], Checkpoint))
    for label, base, path, model in bases:
        for name, field in model.model_fields.items():
            for tag, value in field_values(field):
                mutated = copy.deepcopy(base)
                node = mutated
                for part in path:
                    node = node[part]
                node[name] = value
                key = ".".join(str(p) for p in path + [name])
                command = "run" if (len(cases) % 3 == 0) else "paths"
                cases.append(Case(f"{command}:{label}:{key}={tag}",
                                  [command, "{dir}/s.yaml", "--out", "{dir}/out", "--quiet"], {"s.yaml": mutated}))
    # whole-file shapes
    for tag, text in _bad_files().items():
        for command in ("run", "paths"):
            cases.append(Case(f"{command}:file:{tag}", [command, "{dir}/s.yaml", "--out", "{dir}/out", "--quiet"],
                              {"s.yaml": text}, valid=False))
    return cases


def with_workloads(section: str, entry: dict) -> dict:
    """TINY with compute on its tier, a small storage tier, and one workload entry."""
    raw = copy.deepcopy(TINY)
    raw["constellation"]["tiers"][0]["compute_tops"] = 1000
    raw["constellation"]["tiers"].append({"name": "meo", "shells": [
        {"altitude_km": 2000, "inclination_deg": 70, "planes": 2, "sats_per_plane": 2}]})
    raw["workloads"] = {section: [copy.deepcopy(entry)]}
    return raw


def walk_base() -> dict:
    """TINY with every optional section present (minimal and valid), so the walk reaches
    every field of the model."""
    raw = copy.deepcopy(TINY)
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4}, "up": {"count": 0},
                                                     "down": {"count": 0}}
    raw["laser"] = {"receiver": {"type": "preamp"}}
    raw["ground_links"] = {**raw["ground_links"], "atmosphere": {"model": "clear_sky"}, "clouds": {"probability": 0.0}}
    raw["outputs"]["pcap"] = [{"tiers": ["vleo"], "link": "ground"}]
    raw["background"] = {"matrix": [{"generate": "gravity", "total_gbps": 1}]}
    return raw


def _bad_files() -> dict[str, bytes | str]:
    good = yaml.safe_dump(TINY)
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n"
    prev = "a"
    for name in "bcdefghi":
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return {
        "latin1": good.replace("tiny", "caf\u00e9").encode("latin-1"),
        "nested": "name: x\nduration_s: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "alias-bomb": good + bomb + "extra: *i\n",
        "duplicate-key": good + "duration_s: 5\n",
        "empty": "",
        "scalar": "42\n",
        "list": "- 1\n- 2\n",
        "binary": bytes(range(256)) * 4,
        "nul": good + "\x00\n",
        "tabs": "name: x\n\tduration_s: 1\n",
        "python-tag": "name: !!python/object/apply:os.system ['true']\n",
        "set-list": yaml.safe_dump({**TINY, "ground_stations": {"set": ["cities100"]}}),
        "set-first-inf": yaml.safe_dump({**TINY, "ground_stations": {"set": "cities100", "first": float("inf")}}),
        "3000x3000": yaml.safe_dump(_with_shell(planes=3000, sats_per_plane=3000)),
        "walker-1e6": yaml.safe_dump(_with_shell(planes=10**6, sats_per_plane=10**6)),
        "tle-not-tle": yaml.safe_dump(_with_tle("/etc/hostname")),
        "tle-missing": yaml.safe_dump(_with_tle("no-such.tle")),
        "tle-folder": yaml.safe_dump(_with_tle("/")),
        "links-file-dev": yaml.safe_dump(_with_links("/dev/zero")),
    }


def _with_shell(**change) -> dict:
    raw = copy.deepcopy(TINY)
    raw["constellation"]["tiers"][0]["shells"][0].update(change)
    raw["limits"] = {}
    return raw


def _with_tle(file: str) -> dict:
    raw = copy.deepcopy(TINY)
    raw["constellation"]["tiers"][0]["tle"] = [{"name": "t", "file": file}]
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 0}}
    return raw


def _with_links(file: str) -> dict:
    raw = copy.deepcopy(TINY)
    raw["constellation"]["tiers"][0]["terminals"] = {"isl": {"count": 4, "policy": "list", "links_file": file}}
    return raw


# ---------------------------------------------------------------------------- CLI options

def _option_values(action) -> list[tuple[str, str]]:
    if action.choices:
        return [("unknown", "bogus"), ("empty", "")]
    kind = getattr(action.type, "__name__", "str")
    if action.nargs == 0:
        return []
    if kind in ("int", "float"):
        return [(t, v) for t, v in (("neg", "-1"), ("zero", "0"), ("inf", "inf"), ("nan", "nan"), ("huge", "1e300"),
                                    ("hugeint", str(2**70)), ("word", "abc"), ("empty", ""), ("tiny", "1e-300"),
                                    ("big", "1000000"))]
    if kind in ("Path", "PurePath"):
        values = [("file", "{dir}/afile"), ("under-file", "{dir}/afile/x"), ("missing", "{dir}/missing/deeper/x"),
                  ("proc", "/proc/self/status"), ("unicode", "{dir}/ünï"), ("devnull", "/dev/null")]
        if action.dest not in ("out", "plot", "plot_out"):  # outputs are written where asked: only to {dir}
            values += [("root", "/"), ("dotdot", "../../outside")]
        return values
    return [("empty", ""), ("unicode", "ünï\u202e"), ("long", "x" * 5000), ("word", "bogus")]


def cli_cases() -> list[Case]:
    from netsim.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    bases = {
        "run": ["run", "{dir}/s.yaml", "--out", "{dir}/out", "--quiet"],
        "paths": ["paths", "{dir}/s.yaml", "--out", "{dir}/out", "--quiet"],
        "link-budget": ["link-budget"],
        "analyze": ["analyze", "{dir}/cap.pcap", "--out", "{dir}/out", "--quiet", "--no-plots"],
        "sweep": ["sweep", "{dir}/sweep.yaml", "--out", "{dir}/out", "--dry-run", "--quiet"],
        "view": ["view", "{dir}/s.yaml", "--out", "{dir}/v.html"],
    }
    cases = []
    for command, subparser in sub.choices.items():
        base = bases[command]
        for action in subparser._actions:
            if not action.option_strings or action.dest in ("help",):
                continue
            flag = action.option_strings[-1]
            for tag, value in _option_values(action):
                argv = [a for a in base]
                if flag in argv:  # replace the base's own value of this option
                    i = argv.index(flag)
                    argv[i + 1] = value
                else:
                    argv += [flag, value]
                if command == "sweep" and flag == "--dry-run":
                    continue
                # a bad --out / --plot goes to paths the command must refuse; nothing else may change
                out = _out_of(argv)
                if command == "view" and flag == "--out" and value.startswith("{dir}/"):
                    out = value[len("{dir}/"):]  # the page is a file: --out names it, an existing one is replaced
                cases.append(Case(f"{command}:option:{flag}={tag}", argv, _inputs_for(command),
                                  setup=_make_afile, out=out))
        # positional arguments
        for tag, value in (("missing", "{dir}/nope"), ("folder", "{dir}"), ("devnull", "/dev/null"),
                           ("afile", "{dir}/afile")):
            if command == "link-budget":
                argv = ["link-budget", "--scenario", value]
            else:
                argv = [base[0], value] + base[2:]
            cases.append(Case(f"{command}:positional={tag}", argv, _inputs_for(command), setup=_make_afile,
                              valid=False if command != "analyze" or tag != "folder" else None))
    return cases


def _out_of(argv: list[str]) -> str:
    """The file or folder (relative to the case folder) the command may write."""
    for flag in ("--out", "--plot", "--plot-out"):
        if flag in argv:
            value = argv[argv.index(flag) + 1]
            if value.startswith("{dir}/") and not value.startswith("{dir}/afile"):
                return value[len("{dir}/"):]
    return "out"


def _make_afile(folder: Path) -> None:
    (folder / "afile").write_text("not a folder\n")


def _inputs_for(command: str) -> dict:
    files: dict[str, Any] = {"s.yaml": TINY}
    if command == "analyze":
        files["cap.pcap"] = udp_pcap()
    if command == "sweep":
        files["sweep.yaml"] = SWEEP
    return files


# ---------------------------------------------------------------------------- captures

def udp_pcap(count: int = 20) -> bytes:
    """A valid little-endian pcap (LINKTYPE_RAW IPv4) of UDP packets with SeqTs payloads, by scapy."""
    from scapy.all import IP, UDP, raw

    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i in range(count):
        payload = struct.pack(">IQ", i, i * 1_000_000) + b"\x00" * 20
        pkt = raw(IP(src="10.128.0.1", dst="10.128.0.2", ttl=64) / UDP(sport=49153, dport=9000) / payload)
        out += struct.pack("<IIII", 1, i * 1000, len(pkt), len(pkt)) + pkt
    return out


def capture_cases() -> list[Case]:
    good = udp_pcap()
    header, rec = 24, 16
    first_ip = header + rec
    mutations: dict[str, bytes] = {}

    def put(offset: int, fmt: str, value) -> bytes:
        data = bytearray(good)
        struct.pack_into(fmt, data, offset, value)
        return bytes(data)

    for tag, value in (("zero", 0), ("ones", 0xFFFFFFFF), ("swapped", 0xD4C3B2A1), ("pcapng", 0x0A0D0D0A)):
        mutations[f"magic-{tag}"] = put(0, "<I", value)
    for tag, value in (("zero", 0), ("99", 99), ("max", 0xFFFF)):
        mutations[f"version-{tag}"] = put(4, "<H", value)
    for tag, value in (("zero", 0), ("one", 1), ("max", 0xFFFFFFFF)):
        mutations[f"snaplen-{tag}"] = put(16, "<I", value)
    for tag, value in (("null", 0), ("ethernet", 1), ("ppp", 9), ("unknown", 4242), ("max", 0xFFFFFFFF)):
        mutations[f"linktype-{tag}"] = put(20, "<I", value)
    for tag, value in (("zero", 0), ("huge", 0x7FFFFFFF), ("max", 0xFFFFFFFF), ("one", 1)):
        mutations[f"incl_len-{tag}"] = put(header + 8, "<I", value)
    for tag, value in (("zero", 0), ("max", 0xFFFFFFFF)):
        mutations[f"orig_len-{tag}"] = put(header + 12, "<I", value)
    for tag, value in (("max", 0xFFFFFFFF), ("zero", 0)):
        mutations[f"ts_sec-{tag}"] = put(header, "<I", value)
    mutations["ts_usec-over"] = put(header + 4, "<I", 5_000_000)
    for tag, value in (("ihl0", 0x40), ("ihl15", 0x4F), ("v6", 0x60), ("v0", 0x00)):
        mutations[f"ip-{tag}"] = put(first_ip, "B", value)
    for tag, value in (("zero", 0), ("max", 0xFFFF), ("short", 10)):
        mutations[f"ip_len-{tag}"] = put(first_ip + 2, ">H", value)
    mutations["ip-proto-tcp"] = put(first_ip + 9, "B", 6)
    mutations["udp-len-zero"] = put(first_ip + 24, ">H", 0)
    for cut in (3, 24, 30, 45, len(good) - 1):
        mutations[f"truncated-{cut}"] = good[:cut]
    mutations["empty"] = b""
    mutations["text"] = b"hello, not a capture\n" * 10
    rng = random.Random(7)
    for i in range(8):
        data = bytearray(good)
        for _ in range(6):
            data[rng.randrange(len(data))] = rng.randrange(256)
        mutations[f"random-bytes-{i}"] = bytes(data)
    cases = []
    for tag, data in mutations.items():
        cases.append(Case(f"analyze:capture:{tag}", ["analyze", "{dir}/cap.pcap", "--out", "{dir}/out", "--quiet",
                                                      "--no-plots"], {"cap.pcap": data}))
    return cases


# ---------------------------------------------------------------------------- sweeps

SWEEP = {"name": "fz", "base": "s.yaml", "axes": {"laser.tx_power_w": [0.5, 1.0]}, "replicates": 1}


def sweep_cases() -> list[Case]:
    values = {
        "replicates": [0, -1, 10**9, 1.5, "2", True, None, HUGE_INT],
        "samples": [0, 10**9, -3, "x"],
        "sampling": ["bogus", 3, None],
        "sampling_seed": [-1, HUGE_INT, 1.5],
        "seeds": [[], [1, 1], [-1], [2**40], "1", [[1]]],
        "retries": [-1, 10**9, 1.5, "x"],
        "timeout_s": [0, -1, float("inf"), float("nan"), 1e300, "x"],
        "max_points": [0, 10**12, -1, "x", 1.5],
        "name": ["", "../escape", "a/b", "ünï", "x" * 5000, 5, "\x00"],
        "base": ["missing.yaml", "/", "/dev/null", "../../../etc/passwd", 5, ""],
        "cluster": [{"workers": 0}, {"workers": 10**9}, {"slurm": {"cores": -1}}, "x", {"bogus": 1}],
        "set": [{"duration_s": float("inf")}, {"laser.tx_power_w": float("nan")}, {"nokey": 1}, "x",
                {"routing.update_interval_s": 1e-12}],
        "axes": [{"laser.tx_power_w": {"linspace": [0, 1, 10**9]}},
                 {"laser.tx_power_w": {"linspace": [0, float("inf"), 3]}},
                 {"laser.tx_power_w": {"geomspace": [-1, 1, 3]}},
                 {"laser.tx_power_w": {"range": [0, 1e12, 1]}},
                 {"laser.tx_power_w": {"range": [0, 1, 0]}},
                 {"laser.tx_power_w": []},
                 {"laser.tx_power_w": [float("inf")]},
                 {"laser.tx_power_w": [1e300]},
                 {"traffic[9].rate_mbps": [1]},
                 {"traffic[*].rate_mbps": [float("nan")]},
                 {"seed": [1, 2]},
                 {"": [1]},
                 {"laser.tx_power_w": {"uniform": [0, 1]}},
                 {"laser.tx_power_w": [1, 1]},
                 {"a" * 3000: [1]}],
    }
    cases = []
    for key, options in values.items():
        for i, value in enumerate(options):
            sweep = copy.deepcopy(SWEEP)
            sweep[key] = value
            if key in ("samples", "sampling_seed"):
                sweep["sampling"] = "random"
                sweep["axes"] = {"laser.tx_power_w": {"uniform": [0.5, 1.0]}}
                sweep.setdefault("samples", 2)
            cases.append(Case(f"sweep:file:{key}[{i}]", ["sweep", "{dir}/sweep.yaml", "--out", "{dir}/out",
                                                         "--dry-run", "--quiet"],
                              {"s.yaml": TINY, "sweep.yaml": sweep}))
    for tag, text in _bad_files().items():
        if tag in ("3000x3000", "walker-1e6", "tle-not-tle", "tle-missing", "tle-folder", "links-file-dev"):
            continue
        cases.append(Case(f"sweep:file-shape:{tag}", ["sweep", "{dir}/sweep.yaml", "--out", "{dir}/out",
                                                      "--dry-run", "--quiet"],
                          {"s.yaml": TINY, "sweep.yaml": text}, valid=False))
    return cases


# ---------------------------------------------------------------------------- run folders

def folder_cases() -> list[Case]:
    """A run folder with symlinks at every output name, pointing at a file outside it:
    the run must replace the links, never write through them."""
    from netsim.run.folder import OUTPUT_FILES

    def plant(folder: Path) -> None:
        out = folder / "out"
        (out / "pcap").mkdir(parents=True)
        victim = folder / "victim.txt"
        victim.write_text("must stay\n")
        (out / "manifest.json").write_text(json.dumps({"status": "ok", "scenario": {}}))  # an earlier run's
        for name in OUTPUT_FILES[1:] + ("analysis",):
            (out / name).symlink_to(victim)
        (out / "pcap" / "index.csv").symlink_to(victim)
        (out / "manifest.json.partial").symlink_to(victim)
        (out / "flows.csv.partial").symlink_to(victim)

    cases = []
    for command in ("run", "paths"):
        cases.append(Case(f"{command}:folder:symlinks", [command, "{dir}/s.yaml", "--out", "{dir}/out", "--quiet"],
                          {"s.yaml": TINY}, setup=plant))
    cases.append(Case("link-budget:folder:plot-symlink", ["link-budget", "--plot", "{dir}/out/ber.png"], {},
                      setup=lambda f: (plant(f), (f / "out" / "ber.png").symlink_to(f / "victim.txt"))))
    return cases


def all_cases() -> list[Case]:
    return scenario_cases() + cli_cases() + capture_cases() + sweep_cases() + folder_cases()


# ---------------------------------------------------------------------------- running one case

def _write(folder: Path, name: str, content) -> None:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogateescape")
    else:
        path.write_text(yaml.safe_dump(content, allow_unicode=True))


def _snapshot(folder: Path, skip: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        if here == skip or skip in here.parents:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = here / name
            if path == skip:
                continue
            st = path.lstat()
            is_dir = path.is_dir() and not path.is_symlink()  # a folder's entries are listed themselves
            out[str(path.relative_to(folder))] = (st.st_mode, None if is_dir else st.st_size,
                                                  None if is_dir else st.st_mtime_ns)
    return out


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    os.setsid()


def run_case(case: Case, root: Path) -> list[str]:
    """Run one case in its own folder under root; the problems found (empty: passed)."""
    folder = root / "case"
    folder.mkdir(parents=True)
    work = folder / "cwd"
    work.mkdir()
    for name, content in case.files.items():
        _write(folder, name, content)
    if case.setup:
        case.setup(folder)
    out = folder / case.out
    before = _snapshot(root, out)
    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETSIM_")}
    try:
        result = subprocess.run([sys.executable, "-m", "netsim", *argv], cwd=work, capture_output=True, text=True,
                                errors="replace", timeout=TIME_LIMIT_S, preexec_fn=_limits, env=env,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [f"no answer within {TIME_LIMIT_S} s (hang)"]
    problems = []
    err_lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode not in case.allow_exit:
        problems.append(f"exit {result.returncode}")
    if case.valid is False and result.returncode == 0:
        problems.append("exit 0 for an invalid input")
    if "Traceback" in result.stderr:
        problems.append("traceback")
    if result.returncode != 0:
        # analyze reports each damaged or malformed capture in its own line (an error, or a
        # warning for malformed records with the tables still written); all else: one line
        said = [line for line in err_lines if line.startswith("netsim") and
                (": error: " in line or (argv[0] == "analyze" and ": warning: " in line))]
        if argv[0] != "analyze" and len(err_lines) != 1:
            problems.append(f"{len(err_lines)} lines on stderr")
        elif not err_lines or len(said) != len(err_lines):
            problems.append("stderr is not netsim error lines")
        elif argv[0] == "analyze" and len(err_lines) > 2 * max(1, sum(a.endswith(("pcap", "pcapng")) for a in argv)):
            problems.append(f"{len(err_lines)} lines on stderr")
        elif any("internal error" in line for line in err_lines):
            problems.append("internal error")
        if len(result.stderr) > 2000:
            problems.append(f"error line of {len(result.stderr)} characters")
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        problems.append("replaced /dev/null (restore: rm /dev/null; mknod -m 666 /dev/null c 1 3)")
    after = _snapshot(root, out)
    # the --out folder's own parents may be created (mkdir -p); nothing else may change
    parents = {str(p.relative_to(root)) for p in out.parents if root in p.parents}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and k not in parents)
    if changed:
        problems.append(f"changed outside --out: {', '.join(changed[:5])}")
    manifest = out / "manifest.json"
    if result.returncode != 0 and manifest.is_file() and not manifest.is_symlink():
        try:
            status = json.loads(manifest.read_text()).get("status")
        except ValueError:
            status = None
        if status == "ok":
            problems.append("manifest says ok for a failed run")
    if problems:
        tail = (err_lines[-1] if err_lines else result.stdout.strip().splitlines()[-1:] or [""])
        problems.append(f"stderr: {str(tail)[:300]}")
    return problems
