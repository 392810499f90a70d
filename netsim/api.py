"""netsim from Python: load a scenario (and change keys by dotted path), run it, compute
paths without packets, evaluate a link budget, analyse captures, run a sweep, draw the
network. Tables come back as pandas DataFrames. docs/api.md has runnable examples.

    import netsim

    scenario = netsim.load_scenario("topologies/default.yaml", {"duration_s": 3, "laser.tx_power_w": 2.0})
    result = netsim.simulate(scenario, "runs/api")
    result.rtt.plot(x="time_s", y="rtt_ms")

Several runs in one process work and give the same bytes as separate `netsim run`
processes (the core is reset between runs; tests/test_api.py checks it). Errors are
netsim.NetsimError (bad input: netsim.ScenarioError names the file and the key).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from netsim.errors import NetsimError, ScenarioError, read_yaml
from netsim.scenario.dotted import parse_path, set_path
from netsim.scenario.load import scenario_from_dict
from netsim.scenario.model import Laser, Scenario

if TYPE_CHECKING:
    import pandas as pd

    from netsim.analysis.analyze import Analysis


def load_scenario(source: str | Path | Mapping[str, Any], changes: Mapping[str, Any] | None = None) -> Scenario:
    """A checked scenario from a YAML file or a mapping, with `changes` applied:
    {"laser.tx_power_w": 2.0, "traffic[*].rate_mbps": 5} (the dotted paths of sweeps;
    any key of the scenario, given in the file or not). Relative TLE and ISL-list paths
    resolve against the file's folder (a mapping: the current folder)."""
    path = Path(source) if isinstance(source, (str, Path)) else Path("<scenario>")
    raw = read_yaml(path, ScenarioError) if isinstance(source, (str, Path)) else copy.deepcopy(dict(source))
    scenario = scenario_from_dict(raw, path)
    if not changes:
        return scenario
    raw = scenario.model_dump(mode="json")  # every key present, so any key can change
    for key, value in changes.items():
        try:
            set_path(raw, parse_path(key), value)
        except (KeyError, ValueError) as err:
            raise ScenarioError(path, str(key), str(err.args[0]) if err.args else "not a key of the scenario") from None
    return scenario_from_dict(raw, path)


def _scenario(scenario: Scenario | str | Path | Mapping[str, Any]) -> tuple[Scenario, str | None]:
    if isinstance(scenario, Scenario):
        return scenario, None
    return load_scenario(scenario), str(scenario) if isinstance(scenario, (str, Path)) else None


@dataclass
class Tables:
    """The tables of a run or paths folder, read when first asked for."""

    folder: Path
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def manifest(self) -> dict:
        return json.loads((self.folder / "manifest.json").read_text())

    def table(self, name: str) -> "pd.DataFrame":
        """Any CSV table of the folder by name ("flows", "tcp", "ping_probes", ...)."""
        import pandas as pd

        if name not in self._cache:
            path = self.folder / f"{name}.csv"
            if not path.is_file():
                raise NetsimError(f"{self.folder}: no {name}.csv (tables here: "
                                  f"{', '.join(sorted(p.stem for p in self.folder.glob('*.csv'))) or 'none'})")
            self._cache[name] = pd.read_csv(path)
        return self._cache[name]

    @property
    def rtt(self) -> "pd.DataFrame":
        """Per routing update and reported pair: reachable, RTT (ms), hops, path."""
        return self.table("rtt")

    @property
    def path_changes(self) -> "pd.DataFrame":
        return self.table("path_changes")


class RunResult(Tables):
    """A finished `netsim run` folder: flows, rtt, path_changes, handovers, links,
    link_traffic (and tcp, ping, ping_probes, flowmon when the run has them) as
    DataFrames, the manifest as a dict."""

    @property
    def flows(self) -> "pd.DataFrame":
        return self.table("flows")

    @property
    def handovers(self) -> "pd.DataFrame":
        return self.table("handovers")

    @property
    def links(self) -> "pd.DataFrame":
        return self.table("links")

    @property
    def link_traffic(self) -> "pd.DataFrame":
        return self.table("link_traffic")


class PathsResult(Tables):
    """A `netsim paths` folder: rtt and path_changes as DataFrames, the manifest."""


def simulate(scenario: Scenario | str | Path | Mapping[str, Any], out: str | Path, *, seed: int | None = None,
             progress: bool = False) -> RunResult:
    """Simulate packets and write the run folder `out` (as `netsim run`)."""
    from netsim.run.runner import run as run_scenario

    scenario, scenario_file = _scenario(scenario)
    if seed is not None:
        scenario = load_scenario(scenario.model_dump(mode="json"), {"seed": seed})
    run_scenario(scenario, Path(out), scenario_file=scenario_file, progress=progress)
    return RunResult(Path(out))


