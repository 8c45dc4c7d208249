"""Power of the two-sample tests for an effect that matters, and minimum detectable effects.

With large samples every difference is significant; what a monitoring team needs is the
probability of detecting a difference large enough to matter (power), or the smallest
such difference a given design detects (minimum detectable effect). Effects are in each
test's own ``effect_name`` units (:data:`mlmon.stats.TESTS`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon.stats._continuous import check_count

__all__ = ["min_detectable_effect", "power"]

_ANALYTIC = ("welch", "mann_whitney", "chi_square", "g_test")
_MONTE_CARLO = ("ks", "cvm", "anderson_darling")


def _check(test: Any, effect: float | None, n_reference: Any, n_current: Any, alpha: Any,
           n_categories: Any, n_sim: Any) -> None:
    if test not in _ANALYTIC + _MONTE_CARLO:
        from mlmon.stats._univariate import TESTS

        if test in TESTS:
            raise ValueError(f"power: {test!r} has no p-value of its own (a distance), so it has "
                             f"no power; choose one of {', '.join(_ANALYTIC + _MONTE_CARLO)}.")
        raise ValueError(f"power: unknown test {test!r}; valid tests are "
                         f"{', '.join(_ANALYTIC + _MONTE_CARLO)}.")
    check_count("power", "n_reference", n_reference, minimum=2, allow_none=False)
    check_count("power", "n_current", n_current, minimum=2, allow_none=False)
    check_count("power", "n_sim", n_sim, minimum=10, allow_none=False)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise ValueError(f"power: alpha must be a float in (0, 1), got {alpha!r}.")
    if effect is not None and (isinstance(effect, bool) or not isinstance(effect, (int, float))
                               or not math.isfinite(effect) or effect < 0):
        raise ValueError(f"power: effect_size must be a finite number >= 0, got {effect!r}.")
    if test in ("chi_square", "g_test"):
        if n_categories is None:
            raise ValueError(f"power: {test} needs n_categories (the number of categories k of "
                             "the 2 x k table).")
        check_count("power", "n_categories", n_categories, minimum=2, allow_none=False)


# --- the normal location model behind the Monte Carlo tests ---------------------------------


def _population_effect(test: str, delta: float, n_reference: int, n_current: int) -> float:
    """Effect of a unit-normal location shift ``delta`` in ``test``'s units (population value)."""
    from scipy import integrate, special

    if test == "ks":
        return float(2.0 * special.ndtr(delta / 2.0) - 1.0)
    wr, wc = n_reference / (n_reference + n_current), n_current / (n_reference + n_current)
    c = 1.0 / math.sqrt(2.0 * math.pi)

    def integrand(x: float) -> float:
        f, g = special.ndtr(x), special.ndtr(x - delta)
        dh = c * (wr * math.exp(-0.5 * x * x) + wc * math.exp(-0.5 * (x - delta) ** 2))
        if test == "cvm":
            return (f - g) ** 2 * dh
        h = wr * f + wc * g
        hh = h * (1.0 - h)
        return 0.0 if hh <= 0.0 else (f - g) ** 2 / hh * dh

    value, _ = integrate.quad(integrand, -12.0, 12.0 + delta, limit=200, points=[0.0, delta])
    return float(value)


def _shift_for(test: str, effect: float, n_reference: int, n_current: int) -> float:
    """The normal location shift whose population effect is ``effect``."""
    from scipy import optimize, stats

    if test == "ks":
        if effect >= 1.0:
            raise ValueError("power: a KS distance must be below 1.")
        return float(2.0 * stats.norm.ppf((1.0 + effect) / 2.0))
    if effect == 0.0:
        return 0.0
    top = _population_effect(test, 30.0, n_reference, n_current)
    if effect >= top:
        raise ValueError(f"power: {test} effect sizes of a location shift stay below {top:.4g}; "
                         f"got {effect!r}.")
    return float(optimize.brentq(
        lambda d: _population_effect(test, d, n_reference, n_current) - effect, 0.0, 30.0,
        xtol=1e-10))


