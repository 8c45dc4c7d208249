"""DDM, the drift detection method of Gama et al. (2004), on a model's error stream."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt

from mlmon.base import BaseDetector
from mlmon.detectors._compiled import make_engine
from mlmon.detectors._registry import register


@register
class DDM(BaseDetector):
    """Drift detection method (Gama et al. 2004) on a 0/1 error stream.

    Tracks the running error rate ``p`` and its standard deviation
    ``s = sqrt(p (1 - p) / n)``, remembers ``p_min`` and ``s_min`` where ``p + s`` was
    lowest, and signals drift when ``p + s > p_min + threshold * s_min`` (a warning at
    ``warning_threshold``). The statistic is ``(p + s - p_min) / s_min``.

    The arithmetic follows river's ``drift.binary.DDM`` step for step:
    ``DDM(threshold=d, warning_threshold=w, min_samples=m)`` raises the same alarms as
    ``river.drift.binary.DDM(drift_threshold=d, warning_threshold=w, warm_start=m)``.

    Parameters
    ----------
    threshold
        Drift level, in standard deviations above the best ``p + s`` seen.
    warning_threshold
        Warning level, in the same units; must be below ``threshold``.
    min_samples
        Samples seen before any decision (decisions start at sample ``min_samples + 1``).
    reset_on_drift
        Start afresh after each alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import DDM
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(1000) < 0.4]).astype(float)
    >>> 2000 <= DDM().run(errors).first < 2200
    True
    """

    signal_kind = "binary"

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 3.0,
        warning_threshold: Annotated[float, Gt(0)] = 2.0,
        min_samples: Annotated[int, Ge(1)] = 30,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.warning_threshold = warning_threshold
        self.min_samples = min_samples
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if not self.warning_threshold <= self.threshold:
            raise ValueError(
                f"DDM: parameter 'warning_threshold' ({self.warning_threshold}) must not exceed "
                f"'threshold' ({self.threshold})."
            )

    def reset(self) -> DDM:
        self.engine_ = make_engine(self, "ddm", {})
        return self

    def trace(self, signal: Any) -> np.ndarray:
        return self._engine_trace(signal)
