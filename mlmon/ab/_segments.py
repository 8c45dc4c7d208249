"""Results broken down by a segment column, with the multiplicity across segments handled.

:func:`by_segment` runs one A/B test per segment (a country, a device, a customer tier),
corrects the p-values for the number of segments tested, and asks whether the effect differs
between segments (Cochran's Q on the per-segment estimates and their standard errors).
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from mlmon.ab._result import ABResult
from mlmon.runtime._multiple import Correction, adjust_pvalues

__all__ = ["Heterogeneity", "SegmentReport", "by_segment"]

_CORRECTIONS = ("holm", "bonferroni", "bh", "none")


# ---------------------------------------------------------------------------- shared checks


def check_level(owner: str, value: Any, name: str, example: str) -> float:
    """``value`` as a float in (0, 1), or an error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number in (0, 1), e.g. {example}; got {value!r}.")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{owner}: {name} must be in (0, 1), e.g. {example}; got {value!r}.")
    return float(value)


def check_correction(owner: str, correction: Any) -> str:
    """``correction`` if it is a known multiple-testing correction, else a ValueError."""
    if not isinstance(correction, str) or correction not in _CORRECTIONS:
        raise ValueError(f"{owner}: correction must be one of {', '.join(map(repr, _CORRECTIONS))}, "
                         f"got {correction!r}.")
    return correction


def _scalar(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for readable tables and lookups)."""
    return value.item() if isinstance(value, np.generic) else value


def factorize(values: Any, *, name: str, owner: str) -> tuple[tuple[Any, ...], np.ndarray]:
    """Distinct values of a 1-D label array (sorted where they sort) and each element's code.

    Missing values (None, NaN, ``pd.NA``) raise a ValueError naming the first one.

    Examples
    --------
    >>> factorize(["b", "a", "b"], name="segments", owner="demo")
    (('a', 'b'), array([1, 0, 1]))
    """
    import pandas as pd

    if isinstance(values, (str, bytes)):
        raise TypeError(f"{owner}: {name} must be an array (one value per sample), got a "
                        f"{type(values).__name__}.")
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{owner}: {name} must be a 1-D array: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D (one value per sample), got shape {arr.shape}.")
    if arr.dtype.kind in "fc":
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{owner}: {name} contains {int(bad.sum())} missing or infinite value(s) "
                             f"(first at index {i}); label them (e.g. 'unknown') or drop those samples.")
    if arr.dtype.kind == "O":
        missing = np.asarray(pd.isna(arr), dtype=bool)
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise ValueError(f"{owner}: {name} contains {int(missing.sum())} missing value(s) (first at "
                             f"index {i}); label them (e.g. 'unknown') or drop those samples.")
    try:
        codes, uniques = pd.factorize(arr, sort=True)
    except TypeError:  # values of kinds that do not sort together: keep first-appearance order
        codes, uniques = pd.factorize(arr, sort=False)
    return tuple(_scalar(u) for u in np.asarray(uniques, dtype=object)), np.asarray(codes, dtype=np.intp)


def _standard_error(result: ABResult) -> float:
    """The standard error behind an ABResult: ``details["standard_error"]`` when the test
    gives it, else the half-width of a two-sided interval over the normal quantile."""
    from scipy.stats import norm

    for key in ("standard_error", "se"):
        se = result.details.get(key) if isinstance(result.details, dict) else None
        if isinstance(se, numbers.Real) and math.isfinite(float(se)) and se > 0:
            return float(se)
    if result.alternative != "two-sided" or not (math.isfinite(result.ci_low) and math.isfinite(result.ci_high)):
        return math.nan
    z = float(norm.ppf(0.5 + result.confidence / 2))
    se = (result.ci_high - result.ci_low) / (2.0 * z)
    return se if se > 0 else math.nan


# ---------------------------------------------------------------------------- heterogeneity


@dataclass(frozen=True)
class Heterogeneity:
    """Does the effect differ between segments? Cochran's Q on the per-segment estimates.

    ``Q = sum w_i (estimate_i - pooled)**2`` with ``w_i = 1 / se_i**2`` and ``pooled`` the
    inverse-variance weighted mean; under "the same effect in every segment" ``Q`` follows a
    chi-square with ``segments - 1`` degrees of freedom (for large segments, where the
    estimates are close to normal and their standard errors well estimated).

    Attributes
    ----------
    statistic
        Cochran's Q (NaN when fewer than two segments have a usable standard error).
    df
        Degrees of freedom: the number of segments used minus one.
    pvalue
        ``P(chi2(df) >= Q)``.
    i_squared
        Share of the variation between segments beyond chance, ``max(0, (Q - df) / Q)``.
    pooled_estimate, pooled_se
        The inverse-variance weighted effect and its standard error (fixed-effect pooling).
    segments_used
        The segments that entered the test.
    segments_excluded
        Segments left out because their result had no finite, positive standard error
        (neither ``details["standard_error"]`` nor a finite two-sided interval).

    Examples
    --------
    >>> h = Heterogeneity(statistic=1.2, df=2, pvalue=0.55, i_squared=0.0, pooled_estimate=0.3,
    ...                   pooled_se=0.1, segments_used=("a", "b", "c"), segments_excluded=())
    >>> h.significant(0.05)
    False
    """

    statistic: float
    df: int
    pvalue: float
    i_squared: float
    pooled_estimate: float
    pooled_se: float
    segments_used: tuple[Any, ...]
    segments_excluded: tuple[Any, ...]
    method: str = "cochran_q"

    def significant(self, alpha: float) -> bool:
        """Whether ``pvalue < alpha`` (False when the test could not be run)."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
        return bool(self.pvalue < alpha)


