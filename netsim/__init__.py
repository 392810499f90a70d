"""netsim: packet-level simulation of optical inter-satellite-link networks on ns-3.

The Python API (docs/api.md); each name is imported when first used, so `import netsim`
stays light:

    load_scenario(file_or_dict, changes=None) -> Scenario
    simulate(scenario, out, seed=None) -> RunResult     # `netsim run`: .flows .rtt .path_changes ...
    paths(scenario, out, start_s=0, stop_s=None) -> PathsResult   # routing alone: .rtt .path_changes
    link_budget(distance_km, laser=None) -> dict
    analyze(*captures_or_run_dirs, bin_s=0.1) -> Analysis          # .flows .throughput
    run_sweep(sweep_file, out=None) -> pandas.DataFrame
    write_view(scenario_or_run_dir, out=None, time_s=None) -> Path

(`simulate`, `run_sweep`, `write_view` rather than run, sweep, view: those are the
subpackages of the run, sweep and view stages.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

_API = ("load_scenario", "simulate", "paths", "link_budget", "analyze", "run_sweep", "write_view", "RunResult",
        "PathsResult")
_ERRORS = ("NetsimError", "ScenarioError", "SweepError")
__all__ = [*_API, *_ERRORS, "Scenario"]

if TYPE_CHECKING:
    from netsim.api import (PathsResult, RunResult, analyze, link_budget, load_scenario, paths,  # noqa: F401
                            run_sweep, simulate, write_view)
    from netsim.errors import NetsimError, ScenarioError, SweepError  # noqa: F401
    from netsim.scenario.model import Scenario  # noqa: F401


def __getattr__(name: str):
    if name in _API:
        from netsim import api

        return getattr(api, name)
    if name in _ERRORS:
        from netsim import errors

        return getattr(errors, name)
    if name == "Scenario":
        from netsim.scenario.model import Scenario

        return Scenario
    raise AttributeError(f"module 'netsim' has no attribute {name!r}")
