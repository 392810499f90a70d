"""The PNG plots show what they are about: image size and drawn (non-white) pixels read
back from the file, and axis labels, scales and the plotted data from the matplotlib
figure as it was saved (a spy on Figure.savefig)."""

from __future__ import annotations

import math

import numpy as np
import pytest


@pytest.fixture()
def saved_figures(monkeypatch):
    """Every figure saved during the test, with the path it went to (figures are saved to
    a new temporary file `.NAME.XXXX.partial.png` renamed to NAME: netsim.files)."""
    import re

    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig
    temporary = re.compile(r"^(.*/)?\.(.+)\.[^./]+\.partial\.[a-z]+$")

    def spy(self, fname, *args, **kwargs):
        match = temporary.match(str(fname))
        saved.append((self, f"{match[1] or ''}{match[2]}" if match else str(fname)))
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return saved


def drawn_fraction(png) -> tuple[tuple[int, int], float]:
    """((height, width), fraction of pixels that are not white) of a PNG file."""
    import matplotlib.image

    pixels = matplotlib.image.imread(str(png))
    rgb = pixels[..., :3]
    return pixels.shape[:2], float(np.mean(np.any(rgb < 0.95, axis=-1)))


def test_link_budget_plot_draws_the_ber_curves(tmp_path, saved_figures):
    from netsim.cli.link_budget import plot_ber
    from netsim.links.link_budget import LinkBudget

    budget = LinkBudget()
    png = tmp_path / "ber.png"
    plot_ber(budget, png)
    (fig, path), = saved_figures
    assert path == str(png)
    size, drawn = drawn_fraction(png)
    assert size == (480, 720)  # 6 x 4 in at 120 dpi
    assert 0.03 < drawn < 0.6  # axes, ticks, four lines: neither blank nor a filled block
    ax, = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("distance (km)", "bit error rate", "log")
    curves = [line for line in ax.get_lines() if line.get_label().startswith("pointing error")]
    # No error, the static bias, and half the divergence: labels round to 0.1 µrad.
    errors = sorted([0.0, budget.pointing_bias_rad, budget.divergence_rad / 2])
    assert [float(line.get_label().split()[2]) for line in curves] == [round(e * 1e6, 1) for e in errors]
    for line, error in zip(curves, errors):
        x_km, ber = line.get_xdata(), line.get_ydata()
        # The curve is the budget's BER at that pointing error (clipped for the log axis).
        expected = np.clip(budget.ber(budget.received_power_w(x_km * 1e3, error)), 1e-30, 0.5)
        np.testing.assert_allclose(ber, expected, rtol=1e-12)
        assert np.all(np.diff(ber) >= 0) and ber[0] < budget.target_ber < ber[-1]
    # From 50 km to three times the maximum range.
    assert (x_km[0], x_km[-1]) == pytest.approx((50.0, 3 * budget.max_range_m() / 1e3))
    target, = [line for line in ax.get_lines() if line.get_label().startswith("target BER")]
    assert np.all(np.asarray(target.get_ydata()) == budget.target_ber)


def test_sweep_summary_plot_shows_means_and_spread(tmp_path, saved_figures):
    from netsim.sweep.plot import plot

    offsets = {"a": 0.0, "b": 1.0}
    rows = [{"status": "ok", "x": x, "by": by, "metric": x * 10 + offsets[by] + d}
            for x in (1.0, 2.0, 4.0) for by in ("a", "b") for d in (-1.0, 1.0)]
    rows.append({"status": "failed", "x": 8.0, "by": "a", "metric": None})  # marked, not dropped
    png = plot(rows, "metric", "x", tmp_path / "m.png", by="by")
    (fig, _), = saved_figures
    size, drawn = drawn_fraction(png)
    assert size == (540, 840)  # 7 x 4.5 in at 120 dpi
    assert drawn > 0.03
    ax, = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("x", "metric", "metric against x")
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["1 failed runs", "by = a", "by = b"]
    failed = [c for c in ax.collections if c.get_label().startswith("1 failed")]
    assert [list(map(float, c.get_offsets()[:, 0])) for c in failed] == [[8.0]]  # the failed run, at its x
    lines = [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "none", "")]  # not caps
    assert len(lines) == 2
    for line, offset in zip(lines, offsets.values()):  # means over the two replicates: 10 x + offset
        np.testing.assert_allclose(np.asarray(line.get_xdata(), dtype=float), [1.0, 2.0, 4.0])
        np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), [10.0 + offset, 20.0 + offset, 40.0 + offset])
    # Error bars: one sample standard deviation of (-1, +1) = sqrt(2).
    bars = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    spans = {round(float(seg[1, 1] - seg[0, 1]), 9) for c in bars for seg in c.get_segments()}
    assert spans == {round(2 * math.sqrt(2), 9)}


def test_analysis_plots_have_their_axes_and_flows(short_run, tmp_path, saved_figures):
    from netsim.cli.main import main

    _, result = short_run
    out = tmp_path / "analysis"
    assert main(["analyze", str(result.run_dir), "--out", str(out), "--quiet", "--bin", "0.5"]) == 0
    figures = {path.rsplit("/", 1)[-1]: fig for fig, path in saved_figures}
    assert set(figures) == {"throughput.png", "delay.png", "delay_cdf.png"}
    labels = {"throughput.png": ("time (s)", "throughput (Mbit/s, IP, 0.5 s bins)"),
              "delay.png": ("time (s)", "one-way delay (ms, mean per 0.5 s)"),
              "delay_cdf.png": ("one-way delay (ms)", "fraction of packets")}
    for name, fig in figures.items():
        size, drawn = drawn_fraction(out / name)
        assert size == (720, 1280)  # 6.4 x 3.6 in at 200 dpi
        assert drawn > 0.02, name
        ax, = fig.axes
        assert (ax.get_xlabel(), ax.get_ylabel()) == labels[name]
        assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["london-new_york", "new_york-london"]
    # The delay CDF ends at 1 and sits at the flows' delays (~25 ms for this scenario).
    for line in figures["delay_cdf.png"].axes[0].get_lines():
        assert line.get_ydata()[-1] == pytest.approx(1.0)
        assert 10 < np.median(line.get_xdata()) < 60
    # Throughput: london-new_york sends 20 Mbit/s of payload from 0.2 to 2.8 s.
    (through,) = figures["throughput.png"].axes
    line = next(line for line in through.get_lines() if line.get_label() == "london-new_york")
    y = np.asarray(line.get_ydata())
    assert np.max(y) == pytest.approx(20 * (1000 + 28) / 1000, rel=0.05)
