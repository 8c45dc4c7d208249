"""HDDM_A and HDDM_W, the drift detectors of Frias-Blanco et al. (2014) built on Hoeffding's
and McDiarmid's bounds, on a model's error stream."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from annotated_types import Gt, Lt

from mlmon.base import BaseDetector
from mlmon.detectors._compiled import make_engine
from mlmon.detectors._registry import register

Level = Annotated[float, Gt(0), Lt(1)]


@register
class HDDM_A(BaseDetector):  # noqa: N801 (the literature's name)
    """Drift detection with Hoeffding's bound on moving averages (Frias-Blanco et al. 2014).

    Keeps the error rate of the whole stream and of the prefix (the cut point) whose rate
    plus its Hoeffding bound was lowest; drift is signalled when the rate since then exceeds
    the prefix's by more than Hoeffding's bound at confidence ``threshold`` (a warning at
    ``warning_threshold``). With ``alternative="two-sided"`` decreases are tested too. The
    statistic is the confidence at which the test would just reject, ``2 exp(-2 d^2 / m)``
    (``d`` the difference of the rates, ``m`` the bound's size factor): drift, up to rounding,
    when it is at most ``threshold``, so a *smaller* threshold gives fewer alarms.

    The cut point itself moves with ``threshold``, so the statistic before the first alarm
    depends on it: there is no threshold-free ``trace`` and tuning searches the threshold.

    The arithmetic follows river's ``drift.binary.HDDMA`` step for step:
    ``HDDM_A(threshold=d, warning_threshold=w, alternative=a)`` raises the same alarms and
    warnings as ``river.drift.binary.HDDMA(drift_confidence=d, warning_confidence=w,
    two_sided_test=(a == "two-sided"))``.

    Parameters
    ----------
    threshold
        Confidence of the drift test (river's ``drift_confidence``).
    warning_threshold
        Confidence of the warning test (river's ``warning_confidence``).
    alternative
        ``"greater"`` tests for a rise of the error rate only, ``"two-sided"`` for a fall too
        (river's ``two_sided_test``).
    reset_on_drift
        Start afresh after each alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import HDDM_A
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(1000) < 0.4]).astype(float)
    >>> 2000 <= HDDM_A().run(errors).first < 2200
    True
    """

    signal_kind = "binary"
    threshold_direction: ClassVar[Literal["above", "below"]] = "below"

    def __init__(
        self,
        *,
        threshold: Level = 0.001,
        warning_threshold: Level = 0.005,
        alternative: Literal["greater", "two-sided"] = "greater",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.warning_threshold = warning_threshold
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def reset(self) -> HDDM_A:
        self.engine_ = make_engine(self, "hddm_a", {})
        return self


@register
class HDDM_W(BaseDetector):  # noqa: N801 (the literature's name)
    """Drift detection with McDiarmid's bound on weighted averages (Frias-Blanco et al. 2014).

    Like :class:`HDDM_A`, but the error rates are exponentially weighted means
    (``smoothing * x + (1 - smoothing) * mean``) and the bound is McDiarmid's. The statistic
    is the confidence at which the test would just reject, ``exp(-2 d^2 / c)`` (``c`` the
    bound conditions of the two samples summed): drift, up to rounding, when it is below
    ``threshold``, so a *smaller* threshold gives fewer alarms. The cut points move with
    ``threshold``, so there is no threshold-free ``trace``.

    The arithmetic follows river's ``drift.binary.HDDMW`` step for step:
    ``HDDM_W(threshold=d, warning_threshold=w, smoothing=s, alternative=a)`` raises the same
    alarms and warnings as ``river.drift.binary.HDDMW(drift_confidence=d,
    warning_confidence=w, lambda_val=s, two_sided_test=(a == "two-sided"))``.

    Parameters
    ----------
    threshold
        Confidence of the drift test (river's ``drift_confidence``).
    warning_threshold
        Confidence of the warning test (river's ``warning_confidence``).
    smoothing
        Weight of the newest value in the weighted means (river's ``lambda_val``).
    alternative
        ``"greater"`` tests for a rise of the error rate only, ``"two-sided"`` for a fall too
        (river's ``two_sided_test``).
    reset_on_drift
        Start afresh after each alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import HDDM_W
    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(1000) < 0.4]).astype(float)
    >>> 2000 <= HDDM_W().run(errors).first < 2200
    True
    """

    signal_kind = "binary"
    threshold_direction: ClassVar[Literal["above", "below"]] = "below"

    def __init__(
        self,
        *,
        threshold: Level = 0.001,
        warning_threshold: Level = 0.005,
        smoothing: Level = 0.05,
        alternative: Literal["greater", "two-sided"] = "greater",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.warning_threshold = warning_threshold
        self.smoothing = smoothing
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def reset(self) -> HDDM_W:
        self.engine_ = make_engine(self, "hddm_w", {})
        return self

