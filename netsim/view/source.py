"""What a view shows: a scenario file (network state computed here, no packets) or a run
folder (`netsim run` or `netsim paths`: its scenario, routing updates, paths, handovers
and link loads). Bad input raises NetsimError naming the file or option."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netsim.errors import NetsimError
from netsim.scenario.load import load_scenario, scenario_from_dict
from netsim.scenario.model import Scenario


@dataclass
class Source:
    kind: str  # "scenario" or "run"
    path: Path
    scenario: Scenario
    update_times: np.ndarray  # routing updates the source covers, s
    end_s: float  # last instant the source covers, s
    rtt_rows: list[dict] = field(default_factory=list)  # rtt.csv (runs)
    handover_rows: list[dict] = field(default_factory=list)  # handovers.csv (runs)
    # (node index, port) -> utilisation over the run (link_traffic.csv), if recorded.
    utilisation: dict[tuple[int, int], float] | None = None

    @property
    def label(self) -> str:
        return f"run folder {self.path}" if self.kind == "run" else f"scenario {self.path}"


def open_source(path: Path) -> Source:
    path = Path(path)
    if not path.exists():
        raise NetsimError(f"{path}: no such file or folder (expected a scenario YAML file or a run folder "
                          "written by `netsim run` or `netsim paths`)")
    if path.is_dir():
        return _run_source(path)
    scenario = load_scenario(path)
    return Source("scenario", path, scenario, _update_grid(scenario, 0.0, scenario.duration_s + scenario.drain_s,
                                                           include_end=False),
                  scenario.duration_s + scenario.drain_s)


def _run_source(run_dir: Path) -> Source:
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        raise NetsimError(f"{run_dir}: not a run folder: it has no manifest.json (expected a folder written by "
                          "`netsim run` or `netsim paths`, or a scenario YAML file)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as err:
        raise NetsimError(f"{manifest_path}: not a readable manifest ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scenario"), dict):
        raise NetsimError(f"{manifest_path}: no 'scenario' mapping; not a manifest written by `netsim run` "
                          "or `netsim paths`")
    if manifest.get("status") != "ok":
        raise NetsimError(f"{run_dir}: the run is not complete (manifest status '{manifest.get('status')}'); "
                          "only finished runs (status 'ok') can be viewed")
    scenario = scenario_from_dict(manifest["scenario"], manifest_path)
    if not (run_dir / "rtt.csv").is_file():
        raise NetsimError(f"{run_dir}: rtt.csv is missing; a finished run folder has it")
    if "from_s" in manifest:  # a `netsim paths` folder: updates from..to inclusive
        from_s, end_s = float(manifest["from_s"]), float(manifest["to_s"])
        times = _update_grid(scenario, from_s, end_s, include_end=True)
    else:
        end_s = scenario.duration_s + scenario.drain_s
        times = _update_grid(scenario, 0.0, end_s, include_end=False)
    utilisation = None
    if (run_dir / "link_traffic.csv").is_file():
        utilisation = {(int(r["node_index"]), int(r["port"])): float(r["utilisation"])
                       for r in _read_csv(run_dir / "link_traffic.csv")}
    if (run_dir / "load_links.csv").is_file():
        # Background load: a port's busiest interval (background + the packets' share).
        utilisation = dict(utilisation or {})
        for r in _read_csv(run_dir / "load_links.csv"):
            key = (int(r["node_index"]), int(r["port"]))
            utilisation[key] = max(utilisation.get(key, 0.0), float(r["utilisation"]))
    handovers = _read_csv(run_dir / "handovers.csv") if (run_dir / "handovers.csv").is_file() else []
    return Source("run", run_dir, scenario, times, end_s, _read_csv(run_dir / "rtt.csv"), handovers, utilisation)


def _update_grid(scenario: Scenario, from_s: float, to_s: float, include_end: bool) -> np.ndarray:
    """Routing update times as the runner steps them (integer nanoseconds)."""
    step_ns = round(scenario.routing.update_interval_s * 1e9)
    stop_ns = round(to_s * 1e9) + (1 if include_end else 0)
    return np.arange(round(from_s * 1e9), stop_ns, step_ns, dtype=np.int64) * 1e-9


def _read_csv(path: Path) -> list[dict]:
    try:
        with path.open(newline="") as f:
            return list(csv.DictReader(f))
    except OSError as err:
        raise NetsimError(f"{path}: cannot read: {err.strerror}") from None


def select_update(source: Source, time_s: float | None) -> int:
    """Index of the routing update in force at time_s (the last one at or before it);
    the first update when time_s is None."""
    times = source.update_times
    if time_s is None:
        return 0
    first = float(times[0])
    if not first <= time_s <= source.end_s:
        raise NetsimError(f"--time: {time_s:g} s is outside the {source.kind} ({source.path}); allowed "
                          f"{first:g} .. {source.end_s:g} s")
    return int(np.searchsorted(times, time_s + 1e-9, side="right") - 1)
