"""Which captures to analyse: capture files, folders of them, or a run folder (whose
pcap/ folder holds its captures and whose manifest names its nodes and flows)."""

from __future__ import annotations

from pathlib import Path

from netsim.analysis.context import RunContext
from netsim.errors import NetsimError

CAPTURE_PATTERNS = ("*.pcap", "*.pcapng")


def captures_in(folder: Path) -> list[Path]:
    return sorted({p for pattern in CAPTURE_PATTERNS for p in folder.glob(pattern)})


def collect_captures(inputs: list[Path]) -> tuple[list[Path], Path | None, Path]:
    """(capture files, run folder for names or None, default output folder)."""
    files: list[Path] = []
    run_dir = None
    default_out = None
    for item in map(Path, inputs):
        if item.is_dir():
            if (item / "pcap").is_dir():
                run_dir = run_dir or item
                found = captures_in(item / "pcap")
                default_out = default_out or item / "analysis"
            else:
                found = captures_in(item)
                if (item / "manifest.json").exists():
                    run_dir = run_dir or item
                default_out = default_out or item / "analysis"
            if not found:
                # A run killed before it wrote captures has none: say why, not only that.
                why = RunContext.from_run_dir(item).incomplete()
                raise NetsimError(f"{item}: {why + '; ' if why else ''}no .pcap or .pcapng files in this folder"
                                  + (" or its pcap/ folder" if (item / "pcap").is_dir() else ""))
            files += found
        elif item.exists():
            files.append(item)
            if item.parent.name == "pcap" and (item.parent.parent / "manifest.json").exists():
                run_dir = run_dir or item.parent.parent
                default_out = default_out or item.parent.parent / "analysis"
            default_out = default_out or item.parent / "analysis"
        else:
            raise NetsimError(f"{item}: no such file or folder")
    return files, run_dir, default_out
