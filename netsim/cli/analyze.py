"""`netsim analyze RUN_DIR | FILE ...`: per-flow tables and figures from captures.

Exit codes: 0 done, 2 bad input or a result that cannot be trusted: a file missing, not a
capture, unsupported, truncated or corrupt; malformed records; no flows at all; an
incomplete run folder (unless --allow-incomplete); a bad option. A damaged file still
contributes the rows read before the damage, flagged partial=True, and the tables are
written; every problem is one line on stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_BIN_S = 1e6


def add_parser(commands) -> argparse.ArgumentParser:
    cmd = commands.add_parser(
        "analyze", help="per-flow throughput, delay, jitter, loss, TCP RTT from pcap/pcapng files",
        description="Analyse a run folder's pcap/ (or any pcap/pcapng files): per flow throughput over time, "
                    "one-way delay (ns-3 SeqTs payloads), jitter, loss, reordering, TCP RTT and "
                    "retransmissions. Writes flows.csv, throughput.csv, captures.csv (+ .parquet with pyarrow) "
                    "and PNG plots.")
    cmd.add_argument("inputs", nargs="+", type=Path, metavar="RUN_DIR|CAPTURE",
                     help="a run folder (reads RUN_DIR/pcap/*.pcapng and names flows from manifest.json), "
                          "a folder of .pcap/.pcapng files, or capture files")
    cmd.add_argument("--out", type=Path, help="output folder (default: RUN_DIR/analysis, or analysis/ "
                                              "beside the first file)")
    cmd.add_argument("--bin", type=float, default=0.1, metavar="SECONDS",
                     help="time bin of throughput.csv and the plots (default 0.1)")
    cmd.add_argument("--time-origin", metavar="ISO_TIME",
                     help="UTC time that capture times count from, e.g. a scenario epoch 2026-01-01T00:00:00 "
                          "(default: the origin a netsim capture states, else the run's epoch, else 1970-01-01)")
    cmd.add_argument("--allow-incomplete", action="store_true",
                     help="analyse a run folder whose manifest says running or failed")
    cmd.add_argument("--no-plots", action="store_true", help="tables only")
    cmd.add_argument("--no-parquet", action="store_true", help="CSV only, even when pyarrow is installed")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar, no summary table")
    return cmd


def _check_options(args):
    """(time origin ns or None); NetsimError naming the option."""
    from netsim.errors import NetsimError

    if not (math.isfinite(args.bin) and 1e-9 <= args.bin <= MAX_BIN_S):
        raise NetsimError(f"--bin: must be a finite number of seconds from 1e-9 to {MAX_BIN_S:g} (got {args.bin})")
    if args.time_origin is None:
        return None
    from netsim.run.captures import epoch_ns

    try:
        return epoch_ns(args.time_origin)
    except (ValueError, OverflowError):
        raise NetsimError(f"--time-origin: {args.time_origin!r} is not an ISO 8601 time such as "
                          "2026-01-01T00:00:00 (UTC unless it has an offset)") from None


def run(args) -> int:
    from netsim.errors import NetsimError

    def fail(message: str) -> int:
        print(f"netsim: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from netsim.analysis.inputs import collect_captures

    try:
        origin_ns = _check_options(args)
        files, run_dir, default_out = collect_captures(args.inputs)
    except NetsimError as err:
        return fail(str(err))

    from netsim.analysis.context import RunContext

    context = RunContext.from_run_dir(run_dir) if run_dir else RunContext()
    why = context.incomplete()
    if why and not args.allow_incomplete:
        return fail(f"{run_dir}: {why}; its captures may be cut short (pass --allow-incomplete to analyse it anyway)")
    out = args.out or default_out
    try:
        from netsim.files import check_out_dir

        check_out_dir(out)
    except NetsimError as err:
        return fail(str(err))

    from netsim.analysis.analyze import analyze

    analysis = analyze(files, bin_s=args.bin, context=context, progress=not args.quiet, origin_ns=origin_ns)
    for capture in analysis.captures:
        if capture.error is not None:
            tail = (f"; its {len(analysis.flows[analysis.flows['capture'] == capture.path.name])} flow rows "
                    f"(from {capture.records} good records) are marked partial=True") if capture.partial else ""
            print(f"netsim: error: {capture.error}{tail}", file=sys.stderr)
    if all(c.error is not None and not c.partial for c in analysis.captures):
        return EXIT_BAD_INPUT
    for capture in analysis.captures:
        if capture.malformed:
            print(f"netsim: warning: {capture.path}: {capture.malformed} malformed of {capture.records} records "
                  f"({capture.problems()}); counted in the malformed columns, the results cannot be trusted",
                  file=sys.stderr)
    for line in analysis.warnings:
        print(f"netsim: warning: {line}", file=sys.stderr)
    read = [c for c in analysis.captures if c.error is None or c.partial]
    if analysis.flows.empty:
        if all(c.error is not None for c in analysis.captures):
            return EXIT_BAD_INPUT  # each damaged capture has said so in its line
        return fail(_no_flows(read))
    for capture in read:
        if capture.flows == 0:
            print(f"netsim: warning: {_no_flows([capture])}", file=sys.stderr)

    from netsim.analysis.tables import write_tables

    try:
        from netsim.analysis.workloads import workload_tables

        workloads = workload_tables(run_dir) if run_dir else {}
        written = write_tables(out, {"flows": analysis.flows, "throughput": analysis.throughput,
                                     "captures": analysis.capture_table(), **workloads},
                               parquet=False if args.no_parquet else None)
        if not args.no_plots:
            from netsim.analysis.plots import write_plots

            written += write_plots(analysis, out)
    except OSError as err:
        return fail(f"--out: writing into {out} failed: {err.strerror or err}")
    except NetsimError as err:
        return fail(f"--out: writing into {out} failed: {err}")
    if not args.quiet:
        _print_summary(analysis)
        _print_workloads(workloads)
    print("wrote: " + ", ".join(str(p) for p in written))
    return EXIT_BAD_INPUT if analysis.errors or analysis.malformed else EXIT_OK


def _no_flows(captures) -> str:
    """One line: why no flow was found in these captures."""
    from netsim.analysis.pcap import LINK_TYPES

    records = sum(c.records for c in captures)
    ipv4 = sum(c.ipv4 for c in captures)
    where = str(captures[0].path) if len(captures) == 1 else f"{len(captures)} captures"
    links = sorted({int(k) for c in captures for k in c.link_types.split()})
    link_words = ", ".join(f"{k} ({LINK_TYPES.get(k, 'unknown')})" for k in links) or "none declared"
    if records == 0:
        return f"{where}: no packets in the capture, so no flows to analyse"
    if ipv4 == 0:
        return (f"{where}: no flows found: none of the {records} frames decodes as IPv4 with link type "
                f"{link_words}; the link type may be wrong, or the frames are not IPv4")
    return f"{where}: no flows found in {records} frames ({ipv4} IPv4 packets, none usable)"


def _print_summary(analysis) -> None:
    flows = analysis.flows
    shown = flows.head(50)
    names = [r["flow"] or f"{r['src']}:{r['sport']}>{r['dst']}:{r['dport']}/{r['proto']}"
             for _, r in shown.iterrows()]
    wc = max([len("capture")] + [len(str(c)) for c in shown["capture"]])
    wf = max([len("flow")] + [len(n) for n in names])
    print(f"{'capture':<{wc}} {'flow':<{wf}} {'dir':<7} {'packets':>9} {'Mbit/s':>8} {'lost':>6} "
          f"{'reord':>5} {'delay ms mean/p99':>18} {'jitter ms':>9} {'rtt ms':>8} {'retx':>5}")
    for name, (_, r) in zip(names, shown.iterrows()):
        delay = (f"{r['delay_mean_ms']:.3f}/{r['delay_p99_ms']:.3f}"
                 if r["seqts"] and not _missing(r["delay_mean_ms"]) else "-")
        print(f"{r['capture']:<{wc}} {name:<{wf}} {r['direction'] or '-':<7} {r['packets']:>9} "
              f"{_opt(r['throughput_mbps'], '.2f'):>8} {_opt(r['packets_lost']):>6} {_opt(r['reordered']):>5} "
              f"{delay:>18} {_opt(r['jitter_ms'], '.4f'):>9} {_opt(r['rtt_mean_ms'], '.2f'):>8} "
              f"{_opt(r['tcp_retransmissions']):>5}" + ("  PARTIAL" if r["partial"] else "")
              + (f"  MALFORMED {r['malformed']}" if r["malformed"] else ""))
    if len(flows) > 50:
        print(f"... {len(flows) - 50} more flows in flows.csv")


def _print_workloads(tables) -> None:
    """The run's inference latency per station and training steps per job, when it has them."""
    if "request_stations" in tables:
        print(f"{'workload':<14} {'station':<16} {'requests':>8} {'answered':>8} {'lost':>5} {'in flight':>9} "
              f"{'total ms p50/p90/p99':>22}")
        for _, r in tables["request_stations"].iterrows():
            latency = "/".join(_opt(r[f"total_ms_{k}"], ".2f") for k in ("p50", "p90", "p99"))
            print(f"{r['workload']:<14} {r['station']:<16} {r['requests']:>8} {r['answered']:>8} {r['lost']:>5} "
                  f"{r['in_flight']:>9} {latency:>22}")
    if "job_steps" in tables:
        print(f"{'job':<20} {'sats':>5} {'iterations':>10} {'completed':>9} {'step s mean/max':>18} "
              f"{'comm s mean':>11} {'ideal s':>9}")
        for _, r in tables["job_steps"].iterrows():
            step = f"{_opt(r['step_s_mean'], '.4f')}/{_opt(r['step_s_max'], '.4f')}"
            print(f"{r['job']:<20} {r['satellites']:>5} {r['iterations']:>10} {r['completed']:>9} {step:>18} "
                  f"{_opt(r['communication_s_mean'], '.4f'):>11} {r['ideal_communication_s']:>9.4f}")


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _opt(value, fmt: str = "") -> str:
    import pandas as pd

    return "-" if pd.isna(value) else format(value, fmt)
