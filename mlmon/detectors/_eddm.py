"""EDDM, the early drift detection method of Baena-Garcia et al. (2006), on an error stream."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from annotated_types import Ge, Gt, Le

from mlmon.base import BaseDetector
from mlmon.detectors._compiled import make_engine
from mlmon.detectors._registry import register


@register
class EDDM(BaseDetector):
    """Early drift detection method (Baena-Garcia et al. 2006) on a 0/1 error stream.

    Tracks the mean ``p'`` and standard deviation ``s'`` of the distance between consecutive
    errors, remembers the largest ``p' + 2 s'`` seen, and at each error computes the ratio
    ``level = (p' + 2 s') / max(p' + 2 s')``. Drift is signalled when ``level < threshold``,
    a warning when ``level < warning_threshold``; the warning lasts until the next decision.
    The statistic is ``level`` (NaN at samples where no decision is taken), so a *smaller*
    threshold gives fewer alarms. ``level`` is not a p-value, and the protocol's threshold-free
    ``trace`` for a threshold that must be crossed from above is one, so EDDM has no ``trace``:
    tuning searches the threshold.

    The arithmetic follows river's ``drift.binary.EDDM`` step for step:
    ``EDDM(threshold=b, warning_threshold=a, min_samples=m)`` raises the same alarms and
    warnings as ``river.drift.binary.EDDM(beta=b, alpha=a, warm_start=m)``.

    Parameters
    ----------
    threshold
        Drift level of the ratio (river's ``beta``).
    warning_threshold
        Warning level of the ratio (river's ``alpha``); must not be below ``threshold``.
    min_samples
        Samples, and errors, seen before any decision (river's ``warm_start``).
    reset_on_drift
        Start afresh after each alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import EDDM
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(3000) < 0.1, rng.random(2000) < 0.5]).astype(float)
    >>> alarms = EDDM(threshold=0.75, warning_threshold=0.8).run(errors)
    >>> 3000 <= alarms.first < 3500
    True
    """

    signal_kind = "binary"
    threshold_direction: ClassVar[Literal["above", "below"]] = "below"

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0), Le(1)] = 0.9,
        warning_threshold: Annotated[float, Gt(0), Le(1)] = 0.95,
        min_samples: Annotated[int, Ge(0)] = 30,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.warning_threshold = warning_threshold
        self.min_samples = min_samples
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if not self.warning_threshold >= self.threshold:
            raise ValueError(
                f"EDDM: parameter 'warning_threshold' ({self.warning_threshold}) must not be "
                f"below 'threshold' ({self.threshold})."
            )

    def reset(self) -> EDDM:
        self.engine_ = make_engine(self, "eddm", {})
        return self

