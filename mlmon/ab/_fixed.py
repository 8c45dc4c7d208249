"""Fixed-horizon A/B tests of proportions, means and ratio metrics, and CUPED.

Every test returns an :class:`~mlmon.ab.ABResult` whose effect is *treatment minus control*
(or ``treatment / control - 1`` with ``relative=True``). ``alternative="greater"`` asks
whether the treatment's metric is higher, ``"less"`` whether it is lower; a one-sided
alternative gives a one-sided interval whose other end is the parameter's bound (``inf``,
or ``1`` for a difference of proportions).
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Callable, Literal, get_type_hints

import annotated_types as at
import numpy as np

from mlmon._validation import _check, check_signal
from mlmon.ab._result import ABResult

__all__ = ["cuped", "means", "proportions", "ratio"]

Confidence = Annotated[float, at.Gt(0), at.Lt(1)]
Alternative = Literal["two-sided", "less", "greater"]


# --- shared checks ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    return get_type_hints(func, include_extras=True)


def check_params(owner: str, func: Callable[..., Any], **values: Any) -> None:
    """Check keyword arguments against ``func``'s annotations; the error names the field."""
    hints = _hints(func)
    for name, value in values.items():
        err = _check(owner, name, value, hints[name])
        if err is not None:
            raise err[0](err[1])


def sample(x: Any, owner: str, name: str, *, min_length: int = 2) -> np.ndarray:
    """``x`` as a 1-D finite float64 array of at least ``min_length`` values, or an error."""
    try:
        return check_signal(x, name=name, min_length=min_length)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{owner}: {err}") from None


