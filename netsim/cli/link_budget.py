"""`netsim link-budget`: the laser link budget of one channel as a table of dB terms, the
lane (rate, per-channel margin, the ranges at which channels drop out), the maximum range
at a target BER, the terminal's cost per Gbps-km, a ground link through the atmosphere
(--elevation-deg), and optionally a plot of BER against distance."""

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
    "rx_pointing_bias_urad": "rx_pointing_bias_urad", "rx_pointing_jitter_urad": "rx_pointing_jitter_urad",
    "wavelength_nm": "wavelength_nm", "tx_efficiency": "tx_efficiency", "rx_efficiency": "rx_efficiency",
}
INT_OVERRIDES = {"channels": "channels"}
RECEIVERS = ["pin", "apd", "preamp", "coherent_bpsk", "coherent_qpsk"]


def add_parser(commands) -> None:
    cmd = commands.add_parser("link-budget", help="print a laser link budget, its maximum range, plot BER vs distance")
    cmd.add_argument("--scenario", type=Path, help="take the laser section of this scenario (default: defaults)")
    cmd.add_argument("--distance-km", type=float, default=1000.0, help="link distance for the table (default 1000)")
    cmd.add_argument("--receiver", choices=RECEIVERS, help="detector type")
    for flag in OVERRIDES:
        cmd.add_argument("--" + flag.replace("_", "-"), type=float, dest=flag)
    cmd.add_argument("--channels", type=int, dest="channels", help="channels per lane (share the transmit power)")
    cmd.add_argument("--elevation-deg", type=float, help="a ground link at this elevation: through the "
                     "scenario's atmosphere (extinction, turbulence)")
    cmd.add_argument("--plot", type=Path, help="write BER against distance to this PNG file")


def run(args) -> None:
    from pydantic import ValidationError

    from netsim.scenario.model import Laser, Scenario

    from netsim.scenario.load import load_scenario

    scenario = load_scenario(args.scenario) if args.scenario else None
    laser = scenario.laser if scenario else Laser()
    update = {key: getattr(args, flag) for flag, key in {**OVERRIDES, **INT_OVERRIDES}.items()
              if getattr(args, flag) is not None}
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
    if args.elevation_deg is not None and not 0 < args.elevation_deg <= 90:
        raise NetsimError(f"--elevation-deg: must be > 0 and <= 90 (got {args.elevation_deg})")
    if args.plot:
        check_plot(args.plot)
    atmosphere = (scenario.ground_links.atmosphere if scenario else Scenario.model_fields["ground_links"].default.atmosphere)
    from netsim.links.budget_table import budget_table

    table = budget_table(args.distance_km, laser, args.elevation_deg, atmosphere)
    budget = table.pop("_budget")
    where = "vacuum" if args.elevation_deg is None else f"ground link at {args.elevation_deg:g} deg elevation"
    print(f"laser link budget at {args.distance_km:g} km ({budget.receiver} receiver, "
          f"{budget.bit_rate_bps / 1e9:g} Gbps {'coherent' if budget.coherent else 'OOK'}, "
          f"{budget.wavelength_m * 1e9:g} nm, {where}), per channel of {budget.channels}")
    for term, value in table.items():
        if term in ("bit error rate", "packet error rate, 1500 bytes", "fade probability at the margin",
                    "scintillation index (Rytov)", "cost per Gbps-km at max range (USD)"):
            print(f"  {term:<48} {value:9.2e}")
        elif term == "channel ranges (km)":
            continue
        elif isinstance(value, float):
            print(f"  {term:<48} {value:9.2f}")
    print(f"lane: {budget.channels} x {budget.bit_rate_bps / 1e9:g} Gbps = {budget.lane_gbps():g} Gbps; per-channel "
          f"margin {table['margin (dB)']:.2f} dB ({10 * np.log10(budget.channels):.2f} dB below one channel's)")
    ranges = table["channel ranges (km)"]
    shown = ranges if len(ranges) <= 8 else ranges[:4] + ranges[-4:]
    print("channels drop out (power on the rest): " + ", ".join(f"{k} up to {r:.0f} km" for k, r in shown))
    print(f"max range at BER {budget.target_ber:g} with {budget.required_margin_db:g} dB margin: "
          f"{table['max range (km)']:.0f} km")
    print(f"terminal cost {table['terminal cost (USD)']:g} USD; at the max range "
          f"{table['cost per Gbps-km at max range (USD)']:.3g} USD per Gbps-km (two terminals per link)")
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
           title=f"{budget.bit_rate_bps / 1e9:g} Gbps, {budget.receiver}, {budget.tx_power_w:g} W / {budget.channels}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    from netsim.files import new_path

    try:
        with new_path(path, keep_suffix=True) as tmp:
            fig.savefig(tmp, dpi=120)
    finally:
        plt.close(fig)
