"""Shared plumbing of the kernel-backed streaming detectors (not a base class)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._compiled import loops
from mlmon.runtime._kernels import DRIFT, WARNING, Engine


def make_engine(det: BaseDetector, kernel: str, fitted: dict[str, Any]) -> Engine:
    return Engine(kernel, det.get_params(), fitted, loops(kernel))


def update_one(det: BaseDetector, x: float) -> DriftResult:
    flag, stat, n_seen = det.engine_.update_one(x, det.reset_on_drift)
    return DriftResult(
        drift=flag == DRIFT,
        statistic=stat,
        threshold=float(getattr(det, det.threshold_param)),
        warning=flag == WARNING,
        n_seen=n_seen,
    )


def run(det: BaseDetector, signal: Any) -> Alarms:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    alarms, warnings = det.engine_.run(x, det.reset_on_drift)
    return Alarms(indices=alarms, n_seen=int(x.shape[0]), warnings=warnings)


def trace(det: BaseDetector, signal: Any) -> np.ndarray:
    x = check_signal(signal, binary=det.signal_kind == "binary")
    return det.engine_.trace(x)
