"""Two-sample tests of numeric samples: Kolmogorov-Smirnov, Cramér-von Mises,
Anderson-Darling, Welch's t and Mann-Whitney U.

Statistics and p-values are those of :mod:`scipy.stats` (called, with the reference as the
first sample); mlmon adds input checks, an effect size and an honest ``method``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from mlmon._validation import check_signal
from mlmon.stats._result import TestResult

__all__ = ["anderson_darling", "cvm", "ks", "mann_whitney", "welch"]

_ALTERNATIVES = ("two-sided", "less", "greater")


def check_choice(owner: str, name: str, value: Any, options: tuple[Any, ...]) -> None:
    """Raise ValueError naming ``name`` when ``value`` is not one of ``options``."""
    if not any(value == o and type(value) is type(o) for o in options):
        raise ValueError(f"{owner}: {name} must be one of {', '.join(map(repr, options))}, "
                         f"got {value!r}.")


def check_count(owner: str, name: str, value: Any, *, minimum: int, allow_none: bool) -> None:
    """Raise TypeError/ValueError unless ``value`` is an int >= ``minimum`` (or None)."""
    if value is None and allow_none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int{' or None' if allow_none else ''}, "
                        f"got {value!r}.")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}.")


def numeric_pair(reference: Any, current: Any, owner: str,
                 min_length: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as 1-D finite float64 arrays, or an error naming the bad one."""
    try:
        ref = check_signal(reference, name="reference", min_length=min_length)
        cur = check_signal(current, name="current", min_length=min_length)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{owner}: {err}") from None
    return ref, cur


