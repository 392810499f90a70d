"""A mutation pass over the Python modules that compute netsim's results.

Each mutant changes one operator or constant in one module (``a + b`` -> ``a - b``,
``x < y`` -> ``x <= y``, ``0.5`` -> ``1.5``, ``and`` -> ``or``, ``not x`` -> ``x``, ...),
then the tests that run the mutated line (pytest-cov's per-test contexts, fixtures
included) run against it with ``-x``; if they all pass, the module's whole test set runs
(some tests reach the module only through a `netsim` subprocess). A failing (or crashing,
or timed-out) run kills the mutant; a passing run of the whole set lets it survive. The mutants
are a seeded sample of every mutation point of the module, so the same seed gives the
same mutants; the module file is restored after each mutant, and on any exit.

    git worktree add --detach ../netsim-mutants && cd ../netsim-mutants
    ../netsim/.venv/bin/python scripts/mutation_pass.py [--module NAME ...]
        [--per-module N] [--seed S] [--json FILE]

Run it in a checkout of its own (as above): the files it mutates are that checkout's, and
every Python process of the tests (pytest and the `netsim` commands they start) imports
netsim from it, not from the editable install's source (a sitecustomize on PYTHONPATH
drops the install's import redirect; the compiled core is still the install's).

Prints one line per mutant, then ``mutation-kill-rate-NAME: value %`` per module and
``mutation-kill-rate: value %`` overall. Mutation points skip what cannot change a
result: strings, ``raise`` statements (error messages), f-strings, annotations and
docstrings. docs/validation.md reports a run and the reason each survivor is left.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Module -> (its files, the tests that check what it computes).
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "orbits": (["netsim/space/orbits.py"],
               ["tests/test_orbits.py", "tests/test_orbits_errors.py", "tests/test_tle.py",
                "tests/test_plus_grid.py"]),
    "geometry": (["netsim/space/geometry.py"],
                 ["tests/test_geometry.py", "tests/test_ground_stations.py",
                  "tests/test_neighbours.py", "tests/test_assignment.py"]),
    "link_budget": (["netsim/links/link_budget.py"],
                    ["tests/test_link_budget_refs.py", "tests/test_laser_physics.py"]),
    "routing": (["netsim/routing/solver.py", "netsim/routing/paths.py"],
                ["tests/test_routing.py", "tests/test_packet_delay.py"]),
    "ground_links": (["netsim/links/ground_links.py"],
                     ["tests/test_ground_segment.py", "tests/test_ground_policy.py",
                      "tests/test_ground_stations.py", "tests/validation/test_ground_limits.py"]),
    "network_state": (["netsim/run/network_state.py"],
                      ["tests/test_dynamic_links.py", "tests/test_handovers.py",
                       "tests/test_routing.py", "tests/test_ground_segment.py",
                       "tests/test_fixed_isls.py", "tests/test_isl_margin.py"]),
    "outputs": (["netsim/run/outputs.py"],
                ["tests/test_accounting.py", "tests/test_run_outputs.py",
                 "tests/test_honest_outputs.py", "tests/test_packet_delay.py"]),
    "analysis": (["netsim/analysis/analyze.py", "netsim/analysis/flows.py",
                  "netsim/analysis/pcap.py", "netsim/analysis/context.py",
                  "netsim/analysis/tables.py"],
                 ["tests/test_analysis.py", "tests/test_analysis_pcaps.py",
                  "tests/test_analysis_defensive.py"]),
}

BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
CMPOPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
          ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
          ast.Is: ast.IsNot, ast.IsNot: ast.Is}
BOOLOPS = {ast.And: ast.Or, ast.Or: ast.And}


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str
    what: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node), mode="eval").body


class _Points(ast.NodeVisitor):
    """Every mutation point of a module, in source order."""

    def __init__(self, file: str):
        self.file = file
        self.found: list[Mutant] = []

    def _add(self, node: ast.AST, replacement: str, what: str) -> None:
        self.found.append(Mutant(self.file, node.lineno, node.col_offset, node.end_lineno,
                                 node.end_col_offset, replacement, what))

    # What cannot change a computed result is not mutated.
    def visit_Raise(self, node):
        return

    def visit_JoinedStr(self, node):
        return

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)

    def visit_FunctionDef(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        for stmt in body:
            self.visit(stmt)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_BinOp(self, node):
        swap = BINOPS.get(type(node.op))
        if swap is not None:
            mutated = _copy(node)
            mutated.op = swap()
            self._add(node, f"({ast.unparse(mutated)})",
                      f"{type(node.op).__name__} -> {swap.__name__}")
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            swap = CMPOPS.get(type(op))
            if swap is not None:
                mutated = _copy(node)
                mutated.ops[i] = swap()
                self._add(node, f"({ast.unparse(mutated)})",
                          f"{type(op).__name__} -> {swap.__name__}")
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        mutated = _copy(node)
        mutated.op = BOOLOPS[type(node.op)]()
        self._add(node, f"({ast.unparse(mutated)})",
                  f"{type(node.op).__name__} -> {type(mutated.op).__name__}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, (ast.Not, ast.USub)):
            self._add(node, f"({ast.unparse(node.operand)})", f"drop {type(node.op).__name__}")
        self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            self._add(node, repr(not value), f"{value} -> {not value}")
        elif isinstance(value, (int, float)):
            self._add(node, repr(value + 1), f"{value!r} -> {value + 1!r}")


def mutation_points(file: str) -> list[Mutant]:
    tree = ast.parse((ROOT / file).read_text(), filename=file)
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # module docstring
    points = _Points(file)
    for stmt in body:
        points.visit(stmt)
    return points.found


def apply(source: str, mutant: Mutant) -> str:
    """The source with the mutant's node replaced (ast offsets are UTF-8 byte columns)."""
    lines = source.encode().splitlines(keepends=True)
    first, last = mutant.line - 1, mutant.end_line - 1
    before = lines[first][:mutant.col]
    after = lines[last][mutant.end_col:]
    mutated = before + mutant.replacement.encode() + after
    return b"".join(lines[:first] + [mutated] + lines[last + 1:]).decode()