def paths(scenario: Scenario | str | Path | Mapping[str, Any], out: str | Path, *, start_s: float = 0.0,
          stop_s: float | None = None, pairs: str = "flows") -> PathsResult:
    """Routing alone, no packets (as `netsim paths`): the path and RTT of every reported
    station pair (the traffic's, or "all") at each routing update, into `out`."""
    from netsim.run.paths import compute_paths

    scenario, _ = _scenario(scenario)
    compute_paths(scenario, Path(out), start_s, scenario.duration_s if stop_s is None else stop_s, pairs)
    return PathsResult(Path(out))


def link_budget(distance_km: float, laser: Laser | Mapping[str, Any] | None = None, *,
                elevation_deg: float | None = None, atmosphere: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The laser link budget of one channel at a distance (as `netsim link-budget`): every
    dB term, received power and photons per bit, BER, packet error rate of 1,500 bytes,
    the lane (`lane rate (Gbps)`, `channels`, per-channel `margin (dB)`), `channel ranges
    (km)` ([(k, range)] with the power on k channels), the maximum range (km) at the
    target BER with the required margin, `terminal cost (USD)` and `cost per Gbps-km at
    max range (USD)`. `laser`: a scenario's laser section or a mapping of its keys
    (defaults for the rest). `elevation_deg`: a ground link through the atmosphere
    (`atmosphere`: keys of ground_links.atmosphere), with its extinction, scintillation
    index and fade probability."""
    from pydantic import ValidationError

    from netsim.links.budget_table import budget_table
    from netsim.scenario.model import Atmosphere

    if not isinstance(laser, Laser):
        try:
            laser = Laser.model_validate(dict(laser or {}))
        except ValidationError as err:
            first = err.errors()[0]
            raise NetsimError(f"laser.{'.'.join(map(str, first['loc']))}: {first['msg'].lower()}") from None
    try:
        sky = Atmosphere.model_validate(dict(atmosphere or {}))
    except ValidationError as err:
        first = err.errors()[0]
        raise NetsimError(f"atmosphere.{'.'.join(map(str, first['loc']))}: {first['msg'].lower()}") from None
    if not distance_km > 0:
        raise NetsimError(f"distance_km: must be > 0 (got {distance_km})")
    if elevation_deg is not None and not 0 < elevation_deg <= 90:
        raise NetsimError(f"elevation_deg: must be > 0 and <= 90 (got {elevation_deg})")
    table = budget_table(distance_km, laser, elevation_deg, sky)
    table.pop("_budget")
    return table


def analyze(*inputs: str | Path, bin_s: float = 0.1, allow_incomplete: bool = False) -> "Analysis":
    """Per-flow statistics of captures (as `netsim analyze`, without writing files): a
    run folder, folders of captures or capture files. Returns an Analysis: .flows and
    .throughput DataFrames, .captures (per file: records, malformed, errors)."""
    from netsim.analysis.analyze import analyze as analyze_captures
    from netsim.analysis.context import RunContext
    from netsim.analysis.inputs import collect_captures

    files, run_dir, _ = collect_captures([Path(p) for p in inputs])
    context = RunContext.from_run_dir(run_dir) if run_dir else RunContext()
    why = context.incomplete()
    if why and not allow_incomplete:
        raise NetsimError(f"{run_dir}: {why} (allow_incomplete=True to analyse it anyway)")
    return analyze_captures(files, bin_s=bin_s, context=context)


def run_sweep(sweep_file: str | Path, out: str | Path | None = None, *, cluster: str | None = None,
              workers: int | None = None, progress: bool = False) -> "pd.DataFrame":
    """Run (or resume) a parameter sweep (as `netsim sweep`) and return its results table:
    one row per run with its parameters, status and summary metrics."""
    import pandas as pd

    from netsim.sweep.driver import default_out
    from netsim.sweep.driver import run_sweep as drive
    from netsim.sweep.spec import load_sweep

    spec = load_sweep(sweep_file)
    report = drive(spec, Path(out) if out is not None else None, cluster=cluster, workers=workers,
                       progress=progress)
    return pd.read_parquet(Path(out or default_out(spec)) / "results.parquet") if report.total else pd.DataFrame()


def write_view(source: str | Path, out: str | Path | None = None, *, time_s: float | None = None) -> Path:
    """Write the offline page of a scenario file or a run folder (as `netsim view`)."""
    from netsim import view

    return view.write_view(source, out, time_s=time_s).path
