"""`netsim link-budget`: the laser link budget as a table of dB terms, the maximum range
at a target BER, and optionally a plot of BER against distance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netsim.errors import NetsimError

MAX_DISTANCE_KM = 1e7  # beyond the Moon's distance, x25
PLOT_SUFFIXES = (".png", ".pdf", ".svg")
OVERRIDES = {  # CLI flag -> key of the scenario's laser section
    "tx_power_w": "tx_power_w", "tx_aperture_mm": "tx_aperture_mm", "rx_aperture_mm": "rx_aperture_mm",
    "pointing_bias_urad": "pointing_bias_urad", "pointing_jitter_urad": "pointing_jitter_urad",
    "target_ber": "target_ber", "data_rate_gbps": "data_rate_gbps",
}


def add_parser(commands) -> None:
    cmd = commands.add_parser("link-budget", help="print a laser link budget, its maximum range, plot BER vs distance")
    cmd.add_argument("--scenario", type=Path, help="take the laser section of this scenario (default: defaults)")
    cmd.add_argument("--distance-km", type=float, default=1000.0, help="link distance for the table (default 1000)")
    cmd.add_argument("--receiver", choices=["pin", "apd", "preamp"], help="detector type")
    for flag in OVERRIDES:
        cmd.add_argument("--" + flag.replace("_", "-"), type=float, dest=flag)
    cmd.add_argument("--plot", type=Path, help="write BER against distance to this PNG file")


def run(args) -> None:
    from pydantic import ValidationError

    from netsim.scenario.model import Laser

    from netsim.scenario.load import load_scenario
    from netsim.links.link_budget import LinkBudget

    laser = load_scenario(args.scenario).laser if args.scenario else Laser()
    update = {key: getattr(args, flag) for flag, key in OVERRIDES.items() if getattr(args, flag) is not None}
    if args.receiver:
        update["receiver"] = {**laser.receiver.model_dump(), "type": args.receiver}
    try:
        laser = Laser.model_validate({**laser.model_dump(), **update})
    except ValidationError as err:
        first = err.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise NetsimError(f"{flag}: {first['msg'].lower()} (got {first['input']!r})") from None
    if not 0 < args.distance_km <= MAX_DISTANCE_KM:
        raise NetsimError(f"--distance-km: must be a finite distance, 0 < km <= {MAX_DISTANCE_KM:g} "
                          f"(got {args.distance_km})")
    if args.plot:
        check_plot(args.plot)
    budget = LinkBudget.from_config(laser)
    distance_m = args.distance_km * 1e3
    print(f"laser link budget at {args.distance_km:g} km ({budget.receiver} receiver, "
          f"{budget.bit_rate_bps / 1e9:g} Gbps OOK, {budget.wavelength_m * 1e9:g} nm, vacuum)")
    for term, value in budget.terms_db(distance_m):
        print(f"  {term:<44} {value:9.2f}")
    ber = float(budget.ber(budget.received_power_w(distance_m)))
    print(f"  {'bit error rate':<44} {ber:9.2e}")
    print(f"  {'packet error rate, 1500 bytes':<44} {float(budget.packet_error_rate(ber, 1500)):9.2e}")
    print(f"max range at BER {budget.target_ber:g} with {budget.required_margin_db:g} dB margin: "
          f"{budget.max_range_m() / 1e3:.0f} km")
    if args.plot:
        plot_ber(budget, args.plot)
        print(f"plot: {args.plot}")


def check_plot(path: Path) -> None:
    """--plot: an image file (.png, .pdf, .svg) in a folder that exists and can be written."""
    from netsim.files import check_out_dir

    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise NetsimError(f"--plot: {path}: give a {', '.join(PLOT_SUFFIXES)} file name (the suffix picks the format)")
    if path.is_dir():
        raise NetsimError(f"--plot: {path} is a folder; give the file to write")
    parent = path.parent
    if not parent.is_dir():
        raise NetsimError(f"--plot: cannot write {path}: the folder {parent} "
                          f"{'is not a folder' if parent.exists() else 'does not exist'}")
    check_out_dir(parent, "--plot")


def plot_ber(budget, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    distance_km = np.linspace(50, 3 * budget.max_range_m() / 1e3, 400)
    fig, ax = plt.subplots(figsize=(6, 4))
    for err_urad in sorted({budget.pointing_bias_rad * 1e6, 0.0, budget.divergence_rad * 1e6 / 2}):
        ber = budget.ber(budget.received_power_w(distance_km * 1e3, err_urad * 1e-6))
        ax.semilogy(distance_km, np.clip(ber, 1e-30, 0.5), label=f"pointing error {err_urad:.1f} µrad")
    ax.axhline(budget.target_ber, color="grey", ls="--", lw=0.8, label=f"target BER {budget.target_ber:g}")
    ax.set(xlabel="distance (km)", ylabel="bit error rate", ylim=(1e-30, 1),
           title=f"{budget.bit_rate_bps / 1e9:g} Gbps OOK, {budget.receiver}, {budget.tx_power_w:g} W")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    from netsim.files import new_path

    try:
        with new_path(path, keep_suffix=True) as tmp:
            fig.savefig(tmp, dpi=120)
    finally:
        plt.close(fig)
