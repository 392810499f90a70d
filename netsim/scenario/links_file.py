"""ISL list files (`terminals.isl.policy: list`): one link per line, two satellites
given by name (SHELL-PLANE-INDEX, SET-CATALOG) or by 0-based index within the tier (the
node order of its shells and TLE sets, as in Hypatia's isls.txt); whitespace or a comma
between them; `#` starts a comment."""

from __future__ import annotations

from pathlib import Path

from netsim.errors import ScenarioError

MAX_LINE_BYTES = 1000


def read_links_file(path: str | Path, key: str, scenario_path) -> list[tuple[int, str, str]]:
    """(line number, end a, end b) of every link; errors name the scenario key and the line."""
    if Path(path).exists() and not Path(path).is_file():
        raise ScenarioError(scenario_path, key, f"the ISL list file {path} is not a regular file")
    try:
        if Path(path).stat().st_size > 1 << 30:
            raise ScenarioError(scenario_path, key, f"the ISL list file {path} is larger than 1 GiB")
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(scenario_path, key, f"ISL list file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(scenario_path, key, f"cannot read the ISL list file {path}: "
                                                f"{getattr(err, 'strerror', None) or err}") from None
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