def cochran_q(estimates: Any, standard_errors: Any, segments: tuple[Any, ...]) -> Heterogeneity:
    """Cochran's Q test that the estimates share one true value.

    Examples
    --------
    >>> h = cochran_q([0.1, 0.3, 0.2], [0.1, 0.1, 0.1], ("a", "b", "c"))
    >>> round(h.statistic, 6), h.df, round(h.pooled_estimate, 6)
    (2.0, 2, 0.2)
    """
    from scipy.stats import chi2

    est = np.asarray(estimates, dtype=float)
    se = np.asarray(standard_errors, dtype=float)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    used = tuple(s for s, k in zip(segments, ok) if k)
    excluded = tuple(s for s, k in zip(segments, ok) if not k)
    if ok.sum() < 2:
        return Heterogeneity(math.nan, max(int(ok.sum()) - 1, 0), math.nan, math.nan,
                             math.nan, math.nan, used, excluded)
    w = 1.0 / se[ok] ** 2
    pooled = float(np.sum(w * est[ok]) / np.sum(w))
    q = float(np.sum(w * (est[ok] - pooled) ** 2))
    df = int(ok.sum()) - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, float(chi2.sf(q, df)), i2, pooled, float(1.0 / math.sqrt(np.sum(w))),
                         used, excluded)


# ---------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class SegmentReport:
    """One A/B result per segment, corrected for the number of segments, and a heterogeneity test.

    Attributes
    ----------
    segments
        The segment values, sorted where they sort.
    results
        One :class:`ABResult` per segment, in the order of ``segments``.
    adjusted_pvalues
        Each segment's p-value adjusted by ``correction`` over the segments whose test gave a
        p-value (NaN for a segment whose test gave none; it is left out of the family).
    significant
        Whether each segment's adjusted p-value is ``<= alpha``.
    correction, alpha
        The multiple-testing correction and the family's significance level.
    overall
        The test on all samples pooled, segments ignored.
    heterogeneity
        Cochran's Q test of "the same effect in every segment".

    Examples
    --------
    >>> import numpy as np
    >>> def difference(control, treatment):  # a z-test of the difference of means
    ...     est = float(treatment.mean() - control.mean())
    ...     se = float(np.sqrt(control.var(ddof=1) / control.size + treatment.var(ddof=1) / treatment.size))
    ...     p = float(math.erfc(abs(est) / se / math.sqrt(2)))
    ...     return ABResult(test="z", estimate=est, ci_low=est - 1.96 * se, ci_high=est + 1.96 * se,
    ...                     pvalue=p, effect_name="difference_of_means", confidence=0.95,
    ...                     alternative="two-sided", n_control=control.size, n_treatment=treatment.size,
    ...                     control=float(control.mean()), treatment=float(treatment.mean()), method="normal")
    >>> rng = np.random.default_rng(0)
    >>> seg = np.repeat(["a", "b"], 500)
    >>> report = by_segment(rng.normal(size=1000), rng.normal(size=1000) + (seg == "b"), seg, seg,
    ...                     test=difference)
    >>> report.significant, report.heterogeneity.significant(0.01)
    ((False, True), True)
    >>> report.to_frame().shape
    (2, 14)
    """

    segments: tuple[Any, ...]
    results: tuple[ABResult, ...]
    adjusted_pvalues: tuple[float, ...]
    significant: tuple[bool, ...]
    correction: str
    alpha: float
    overall: ABResult
    heterogeneity: Heterogeneity

    @property
    def pvalues(self) -> tuple[float, ...]:
        """Each segment's unadjusted p-value."""
        return tuple(float(r.pvalue) for r in self.results)

    @property
    def significant_segments(self) -> tuple[Any, ...]:
        """The segments whose effect is significant after the correction."""
        return tuple(s for s, flag in zip(self.segments, self.significant) if flag)

    def result(self, segment: Any) -> ABResult:
        """The :class:`ABResult` of one segment."""
        for s, r in zip(self.segments, self.results):
            if s == segment:
                return r
        raise KeyError(f"no segment {segment!r}; the segments are {list(self.segments)}.")

    def to_frame(self):
        """One row per segment: the effect, its interval, raw and adjusted p-values, the flag."""
        import pandas as pd

        rows = []
        for s, r, adj, sig in zip(self.segments, self.results, self.adjusted_pvalues, self.significant):
            rows.append({"segment": s, "test": r.test, "effect_name": r.effect_name, "estimate": r.estimate,
                         "ci_low": r.ci_low, "ci_high": r.ci_high, "standard_error": _standard_error(r),
                         "pvalue": r.pvalue, "adjusted_pvalue": adj, "significant": sig,
                         "n_control": r.n_control, "n_treatment": r.n_treatment, "control": r.control,
                         "treatment": r.treatment})
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        h = self.heterogeneity
        het = (f"Cochran's Q = {h.statistic:.4g} on {h.df} df, p = {h.pvalue:.3g}, I² = {h.i_squared:.0%}"
               if math.isfinite(h.statistic) else "heterogeneity not testable (fewer than two usable segments)")
        head = (f"<p><b>By segment</b>: {len(self.segments)} segments, {html.escape(self.correction)} "
                f"correction at alpha = {self.alpha:g}; significant: "
                f"{html.escape(', '.join(map(str, self.significant_segments)) or 'none')}. "
                f"Overall {html.escape(self.overall.effect_name)} = {self.overall.estimate:.4g} "
                f"[{self.overall.ci_low:.4g}, {self.overall.ci_high:.4g}], p = {self.overall.pvalue:.3g}. "
                f"{html.escape(het)}.</p>")
        return head + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return (f"SegmentReport({len(self.segments)} segments, correction={self.correction!r}, "
                f"alpha={self.alpha:g}, significant={list(self.significant_segments)}, "
                f"heterogeneity_p={self.heterogeneity.pvalue:.3g})")


