"""ISL list files (`terminals.isl.policy: list`): one link per line, two satellites
given by name (SHELL-PLANE-INDEX, SET-CATALOG) or by 0-based index within the tier (the
node order of its shells and TLE sets, as in Hypatia's isls.txt); whitespace or a comma
between them; `#` starts a comment."""

from __future__ import annotations

from pathlib import Path

from netsim.errors import ScenarioError, read_data_file

MAX_LINE_BYTES = 1000


def read_links_file(path: str | Path, key: str, scenario_path) -> list[tuple[int, str, str]]:
    """(line number, end a, end b) of every link; errors name the scenario key and the line."""
    text = read_data_file(path, key, scenario_path, "ISL list file")
    links = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].replace(",", " ").split()
        if not body:
            continue
        if len(body) != 2 or len(line) > MAX_LINE_BYTES:
            raise ScenarioError(scenario_path, key, f"{path}, line {number}: expected two satellites "
                                                    f"(names or indices) (got {len(body)} fields)")
        links.append((number, body[0], body[1]))
    return links
