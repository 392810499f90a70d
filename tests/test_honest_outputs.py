"""Outputs that never hide a failure: sweep plots draw every point (failed and no-value
runs marked), say how metrics are weighted, use log axes for geometric parameters; a sweep
warns when its replicates cannot differ; misspelled keys get a 'did you mean'."""

from __future__ import annotations

import math

import pytest
import yaml

from conftest import DEFAULT_SCENARIO, default_scenario_dict
from netsim.errors import ScenarioError, SweepError
from netsim.scenario.load import scenario_from_dict
from netsim.sweep import load_sweep
from netsim.sweep.plot import figure, geometric
from netsim.sweep.spec import random_elements, replicate_warning


def _markers(fig) -> int:
    """Points drawn as markers (scatter collections), whatever their place."""
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection))


def _rows():
    ok = [{"run_id": f"r{i}", "status": "ok", "routing.update_interval_s": x, "laser.tx_power_w": 1.0,
           "delay_mean_ms": 20.0 + x, "loss_ratio": 0.0} for i, x in enumerate([0.05, 0.1, 0.05, 0.1])]
    lost = [{"run_id": f"l{i}", "status": "ok", "routing.update_interval_s": x, "laser.tx_power_w": 0.01,
             "delay_mean_ms": math.nan, "loss_ratio": 1.0} for i, x in enumerate([0.05, 0.1])]
    failed = [{"run_id": "f0", "status": "failed", "routing.update_interval_s": 0.1, "laser.tx_power_w": 0.5,
               "delay_mean_ms": None, "loss_ratio": None}]
    return ok + lost + failed


def test_sweep_plot_draws_every_run_and_says_why_some_have_no_value():
    import matplotlib.pyplot as plt

    rows = _rows()
    fig = figure(rows, "delay_mean_ms", "routing.update_interval_s")
    assert _markers(fig) == len(rows)  # 4 values, 2 without a delay (every packet lost), 1 failed
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("2 runs without delay_mean_ms (every packet lost: laser.tx_power_w = 0.01)" in t for t in labels)
    assert any("1 failed runs: laser.tx_power_w = 0.5" in t for t in labels)
    assert "weighted by packets received" in ax.get_ylabel()
    plt.close(fig)
    # only runs without a value: still a figure with every point, not an error
    fig = figure(rows[4:], "delay_mean_ms", "routing.update_interval_s")
    assert _markers(fig) == 3
    plt.close(fig)


def test_per_flow_plot_has_one_line_per_flow_and_marks_lost_flows():
    import matplotlib.pyplot as plt

    rows = _rows()
    flows = []
    for r in rows[:6]:
        for name, delay in (("near", 25.0), ("far", 99.0)):
            flows.append({"run_id": r["run_id"], "routing.update_interval_s": r["routing.update_interval_s"],
                          "flow": name, "delay_mean_ms": delay if r["loss_ratio"] == 0 else None,
                          "loss_ratio": r["loss_ratio"]})
    fig = figure(rows, "delay_mean_ms", "routing.update_interval_s", flows=flows)
    ax = fig.axes[0]
    assert _markers(fig) == len(flows) + 1  # every flow of every run, and the failed run
    lines = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"flow near", "flow far"} <= lines
    assert {round(y) for line in ax.get_lines() for y in line.get_ydata()} == {25, 99}  # never pooled
    assert "the flow's received packets" in ax.get_ylabel()
    plt.close(fig)


def test_geometric_axes_are_drawn_on_a_log_scale():
    import matplotlib.pyplot as plt

    assert geometric([0.01, 0.1, 1.0]) and geometric([0.01, 0.0464, 0.215, 1.0])
    assert not geometric([0.05, 0.1, 0.5]) and not geometric([1, 2, 3, 4]) and not geometric(["a", "b", "c"])
    rows = [{"run_id": f"r{i}", "status": "ok", "laser.tx_power_w": x, "loss_ratio": 0.1 * i}
            for i, x in enumerate([0.01, 0.1, 1.0])]
    fig = figure(rows, "loss_ratio", "laser.tx_power_w")
    assert fig.axes[0].get_xscale() == "log"
    plt.close(fig)
    fig = figure(rows, "loss_ratio", "laser.tx_power_w", log_x=False)
    assert fig.axes[0].get_xscale() == "linear"
    plt.close(fig)


def _sweep(tmp_path, **keys):
    raw = {"name": "t", "base": str(DEFAULT_SCENARIO), "replicates": 2, **keys}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_sweep(path)


def test_replicates_that_cannot_differ_are_warned_about(tmp_path):
    ideal = _sweep(tmp_path, set={"laser.physics": False},
                   axes={"routing.update_interval_s": [0.05, 0.1]})
    assert random_elements(ideal.points[0].scenario) == []
    warning = replicate_warning(ideal)
    assert warning and "2 replicate seeds" in warning and "no random element" in warning
    # any random element is enough: bit errors, jitter, random acquisition, exponential on/off
    assert replicate_warning(_sweep(tmp_path, axes={"routing.update_interval_s": [0.05, 0.1]})) is None
    onoff = _sweep(tmp_path, set={"laser.physics": False, "traffic": [
        {"name": "o", "kind": "udp_onoff", "src": "london", "dst": "sydney", "rate_mbps": 1,
         "distribution": "exponential"}]})
    assert random_elements(onoff.points[0].scenario) == ["exponential on/off periods (traffic[0])"]
    acquisition = _sweep(tmp_path, set={"laser.physics": False, "ground_links.acquisition_s":
                                        {"distribution": "uniform", "low": 1, "high": 2}})
    assert random_elements(acquisition.points[0].scenario) == ["random acquisition times (ground_links.acquisition_s)"]
    assert replicate_warning(_sweep(tmp_path, replicates=1, set={"laser.physics": False})) is None


@pytest.mark.parametrize("change, key, hint", [
    ({"duraton_s": 10}, "duraton_s", "did you mean 'duration_s'?"),
    ({"laser": {"tx_powr_w": 1.0}}, "laser.tx_powr_w", "did you mean 'tx_power_w'?"),
    ({"traffic": [{"name": "f", "src": "london", "dst": "sydney", "rate_mpbs": 5}]}, "traffic[0].rate_mpbs",
     "did you mean 'rate_mbps'?"),
    ({"ground_stations": {"set": "cities100", "frist": 3}}, "ground_stations.frist", "did you mean 'first'?"),
])
def test_misspelled_scenario_keys_get_a_suggestion(change, key, hint):
    raw = default_scenario_dict()
    if "duraton_s" in change:
        del raw["duration_s"]  # the misspelling replaces the required key
    for k, v in change.items():
        raw[k] = {**raw[k], **v} if isinstance(v, dict) and isinstance(raw.get(k), dict) else v
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, "s.yaml")
    assert err.value.key == key and f"unknown key {key.split('.')[-1].split(']')[-1]!r}; {hint}" in err.value.problem


def test_misspelled_sweep_keys_get_a_suggestion(tmp_path):
    for keys, key, hint in (({"replicats": 2}, "replicats", "did you mean 'replicates'?"),
                            ({"cluster": {"slurm": {"queeu": "x"}}}, "cluster.slurm.queeu", "did you mean 'queue'?"),
                            ({"axes": {"laser.tx_powr_w": [1, 2]}}, "axes.laser.tx_powr_w",
                             "no key 'tx_powr_w' in laser; did you mean 'tx_power_w'?")):
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump({"name": "t", "base": str(DEFAULT_SCENARIO), **keys}))
        with pytest.raises(SweepError) as err:
            load_sweep(path)
        assert err.value.key == key and hint in err.value.problem

