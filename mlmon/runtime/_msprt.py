"""The mixture SPRT's arithmetic, numpy only: shared by :mod:`mlmon.ab` and the rollout runtime.

A running mSPRT keeps, per arm, the count, mean and centred sum of squares of its observations
(merged batch by batch); at each look it computes the estimate (treatment minus control), its
variance, the normal-mixture likelihood ratio of "no effect", and the confidence set, and keeps
the running minimum p-value and the running intersection of the sets. Research
(:class:`mlmon.ab.AlwaysValid`) and production (:func:`mlmon.runtime.load_rollout`) run these
same functions, so they decide identically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["ArmStats", "RunningTest", "arm_variance", "cs_radius", "log_mixture_lr", "paths", "sequence_bounds"]


@dataclass
class ArmStats:
    """Count, mean and centred sum of squares of one arm, merged batch by batch (Chan et al.)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: np.ndarray) -> None:
        if x.shape[0] == 0:
            return
        nb, mb = x.shape[0], float(x.mean())
        m2b = float(((x - mb) ** 2).sum())
        n = self.n + nb
        delta = mb - self.mean
        self.mean += delta * nb / n
        self.m2 += m2b + delta * delta * self.n * nb / n
        self.n = n


def arm_variance(n: Any, total: Any, centred_sq: Any, metric: str) -> np.ndarray:
    """Per-observation variance of an arm from its count, sum and centred sum of squares.

    Proportions use the smoothed rate ``(successes + 1/2) / (n + 1)`` so that an arm with no
    conversion yet still has a positive variance; means use the unbiased sample variance.
    """
    n = np.asarray(n, dtype=float)
    if metric == "proportion":
        rate = (np.asarray(total, dtype=float) + 0.5) / (n + 1.0)
        return rate * (1.0 - rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, np.maximum(centred_sq, 0.0) / (n - 1.0), np.nan)


def log_mixture_lr(diff: Any, var: Any, tau: float, alternative: str,
                   log_ndtr: Callable[[Any], Any] | None = None) -> np.ndarray:
    """log of the normal-mixture likelihood ratio of "effect = theta0" after an estimate
    ``theta0 + diff`` with variance ``var``; mixing density N(0, tau^2) (two-sided) or its
    half on the side of ``alternative`` (which needs ``log_ndtr``, the log normal cdf)."""
    diff = np.asarray(diff, dtype=float)
    var = np.asarray(var, dtype=float)
    tau2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(var / (var + tau2)) + diff * diff * tau2 / (2.0 * var * (var + tau2))
        if alternative != "two-sided":
            if log_ndtr is None:
                raise ValueError("a one-sided mixture needs log_ndtr (the log of the normal cdf).")
            s = diff * tau / np.sqrt(var * (var + tau2))
            out = out + math.log(2.0) + log_ndtr(s if alternative == "greater" else -s)
    return np.where(var > 0, out, -np.inf)


def cs_radius(var: Any, tau: float, alpha: float, alternative: str,
              log_ndtr: Callable[[Any], Any] | None = None) -> np.ndarray:
    """Half-width of the confidence sequence at each variance: the ``r`` with
    ``{theta0 : |estimate - theta0| < r}`` (two-sided) or the one-sided analogue."""
    var = np.asarray(var, dtype=float)
    tau2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.sqrt(var * (var + tau2) / tau2 * (2.0 * math.log(1.0 / alpha)
                                                       + np.log((var + tau2) / var)))
    if alternative == "two-sided":
        return np.where(var > 0, radius, np.inf)
    # one-sided: the mixture ratio grows with the distance from theta0, equals the two-sided
    # ratio times 2 Phi(s) >= 1 on the alternative's side, so the root lies in (0, radius]
    target = math.log(1.0 / alpha)
    lo = np.zeros_like(var)
    hi = np.where(var > 0, radius, 1.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = log_mixture_lr(mid, var, tau, "greater", log_ndtr) >= target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.where(var > 0, hi, np.inf)


def sequence_bounds(estimate: Any, var: Any, tau: float, alpha: float, alternative: str,
                    log_ndtr: Callable[[Any], Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The confidence set at each look (not yet intersected over time)."""
    estimate = np.asarray(estimate, dtype=float)
    r = cs_radius(var, tau, alpha, alternative, log_ndtr)
    low = np.full_like(estimate, -np.inf) if alternative == "less" else estimate - r
    high = np.full_like(estimate, np.inf) if alternative == "greater" else estimate + r
    return low, high


def paths(n_c, sum_c, sq_c, n_t, sum_t, sq_t, *, tau, alpha, alternative, metric, variance, min_samples,
          log_ndtr: Callable[[Any], Any] | None = None):
    """Estimate, variance, running p-value and running-intersection sequence, per look."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_c, mean_t = sum_c / n_c, sum_t / n_t
    if variance is not None:
        var = variance / n_c + variance / n_t
    else:
        var = (arm_variance(n_c, sum_c, sq_c, metric) / n_c
               + arm_variance(n_t, sum_t, sq_t, metric) / n_t)
    ready = (n_c >= min_samples) & (n_t >= min_samples) & np.isfinite(var) & (var > 0)
    var = np.where(ready, var, 0.0)
    estimate = mean_t - mean_c
    log_lr = log_mixture_lr(np.where(ready, estimate, 0.0), var, tau, alternative, log_ndtr)
    pvalue = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr)))
    low, high = sequence_bounds(np.where(ready, estimate, 0.0), var, tau, alpha, alternative, log_ndtr)
    low = np.maximum.accumulate(np.where(ready, low, -np.inf))
    high = np.minimum.accumulate(np.where(ready, high, np.inf))
    return mean_c, mean_t, estimate, pvalue, low, high


class RunningTest:
    """One streaming mSPRT: both arms' statistics, the running p-value and confidence sequence."""

    def __init__(self, *, tau: float, alpha: float, metric: str, alternative: str = "two-sided",
                 variance: float | None = None, min_samples: int = 100,
                 log_ndtr: Callable[[Any], Any] | None = None) -> None:
        self.tau, self.alpha, self.metric, self.alternative = tau, alpha, metric, alternative
        self.variance, self.min_samples, self.log_ndtr = variance, min_samples, log_ndtr
        self.reset()

    def reset(self) -> RunningTest:
        self.control, self.treatment = ArmStats(), ArmStats()
        self.looks = 0
        self.pvalue, self.ci_low, self.ci_high = 1.0, -math.inf, math.inf
        self.estimate = math.nan
        return self

    def add(self, control: np.ndarray, treatment: np.ndarray) -> None:
        """Merge one look's observations (1-D float arrays, possibly empty) and test again."""
        self.control.add(control)
        self.treatment.add(treatment)
        ac, at_ = self.control, self.treatment
        # an arm with no data yet counts as one observation, fewer than min_samples: no test
        _, _, estimate, pvalue, low, high = paths(
            np.array([max(ac.n, 1.0)]), np.array([ac.mean * ac.n]), np.array([ac.m2]),
            np.array([max(at_.n, 1.0)]), np.array([at_.mean * at_.n]), np.array([at_.m2]),
            tau=self.tau, alpha=self.alpha, alternative=self.alternative, metric=self.metric,
            variance=self.variance, min_samples=self.min_samples, log_ndtr=self.log_ndtr)
        self.pvalue = min(self.pvalue, float(pvalue[0]))
        self.ci_low = max(self.ci_low, float(low[0]))
        self.ci_high = min(self.ci_high, float(high[0]))
        self.estimate = float(estimate[0]) if ac.n > 0 and at_.n > 0 else math.nan
        self.looks += 1
