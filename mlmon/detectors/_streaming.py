"""Glue between detectors and their engines (not a base class).

The arithmetic lives in :mod:`mlmon.runtime` — the step kernels of :mod:`._kernels` and the
window engines of :mod:`._windowed` — so that research objects and the production runtime
share it. Every engine answers ``update_one(x, reset_on_drift) -> (flag, statistic, n_seen)``,
``run(x, reset_on_drift) -> (alarms, warnings)`` and ``trace(x)``; window engines also keep
the last p-value in ``pvalue_``. This module turns those answers into
:class:`~mlmon.base.DriftResult` and :class:`~mlmon.base.Alarms`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._compiled import loops
from mlmon.runtime._inputs import step_result
from mlmon.runtime._kernels import Engine


def make_engine(det: BaseDetector, kernel: str, fitted: dict[str, Any]) -> Engine:
    """A step-kernel engine for ``det`` with numba-compiled loops."""
    return Engine(kernel, det.get_params(), fitted, loops(kernel))


def update_one(det: BaseDetector, x: float) -> DriftResult:
    return step_result(det.engine_, x, reset_on_drift=det.reset_on_drift,
                       threshold=getattr(det, det.threshold_param))


def run(det: BaseDetector, signal: Any) -> Alarms:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    alarms, warnings = det.engine_.run(x, det.reset_on_drift)
    return Alarms(indices=alarms, n_seen=int(x.shape[0]), warnings=warnings)


def trace(det: BaseDetector, signal: Any) -> np.ndarray:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    return det.engine_.trace(x)