def paired(a: Any, b: Any, owner: str, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two per-unit arrays of one arm (same length, one value per unit)."""
    x, y = sample(a, owner, names[0]), sample(b, owner, names[1])
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{owner}: {names[0]} and {names[1]} must hold one value per unit (same "
                         f"length), got {x.shape[0]} and {y.shape[0]}; align them by unit id.")
    return x, y


def _count(owner: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return _count(owner, name, int(value), minimum)
        raise TypeError(f"{owner}: {name} must be a whole number (a count), got {value!r}.")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}.")
    return int(value)


# --- normal and t tails ----------------------------------------------------------------------


def z_pvalue(z: float, alternative: str) -> float:
    """p-value of a standard normal statistic (positive ``z``: treatment higher)."""
    from scipy.special import ndtr

    if alternative == "greater":
        return float(ndtr(-z))
    if alternative == "less":
        return float(ndtr(z))
    return float(min(1.0, 2.0 * ndtr(-abs(z))))


def t_pvalue(t: float, df: float, alternative: str) -> float:
    """p-value of a Student t statistic with ``df`` degrees of freedom."""
    from scipy.special import stdtr

    if alternative == "greater":
        return float(stdtr(df, -t))
    if alternative == "less":
        return float(stdtr(df, t))
    return float(min(1.0, 2.0 * stdtr(df, -abs(t))))


def critical(confidence: float, alternative: str, df: float | None = None) -> float:
    """The normal (or t with ``df``) quantile a ``confidence`` interval needs."""
    from scipy.special import ndtri, stdtrit

    level = (1.0 + confidence) / 2.0 if alternative == "two-sided" else confidence
    return float(ndtri(level) if df is None else stdtrit(df, level))


def interval(estimate: float, se: float, crit: float, alternative: str,
             bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float]:
    """``estimate -/+ crit * se``, one-sided ones open to ``bounds``."""
    low, high = estimate - crit * se, estimate + crit * se
    if alternative == "greater":
        return low, bounds[1]
    if alternative == "less":
        return bounds[0], high
    return low, high


def relative_delta(mean_c: float, var_c: float, mean_t: float, var_t: float) -> tuple[float, float]:
    """``mean_t / mean_c - 1`` and its delta-method standard error for independent arms
    (``var_*`` are the variances of the two estimates)."""
    ratio = mean_t / mean_c
    se = math.sqrt(var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4)
    return ratio - 1.0, se


# --- proportions -----------------------------------------------------------------------------


def wilson(successes: Any, n: Any, z: float) -> tuple[Any, Any]:
    """Wilson score interval of a binomial proportion (no continuity correction).

    Works elementwise on arrays.

    Examples
    --------
    >>> low, high = wilson(56, 70, 1.959963984540054)
    >>> round(float(low), 4), round(float(high), 4)
    (0.6918, 0.877)
    """
    p = np.asarray(successes, dtype=float) / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def newcombe(x_c: Any, n_c: Any, x_t: Any, n_t: Any, z: float) -> tuple[Any, Any]:
    """Newcombe's hybrid score interval (his method 10) for ``p_t - p_c``, elementwise.

    Examples
    --------
    >>> low, high = newcombe(48, 80, 56, 70, 1.959963984540054)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    """
    p_c, p_t = np.asarray(x_c, dtype=float) / n_c, np.asarray(x_t, dtype=float) / n_t
    l_c, u_c = wilson(x_c, n_c, z)
    l_t, u_t = wilson(x_t, n_t, z)
    d = p_t - p_c
    return (d - np.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2),
            d + np.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2))


def proportions(successes_control: int, n_control: int, successes_treatment: int,
                n_treatment: int, *, confidence: Confidence = 0.95,
                alternative: Alternative = "two-sided", relative: bool = False) -> ABResult:
    """Compare two conversion rates: pooled two-proportion z-test and Newcombe's interval.

    The p-value is the pooled two-proportion z-test's, ``z = (p_t - p_c) / sqrt(p (1 - p)
    (1/n_c + 1/n_t))`` with ``p`` the pooled rate (two-sided, it equals the chi-square test of
    the 2 x 2 table without continuity correction); it is 1 when both arms are all failures or
    all successes. The interval for the difference ``p_t - p_c`` is Newcombe's hybrid score
    interval (method 10 of Newcombe 1998, *Statistics in Medicine* 17:873-890), built from the
    two Wilson score intervals: it stays inside [-1, 1] and keeps close to its nominal
    coverage for small counts and rates near 0 or 1, where the Wald interval fails.

    With ``relative=True`` the effect is the relative lift ``p_t / p_c - 1`` and its interval
    is the delta-method interval on the log of the risk ratio (Katz et al. 1978): ``exp(log(
    p_t / p_c) -/+ z sqrt(1/x_t - 1/n_t + 1/x_c - 1/n_c)) - 1``, which needs a success in each
    arm. The p-value is the z-test's in both cases (same null hypothesis, ``p_t = p_c``).

    Parameters
    ----------
    successes_control, n_control
        Conversions and units of the control arm (whole numbers, ``0 <= successes <= n``).
    successes_treatment, n_treatment
        The same for the treatment arm.
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment rate higher) or ``"less"``; a one-sided
        alternative gives a one-sided interval (Wilson bounds at ``confidence``).
    relative
        Report the relative lift instead of the difference.

    Returns
    -------
    ABResult
        ``test="two_proportion_z"``, ``method="newcombe"`` (or ``"delta_log"`` when
        relative); ``control`` and ``treatment`` are the two rates; ``details`` holds ``z``
        and the pooled rate.

    Examples
    --------
    >>> from mlmon.ab import proportions
    >>> r = proportions(48, 80, 56, 70)
    >>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4), round(r.pvalue, 4)
    (0.2, 0.0524, 0.3339, 0.008)
    >>> round(proportions(48, 80, 56, 70, relative=True).estimate, 4)
    0.3333
    """
    owner = "proportions"
    check_params(owner, proportions, confidence=confidence, alternative=alternative,
                 relative=relative)
    n_c = _count(owner, "n_control", n_control, 1)
    n_t = _count(owner, "n_treatment", n_treatment, 1)
    x_c = _count(owner, "successes_control", successes_control, 0)
    x_t = _count(owner, "successes_treatment", successes_treatment, 0)
    for name, x, n, n_name in (("successes_control", x_c, n_c, "n_control"),
                               ("successes_treatment", x_t, n_t, "n_treatment")):
        if x > n:
            raise ValueError(f"{owner}: {name} ({x}) cannot exceed {n_name} ({n}); pass the "
                             "number of converting units and the number of units in the arm.")
    p_c, p_t = x_c / n_c, x_t / n_t
    pooled = (x_c + x_t) / (n_c + n_t)
    se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t))
    z = (p_t - p_c) / se0 if se0 > 0 else 0.0
    pvalue = z_pvalue(z, alternative) if se0 > 0 else 1.0
    crit = critical(confidence, alternative)
    details: dict[str, Any] = {"z": z, "pooled_rate": pooled}
    if relative:
        if x_c == 0 or x_t == 0:
            raise ValueError(f"{owner}: relative=True needs at least one success in each arm "
                             f"(got {x_c} in control and {x_t} in treatment), since the log "
                             "risk ratio is undefined otherwise; report the difference "
                             "(relative=False) instead.")
        log_rr = math.log(p_t / p_c)
        se = math.sqrt(1.0 / x_t - 1.0 / n_t + 1.0 / x_c - 1.0 / n_c)
        low, high = interval(log_rr, se, crit, alternative)
        estimate, ci_low, ci_high = p_t / p_c - 1.0, math.expm1(low), math.expm1(high)
        effect, method = "relative_difference", "delta_log"
        details["se_log_ratio"] = se
    else:
        low, high = newcombe(x_c, n_c, x_t, n_t, crit)
        ci_low = float(low) if alternative != "less" else -1.0
        ci_high = float(high) if alternative != "greater" else 1.0
        estimate, effect, method = p_t - p_c, "difference_of_proportions", "newcombe"
    return ABResult(test="two_proportion_z", estimate=float(estimate), ci_low=float(ci_low),
                    ci_high=float(ci_high), pvalue=pvalue, effect_name=effect,
                    confidence=float(confidence), alternative=alternative, n_control=n_c,
                    n_treatment=n_t, control=p_c, treatment=p_t, method=method, details=details)


# --- means (Welch) ---------------------------------------------------------------------------


def welch_result(c: np.ndarray, t: np.ndarray, *, owner: str, test: str, confidence: float,
                 alternative: str, relative: bool, details: dict[str, Any] | None = None,
                 ) -> ABResult:
    """Welch's t comparison of two checked samples (shared by :func:`means` and :func:`cuped`)."""
    n_c, n_t = c.shape[0], t.shape[0]
    m_c, m_t = float(np.mean(c)), float(np.mean(t))
    s2c, s2t = float(np.var(c, ddof=1)) / n_c, float(np.var(t, ddof=1)) / n_t
    if s2c + s2t == 0.0:
        raise ValueError(f"{owner}: both arms are constant (zero variance), so the t statistic "
                         "is undefined; compare the values directly.")
    se = math.sqrt(s2c + s2t)
    df = (s2c + s2t) ** 2 / (s2c**2 / (n_c - 1) + s2t**2 / (n_t - 1))
    diff = m_t - m_c
    tstat = diff / se
    pvalue = t_pvalue(tstat, df, alternative)
    info = {"t": tstat, "df": df, "se": se, **(details or {})}
    if relative:
        if m_c == 0.0:
            raise ValueError(f"{owner}: relative=True divides by the control mean, which is 0; "
                             "report the difference (relative=False) instead.")
        estimate, se_rel = relative_delta(m_c, s2c, m_t, s2t)
        low, high = interval(estimate, se_rel, critical(confidence, alternative), alternative)
        effect, method = "relative_difference", "delta"
        info["se_relative"] = se_rel
    else:
        estimate = diff
        low, high = interval(diff, se, critical(confidence, alternative, df), alternative)
        effect, method = "difference_of_means", "t"
    return ABResult(test=test, estimate=float(estimate), ci_low=float(low), ci_high=float(high),
                    pvalue=pvalue, effect_name=effect, confidence=float(confidence),
                    alternative=alternative, n_control=n_c, n_treatment=n_t, control=m_c,
                    treatment=m_t, method=method, details=info)