def _simulated_power(test: str, delta: float, n_reference: int, n_current: int, alpha: float,
                     n_sim: int, seed: Any) -> float:
    """Share of ``n_sim`` normal samples (the current one shifted by ``delta``) rejected.

    scipy's test is called directly with the defaults of the batch function of the same name
    (so the p-values are the same), over all samples at once where scipy vectorises.
    """
    import warnings

    from scipy import stats

    rng = np.random.default_rng(seed)
    ref = rng.standard_normal((n_sim, n_reference))
    cur = rng.standard_normal((n_sim, n_current)) + delta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning))
        if test == "cvm":
            p = stats.cramervonmises_2samp(ref, cur, axis=1).pvalue
        elif test == "ks":
            p = stats.ks_2samp(ref, cur, axis=1).pvalue
        else:
            p = np.array([stats.anderson_ksamp([a, b], variant="midrank").pvalue
                          for a, b in zip(ref, cur)])
    return float(np.mean(np.asarray(p) < alpha))


# --- power ---------------------------------------------------------------------------------


def _power(test: str, effect: float, n_reference: int, n_current: int, alpha: float,
           n_categories: int | None, n_sim: int, seed: Any) -> float:
    from scipy import stats

    n1, n2 = float(n_reference), float(n_current)
    if test == "welch":
        df = (1.0 / n1 + 1.0 / n2) ** 2 / (1.0 / (n1 * n1 * (n1 - 1.0))
                                           + 1.0 / (n2 * n2 * (n2 - 1.0)))
        nc = effect / math.sqrt(1.0 / n1 + 1.0 / n2)
        crit = stats.t.ppf(1.0 - alpha / 2.0, df)
        upper, lower = float(stats.nct.sf(crit, df, nc)), float(stats.nct.cdf(-crit, df, nc))
        return upper + (lower if math.isfinite(lower) else 0.0)  # scipy gives NaN for ~0
    if test == "mann_whitney":
        if effect > 1.0:
            raise ValueError(f"power: a rank-biserial effect is at most 1, got {effect!r}.")
        z = (effect / 2.0) * math.sqrt(12.0 * n1 * n2 / (n1 + n2 + 1.0))
        crit = stats.norm.ppf(1.0 - alpha / 2.0)
        return float(stats.norm.cdf(z - crit) + stats.norm.cdf(-z - crit))
    if test in ("chi_square", "g_test"):
        if effect > 1.0:
            raise ValueError(f"power: Cramér's V is at most 1, got {effect!r}.")
        df = n_categories - 1
        crit = stats.chi2.ppf(1.0 - alpha, df)
        return float(stats.ncx2.sf(crit, df, (n1 + n2) * effect ** 2)) if effect > 0 else float(alpha)
    delta = _shift_for(test, effect, n_reference, n_current)
    n_eff = n1 * n2 / (n1 + n2)
    if n_eff > LOCAL_N_EFF:
        # local alternatives: the limit law of sqrt(n_eff) * (ECDF gap) depends on n_eff and the
        # shift only through sqrt(n_eff) * delta, so simulate a smaller design with that product
        delta *= math.sqrt(n_eff / LOCAL_N_EFF)
        n_reference = n_current = int(2 * LOCAL_N_EFF)
    return _simulated_power(test, delta, n_reference, n_current, alpha, n_sim, seed)


#: Effective size ``n m / (n + m)`` above which Monte Carlo power runs on an equivalent
#: design of two samples of ``2 * LOCAL_N_EFF`` values (see :func:`power`).
LOCAL_N_EFF = 500


