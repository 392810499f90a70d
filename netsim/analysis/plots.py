"""Figures of an analysis (PNG, matplotlib's Agg backend): throughput over time, one-way
delay over time, CDF of one-way delay. One line per flow; a flow captured at several
ports is drawn once, from its receiving end when known. At most MAX_LINES flows (the
largest by bytes) so that a legend stays readable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from netsim.files import new_path

MAX_LINES = 10
_KEY = ["src", "sport", "dst", "dport", "proto"]
_YEAR_S = 365 * 86400.0


def chosen_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per 5-tuple (rx capture preferred, else the one with most packets), largest first."""
    if flows.empty:
        return flows
    rank = flows.assign(_rx=(flows["direction"] == "rx").astype(int))
    rank = rank.sort_values(["_rx", "packets"], ascending=False)
    rank = rank[~rank.duplicated(_KEY)]
    return rank.sort_values("ip_bytes", ascending=False).head(MAX_LINES).drop(columns="_rx")


def _label(row) -> str:
    if row["flow"]:
        return str(row["flow"])
    return f"{row['src']}:{row['sport']} > {row['dst']}:{row['dport']} {row['proto']}"


def _time_axis(start_s: float) -> tuple[float, str]:
    """Simulation time as is; wall-clock captures relative to their first packet."""
    if start_s < _YEAR_S:
        return 0.0, "time (s)"
    return start_s, "time since the first packet (s)"


def write_plots(analysis, out_dir: Path, *, dpi: int = 200) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    flows, bins = analysis.flows, analysis.throughput
    chosen = chosen_flows(flows)
    if chosen.empty:
        return []
    origin, xlabel = _time_axis(float(flows["start_s"].min()))
    more = len(flows.drop_duplicates(_KEY)) - len(chosen)
    note = f" (largest {len(chosen)} flows; {more} more in the tables)" if more > 0 else ""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def finish(fig, ax, name, ylabel, title, x=xlabel):
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.set_title(title + note, fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        path = out_dir / name
        try:
            with new_path(path, keep_suffix=True) as tmp:
                fig.savefig(tmp, dpi=dpi)
        finally:
            plt.close(fig)
        written.append(path)

    def series(row):
        sel = (bins["capture"] == row["capture"])
        for col in _KEY:
            sel &= bins[col] == row[col]
        return bins[sel]

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for _, row in chosen.iterrows():
        b = series(row)
        ax.step(b["time_s"] - origin, b["throughput_mbps"], where="post", label=_label(row), lw=1)
    finish(fig, ax, "throughput.png", f"throughput (Mbit/s, IP, {analysis.bin_s:g} s bins)",
           "Throughput per flow")

    delayed = chosen[chosen["seqts"]]
    if not delayed.empty:
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for _, row in delayed.iterrows():
            b = series(row)
            ax.plot(b["time_s"] - origin, b["delay_mean_ms"], label=_label(row), lw=1)
        finish(fig, ax, "delay.png", f"one-way delay (ms, mean per {analysis.bin_s:g} s)",
               "One-way delay per flow")

        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for i, row in delayed.iterrows():
            values, frac = analysis.delay_cdfs.get(i, (np.zeros(0), np.zeros(0)))
            if len(values):
                ax.step(values, frac, where="post", label=_label(row), lw=1)
        finish(fig, ax, "delay_cdf.png", "fraction of packets", "CDF of one-way delay", x="one-way delay (ms)")
    return written
