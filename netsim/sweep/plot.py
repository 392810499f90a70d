"""Summary plot: a metric of the results table against a parameter (PNG, matplotlib Agg).

Each run is a faint dot; the line is the mean over replicates (and over any other axis
not given with --by) with one standard deviation as error bars; --by draws one line per
value of a second parameter, --per-flow one line per flow (flows.parquet). Nothing is
left out silently: a failed run is drawn as an x at the bottom of the axes, a finished
run without a value (a delay when every packet was lost) as a triangle at the top, and
the legend counts them. The y label says how a metric pools its flows; a geometric
parameter axis (geomspace, log_uniform) is drawn on a log scale.
"""

from __future__ import annotations

import math
from pathlib import Path

from netsim.errors import NetsimError

PLOTS_DIR = "plots"
# How each metric of results.parquet is made: the weighting belongs on the axis.
METRIC_LABELS = {
    "delay_mean_ms": "one-way delay, ms: mean over all received packets\n(flows weighted by packets received)",
    "delay_p99_ms": "one-way delay, ms: p99 of the worst flow",
    "delay_p99_ms_mean": "one-way delay, ms: p99 per flow, mean over flows\n(flows weighted equally)",
    "loss_ratio": "loss ratio: all flows' lost / sent packets\n(flows weighted by packets sent)",
    "packets_sent": "packets sent, all flows", "packets_received": "packets received, all flows",
    "packets_lost": "packets lost, all flows",
}
FLOW_LABELS = {
    "delay_mean_ms": "one-way delay, ms: mean over the flow's received packets",
    "delay_p99_ms": "one-way delay, ms: p99 of the flow", "loss_ratio": "loss ratio of the flow",
}


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def geometric(values) -> bool:
    """Positive numbers spaced by a roughly constant ratio over at least a decade."""
    xs = sorted({v for v in values if _numeric([v])})
    if len(xs) < 3 or xs[0] <= 0 or xs[-1] / xs[0] < 10:
        return False
    ratios = [b / a for a, b in zip(xs, xs[1:])]
    return max(ratios) / min(ratios) < 1.5


def plot(rows: list[dict], metric: str, against: str, out_png: Path, **options) -> Path:
    """Draw figure(rows, metric, against, **options) into a PNG (written whole or not at all)."""
    import matplotlib.pyplot as plt

    from netsim.files import make_out_dir, new_path

    fig = figure(rows, metric, against, **options)
    out_png = Path(out_png)
    make_out_dir(out_png.parent, "--plot-out")
    try:
        with new_path(out_png, keep_suffix=True) as tmp:  # a new file, renamed into place
            fig.savefig(tmp)
    finally:
        plt.close(fig)
    return out_png


def figure(rows: list[dict], metric: str, against: str, *, by: str | None = None, title: str | None = None,
           log_x: bool | None = None, flows: list[dict] | None = None):
    """The matplotlib figure. rows: results.parquet as dicts; flows: flows.parquet as
    dicts for one line per flow (then `by` must be None); log_x: None = decide from the
    values (geometric()). Every row (every flow row with flows) is one marker."""
    columns = list(rows[0]) if rows else []
    for option, column in (("--plot", metric if flows is None else None), ("--against", against), ("--by", by)):
        if column is not None and column not in columns:
            raise NetsimError(f"{option}: no column {column!r} in the results; columns: {', '.join(columns) or 'none'}")
    if flows is not None:
        if by:
            raise NetsimError("--per-flow draws one line per flow: it does not go with --by")
        flow_columns = list(flows[0]) if flows else []
        if metric not in flow_columns:
            raise NetsimError(f"--plot: no column {metric!r} in flows.parquet; columns: {', '.join(flow_columns)}")
    points = [r for r in (flows if flows is not None else rows) if r.get("status", "ok") == "ok"]
    failed = [r for r in rows if r.get("status") != "ok"]
    good = [r for r in points if not _missing(r.get(metric))]
    empty = [r for r in points if _missing(r.get(metric))]
    if not good and not empty and not failed:
        raise NetsimError(f"--plot: no run to plot {metric!r} of")
    if good and not _numeric([r[metric] for r in good]):
        raise NetsimError(f"--plot: {metric!r} is not a number")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    everything = good + empty + failed
    xs_all = sorted({r[against] for r in everything}, key=lambda v: (str(type(v)), v))
    numeric_x = _numeric(xs_all)
    position = (lambda v: v) if numeric_x else (lambda v: xs_all.index(v))
    group_key = "flow" if flows is not None else by
    groups: dict = {}
    for r in good:
        groups.setdefault(r[group_key] if group_key else None, []).append(r)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for label, members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        ax.scatter([position(r[against]) for r in members], [r[metric] for r in members], s=10, alpha=0.3)
        xs = sorted({r[against] for r in members}, key=lambda v: (str(type(v)), v))
        means, stds = [], []
        for x in xs:
            ys = [r[metric] for r in members if r[against] == x]
            mean = sum(ys) / len(ys)
            means.append(mean)
            stds.append(math.sqrt(sum((y - mean) ** 2 for y in ys) / (len(ys) - 1)) if len(ys) > 1 else 0.0)
        name = (f"flow {label}" if flows is not None else f"{by} = {label}") if group_key else None
        ax.errorbar([position(x) for x in xs], means, yerr=stds, marker="o", capsize=3, label=name,
                    color=ax.collections[-1].get_facecolor()[0][:3])
    # Runs without a value are drawn at the edges, in axes coordinates, never dropped;
    # the y range grows so that they stay clear of the data.
    if good and (empty or failed):
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.12 * (high - low) * bool(failed), high + 0.12 * (high - low) * bool(empty))
    edge = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    # Which runs: the values of the other parameters they share (e.g. laser.tx_power_w = 0.01).
    params = [c for c in columns if "." in c and c not in (against,)] if columns else []

    def which(members: list[dict]) -> str:
        runs = {r.get("run_id"): r for r in members}
        by_run = {r["run_id"]: r for r in rows if "run_id" in r}
        shared = []
        for column in params:
            values = {str(by_run.get(k, v).get(column)) for k, v in runs.items()}
            if len(values) == 1:
                shared.append(f"{column} = {values.pop()}")
        return (": " + ", ".join(shared)) if shared else ""

    if empty:
        lost_all = sum(1 for r in empty if r.get("loss_ratio") == 1)
        why = ("every packet lost" if lost_all == len(empty) else "no value") + which(empty)
        ax.scatter([position(r[against]) for r in empty], [0.97] * len(empty), marker="v", s=40, color="tab:red",
                   transform=edge, clip_on=False, label=f"{len(empty)} {'flows' if flows is not None else 'runs'} "
                                                        f"without {metric} ({why})")
    if failed:
        ax.scatter([position(r[against]) for r in failed], [0.03] * len(failed), marker="x", s=40, color="black",
                   transform=edge, clip_on=False, label=f"{len(failed)} failed runs{which(failed)}")
    if not good:
        ax.set_yticks([])
    if not numeric_x:
        ax.set_xticks(range(len(xs_all)), [str(x) for x in xs_all])
    elif log_x or (log_x is None and geometric(xs_all)):
        ax.set_xscale("log")
    ax.set_xlabel(against)
    ax.set_ylabel((FLOW_LABELS if flows is not None else METRIC_LABELS).get(metric, metric), fontsize=8)
    ax.set_title(title or f"{metric} against {against}")
    ax.grid(True, alpha=0.3)
    if group_key or empty or failed:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
