"""numba-compiled loops over the shared kernels of :mod:`mlmon.runtime._kernels`.

Falls back to the pure-Python loops when numba is not installed: slower, same alarms.
"""

from __future__ import annotations

from functools import cache
from typing import Callable

from mlmon._optional import available
from mlmon.runtime import _kernels


@cache
def loops(kernel: str) -> tuple[Callable, Callable] | None:
    """Compiled ``(scan, trace)`` for ``kernel``, or None to use the Python ones."""
    if not available("numba"):
        return None
    import numba

    step = numba.njit(cache=True, nogil=True)(_kernels.KERNELS[kernel].step)
    scan = numba.njit(nogil=True)(_kernels.make_scan(step))
    trace = numba.njit(nogil=True)(_kernels.make_trace(step))
    return scan, trace
