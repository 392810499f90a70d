"""Dask worker plugin: the ns-3 precompiled header, checked or built once per worker."""

from __future__ import annotations

import sys

from distributed.diagnostics.plugin import WorkerPlugin


class PchPlugin(WorkerPlugin):
    """Build (or check) the PCH as each worker starts, under the loader's file lock, so
    runs never race to build it and a node of a new CPU type builds it once. Used for
    SLURM/PBS and existing schedulers; a LocalCluster shares the driver's PCH."""

    name = "netsim-ns3-pch"

    def setup(self, worker):
        from netsim.core.ns3_loader import build_precompiled_header

        try:
            build_precompiled_header()
        except Exception as err:  # only costs time: each run then parses the headers
            print(f"netsim: warning: worker cannot build the ns-3 precompiled header: {err}", file=sys.stderr)
