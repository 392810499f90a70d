"""Transparent huge pages for the core's objects.

A run of the whole seed fabric holds ~12 GB of small ns-3 objects (nodes, terminals,
channels, packets) that packet-hops visit in no particular order; with 4 KB pages most
visits also miss the TLB. glibc's malloc backs its heap with transparent huge pages when
the tunable `glibc.malloc.hugetlb=1` is set, and reads it only when a process starts, so
`netsim run` restarts itself once with it (docs/scaling.md, "Huge pages": 1.17x per
packet-hop at 1.218 M satellites, the same outputs). NETSIM_HUGE_PAGES=0 turns it off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TUNABLE = "glibc.malloc.hugetlb"
OPT_OUT = "NETSIM_HUGE_PAGES"
THP_MODE = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def available() -> bool:
    """Linux with glibc >= 2.35 (the tunable) and transparent huge pages not `never`."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        if name != "glibc" or tuple(int(x) for x in version.split(".")[:2]) < (2, 35):
            return False
        return "[never]" not in THP_MODE.read_text()
    except (ValueError, OSError, AttributeError):
        return False


def _tunables(env) -> list[str]:
    return [t for t in env.get("GLIBC_TUNABLES", "").split(":") if t]


def in_use(env=os.environ) -> bool:
    """Whether this process started with malloc on huge pages."""
    return f"{TUNABLE}=1" in _tunables(env) and available()


def environment(env) -> dict:
    """env with malloc on huge pages, unless it is turned off or set either way already."""
    if env.get(OPT_OUT) == "0" or not available() or any(t.startswith(f"{TUNABLE}=") for t in _tunables(env)):
        return dict(env)
    return {**env, "GLIBC_TUNABLES": ":".join([*_tunables(env), f"{TUNABLE}=1"])}


def restart_with_huge_pages() -> None:
    """Replace this process by the same `netsim` command with malloc on huge pages (no
    return), when they are available and not on yet; otherwise nothing happens."""
    env = environment(os.environ)
    if env == dict(os.environ):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "netsim", *sys.argv[1:]], env)
