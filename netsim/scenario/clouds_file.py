"""Cloud files (`ground_stations[i].cloud_file`): the intervals a station's sky is cloudy,
one `start_s,end_s` pair per line in seconds from the start of the run (comma or
whitespace between them); `#` starts a comment. Intervals may not overlap."""

from __future__ import annotations

import math
from pathlib import Path

from netsim.errors import ScenarioError, read_data_file

# A cloud file is read whole and its intervals go to the core: at most this many.
MAX_CLOUD_FILE_BYTES = 64 << 20
MAX_CLOUD_INTERVALS = 100_000


def read_cloud_file(path: str | Path, key: str, scenario_path="<scenario>") -> list[tuple[float, float]]:
    """[(start_s, end_s), ...] sorted; errors name the scenario key and the line."""
    text = read_data_file(path, key, scenario_path, "cloud file", max_bytes=MAX_CLOUD_FILE_BYTES)
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
        if len(out) > MAX_CLOUD_INTERVALS:
            raise ScenarioError(scenario_path, key, f"{path}: more than {MAX_CLOUD_INTERVALS:,} cloudy intervals; "
                                                    "merge short ones")
    out.sort()
    for (a0, a1), (b0, b1) in zip(out, out[1:]):
        if b0 < a1:
            raise ScenarioError(scenario_path, key, f"{path}: intervals overlap ({a0:g}-{a1:g} and {b0:g}-{b1:g})")
    return out
