"""Always-valid inference: the mixture sequential probability ratio test (mSPRT).

A team that looks at an A/B test every hour and stops at the first p < 0.05 runs many
tests, not one, and its false-positive rate climbs far above 0.05. The mSPRT of Johari,
Koomen, Pekelis & Walsh (2017, "Peeking at A/B tests") gives a p-value that may be looked at
after every observation and acted on at any time, and the confidence sequence that goes with
it (the normal-mixture boundary of Howard, Ramdas, McAuliffe & Sekhon, 2021): the type-I
error of "stop the first time ``pvalue <= alpha``" is at most ``alpha``, and the sequence of
intervals covers the true effect at *every* time at once with probability at least
``1 - alpha``, whatever the (data-dependent) rule used to stop.

:func:`msprt` runs it over whole arrays, :class:`AlwaysValid` one look (a batch per arm) at a
time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_type_hints

import annotated_types as at
import numpy as np
from scipy import special

from mlmon._validation import _check, check_signal, validate_params
from mlmon.ab._result import ABResult
from mlmon.runtime import _msprt as _core

__all__ = ["AlwaysValid", "AlwaysValidResult", "msprt"]

Metric = Literal["mean", "proportion"]
Alternative = Literal["two-sided", "greater", "less"]

#: Observations each arm needs before the first test (the plug-in variance settles first).
DEFAULT_MIN_SAMPLES = 100

_EFFECT_NAMES = {"mean": "difference_of_means", "proportion": "difference_of_proportions"}


# --- checks shared by the sequential tools ------------------------------------------------


def validate_call(owner: str, func: Any, values: dict[str, Any]) -> None:
    """Check keyword arguments of ``func`` against their annotations (as ``validate_params``
    does for constructors); the error names ``owner`` and the field."""
    hints = get_type_hints(func, include_extras=True)
    for name, value in values.items():
        if name in hints:
            err = _check(owner, name, value, hints[name])
            if err is not None:
                raise err[0](err[1])


def check_arm(x: Any, *, owner: str, name: str, metric: str, min_length: int = 1) -> np.ndarray:
    """One arm's observations as a float array, or an error naming ``owner`` and ``name``."""
    try:
        arr = check_signal(x, name=name, min_length=min_length)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{owner}: {err}") from None
    if metric == "proportion" and not np.all((arr == 0.0) | (arr == 1.0)):
        bad = arr[(arr != 0.0) & (arr != 1.0)][0]
        raise ValueError(f"{owner}: {name} must hold only 0 and 1 for metric='proportion' "
                         f"(one conversion per unit), got {bad!r}; use metric='mean' for a "
                         "continuous metric.")
    return arr


# --- the mixture likelihood ratio: numpy-only arithmetic shared with mlmon.runtime -----------
# (research and the exported rollout rule run the very same functions, so they decide alike)


def log_mixture_lr(diff: Any, var: Any, tau: float, alternative: str) -> np.ndarray:
    """log of the normal-mixture likelihood ratio (see :func:`mlmon.runtime._msprt.log_mixture_lr`)."""
    return _core.log_mixture_lr(diff, var, tau, alternative, special.log_ndtr)


def cs_radius(var: Any, tau: float, alpha: float, alternative: str) -> np.ndarray:
    """Half-width of the confidence sequence (see :func:`mlmon.runtime._msprt.cs_radius`)."""
    return _core.cs_radius(var, tau, alpha, alternative, special.log_ndtr)


