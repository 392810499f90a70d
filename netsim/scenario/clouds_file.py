"""Cloud files (`ground_stations[i].cloud_file`): the intervals a station's sky is cloudy,
one `start_s,end_s` pair per line in seconds from the start of the run (comma or
whitespace between them); `#` starts a comment. Intervals may not overlap."""

from __future__ import annotations

import math
from pathlib import Path

from netsim.errors import ScenarioError


def read_cloud_file(path: str | Path, key: str, scenario_path="<scenario>") -> list[tuple[float, float]]:
    """[(start_s, end_s), ...] sorted; errors name the scenario key and the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(scenario_path, key, f"cloud file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(scenario_path, key, f"cannot read the cloud file {path}: "
                                                f"{getattr(err, 'strerror', None) or err}") from None
    out: list[tuple[float, float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].replace(",", " ").split()
        if not body or body == ["start_s", "end_s"]:
            continue
        try:
            start, end = (float(x) for x in body)
        except ValueError:
            raise ScenarioError(scenario_path, key, f"{path}, line {number}: expected start_s,end_s "
                                                    f"(two numbers) (got {line.strip()!r})") from None
        if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
            raise ScenarioError(scenario_path, key, f"{path}, line {number}: need 0 <= start_s < end_s, both finite "
                                                    f"(got {start:g}, {end:g})")
        out.append((start, end))
    out.sort()
    for (a0, a1), (b0, b1) in zip(out, out[1:]):
        if b0 < a1:
            raise ScenarioError(scenario_path, key, f"{path}: intervals overlap ({a0:g}-{a1:g} and {b0:g}-{b1:g})")
    return out
