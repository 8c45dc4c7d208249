"""Solvers behind :func:`~mlmon.tuning.calibrate`: one pass over traces, or bisection."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon.benchmark.metrics import _arl_from_sums, average_run_length
from mlmon.tuning import _simulate as S

#: Bisection (detectors without ``trace``): most evaluations, and the relative precision of
#: the calibrated value at which it stops.
MAX_EVALUATIONS = 40
X_TOLERANCE = 1e-2


# --- fast path: ARL -------------------------------------------------------------------------


def arl_states(passages: S.Passages, confidence: float, states: Any = None) -> tuple[np.ndarray, ...]:
    """ARL estimate, interval and dispersion at the given states of ``passages`` (default: all)."""
    i = slice(None) if states is None else states
    return _arl_from_sums(*passages.sums_at(i), confidence)


def solve_arl(passages: S.Passages, target: float, confidence: float, conservative: bool) -> float:
    """The level (score space) of the most sensitive state whose estimate (or bound) meets ``target``.

    Estimates are non-decreasing from state to state (each state moves one run's first
    passage later, or censors it), so the first state that meets the target is found by
    bisection over states. Lower bounds are too, up to their overdispersion factor, which
    varies a little from state to state; bisection then finds a state where the bound
    crosses the target.
    """
    if passages.levels.size == 0:
        raise ValueError(
            "the detector's statistic never took a finite value on any null run (its trace is all NaN): "
            "lengthen run_length beyond its burn-in, or check the detector."
        )
    e, k = passages.exposure, passages.events
    n_states = passages.levels.size + 1 - int(np.sum(np.isinf(passages.levels)))  # reachable with a finite level

    def crit(i: int) -> float:
        if not conservative:
            return float(e[i] / k[i]) if k[i] > 0 else math.inf
        return float(arl_states(passages, confidence, np.array([i]))[1][0])

    what = "lower confidence bound of the ARL" if conservative else "estimated ARL"
    top = n_states - 1
    if crit(top) < target:
        raise ValueError(
            f"the {what} never reaches arl={target:g} on these null runs (at most {crit(top):.4g} "
            f"with {passages.n_runs} runs of {int(passages.n_samples.max())} samples): increase n_runs or run_length."
        )
    if crit(0) >= target:
        raise ValueError(
            f"arl={target:g} is at or below the shortest average run length this detector can have on this "
            f"null ({crit(0):.4g} samples, when it alarms at its first decision, e.g. right after its "
            "burn-in); choose a larger arl."
        )
    lo, hi = 0, top  # crit(lo) < target <= crit(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if crit(mid) >= target:
            hi = mid
        else:
            lo = mid
    return S.pick_level(*passages.interval(hi))


# --- fast path: per-window false-positive rate ---------------------------------------------


def window_counts(runs: list[S.RunSummary], h: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.array([r.decisions.size for r in runs], dtype=np.float64)
    c = np.array([np.count_nonzero(r.decisions > h) for r in runs], dtype=np.float64)
    return c, n


def window_fpr_interval(counts: np.ndarray, sizes: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Pooled rate and its Korn-Graubard interval (Clopper-Pearson on the effective sample size).

    Runs are independent clusters of possibly correlated windows (overlapping windows, a
    shared reference): the design effect ``deff`` (cluster variance of the ratio estimate
    over its binomial variance, at least 1) shrinks the sample size to ``N / deff`` before
    the exact binomial interval is taken.

    Examples
    --------
    >>> p, low, high = window_fpr_interval(np.array([1.0, 0.0, 2.0]), np.array([100.0, 100.0, 100.0]), 0.95)
    >>> p, bool(low < p < high)
    (0.01, True)
    """
    from scipy.stats import beta

    total = float(sizes.sum())
    x = float(counts.sum())
    if total <= 0:
        return math.nan, math.nan, math.nan
    p = x / total
    deff = 1.0
    r = counts.size
    if 0.0 < p < 1.0 and r > 1:
        resid = counts - p * sizes
        var_cluster = r / (r - 1) * float(np.sum(resid ** 2)) / total ** 2
        var_binom = p * (1.0 - p) / total
        deff = max(1.0, var_cluster / var_binom)
    n_eff = total / deff
    x_eff = p * n_eff
    a = 1.0 - confidence
    low = float(beta.ppf(a / 2, x_eff, n_eff - x_eff + 1)) if x_eff > 0 else 0.0
    high = float(beta.ppf(1 - a / 2, x_eff + 1, n_eff - x_eff)) if x_eff < n_eff else 1.0
    return p, low, high


