"""`netsim sweep SWEEP.yaml`: parser and handler (imported lazily by netsim.cli.main)."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
MAX_WORKERS = 256  # LocalCluster processes (each runs one netsim run at a time)


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        "sweep", help="run a parameter sweep (grid, zip, random) on Dask, resumably",
        description="Run every point of a sweep file in its own run folder, on a Dask LocalCluster by default, "
                    "SLURM/PBS through dask-jobqueue, or an existing scheduler. Rerunning the same command "
                    "completes only the missing runs. See docs/sweeps.md.")
    cmd.add_argument("sweep", type=Path, help="sweep YAML file (see topologies/sweeps/)")
    cmd.add_argument("--out", type=Path, help="sweep folder (default: runs/NAME, NAME from the sweep file)")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--cluster", choices=("local", "slurm", "pbs"), default="local",
                       help="local: LocalCluster (default); slurm/pbs: dask-jobqueue with the sweep file's "
                            "cluster.slurm / cluster.pbs resources")
    where.add_argument("--scheduler", metavar="ADDRESS", help="use a running Dask scheduler (tcp://host:8786)")
    cmd.add_argument("--workers", type=int, help="LocalCluster worker processes (default: cluster.workers or CPUs)")
    cmd.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    cmd.add_argument("--dry-run", action="store_true", help="validate, list the points and their state, run nothing")
    cmd.add_argument("--job-script", action="store_true",
                     help="print the batch script dask-jobqueue would submit for --cluster slurm/pbs, submit nothing")
    cmd.add_argument("--plot", metavar="METRIC", help="after the runs, plot METRIC (a results column) ...")
    cmd.add_argument("--against", metavar="PARAM", help="... against PARAM (an axis, e.g. laser.tx_power_w)")
    cmd.add_argument("--by", metavar="PARAM", help="one line per value of PARAM")
    cmd.add_argument("--per-flow", action="store_true",
                     help="one line per flow: METRIC is a flows.csv column (flows.parquet), not pooled over flows")
    cmd.add_argument("--plot-out", type=Path, help="PNG file (default: OUT/plots/METRIC-vs-PARAM.png)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from netsim.errors import NetsimError
    from netsim.sweep import driver, results
    from netsim.sweep.spec import load_sweep

    try:
        if (args.plot is None) != (args.against is None):
            raise NetsimError("--plot and --against go together: --plot METRIC --against PARAM")
        if args.by and not args.plot:
            raise NetsimError("--by needs --plot METRIC --against PARAM")
        if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
            raise NetsimError(f"--workers: must be from 1 to {MAX_WORKERS} (got {args.workers})")
        sweep = load_sweep(args.sweep)
        out_dir = args.out or driver.default_out(sweep)
        from netsim.files import check_out_dir

        check_out_dir(out_dir)
        if args.plot_out is not None:
            check_out_dir(args.plot_out.parent, "--plot-out")
            if args.plot_out.suffix.lower() != ".png" or args.plot_out.is_dir():
                raise NetsimError(f"--plot-out: give a .png file (got {args.plot_out})")
        for option, column in (("--against", args.against), ("--by", args.by)):
            if column is not None and column not in sweep.parameters + ["seed", "replicate"]:
                raise NetsimError(f"{option}: {column!r} is not an axis of the sweep; axes: "
                                  f"{', '.join(sweep.parameters) or 'none'} (or seed, replicate)")
        if args.per_flow and not args.plot:
            raise NetsimError("--per-flow needs --plot METRIC --against PARAM")
        if args.plot and not args.per_flow and not (args.plot in results.METRICS or args.plot.startswith("drops_")
                                                    or args.plot in sweep.parameters):
            raise NetsimError(f"--plot: unknown metric {args.plot!r}; metrics: {', '.join(results.METRICS)}, "
                              "drops_CAUSE (or a flows.csv column with --per-flow)")
        if args.job_script:
            if args.cluster not in ("slurm", "pbs"):
                raise NetsimError("--job-script needs --cluster slurm or --cluster pbs")
            from netsim.sweep.cluster import job_script

            print(job_script(args.cluster, sweep.cluster.get(args.cluster) or {}))
            return EXIT_OK
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from netsim.sweep.spec import replicate_warning

    warning = replicate_warning(sweep)
    if warning:
        print(f"netsim: warning: {warning}", file=sys.stderr)

    if args.dry_run:
        from netsim.run.folder import incomplete, read_manifest
        from netsim.sweep.results import RUNS_DIR

        state = driver.states(sweep, out_dir, args.retry_failed)
        for point in sweep.points:
            params = ", ".join(f"{k}={v!r}" for k, v in point.params.items())
            print(f"{point.index:>5}  {point.run_id}  {state[point.run_id]:<10} seed={point.seed}  {params}")
            if state[point.run_id] == "incomplete":
                why = incomplete(read_manifest(out_dir / RUNS_DIR / point.run_id))
                print(f"       {out_dir / RUNS_DIR / point.run_id}: {why}; it will be run again")
        counts = {s: list(state.values()).count(s) for s in ("ok", "failed", "incomplete", "pending")}
        print(f"{len(sweep.points)} points in {out_dir}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
        return EXIT_OK

    try:
        report = driver.run_sweep(sweep, out_dir, cluster=None if args.scheduler else args.cluster,
                                  address=args.scheduler, workers=args.workers, retry_failed=args.retry_failed,
                                  progress=not args.quiet)
    except (NetsimError, OSError) as err:
        from netsim.files import one_line

        print(f"netsim: error: {one_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"sweep folder: {report.out_dir}  ({report.ok} ok, {report.failed} failed, "
          f"{report.total - report.ok - report.failed} pending of {report.total}; ran {report.ran} now)")
    for run_id, params, error in report.failures:
        print(f"failed run {run_id} ({', '.join(f'{k}={v!r}' for k, v in params.items())}): {error}",
              file=sys.stderr)
    print(f"results: {report.out_dir / results.RESULTS_FILE}")
    compared, identical = results.replicates_identical(sweep, report.out_dir)
    if compared and identical == compared and not warning:
        print(f"netsim: warning: the replicates of every point ({compared} points) gave byte-identical flows.csv: "
              "the scenario's random elements changed no packet in these runs (e.g. bit errors too rare to "
              "happen); more replicates add nothing here", file=sys.stderr)
    if report.interrupted:
        print("netsim: interrupted; run the same command again to complete the missing runs", file=sys.stderr)
        return EXIT_FAILED
    if args.plot:
        from netsim.sweep.plot import PLOTS_DIR, plot

        png = args.plot_out or report.out_dir / PLOTS_DIR / (f"{args.plot}-vs-{args.against}"
                                                             + ("-per-flow" if args.per_flow else "") + ".png")
        try:
            flows = results.read_table(report.out_dir / results.FLOWS_FILE) if args.per_flow else None
            spec = sweep.axes.get(args.against)
            log_x = True if isinstance(spec, dict) and ("geomspace" in spec or "log_uniform" in spec) else None
            plot(results.read_table(report.out_dir / results.RESULTS_FILE), args.plot, args.against, png,
                 by=args.by, title=f"{sweep.name}: {args.plot} against {args.against}"
                 + (" per flow" if args.per_flow else ""), log_x=log_x, flows=flows)
        except (NetsimError, OSError) as err:
            from netsim.files import one_line

            print(f"netsim: error: {one_line(err)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"plot: {png}")
    return EXIT_FAILED if report.failed else EXIT_OK
