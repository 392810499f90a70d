"""The docs cannot drift from what a run writes: every file the README's "Run folder"
table names is written by a fresh run (the default scenario, and a run with every
optional table: tcp_bulk, ping, flow monitor, captures), every file a run writes is in
that table, every column docs/traffic.md lists for a table is in the file and every
column of the file is listed, every column a README row names exists, and every CSV file
named anywhere in README.md or docs/*.md is a file the project ships or some command
writes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TRAFFIC = ROOT / "docs" / "traffic.md"
BACKTICKED = re.compile(r"`([^`\n]+)`")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    level = heading.split(" ")[0]
    rest = text[start + len(heading):]
    end = re.search(rf"^{level} ", rest, flags=re.M)
    return rest[: end.start()] if end else rest


def _table_rows(section: str) -> list[tuple[str, str]]:
    """(first cell, rest of the row) of every body row of the markdown tables in section."""
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = line.strip("|").split("|", 1)
            if len(cells) == 2 and "`" in cells[0]:
                rows.append((cells[0], cells[1]))
    return rows


def _run_files(run_dir: Path) -> set[str]:
    return {str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()}


def _documented_files() -> list[tuple[str, str]]:
    """(file name pattern, row text) of the README's Run folder table."""
    out = []
    for first, rest in _table_rows(_section(README.read_text(), "## Run folder")):
        for name in BACKTICKED.findall(first):
            out.append((name, rest))
    return out


def _pattern(name: str) -> re.Pattern:
    # pcap/INDEX-NODE-portN.pcapng: the index, the node's name, the port number
    regex = re.escape(name).replace("INDEX", r"\d+").replace("NODE", r"[A-Za-z0-9_.-]+").replace("portN", r"port\d+")
    return re.compile(regex + r"\Z")


@pytest.fixture(scope="module")
def runs(short_run, stress_run, workload_run, background_run):
    return {"default": short_run[1].run_dir, "optional": stress_run[1].run_dir,
            "workloads": workload_run[1].run_dir, "background": background_run[1].run_dir}


def test_run_folder_table_names_exactly_the_files_a_run_writes(runs):
    documented = _documented_files()
    assert documented, "README.md has a Run folder table"
    written = {f for run_dir in runs.values() for f in _run_files(run_dir)}
    for name, row in documented:
        if "only after `netsim view" in row:
            continue  # written by another command (tests/test_view.py)
        assert any(_pattern(name).match(f) for f in written), f"README names {name}, no fresh run writes it"
    for f in sorted(written):
        assert any(_pattern(name).match(f) for name, _ in documented), f"a run writes {f}; README's table lacks it"
    # the default scenario writes the base tables itself; the optional ones need their outputs on
    default = _run_files(runs["default"])
    for base in ("manifest.json", "flows.csv", "accounting.csv", "handovers.csv", "links.csv", "rtt.csv",
                 "path_changes.csv", "link_traffic.csv", "pcap/index.csv"):
        assert base in default


def _documented_columns() -> dict[str, list[str]]:
    rows = _table_rows(_section(TRAFFIC.read_text(), "### Output columns"))
    return {BACKTICKED.findall(first)[0]: BACKTICKED.findall(rest) for first, rest in rows}


def _header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f))


def test_every_column_is_documented_and_every_documented_column_is_written(runs):
    columns = _documented_columns()
    assert "flows.csv" in columns and "accounting.csv" in columns
    seen = set()
    for run_dir in runs.values():
        for f in sorted(_run_files(run_dir)):
            if not f.endswith(".csv"):
                continue
            assert f in columns, f"{f}: a run writes it, docs/traffic.md 'Output columns' does not list it"
            assert _header(run_dir / f) == columns[f], f"{f}: columns differ from docs/traffic.md"
            seen.add(f)
    assert seen == set(columns), f"documented but never written: {set(columns) - seen}"


def test_columns_named_in_the_readme_exist(runs):
    headers = {}
    for run_dir in runs.values():
        for f in _run_files(run_dir):
            if f.endswith(".csv"):
                headers.setdefault(f, set()).update(_header(run_dir / f))
    checked = 0
    for name, row in _documented_files():
        files = [f for f in headers if _pattern(name).match(f)]
        if not files:
            continue  # JSON, XML, captures, view.html: no columns
        for word in BACKTICKED.findall(row):
            if re.fullmatch(r"[a-z][a-z0-9_]*", word):
                assert any(word in headers[f] for f in files), f"README's {name} row names `{word}`, not a column"
                checked += 1
    assert checked > 40


def test_every_csv_named_in_the_docs_is_shipped_or_written(runs, tmp_path):
    from netsim.cli.main import main

    assert main(["analyze", str(runs["optional"]), "--out", str(tmp_path / "analysis")]) == 0
    assert main(["analyze", str(runs["workloads"]), "--out", str(tmp_path / "workload-analysis")]) == 0
    written = {Path(f).name for run_dir in runs.values() for f in _run_files(run_dir)}
    written |= {p.name for p in (tmp_path / "analysis").iterdir()}
    written |= {p.name for p in (tmp_path / "workload-analysis").iterdir()}
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for token in BACKTICKED.findall(page.read_text()):
            for name in re.findall(r"[\w./-]+\.(?:csv|xml)\b", token):
                shipped = (ROOT / name).exists() or (page.parent / name).exists()
                assert shipped or Path(name).name in written, f"{page.name} names {name}: no command writes it"