SITECUSTOMIZE = """import sys
# Import netsim from the mutated checkout, not through the editable install's redirect.
sys.meta_path[:] = [f for f in sys.meta_path if "_editable_skbc" not in type(f).__module__]
"""


def isolated_env(site_dir: Path) -> dict[str, str]:
    """The environment of the test runs: netsim imported from this checkout."""
    (site_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=os.pathsep.join([str(site_dir), str(ROOT)]))


def check_isolation(env: dict[str, str]) -> None:
    where = subprocess.run([sys.executable, "-c", "import netsim; print(netsim.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(ROOT):
        sys.exit(f"mutation_pass: netsim imports from {where}, not from {ROOT}")


def tests_by_line(tests: list[str], env: dict[str, str], work: Path) -> dict[tuple[str, int], set[str]]:
    """(file relative to the checkout, line) -> the test ids that ran it; exits if the
    tests fail without a mutant."""
    from coverage import CoverageData

    data_file = work / "coverage.data"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=netsim",
           "--cov-context=test", "--cov-report=", *tests]
    done = subprocess.run(cmd, cwd=ROOT, env=dict(env, COVERAGE_FILE=str(data_file)),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode != 0:
        sys.exit(f"mutation_pass: {' '.join(tests)} fail without a mutant; fix them first")
    data = CoverageData(basename=str(data_file))
    data.read()
    found: dict[tuple[str, int], set[str]] = {}
    for measured in data.measured_files():
        rel = Path(measured).resolve().relative_to(ROOT).as_posix()
        for line, contexts in data.contexts_by_lineno(measured).items():
            ids = {c.rsplit("|", 1)[0] for c in contexts if c}
            if ids:
                found[(rel, line)] = ids
    return found


def run_tests(tests: list[str], timeout_s: float, env: dict[str, str]) -> tuple[str, float]:
    """'passed', 'failed' or 'timeout', and the wall time."""
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", *tests]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    return ("passed" if done.returncode == 0 else "failed"), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES),
                        help="a module to mutate (default: all)")
    parser.add_argument("--per-module", type=int, default=25,
                        help="mutants sampled per module (default 25; 0 = every point)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every mutant and its fate here")
    parser.add_argument("--recheck", type=Path,
                        help="a JSON of an earlier pass: run only its survivors again (after tests were "
                             "added; the tests it ran are only added to, so its kills stand)")
    args = parser.parse_args(argv)
    earlier = json.loads(args.recheck.read_text())["modules"] if args.recheck else None

    # A killed pass must still restore the module it was mutating (finally blocks run).
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    work = Path(tempfile.mkdtemp(prefix="netsim-mutation-"))
    env = isolated_env(work)
    check_isolation(env)
    report: dict[str, dict] = {}
    killed_all = total_all = 0
    for name in args.module or (list(earlier) if earlier else list(MODULES)):
        files, tests = MODULES[name]
        points = [m for f in files for m in mutation_points(f)]
        sample = list(points)
        random.Random(f"{args.seed}:{name}").shuffle(sample)
        if args.per_module:
            sample = sample[:args.per_module]
        kept = []
        if earlier:  # the earlier pass's kills stand; its survivors run again
            before = {(m["where"], m["what"], m["replacement"]): m for m in earlier[name]["mutants"]}
            kept = [before[(m.where, m.what, m.replacement)] for m in sample
                    if before[(m.where, m.what, m.replacement)]["fate"] != "survived"]
            sample = [m for m in sample if before[(m.where, m.what, m.replacement)]["fate"] == "survived"]
        started = time.monotonic()
        by_line = tests_by_line(tests, env, work)
        baseline_s = time.monotonic() - started
        originals = {f: (ROOT / f).read_text() for f in files}
        fates = list(kept)
        try:
            for mutant in sample:
                path = ROOT / mutant.file
                path.write_text(apply(originals[mutant.file], mutant))
                covering = sorted(set().union(*(by_line.get((mutant.file, line), set())
                                                for line in range(mutant.line, mutant.end_line + 1))))
                try:
                    fate, wall = "passed", 0.0
                    if covering:
                        fate, wall = run_tests(covering, max(60.0, 3 * baseline_s), env)
                    if fate == "passed":
                        fate, more = run_tests(tests, max(60.0, 3 * baseline_s), env)
                        wall += more
                finally:
                    path.write_text(originals[mutant.file])
                fate = {"passed": "survived", "failed": "killed", "timeout": "killed (timeout)"}[fate]
                fates.append({"where": mutant.where, "what": mutant.what, "replacement": mutant.replacement,
                              "covering_tests": len(covering), "fate": fate})
                print(f"{name} {mutant.where} {mutant.what} [{len(covering)} tests run it]: {fate}"
                      f" ({wall:.0f} s)", flush=True)
        finally:
            for f, text in originals.items():
                (ROOT / f).write_text(text)
        killed = sum(f["fate"] != "survived" for f in fates)
        report[name] = {"points": len(points), "sampled": len(fates), "killed": killed,
                        "tests": tests, "mutants": fates}
        killed_all += killed
        total_all += len(fates)
        print(f"mutation-kill-rate-{name}: {100 * killed / max(len(fates), 1):.1f} %"
              f" ({killed}/{len(fates)} of {len(points)} points)", flush=True)
        if args.json:  # after each module, so a long pass keeps what it has done
            args.json.write_text(json.dumps({"seed": args.seed, "modules": report}, indent=1) + "\n")
    print(f"mutation-kill-rate: {100 * killed_all / max(total_all, 1):.1f} % ({killed_all}/{total_all})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