def sequence_bounds(estimate: Any, var: Any, tau: float, alpha: float,
                    alternative: str) -> tuple[np.ndarray, np.ndarray]:
    """The confidence set at each look (not yet intersected over time)."""
    return _core.sequence_bounds(estimate, var, tau, alpha, alternative, special.log_ndtr)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AlwaysValidResult:
    """The paths of an mSPRT: always-valid p-values and the confidence sequence, per look.

    Attributes
    ----------
    n_control, n_treatment
        Observations per arm at each look.
    estimate
        Treatment minus control at each look.
    pvalue
        Always-valid p-value at each look (non-increasing; 1 before ``min_samples``).
    ci_low, ci_high
        The confidence sequence at each look: the running intersection of the
        ``1 - alpha`` mixture intervals, so it only ever narrows.
    alpha, tau, alternative, metric
        The test's settings.
    stopped_at
        Index (0-based) of the first look with ``pvalue <= alpha``, or None.
    final
        The comparison at the last look (what a team reads when it stops, now or later).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import msprt
    >>> rng = np.random.default_rng(0)
    >>> r = msprt(rng.normal(0, 1, 500), rng.normal(0, 1, 500), tau=0.2, looks=5)
    >>> r.rejected, r.to_frame().shape
    (False, (5, 7))
    """

    n_control: np.ndarray
    n_treatment: np.ndarray
    estimate: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    alpha: float
    tau: float
    alternative: str
    metric: str
    stopped_at: int | None
    final: ABResult

    @property
    def rejected(self) -> bool:
        """Whether the test rejected "no effect" at some look."""
        return self.stopped_at is not None

    def to_frame(self):
        """One row per look: sample sizes, estimate, p-value and confidence sequence."""
        import pandas as pd

        return pd.DataFrame({"n_control": self.n_control, "n_treatment": self.n_treatment,
                             "estimate": self.estimate, "pvalue": self.pvalue,
                             "ci_low": self.ci_low, "ci_high": self.ci_high,
                             "reject": self.pvalue <= self.alpha})

    def _repr_html_(self) -> str:
        return self.final._repr_html_()

    def __repr__(self) -> str:
        stop = "never" if self.stopped_at is None else f"look {self.stopped_at}"
        return (f"AlwaysValidResult(looks={len(self.pvalue)}, rejected at {stop}, "
                f"final={self.final!r})")


def _final_result(*, estimate: float, low: float, high: float, pvalue: float, n_c: int, n_t: int,
                  mean_c: float, mean_t: float, alpha: float, tau: float, alternative: str,
                  metric: str, variance: float | None, looks: int,
                  stopped_at: int | None) -> ABResult:
    return ABResult(test="msprt", estimate=float(estimate), ci_low=float(low), ci_high=float(high),
                    pvalue=float(pvalue), effect_name=_EFFECT_NAMES[metric], confidence=1.0 - alpha,
                    alternative=alternative, n_control=int(n_c), n_treatment=int(n_t),
                    control=float(mean_c), treatment=float(mean_t), method="always_valid",
                    details={"tau": tau, "looks": looks, "stopped_at": stopped_at,
                             "variance": "known" if variance is not None else "plug-in"})


def _paths(n_c, sum_c, sq_c, n_t, sum_t, sq_t, *, tau, alpha, alternative, metric, variance,
           min_samples):
    """Estimate, variance, running p-value and running-intersection sequence, per look."""
    return _core.paths(n_c, sum_c, sq_c, n_t, sum_t, sq_t, tau=tau, alpha=alpha, alternative=alternative,
                       metric=metric, variance=variance, min_samples=min_samples, log_ndtr=special.log_ndtr)


# --- whole arrays -------------------------------------------------------------------------


