"""Scenario keys by dotted path (`laser.tx_power_w`, `traffic[0].rate_mbps`,
`traffic[*].rate_mbps`): how sweeps and the Python API change a scenario."""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

_SEGMENT = re.compile(r"([^\[\]]+)((?:\[(?:\d+|\*)\])*)")


def parse_path(text: str) -> list[str | int]:
    """'traffic[0].rate_mbps' or 'traffic.0.rate_mbps' -> ['traffic', 0, 'rate_mbps']; '*' = every item."""
    usage = "a dotted path such as laser.tx_power_w or traffic[0].rate_mbps"
    if not isinstance(text, str) or not text:
        raise ValueError(usage)
    parts: list[str | int] = []
    for segment in text.split("."):
        m = _SEGMENT.fullmatch(segment)
        if not m:
            raise ValueError(usage)
        name = m.group(1)
        parts.append(int(name) if name.isdigit() else name)
        parts += ["*" if i == "*" else int(i) for i in re.findall(r"\[(\d+|\*)\]", m.group(2))]
    return parts


def show_path(parts) -> str:
    """['traffic', 0, 'rate_mbps'] -> 'traffic[0].rate_mbps'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) or p == "*" else (f".{p}" if out else str(p))
    return out


def set_path(tree: Any, parts: list, value: Any) -> None:
    """Set tree at parts to value (a deep copy); raise KeyError(message) if the path does not exist."""
    _set(tree, parts, value, [])


def _set(node, parts, value, done) -> None:
    head, rest = parts[0], parts[1:]
    here = show_path(done) or "the scenario"
    if isinstance(node, dict):
        if not isinstance(head, str) or head == "*":
            raise KeyError(f"{here} is a mapping; use a key name, keys: {', '.join(node)}")
        if head not in node:
            close = difflib.get_close_matches(head, list(node), n=1, cutoff=0.75)
            hint = f" did you mean {close[0]!r}?" if close else ""
            raise KeyError(f"no key {head!r} in {here};{hint} keys: {', '.join(node)}")
        if rest:
            _set(node[head], rest, value, done + [head])
        else:
            node[head] = copy.deepcopy(value)
    elif isinstance(node, list):
        if head == "*":
            indices = range(len(node))
        elif isinstance(head, int):
            if head >= len(node):
                raise KeyError(f"{here} has {len(node)} items (indices 0..{len(node) - 1}); got [{head}]")
            indices = [head]
        else:
            raise KeyError(f"{here} is a list; use an index such as [0] or [*]")
        for i in indices:
            if rest:
                _set(node[i], rest, value, done + [i])
            else:
                node[i] = copy.deepcopy(value)
    else:
        raise KeyError(f"{here} is a value, it has no key {show_path([head])!r}")