def ks_distance(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    """Two-sided KS distance ``sup |F_ref - F_cur|`` of two sorted samples.

    The ECDFs are compared at every pooled value: at the last of each run of equal values
    of either sample (where its own ECDF is ``(index + 1) / size``), with the other sample's
    ECDF from one ``searchsorted``. These are the same values ``scipy.stats.ks_2samp`` takes
    the maximum over, at half its cost.

    Examples
    --------
    >>> ks_distance(np.array([1.0, 2.0, 2.0, 4.0]), np.array([2.0, 3.0]))
    0.25
    """
    m, n = ref_sorted.shape[0], cur_sorted.shape[0]
    best = 0.0
    for own, other, own_n, other_n, sign in ((ref_sorted, cur_sorted, m, n, 1.0),
                                             (cur_sorted, ref_sorted, n, m, -1.0)):
        last = np.flatnonzero(np.append(own[1:] != own[:-1], True))
        f_own = (last + 1) / own_n
        f_other = np.searchsorted(other, own[last], side="right") / other_n
        best = max(best, float(np.max(np.abs(f_own - f_other))))
    return best


def _sorted(x: np.ndarray) -> np.ndarray:
    """``x`` sorted (returned as is when it already is)."""
    return x if x.shape[0] < 2 or bool(np.all(x[1:] >= x[:-1])) else np.sort(x)


def ks(reference: Any, current: Any, *, alternative: str = "two-sided",
       method: str = "auto") -> TestResult:
    """Two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp(reference, current)``).

    Parameters
    ----------
    reference, current
        1-D numeric samples (lists, arrays, Series), finite.
    alternative
        ``"two-sided"``, ``"less"`` or ``"greater"``, as in scipy with the reference as the
        first sample (``"less"``: the reference's CDF lies below the current one's, i.e. the
        reference tends to larger values).
    method
        ``"auto"``, ``"exact"`` or ``"asymp"``, as in scipy. ``"auto"`` is exact when both
        samples have at most 10,000 values. The result's ``method`` says what was used
        (scipy falls back from exact to asymptotic for very large lattices).

    Returns
    -------
    TestResult
        ``statistic`` is scipy's D (one-sided for a one-sided alternative); ``effect_size``
        is the two-sided KS distance ``sup |F_ref - F_cur|`` (``"ks_distance"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import ks
    >>> rng = np.random.default_rng(0)
    >>> r = ks(rng.normal(size=300), rng.normal(0.5, 1.0, 200))
    >>> r.method, r.pvalue < 0.001, round(r.effect_size, 3) == round(r.statistic, 3)
    ('exact', True, True)
    """
    check_choice("ks", "alternative", alternative, _ALTERNATIVES)
    check_choice("ks", "method", method, ("auto", "exact", "asymp"))
    ref, cur = numeric_pair(reference, current, "ks")
    from scipy import stats

    n1, n2 = ref.shape[0], cur.shape[0]
    if alternative == "two-sided" and (method == "asymp" or (method == "auto" and max(n1, n2) > 10_000)):
        # scipy's asymptotic branch, without its second sort of the pooled sample: the same D
        # (ECDF differences at every pooled value) and the same kstwo.sf(D, round(en))
        d = ks_distance(_sorted(ref), _sorted(cur))
        big, small = sorted([float(n1), float(n2)], reverse=True)
        en = big * small / (big + small)
        pvalue = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))
        return TestResult(test="ks", statistic=d, pvalue=pvalue, effect_size=d,
                          effect_name="ks_distance", method="asymptotic",
                          n_reference=int(n1), n_current=int(n2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        res = stats.ks_2samp(ref, cur, alternative=alternative, method=method)
    used = "asymptotic" if method == "asymp" else "exact"
    if any("Switching" in str(w.message) for w in caught):
        used = "asymptotic"
    effect = (float(res.statistic) if alternative == "two-sided"
              else ks_distance(np.sort(ref), np.sort(cur)))
    return TestResult(test="ks", statistic=float(res.statistic), pvalue=float(res.pvalue),
                      effect_size=effect, effect_name="ks_distance", method=used,
                      n_reference=int(ref.shape[0]), n_current=int(cur.shape[0]))


def cvm_statistic_rows(values: np.ndarray, is_ref: np.ndarray) -> np.ndarray:
    """Cramér-von Mises ``T`` of each row from its sorted pooled sample, ties handled.

    ``T = n m / N^2 * sum_z (F_ref(z) - F_cur(z))^2`` over the pooled values ``z`` (with
    multiplicity), with right-continuous ECDFs: the definition behind Anderson's rank formula
    (equal to it without ties, and 0 for two identical samples).

    Parameters
    ----------
    values
        ``(k, N)`` pooled samples, each row sorted.
    is_ref
        ``(k, N)`` marks of the reference's values, in the same order.

    Examples
    --------
    >>> z = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> cvm_statistic_rows(z, np.array([[True, True, False, False]])).tolist()
    [0.375]
    """
    k, total = values.shape
    m = int(is_ref[0].sum())
    n = total - m
    f = np.cumsum(is_ref, axis=1) / m
    g = np.cumsum(~is_ref, axis=1) / n
    last = np.ones(values.shape, dtype=bool)
    last[:, :-1] = values[:, 1:] != values[:, :-1]
    pos = np.broadcast_to(np.arange(total), values.shape)
    # each value takes the ECDFs at the last member of its group of equal values
    end = np.minimum.accumulate(np.where(last, pos, total - 1)[:, ::-1], axis=1)[:, ::-1]
    d = np.take_along_axis(f, end, axis=1) - np.take_along_axis(g, end, axis=1)
    return n * m / float(total) ** 2 * np.sum(d * d, axis=1)


def _cvm_limit_cdf(x: np.ndarray) -> np.ndarray:
    """CDF of the limiting Cramér-von Mises distribution (Csörgő and Faraway 1996, eq. 1.2)."""
    from scipy import special

    x = np.asarray(x, dtype=np.float64)
    total = np.zeros_like(x)
    for j in range(60):
        y = 4.0 * j + 1.0
        q = y * y / (16.0 * x)
        coef = math.exp(math.lgamma(j + 0.5) - math.lgamma(j + 1.0)) / math.pi ** 1.5
        # exp(-q) K_{1/4}(q) = exp(-2 q) kve(1/4, q)
        term = coef * math.sqrt(y) / np.sqrt(x) * np.exp(-2.0 * q) * special.kve(0.25, q)
        total = total + term
        if np.all(term <= 1e-16 * np.maximum(total, 1e-300)):
            break
    return total


def cvm_pvalue(t: np.ndarray, n: int, m: int) -> np.ndarray:
    """Asymptotic p-value of the two-sample Cramér-von Mises ``T`` (sizes ``n`` and ``m``).

    ``T`` is standardised with its exact null mean and variance (Anderson 1962, eqs. 11 and
    14), ``T* = 1/6 + (T - E T) / sqrt(45 Var T)``, and referred to the limiting distribution
    of the one-sample statistic (eq. 15), as scipy's ``method="asymptotic"``.

    Examples
    --------
    >>> round(float(cvm_pvalue(np.array([0.461]), 1000, 1000)[0]), 3)
    0.05
    """
    t = np.asarray(t, dtype=np.float64)
    total, k = float(n + m), float(n) * float(m)
    mean = (1.0 + 1.0 / total) / 6.0
    var = (total + 1.0) * (4.0 * k * total - 3.0 * (float(n) ** 2 + float(m) ** 2) - 2.0 * k)
    var = var / (45.0 * total * total * 4.0 * k)
    star = 1.0 / 6.0 + (t - mean) / math.sqrt(45.0 * var)
    out = np.ones_like(star)
    use = star >= 0.003  # below, 1 - CDF is 1 to double precision
    if np.any(use):
        out[use] = np.clip(1.0 - _cvm_limit_cdf(star[use]), 0.0, 1.0)
    return out


def cvm(reference: Any, current: Any, *, method: str = "auto") -> TestResult:
    """Two-sample Cramér-von Mises test (``scipy.stats.cramervonmises_2samp``).

    Without ties this is scipy's test, statistic and p-value. With tied values scipy's rank
    formula (midranks inside ``U``) inflates ``T`` — two identical constant samples get
    ``p < 1e-8`` — so mlmon computes ``T`` from its definition,
    ``n m / N^2 sum_z (F_ref(z) - F_cur(z))^2`` over the pooled values (equal to scipy's
    without ties), and uses the asymptotic p-value; with discrete data it is conservative.

    Parameters
    ----------
    reference, current
        1-D numeric samples, at least 2 values each, finite.
    method
        ``"auto"`` (exact when both samples have at most 20 values and there are no ties,
        else asymptotic), ``"exact"`` (refused with ties) or ``"asymptotic"``.

    Returns
    -------
    TestResult
        ``statistic`` is T; ``effect_size`` is ``omega2 = T N / (n m)``
        (``"cvm_omega2"``), which estimates ``integral (F_ref - F_cur)^2 dH`` over the pooled
        distribution ``H``: 0 for equal distributions (about ``1 / (6 N_eff)`` on finite
        samples, ``N_eff = n m / N``), 1/3 at most.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import cvm
    >>> rng = np.random.default_rng(0)
    >>> r = cvm(rng.normal(size=300), rng.normal(0.5, 1.0, 200))
    >>> r.method, r.pvalue < 0.001, r.effect_name
    ('asymptotic', True, 'cvm_omega2')
    >>> cvm([1, 1, 2, 2], [1, 1, 2, 2]).pvalue
    1.0
    """
    check_choice("cvm", "method", method, ("auto", "exact", "asymptotic"))
    ref, cur = numeric_pair(reference, current, "cvm", min_length=2)
    n, m = ref.shape[0], cur.shape[0]
    pooled = np.concatenate([ref, cur])
    order = np.argsort(pooled, kind="stable")
    values = pooled[order]
    ties = bool(np.any(values[1:] == values[:-1]))
    if ties:
        if method == "exact":
            raise ValueError("cvm: the samples have tied values; the exact distribution assumes "
                             "none. Use method='auto' or 'asymptotic'.")
        t = float(cvm_statistic_rows(values[None, :], (order < n)[None, :])[0])
        p, used = float(cvm_pvalue(np.array([t]), n, m)[0]), "asymptotic"
    else:
        from scipy import stats

        res = stats.cramervonmises_2samp(ref, cur, method=method)
        used = method if method != "auto" else ("asymptotic" if max(n, m) > 20 else "exact")
        t, p = float(res.statistic), float(res.pvalue)
    return TestResult(test="cvm", statistic=t, pvalue=p,
                      effect_size=max(0.0, t * (n + m) / (n * m)), effect_name="cvm_omega2",
                      method=used, n_reference=int(n), n_current=int(m))


def ad_distance(ref: np.ndarray, cur: np.ndarray) -> float:
    """``integral (F_ref - F_cur)^2 / (H (1 - H)) dH`` over the pooled ECDF ``H``."""
    ref, cur = np.sort(ref), np.sort(cur)
    z, counts = np.unique(np.concatenate([ref, cur]), return_counts=True)
    n, m = ref.shape[0], cur.shape[0]
    f = np.searchsorted(ref, z, side="right") / n
    g = np.searchsorted(cur, z, side="right") / m
    h = (n * f + m * g) / (n + m)
    keep = h < 1.0
    w = counts[keep] / (n + m)
    return float(np.sum(w * (f[keep] - g[keep]) ** 2 / (h[keep] * (1.0 - h[keep]))))


def anderson_darling(reference: Any, current: Any, *, n_permutations: int | None = None,
                     seed: int | None = None) -> TestResult:
    """Two-sample Anderson-Darling test (``scipy.stats.anderson_ksamp``, midrank variant).

    Without ``n_permutations`` the p-value is scipy's interpolation in the Scholz-Stephens
    table of critical values, which scipy **caps to [0.001, 0.25]**: a reported 0.25 means
    "0.25 or more" and 0.001 means "0.001 or less" (scipy's warning about it is not passed
    on). With ``n_permutations`` the p-value is a permutation p-value
    (``scipy.stats.PermutationMethod``, ``(b + 1) / (B + 1)``), uncapped and valid at every
    level.

    Parameters
    ----------
    reference, current
        1-D numeric samples, finite; together they need two distinct values.
    n_permutations
        Number of random permutations for a permutation p-value; None for the table.
    seed
        Seed of the permutations.

    Returns
    -------
    TestResult
        ``statistic`` is scipy's normalised statistic; ``effect_size`` is the
        Anderson-Darling discrepancy ``integral (F_ref - F_cur)^2 / (H (1 - H)) dH`` over the
        pooled ECDF ``H`` (``"ad_distance"``), about ``1 / N_eff`` for equal distributions.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import anderson_darling
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=200), rng.normal(0.3, 1.0, 100)
    >>> r = anderson_darling(x, y)
    >>> r.method, r.pvalue
    ('asymptotic', 0.25)
    >>> r = anderson_darling(x, y, n_permutations=199, seed=0)
    >>> r.method, r.pvalue
    ('permutation', 0.36)
    """
    check_count("anderson_darling", "n_permutations", n_permutations, minimum=1, allow_none=True)
    ref, cur = numeric_pair(reference, current, "anderson_darling")
    if np.unique(np.concatenate([ref, cur])).shape[0] < 2:
        raise ValueError("anderson_darling: the two samples hold a single distinct value "
                         "together; the test needs at least two.")
    from scipy import stats

    kwargs: dict[str, Any] = {}
    if n_permutations is not None:
        kwargs["method"] = stats.PermutationMethod(n_resamples=n_permutations,
                                                   rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = stats.anderson_ksamp([ref, cur], variant="midrank", **kwargs)
    return TestResult(test="anderson_darling", statistic=float(res.statistic),
                      pvalue=float(res.pvalue), effect_size=ad_distance(ref, cur),
                      effect_name="ad_distance",
                      method="permutation" if n_permutations is not None else "asymptotic",
                      n_reference=int(ref.shape[0]), n_current=int(cur.shape[0]))


def cohens_d(ref: np.ndarray, cur: np.ndarray) -> float:
    """``|mean_cur - mean_ref| / sqrt((var_ref + var_cur) / 2)`` (variances with ddof=1)."""
    diff = abs(float(np.mean(cur)) - float(np.mean(ref)))
    scale = math.sqrt((float(np.var(ref, ddof=1)) + float(np.var(cur, ddof=1))) / 2.0)
    if scale == 0.0:
        return 0.0 if diff == 0.0 else math.inf
    return diff / scale


def welch(reference: Any, current: Any, *, alternative: str = "two-sided") -> TestResult:
    """Welch's unequal-variance t-test (``scipy.stats.ttest_ind(..., equal_var=False)``).

    Parameters
    ----------
    reference, current
        1-D numeric samples, at least 2 values each, finite, not both constant.
    alternative
        ``"two-sided"``, ``"less"`` (the reference mean is below the current one) or
        ``"greater"``.

    Returns
    -------
    TestResult
        ``statistic`` is scipy's t (reference minus current); ``effect_size`` is the
        magnitude of Cohen's d with the average variance,
        ``|mean_cur - mean_ref| / sqrt((s_ref^2 + s_cur^2) / 2)`` (``"cohens_d"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import welch
    >>> rng = np.random.default_rng(0)
    >>> r = welch(rng.normal(size=500), rng.normal(0.5, 2.0, 300))
    >>> r.method, r.pvalue < 0.001, round(r.effect_size, 1)
    ('asymptotic', True, 0.3)
    """
    check_choice("welch", "alternative", alternative, _ALTERNATIVES)
    ref, cur = numeric_pair(reference, current, "welch", min_length=2)
    if np.ptp(ref) == 0.0 and np.ptp(cur) == 0.0:
        raise ValueError("welch: both samples are constant, so the t statistic is undefined; "
                         "compare them directly or use a test such as chi_square.")
    from scipy import stats

    with warnings.catch_warnings():
        # scipy warns of precision loss when a sample is constant; its t is exact then
        warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        res = stats.ttest_ind(ref, cur, equal_var=False, alternative=alternative)
    return TestResult(test="welch", statistic=float(res.statistic), pvalue=float(res.pvalue),
                      effect_size=cohens_d(ref, cur), effect_name="cohens_d",
                      method="asymptotic", n_reference=int(ref.shape[0]),
                      n_current=int(cur.shape[0]))


def mann_whitney(reference: Any, current: Any, *, alternative: str = "two-sided",
                 method: str = "auto", use_continuity: bool = True) -> TestResult:
    """Mann-Whitney U test (``scipy.stats.mannwhitneyu(reference, current)``).

    Parameters
    ----------
    reference, current
        1-D numeric samples, finite.
    alternative
        ``"two-sided"``, ``"less"`` or ``"greater"`` (``"greater"``: the reference tends to
        larger values than the current sample).
    method
        ``"auto"`` (exact when one sample has at most 8 values and there are no ties, else
        the normal approximation with tie correction), ``"exact"`` or ``"asymptotic"``.
    use_continuity
        Continuity correction of the normal approximation.

    Returns
    -------
    TestResult
        ``statistic`` is scipy's U of the reference; ``effect_size`` is the rank-biserial
        correlation magnitude ``|2 AUC - 1|`` (``"rank_biserial"``) with
        ``AUC = U / (n m) = P(X_ref > X_cur) + P(X_ref = X_cur) / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import mann_whitney
    >>> rng = np.random.default_rng(0)
    >>> r = mann_whitney(rng.normal(size=300), rng.normal(0.5, 1.0, 200))
    >>> r.method, r.pvalue < 0.001, 0.2 < r.effect_size < 0.4
    ('asymptotic', True, True)
    """
    check_choice("mann_whitney", "alternative", alternative, _ALTERNATIVES)
    check_choice("mann_whitney", "method", method, ("auto", "exact", "asymptotic"))
    if not isinstance(use_continuity, (bool, np.bool_)):
        raise TypeError(f"mann_whitney: use_continuity must be a bool, got {use_continuity!r}.")
    ref, cur = numeric_pair(reference, current, "mann_whitney")
    from scipy import stats

    res = stats.mannwhitneyu(ref, cur, use_continuity=bool(use_continuity),
                             alternative=alternative, method=method)
    n, m = ref.shape[0], cur.shape[0]
    used = method
    if method == "auto":
        ties = np.unique(np.concatenate([ref, cur])).shape[0] < n + m
        used = "asymptotic" if (n > 8 and m > 8) or ties else "exact"
    u = float(res.statistic)
    return TestResult(test="mann_whitney", statistic=u, pvalue=float(res.pvalue),
                      effect_size=abs(2.0 * u / (n * m) - 1.0), effect_name="rank_biserial",
                      method=used, n_reference=int(n), n_current=int(m))
