"""Anomaly-rate monitoring: an outlier detector fitted on the reference, turned into a monitored
rate of outliers with an exact alarm level."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon.base import BaseDetector
from mlmon.detectors._multivariate import WindowedRows
from mlmon.detectors._registry import register

__all__ = ["AnomalyRate", "exceedance_pvalue"]


def exceedance_pvalue(count: int, *, window_size: int, n_calibration: int, rank: int) -> float:
    """P(at least ``count`` of ``window_size`` new scores exceed the ``rank``-th largest of
    ``n_calibration`` calibration scores), when all scores are exchangeable.

    The tail probability ``U`` beyond the ``rank``-th largest of ``n_calibration`` continuous
    exchangeable scores is Beta(``rank``, ``n_calibration + 1 - rank``), and given ``U`` the
    count is binomial, so the count is beta-binomial. The p-value is exact whatever the
    score distribution, and accounts for the randomness of the calibration sample (a plain
    binomial test at the nominal rate would not, and would alarm too often).

    Examples
    --------
    >>> round(exceedance_pvalue(0, window_size=50, n_calibration=99, rank=5), 6)
    1.0
    >>> p = exceedance_pvalue(12, window_size=50, n_calibration=99, rank=5)
    >>> 0.0 < p < 0.01
    True
    """
    from scipy import stats

    if count <= 0:
        return 1.0
    return float(stats.betabinom.sf(count - 1, window_size, rank, n_calibration + 1 - rank))


@register
class AnomalyRate(WindowedRows, BaseDetector):
    """The rate of outliers among recent rows, against what the reference says it should be.

    An outlier detector (scikit-learn's ``IsolationForest`` unless ``model`` is given) is
    fitted on part of the reference; the rest of the reference calibrates its scores: a new
    row is an outlier when its outlier score exceeds the ``rank``-th largest calibration
    score, with ``rank = floor(rate * (n_calibration + 1))``, which makes each row an outlier
    with probability at most ``rate`` under no drift (a conformal threshold). Every ``step``
    rows, the number of outliers among the last ``window_size`` rows is tested against its
    exact no-drift distribution (beta-binomial, :func:`exceedance_pvalue`), and drift is
    signalled when the p-value is below ``alpha``. The statistic is the window's outlier
    rate.

    Parameters
    ----------
    model
        An unfitted scikit-learn outlier detector with ``fit`` and ``score_samples`` (higher
        means more normal), e.g. ``IsolationForest`` or ``LocalOutlierFactor(novelty=True)``;
        None for ``IsolationForest(random_state=seed)``. It is cloned, never fitted in place.
    rate
        Outlier rate under no drift that the calibration threshold sets.
    alpha
        Significance level of each window's test.
    window_size, reference_size, step, reset_on_drift
        Windowing, as for :class:`mlmon.detectors.MMD`.
    calibration_fraction
        Share of the reference held out to calibrate the scores (the rest fits the model).
    seed
        Seed of the split of the reference and of the default model.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import AnomalyRate
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(1000, 4))
    >>> det = AnomalyRate(rate=0.05, alpha=0.001, window_size=100, seed=0).fit(ref)
    >>> stream = np.vstack([rng.normal(size=(500, 4)), rng.normal(size=(300, 4)) * 2.0])
    >>> det.run(stream).first
    599
    """

    threshold_param = "alpha"
    threshold_direction = "below"

    def __init__(
        self,
        *,
        model: Any = None,
        rate: Annotated[float, Gt(0), Lt(1)] = 0.05,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(1)] = 100,
        reference_size: Annotated[int, Ge(4)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        calibration_fraction: Annotated[float, Gt(0), Lt(1)] = 0.5,
        seed: int | None = None,
        reset_on_drift: bool = True,
    ):
        self.model = model
        self.rate = rate
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.calibration_fraction = calibration_fraction
        self.seed = seed
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        if self.model is not None and not (hasattr(self.model, "fit")
                                           and hasattr(self.model, "score_samples")):
            raise TypeError(
                f"AnomalyRate: model must be a scikit-learn outlier detector with fit() and "
                f"score_samples(), got {type(self.model).__name__}.")
        self._split(self.reference_size)

    def _split(self, n: int) -> tuple[int, int]:
        """``(n_calibration, rank)`` for a reference of ``n`` rows; refuses too few rows."""
        n_cal = int(round(n * self.calibration_fraction))
        rank = math.floor(self.rate * (n_cal + 1))
        if n_cal < 1 or n - n_cal < 2 or rank < 1:
            need = math.ceil((1.0 / self.rate - 1.0) / self.calibration_fraction)
            raise ValueError(
                f"AnomalyRate: a reference of {n} rows holds out {n_cal} for calibration, too few "
                f"to set a threshold at rate={self.rate} (it needs at least 1/rate - 1 rows); "
                f"use at least {max(need, 4)} reference rows or a larger rate.")
        return n_cal, rank

    def _prepare(self, reference: np.ndarray) -> tuple:
        from sklearn.base import clone
        from sklearn.ensemble import IsolationForest

        n = reference.shape[0]
        n_cal, rank = self._split(n)
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(n)
        cal, train = reference[order[:n_cal]], reference[order[n_cal:]]
        if self.model is None:
            model = IsolationForest(random_state=int(rng.integers(2**31 - 1)))
        else:
            model = clone(self.model)
        model.fit(train)
        scores = -np.asarray(model.score_samples(cal), dtype=np.float64)
        cut = float(np.sort(scores)[::-1][rank - 1])
        return model, cut, n_cal, rank

    def _evaluate(self, prepared: tuple, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, float]:
        model, cut, n_cal, rank = prepared
        count = int(np.sum(-np.asarray(model.score_samples(window), dtype=np.float64) > cut))
        pvalue = exceedance_pvalue(count, window_size=window.shape[0], n_calibration=n_cal,
                                   rank=rank)
        return count / window.shape[0], pvalue

    def _not_exportable_reason(self) -> str:
        return ("AnomalyRate carries a fitted scikit-learn model, which mlmon.runtime does not "
                "run (it would need unpickling); export per-feature KS or PSI detectors instead.")

    @classmethod
    def _test_instances(cls) -> list[AnomalyRate]:
        # small models keep the conformance suite fast; the default forest is in the examples
        from sklearn.ensemble import IsolationForest
        from sklearn.neighbors import LocalOutlierFactor

        return [cls(model=IsolationForest(n_estimators=10, random_state=0), seed=0,
                    window_size=50, reference_size=200, rate=0.1),
                cls(model=LocalOutlierFactor(novelty=True, n_neighbors=10), seed=1,
                    window_size=40, reference_size=150, step=20, rate=0.2,
                    reset_on_drift=False)]

    def _slow_checks(self) -> set[str]:
        return {"pvalues_valid_under_null", "detects_large_shift"}
