"""The package follows the data flow: no import cycles, and each stage imports only
earlier stages (README "Layout"). Imports are read from the source (every import
statement, also those inside functions), not from a running interpreter."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "netsim"
# Stage order of the pipeline; a module may import its own stage and earlier ones.
STAGES = ("errors", "files", "jit", "data", "scenario", "space", "links", "core", "routing", "run", "analysis", "sweep",
          "view", "api", "cli")
# The one documented exception: reading a scenario checks its orbits and terminal
# mountings by calling down into the space stage (the scenario *model* stays free of it).
ALLOWED_UPWARD = {("netsim.scenario.load", "netsim.space")}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("netsim") and target != name:
                found.add(target)
    return found


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(path, name, modules):
            graph.add_edge(name, target)
    return graph


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "api"


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_every_module_belongs_to_a_stage():
    strays = [m for m in _graph() if _stage(m) not in STAGES and m not in ("netsim.__main__",)]
    assert not strays, f"modules outside the stages {STAGES}: {strays}"


def test_stages_import_only_earlier_stages():
    rank = {stage: i for i, stage in enumerate(STAGES)}
    upward = []
    for a, b in _graph().edges:
        if a in ("netsim", "netsim.__main__") or b == "netsim":
            continue
        if rank[_stage(b)] > rank[_stage(a)] and not any(a == x and b.startswith(y) for x, y in ALLOWED_UPWARD):
            upward.append(f"{a} -> {b}")
    assert not upward, "imports of a later stage: " + ", ".join(sorted(upward))


def test_the_scenario_model_imports_no_later_stage():
    later = [b for b in _graph().successors("netsim.scenario.model") if _stage(b) not in ("errors", "scenario")]
    assert not later


def test_the_walk_sees_real_imports():
    """The checker itself: it finds an edge we know exists and a cycle we plant."""
    graph = _graph()
    assert graph.has_edge("netsim.run.runner", "netsim.run.network_state")
    graph.add_edge("netsim.scenario.model", "netsim.run.runner")
    assert list(nx.simple_cycles(graph))
