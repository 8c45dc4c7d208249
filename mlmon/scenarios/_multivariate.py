"""A multivariate scenario: rows of correlated Gaussian features whose mean or correlation changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

import annotated_types as at
import numpy as np

from mlmon._validation import validate_params
from mlmon.scenarios._base import Scenario, Stream, register_scenario
from mlmon.scenarios._synthetic import ShiftKind, _change_weights, _check_change, _drift

__all__ = ["MultivariateShift"]


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class MultivariateShift(Scenario):
    """Rows of ``n_features`` standard normal features with equal pairwise ``correlation``, and
    a change in the mean or in the correlation of the first ``n_shifted`` features.

    - ``change="mean"``: the first ``n_shifted`` features move by ``shift`` standard
      deviations (sudden, gradual or incremental, as in :class:`MeanShift`).
    - ``change="correlation"``: the first ``n_shifted`` features change sign, which flips
      their correlation with the other features while every marginal distribution stays
      exactly standard normal: a drift no univariate test can see (sudden or gradual).

    The signal is the ``(n_samples, n_features)`` array of rows (``signal_kind ==
    "multivariate"``), also given as ``X``.

    Parameters
    ----------
    n_samples
        Number of rows.
    n_features
        Features per row (at least 2).
    correlation
        Correlation of every pair of features before the change.
    change
        ``"mean"`` or ``"correlation"``.
    shift
        Mean change, in standard deviations (``change="mean"``; 0 makes a stationary scenario).
    n_shifted
        Number of features that change (the first ones).
    position, kind, width
        Where and how the change happens (see :class:`MeanShift`).

    Examples
    --------
    >>> sc = MultivariateShift(n_samples=2000, n_features=3, correlation=0.8,
    ...                        change="correlation", position=1000)
    >>> s = sc.generate(seed=0)
    >>> s.signal.shape, s.signal_kind, s.drifts[0].what
    ((2000, 3), 'multivariate', 'correlation')
    >>> before, after = np.corrcoef(s.signal[:1000].T)[0, 1], np.corrcoef(s.signal[1000:].T)[0, 1]
    >>> round(float(before), 1), round(float(after), 1)
    (0.8, -0.8)
    >>> sc.null().generate(seed=0).drifts
    ()
    """

    signal_kind: ClassVar[Literal["multivariate"]] = "multivariate"

    n_samples: Annotated[int, at.Ge(2)] = 10_000
    n_features: Annotated[int, at.Ge(2)] = 5
    correlation: Annotated[float, at.Gt(-1), at.Lt(1)] = 0.5
    change: Literal["mean", "correlation"] = "mean"
    shift: float = 1.0
    n_shifted: Annotated[int, at.Ge(0)] = 1
    position: Annotated[int, at.Ge(1)] = 5_000
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0

    def __post_init__(self) -> None:
        validate_params(self)
        d = self.n_features
        if not self.correlation > -1.0 / (d - 1):
            raise ValueError(
                f"{self.name}: equal pairwise correlation among {d} features must exceed "
                f"-1/(n_features - 1) = {-1.0 / (d - 1):.4g}, got {self.correlation}.")
        if self.n_shifted > d or (self.change == "correlation" and self.n_shifted >= d):
            raise ValueError(
                f"{self.name}: n_shifted={self.n_shifted} must be at most n_features={d} (and "
                "below it for change='correlation', which flips the shifted features against "
                "the others).")
        if self.change == "correlation" and self.kind == "incremental":
            raise ValueError(f"{self.name}: change='correlation' is sudden or gradual; an "
                             "incremental sign flip would shrink the features' variance.")
        if not self.is_stationary:
            _check_change(self.name, n_samples=self.n_samples, position=self.position,
                          width=self.width, kind=self.kind)

    @property
    def is_stationary(self) -> bool:
        if self.n_shifted == 0:
            return True
        return self.change == "mean" and self.shift == 0 or (
            self.change == "correlation" and self.correlation == 0.0)

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        return MultivariateShift(n_samples=self.n_samples, n_features=self.n_features,
                                 correlation=self.correlation, shift=0.0,
                                 position=self.position)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, d, p = self.n_samples, self.n_features, self.position
        cov = np.full((d, d), self.correlation) + (1.0 - self.correlation) * np.eye(d)
        x = rng.standard_normal((n, d)) @ np.linalg.cholesky(cov).T
        if self.is_stationary:
            return Stream(signal=x, signal_kind="multivariate", X=x)
        w = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)
        k = self.n_shifted
        if self.change == "mean":
            x[p:, :k] += self.shift * w[p:, None]
        else:
            flip = w[p:] > 0.5
            x[p:, :k] = np.where(flip[:, None], -x[p:, :k], x[p:, :k])
        drift = _drift(position=p, width=self.width, kind=self.kind, what=self.change,
                       columns=tuple(f"x{j}" for j in range(k)))
        return Stream(signal=x, drifts=(drift,), signal_kind="multivariate", X=x)
