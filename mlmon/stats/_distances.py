"""Distances between a current and a reference sample: PSI, KL, Jensen-Shannon, Hellinger
and (normalised) Wasserstein, with optional permutation p-values.

Binned distances compare proportions per bin: for numeric samples the bins are the
reference's quantile bins of :func:`mlmon.runtime._windowed.psi_edges` (the bins of the PSI
detector: interior edges at the reference's ``k / n_bins`` quantiles, duplicates dropped, so
discrete data get one bin per distinct value at most); for categorical samples they are the
categories seen in either sample. With ``a_i`` the current sample's proportion in bin ``i``
and ``e_i`` the reference's:

- ``psi``: ``sum (a'_i - e'_i) ln(a'_i / e'_i)``, where ``'`` raises proportions below
  ``PSI_EPSILON = 1e-4`` (empty bins) to ``1e-4`` without renormalising, exactly as the PSI
  detector does;
- ``kl``: ``D(current || reference) = sum a'_i ln(a'_i / e'_i)`` (nats), with the same
  flooring (clipped at 0);
- ``js``: the Jensen-Shannon *distance* in base 2 (the square root of the divergence, between
  0 and 1), ``scipy.spatial.distance.jensenshannon(a, e, base=2)``; empty bins need no
  smoothing;
- ``hellinger``: ``sqrt(sum (sqrt a_i - sqrt e_i)^2 / 2)``, between 0 and 1.

Without ``n_permutations`` a distance has no p-value (``pvalue=None``, ``method="none"``).
With ``n_permutations = B > 0`` the pooled sample is split at random ``B`` times, the
distance recomputed on each split (bins recomputed from each permuted reference, so the
statistic is the same function of the data every time) and the p-value is
``(1 + #{permuted >= observed}) / (B + 1)``, valid at every level. Each permutation is a
uniformly drawn reference subset of the pooled sample; all those of a chunk are evaluated
in one array pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon.runtime._windowed import PSI_EPSILON, psi_bins, psi_edges
from mlmon.stats._categorical import category_counts, check_labels
from mlmon.stats._continuous import check_choice, check_count, numeric_pair
from mlmon.stats._result import TestResult

__all__ = ["hellinger", "js_divergence", "kl_divergence", "psi", "wasserstein"]

#: Binned measures and the ``effect_name`` each reports.
BINNED = {"psi": "psi", "kl": "kl_divergence", "js": "js_distance",
          "hellinger": "hellinger_distance"}
_LN2 = math.log(2.0)
# Largest number of pooled values materialised at once by the permutation loops.
_CHUNK_VALUES = 1 << 22


def bin_terms(measure: str, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Per-bin term of a binned measure, from current (``a``) and reference (``e``) proportions.

    Examples
    --------
    >>> bin_terms("hellinger", np.array([0.25]), np.array([1.0])).tolist()
    [0.125]
    """
    if measure in ("psi", "kl"):
        af, ef = np.maximum(a, PSI_EPSILON), np.maximum(e, PSI_EPSILON)
        return (af - ef) * np.log(af / ef) if measure == "psi" else af * np.log(af / ef)
    if measure == "js":
        mid = (a + e) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.where(a > 0, a * np.log(a / mid), 0.0)
            right = np.where(e > 0, e * np.log(e / mid), 0.0)
        return left + right
    if measure == "hellinger":
        return (np.sqrt(a) - np.sqrt(e)) ** 2 / 2.0
    raise ValueError(f"unknown binned measure {measure!r}; use one of {sorted(BINNED)}.")


def finish(measure: str, total: np.ndarray) -> np.ndarray:
    """The measure from its summed terms (square roots for JS and Hellinger)."""
    if measure == "js":
        return np.sqrt(np.maximum(total / (2.0 * _LN2), 0.0))
    if measure == "hellinger":
        return np.sqrt(np.maximum(total, 0.0))
    return np.maximum(total, 0.0)


def sum_bins(terms: np.ndarray) -> np.ndarray:
    """Terms added over the last axis left to right (as ``psi_sum``: same bits in any batch)."""
    total = terms[..., 0]
    for i in range(1, terms.shape[-1]):
        total = total + terms[..., i]
    return total