def means(control: Any, treatment: Any, *, confidence: Confidence = 0.95,
          alternative: Alternative = "two-sided", relative: bool = False) -> ABResult:
    """Compare two means with Welch's unequal-variance t-test.

    ``t = (mean_t - mean_c) / sqrt(s_t^2/n_t + s_c^2/n_c)`` with the Welch-Satterthwaite degrees
    of freedom; the p-value and interval are those of
    ``scipy.stats.ttest_ind(treatment, control, equal_var=False)`` and its
    ``confidence_interval``. With ``relative=True`` the effect is ``mean_t / mean_c - 1`` with
    a delta-method normal interval (the p-value stays Welch's: same null hypothesis).

    Parameters
    ----------
    control, treatment
        Per-unit values of each arm (at least 2 each, finite, not both constant).
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment mean higher) or ``"less"``.
    relative
        Report the relative difference instead of the difference.

    Returns
    -------
    ABResult
        ``test="welch"``, ``method="t"`` (``"delta"`` when relative); ``details`` holds
        ``t``, ``df`` and ``se``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import means
    >>> rng = np.random.default_rng(0)
    >>> r = means(rng.normal(10.0, 2.0, 400), rng.normal(10.5, 2.0, 400))
    >>> r.test, r.pvalue < 0.01, r.contains(0.5)
    ('welch', True, True)
    """
    owner = "means"
    check_params(owner, means, confidence=confidence, alternative=alternative, relative=relative)
    c, t = sample(control, owner, "control"), sample(treatment, owner, "treatment")
    return welch_result(c, t, owner=owner, test="welch", confidence=confidence,
                        alternative=alternative, relative=relative)


