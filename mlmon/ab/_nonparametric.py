"""Distribution-free A/B tests: Mann-Whitney with the Hodges-Lehmann shift, and the bootstrap.

The Hodges-Lehmann shift and its Lehmann-Moses interval are order statistics of the ``n_c
n_t`` pairwise differences ``treatment_j - control_i``. They are found without forming the
differences: a selection over the implicit sorted matrix of differences whose pivots come from
a sample of the remaining candidates (Floyd-Rivest), each pass counting the differences below
a pivot with one ``searchsorted`` per row. It is exact (the answer is one of the computed
differences, or the mean of two for an even count) and takes well under a second for 1e5
values an arm.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Annotated, Any, Callable, Literal

import annotated_types as at
import numpy as np

from mlmon.ab._fixed import Alternative, Confidence, check_params, sample
from mlmon.ab._result import ABResult

__all__ = ["bootstrap", "mann_whitney"]

_DIRECT = 1 << 21  # at most this many differences: form them and partition
_SAMPLE = 1 << 15  # candidates sampled per selection pass
_EXACT_CI = 2500  # largest n_c * n_t whose interval uses the exact null distribution of U


# --- order statistics of the pairwise differences --------------------------------------------


def _runs(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each index of sorted ``c``, where its run of equal values starts and ends."""
    new = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    lengths = np.diff(np.r_[new, c.shape[0]])
    start = np.repeat(new, lengths)
    return start, start + np.repeat(lengths, lengths)


def _first_index(t: np.ndarray, c: np.ndarray, runs: tuple[np.ndarray, np.ndarray],
                 pivot: float, strict: bool) -> np.ndarray:
    """Per row ``i``, the first ``j`` with ``t[i] - c[j] < pivot`` (``<=`` unless ``strict``).

    ``c`` is sorted ascending, so each row ``t[i] - c`` is non-increasing; ``searchsorted``
    finds the boundary in exact arithmetic and a fix-up pass moves it, a run of equal ``c``
    values at a time, to where the *computed* differences change side (they can differ by an
    ulp from the exact ones).
    """
    m = c.shape[0]
    start, end = runs
    cmp = np.less if strict else np.less_equal
    s = np.searchsorted(c, t - pivot, side="right" if strict else "left")
    while True:
        prev, here = np.maximum(s - 1, 0), np.minimum(s, m - 1)
        left = (s > 0) & cmp(t - c[prev], pivot)
        right = (s < m) & ~cmp(t - c[here], pivot)
        if not (left.any() or right.any()):
            return s
        s = np.where(left, start[prev], np.where(right, end[here], s))


def pairwise_order_statistics(t: np.ndarray, c: np.ndarray, ranks: list[int],
                              seed: int = 0) -> list[float]:
    """The ``ranks`` (0-based) order statistics of all differences ``t[j] - c[i]``.

    ``t`` and ``c`` must be sorted ascending. The pivots are random (``seed``), the answer is
    not.

    Examples
    --------
    >>> import numpy as np
    >>> t, c = np.array([1.0, 4.0, 6.0]), np.array([0.0, 2.0])
    >>> pairwise_order_statistics(t, c, [0, 2, 5])
    [-1.0, 2.0, 6.0]
    """
    n, m = t.shape[0], c.shape[0]
    if n * m <= _DIRECT:
        diffs = np.subtract.outer(t, c).ravel()
        part = np.partition(diffs, sorted(set(ranks)))
        return [float(part[k]) for k in ranks]
    found = {k: _select(t, c, k, np.random.default_rng(seed)) for k in set(ranks)}
    return [found[k] for k in ranks]


def _select(t: np.ndarray, c: np.ndarray, k: int, rng: np.random.Generator) -> float:
    n, m = t.shape[0], c.shape[0]
    # Row i, position p in [0, m): the difference t[i] - c[m - 1 - p], non-decreasing in p.
    # Candidates of row i are positions [lo[i], hi[i]); lo.sum() differences lie below them.
    lo, hi = np.zeros(n, dtype=np.int64), np.full(n, m, dtype=np.int64)
    rows = np.arange(n)
    runs = _runs(c)
    while True:
        size = hi - lo
        total = int(size.sum())
        r = k - int(lo.sum())
        if total <= _DIRECT:
            row = np.repeat(rows, size)
            start = np.cumsum(size) - size
            pos = lo[row] + np.arange(total) - np.repeat(start, size)
            vals = t[row] - c[m - 1 - pos]
            return float(np.partition(vals, r)[r])
        draw = np.sort(rng.integers(0, total, _SAMPLE))
        ends = np.cumsum(size)
        row = np.searchsorted(ends, draw, side="right")
        pos = lo[row] + draw - (ends[row] - size[row])
        vals = np.sort(t[row] - c[m - 1 - pos])
        q = r / total
        g = 4.0 * math.sqrt(_SAMPLE * q * (1.0 - q)) + 2.0
        pivots = (vals[max(int(q * _SAMPLE - g), 0)], vals[min(int(q * _SAMPLE + g), _SAMPLE - 1)])
        for pivot in pivots:
            below = np.clip(m - _first_index(t, c, runs, pivot, strict=True), lo, hi)
            if k < int(below.sum()):
                hi = below
                break
            upto = np.clip(m - _first_index(t, c, runs, pivot, strict=False), lo, hi)
            if k < int(upto.sum()):
                return float(pivot)
            lo = upto