def msprt(control: Any, treatment: Any, *, tau: Annotated[float, at.Gt(0)],
          alpha: Annotated[float, at.Interval(gt=0, lt=1)] = 0.05, metric: Metric = "mean",
          alternative: Alternative = "two-sided",
          variance: Annotated[float, at.Gt(0)] | None = None,
          min_samples: Annotated[int, at.Ge(2)] = DEFAULT_MIN_SAMPLES,
          looks: Annotated[int, at.Ge(1)] | None = None) -> AlwaysValidResult:
    """Mixture sequential probability ratio test of treatment versus control, at every look.

    The ``i``-th values of ``control`` and ``treatment`` arrive together, so after ``n`` pairs
    the estimate is ``mean(treatment[:n]) - mean(control[:n])`` with variance
    ``V = s_c^2 / n + s_t^2 / n``. Mixing the likelihood ratio of "effect = theta" over
    ``theta ~ N(0, tau^2)`` gives (Johari et al. 2017)

    ``Lambda_n = sqrt(V / (V + tau^2)) exp(estimate^2 tau^2 / (2 V (V + tau^2)))``,

    a nonnegative martingale under "no effect". The always-valid p-value is the running
    minimum of ``1 / Lambda_n`` and the confidence sequence is the set of effects ``theta``
    that this ratio (recentred at ``theta``) has not rejected at level ``alpha`` so far.

    **Guarantee.** By Ville's inequality, under "no effect" the probability that the p-value
    *ever* reaches ``alpha`` is at most ``alpha``, however many looks are taken and whatever
    rule decides when to stop; and the confidence sequence contains the true effect at all
    looks at once with probability at least ``1 - alpha``. This is exact for normal data of
    known ``variance``; with a plug-in variance (``variance=None``, and always for
    proportions) it holds asymptotically, and the test suite checks it by simulation. The
    price is a wider interval and later decisions than a fixed-horizon test at its one
    planned look.

    Parameters
    ----------
    control, treatment
        Observations per arm in arrival order, of equal length (0/1 conversions for
        ``metric="proportion"``). For arms that grow at different rates, feed per-look batches
        to :class:`AlwaysValid`.
    tau
        Standard deviation of the mixing distribution, in the units of the effect. Choose it
        near the effect worth detecting (e.g. the minimum detectable effect of the fixed test
        you would otherwise run): the test is most efficient for effects of about that size,
        and valid for any.
    alpha
        Type-I error bound (confidence sequence at ``1 - alpha``).
    metric
        ``"mean"`` (difference of means) or ``"proportion"`` (difference of proportions).
    alternative
        ``"two-sided"``, or ``"greater"`` / ``"less"`` (half-normal mixture on that side; the
        confidence sequence is then one-sided).
    variance
        Known per-observation variance of both arms; None estimates each arm's variance as
        data arrive (for proportions from the smoothed rate ``(x + 1/2) / (n + 1)``).
    min_samples
        Observations per arm before the first test (p-value 1 and an unbounded interval
        until then), so that the plug-in variance is settled.
    looks
        Evaluate at this many evenly spaced looks instead of after every pair (the same
        guarantee holds; fewer looks only make the test a little more conservative).

    Returns
    -------
    AlwaysValidResult
        The per-look paths and the final :class:`~mlmon.ab.ABResult`.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import msprt
    >>> rng = np.random.default_rng(0)
    >>> r = msprt(rng.normal(0.0, 1.0, 4000), rng.normal(0.2, 1.0, 4000), tau=0.1)
    >>> r.rejected, bool(r.final.contains(0.2)), bool(r.pvalue[-1] <= 0.05)
    (True, True, True)
    """
    owner = "msprt"
    validate_call(owner, msprt, {"tau": tau, "alpha": alpha, "metric": metric,
                                 "alternative": alternative, "variance": variance,
                                 "min_samples": min_samples, "looks": looks})
    c = check_arm(control, owner=owner, name="control", metric=metric)
    t = check_arm(treatment, owner=owner, name="treatment", metric=metric)
    if c.shape[0] != t.shape[0]:
        raise ValueError(f"{owner}: control has {c.shape[0]} values and treatment {t.shape[0]}; "
                         "msprt pairs arrivals in order, so both arms need the same length. "
                         "For arms of different sizes feed per-look batches to AlwaysValid.update.")
    n_all = c.shape[0]
    if looks is not None and looks > n_all:
        raise ValueError(f"{owner}: looks={looks} exceeds the {n_all} observations per arm; "
                         "use at most one look per observation.")

    def cumulative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shift = x[: min(n_all, min_samples)].mean()  # centring keeps the sums of squares exact
        d = x - shift
        s, q = np.cumsum(d), np.cumsum(d * d)
        n = np.arange(1, n_all + 1, dtype=float)
        return s + shift * n, q - s * s / n

    (sum_c, sq_c), (sum_t, sq_t) = cumulative(c), cumulative(t)
    n = np.arange(1, n_all + 1)
    if looks is not None:
        idx = np.unique(np.round(np.linspace(0, n_all, looks + 1)[1:]).astype(int)) - 1
        n, sum_c, sq_c, sum_t, sq_t = n[idx], sum_c[idx], sq_c[idx], sum_t[idx], sq_t[idx]
    if metric == "proportion":
        sq_c = sq_t = np.zeros_like(sum_c)
    nf = n.astype(float)
    mean_c, mean_t, estimate, pvalue, low, high = _paths(
        nf, sum_c, sq_c, nf, sum_t, sq_t, tau=tau, alpha=alpha, alternative=alternative,
        metric=metric, variance=variance, min_samples=min_samples)
    hits = np.flatnonzero(pvalue <= alpha)
    stopped_at = int(hits[0]) if hits.size else None
    final = _final_result(estimate=estimate[-1], low=low[-1], high=high[-1], pvalue=pvalue[-1],
                          n_c=n[-1], n_t=n[-1], mean_c=mean_c[-1], mean_t=mean_t[-1], alpha=alpha,
                          tau=tau, alternative=alternative, metric=metric, variance=variance,
                          looks=int(n.shape[0]), stopped_at=stopped_at)
    return AlwaysValidResult(n_control=n.copy(), n_treatment=n.copy(), estimate=estimate,
                             pvalue=pvalue, ci_low=low, ci_high=high, alpha=alpha, tau=tau,
                             alternative=alternative, metric=metric, stopped_at=stopped_at,
                             final=final)


