"""Summary plot: a metric of the results table against a parameter (PNG, matplotlib Agg).

Each run is a faint dot; the line is the mean over replicates (and over any other axis
not given with --by) with one standard deviation as error bars; --by draws one line per
value of a second parameter. Failed runs are left out.
"""

from __future__ import annotations

import math
from pathlib import Path

from netsim.errors import NetsimError

PLOTS_DIR = "plots"


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def plot(rows: list[dict], metric: str, against: str, out_png: Path, *, by: str | None = None,
         title: str | None = None) -> Path:
    columns = list(rows[0]) if rows else []
    for option, column in (("--plot", metric), ("--against", against), ("--by", by)):
        if column is not None and column not in columns:
            raise NetsimError(f"{option}: no column {column!r} in the results; columns: {', '.join(columns) or 'none'}")
    ok = [r for r in rows if r.get("status") == "ok" and r.get(metric) is not None
          and not (isinstance(r[metric], float) and math.isnan(r[metric]))]
    if not ok:
        raise NetsimError(f"--plot: no finished run has a value of {metric!r}")
    if not _numeric([r[metric] for r in ok]):
        raise NetsimError(f"--plot: {metric!r} is not a number")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs_all = sorted({r[against] for r in ok}, key=lambda v: (str(type(v)), v))
    numeric_x = _numeric(xs_all)
    position = (lambda v: v) if numeric_x else (lambda v: xs_all.index(v))
    groups: dict = {}
    for r in ok:
        groups.setdefault(r[by] if by else None, []).append(r)
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
        ax.errorbar([position(x) for x in xs], means, yerr=stds, marker="o", capsize=3,
                    label=f"{by} = {label}" if by else None, color=ax.collections[-1].get_facecolor()[0][:3])
    if not numeric_x:
        ax.set_xticks(range(len(xs_all)), [str(x) for x in xs_all])
    ax.set_xlabel(against)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} against {against}")
    ax.grid(True, alpha=0.3)
    if by:
        ax.legend(fontsize=8)
    fig.tight_layout()
    out_png = Path(out_png)
    from netsim.files import make_out_dir, new_path

    make_out_dir(out_png.parent, "--plot-out")
    try:
        with new_path(out_png, keep_suffix=True) as tmp:
            fig.savefig(tmp)
    finally:
        plt.close(fig)
    return out_png