# --- ratio metrics (delta method) ------------------------------------------------------------


def _ratio_arm(num: np.ndarray, den: np.ndarray, owner: str, arm: str) -> tuple[float, float]:
    """The ratio ``sum(num) / sum(den)`` of one arm and the delta-method variance of it."""
    n = num.shape[0]
    m_x = float(np.mean(den))
    if m_x == 0.0:
        raise ValueError(f"{owner}: the {arm} denominators sum to 0, so the ratio is undefined; "
                         "drop units with no exposure or check the denominator column.")
    m_y = float(np.mean(num))
    r = m_y / m_x
    cov = np.cov(num, den, ddof=1)
    var = (cov[0, 0] - 2.0 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * m_x * m_x)
    return r, max(float(var), 0.0)


def ratio(num_control: Any, den_control: Any, num_treatment: Any, den_treatment: Any, *,
          confidence: Confidence = 0.95, alternative: Alternative = "two-sided",
          relative: bool = False) -> ABResult:
    """Compare a ratio metric (clicks per session, revenue per order) with the delta method.

    The unit of randomisation (a user) contributes a numerator ``y`` and a denominator ``x``;
    an arm's metric is ``R = sum(y) / sum(x)``. Units' sessions are not independent, so the
    variance comes from the delta method over units (Deng, Knoblich & Lu 2018, "Applying the
    delta method in metric analytics"): ``var(R) = (s_y^2 - 2 R s_xy + R^2 s_x^2) / (n
    mean(x)^2)``, with the per-unit covariance ``s_xy`` of numerator and denominator. The
    difference ``R_t - R_c`` gets a z-test and a normal interval; with ``relative=True`` the
    effect is ``R_t / R_c - 1`` with the delta-method standard error ``(R_t / R_c) sqrt(var_t /
    R_t^2 + var_c / R_c^2)`` (the p-value stays the difference's: same null hypothesis).
    With every denominator 1 this is the z version of :func:`means`.

    Parameters
    ----------
    num_control, den_control
        Per-unit numerators and denominators of the control arm (same length).
    num_treatment, den_treatment
        The same for the treatment arm.
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment ratio higher) or ``"less"``.
    relative
        Report the relative difference of the ratios instead of their difference.

    Returns
    -------
    ABResult
        ``test="ratio_z"``, ``method="delta"``; ``control`` and ``treatment`` are the two
        ratios; ``details`` holds ``z`` and ``se``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import ratio
    >>> rng = np.random.default_rng(0)
    >>> sessions_c, sessions_t = rng.poisson(3, 2000) + 1, rng.poisson(3, 2000) + 1
    >>> clicks_c, clicks_t = rng.binomial(sessions_c, 0.20), rng.binomial(sessions_t, 0.23)
    >>> r = ratio(clicks_c, sessions_c, clicks_t, sessions_t)
    >>> r.effect_name, r.pvalue < 0.01, r.contains(0.03)
    ('difference_of_ratios', True, True)
    """
    owner = "ratio"
    check_params(owner, ratio, confidence=confidence, alternative=alternative, relative=relative)
    y_c, x_c = paired(num_control, den_control, owner, ("num_control", "den_control"))
    y_t, x_t = paired(num_treatment, den_treatment, owner, ("num_treatment", "den_treatment"))
    r_c, v_c = _ratio_arm(y_c, x_c, owner, "control")
    r_t, v_t = _ratio_arm(y_t, x_t, owner, "treatment")
    if v_c + v_t == 0.0:
        raise ValueError(f"{owner}: the ratio has zero variance in both arms (every unit has the "
                         "same ratio), so no test is possible; compare the ratios directly.")
    se = math.sqrt(v_c + v_t)
    z = (r_t - r_c) / se
    crit = critical(confidence, alternative)
    details: dict[str, Any] = {"z": z, "se": se}
    if relative:
        if r_c == 0.0:
            raise ValueError(f"{owner}: relative=True divides by the control ratio, which is 0; "
                             "report the difference (relative=False) instead.")
        estimate, se_rel = relative_delta(r_c, v_c, r_t, v_t)
        low, high = interval(estimate, se_rel, crit, alternative)
        effect = "relative_difference"
        details["se_relative"] = se_rel
    else:
        estimate = r_t - r_c
        low, high = interval(estimate, se, crit, alternative)
        effect = "difference_of_ratios"
    return ABResult(test="ratio_z", estimate=float(estimate), ci_low=float(low),
                    ci_high=float(high), pvalue=z_pvalue(z, alternative), effect_name=effect,
                    confidence=float(confidence), alternative=alternative,
                    n_control=int(y_c.shape[0]), n_treatment=int(y_t.shape[0]), control=r_c,
                    treatment=r_t, method="delta", details=details)


