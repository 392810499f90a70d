"""Command line: `netsim run SCENARIO.yaml --out RUN_DIR` and the other subcommands.

Imports stay light at module level so `netsim --help` is instant; ns-3 is loaded only
when a simulation needs it. Exit codes: 0 done, 2 bad input, 1 the run failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netsim.errors import interrupt_name

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
MAX_SEED = 2**31 - 1  # as the scenario's seed key


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (`netsim run: error: argument --seed: ...`), exit 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C (SIGINT): the run is marked failed."""


def _signals_as_interrupts() -> None:
    import signal

    def handler(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread
            pass


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt as err:
        print(f"netsim: interrupted ({interrupt_name(err)})", file=sys.stderr)
        return EXIT_FAILED
    except RecursionError:
        print("netsim: error: input nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("netsim: error: out of memory; see README 'Limits' for the sizes netsim accepts", file=sys.stderr)
        return EXIT_FAILED
    except Exception as err:  # a bug: still one line (NETSIM_DEBUG=1 shows the traceback)
        import os

        if os.environ.get("NETSIM_DEBUG"):
            raise
        print(f"netsim: error: internal error: {type(err).__name__}: {_one_line(err)} "
              "(NETSIM_DEBUG=1 shows where)", file=sys.stderr)
        return EXIT_FAILED


def _main(argv: list[str] | None = None) -> int:
    _signals_as_interrupts()
    args = build_parser().parse_args(argv)
    args.from_command_line = argv is None  # this process is the command: it may restart itself
    if args.command == "analyze":
        from netsim.cli import analyze as analysis_cli

        return analysis_cli.run(args)
    if args.command == "view":
        from netsim.cli import view as view_cli

        return view_cli.run(args)
    if args.command == "link-budget":
        return _link_budget(args)
    if args.command == "sweep":
        from netsim.cli import sweep as sweep_cli

        return sweep_cli.run(args)
    if args.command == "paths":
        return _paths(args)
    return _run(args)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (also walked by the fuzz tests)."""
    parser = _Parser(
        prog="netsim", description="Packet-level simulation of optical inter-satellite-link networks on ns-3.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="simulate a scenario and write a run folder")
    run_cmd.add_argument("scenario", type=Path, help="scenario YAML file (see topologies/)")
    run_cmd.add_argument("--out", type=Path, required=True, help="run folder to write")
    run_cmd.add_argument("--seed", type=int, help="override the scenario's seed")
    run_cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    run_cmd.add_argument("--ranks", type=int, default=1,
                         help="run over this many MPI processes with mpirun (needs the optional MPI build: "
                              "bash scripts/setup.sh --mpi; docs/distributed.md)")
    paths_cmd = commands.add_parser("paths", help="routing state alone (no packets): paths, RTTs, path changes")
    paths_cmd.add_argument("scenario", type=Path, help="scenario YAML file")
    paths_cmd.add_argument("--from", dest="from_s", type=float, default=0.0, help="start, s (default 0)")
    paths_cmd.add_argument("--to", dest="to_s", type=float, help="end, s (default: duration_s)")
    paths_cmd.add_argument("--pairs", choices=["flows", "all"], default="flows",
                           help="ground-station pairs to report: the traffic's (default) or all")
    paths_cmd.add_argument("--out", type=Path, required=True, help="folder for rtt.csv, path_changes.csv")
    paths_cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    paths_cmd.add_argument("--plot", action="store_true",
                           help="also write rtt.png (RTT over time per pair) and paths_map.png (the paths on an "
                                "Earth-fixed map)")
    from netsim.cli import link_budget

    link_budget.add_parser(commands)
    from netsim.cli import sweep as sweep_cli  # light: Dask is imported only when a sweep runs

    sweep_cli.add_parser(commands)
    from netsim.cli import analyze as analysis_cli  # light: numpy/pandas load only when it runs

    analysis_cli.add_parser(commands)
    from netsim.cli import view as view_cli  # light: plotly and the network state load only when it runs

    view_cli.add_parser(commands)
    return parser


def _paths(args) -> int:
    import math

    from netsim.errors import NetsimError
    from netsim.files import check_out_dir
    from netsim.scenario.load import load_scenario

    try:
        scenario = load_scenario(args.scenario)
        to_s = args.to_s if args.to_s is not None else scenario.duration_s
        for option, value in (("--from", args.from_s), ("--to", to_s)):
            if not math.isfinite(value):
                raise NetsimError(f"{option}: must be a finite number of seconds (got {value})")
        check_out_dir(args.out)
        from netsim.run.folder import check_run_folder
        from netsim.run.paths import check_span, compute_paths

        check_run_folder(args.out)

        check_span(scenario, args.scenario, args.from_s, to_s, args.pairs)
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        summary = compute_paths(scenario, args.out, args.from_s, to_s, args.pairs, progress=not args.quiet)
        plots = []
        if args.plot:
            from netsim.run.path_plots import plot_paths

            plots = plot_paths(scenario, args.out)
    except KeyboardInterrupt as err:
        print(f"netsim: interrupted ({interrupt_name(err)}); {args.out}/manifest.json says failed", file=sys.stderr)
        return EXIT_FAILED
    except (NetsimError, OSError) as err:
        print(f"netsim: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.out}: {summary['updates']} routing updates x {summary['pairs']} pairs, "
          f"{summary['path_changes']} path changes, routing {summary['routing_s']:.2f} s "
          f"of {summary['wall_time_s']:.2f} s wall")
    if plots:
        print("plots: " + ", ".join(str(p) for p in plots))
    return EXIT_OK


def _one_line(err: BaseException) -> str:
    from netsim.files import one_line

    return one_line(err)


def _link_budget(args) -> int:
    from netsim.cli import link_budget
    from netsim.errors import NetsimError

    try:
        link_budget.run(args)
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _run(args) -> int:
    from netsim.errors import NetsimError, ScenarioError
    from netsim.files import check_out_dir
    from netsim.scenario.load import load_scenario

    try:
        scenario = load_scenario(args.scenario)
        if args.seed is not None:
            if not 0 <= args.seed <= MAX_SEED:
                raise NetsimError(f"--seed: must be a whole number from 0 to {MAX_SEED} (got {args.seed})")
            scenario = scenario.model_copy(update={"seed": args.seed})
        check_out_dir(args.out)
        from netsim.run.captures import check_folder, check_scenario
        from netsim.run.folder import check_run_folder

        check_scenario(scenario, args.scenario)
        check_folder(args.out)
        check_run_folder(args.out)
        launch = _ranks_to_launch(args, scenario)
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if launch:
        return _launch_ranks(args)
    from netsim.run.distributed import launched_size

    if args.from_command_line and launched_size() == 1:
        from netsim.run.huge_pages import restart_with_huge_pages

        restart_with_huge_pages()  # once, before anything is allocated (netsim.run.huge_pages)

    from netsim.run.runner import run

    try:
        result = run(scenario, args.out, scenario_file=str(args.scenario), progress=not args.quiet)
    except KeyboardInterrupt as err:
        print(f"netsim: interrupted ({interrupt_name(err)}); the run folder is marked failed", file=sys.stderr)
        return EXIT_FAILED
    except ScenarioError as err:  # a rule checked once the network is laid out (e.g. pcap_max_files)
        print(f"netsim: error: {ScenarioError(args.scenario, err.key, err.problem)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (NetsimError, OSError) as err:
        print(f"netsim: error: run failed: {_one_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as err:  # the manifest holds the traceback
        print(f"netsim: error: run failed: {type(err).__name__}: {_one_line(err)} "
              f"(details in {args.out}/manifest.json)", file=sys.stderr)
        return EXIT_FAILED
    from netsim.run.distributed import launched_rank

    if launched_rank() == 0:  # one summary per MPI job
        _print_summary(result)
    return EXIT_OK


MAX_RANKS = 65_536  # MPI jobs beyond this are not a laptop's or a test's typo


def _ranks_to_launch(args, scenario) -> bool:
    """Whether `--ranks N` asks this process to start an MPI job of N ranks (rather than
    being one of them); NetsimError (one line) when that cannot work here."""
    from netsim.errors import NetsimError
    from netsim.run.distributed import launched_size, unsupported

    if not 1 <= args.ranks <= MAX_RANKS:
        raise NetsimError(f"--ranks: a whole number of processes from 1 to {MAX_RANKS} (got {args.ranks})")
    size = launched_size()
    if size > 1:
        if args.ranks not in (1, size):
            raise NetsimError(f"--ranks {args.ranks}: this process was launched as one of {size} MPI ranks")
        return False
    if args.ranks == 1:
        return False
    from netsim.core.mpi import mpi_problem

    problem = mpi_problem()
    if problem:
        raise NetsimError(f"--ranks: {problem}")
    if unsupported(scenario):
        raise NetsimError(f"--ranks: {unsupported(scenario)} is not available in a distributed run yet "
                          "(docs/distributed.md); run it on one rank")
    return True


def _launch_ranks(args) -> int:
    """`mpirun -np N` of this same command, each rank running its share."""
    import os
    import subprocess

    from netsim.run.distributed import mpirun_command

    command = [sys.executable, "-m", "netsim", "run", str(args.scenario), "--out", str(args.out)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.quiet:
        command.append("--quiet")
    from netsim.run.huge_pages import environment

    launcher, env = mpirun_command(args.ranks)
    job = subprocess.Popen(launcher + command, env=environment(os.environ | env))  # ranks on huge pages too
    try:
        return job.wait()
    except KeyboardInterrupt as err:  # SIGINT/SIGTERM/SIGHUP here: mpirun passes it to the ranks
        job.terminate()
        job.wait()
        print(f"netsim: interrupted ({interrupt_name(err)}); the run folder is marked failed (or, if a rank was "
              "killed first, incomplete)", file=sys.stderr)
        return EXIT_FAILED


def _print_summary(result) -> None:
    """The run in a few lines: losses by cause, then one table per kind of flow with the
    numbers that kind has ('-' only where there is no number: nothing received)."""
    print(f"run folder: {result.run_dir}  ({result.wall_time_s:.1f} s wall, {result.handovers} ground handovers)")
    lost = {cause: n for cause, n in result.drops.items() if n}
    print("packets lost in the network by cause: " + (", ".join(f"{c}={n}" for c, n in lost.items()) or "none"))
    num = lambda v, fmt: "-" if v is None or v != v else format(v, fmt)  # noqa: E731
    udp = [r for r in result.flows if r["kind"].startswith("udp")]
    tcp = [r for r in result.flows if r["kind"] == "tcp_bulk"]
    ping = [r for r in result.flows if r["kind"] == "ping"]
    if udp:
        print(f"{'flow':<20} {'sent':>8} {'recv':>8} {'lost':>6} {'in flight':>9} {'delay ms mean/p50/p99':>26}")
        for row in udp:
            delay = (f"{row['delay_mean_ms']:>10.3f}/{row['delay_p50_ms']:.3f}/{row['delay_p99_ms']:.3f}"
                     if row["delay_mean_ms"] is not None else f"{'-':>10}")
            print(f"{row['flow']:<20} {row['packets_sent']:>8} {row['packets_received']:>8} {row['packets_lost']:>6} "
                  f"{row['lost_in_flight']:>9} {delay}")
    if tcp:
        print(f"{'tcp flow':<20} {'segs sent':>9} {'lost':>6} {'acks lost':>9} {'MB delivered':>12} {'goodput Mbps':>12} "
              f"{'retx':>6} {'rtt ms mean/min/max':>22}")
        for row in tcp:
            rtt = (f"{row['rtt_mean_ms']:.2f}/{row['rtt_min_ms']:.2f}/{row['rtt_max_ms']:.2f}"
                   if row["rtt_mean_ms"] is not None else "-")
            print(f"{row['flow']:<20} {row['packets_sent']:>9} {row['packets_lost']:>6} {row['reverse_lost']:>9} "
                  f"{row['bytes_delivered'] / 1e6:>12.3f} {num(row['goodput_mbps'], '.1f'):>12} "
                  f"{row['retransmissions']:>6} {rtt:>22}")
    if ping:
        print(f"{'ping flow':<20} {'probes':>8} {'replies':>8} {'loss':>7} {'rtt ms mean/min/max':>22}")
        for row in ping:
            rtt = (f"{row['rtt_mean_ms']:.2f}/{row['rtt_min_ms']:.2f}/{row['rtt_max_ms']:.2f}"
                   if row["rtt_mean_ms"] is not None else "-")
            loss = "-" if row["probe_loss_ratio"] is None else f"{row['probe_loss_ratio']:.1%}"
            print(f"{row['flow']:<20} {row['packets_sent']:>8} {row['replies']:>8} {loss:>7} {rtt:>22}")
    if result.workloads is not None:
        _print_workloads(result.workloads.summary)
    books = {r["flow"]: r for r in result.accounting}.get("(no flow)")
    if books and any(v for k, v in books.items() if k.startswith("lost_") or k == "in_flight"):
        print("packets of no flow (ICMP errors and the like) lost: " +
              ", ".join(f"{k[5:]}={v}" for k, v in books.items() if k.startswith("lost_") and v))
    for problem in result.problems:  # the books do not balance: never quietly
        print(f"netsim: WARNING: the books do not balance: {problem} (accounting.csv, manifest.json)",
              file=sys.stderr)


def _print_workloads(summary: dict) -> None:
    """Inference requests (their books, then latency percentiles per station), training
    iterations, storage transfers: numbers only where they exist ('-' otherwise)."""
    num = lambda v, fmt: "-" if v is None else format(v, fmt)  # noqa: E731
    req = summary["requests"]
    if req["sent"]:
        lost = ", ".join(f"{c}={n}" for c, n in req["lost_by_cause"].items())
        print(f"inference requests: {req['sent']} sent = {req['answered']} answered + {req['lost']} lost"
              + (f" ({lost})" if lost else "") + f" + {req['in_flight']} in flight at the end"
              + (f" + {req['unaccounted']} UNACCOUNTED" if req["unaccounted"] else ""))
        print(f"{'workload':<14} {'station':<16} {'requests':>8} {'answered':>8} {'lost':>5} {'in flight':>9} "
              f"{'total ms mean/p50/p90/p99/max':>34}")
        for row in req["stations"]:
            q = [row[f"total_{k}_ms"] for k in ("mean", "p50", "p90", "p99", "max")]
            latency = "/".join(num(v, ".2f") for v in q) if q[0] is not None else "-"
            print(f"{row['workload']:<14} {row['station']:<16} {row['requests']:>8} {row['answered']:>8} "
                  f"{row['lost']:>5} {row['in_flight']:>9} {latency:>34}")
    jobs = summary["jobs"]
    if jobs["iterations"]:
        step, comm = jobs["step_s"], jobs["communication_s"]
        print(f"training: {jobs['iterations']} iterations, {jobs['completed']} completed "
              f"(the rest in flight at the end); step s mean/p50/max {num(step['mean'], '.4f')}/"
              f"{num(step['p50'], '.4f')}/{num(step['max'], '.4f')}; communication s mean "
              f"{num(comm['mean'], '.4f')}; {jobs['retransmissions']} retransmissions, {jobs['lost']} segments lost, "
              f"{jobs['handovers']} handovers on the jobs' paths (jobs.csv)")
    storage = summary["storage"]
    if storage["transfers"]:
        print(f"storage: {storage['transfers']} transfers, {storage['completed']} completed "
              f"({storage['bytes'] / 1e9:.3f} GB), throughput Gbit/s mean/p50/max "
              + "/".join(num(storage["throughput_gbps"][k], ".3f") for k in ("mean", "p50", "max")) + " (storage.csv)")


if __name__ == "__main__":
    sys.exit(main())
