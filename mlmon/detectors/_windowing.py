"""Shared plumbing of the windowed two-sample detectors (KS, PSI); not a base class.

The arithmetic lives in :mod:`mlmon.runtime._windowed`; this module turns its engines'
answers into :class:`~mlmon.base.DriftResult` and :class:`~mlmon.base.Alarms`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.runtime._windowed import DRIFT


def update_one(det: BaseDetector, x: float) -> DriftResult:
    flag, stat, n_seen = det.engine_.update_one(x, det.reset_on_drift)
    pvalue = det.engine_.pvalue_
    return DriftResult(
        drift=flag == DRIFT,
        statistic=float(stat),
        threshold=float(getattr(det, det.threshold_param)),
        pvalue=None if pvalue is None or math.isnan(stat) else float(pvalue),
        n_seen=int(n_seen),
    )


def run(det: BaseDetector, signal: Any) -> Alarms:
    x = check_signal(signal)
    alarms, warnings = det.engine_.run(x, det.reset_on_drift)
    return Alarms(indices=alarms, n_seen=int(x.shape[0]), warnings=warnings)


def trace(det: BaseDetector, signal: Any) -> np.ndarray:
    x = check_signal(signal)
    return det.engine_.trace(x)
