"""numba's `njit` when numba is importable (it comes with hapsira), else a no-op decorator.

The kernels also run as plain Python (slowly): they use numpy arrays only. numba's typed
containers are avoided on purpose: creating one compiles code in every process (~0.7 s).
"""

from __future__ import annotations

try:
    from numba import njit as _njit

    HAVE_NUMBA = True

    def njit(fn):
        return _njit(cache=True, nogil=True)(fn)

except ImportError:  # pragma: no cover - numba is a dependency
    HAVE_NUMBA = False

    def njit(fn):
        return fn
