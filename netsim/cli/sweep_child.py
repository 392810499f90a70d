"""`python -m netsim.cli.sweep_child PARENT_PID ARGS...`: `netsim ARGS...` in a process that
dies with the Dask worker that launched it (Linux PR_SET_PDEATHSIG), so a killed worker
never leaves an orphan run writing into a run folder that a new attempt is using."""

from __future__ import annotations

import os
import signal
import sys


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(137)


def main() -> int:
    _die_with_parent(int(sys.argv[1]))
    from netsim.cli.main import main as netsim_main

    return netsim_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
