"""Glue between detectors and their engines (not a base class).

The arithmetic lives in :mod:`mlmon.runtime` — the step kernels of :mod:`._kernels` and the
window engines of :mod:`._windowed` — so that research objects and the production runtime
share it. Every engine answers ``update_one(x, reset_on_drift) -> (flag, statistic, n_seen)``,
``run(x, reset_on_drift) -> (alarms, warnings)`` and ``trace(x)``; window engines also keep
the last p-value in ``pvalue_``. This module turns those answers into
:class:`~mlmon.base.DriftResult` and :class:`~mlmon.base.Alarms`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._compiled import loops
from mlmon.runtime._kernels import DRIFT, WARNING, Engine


def make_engine(det: BaseDetector, kernel: str, fitted: dict[str, Any]) -> Engine:
    """A step-kernel engine for ``det`` with numba-compiled loops."""
    return Engine(kernel, det.get_params(), fitted, loops(kernel))


def update_one(det: BaseDetector, x: float) -> DriftResult:
    flag, stat, n_seen = det.engine_.update_one(x, det.reset_on_drift)
    pvalue = getattr(det.engine_, "pvalue_", None)
    return DriftResult(
        drift=flag == DRIFT,
        statistic=float(stat),
        threshold=float(getattr(det, det.threshold_param)),
        pvalue=None if pvalue is None or math.isnan(stat) else float(pvalue),
        warning=flag == WARNING,
        n_seen=int(n_seen),
    )


def run(det: BaseDetector, signal: Any) -> Alarms:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    alarms, warnings = det.engine_.run(x, det.reset_on_drift)
    return Alarms(indices=alarms, n_seen=int(x.shape[0]), warnings=warnings)


def trace(det: BaseDetector, signal: Any) -> np.ndarray:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    return det.engine_.trace(x)
