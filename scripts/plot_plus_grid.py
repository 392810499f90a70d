"""Draw netsim's +Grid conventions (docs/plus-grid.png): planes unrolled left to right by
RAAN, satellites up the page by argument of latitude at t = 0, cross-plane links as
netsim builds them (netsim.links.fixed_isls) for a Walker delta shell and for a TLE set in
Hypatia's layout (odd planes half a slot ahead).

    .venv/bin/python scripts/plot_plus_grid.py docs/plus-grid.png
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from netsim.links.fixed_isls import fixed_isls  # noqa: E402
from netsim.links.numbering import NEXT_PLANE, layout  # noqa: E402
from netsim.scenario.load import scenario_from_dict  # noqa: E402
from netsim.space.orbits import constellation_ephemeris  # noqa: E402
from netsim.space.tle import walker_tle_text  # noqa: E402

P, S = 6, 8


def panel(ax, raw, title, phase_of):
    scenario = scenario_from_dict(raw, Path(raw.pop("_path", ".")))
    lay = layout(scenario, constellation_ephemeris(scenario).names)
    links = fixed_isls(scenario, lay)
    p, k = np.divmod(np.arange(P * S), S)
    u = phase_of(p, k)
    ax.scatter(p, u, s=30, color="tab:blue", zorder=3)
    for a, b, port in zip(links.node_a, links.node_b, links.port_a):
        if port != NEXT_PLANE:
            continue
        pb = p[b] if p[b] > p[a] else P  # the seam: plane P-1 to plane 0, drawn past the last plane
        ub = u[b] if abs(u[b] - u[a]) < 0.5 else u[b] + np.sign(u[a] - u[b])
        ax.plot([p[a], pb], [u[a], ub], color="tab:red" if pb == P else "tab:gray", lw=1)
    ax.set_xticks(range(P + 1), [*map(str, range(P)), "0"])
    ax.set_xlabel("plane (by RAAN); the red links cross the seam back to plane 0")
    ax.set_ylabel("argument of latitude at t = 0 (turns)")
    ax.set_ylim(-0.05, 1.0)
    ax.set_title(title, fontsize=10)


def main(out: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    walker = {"name": "w", "duration_s": 1, "constellation": {"tiers": [{"name": "w", "shells": [
        {"altitude_km": 550, "inclination_deg": 53, "planes": P, "sats_per_plane": S, "phasing": 1}]}]}}
    panel(axes[0], walker, "Walker delta 53:48/6/1, defaults: plane p slot k - plane p+1 slot k;\n"
                           "seam: plane 5 slot k - plane 0 slot k + F", lambda p, k: (k / S + p / (P * S)) % 1)
    tle = Path("/tmp/plus-grid-hypatia.tle")
    tle.write_text(walker_tle_text("H", P, S, 53.0, 15.0))
    hypatia = {"name": "h", "duration_s": 1, "epoch": "2000-01-01T00:00:00", "_path": str(tle),
               "constellation": {"tiers": [{"name": "h", "tle": [{"name": "h", "file": tle.name}]}]}}
    panel(axes[1], hypatia, "TLE set in Hypatia's layout (odd planes half a slot ahead),\n"
                            "cross_plane_offset 0: odd -> even plane meets the satellite half a slot behind",
          lambda p, k: (k / S + (p % 2) / (2 * S)) % 1)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/plus-grid.png"))
