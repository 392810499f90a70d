"""The next routing snapshot, computed while ns-3 moves the packets of this interval.

Snapshots depend only on the scenario and the ones before them, never on packets, so the
snapshot for [t1, t2) can be computed during the ns-3 run of [t0, t1) on another core: the
solver and Simulator::Run release the GIL. The same snapshots in the same order as
computing them in turn, so outputs are byte-identical (NETSIM_OVERLAP=0 turns it off).
"""

from __future__ import annotations

import os
import threading
import time


def overlap_enabled() -> bool:
    return os.environ.get("NETSIM_OVERLAP", "1") != "0"


class ComputeTimes:
    """Wall and CPU seconds spent computing each snapshot (or allocation), in whichever
    thread."""

    def __init__(self):
        self.wall_s: list[float] = []
        self.cpu_s: list[float] = []

    def timed(self, compute, *args):
        wall, cpu = time.perf_counter(), time.thread_time()
        value = compute(*args)
        self.cpu_s.append(time.thread_time() - cpu)
        self.wall_s.append(time.perf_counter() - wall)
        return value

    def summary(self) -> dict:
        n = len(self.wall_s)
        return {"updates": n,
                "wall_s": round(sum(self.wall_s), 3),
                "mean_wall_s": round(sum(self.wall_s) / n, 4) if n else 0.0,
                "max_wall_s": round(max(self.wall_s), 4) if n else 0.0,
                "thread_cpu_s": round(sum(self.cpu_s), 3)}


class Prefetch:
    """One computation on a thread of its own; result() returns its value or raises its
    exception in the caller. Not a daemon thread: a run that stops early (Ctrl-C, SIGTERM,
    an error) leaves while a snapshot may be inside the C++ solver with the GIL released,
    and the interpreter ends a daemon thread that comes back from C++ while it finalises
    by unwinding its C++ frames, which aborts the process ("terminate called without an
    active exception"). The interpreter waits for this one instead: at most one snapshot."""

    def __init__(self, compute, *args):
        self._value = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(compute, args), daemon=False,
                                        name="netsim-next-snapshot")
        self._thread.start()

    def _run(self, compute, args) -> None:
        try:
            self._value = compute(*args)
        except BaseException as exc:  # handed to the caller, which reports it
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
