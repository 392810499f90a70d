"""SHA-256 of every output file of the bundled scenarios, to show that a change which
should not change results (a refactor, a move, hardening) leaves them byte-identical.

    .venv/bin/python scripts/output_fingerprint.py --out runs/fingerprint > before.txt
    ... change ...
    .venv/bin/python scripts/output_fingerprint.py --out runs/fingerprint > after.txt
    diff before.txt after.txt        # no output: identical

Runs `netsim run` on each small bundled scenario and `netsim paths` on two of them; the
manifest (timing, versions, paths) is left out. The seed fabric (20 min) is not run.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ("default", "three-tier-mini", "three-tier-links")
PATHS = (("default", "10"), ("three-tier-links", "5"))


def digest(folder: Path) -> list[str]:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name == "manifest.json":
            continue
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder.parent)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "fingerprint")
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all listed)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    netsim = [sys.executable, "-m", "netsim"]
    jobs = [(name, ["run", str(ROOT / "topologies" / f"{name}.yaml"), "--quiet"]) for name in RUNS]
    jobs += [(f"paths-{name}", ["paths", str(ROOT / "topologies" / f"{name}.yaml"), "--to", to, "--quiet"])
             for name, to in PATHS]
    for label, command in jobs:
        if args.only and label not in args.only:
            continue
        out = args.out / label
        subprocess.run([*netsim, *command, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
        print("\n".join(digest(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