def solve_window_fpr(runs: list[S.RunSummary], target: float, confidence: float, conservative: bool) -> float:
    pooled = np.concatenate([r.decisions for r in runs]) if runs else np.empty(0)
    finite = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        raise ValueError("the detector took no decision on any null run (its trace is all NaN): lengthen "
                         "run_length beyond its burn-in and window, or check the detector.")
    levels = np.unique(finite)
    n_total = pooled.size
    # count of decisions strictly above each level: interval i = [levels[i-1], levels[i])
    above = n_total - np.searchsorted(np.sort(pooled), levels, side="right")
    counts = np.concatenate(([n_total - int(np.sum(np.isneginf(pooled)))], above))

    def meets(i: int) -> bool:
        if not conservative or i == 0:
            return counts[i] / n_total <= target
        lo, hi = _interval(levels, i)
        c, n = window_counts(runs, S.pick_level(lo, hi))
        return window_fpr_interval(c, n, confidence)[2] <= target

    # counts are non-increasing in i: the first i that meets the budget, by bisection
    lo_i, hi_i = 0, levels.size
    if not meets(hi_i):
        raise ValueError(
            f"window_fpr={target:g} cannot be shown on these null runs ({n_total} windows"
            + (", confidence bound" if conservative else "") + "): increase n_runs or run_length."
        )
    while lo_i < hi_i:
        mid = (lo_i + hi_i) // 2
        if meets(mid):
            hi_i = mid
        else:
            lo_i = mid + 1
    if hi_i == 0:
        raise ValueError(f"window_fpr={target:g} is met even when every window alarms; choose a smaller target.")
    return S.pick_level(*_interval(levels, hi_i))


def _interval(levels: np.ndarray, i: int) -> tuple[float, float]:
    lo = float(levels[i - 1]) if i > 0 else -np.inf
    hi = float(levels[i]) if i < levels.size else np.inf
    return lo, hi


# --- slow path: bisection over the parameter ------------------------------------------------


def first_alarm(detector: Any, signal: np.ndarray) -> int:
    """Position of the first alarm (-1 if none), running in growing chunks and stopping early.

    ``run`` on consecutive chunks gives the alarms of one ``run`` over the whole signal (the
    protocol guarantees it), so this is exact; it only skips the work after the first alarm.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> x = np.concatenate([np.zeros(5000), np.full(10, 3.0)])
    >>> first_alarm(CUSUM(mean=0.0, std=1.0), x)
    5002
    """
    detector.reset()
    pos, chunk, n = 0, 1024, signal.shape[0]
    while pos < n:
        alarms = detector.run(signal[pos:pos + chunk])
        if len(alarms):
            return pos + int(np.asarray(alarms.indices)[0])
        pos += chunk
        chunk = min(chunk * 2, 1 << 16)
    return -1


def _run_lengths_chunk(detector: Any, scenario: Any, seeds: list) -> list[tuple[int, bool]]:
    out = []
    for ss in seeds:
        stream = scenario.generate(seed=ss)
        if stream.drifts:
            raise ValueError(f"the null scenario generated a stream with drift {stream.drifts[0]}; "
                             "pass a stationary scenario.")
        a = first_alarm(detector, stream.signal)
        out.append((a + 1, False) if a >= 0 else (stream.n_samples, True))
    return out


