"""`netsim view`: an offline, interactive page of a scenario or a run — tiers, links and
their state or load, ground stations, the path of every reported pair over the routing
updates (docs/view.md).

    from netsim.view import write_view
    write_view("runs/default", "default.html", time_s=2.0)
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from netsim.errors import NetsimError
from netsim.view.model import MAX_FRAMES, MAX_PER_TIER, STATE_BUDGET, ViewModel, build
from netsim.view.page import page_html
from netsim.view.source import open_source, select_update

__all__ = ["write_view", "ViewResult", "default_out"]


@dataclass
class ViewResult:
    path: Path
    bytes: int
    frames: int
    seconds: float
    notes: list[str]


def default_out(source_path: Path) -> Path:
    """RUN_DIR/view.html for a run folder; NAME.html in the current folder for a scenario
    file NAME.yaml."""
    source_path = Path(source_path)
    if source_path.is_dir():
        return source_path / "view.html"
    return Path(f"{source_path.stem}.html")


def check_out(out: Path) -> None:
    """Refuse an --out that cannot be written, before any work."""
    if out.is_dir():
        raise NetsimError(f"--out: {out} is a folder; give the path of the HTML file to write")
    if out.exists() and not out.is_symlink() and not out.is_file():
        raise NetsimError(f"--out: {out} exists and is not a regular file (a device or a fifo); give a file path")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        problem = "is not a folder" if parent.exists() else "does not exist"
        raise NetsimError(f"--out: cannot write {out}: {parent} {problem}")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise NetsimError(f"--out: cannot write {out}: permission denied")


def write_view(source_path: str | Path, out: str | Path | None = None, time_s: float | None = None,
               max_per_tier: int = MAX_PER_TIER, max_frames: int = MAX_FRAMES,
               state_budget: int = STATE_BUDGET) -> ViewResult:
    """Write the page of a scenario file or run folder; time_s picks the routing update
    shown first (the one in force at that time)."""
    start = time.perf_counter()
    source_path = Path(source_path)
    out = Path(out) if out is not None else default_out(source_path)
    if max_per_tier < 1:
        raise NetsimError(f"--max-satellites: must be >= 1 (got {max_per_tier})")
    if max_frames < 1:
        raise NetsimError(f"--max-frames: must be >= 1 (got {max_frames})")
    if time_s is not None and not (math.isfinite(time_s) and time_s >= 0):
        raise NetsimError(f"--time: must be a finite number of seconds >= 0 (got {time_s})")
    check_out(out)
    source = open_source(source_path)
    update = select_update(source, time_s)
    model = build(source, update, max_per_tier, max_frames, state_budget)
    notes = page_notes(model, max_per_tier)
    text = page_html(model, notes)
    from netsim.files import write_text

    try:
        write_text(out, text)  # a new file, renamed into place
    except NetsimError as err:
        raise NetsimError(f"--out: {err}") from None
    return ViewResult(out, len(text.encode("utf-8")), len(model.frames), time.perf_counter() - start, notes)


def page_notes(model: ViewModel, max_per_tier: int) -> list[str]:
    source = model.source
    notes = []
    if source.kind == "scenario":
        n = len(model.frames)
        notes.append(f"Network state computed from the scenario at {n} instant{'s' if n > 1 else ''} "
                     "(no packets); paths follow the next-hop tables of each instant.")
    else:
        notes.append(f"Paths as the run recorded them (rtt.csv); link states: {model.link_states}"
                     + ("; utilisation over the whole run from link_traffic.csv" if model.has_utilisation else "")
                     + ("; background load from load_links.csv (each port's busiest interval)."
                        if (source.path / "load_links.csv").is_file() else "."))
    sampled = [(name, total) for name, total in zip(model.tier_names, model.tier_counts) if total > max_per_tier]
    if sampled:
        notes.append("Showing " + ", ".join(f"{max_per_tier:,} of {total:,} {name} satellites"
                                             for name, total in sampled)
                     + " (a fixed random sample), plus every satellite on a path or serving a station; "
                       "links are drawn where both ends are drawn.")
    notes.extend(model.notes)
    notes.append("Earth-fixed frame (WGS-84): satellites at their sub-satellite points, altitude in the hover "
                 "text; drag to turn the globe" + ("; the slider steps through the routing updates."
                                                   if len(model.frames) > 1 else "."))
    return notes
