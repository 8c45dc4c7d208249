"""Control charts on standardised values: CUSUM, EWMA and Shewhart.

The three share how they learn the in-control mean and standard deviation (parameters,
``fit``, or a burn-in of ``min_samples`` values) and one step kernel
(:func:`mlmon.runtime._kernels.chart_step`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon._validation import check_signal
from mlmon.base import BaseDetector
from mlmon.detectors._compiled import make_engine
from mlmon.detectors._registry import register


def _check_mean_std(det: BaseDetector) -> None:
    if (det.mean is None) != (det.std is None):
        raise ValueError(
            f"{type(det).__name__}: give both 'mean' and 'std', or neither (then they are learnt by "
            "fit() or from the first min_samples values)."
        )


def _fit_mean_std(det: BaseDetector, reference: Any) -> Any:
    ref = check_signal(reference, name="reference", min_length=2)
    std = float(np.std(ref, ddof=1))
    if not std > 0:
        raise ValueError(
            f"reference is constant (standard deviation 0); {type(det).__name__} needs a reference "
            "with some spread, or pass mean= and std= explicitly."
        )
    det.mean_ = float(np.mean(ref))
    det.std_ = std
    return det.reset()


def _fitted(det: BaseDetector) -> dict[str, Any]:
    """In-control mean and std: from the parameters, else from ``fit``, else none (burn-in)."""
    if det.mean is not None:
        return {"mean": float(det.mean), "std": float(det.std)}
    if getattr(det, "mean_", None) is not None:
        return {"mean": det.mean_, "std": det.std_}
    return {}


@register
class CUSUM(BaseDetector):
    """Tabular CUSUM chart (Page 1954) for a shift in the mean, on standardised values.

    Each value is standardised, ``z = (x - mean) / std``, and two sums are kept:
    ``S+ = max(0, S+ + z - allowance)`` and ``S- = max(0, S- - z - allowance)``. Drift is
    signalled when the sum the ``alternative`` watches exceeds ``threshold``. With
    ``allowance = k`` the chart is tuned to shifts of ``2k`` standard deviations.

    The in-control ``mean`` and ``std`` come from, in order: the parameters when given,
    :meth:`fit` on a reference sample, or the first ``min_samples`` values of the stream
    (a burn-in during which no decision is taken, repeated after each reset).

    Parameters
    ----------
    threshold
        Alarm level on the CUSUM statistic, in standard deviations (the literature's ``h``).
    allowance
        Slack per sample, in standard deviations (the literature's ``k``).
    mean, std
        In-control mean and standard deviation, if known.
    min_samples
        Burn-in length used to estimate ``mean`` and ``std`` when neither the parameters
        nor ``fit`` gave them.
    alternative
        ``"greater"``, ``"less"`` or ``"two-sided"``.
    reset_on_drift
        Start afresh after each alarm.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import CUSUM
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 500), rng.normal(1, 1, 500)])
    >>> det = CUSUM(threshold=10.0, mean=0.0, std=1.0)
    >>> 500 <= det.run(x).first < 540
    True
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 5.0,
        allowance: Annotated[float, Ge(0)] = 0.5,
        mean: float | None = None,
        std: Annotated[float, Gt(0)] | None = None,
        min_samples: Annotated[int, Ge(2)] = 30,
        alternative: Literal["two-sided", "greater", "less"] = "two-sided",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.allowance = allowance
        self.mean = mean
        self.std = std
        self.min_samples = min_samples
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        _check_mean_std(self)

    def fit(self, reference: Any) -> CUSUM:
        """Learn the in-control mean and standard deviation from ``reference``."""
        return _fit_mean_std(self, reference)

    def reset(self) -> CUSUM:
        self.engine_ = make_engine(self, "cusum", _fitted(self))
        return self

    def trace(self, signal: Any) -> np.ndarray:
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        return _fitted(self)


