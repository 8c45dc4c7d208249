"""Bayesian online change-point detection (Adams and MacKay 2007) for Gaussian signals."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon.base import BaseDetector
from mlmon.detectors._charts import _check_mean_std, _fit_mean_std, _fitted
from mlmon.detectors._registry import register
from mlmon.runtime._bocpd import BOCPDEngine


@register
class BOCPD(BaseDetector):
    """Bayesian online change-point detection (Adams and MacKay 2007): drift when the
    posterior probability of a recent change point exceeds ``threshold``.

    The signal is modelled as Gaussian with a mean and variance that stay constant within a
    run and are drawn afresh at each change point from a Normal-Gamma prior; a change
    happens at each step with probability ``1 / expected_run_length``. The exact posterior
    of the run length (values since the last change) is updated with each value, through
    the Student-t posterior predictive of every run length. The statistic is the posterior
    probability that a change happened within the last ``min_run`` values,
    ``P(run length < min_run)``; drift when it exceeds ``threshold``. Both a shift in the
    mean and a change in the variance raise it.

    Run lengths are tracked up to ``max_run_length - 1``; the last cell keeps the probability
    of all longer runs (the posterior still sums to one) and predicts from the last
    ``max_run_length - 1`` values. Memory and time per value are ``O(max_run_length)``.

    The prior is centred on ``mean`` with scale ``std`` (Normal-Gamma with ``kappa_0 = 1``,
    ``alpha_0 = 1``, ``beta_0 = std**2``): from the parameters when given, else from
    :meth:`fit`, else estimated from the first ``min_samples`` values after each reset (no
    decision meanwhile).

    Without resets the statistic does not depend on ``threshold`` (hence :meth:`trace`), so
    tuning can calibrate ``threshold`` to a false-alarm budget from one pass. It is not a
    p-value: the false-alarm rate at a threshold depends on the data's distribution and on
    ``expected_run_length`` and ``min_run``; calibrate it on null data
    (:mod:`mlmon.tuning`).

    Parameters
    ----------
    threshold
        Alarm level on ``P(run length < min_run)``.
    expected_run_length
        Prior mean of the run length, ``1 / hazard``.
    min_run
        A change within the last ``min_run`` values counts as recent.
    max_run_length
        Run lengths tracked exactly (the last cell holds all longer ones).
    mean, std
        Centre and scale of the prior, if known.
    min_samples
        Values before any decision (and the burn-in length when ``mean`` and ``std`` are
        neither given nor fitted).
    reset_on_drift
        Start afresh after each alarm (burn-in included when the prior is estimated).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import BOCPD
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 500), rng.normal(2, 1, 300)])
    >>> det = BOCPD(threshold=0.9).fit(x[:200])
    >>> 500 <= det.run(x).first < 520
    True
    >>> r = BOCPD(mean=0.0, std=1.0).update(x[:100])
    >>> r.drift, 0.0 <= r.statistic <= 1.0
    (False, True)
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0), Lt(1)] = 0.9,
        expected_run_length: Annotated[float, Gt(1)] = 1000.0,
        min_run: Annotated[int, Ge(1)] = 50,
        max_run_length: Annotated[int, Ge(2)] = 500,
        mean: float | None = None,
        std: Annotated[float, Gt(0)] | None = None,
        min_samples: Annotated[int, Ge(2)] = 30,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.expected_run_length = expected_run_length
        self.min_run = min_run
        self.max_run_length = max_run_length
        self.mean = mean
        self.std = std
        self.min_samples = min_samples
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        _check_mean_std(self)
        if not self.min_run < self.max_run_length:
            raise ValueError(
                f"BOCPD: min_run ({self.min_run}) must be below max_run_length "
                f"({self.max_run_length}); lower min_run or raise max_run_length.")

    def fit(self, reference: Any) -> BOCPD:
        """Centre and scale the prior on ``reference``'s mean and standard deviation."""
        return _fit_mean_std(self, reference)

    def reset(self) -> BOCPD:
        self.engine_ = BOCPDEngine(self.get_params(), _fitted(self))
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """``P(run length < min_run)`` at every position (NaN before decisions), without resets.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import BOCPD
        >>> x = np.random.default_rng(0).normal(size=60)
        >>> p = BOCPD(mean=0.0, std=1.0).trace(x)
        >>> int(np.isnan(p).sum()), bool(np.nanmax(p) < 0.5)
        (49, True)
        """
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        return _fitted(self)

    def run_length_posterior(self) -> np.ndarray:
        """The posterior of the current run length, index ``r`` for ``r`` values since the last
        change (the last entry: that many or more).

        Examples
        --------
        >>> from mlmon.detectors import BOCPD
        >>> det = BOCPD(mean=0.0, std=1.0, min_run=10, max_run_length=50)
        >>> _ = det.update([0.1, -0.3, 0.2])
        >>> post = det.run_length_posterior()
        >>> post.shape, round(float(post.sum()), 12)
        ((4,), 1.0)
        """
        return self.engine_.run_length_posterior()

    @classmethod
    def _test_instances(cls) -> list[BOCPD]:
        return [cls(), cls(threshold=0.5, expected_run_length=100.0, min_run=5,
                           max_run_length=150, min_samples=20, reset_on_drift=False)]