def binned_value(measure: str, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The measure of each row of proportions ``a`` against ``e``."""
    return finish(measure, sum_bins(bin_terms(measure, a, e)))


def _is_numeric(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return False
    try:
        arr = np.asarray(x)
    except Exception:
        return False
    return arr.dtype.kind in "iuf"


def _kind(owner: str, kind: str, reference: Any, current: Any) -> str:
    check_choice(owner, "kind", kind, ("auto", "numeric", "categorical"))
    if kind != "auto":
        return kind
    return "numeric" if _is_numeric(reference) and _is_numeric(current) else "categorical"


def _bin_rows(ref_levels: np.ndarray, level_counts: np.ndarray,
              n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference-quantile bin counts of splits given by per-level reference counts.

    ``ref_levels`` is ``(b, L)``: how many of each split's reference values sit at each of the
    ``L`` sorted distinct pooled values, whose pooled counts are ``level_counts``. Each row's
    edges are the order statistics of its reference that ``np.quantile(...,
    method="inverted_cdf")`` picks; bin ``i`` holds the values in ``(edge_{i-1}, edge_i]``.
    Duplicated edges make bins empty in both samples; they add exact zeros to every measure,
    so the values equal those with duplicates dropped (as :func:`psi_edges` does). Returns
    the reference's and the current sample's bin counts.
    """
    b, n_levels = ref_levels.shape
    m = int(ref_levels[0].sum())
    probs = np.arange(1, n_bins, dtype=np.float64) / n_bins
    # the 0-based order statistic numpy's inverted_cdf quantile takes for each probability
    picks = np.quantile(np.arange(m), probs, method="inverted_cdf").astype(np.int64)
    rows = np.arange(b, dtype=np.int64)[:, None]
    ref_cum = np.cumsum(ref_levels, axis=1)
    all_cum = np.cumsum(level_counts)
    # edge level: the smallest level whose cumulative reference count exceeds the pick
    flat = (ref_cum + rows * (m + 1)).ravel()
    edges = np.searchsorted(flat, (picks + 1)[None, :] + rows * (m + 1), side="left")
    edges = edges - rows * n_levels
    zero = np.zeros((b, 1), dtype=np.int64)
    ref_c = np.diff(np.concatenate([zero, np.take_along_axis(ref_cum, edges, axis=1),
                                    ref_cum[:, -1:]], axis=1), axis=1)
    all_c = np.diff(np.concatenate([zero, all_cum[edges], np.broadcast_to(all_cum[-1:], (b, 1))],
                                   axis=1), axis=1)
    return ref_c, all_c - ref_c


def _permutation_pvalue(stat_rows, level_counts: np.ndarray, observed_levels: np.ndarray,
                        n_permutations: int, seed: int | None) -> float:
    """``(1 + #{permuted >= observed}) / (B + 1)`` over ``B`` random splits of the pooled sample.

    A split of the pooled sample into a reference of ``m`` values and the rest, drawn
    uniformly, gives the reference a multivariate hypergeometric number of values at each
    distinct pooled value (``level_counts``); only these counts are drawn. ``stat_rows`` maps
    ``(b, L)`` reference counts to the statistic of each split; ``observed_levels`` are the
    observed reference's counts.
    """
    observed = float(stat_rows(observed_levels[None, :])[0])
    m = int(observed_levels.sum())
    total, n_levels = int(level_counts.sum()), level_counts.shape[0]
    # "marginals" costs about 4x more per level than "count" per value
    how = "marginals" if 4 * n_levels < total else "count"
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_VALUES // n_levels)
    hits, done = 0, 0
    while done < n_permutations:
        b = min(chunk, n_permutations - done)
        ref_levels = rng.multivariate_hypergeometric(level_counts, m, size=b, method=how)
        hits += int(np.sum(stat_rows(ref_levels.astype(np.int64)) >= observed))
        done += b
    return (1.0 + hits) / (n_permutations + 1.0)


def _binned(measure: str, reference: Any, current: Any, kind: str, n_bins: int,
            n_permutations: int, seed: int | None) -> TestResult:
    owner = {"psi": "psi", "kl": "kl_divergence", "js": "js_divergence",
             "hellinger": "hellinger"}[measure]
    check_count(owner, "n_bins", n_bins, minimum=2, allow_none=False)
    check_count(owner, "n_permutations", n_permutations, minimum=0, allow_none=False)
    kind = _kind(owner, kind, reference, current)
    if kind == "numeric":
        ref, cur = numeric_pair(reference, current, owner)
        edges, expected = psi_edges(ref, n_bins)
        counts = np.bincount(psi_bins(edges, cur), minlength=edges.shape[0] + 1)
        actual = counts / float(cur.shape[0])
        level_counts = observed_levels = np.empty(0, dtype=np.int64)
        if n_permutations > 0:  # counts per distinct pooled value, for the permutations
            levels, codes = np.unique(np.concatenate([ref, cur]), return_inverse=True)
            codes = codes.reshape(-1)
            n_levels = levels.shape[0]
            level_counts = np.bincount(codes, minlength=n_levels).astype(np.int64)
            observed_levels = np.bincount(codes[: ref.shape[0]], minlength=n_levels).astype(np.int64)

        def counts_of(ref_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return _bin_rows(ref_levels, level_counts, n_bins)
    else:
        ref = check_labels(reference, "reference", owner)
        cur = check_labels(current, "current", owner)
        table = category_counts(ref, cur, owner)[2]
        expected = table[0] / float(ref.shape[0])
        actual = table[1] / float(cur.shape[0])
        level_counts = table.sum(axis=0).astype(np.int64)
        observed_levels = table[0].astype(np.int64)

        def counts_of(ref_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return ref_levels, level_counts[None, :] - ref_levels
    m, n = int(ref.shape[0]), int(cur.shape[0])
    statistic = float(binned_value(measure, actual, expected))
    pvalue, method = None, "none"
    if n_permutations > 0:
        def stat_rows(ref_levels: np.ndarray) -> np.ndarray:
            e_counts, a_counts = counts_of(ref_levels)
            return binned_value(measure, a_counts / float(n), e_counts / float(m))

        pvalue = _permutation_pvalue(stat_rows, level_counts, observed_levels, n_permutations, seed)
        method = "permutation"
    return TestResult(test=owner, statistic=statistic, pvalue=pvalue, effect_size=statistic,
                      effect_name=BINNED[measure], method=method, n_reference=m, n_current=n)


_BINNED_DOC = """
    Parameters
    ----------
    reference, current
        1-D samples: numbers (binned at the reference's quantiles) or labels (counted per
        category; missing labels refused).
    kind
        ``"auto"`` (numeric when both samples are numeric arrays or lists of numbers, else
        categorical), ``"numeric"`` or ``"categorical"`` (e.g. integer codes of categories).
    n_bins
        Number of reference-quantile bins for numeric samples (fewer with tied quantiles).
    n_permutations
        Random permutations for a p-value; 0 for none.
    seed
        Seed of the permutations.
"""


def psi(reference: Any, current: Any, *, kind: str = "auto", n_bins: int = 10,
        n_permutations: int = 0, seed: int | None = None) -> TestResult:
    """Population stability index of the current sample against the reference.

    ``sum (a'_i - e'_i) ln(a'_i / e'_i)`` over bins, proportions below ``1e-4`` (empty bins,
    or a category unseen in the reference) raised to ``1e-4`` first; for numeric samples
    the value is bit for bit that of the PSI detector on the same data. See the module
    documentation for the bins and the permutation p-value.
    {params}
    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import psi
    >>> rng = np.random.default_rng(0)
    >>> r = psi(rng.normal(size=2000), rng.normal(0.5, 1.0, 1000), n_permutations=99, seed=0)
    >>> round(r.statistic, 2), r.pvalue, r.method
    (0.23, 0.01, 'permutation')
    """
    return _binned("psi", reference, current, kind, n_bins, n_permutations, seed)


def kl_divergence(reference: Any, current: Any, *, kind: str = "auto", n_bins: int = 10,
                  n_permutations: int = 0, seed: int | None = None) -> TestResult:
    """Kullback-Leibler divergence ``D(current || reference)`` in nats, on bins.

    ``sum a'_i ln(a'_i / e'_i)``, proportions below ``1e-4`` raised to ``1e-4`` (not
    renormalised, as in PSI) so that a bin empty in the reference gives a large but finite
    value; clipped at 0.
    {params}
    Examples
    --------
    >>> from mlmon.stats import kl_divergence
    >>> r = kl_divergence(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> round(r.statistic, 4), r.pvalue
    (0.1308, None)
    """
    return _binned("kl", reference, current, kind, n_bins, n_permutations, seed)


def js_divergence(reference: Any, current: Any, *, kind: str = "auto", n_bins: int = 10,
                  n_permutations: int = 0, seed: int | None = None) -> TestResult:
    """Jensen-Shannon **distance** (base 2, between 0 and 1) between binned samples.

    The square root of the Jensen-Shannon divergence with base-2 logarithms, equal to
    ``scipy.spatial.distance.jensenshannon(a, e, base=2)``; square it for the divergence in
    bits. Empty bins need no smoothing.
    {params}
    Examples
    --------
    >>> from mlmon.stats import js_divergence
    >>> r = js_divergence(["a"] * 10, ["b"] * 10)
    >>> r.statistic, r.effect_name
    (1.0, 'js_distance')
    """
    return _binned("js", reference, current, kind, n_bins, n_permutations, seed)


def hellinger(reference: Any, current: Any, *, kind: str = "auto", n_bins: int = 10,
              n_permutations: int = 0, seed: int | None = None) -> TestResult:
    """Hellinger distance ``sqrt(sum (sqrt a_i - sqrt e_i)^2 / 2)`` (0 to 1) between binned samples.
    {params}
    Examples
    --------
    >>> from mlmon.stats import hellinger
    >>> r = hellinger([0, 0, 1, 1], [0, 1, 1, 1], kind="categorical")
    >>> round(r.statistic, 4)
    0.1846
    """
    return _binned("hellinger", reference, current, kind, n_bins, n_permutations, seed)


for _f in (psi, kl_divergence, js_divergence, hellinger):
    _f.__doc__ = _f.__doc__.replace("{params}", _BINNED_DOC)


# --- Wasserstein ---------------------------------------------------------------------------


def w1_rows(values: np.ndarray, is_ref: np.ndarray, m: int, n: int) -> np.ndarray:
    """Wasserstein-1 distance of each row's reference and current values.

    ``values`` holds each row's pooled sample sorted (shape ``(k, N)``, or ``(N,)`` shared by
    all rows) and ``is_ref`` marks the reference's values, in the same order. The distance is
    ``sum |F_ref - F_cur| * gap`` over the gaps between consecutive pooled values.

    Examples
    --------
    >>> z = np.array([0.0, 1.0, 2.0, 3.0])
    >>> w1_rows(z, np.array([[True, True, False, False]]), 2, 2).tolist()
    [2.0]
    """
    f = np.cumsum(is_ref, axis=-1) / float(m)
    g = np.cumsum(~is_ref, axis=-1) / float(n)
    gaps = np.diff(values, axis=-1)
    return np.sum(np.abs(f[..., :-1] - g[..., :-1]) * gaps, axis=-1)


def _level_w1(levels: np.ndarray, level_counts: np.ndarray, ref_levels: np.ndarray,
              normalize: str | None) -> np.ndarray:
    """Normalised Wasserstein-1 distance of splits given by per-level reference counts.

    ``levels`` are the sorted distinct pooled values, ``level_counts`` their pooled counts
    and ``ref_levels`` ``(b, L)`` each split's reference counts per level.
    """
    m = int(ref_levels[0].sum())
    n = int(level_counts.sum()) - m
    ref_cum = np.cumsum(ref_levels, axis=1)
    cur_cum = np.cumsum(level_counts)[None, :] - ref_cum
    gaps = np.diff(levels)
    dist = np.sum(np.abs(ref_cum[:, :-1] / float(m) - cur_cum[:, :-1] / float(n)) * gaps, axis=1)
    if normalize is None:
        return dist
    if normalize == "std":
        z = levels - levels.mean()
        w = ref_levels.astype(np.float64)
        mean = (w @ z) / m
        scale = np.sqrt(np.maximum((w @ (z * z) - m * mean * mean) / (m - 1), 0.0))
    else:  # linear-interpolation quartiles of each reference, from its order statistics
        b = ref_levels.shape[0]
        rows = np.arange(b, dtype=np.int64)[:, None]
        flat = (ref_cum + rows * (m + 1)).ravel()
        h = (m - 1) * np.array([0.25, 0.75])
        lo, hi = np.floor(h).astype(np.int64), np.ceil(h).astype(np.int64)

        def at(j: np.ndarray) -> np.ndarray:  # the j-th smallest reference value, per row
            found = np.searchsorted(flat, (j + 1)[None, :] + rows * (m + 1))
            return levels[found - rows * levels.shape[0]]

        q = at(lo) + (h - lo)[None, :] * (at(hi) - at(lo))
        scale = q[:, 1] - q[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return dist / scale


def reference_scale(ref: np.ndarray, normalize: str | None, owner: str = "wasserstein") -> float:
    """The scale the Wasserstein distance is divided by: 1, the std (ddof=1) or the IQR."""
    if normalize is None:
        return 1.0
    if ref.shape[0] < 2:
        raise ValueError(f"{owner}: normalize={normalize!r} needs at least 2 reference values.")
    if normalize == "std":
        scale = float(np.std(ref, ddof=1))
    else:
        q75, q25 = np.percentile(ref, [75, 25])
        scale = float(q75 - q25)
    if not scale > 0.0:
        raise ValueError(f"{owner}: the reference has zero {normalize}, so the distance cannot be "
                         f"normalised by it; use normalize=None or another scale.")
    return scale


def wasserstein(reference: Any, current: Any, *, normalize: str | None = "std",
                n_permutations: int = 0, seed: int | None = None) -> TestResult:
    """Wasserstein-1 (earth mover's) distance, divided by the reference's scale.

    ``scipy.stats.wasserstein_distance(reference, current) / scale``, where ``scale`` is the
    reference's standard deviation (``ddof=1``, ``normalize="std"``), its interquartile
    range (``normalize="iqr"``, robust to outliers) or 1 (``normalize=None``, the distance in
    the data's units). Normalised, a mean shift of ``d`` standard deviations gives about
    ``d``, so one threshold fits features of any scale.

    Parameters
    ----------
    reference, current
        1-D numeric samples, finite.
    normalize
        ``"std"``, ``"iqr"`` or None.
    n_permutations
        Random permutations for a p-value (the scale recomputed on each permuted
        reference); 0 for none.
    seed
        Seed of the permutations.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import wasserstein
    >>> rng = np.random.default_rng(0)
    >>> r = wasserstein(rng.normal(0, 10, 5000), rng.normal(5, 10, 5000))
    >>> round(r.statistic, 1), r.effect_name
    (0.5, 'wasserstein_std')
    """
    check_choice("wasserstein", "normalize", normalize, ("std", "iqr", None))
    check_count("wasserstein", "n_permutations", n_permutations, minimum=0, allow_none=False)
    ref, cur = numeric_pair(reference, current, "wasserstein")
    from scipy import stats

    scale = reference_scale(ref, normalize)
    statistic = float(stats.wasserstein_distance(ref, cur)) / scale
    m, n = int(ref.shape[0]), int(cur.shape[0])
    pvalue, method = None, "none"
    if n_permutations > 0:
        levels, codes = np.unique(np.concatenate([ref, cur]), return_inverse=True)
        codes = codes.reshape(-1)
        level_counts = np.bincount(codes, minlength=levels.shape[0]).astype(np.int64)
        observed_levels = np.bincount(codes[:m], minlength=levels.shape[0]).astype(np.int64)

        def stat_rows(ref_levels: np.ndarray) -> np.ndarray:
            return _level_w1(levels, level_counts, ref_levels, normalize)

        pvalue = _permutation_pvalue(stat_rows, level_counts, observed_levels, n_permutations, seed)
        method = "permutation"
    name = "wasserstein" if normalize is None else f"wasserstein_{normalize}"
    return TestResult(test="wasserstein", statistic=statistic, pvalue=pvalue,
                      effect_size=statistic, effect_name=name, method=method,
                      n_reference=m, n_current=n)
