"""`netsim view SCENARIO|RUN_DIR`: parser and handler (imported lazily by netsim.cli.main;
numpy, plotly and the network state load only when it runs)."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_parser(commands) -> None:
    cmd = commands.add_parser(
        "view", help="write an offline, interactive HTML page of a scenario or run (globe, links, paths)",
        description="Write one self-contained HTML page (works offline) showing the network on an Earth-fixed "
                    "globe: satellites by tier, laser and ground links by state (up, dark, down) or utilisation, "
                    "ground stations, and the path of every reported pair, with a slider over the routing "
                    "updates. For a scenario file the network state is computed for a few instants (no "
                    "packets); for a run folder the paths are those the run recorded. See docs/view.md.")
    cmd.add_argument("source", type=Path, metavar="SCENARIO|RUN_DIR",
                     help="scenario YAML file, or a run folder written by `netsim run` or `netsim paths`")
    cmd.add_argument("--time", type=float, metavar="T",
                     help="show first the routing update in force at T seconds (default: the first)")
    cmd.add_argument("--out", type=Path, metavar="PAGE.html",
                     help="page to write (default: RUN_DIR/view.html; for SCENARIO NAME.yaml, NAME.html here)")
    cmd.add_argument("--max-satellites", type=int, metavar="N", dest="max_per_tier", default=None,
                     help="draw at most N satellites per tier, plus those on paths (default 3000)")
    cmd.add_argument("--max-frames", type=int, metavar="N", default=None,
                     help="at most N routing updates on the slider of a run (default 200)")


def run(args) -> int:
    from netsim.errors import NetsimError
    from netsim.view import write_view
    from netsim.view.model import MAX_FRAMES, MAX_PER_TIER

    try:
        result = write_view(args.source, args.out, args.time,
                            max_per_tier=MAX_PER_TIER if args.max_per_tier is None else args.max_per_tier,
                            max_frames=MAX_FRAMES if args.max_frames is None else args.max_frames)
    except NetsimError as err:
        print(f"netsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{result.path}: {result.bytes / 1e6:.1f} MB, {result.frames} frame{'s' if result.frames > 1 else ''}, "
          f"written in {result.seconds:.1f} s")
    for note in result.notes[:-1]:
        print("  " + note)
    return EXIT_OK