# --- CUPED -----------------------------------------------------------------------------------


def cuped(control_y: Any, control_x: Any, treatment_y: Any, treatment_x: Any, *,
          confidence: Confidence = 0.95, alternative: Alternative = "two-sided",
          relative: bool = False) -> ABResult:
    """Compare two means after removing what a pre-period covariate predicts (CUPED).

    CUPED (Deng, Xu, Kohavi & Walker 2013) replaces each unit's metric ``y`` by ``y - theta
    (x - mean(x))``, where ``x`` is the same unit's value before the experiment (so it cannot
    depend on the assignment) and ``mean(x)`` is its mean over both arms. ``theta`` is the
    pooled within-arm regression slope ``sum_arms sum (y - ybar_arm)(x - xbar_arm) / sum_arms
    sum (x - xbar_arm)^2``. The adjusted values go through Welch's test (:func:`means`); the
    effect stays unbiased and its variance shrinks by about ``rho^2``, the squared correlation
    of ``y`` and ``x``.

    Parameters
    ----------
    control_y, control_x
        Per-unit metric and pre-period covariate of the control arm (same length).
    treatment_y, treatment_x
        The same for the treatment arm.
    confidence
        Coverage of the interval.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment mean higher) or ``"less"``.
    relative
        Report the adjusted relative difference (delta method) instead of the difference.

    Returns
    -------
    ABResult
        ``test="cuped"``; ``control`` and ``treatment`` are the adjusted arm means (their
        difference is the estimate); ``details`` holds ``theta``, the pooled within-arm
        ``correlation``, ``variance_reduction`` (``1 - var_adjusted / var_unadjusted`` of the
        estimated difference), and the unadjusted ``estimate_unadjusted``, ``se_unadjusted``
        and ``pvalue_unadjusted``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.ab import cuped
    >>> rng = np.random.default_rng(0)
    >>> x_c, x_t = rng.normal(10, 2, 1000), rng.normal(10, 2, 1000)
    >>> y_c = x_c + rng.normal(0, 1, 1000)
    >>> y_t = x_t + 0.2 + rng.normal(0, 1, 1000)
    >>> r = cuped(y_c, x_c, y_t, x_t)
    >>> r.pvalue < 0.001, round(r.details["variance_reduction"], 1)
    (True, 0.8)
    """
    owner = "cuped"
    check_params(owner, cuped, confidence=confidence, alternative=alternative, relative=relative)
    y_c, x_c = paired(control_y, control_x, owner, ("control_y", "control_x"))
    y_t, x_t = paired(treatment_y, treatment_x, owner, ("treatment_y", "treatment_x"))
    dx_c, dx_t = x_c - x_c.mean(), x_t - x_t.mean()
    dy_c, dy_t = y_c - y_c.mean(), y_t - y_t.mean()
    sxx = float(dx_c @ dx_c + dx_t @ dx_t)
    syy = float(dy_c @ dy_c + dy_t @ dy_t)
    if sxx == 0.0:
        raise ValueError(f"{owner}: the covariate is constant within each arm (zero variance), so "
                         "it cannot explain any variance; pass a pre-period metric that varies "
                         "between units, or use means().")
    sxy = float(dx_c @ dy_c + dx_t @ dy_t)
    theta = sxy / sxx
    x_bar = float(np.concatenate([x_c, x_t]).mean())
    adj_c, adj_t = y_c - theta * (x_c - x_bar), y_t - theta * (x_t - x_bar)
    raw = welch_result(y_c, y_t, owner=owner, test="cuped", confidence=confidence,
                       alternative=alternative, relative=False)
    se_raw = raw.details["se"]
    var_adj = (float(np.var(adj_c, ddof=1)) / adj_c.shape[0]
               + float(np.var(adj_t, ddof=1)) / adj_t.shape[0])
    details = {"theta": theta, "correlation": sxy / math.sqrt(sxx * syy) if syy > 0 else 0.0,
               "variance_reduction": 1.0 - var_adj / se_raw**2,
               "estimate_unadjusted": raw.estimate, "se_unadjusted": se_raw,
               "pvalue_unadjusted": raw.pvalue}
    return welch_result(adj_c, adj_t, owner=owner, test="cuped", confidence=confidence,
                        alternative=alternative, relative=relative, details=details)
