"""Bayesian online change-point detection (Adams and MacKay 2007) in numpy-only Python.

The model: the signal is Gaussian with a mean and a variance that are constant within a run
and drawn afresh at each change point from a Normal-Gamma prior; a change happens at each
step with constant probability ``1 / expected_run_length``. The posterior of the current
run length ``r`` (values since the last change) is updated with each value:

- each run length predicts the value with its posterior predictive, a Student-t with
  ``2 a_r`` degrees of freedom, location ``m_r`` and squared scale
  ``b_r (k_r + 1) / (a_r k_r)``, from the prior updated with the run's ``r`` values;
- the run grows (``r -> r + 1``) with probability ``1 - H`` or restarts (``r -> 0``) with
  probability ``H``; the posterior is renormalised.

The prior is ``m_0 = mean``, ``k_0 = 1``, ``a_0 = 1``, ``b_0 = std**2`` (its predictive is a
Student-t with 2 degrees of freedom centred on ``mean`` with scale ``std * sqrt(2)``), with
``mean`` and ``std`` given, fitted, or estimated from a burn-in of ``min_samples`` values.

**Truncation.** Run lengths are tracked up to ``max_run_length - 1``; the last cell holds the
probability of *every* run length at or beyond it: the mass that would grow past the last
cell is added to it (nothing is dropped, the posterior sums to one). Its predictive uses the
last ``max_run_length - 1`` values only, a sliding-window approximation for long runs, which
matters only when the tail cell's mass dominates and the recent values' statistics differ
from those of the whole run.

**Alarm rule.** The statistic is the posterior probability that a change happened within the
last ``min_run`` values, ``P(r < min_run)``; drift when it exceeds ``threshold``. The
statistic depends on the data alone, never on the threshold (without resets), so the alarms
of a higher threshold are a subset of those of a lower one and one pass gives the whole
operating curve.

All arithmetic is vectorised numpy over the run lengths, the same code for the research
detector and the runtime, so both give the same bits on one machine. ``log-gamma`` constants
come from :func:`math.lgamma` once, at construction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["BOCPDEngine"]

NOTHING, DRIFT = 0, 2
PRIOR_KAPPA, PRIOR_ALPHA = 1.0, 1.0


class BOCPDEngine:
    """State and stepping of one BOCPD detector; shared by research objects and the runtime.

    Parameters
    ----------
    params
        ``threshold``, ``expected_run_length``, ``min_run``, ``max_run_length``,
        ``min_samples``.
    fitted
        ``mean`` and ``std`` of the prior (absent: estimated from the first ``min_samples``
        values after each reset).

    Examples
    --------
    >>> params = {"threshold": 0.5, "expected_run_length": 100.0, "min_run": 5,
    ...           "max_run_length": 200, "min_samples": 20}
    >>> eng = BOCPDEngine(params, {"mean": 0.0, "std": 1.0})
    >>> x = np.concatenate([np.random.default_rng(0).normal(size=300), np.full(20, 4.0)])
    >>> alarms, _ = eng.run(x, reset_on_drift=True)
    >>> alarms.tolist()
    [300]
    """

    __slots__ = ("threshold", "min_run", "size", "min_samples", "log_h", "log_1mh", "fitted_",
                 "alpha_", "expo_", "const_", "gain_", "shrink_", "n_seen_", "burn_", "prior_",
                 "t_", "log_r_", "mu_", "beta_", "log_beta_", "pvalue_")

    def __init__(self, params: dict[str, Any], fitted: dict[str, Any]):
        self.threshold = float(params["threshold"])
        self.min_run = int(params["min_run"])
        self.size = int(params["max_run_length"])
        self.min_samples = int(params["min_samples"])
        rate = 1.0 / float(params["expected_run_length"])
        if not 0.0 < rate < 1.0 or not 1 <= self.min_run < self.size:
            raise ValueError("BOCPD needs expected_run_length > 1 and 1 <= min_run < max_run_length.")
        self.log_h = math.log(rate)
        self.log_1mh = math.log1p(-rate)
        mean, std = fitted.get("mean"), fitted.get("std")
        self.fitted_ = None if mean is None else (float(mean), float(std) * float(std))
        r = np.arange(self.size, dtype=np.float64)
        kappa = PRIOR_KAPPA + r
        alpha = PRIOR_ALPHA + 0.5 * r
        self.alpha_ = alpha
        self.expo_ = alpha + 0.5
        # With g = k / (2 (k + 1)), a value x updates b to b' = b + g (x - m)^2, and the
        # Student-t log density of x is  C + a log b - (a + 1/2) log b'  with
        # C = log Gamma(a + 1/2) - log Gamma(a) - log(2 pi (k + 1) / k) / 2.
        self.gain_ = kappa / (2.0 * (kappa + 1.0))
        self.shrink_ = 1.0 / (kappa + 1.0)
        self.const_ = np.array([
            math.lgamma(a + 0.5) - math.lgamma(a) - 0.5 * math.log(2.0 * math.pi * (k + 1.0) / k)
            for a, k in zip(alpha.tolist(), kappa.tolist())])
        self.reset()

    def reset(self) -> None:
        self.n_seen_ = 0
        self.burn_ = [0.0, 0.0, 0.0]  # count, mean, sum of squared deviations
        self.prior_ = self.fitted_
        self.t_ = 0
        self.log_r_ = np.zeros(1)
        self.mu_ = np.zeros(1)
        self.beta_ = np.ones(1)
        self.log_beta_ = np.zeros(1)
        if self.prior_ is not None:
            self._start()
        self.pvalue_ = None

    def _start(self) -> None:
        self.t_ = 0
        self.log_r_ = np.zeros(1)
        self.mu_ = np.array([self.prior_[0]])
        self.beta_ = np.array([self.prior_[1]])
        self.log_beta_ = np.log(self.beta_)

    @property
    def n_seen(self) -> int:
        return int(self.n_seen_)

    def _burn_in(self, x: float) -> None:
        n, mean, m2 = self.burn_
        n += 1.0
        delta = x - mean
        mean += delta / n
        m2 += delta * (x - mean)
        self.burn_ = [n, mean, m2]
        if n >= self.min_samples:
            var = m2 / (n - 1.0) if n > 1.0 else 0.0
            self.prior_ = (mean, var if var > 0.0 else 1.0)
            self._start()

    def _step(self, x: float) -> float:
        """Update the run-length posterior with ``x``; return ``P(r < min_run)`` or NaN."""
        self.n_seen_ += 1
        if self.prior_ is None:
            self._burn_in(x)
            return math.nan
        n = self.log_r_.shape[0]
        dev = x - self.mu_
        new_beta = self.beta_ + self.gain_[:n] * (dev * dev)
        new_log_beta = np.log(new_beta)
        joint = (self.log_r_ + self.const_[:n] + self.alpha_[:n] * self.log_beta_
                 - self.expo_[:n] * new_log_beta)
        top = joint.max()
        evidence = top + math.log(float(np.exp(joint - top).sum()))
        grow = joint - (evidence - self.log_1mh)
        new_mu = self.mu_ + dev * self.shrink_[:n]
        keep = n if n < self.size else n - 1  # a full array: the tail cell absorbs the last
        log_r = np.empty(keep + 1)
        log_r[1:] = grow[:keep]
        if keep < n:
            log_r[-1] = np.logaddexp(grow[-2], grow[-1])
        log_r[0] = self.log_h
        prior_mean, prior_beta = self.prior_
        self.log_r_ = log_r
        self.mu_ = np.concatenate(([prior_mean], new_mu[:keep]))
        self.beta_ = np.concatenate(([prior_beta], new_beta[:keep]))
        self.log_beta_ = np.concatenate(([math.log(prior_beta)], new_log_beta[:keep]))
        self.t_ += 1
        if self.t_ < self.min_run or self.n_seen_ < self.min_samples:
            return math.nan
        recent = float(np.exp(log_r[: self.min_run]).sum())
        return recent if recent < 1.0 else 1.0

    def update_one(self, x: float, reset_on_drift: bool) -> tuple[int, float, int]:
        """Step once; return (flag, statistic, samples seen including this one)."""
        stat = self._step(float(x))
        n_seen = self.n_seen_
        flag = DRIFT if stat > self.threshold else NOTHING
        if flag == DRIFT and reset_on_drift:
            self.reset()
        return flag, stat, n_seen

    def run(self, x: Any, reset_on_drift: bool) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole signal; same alarms and final state as a loop of ``update_one``."""
        alarms = []
        for i, value in enumerate(np.asarray(x, dtype=np.float64).tolist()):
            if self._step(value) > self.threshold:
                alarms.append(i)
                if reset_on_drift:
                    self.reset()
        return np.asarray(alarms, dtype=np.int64), np.empty(0, dtype=np.int64)

    def trace(self, x: Any) -> np.ndarray:
        """``P(r < min_run)`` at each position, without resets; the state is unchanged."""
        saved = (self.n_seen_, list(self.burn_), self.prior_, self.t_, self.log_r_, self.mu_,
                 self.beta_, self.log_beta_, self.pvalue_)
        values = np.asarray(x, dtype=np.float64).tolist()
        out = np.empty(len(values))
        try:
            for i, value in enumerate(values):
                out[i] = self._step(value)
        finally:
            (self.n_seen_, self.burn_, self.prior_, self.t_, self.log_r_, self.mu_, self.beta_,
             self.log_beta_, self.pvalue_) = saved
        return out

    def run_length_posterior(self) -> np.ndarray:
        """The current posterior of the run length (the last entry: that length or more)."""
        return np.exp(self.log_r_)