@functools.lru_cache(maxsize=64)
def u_distribution(n: int, m: int) -> np.ndarray:
    """Null distribution ``P(U = u)``, ``u = 0 .. n m``, of the Mann-Whitney U of untied samples.

    Examples
    --------
    >>> (u_distribution(2, 2) * 6).round(12).tolist()
    [1.0, 1.0, 2.0, 1.0, 1.0]
    """
    n, m = min(n, m), max(n, m)
    prev = [np.ones(1) for _ in range(m + 1)]  # sizes (0, j): U = 0
    for i in range(1, n + 1):
        cur = [np.ones(1)]  # sizes (i, 0)
        for j in range(1, m + 1):
            # the largest value is one of the i (U gains j) or one of the j (U gains 0)
            out = np.zeros(i * j + 1)
            out[j:] += i / (i + j) * prev[j]
            out[: i * (j - 1) + 1] += j / (i + j) * cur[j - 1]
            cur.append(out)
        prev = cur
    out = prev[m]
    out.flags.writeable = False
    return out


def _ci_rank(n: int, m: int, tail: float) -> tuple[int, str, float]:
    """The 1-based rank ``k`` of the lower end of the Lehmann-Moses interval: the largest ``k``
    with ``P(U <= k - 1) <= tail``, 0 when none; how; the achieved tail probability."""
    if n * m <= _EXACT_CI:
        cdf = np.cumsum(u_distribution(n, m))
        k = int(np.searchsorted(cdf, tail * (1.0 + 1e-12), side="right"))
        return k, "exact", float(cdf[k - 1]) if k > 0 else 0.0
    from scipy.special import ndtr, ndtri

    mu, sigma = n * m / 2.0, math.sqrt(n * m * (n + m + 1) / 12.0)
    k = max(int(math.floor(mu - 0.5 + sigma * float(ndtri(tail)))) + 1, 0)
    return k, "normal", float(ndtr((k - 0.5 - mu) / sigma)) if k > 0 else 0.0