def power(test: str, effect_size: float, *, n_reference: int, n_current: int,
          alpha: float = 0.05, n_categories: int | None = None, n_sim: int = 1000,
          seed: int | None = None) -> float:
    """Probability that a two-sided ``test`` rejects at level ``alpha`` when the true effect is ``effect_size``.

    The effect is in the test's own ``effect_name`` units:

    - ``"welch"`` (Cohen's d): noncentral t, exact for normal data with equal variances:
      noncentrality ``d / sqrt(1/n_reference + 1/n_current)``, Welch-Satterthwaite degrees
      of freedom.
    - ``"mann_whitney"`` (rank-biserial ``r = 2 AUC - 1``): Noether's normal approximation,
      ``Phi(r/2 sqrt(12 n m / (N + 1)) - z_{1-alpha/2})`` plus the other tail (it uses the
      null variance of U, so it is a little off for large effects).
    - ``"chi_square"``, ``"g_test"`` (Cramér's V, equal to Cohen's w for a 2 x k table):
      noncentral chi-square with ``k - 1`` degrees of freedom and noncentrality
      ``N V^2`` (``N = n_reference + n_current``; ``n_categories`` gives ``k``).
    - ``"ks"``, ``"cvm"``, ``"anderson_darling"``: Monte Carlo (``n_sim`` runs of the test
      itself, seeded), on normal data shifted in location by the amount whose *population*
      effect (KS distance, ``omega2``, AD discrepancy against the pooled distribution) equals
      ``effect_size``. Its standard error is ``sqrt(p (1 - p) / n_sim)``. Above an effective
      size ``n m / (n + m)`` of 500 it simulates two samples of 1,000 values with the shift
      scaled by ``sqrt(n_eff / 500)``: under local alternatives these statistics' limit laws
      depend on the design only through ``sqrt(n_eff) * shift``, so the cost stays flat (about
      0.5 s at ``n_sim=1000``) and the answer agrees with direct simulation within its
      Monte Carlo error (checked at 2,000 and 3,000 values a side).

    At ``effect_size = 0`` the analytic forms give exactly ``alpha``; the Monte Carlo forms
    give the test's actual size (at most ``alpha`` up to simulation error).

    Parameters
    ----------
    test
        ``"welch"``, ``"mann_whitney"``, ``"chi_square"``, ``"g_test"``, ``"ks"``, ``"cvm"``
        or ``"anderson_darling"``.
    effect_size
        True effect, >= 0.
    n_reference, n_current
        Sample sizes.
    alpha
        Significance level.
    n_categories
        Number of categories ``k`` (chi-square and G-test only).
    n_sim, seed
        Monte Carlo runs and their seed (KS, CvM, Anderson-Darling only).

    Examples
    --------
    >>> from mlmon.stats import power
    >>> round(power("welch", 0.2, n_reference=400, n_current=400), 3)
    0.806
    >>> power("chi_square", 0.0, n_reference=100, n_current=100, n_categories=3)
    0.05
    """
    _check(test, effect_size, n_reference, n_current, alpha, n_categories, n_sim)
    return _power(test, float(effect_size), int(n_reference), int(n_current), float(alpha),
                  n_categories, int(n_sim), seed)


def _largest_effect(test: str, n_reference: int, n_current: int) -> float:
    """An effect at or just inside the top of the test's effect scale."""
    if test in ("mann_whitney", "chi_square", "g_test"):
        return 1.0
    if test == "ks":
        return 1.0 - 1e-9
    if test == "welch":
        return 50.0
    return _population_effect(test, 30.0, n_reference, n_current) * (1.0 - 1e-9)


def min_detectable_effect(test: str, *, n_reference: int, n_current: int, alpha: float = 0.05,
                          power: float = 0.8, n_categories: int | None = None,
                          n_sim: int = 1000, seed: int | None = None) -> float:
    """The smallest effect (in ``test``'s units) detected with probability ``power``.

    Inverts :func:`power` by bisection on the effect (40 halvings for the analytic forms,
    14 for the Monte Carlo ones, which reuse ``seed`` so every evaluation sees the same
    random samples).

    Examples
    --------
    >>> from mlmon.stats import min_detectable_effect
    >>> round(min_detectable_effect("welch", n_reference=400, n_current=400, power=0.8), 3)
    0.198
    """
    target = power
    _check(test, None, n_reference, n_current, alpha, n_categories, n_sim)
    if isinstance(target, bool) or not isinstance(target, (int, float)) \
            or not float(alpha) < target < 1.0:
        raise ValueError(f"min_detectable_effect: power must be in (alpha={alpha}, 1), got {target!r}.")

    def at(effect: float) -> float:
        return _power(test, effect, int(n_reference), int(n_current), float(alpha),
                      n_categories, int(n_sim), seed)

    hi = _largest_effect(test, int(n_reference), int(n_current))
    if at(hi) < target:
        raise ValueError(f"min_detectable_effect: {test} with n_reference={n_reference} and "
                         f"n_current={n_current} does not reach power {target} at any effect; "
                         "collect larger samples.")
    lo = 0.0
    for _ in range(40 if test in _ANALYTIC else 14):
        mid = 0.5 * (lo + hi)
        if at(mid) >= target:
            hi = mid
        else:
            lo = mid
    return float(hi)
