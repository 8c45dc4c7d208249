"""Page-Hinkley test for a change in the mean of a signal."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Le

from mlmon.base import BaseDetector
from mlmon.detectors._compiled import make_engine
from mlmon.detectors._registry import register


@register
class PageHinkley(BaseDetector):
    """Page-Hinkley test (Page 1954) on the deviations of a signal from its running mean.

    With a fading factor of 1 this is the classic test: the cumulative sum of
    ``x_t - mean_t - delta`` is compared with its running minimum (increases), and the
    cumulative sum of ``x_t - mean_t + delta`` with its running maximum (decreases). Drift is
    signalled when the gap exceeds ``threshold``.

    The arithmetic follows river's ``drift.PageHinkley`` step for step, so that
    ``PageHinkley(threshold=h, delta=d, fading_factor=a, min_samples=m)`` raises the same
    alarms as ``river.drift.PageHinkley(threshold=h, delta=d, alpha=a, min_instances=m)``.

    Parameters
    ----------
    threshold
        Alarm level on the Page-Hinkley statistic (river's ``threshold``, the literature's
        lambda), in the signal's units.
    delta
        Magnitude of change tolerated without alarm, in the signal's units.
    fading_factor
        Weight of the past in the cumulative sums (1 = no forgetting; river's ``alpha``).
    min_samples
        Samples seen (since the last reset) before any decision.
    alternative
        ``"greater"`` detects increases, ``"less"`` decreases, ``"two-sided"`` both.
    reset_on_drift
        Start afresh after each alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import PageHinkley
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(3, 1, 1000)])
    >>> ph = PageHinkley(threshold=50.0)
    >>> alarms = ph.run(x)
    >>> 1000 <= alarms.first < 1100
    True
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 50.0,
        delta: Annotated[float, Ge(0)] = 0.005,
        fading_factor: Annotated[float, Gt(0), Le(1)] = 1 - 0.0001,
        min_samples: Annotated[int, Ge(1)] = 30,
        alternative: Literal["two-sided", "greater", "less"] = "two-sided",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.delta = delta
        self.fading_factor = fading_factor
        self.min_samples = min_samples
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def reset(self) -> PageHinkley:
        self.engine_ = make_engine(self, "page_hinkley", {})
        return self

    def trace(self, signal: Any) -> np.ndarray:
        return self._engine_trace(signal)
