"""The optional MPI build (scripts/build_mpi.sh; docs/distributed.md): where it lives,
whether it is usable, and loading it next to the core."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from functools import cache
from pathlib import Path

INSTALL = "bash scripts/setup.sh --mpi"
BRIDGE = "libnetsim-mpi.so"


def mpi_dir() -> Path:
    """Folder of the MPI build in this environment (beside the core's rebuilds)."""
    return Path(sys.prefix) / "lib" / "netsim-mpi"


def mpi_problem() -> str | None:
    """One line saying why a distributed run cannot start here, or None."""
    if not (mpi_dir() / BRIDGE).is_file():
        return f"distributed runs need the optional MPI build, which is not installed: run {INSTALL}"
    if shutil.which("mpirun") is None:
        return f"no mpirun on PATH: install OpenMPI (Debian: apt-get install openmpi-bin) or run {INSTALL}"
    if importlib.util.find_spec("mpi4py") is None:
        return f"mpi4py is not installed in this environment: run {INSTALL}"
    return None


@cache
def load_mpi():
    """The core plus ns-3's MPI module and netsim's bridge (ns.LaserMpi)."""
    from netsim.core.fabric import load_core
    from netsim.core.ns3_loader import load_core_library

    ns = load_core()
    import cppyy  # after ns-3's own loading (its precompiled header)

    folder = mpi_dir()
    cppyy.load_library(str(folder / "libns3-mpi-netsim.so"))
    load_core_library(folder / BRIDGE, folder / "include", ["laser-mpi.h"])
    return ns
