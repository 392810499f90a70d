"""The full fuzz set (tests/fuzz_support.py): every generated bad input against run,
paths, link-budget, analyze, sweep (and view), each in a subprocess with RLIMIT_AS 2 GB
and a time limit, two at a time.

    .venv/bin/python benchmarks/fuzz.py                # all cases (~20-30 min on 2 cores)
    .venv/bin/python benchmarks/fuzz.py --only sweep:  # cases whose name starts so

Prints one line per failing case, then `fuzz-cases: N`, `fuzz-failures: K` and the time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_support import all_cases, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name starts with this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the cases, run nothing")
    args = parser.parse_args()
    cases = [c for c in all_cases() if c.name.startswith(args.only)]
    if args.list:
        print("\n".join(c.name for c in cases))
        print(f"fuzz-cases: {len(cases)}")
        return 0
    start = time.perf_counter()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="netsim-fuzz-") as tmp:
        def one(item):
            i, case = item
            return case, run_case(case, Path(tmp) / f"c{i}")

        with ThreadPoolExecutor(args.jobs) as pool:
            for n, (case, problems) in enumerate(pool.map(one, enumerate(cases)), start=1):
                if problems:
                    failures += 1
                    print(f"FAIL {case.name}: {'; '.join(problems)}", flush=True)
                if n % 50 == 0:
                    print(f"... {n}/{len(cases)} cases, {failures} failures, {time.perf_counter() - start:.0f} s",
                          file=sys.stderr, flush=True)
    print(f"fuzz-cases: {len(cases)}")
    print(f"fuzz-failures: {failures}")
    print(f"fuzz-time-s: {time.perf_counter() - start:.0f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
