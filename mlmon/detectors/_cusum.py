"""Two-sided tabular CUSUM on standardised values."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors import _streaming
from mlmon.detectors._registry import register


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
        if (self.mean is None) != (self.std is None):
            raise ValueError(
                "CUSUM: give both 'mean' and 'std', or neither (then they are learnt by fit() "
                "or from the first min_samples values)."
            )

    def fit(self, reference: Any) -> CUSUM:
        """Learn the in-control mean and standard deviation from ``reference``."""
        ref = check_signal(reference, name="reference", min_length=2)
        std = float(np.std(ref, ddof=1))
        if not std > 0:
            raise ValueError(
                "reference is constant (standard deviation 0); CUSUM needs a reference with "
                "some spread, or pass mean= and std= explicitly."
            )
        self.mean_ = float(np.mean(ref))
        self.std_ = std
        return self.reset()

    def _fitted(self) -> dict[str, Any]:
        if self.mean is not None:
            return {"mean": float(self.mean), "std": float(self.std)}
        if getattr(self, "mean_", None) is not None:
            return {"mean": self.mean_, "std": self.std_}
        return {}

    def reset(self) -> CUSUM:
        self.engine_ = _streaming.make_engine(self, "cusum", self._fitted())
        return self

    def _update_one(self, x: float) -> DriftResult:
        return _streaming.update_one(self, x)

    def run(self, signal: Any) -> Alarms:
        return _streaming.run(self, signal)

    def trace(self, signal: Any) -> np.ndarray:
        return _streaming.trace(self, signal)

    def _export_state(self) -> dict[str, Any]:
        return self._fitted()