# --- streaming ----------------------------------------------------------------------------


class AlwaysValid:
    """Streaming mSPRT: one :meth:`update` per look (e.g. each hour's new data per arm).

    Same test, same guarantee as :func:`msprt` (under "no effect", the chance that the
    p-value *ever* reaches ``alpha`` is at most ``alpha``; the confidence sequence covers
    the effect at every look at once with probability at least ``1 - alpha``), for arms that
    receive their data in batches of any sizes, possibly empty. The state after a series of
    updates depends only on the data, not on how it was split into batches, except through
    which looks were taken.

    Parameters
    ----------
    tau, alpha, metric, alternative, variance, min_samples
        As in :func:`msprt`.

    Attributes
    ----------
    looks_
        Updates so far.
    pvalue_
        Current always-valid p-value.
    ci_low_, ci_high_
        Current confidence sequence (running intersection).
    stopped_at_
        Index (0-based) of the first look with ``pvalue_ <= alpha``, or None.
    history_
        One :class:`~mlmon.ab.ABResult` per look.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import AlwaysValid
    >>> rng = np.random.default_rng(0)
    >>> test = AlwaysValid(tau=0.05, metric="proportion")
    >>> for hour in range(24):
    ...     r = test.update(rng.random(500) < 0.10, rng.random(500) < 0.13)
    >>> test.stopped_at_ is not None, r.n_control, bool(r.ci_low > 0)
    (True, 12000, True)
    """

    def __init__(self, *, tau: Annotated[float, at.Gt(0)],
                 alpha: Annotated[float, at.Interval(gt=0, lt=1)] = 0.05, metric: Metric = "mean",
                 alternative: Alternative = "two-sided",
                 variance: Annotated[float, at.Gt(0)] | None = None,
                 min_samples: Annotated[int, at.Ge(2)] = DEFAULT_MIN_SAMPLES) -> None:
        self.tau = tau
        self.alpha = alpha
        self.metric = metric
        self.alternative = alternative
        self.variance = variance
        self.min_samples = min_samples
        validate_params(self)
        self.reset()

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {k: getattr(self, k) for k in ("tau", "alpha", "metric", "alternative", "variance",
                                              "min_samples")}

    def __repr__(self) -> str:
        return "AlwaysValid(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    def reset(self) -> AlwaysValid:
        """Forget all data: back to the state before the first look."""
        # the streaming state production runs too (mlmon.runtime's rollout rule)
        self._test = _core.RunningTest(tau=self.tau, alpha=self.alpha, metric=self.metric,
                                       alternative=self.alternative, variance=self.variance,
                                       min_samples=self.min_samples, log_ndtr=special.log_ndtr)
        self.looks_ = 0
        self.pvalue_ = 1.0
        self.ci_low_ = -math.inf
        self.ci_high_ = math.inf
        self.stopped_at_: int | None = None
        self.history_: list[ABResult] = []
        return self

    def update(self, control: Any, treatment: Any) -> ABResult:
        """Add one look's new observations per arm and test again.

        Parameters
        ----------
        control, treatment
            This look's new observations of each arm (1-D, may be empty).

        Returns
        -------
        ABResult
            The comparison so far: always-valid p-value and the confidence sequence's
            current interval (``method="always_valid"``).
        """
        owner = "AlwaysValid.update"
        c = check_arm(control, owner=owner, name="control", metric=self.metric, min_length=0)
        t = check_arm(treatment, owner=owner, name="treatment", metric=self.metric, min_length=0)
        self._test.add(c, t)
        ac, at_ = self._test.control, self._test.treatment
        self.pvalue_, self.ci_low_, self.ci_high_ = self._test.pvalue, self._test.ci_low, self._test.ci_high
        if self.stopped_at_ is None and self.pvalue_ <= self.alpha:
            self.stopped_at_ = self.looks_
        self.looks_ += 1
        both = ac.n > 0 and at_.n > 0
        result = _final_result(
            estimate=self._test.estimate if both else math.nan, low=self.ci_low_, high=self.ci_high_,
            pvalue=self.pvalue_, n_c=ac.n, n_t=at_.n, mean_c=ac.mean if ac.n else math.nan,
            mean_t=at_.mean if at_.n else math.nan, alpha=self.alpha, tau=self.tau,
            alternative=self.alternative, metric=self.metric, variance=self.variance,
            looks=self.looks_, stopped_at=self.stopped_at_)
        self.history_.append(result)
        return result

    def to_frame(self):
        """One row per look so far (the :class:`~mlmon.ab.ABResult` of each update)."""
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.history_])