class _Transform:
    """Monotone map of the parameter to a scale where bisection is natural (log, logit, identity)."""

    def __init__(self, info: S.ThresholdInfo):
        unknown = info.lo == -np.inf and info.hi == np.inf  # no annotated bounds (e.g. an adapter)
        self.kind = "identity"
        if (info.lo >= 0.0 and info.hi == 1.0) or (unknown and info.direction == "below" and 0.0 < info.value < 1.0):
            self.kind = "logit"  # a probability-like level (alpha, delta, confidence)
        elif info.lo >= 0.0 or (unknown and info.value > 0.0):
            self.kind = "log"
        self.sign = 1.0 if info.direction == "above" else -1.0  # x grows with the ARL

    def to_x(self, v: float) -> float:
        if self.kind == "log":
            u = math.log(v)
        elif self.kind == "logit":
            u = math.log(v) - math.log1p(-v)
        else:
            u = v
        return self.sign * u

    def to_v(self, x: float) -> float:
        u = self.sign * x
        if self.kind == "log":
            return math.exp(u)
        if self.kind == "logit":
            return 1.0 / (1.0 + math.exp(-u))
        return u


def bisect(detector: Any, info: S.ThresholdInfo, scenario: Any, seeds: list, target: float,
            confidence: float, conservative: bool, n_jobs: int, progress: bool) -> tuple[float, dict[str, Any]]:
    tr = _Transform(info)
    cache: dict[float, dict[str, Any]] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=MAX_EVALUATIONS, desc="bisection", unit="eval")

    def evaluate(x: float) -> dict[str, Any]:
        if x in cache:
            return cache[x]
        if len(cache) >= MAX_EVALUATIONS:
            raise RuntimeError(f"bisection stopped after {MAX_EVALUATIONS} evaluations without bracketing "
                               f"arl={target:g}; start from a value of {info.param} closer to the answer.")
        v = tr.to_v(x)
        det = S.with_param(detector, info.param, v)
        if n_jobs == 1:
            pairs = _run_lengths_chunk(det, scenario, seeds)
        else:
            from joblib import Parallel, delayed, effective_n_jobs

            size = max(1, -(-len(seeds) // (4 * effective_n_jobs(n_jobs))))
            parts = Parallel(n_jobs=n_jobs)(delayed(_run_lengths_chunk)(det, scenario, seeds[i:i + size])
                                            for i in range(0, len(seeds), size))
            pairs = [p for part in parts for p in part]
        est = average_run_length(lengths=[p[0] for p in pairs], censored=[p[1] for p in pairs],
                                 confidence=confidence)
        res = {"value": v, "events": est.n_events, "estimate": est.estimate, "ci_low": est.ci_low,
               "ci_high": est.ci_high, "dispersion": est.dispersion}
        res["crit"] = res["ci_low"] if conservative else res["estimate"]
        cache[x] = res
        if bar is not None:
            bar.update(1)
        return res

    try:
        x0 = tr.to_x(info.value)
        step = math.log(4.0) if tr.kind != "identity" else max(1.0, abs(info.value))
        edge = 40.0 if tr.kind != "identity" else 1e12  # beyond: the parameter saturates

        def out_of_reach(x: float, below: bool) -> ValueError:
            return ValueError(
                f"{info.param} reached the edge of its range ({tr.to_v(x):.6g}) with the estimated ARL still "
                f"{'at or above' if below else 'below'} arl={target:g}: the target is out of this detector's reach "
                "on this null" + ("" if below else "; or increase n_runs or run_length") + "."
            )

        if evaluate(x0)["crit"] >= target:
            hi, lo = x0, x0 - step
            while evaluate(lo)["crit"] >= target:
                if abs(lo) > edge:
                    raise out_of_reach(lo, True)
                hi, step = lo, step * 2
                lo = hi - step
        else:
            lo, hi = x0, x0 + step
            while evaluate(hi)["crit"] < target:
                if abs(hi) > edge:
                    raise out_of_reach(hi, False)
                lo, step = hi, step * 2
                hi = lo + step
        tol = X_TOLERANCE if tr.kind != "identity" else X_TOLERANCE * max(1.0, abs(hi))
        while hi - lo > tol and len(cache) < MAX_EVALUATIONS:
            mid = lo + (hi - lo) / 2
            if evaluate(mid)["crit"] >= target:
                hi = mid
            else:
                lo = mid
    finally:
        if bar is not None:
            bar.close()
    best = cache[hi]
    return best["value"], best
