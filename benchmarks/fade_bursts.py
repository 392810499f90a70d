"""Loss bursts of time-correlated pointing fades (docs/photonics.md, "Fades"): one APD
link, 1 W, 8 cm apertures, 5 µrad rms pointing jitter per axis and no bias, at the
distance where a 1.8-sigma error loses half the 1,000-byte frames; one frame every
0.1 ms for 10 s, through the ns-3 core, for white jitter and bandwidths of 1 kHz, 100 Hz
and 10 Hz. Prints, per bandwidth, the loss ratio and the burst lengths (frames, ms).

    .venv/bin/python benchmarks/fade_bursts.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from core_support import burst_lengths, train_losses  # noqa: E402

from netsim.links.link_budget import LinkBudget  # noqa: E402

SIGMA_RAD = 5e-6
INTERVAL_S = 1e-4
FRAMES = 100_000


def main() -> None:
    base = LinkBudget(receiver="apd", pointing_bias_rad=0.0, pointing_jitter_rad=SIGMA_RAD, rx_pointing_bias_rad=0.0,
                      rx_pointing_jitter_rad=0.0, required_margin_db=-30.0)
    lo, hi = 1e5, 1e8
    for _ in range(60):  # where a 1.8-sigma error loses half the frames
        mid = math.sqrt(lo * hi)
        per = float(base.packet_error_rate(base.ber(base.received_power_w(mid, 1.8 * SIGMA_RAD, 0.0)), 1000))
        lo, hi = (mid, hi) if per < 0.5 else (lo, mid)
    print(f"distance-km: {lo / 1e3:.1f}")
    for bandwidth in (0.0, 1000.0, 100.0, 10.0):
        budget = LinkBudget(**{**base.__dict__, "jitter_bandwidth_hz": bandwidth})
        lost = train_losses(lo, budget, INTERVAL_S, FRAMES)
        runs = burst_lengths(lost)
        tag = "white" if bandwidth == 0 else f"{bandwidth:g}hz"
        tau_ms = f"{budget.jitter_correlation_s * 1e3:.3g}" if bandwidth else "0"
        p50, p90, p99 = np.percentile(runs, [50, 90, 99])
        print(f"{tag}-correlation-ms: {tau_ms}")
        print(f"{tag}-loss-ratio: {lost.mean():.4f}")
        print(f"{tag}-bursts: {len(runs)}")
        print(f"{tag}-burst-mean-frames: {runs.mean():.2f}")
        print(f"{tag}-burst-p50-p90-p99-max-frames: {p50:.0f} {p90:.0f} {p99:.0f} {runs.max()}")
        print(f"{tag}-burst-mean-ms: {runs.mean() * INTERVAL_S * 1e3:.3f}")


if __name__ == "__main__":
    main()