def mann_whitney(control: Any, treatment: Any, *, confidence: Confidence = 0.95,
                 alternative: Alternative = "two-sided",
                 method: Literal["auto", "exact", "asymptotic"] = "auto",
                 use_continuity: bool = True) -> ABResult:
    """Mann-Whitney U test with the Hodges-Lehmann shift and its Lehmann-Moses interval.

    The rank test canary-analysis systems use to compare a canary's metrics with the
    baseline's without assuming a distribution. The p-value is
    ``scipy.stats.mannwhitneyu(treatment, control, alternative=..., method=...,
    use_continuity=...)``'s. The effect is the Hodges-Lehmann shift, the median of the
    ``n_c n_t`` differences ``treatment_j - control_i``: the shift estimate that goes with the
    rank test, robust to outliers. Its interval (Lehmann 1963, Moses) runs between the ``k``-th
    smallest and ``k``-th largest difference, ``k`` the largest rank with ``P(U <= k - 1) <=
    (1 - confidence) / 2`` under the null: for continuous data it covers the true shift of a
    location-shift model with probability exactly ``details["ci_coverage"]``, the level the
    integer rank achieves (at least ``confidence``). The null distribution of U is exact when
    ``n_c n_t <= 2500``; above, ``k`` and ``ci_coverage`` come from its normal approximation
    with continuity correction (the coverage then agrees with ``confidence`` to well under a
    point). With very small arms no finite interval reaches ``confidence``; the interval is
    then infinite. Ties make the interval conservative.

    Parameters
    ----------
    control, treatment
        The two samples (finite numbers, at least one each).
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment tends to larger values) or ``"less"``; a
        one-sided alternative gives a one-sided interval.
    method
        p-value method, as in scipy: ``"auto"`` (exact when one arm has at most 8 values and
        there are no ties), ``"exact"`` or ``"asymptotic"`` (normal, tie-corrected).
    use_continuity
        Continuity correction of the asymptotic p-value.

    Returns
    -------
    ABResult
        ``test="mann_whitney"``, ``effect_name="hodges_lehmann_shift"``, ``method`` the
        p-value's (``"exact"`` or ``"asymptotic"``); ``control`` and ``treatment`` are the
        arms' medians; ``details`` holds ``u`` (scipy's U of the treatment),
        ``prob_superiority`` (``U / (n_c n_t)``, the chance a treatment value beats a control
        value, ties counting half), ``ci_method`` (``"exact"`` or ``"normal"``), ``ci_rank``
        and ``ci_coverage``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import mann_whitney
    >>> rng = np.random.default_rng(0)
    >>> r = mann_whitney(rng.normal(0.0, 1.0, 200), rng.normal(0.5, 1.0, 200))
    >>> r.pvalue < 0.001, round(r.estimate, 1), r.contains(0.5)
    (True, 0.4, True)
    """
    owner = "mann_whitney"
    check_params(owner, mann_whitney, confidence=confidence, alternative=alternative,
                 method=method, use_continuity=use_continuity)
    c = np.sort(sample(control, owner, "control", min_length=1))
    t = np.sort(sample(treatment, owner, "treatment", min_length=1))
    n_c, n_t = c.shape[0], t.shape[0]
    from scipy import stats

    res = stats.mannwhitneyu(t, c, alternative=alternative, method=method,
                             use_continuity=use_continuity)
    if method == "auto":
        ties = np.unique(np.concatenate([c, t])).shape[0] < n_c + n_t
        method = "asymptotic" if (n_c > 8 and n_t > 8) or ties else "exact"
    n_pairs = n_c * n_t
    tail = (1.0 - confidence) / (2.0 if alternative == "two-sided" else 1.0)
    k, ci_method, achieved = _ci_rank(n_c, n_t, tail)
    ranks = [(n_pairs - 1) // 2, n_pairs // 2]
    if k > 0:
        ranks += [k - 1, n_pairs - k]
    order = pairwise_order_statistics(t, c, ranks)
    estimate = (order[0] + order[1]) / 2.0
    low, high = (order[2], order[3]) if k > 0 else (-math.inf, math.inf)
    if alternative == "greater":
        high = math.inf
    elif alternative == "less":
        low = -math.inf
    sides = 2.0 if alternative == "two-sided" else 1.0
    details = {"u": float(res.statistic), "prob_superiority": float(res.statistic) / n_pairs,
               "ci_method": ci_method, "ci_rank": k, "ci_coverage": 1.0 - sides * achieved}
    return ABResult(test="mann_whitney", estimate=float(estimate), ci_low=float(low),
                    ci_high=float(high), pvalue=float(res.pvalue),
                    effect_name="hodges_lehmann_shift", confidence=float(confidence),
                    alternative=alternative, n_control=n_c, n_treatment=n_t,
                    control=float(np.median(c)), treatment=float(np.median(t)), method=method,
                    details=details)


# --- bootstrap -------------------------------------------------------------------------------

_CHUNK = 1 << 22  # values resampled per batch
_JACKKNIFE_GROUPS = 2000  # arms above this size get a grouped (delete-d) jackknife


def _applier(statistic: Callable[..., Any], vectorized: bool) -> Callable[[np.ndarray], np.ndarray]:
    def apply(rows: np.ndarray) -> np.ndarray:
        if vectorized:
            out = np.asarray(statistic(rows, axis=-1), dtype=float)
        else:
            out = np.asarray([statistic(row) for row in rows], dtype=float)
        if out.shape != (rows.shape[0],):
            raise TypeError(f"bootstrap: statistic must return one number per sample, got an "
                            f"array of shape {out.shape} for {rows.shape[0]} samples"
                            + ("; pass vectorized=False if it has no axis argument."
                               if vectorized else "."))
        return out
    return apply


def _resample(x: np.ndarray, apply: Callable[[np.ndarray], np.ndarray], n_resamples: int,
              rng: np.random.Generator) -> np.ndarray:
    n = x.shape[0]
    per = max(1, _CHUNK // n)
    out = []
    for start in range(0, n_resamples, per):
        rows = min(per, n_resamples - start)
        out.append(apply(x[rng.integers(0, n, (rows, n))]))
    return np.concatenate(out)


def _jackknife(x: np.ndarray, apply: Callable[[np.ndarray], np.ndarray],
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The statistic with each observation (or, for large arms, each of ``_JACKKNIFE_GROUPS``
    random groups) left out, and the size of what was left out."""
    n = x.shape[0]
    if n > _JACKKNIFE_GROUPS:
        x = x[rng.permutation(n)]
    bounds = np.linspace(0, n, min(n, _JACKKNIFE_GROUPS) + 1).round().astype(np.int64)
    starts, sizes = bounds[:-1], np.diff(bounds)
    values = np.empty(starts.shape[0])
    for d in np.unique(sizes):
        which = np.flatnonzero(sizes == d)
        keep = np.arange(n - d)
        per = max(1, _CHUNK // n)
        for i in range(0, which.shape[0], per):
            w = which[i:i + per]
            idx = keep[None, :] + d * (keep[None, :] >= starts[w][:, None])
            values[w] = apply(x[idx])
    return values, sizes


def bootstrap(control: Any, treatment: Any, *, statistic: Callable[..., Any] = np.mean,
              n_resamples: Annotated[int, at.Ge(100)] = 2000,
              method: Literal["percentile", "bca"] = "percentile",
              confidence: Confidence = 0.95, alternative: Alternative = "two-sided",
              relative: bool = False, vectorized: bool | None = None,
              seed: int | np.random.SeedSequence | None = None) -> ABResult:
    """Bootstrap interval and p-value for the difference of any statistic of two arms.

    Each arm is resampled with replacement on its own (``n_resamples`` times, in vectorised
    batches); the effect ``statistic(treatment) - statistic(control)`` (or their ratio minus
    one) is recomputed on every pair of resamples.

    - ``"percentile"``: the interval is the replicates' quantiles.
    - ``"bca"``: Efron's bias-corrected and accelerated interval (Efron & Tibshirani 1993,
      ch. 14), second-order accurate: the bias correction ``z0`` is the normal quantile of the
      share of replicates below the estimate (ties counting half), the acceleration ``a`` the
      skewness of the jackknife influence values of both arms (their sum, as in
      ``scipy.stats.bootstrap``). Arms above 2,000 values are jackknifed in 2,000 random
      groups (delete-d jackknife) instead of one value at a time, whose cost grows with the
      square of the arm.

    The p-value inverts the interval: the one-sided p-value is the level at which the
    interval's end reaches 0 (for the percentile method, the share of replicates at or beyond
    0, ties counting half, with half a replicate added so that it is never 0); the two-sided
    one is twice the smaller of the two, so ``pvalue < 1 - confidence`` exactly when the
    two-sided interval excludes 0, up to one replicate. It resolves down to about
    ``1 / (2 n_resamples)``.

    Parameters
    ----------
    control, treatment
        The two samples (finite numbers, at least 2 each).
    statistic
        A function of one sample returning a number (``np.mean``, ``np.median``, a
        percentile...). With an ``axis`` argument it is called on a batch of resamples at once.
    n_resamples
        Bootstrap replicates (at least 100; 2,000 or more for a 95% interval).
    method
        ``"percentile"`` or ``"bca"``.
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment statistic higher) or ``"less"``.
    relative
        Report ``statistic(treatment) / statistic(control) - 1``.
    vectorized
        Whether ``statistic`` takes ``axis``; ``None`` reads it from its signature.
    seed
        Seed of the resampling.

    Returns
    -------
    ABResult
        ``test="bootstrap"``, ``method`` the interval method; ``control`` and ``treatment``
        are the statistic of each arm; ``details`` holds ``statistic`` (its name),
        ``n_resamples``, the replicates' ``se`` and ``bias``, and for BCa ``z0``,
        ``acceleration`` and ``jackknife``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import bootstrap
    >>> rng = np.random.default_rng(0)
    >>> c, t = rng.exponential(1.0, 1000), rng.exponential(1.3, 1000)
    >>> r = bootstrap(c, t, statistic=np.median, n_resamples=1000, seed=0)
    >>> r.effect_name, r.pvalue < 0.05, r.ci_low < r.estimate < r.ci_high
    ('difference_of_median', True, True)
    >>> bootstrap(c, t, method="bca", n_resamples=1000, seed=0).contains(0.3)
    True
    """
    owner = "bootstrap"
    check_params(owner, bootstrap, n_resamples=n_resamples, method=method,
                 confidence=confidence, alternative=alternative, relative=relative,
                 vectorized=vectorized, seed=seed)
    if not callable(statistic):
        raise TypeError(f"{owner}: statistic must be a function of one sample (e.g. np.median), "
                        f"got {statistic!r}.")
    c, t = sample(control, owner, "control"), sample(treatment, owner, "treatment")
    if vectorized is None:
        try:
            vectorized = "axis" in inspect.signature(statistic).parameters
        except (TypeError, ValueError):
            vectorized = False
    apply = _applier(statistic, vectorized)
    s_c, s_t = float(apply(c[None, :])[0]), float(apply(t[None, :])[0])

    def effect(sc: Any, st: Any) -> Any:
        return st / sc - 1.0 if relative else st - sc

    if relative and s_c == 0.0:
        raise ValueError(f"{owner}: relative=True divides by the control's statistic, which is "
                         "0; report the difference (relative=False) instead.")
    estimate = float(effect(s_c, s_t))
    if not math.isfinite(estimate):
        raise ValueError(f"{owner}: statistic gave a non-finite effect ({estimate}) on the data; "
                         "check the statistic and the samples.")
    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = effect(_resample(c, apply, n_resamples, rng), _resample(t, apply, n_resamples, rng))
    bad = int(np.sum(~np.isfinite(reps)))
    if bad:
        raise ValueError(f"{owner}: the effect was not finite on {bad} of {n_resamples} "
                         "resamples (a statistic of 0 under relative=True, or a statistic "
                         "undefined on some resamples); use a statistic defined on every "
                         "resample or relative=False.")
    from scipy.special import ndtr, ndtri

    name = getattr(statistic, "__name__", "")
    name = name if name.isidentifier() else "statistic"
    details: dict[str, Any] = {"statistic": name, "n_resamples": n_resamples,
                               "se": float(np.std(reps, ddof=1)),
                               "bias": float(np.mean(reps) - estimate)}
    half = 0.5 / (n_resamples + 1)
    z0 = a = 0.0
    if method == "bca":
        share = (np.sum(reps < estimate) + 0.5 * np.sum(reps == estimate)) / n_resamples
        z0 = float(ndtri(np.clip(share, half, 1.0 - half)))
        num = den = 0.0
        for x, jack_of in ((c, lambda v: effect(v, s_t)), (t, lambda v: effect(s_c, v))):
            values, sizes = _jackknife(x, apply, rng)
            jack = jack_of(values)
            v = (np.mean(jack) - jack) * (x.shape[0] - sizes) / x.shape[0]
            num, den = num + float(np.sum(v**3)), den + float(np.sum(v**2))
        a = num / (6.0 * den**1.5) if den > 0 else 0.0
        groups = min(max(c.shape[0], t.shape[0]), _JACKKNIFE_GROUPS)
        details.update(z0=z0, acceleration=a, jackknife="leave-one-out"
                       if max(c.shape[0], t.shape[0]) <= _JACKKNIFE_GROUPS
                       else f"grouped ({groups} groups)")

    def level(tail: float) -> float:  # replicate quantile level of the BCa (or percentile) end
        z = z0 + float(ndtri(tail))
        if 1.0 - a * z <= 0:  # past the pole of the transform: the limit from this side
            return 1.0 if z > 0 else 0.0
        return float(ndtr(z0 + z / (1.0 - a * z)))

    tail = (1.0 - confidence) / (2.0 if alternative == "two-sided" else 1.0)
    low, high = float(np.quantile(reps, level(tail))), float(np.quantile(reps, level(1.0 - tail)))
    if alternative == "greater":
        high = math.inf
    elif alternative == "less":
        low = -math.inf
    # invert the lower end: the tail at which it reaches 0
    q0 = (np.sum(reps < 0.0) + 0.5 * np.sum(reps == 0.0) + 0.5) / (n_resamples + 1)
    w = float(ndtri(q0)) - z0
    p_greater = float(ndtr(w / (1.0 + a * w) - z0)) if 1.0 + a * w > 0 else float(w > 0)
    p_greater = min(max(p_greater, half), 1.0 - half)
    pvalue = {"greater": p_greater, "less": 1.0 - p_greater,
              "two-sided": min(1.0, 2.0 * min(p_greater, 1.0 - p_greater))}[alternative]
    return ABResult(test="bootstrap", estimate=estimate, ci_low=low, ci_high=high, pvalue=pvalue,
                    effect_name="relative_difference" if relative else f"difference_of_{name}",
                    confidence=float(confidence), alternative=alternative,
                    n_control=int(c.shape[0]), n_treatment=int(t.shape[0]), control=s_c,
                    treatment=s_t, method=method, details=details)
