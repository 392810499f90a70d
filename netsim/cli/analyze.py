"""`netsim analyze RUN_DIR | FILE.pcap ...`: per-flow tables and figures from captures.

Exit codes: 0 done, 2 bad input (a file missing, not a pcap, unsupported, truncated or
corrupt). A damaged file still contributes the rows read before the damage, flagged
partial=True, and the tables are written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_parser(commands) -> argparse.ArgumentParser:
    cmd = commands.add_parser(
        "analyze", help="per-flow throughput, delay, jitter, loss, TCP RTT from pcap files",
        description="Analyse a run folder's pcap/ (or any libpcap files): per flow throughput over time, "
                    "one-way delay (ns-3 SeqTs payloads), jitter, loss, reordering, TCP RTT and "
                    "retransmissions. Writes flows.csv, throughput.csv (+ .parquet with pyarrow) and PNG plots.")
    cmd.add_argument("inputs", nargs="+", type=Path, metavar="RUN_DIR|PCAP",
                     help="a run folder (reads RUN_DIR/pcap/*.pcap and names flows from manifest.json), "
                          "a folder of .pcap files, or pcap files")
    cmd.add_argument("--out", type=Path, help="output folder (default: RUN_DIR/analysis, or analysis/ "
                                              "beside the first file)")
    cmd.add_argument("--bin", type=float, default=0.1, metavar="SECONDS",
                     help="time bin of throughput.csv and the plots (default 0.1)")
    cmd.add_argument("--no-plots", action="store_true", help="tables only")
    cmd.add_argument("--no-parquet", action="store_true", help="CSV only, even when pyarrow is installed")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    return cmd


def _collect(inputs: list[Path]) -> tuple[list[Path], Path | None, Path]:
    """(pcap files, run folder for names or None, default output folder)."""
    from netsim.errors import NetsimError

    files: list[Path] = []
    run_dir = None
    default_out = None
    for item in inputs:
        if item.is_dir():
            if (item / "pcap").is_dir():
                run_dir = run_dir or item
                found = sorted((item / "pcap").glob("*.pcap"))
                default_out = default_out or item / "analysis"
            else:
                found = sorted(item.glob("*.pcap"))
                if (item / "manifest.json").exists():
                    run_dir = run_dir or item
                default_out = default_out or item / "analysis"
            if not found:
                raise NetsimError(f"{item}: no .pcap files in this folder"
                                  + (" or its pcap/ folder" if (item / "pcap").is_dir() else ""))
            files += found
        elif item.exists():
            files.append(item)
            if item.parent.name == "pcap" and (item.parent.parent / "manifest.json").exists():
                run_dir = run_dir or item.parent.parent
                default_out = default_out or item.parent.parent / "analysis"
            default_out = default_out or item.parent / "analysis"
        else:
            raise NetsimError(f"{item}: no such file or folder")
    return files, run_dir, default_out


def run(args) -> int:
    from netsim.errors import NetsimError

    if not args.bin > 0:
        print(f"netsim: error: --bin: must be > 0 seconds (got {args.bin})", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        files, run_dir, default_out = _collect(args.inputs)
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or default_out

    from netsim.analysis.analyze import analyze
    from netsim.analysis.context import RunContext

    context = RunContext.from_run_dir(run_dir) if run_dir else RunContext()
    analysis = analyze(files, bin_s=args.bin, context=context, progress=not args.quiet)
    for capture in analysis.captures:
        if capture.error is not None:
            tail = (f"; its {len(analysis.flows[analysis.flows['capture'] == capture.path.name])} flow rows "
                    f"(from {capture.records} good records) are marked partial=True") if capture.partial else ""
            print(f"netsim: error: {capture.error}{tail}", file=sys.stderr)
    if all(c.error is not None and not c.partial for c in analysis.captures):
        return EXIT_BAD_INPUT

    from netsim.analysis.tables import write_tables

    written = write_tables(out, {"flows": analysis.flows, "throughput": analysis.throughput},
                           parquet=False if args.no_parquet else None)
    if not args.no_plots:
        from netsim.analysis.plots import write_plots

        written += write_plots(analysis, out)
    if not args.quiet:
        _print_summary(analysis)
    print("wrote: " + ", ".join(str(p) for p in written))
    return EXIT_BAD_INPUT if analysis.errors else EXIT_OK


def _print_summary(analysis) -> None:
    flows = analysis.flows
    print(f"{'capture':<22} {'flow':<28} {'dir':<4} {'packets':>9} {'Mbit/s':>8} {'lost':>6} "
          f"{'reord':>5} {'delay ms mean/p99':>18} {'jitter ms':>9} {'rtt ms':>8} {'retx':>5}")
    for _, r in flows.head(50).iterrows():
        name = r["flow"] or f"{r['src']}:{r['sport']}>{r['dst']}:{r['dport']}/{r['proto']}"
        delay = f"{r['delay_mean_ms']:.3f}/{r['delay_p99_ms']:.3f}" if r["seqts"] else "-"
        print(f"{r['capture'][:22]:<22} {name[:28]:<28} {r['direction'] or '-':<4} {r['packets']:>9} "
              f"{r['throughput_mbps']:>8.2f} {_opt(r['packets_lost']):>6} {_opt(r['reordered']):>5} {delay:>18} "
              f"{_opt(r['jitter_ms'], '.4f'):>9} {_opt(r['rtt_mean_ms'], '.2f'):>8} "
              f"{_opt(r['tcp_retransmissions']):>5}" + ("  PARTIAL" if r["partial"] else ""))
    if len(flows) > 50:
        print(f"... {len(flows) - 50} more flows in flows.csv")


def _opt(value, fmt: str = "") -> str:
    import pandas as pd

    return "-" if pd.isna(value) else format(value, fmt)