def _run_test(test: Callable[..., ABResult], control: np.ndarray, treatment: np.ndarray,
              where: str) -> ABResult:
    try:
        result = test(control, treatment)
    except Exception as err:  # say which segment broke, keep the test's own message
        msg = f"by_segment: test failed on {where}: {err}"
        try:
            new = type(err)(msg)
        except Exception:
            new = RuntimeError(msg)
        raise new from err
    if not isinstance(result, ABResult):
        raise TypeError(f"by_segment: test must return an ABResult, got {type(result).__name__} on {where}.")
    return result


def per_sample(values: Any, *, owner: str, name: str, n: int, other: str, fix: str) -> np.ndarray:
    """``values`` as a 1-D object array with one entry per sample of ``other`` (``n``), or a clear error."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{owner}: {name} must be an array ({fix}), got a {type(values).__name__}.")
    try:
        arr = np.asarray(values, dtype=object)
    except Exception as exc:
        raise TypeError(f"{owner}: {name} must be a 1-D array: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D ({fix}), got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(f"{owner}: {name} has {arr.shape[0]} values but {other} has {n}; pass {fix}.")
    return arr


def _segment_array(values: Any, name: str, arm: str, n: int) -> np.ndarray:
    return per_sample(values, owner="by_segment", name=name, n=n, other=arm,
                      fix=f"one segment per {arm} sample")


def _as_samples(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"by_segment: {name} must be an array of samples, got a {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"by_segment: {name} must be an array of samples: {exc}") from exc
    if arr.ndim == 0:
        raise ValueError(f"by_segment: {name} must be an array of samples, got a scalar.")
    if arr.shape[0] == 0:
        raise ValueError(f"by_segment: {name} is empty; pass at least one sample per segment.")
    return arr


def by_segment(control: Any, treatment: Any, segments_control: Any, segments_treatment: Any, *,
               test: Callable[..., ABResult], correction: Correction = "holm", alpha: float = 0.05) -> SegmentReport:
    """Run an A/B test in every segment, correct for the number of segments, test heterogeneity.

    Parameters
    ----------
    control, treatment
        Each arm's samples (whatever ``test`` takes, one row per sample).
    segments_control, segments_treatment
        The segment of each control and each treatment sample (strings, integers,
        categories). Every segment must have samples in both arms; missing values are refused.
    test
        A callable ``test(control, treatment) -> ABResult``, such as the fixed-horizon tests
        of :mod:`mlmon.ab`; bind its options with :func:`functools.partial`, and wrap a test
        that takes counts (``lambda c, t: proportions(c.sum(), c.size, t.sum(), t.size)``). It
        is called on every segment and once on all samples pooled (``overall``).
    correction
        ``"holm"`` or ``"bonferroni"`` (family-wise error rate over the segments), ``"bh"``
        (false discovery rate), or ``"none"``.
    alpha
        The family's significance level: a segment is significant when its adjusted p-value
        is ``<= alpha``.

    Returns
    -------
    SegmentReport
        The per-segment results, adjusted p-values and flags, the pooled result and
        :class:`Heterogeneity`, Cochran's Q test on the per-segment estimates weighted by their
        standard errors (taken from ``details["standard_error"]`` when the test reports one,
        otherwise from the half-width of its two-sided interval under a normal approximation).

    Notes
    -----
    Segments whose test returns a NaN p-value are left out of the correction (their adjusted
    p-value is NaN and they are not significant), so the family is the segments that were
    actually tested. Heterogeneity is tested on the effect scale ``test`` reports; for a ratio
    effect with an asymmetric interval the normal approximation is rougher.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> def welch(control, treatment):
    ...     r = stats.ttest_ind(treatment, control, equal_var=False)
    ...     lo, hi = r.confidence_interval(0.95)
    ...     return ABResult(test="welch", estimate=float(treatment.mean() - control.mean()),
    ...                     ci_low=float(lo), ci_high=float(hi), pvalue=float(r.pvalue),
    ...                     effect_name="difference_of_means", confidence=0.95,
    ...                     alternative="two-sided", n_control=len(control), n_treatment=len(treatment),
    ...                     control=float(control.mean()), treatment=float(treatment.mean()),
    ...                     method="normal")
    >>> rng = np.random.default_rng(0)
    >>> seg_c = rng.choice(["eu", "us", "asia"], size=3000)
    >>> seg_t = rng.choice(["eu", "us", "asia"], size=3000)
    >>> control = rng.normal(size=3000)
    >>> treatment = rng.normal(size=3000) + 0.3 * (seg_t == "us")
    >>> report = by_segment(control, treatment, seg_c, seg_t, test=welch, correction="holm")
    >>> report.segments, report.significant_segments
    (('asia', 'eu', 'us'), ('us',))
    >>> report.heterogeneity.significant(0.05)
    True
    """
    owner = "by_segment"
    if not callable(test):
        raise TypeError(f"{owner}: test must be a callable (control, treatment) -> ABResult, e.g. "
                        f"functools.partial(some_test, confidence=0.99); got {test!r}.")
    correction = check_correction(owner, correction)
    alpha = check_level(owner, alpha, "alpha", "0.05")
    c = _as_samples(control, "control")
    t = _as_samples(treatment, "treatment")
    seg_c = _segment_array(segments_control, "segments_control", "control", c.shape[0])
    seg_t = _segment_array(segments_treatment, "segments_treatment", "treatment", t.shape[0])
    names, codes = factorize(np.concatenate([seg_c, seg_t]), name="segments", owner=owner)
    codes_c, codes_t = codes[:c.shape[0]], codes[c.shape[0]:]
    k = len(names)
    count_c = np.bincount(codes_c, minlength=k)
    count_t = np.bincount(codes_t, minlength=k)
    empty = [(names[i], int(count_c[i]), int(count_t[i])) for i in range(k) if count_c[i] == 0 or count_t[i] == 0]
    if empty:
        s, nc, nt = empty[0]
        raise ValueError(f"{owner}: segment {s!r} has {nc} control and {nt} treatment samples; every segment "
                         "needs samples in both arms. Drop it or merge it into a larger segment.")
    results = tuple(_run_test(test, c[codes_c == i], t[codes_t == i],
                              f"segment {names[i]!r} ({count_c[i]} control, {count_t[i]} treatment samples)")
                    for i in range(k))
    overall = _run_test(test, c, t, "all samples pooled")
    pvals = np.array([float(r.pvalue) for r in results])
    tested = np.isfinite(pvals)
    adjusted = np.full(k, math.nan)
    if tested.any():
        adjusted[tested] = adjust_pvalues(pvals[tested], method=correction)
    significant = tuple(bool(tested[i] and adjusted[i] <= alpha) for i in range(k))
    heterogeneity = cochran_q([r.estimate for r in results], [_standard_error(r) for r in results], names)
    return SegmentReport(segments=names, results=results, adjusted_pvalues=tuple(float(a) for a in adjusted),
                         significant=significant, correction=correction, alpha=alpha, overall=overall,
                         heterogeneity=heterogeneity)
