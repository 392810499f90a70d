"""A sample of the generated bad inputs (tests/fuzz_support.py; all of them:
benchmarks/fuzz.py). Each runs `netsim` in a subprocess (RLIMIT_AS 2 GB, time limit) and
must exit 2 (or 0 when the input is valid) with one error line, no traceback, nothing
changed outside its --out folder and no manifest saying ok for a failed run.

The sample changes every run (NETSIM_FUZZ_SEED fixes it; the seed is in the test ids):
mostly inputs that validation refuses (a second each) and a few that run."""

from __future__ import annotations

import os
import random
import time

import pytest

from fuzz_support import all_cases, run_case

SEED = int(os.environ.get("NETSIM_FUZZ_SEED", time.strftime("%Y%m%d")))
SAMPLE = int(os.environ.get("NETSIM_FUZZ_SAMPLE", "30"))


def _sample():
    cases = all_cases()
    rng = random.Random(SEED)
    # paths/run of scenario values dominate the set: one case of every command first
    groups: dict[str, list] = {}
    for case in cases:
        groups.setdefault(case.name.split(":")[0], []).append(case)
    picked = []
    for _, members in sorted(groups.items()):
        picked.append(rng.choice(members))
    rest = [c for c in cases if c not in picked]
    picked += rng.sample(rest, max(0, SAMPLE - len(picked)))
    return picked


CASES = _sample()


def test_the_full_set_is_large():
    names = [c.name for c in all_cases()]
    assert len(names) >= 500 and len(set(names)) == len(names)
    for command in ("run", "paths", "link-budget", "analyze", "sweep"):
        assert sum(n.startswith(command + ":") for n in names) >= 20, command


@pytest.mark.parametrize("case", CASES, ids=[f"{SEED}-{c.name[:80]}" for c in CASES])
def test_bad_input(case, tmp_path):
    problems = run_case(case, tmp_path)
    assert not problems, f"{case.name}: {'; '.join(problems)}"


def test_the_checker_catches_a_bad_command(tmp_path):
    """run_case itself: a command that writes outside --out and tracebacks is flagged."""
    from fuzz_support import Case

    case = Case("selftest", ["run", "{dir}/nope.yaml", "--out", "{dir}/out"], {"stray.txt": "x"})
    assert run_case(case, tmp_path / "a") == []
    bad = Case("selftest", ["link-budget", "--plot", "{dir}/ber.png"], {})  # writes ber.png, not out/
    assert any("changed outside --out" in p for p in run_case(bad, tmp_path / "b"))
