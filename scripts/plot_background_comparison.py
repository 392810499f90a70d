"""The coupled background model against full packet level (docs/validation.md,
"Background load"): runs the chain and the +Grid of tests/test_background.py both ways
and draws the foreground figures side by side.

    .venv/bin/python scripts/plot_background_comparison.py --out runs/background-comparison
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_background import _chain, _full_packet, _grid  # noqa: E402  (the test's own set-ups)

from netsim.run.runner import run  # noqa: E402
from netsim.scenario.load import scenario_from_dict  # noqa: E402

FIGURES = (("fg-tcp", "goodput_mbps", "TCP goodput (Mbit/s)"), ("fg-udp", "delay_mean_ms", "UDP mean delay (ms)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "background-comparison")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "background-comparison.png")
    args = parser.parse_args()
    values = {}
    for name, build in (("chain", _chain), ("+Grid 6x20", _grid)):
        folder = args.out / name.split()[0].strip("+").lower()
        folder.mkdir(parents=True, exist_ok=True)
        raw = build(folder)
        coupled = run(scenario_from_dict(raw), folder / "coupled")
        full = run(scenario_from_dict(_full_packet(raw, pd.read_csv(folder / "coupled" / "load_demands.csv"))),
                   folder / "full")
        for flow, column, label in FIGURES:
            a = float(next(f for f in coupled.flows if f["flow"] == flow)[column])
            b = float(next(f for f in full.flows if f["flow"] == flow)[column])
            values[(name, label)] = (a, b)
            print(f"{name} {label}: coupled {a:.3f}, full packet level {b:.3f}, difference {100 * (a - b) / b:+.1f} %")
    fig, axes = plt.subplots(1, len(FIGURES), figsize=(9, 3.4))
    names = sorted({n for n, _ in values}, key=lambda n: n != "chain")
    for ax, (_, _, label) in zip(axes, FIGURES):
        for i, name in enumerate(names):
            a, b = values[(name, label)]
            ax.bar([3 * i, 3 * i + 1], [b, a], color=["#888888", "#d95f02"])
            ax.text(3 * i + 1, a, f"{100 * (a - b) / b:+.1f} %", ha="center", va="bottom", fontsize=8)
        ax.set_xticks([3 * i + 0.5 for i in range(len(names))], names)
        ax.set_title(label, fontsize=10)
    axes[0].legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in ("#888888", "#d95f02")],
                   labels=["full packet level", "coupled (fluid background)"], fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
