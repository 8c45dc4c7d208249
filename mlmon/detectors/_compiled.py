"""numba-compiled loops over the shared kernels of :mod:`mlmon.runtime._kernels`.

Falls back to the pure-Python loops when numba is not installed: slower, same alarms.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable

from mlmon._optional import available
from mlmon.runtime import _kernels


@cache
def loops(kernel: str) -> tuple[Callable, Callable] | None:
    """Compiled ``(scan, trace)`` for ``kernel``, or None to use the Python ones."""
    if not available("numba"):
        return None
    import numba

    # error_model="numpy": no zero-division checks in the hot loop; the kernels never divide by
    # zero, so the results are the same bits as with Python semantics
    opts = dict(nogil=True, error_model="numpy")
    step = numba.njit(cache=True, **opts)(_kernels.KERNELS[kernel].step)
    scan = numba.njit(**opts)(_kernels.make_scan(step))
    trace = numba.njit(**opts)(_kernels.make_trace(step))
    return scan, trace


def make_engine(det: Any, kernel: str, fitted: dict[str, Any]) -> _kernels.Engine:
    """A step-kernel engine for ``det`` with numba-compiled loops."""
    return _kernels.Engine(kernel, det.get_params(), fitted, loops(kernel))