@register
class EWMA(BaseDetector):
    """Exponentially weighted moving average chart (Roberts 1959) on standardised values.

    Each value is standardised, ``z = (x - mean) / std``, and smoothed,
    ``e_t = smoothing * z_t + (1 - smoothing) * e_{t-1}`` from ``e_0 = 0``. The statistic is
    ``e_t`` divided by its exact standard deviation,
    ``sqrt(smoothing / (2 - smoothing) * (1 - (1 - smoothing)^(2t)))``, so that ``threshold``
    is the chart's ``L`` in standard deviations from the first sample on. Small ``smoothing``
    (0.05–0.25) suits small persistent shifts.

    The in-control ``mean`` and ``std`` come from the parameters, :meth:`fit`, or a burn-in
    of ``min_samples`` values, as for :class:`CUSUM`.

    Parameters
    ----------
    threshold
        Alarm level ``L`` on the standardised EWMA.
    smoothing
        Weight of the newest value (the literature's lambda), in (0, 1].
    mean, std
        In-control mean and standard deviation, if known.
    min_samples
        Burn-in length used to estimate ``mean`` and ``std`` when not given or fitted.
    alternative
        ``"greater"``, ``"less"`` or ``"two-sided"``.
    reset_on_drift
        Start afresh after each alarm.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import EWMA
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 500), rng.normal(1, 1, 500)])
    >>> 500 <= EWMA(threshold=3.5, mean=0.0, std=1.0).run(x).first < 540
    True
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 3.0,
        smoothing: Annotated[float, Gt(0), Lt(1)] = 0.2,
        mean: float | None = None,
        std: Annotated[float, Gt(0)] | None = None,
        min_samples: Annotated[int, Ge(2)] = 30,
        alternative: Literal["two-sided", "greater", "less"] = "two-sided",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.smoothing = smoothing
        self.mean = mean
        self.std = std
        self.min_samples = min_samples
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        _check_mean_std(self)

    def fit(self, reference: Any) -> EWMA:
        """Learn the in-control mean and standard deviation from ``reference``."""
        return _fit_mean_std(self, reference)

    def reset(self) -> EWMA:
        self.engine_ = make_engine(self, "ewma", _fitted(self))
        return self

    def trace(self, signal: Any) -> np.ndarray:
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        return _fitted(self)


@register
class Shewhart(BaseDetector):
    """Shewhart chart for individual values (Shewhart 1931): alarm when a standardised value
    ``(x - mean) / std`` lies more than ``threshold`` standard deviations out.

    Memoryless, so quick on large shifts and blind to small persistent ones (use
    :class:`CUSUM` or :class:`EWMA` there). The in-control ``mean`` and ``std`` come from the
    parameters, :meth:`fit`, or a burn-in of ``min_samples`` values, as for :class:`CUSUM`.

    Parameters
    ----------
    threshold
        Alarm level in standard deviations (3 for the classic chart).
    mean, std
        In-control mean and standard deviation, if known.
    min_samples
        Burn-in length used to estimate ``mean`` and ``std`` when not given or fitted.
    alternative
        ``"greater"``, ``"less"`` or ``"two-sided"``.
    reset_on_drift
        Start afresh after each alarm.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import Shewhart
    >>> x = np.array([0.1, -0.4, 0.3, 4.2, 0.0])
    >>> Shewhart(mean=0.0, std=1.0).run(x).indices.tolist()
    [3]
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 3.0,
        mean: float | None = None,
        std: Annotated[float, Gt(0)] | None = None,
        min_samples: Annotated[int, Ge(2)] = 30,
        alternative: Literal["two-sided", "greater", "less"] = "two-sided",
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.mean = mean
        self.std = std
        self.min_samples = min_samples
        self.alternative = alternative
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        _check_mean_std(self)

    def fit(self, reference: Any) -> Shewhart:
        """Learn the in-control mean and standard deviation from ``reference``."""
        return _fit_mean_std(self, reference)

    def reset(self) -> Shewhart:
        self.engine_ = make_engine(self, "shewhart", _fitted(self))
        return self

    def trace(self, signal: Any) -> np.ndarray:
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        return _fitted(self)
