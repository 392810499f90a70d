"""Write a Walker-like shell as a TLE file in the layout Hypatia's generator uses
(netsim.space.tle.walker_tle_text). The bundled topologies/tle/kuiper-630.tle is

    .venv/bin/python scripts/make_walker_tle.py Kuiper-630 34 34 51.9 14.80 topologies/tle/kuiper-630.tle
"""

import argparse
from pathlib import Path

from netsim.space.tle import walker_tle_text

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("name")
parser.add_argument("planes", type=int)
parser.add_argument("per_plane", type=int)
parser.add_argument("inclination_deg", type=float)
parser.add_argument("mean_motion_rev_per_day", type=float)
parser.add_argument("out", type=Path)
parser.add_argument("--no-half-slot-shift", action="store_true", help="odd planes not shifted by half a slot")
args = parser.parse_args()
args.out.write_text(walker_tle_text(args.name, args.planes, args.per_plane, args.inclination_deg,
                                    args.mean_motion_rev_per_day, not args.no_half_slot_shift))
print(f"{args.out}: {args.planes * args.per_plane} satellites")
