"""Fixed-horizon A/B tests and their planning (mlmon.ab._fixed, _nonparametric, _planning).

Checked against scipy where it has the same test, against published numbers and closed
forms, and by simulation. Monte Carlo checks use fixed seeds and binomial tolerances: ``TOL``
standard errors of an empirical rate (each fails by chance with probability below about
1e-4), around a target that theory gives (the nominal level, or the exact coverage or power).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from mlmon.ab import (ABResult, SampleSize, bootstrap, cuped, mann_whitney, mde, means, power,
                      proportions, ratio, sample_size)
from mlmon.ab._nonparametric import _DIRECT, pairwise_order_statistics, u_distribution

TOL = 4.0  # standard errors
ALTERNATIVES = ("two-sided", "greater", "less")


def _band(p: float, n: int) -> float:
    """TOL binomial standard errors of a rate ``p`` estimated from ``n`` trials."""
    return TOL * math.sqrt(p * (1.0 - p) / n)


def _covered(results: list[ABResult], truth: float) -> float:
    return float(np.mean([r.ci_low <= truth <= r.ci_high for r in results]))


# --- proportions -----------------------------------------------------------------------------

# Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10 (hybrid score,
# no continuity correction): (x1, n1, x2, n2) -> 95% interval for p1 - p2.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_reproduces_published_table(counts, published):
    x1, n1, x2, n2 = counts
    r = proportions(x2, n2, x1, n1)  # group 1 is the treatment: the effect is p1 - p2
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == published
    assert r.estimate == pytest.approx(x1 / n1 - x2 / n2)
    assert (r.test, r.method, r.effect_name) == ("two_proportion_z", "newcombe",
                                                 "difference_of_proportions")


@pytest.mark.parametrize("table", [(48, 80, 56, 70), (3, 200, 11, 180), (500, 1000, 480, 1000),
                                   (0, 50, 4, 60)])
def test_pooled_z_matches_chi_square_without_correction(table):
    x_c, n_c, x_t, n_t = table
    r = proportions(x_c, n_c, x_t, n_t)
    chi2 = stats.chi2_contingency([[x_c, n_c - x_c], [x_t, n_t - x_t]], correction=False)
    assert r.pvalue == pytest.approx(chi2.pvalue, rel=1e-10)
    assert r.details["z"] ** 2 == pytest.approx(chi2.statistic, rel=1e-10)
    # one-sided: half the two-sided p-value in the observed direction
    up, down = (proportions(x_c, n_c, x_t, n_t, alternative=a) for a in ("greater", "less"))
    observed = up if r.estimate > 0 else down
    assert observed.pvalue == pytest.approx(r.pvalue / 2, rel=1e-10)
    assert up.pvalue + down.pvalue == pytest.approx(1.0)


def test_proportions_one_sided_interval_and_no_variation():
    two = proportions(48, 80, 56, 70, confidence=0.90)
    up = proportions(48, 80, 56, 70, alternative="greater", confidence=0.95)
    down = proportions(48, 80, 56, 70, alternative="less", confidence=0.95)
    assert up.ci_low == pytest.approx(two.ci_low) and up.ci_high == 1.0
    assert down.ci_high == pytest.approx(two.ci_high) and down.ci_low == -1.0
    same = proportions(0, 40, 0, 60)
    assert (same.pvalue, same.estimate) == (1.0, 0.0) and same.ci_low < 0 < same.ci_high


@pytest.mark.parametrize("counts", [(48, 80, 56, 70), (30, 1000, 45, 1100), (7, 30, 2, 25)])
def test_relative_lift_matches_scipy_relative_risk(counts):
    x_c, n_c, x_t, n_t = counts
    r = proportions(x_c, n_c, x_t, n_t, relative=True, confidence=0.9)
    rr = stats.contingency.relative_risk(x_t, n_t, x_c, n_c)  # Katz log interval
    ci = rr.confidence_interval(confidence_level=0.9)
    assert r.estimate == pytest.approx(rr.relative_risk - 1.0, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low - 1.0, ci.high - 1.0), rel=1e-10)
    assert r.pvalue == proportions(x_c, n_c, x_t, n_t).pvalue  # same null hypothesis
    assert (r.method, r.effect_name) == ("delta_log", "relative_difference")


def test_newcombe_coverage_and_null_pvalues_by_simulation():
    rng = np.random.default_rng(11)
    n_sim, n, p_c, p_t = 2000, 400, 0.30, 0.35
    res = [proportions(int(a), n, int(b), n)
           for a, b in zip(rng.binomial(n, p_c, n_sim), rng.binomial(n, p_t, n_sim))]
    assert abs(_covered(res, p_t - p_c) - 0.95) < _band(0.95, n_sim)
    null = [proportions(int(a), 1000, int(b), 1000).pvalue
            for a, b in zip(rng.binomial(1000, 0.1, n_sim), rng.binomial(1000, 0.1, n_sim))]
    assert abs(np.mean(np.array(null) < 0.05) - 0.05) < _band(0.05, n_sim)


# --- means -----------------------------------------------------------------------------------


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_means_is_scipy_welch(alternative, confidence):
    rng = np.random.default_rng(3)
    c, t = rng.normal(5.0, 1.0, 37), rng.normal(5.6, 3.0, 18)
    r = means(c, t, confidence=confidence, alternative=alternative)
    ref = stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(confidence)
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-12, abs=1e-300)
    assert r.details["t"] == pytest.approx(ref.statistic, rel=1e-12)
    assert r.details["df"] == pytest.approx(ref.df, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert r.estimate == pytest.approx(t.mean() - c.mean(), rel=1e-12)
    assert (r.control, r.treatment) == pytest.approx((c.mean(), t.mean()))


def test_welch_and_relative_coverage_by_simulation():
    rng = np.random.default_rng(5)
    n_sim = 2000
    res = [means(rng.normal(0.0, 1.0, 8), rng.normal(0.5, 3.0, 25)) for _ in range(n_sim)]
    assert abs(_covered(res, 0.5) - 0.95) < _band(0.95, n_sim)
    rel = [means(rng.normal(10.0, 3.0, 300), rng.normal(10.5, 4.0, 300), relative=True)
           for _ in range(n_sim)]
    assert abs(_covered(rel, 0.05) - 0.95) < _band(0.95, n_sim)


def test_relative_means_delta_formula():
    c, t = np.array([9.0, 10.0, 12.0, 11.0]), np.array([12.0, 13.0, 11.0, 14.0, 15.0])
    r = means(c, t, relative=True)
    var_c, var_t = c.var(ddof=1) / 4, t.var(ddof=1) / 5
    se = math.sqrt(var_t / c.mean() ** 2 + t.mean() ** 2 * var_c / c.mean() ** 4)
    assert r.estimate == pytest.approx(t.mean() / c.mean() - 1)
    assert r.ci_high - r.estimate == pytest.approx(stats.norm.ppf(0.975) * se)
    assert r.pvalue == means(c, t).pvalue


# --- ratio metrics ---------------------------------------------------------------------------


def test_ratio_with_unit_denominators_is_the_z_test_of_means():
    rng = np.random.default_rng(2)
    c, t = rng.normal(1.0, 1.0, 300), rng.normal(1.2, 2.0, 200)
    r = ratio(c, np.ones(300), t, np.ones(200))
    se = math.sqrt(c.var(ddof=1) / 300 + t.var(ddof=1) / 200)
    assert r.estimate == pytest.approx(t.mean() - c.mean(), rel=1e-12)
    assert r.details["se"] == pytest.approx(se, rel=1e-12)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(abs(r.estimate) / se), rel=1e-10)
    assert r.ci_high - r.estimate == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-12)


def _clicks(rng, n, p_mean):
    """Users with Poisson(3)+1 sessions and a user-level click rate (Beta, mean ``p_mean``)."""
    sessions = rng.poisson(3.0, n) + 1
    rate = rng.beta(2.0, 2.0 * (1 - p_mean) / p_mean, n)
    return rng.binomial(sessions, rate), sessions


def test_ratio_delta_method_coverage_by_simulation():
    rng = np.random.default_rng(7)
    n_sim, n = 2000, 400
    res, rel = [], []
    for _ in range(n_sim):
        y_c, x_c = _clicks(rng, n, 0.20)
        y_t, x_t = _clicks(rng, n, 0.22)
        res.append(ratio(y_c, x_c, y_t, x_t))
        rel.append(ratio(y_c, x_c, y_t, x_t, relative=True))
    # the rate is independent of the sessions, so the true ratio is the mean rate
    assert abs(_covered(res, 0.02) - 0.95) < _band(0.95, n_sim)
    assert abs(_covered(rel, 0.22 / 0.20 - 1) - 0.95) < _band(0.95, n_sim)
    # the delta-method variance is the variance of the estimate across experiments (the
    # sample variance of 2000 normal estimates has relative sd sqrt(2 / 1999))
    est = np.array([r.estimate for r in res])
    se2 = np.mean([r.details["se"] ** 2 for r in res])
    assert abs(est.var(ddof=1) / se2 - 1.0) < TOL * math.sqrt(2 / (n_sim - 1))


# --- Mann-Whitney and Hodges-Lehmann ---------------------------------------------------------


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("sizes", [(6, 9), (30, 45)])
@pytest.mark.parametrize("method", ["auto", "exact", "asymptotic"])
def test_mann_whitney_pvalue_is_scipy(alternative, sizes, method):
    rng = np.random.default_rng(sum(sizes))
    c, t = rng.normal(0, 1, sizes[0]), rng.normal(0.6, 1, sizes[1])
    r = mann_whitney(c, t, alternative=alternative, method=method)
    ref = stats.mannwhitneyu(t, c, alternative=alternative, method=method)
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.details["u"] == ref.statistic
    assert r.method == ("exact" if method == "exact" or (method == "auto" and sizes[0] <= 8)
                        else "asymptotic")


def test_u_distribution_matches_enumeration_and_scipy_exact():
    for n, m in [(1, 1), (2, 3), (4, 5), (3, 7)]:
        counts = np.zeros(n * m + 1)
        for chosen in itertools.combinations(range(n + m), n):
            # ranks of the n values among n + m; U counts pairs the n values win
            counts[sum(r - i for i, r in enumerate(chosen))] += 1
        assert np.allclose(u_distribution(n, m), counts / counts.sum(), rtol=1e-12, atol=0)
        assert np.allclose(u_distribution(m, n), u_distribution(n, m))
    rng = np.random.default_rng(0)
    for n, m in [(5, 8), (8, 12), (7, 30)]:
        t, c = rng.normal(size=n), rng.normal(size=m)
        ref = stats.mannwhitneyu(t, c, alternative="greater", method="exact")
        sf = 1.0 - np.cumsum(u_distribution(n, m))[int(ref.statistic) - 1]
        assert sf == pytest.approx(ref.pvalue, rel=1e-9)


def _brute_hl(c, t, confidence, alternative="two-sided"):
    d = np.sort(np.subtract.outer(np.asarray(t, float), np.asarray(c, float)).ravel())
    tail = (1 - confidence) / (2 if alternative == "two-sided" else 1)
    cdf = np.cumsum(u_distribution(len(c), len(t)))
    k = int(np.sum(cdf <= tail))  # largest k with P(U <= k - 1) <= tail
    return float(np.median(d)), d, k


@pytest.mark.parametrize("sizes", [(5, 7), (12, 12), (40, 31)])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_hodges_lehmann_and_moses_interval_by_brute_force(sizes, alternative):
    rng = np.random.default_rng(sizes[0])
    c = np.round(rng.normal(0, 1, sizes[0]), 1)  # with ties
    t = np.round(rng.normal(0.4, 1, sizes[1]), 1)
    r = mann_whitney(c, t, confidence=0.9, alternative=alternative)
    median, d, k = _brute_hl(c, t, 0.9, alternative)
    assert r.estimate == median and r.details["ci_method"] == "exact"
    assert r.details["ci_rank"] == k > 0
    low, high = d[k - 1], d[d.size - k]
    assert r.ci_low == (low if alternative != "less" else -math.inf)
    assert r.ci_high == (high if alternative != "greater" else math.inf)
    assert (r.control, r.treatment) == (np.median(c), np.median(t))


def test_moses_interval_is_infinite_when_arms_are_too_small():
    r = mann_whitney([1.0, 2.0, 3.0], [2.5, 3.5, 4.5])  # P(U = 0) = 1/20 > 0.025
    assert (r.ci_low, r.ci_high) == (-math.inf, math.inf) and r.details["ci_rank"] == 0
    assert r.estimate == 1.5


@pytest.mark.parametrize("kind", ["continuous", "ties", "huge_offset"])
def test_pairwise_selection_is_exact_beyond_the_direct_size(kind):
    rng = np.random.default_rng(4)
    n, m = 1600, 1500
    assert n * m > _DIRECT  # the selection path, not the full partition
    if kind == "continuous":
        t, c = rng.normal(0.2, 1, n), rng.standard_cauchy(m)
    elif kind == "ties":
        t, c = rng.poisson(3, n).astype(float), rng.poisson(2, m).astype(float)
    else:  # differences far below the values' scale: rounding of t - c matters
        t, c = 1e15 + rng.integers(0, 50, n) / 8, 1e15 + rng.integers(0, 50, m) / 8
    t, c = np.sort(t), np.sort(c)
    big = n * m
    ranks = [0, 7, big // 3, big // 2 - 1, big // 2, big - 9, big - 1]
    want = np.partition(np.subtract.outer(t, c).ravel(), ranks)[ranks]
    assert pairwise_order_statistics(t, c, ranks, seed=1) == want.tolist()


@pytest.mark.parametrize(("n_c", "n_t"), [(20, 20), (70, 60)])
def test_moses_interval_coverage_is_its_exact_level(n_c, n_t):
    """Distribution-free: for continuous data the coverage is exactly 1 - 2 P(U <= k - 1),
    with the exact U distribution (20 x 20) or its normal approximation's k (70 x 60)."""
    rng = np.random.default_rng(n_c)
    n_sim, shift = 2000, 0.7
    res = [mann_whitney(rng.standard_t(3, n_c), rng.standard_t(3, n_t) + shift)
           for _ in range(n_sim)]
    k = res[0].details["ci_rank"]
    exact = 1.0 - 2.0 * float(np.cumsum(u_distribution(n_c, n_t))[k - 1])
    assert res[0].details["ci_method"] == ("exact" if n_c * n_t <= 2500 else "normal")
    assert 0.94 < exact and abs(res[0].details["ci_coverage"] - exact) < 0.005
    assert abs(_covered(res, shift) - exact) < _band(exact, n_sim)


# --- bootstrap -------------------------------------------------------------------------------


def test_percentile_bootstrap_of_the_mean_agrees_with_welch():
    rng = np.random.default_rng(8)
    c, t = rng.normal(0, 1, 2000), rng.normal(0.1, 2, 2000)
    b = bootstrap(c, t, n_resamples=4000, seed=1)
    w = means(c, t)
    # an empirical 2.5% quantile of B replicates has sd sqrt(q(1 - q)/B) / phi(z_q) in se units
    q, n_res = 0.025, 4000
    mc = math.sqrt(q * (1 - q) / n_res) / stats.norm.pdf(stats.norm.ppf(q)) * w.details["se"]
    assert abs(b.ci_low - w.ci_low) < TOL * mc and abs(b.ci_high - w.ci_high) < TOL * mc
    assert b.estimate == pytest.approx(w.estimate)
    assert b.details["se"] == pytest.approx(w.details["se"], rel=TOL / math.sqrt(2 * n_res))


def test_bca_matches_scipy_bootstrap_on_skewed_data():
    rng = np.random.default_rng(9)
    c, t = rng.exponential(1.0, 40), rng.lognormal(0.0, 1.0, 30)
    n_res = 100_000
    ours = bootstrap(c, t, method="bca", n_resamples=n_res, seed=2)
    pct = bootstrap(c, t, method="percentile", n_resamples=n_res, seed=2)

    def diff(x, y, axis=-1):
        return np.mean(y, axis=axis) - np.mean(x, axis=axis)

    ref = stats.bootstrap((c, t), diff, method="BCa", n_resamples=n_res, rng=3,
                          confidence_level=0.95)
    # the acceleration is deterministic: leave-one-out jackknife of each arm, U = (n - 1)
    # (mean of the jackknife values - each), a = sum sum U^3 / n^3 / (6 (sum sum U^2 / n^2)^1.5)
    # (Efron & Tibshirani 1993, eq. 14.15, summed over the samples as scipy does)
    jack = [(t.mean() - (c.sum() - c) / 39, 40), ((t.sum() - t) / 29 - c.mean(), 30)]
    u = [((n - 1) * (j.mean() - j), n) for j, n in jack]
    a = (sum(np.sum(ui**3) / n**3 for ui, n in u)
         / (6 * sum(np.sum(ui**2) / n**2 for ui, n in u) ** 1.5))
    assert ours.details["acceleration"] == pytest.approx(a, rel=1e-9)
    # endpoints: two independent Monte Carlo estimates of the same quantile; the level moves
    # with the quantile's sampling error and with z0's (slope 2 phi(z) of the BCa level in z0)
    for end, ref_end, pct_end, q in ((ours.ci_low, ref.confidence_interval.low, pct.ci_low, 0.025),
                                     (ours.ci_high, ref.confidence_interval.high, pct.ci_high, 0.975)):
        z = stats.norm.ppf(q)
        level_sd = math.sqrt(2 * (q * (1 - q) / n_res
                                  + (2 * stats.norm.pdf(z) * 0.5 / math.sqrt(n_res)
                                     / stats.norm.pdf(0)) ** 2))
        tol = TOL * level_sd / stats.norm.pdf(z) * ours.details["se"]
        assert abs(end - ref_end) < tol
        assert abs(pct_end - ref_end) > 2 * tol  # the check tells BCa from percentile here


def test_bootstrap_coverage_and_null_pvalues_by_simulation():
    rng = np.random.default_rng(12)
    n_sim = 1000
    res = [bootstrap(rng.normal(0, 1, 80), rng.normal(0.3, 1.5, 80), n_resamples=400,
                     seed=int(s)) for s in rng.integers(0, 2**31, n_sim)]
    assert abs(_covered(res, 0.3) - 0.95) < _band(0.95, n_sim)
    null = [bootstrap(rng.exponential(1, 100), rng.exponential(1, 100), statistic=np.median,
                      n_resamples=400, seed=int(s)).pvalue for s in rng.integers(0, 2**31, 500)]
    assert abs(np.mean(np.array(null) < 0.1) - 0.1) < _band(0.1, 500)


def test_bootstrap_pvalue_inverts_the_interval():
    """At the confidence the one-sided p-value gives, the interval's end is the replicates'
    quantile at the share of them below 0: it lies between the two replicates around 0.
    Replicate gaps there are about exponential with mean se / (B phi(z_p)); 15 means bound
    all 80 cases with probability above 1 - 1e-4."""
    rng = np.random.default_rng(13)
    n_res, checked = 1000, 0
    for _ in range(40):
        c, t = rng.normal(0, 1, 60), rng.normal(rng.uniform(-0.6, 0.6), 1, 60)
        for method in ("percentile", "bca"):
            r = bootstrap(c, t, method=method, n_resamples=n_res, seed=4)
            up, down = (bootstrap(c, t, method=method, n_resamples=n_res, seed=4, alternative=a)
                        for a in ("greater", "less"))
            assert up.pvalue + down.pvalue == pytest.approx(1.0, abs=1e-12)
            assert r.pvalue == pytest.approx(2 * min(up.pvalue, down.pvalue), abs=1e-12)
            side, one = ("greater", up) if up.pvalue < down.pvalue else ("less", down)
            if not 5 / n_res < one.pvalue < 0.5:
                continue
            at_p = bootstrap(c, t, method=method, n_resamples=n_res, seed=4, alternative=side,
                             confidence=1 - one.pvalue)
            end = at_p.ci_low if side == "greater" else at_p.ci_high
            gap = r.details["se"] / (n_res * stats.norm.pdf(stats.norm.ppf(one.pvalue)))
            assert abs(end) < 15 * gap
            checked += 1
    assert checked > 40


def test_bootstrap_grouped_jackknife_acceleration():
    """Arms above 2,000 values are jackknifed in 2,000 random groups of d values: the
    acceleration then carries extra noise from the cross terms of each group's cubed sum."""
    rng = np.random.default_rng(14)
    n = 4000  # groups of d = 2
    c, t = rng.normal(0, 1, n), rng.exponential(1.0, n)
    r = bootstrap(c, t, method="bca", n_resamples=100, seed=0)
    assert r.details["jackknife"] == "grouped (2000 groups)"
    infl = [(c - c.mean()) / n, (t - t.mean()) / n]  # leave-one-out influence of each mean
    num = -np.sum(infl[0] ** 3) + np.sum(infl[1] ** 3)
    den = sum(np.sum(v**2) for v in infl)
    exact = num / (6 * den**1.5)
    # cross terms 3 a^2 b + 3 a b^2 of pairs: variance 18 (m4 m2 + m3^2) per group
    noise = math.sqrt(sum(2000 * 18 * (np.mean(v**4) * np.mean(v**2) + np.mean(v**3) ** 2)
                          for v in infl)) / (6 * den**1.5)
    assert exact > 4 * noise
    assert abs(r.details["acceleration"] - exact) < TOL * noise


def test_bootstrap_statistics_and_relative():
    rng = np.random.default_rng(15)
    c, t = rng.exponential(1, 200), rng.exponential(1.2, 200)
    p90 = bootstrap(c, t, statistic=lambda x: np.percentile(x, 90), n_resamples=200, seed=0)
    assert p90.details["statistic"] == "statistic" and p90.effect_name == "difference_of_statistic"
    assert p90.estimate == pytest.approx(np.percentile(t, 90) - np.percentile(c, 90))
    vec = bootstrap(c, t, statistic=np.median, n_resamples=200, seed=0)
    loop = bootstrap(c, t, statistic=np.median, n_resamples=200, seed=0, vectorized=False)
    assert (vec.ci_low, vec.ci_high, vec.pvalue) == (loop.ci_low, loop.ci_high, loop.pvalue)
    rel = bootstrap(c, t, relative=True, n_resamples=200, seed=0)
    assert rel.estimate == pytest.approx(t.mean() / c.mean() - 1)
    assert rel.effect_name == "relative_difference"
    again = bootstrap(c, t, relative=True, n_resamples=200, seed=0)
    assert again == rel


# --- CUPED -----------------------------------------------------------------------------------


def _correlated(rng, n, rho, effect=0.0):
    x = rng.normal(0, 1, n)
    return x, rho * x + math.sqrt(1 - rho**2) * rng.normal(0, 1, n) + effect


def test_cuped_variance_reduction_is_rho_squared():
    rng = np.random.default_rng(16)
    n, rho = 5000, 0.6
    x_c, y_c = _correlated(rng, n, rho)
    x_t, y_t = _correlated(rng, n, rho, effect=0.05)
    r = cuped(y_c, x_c, y_t, x_t)
    # the sample r^2 has sd about 2 rho (1 - rho^2) / sqrt(N), N = 2n
    assert abs(r.details["variance_reduction"] - rho**2) < TOL * 2 * rho * (1 - rho**2) / math.sqrt(2 * n)
    assert r.details["correlation"] == pytest.approx(rho, abs=TOL * (1 - rho**2) / math.sqrt(2 * n))
    assert r.details["se"] < r.details["se_unadjusted"]
    # the adjustment is Welch's test on y - theta (x - mean x), theta the pooled within-arm slope
    xs = np.concatenate([x_c - x_c.mean(), x_t - x_t.mean()])
    ys = np.concatenate([y_c - y_c.mean(), y_t - y_t.mean()])
    theta = float(np.linalg.lstsq(xs[:, None], ys, rcond=None)[0][0])
    xbar = np.concatenate([x_c, x_t]).mean()
    w = means(y_c - theta * (x_c - xbar), y_t - theta * (x_t - xbar))
    assert r.details["theta"] == pytest.approx(theta, rel=1e-10)
    assert (r.estimate, r.pvalue, r.ci_low) == pytest.approx((w.estimate, w.pvalue, w.ci_low), rel=1e-9)
    assert r.estimate == pytest.approx(r.treatment - r.control)


def test_cuped_coverage_by_simulation_and_useless_covariate():
    rng = np.random.default_rng(17)
    n_sim = 2000
    res = []
    for _ in range(n_sim):
        x_c, y_c = _correlated(rng, 200, 0.8)
        x_t, y_t = _correlated(rng, 200, 0.8, effect=0.1)
        res.append(cuped(y_c, x_c, y_t, x_t))
    assert abs(_covered(res, 0.1) - 0.95) < _band(0.95, n_sim)
    est = np.array([r.estimate for r in res])
    assert abs(est.mean() - 0.1) < TOL * est.std() / math.sqrt(n_sim)  # unbiased
    x_c, x_t = rng.normal(size=3000), rng.normal(size=3000)
    r = cuped(rng.normal(size=3000), x_c, rng.normal(size=3000), x_t)
    assert abs(r.details["variance_reduction"]) < TOL * 2 / 6000  # about rho^2 = 0: r^2 ~ chi2_1 / N


# --- planning --------------------------------------------------------------------------------


def test_sample_size_textbook_values():
    z, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    assert sample_size(kind="mean", mde=0.5, sd=1.0).n_control == math.ceil(2 * (z + zb) ** 2 / 0.25) == 63
    p1, p2 = 0.10, 0.12
    pbar = (p1 + p2) / 2
    n = ((z * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2)))
         / 0.02) ** 2
    s = sample_size(baseline=0.10, mde=0.02)
    assert s.n_control == s.n_treatment == math.ceil(n) == 3841
    assert s.n_exact == pytest.approx(n) and s.achieved_power >= 0.8
    rel = sample_size(baseline=0.10, mde=0.2, relative=True)
    assert (rel.n_control, rel.n_exact, rel.relative) == (3841, pytest.approx(n), True)


DESIGNS = [
    dict(kind="proportion", baseline=0.10, mde=0.02),
    dict(kind="proportion", baseline=0.30, mde=-0.05, alternative="less", ratio=0.25),
    dict(kind="proportion", baseline=0.04, mde=0.10, relative=True, ratio=3.0, alpha=0.01),
    dict(kind="mean", mde=0.3, sd=2.0),
    dict(kind="mean", baseline=20.0, mde=0.02, sd=8.0, relative=True, alternative="greater",
         ratio=2.0, power=0.9),
]


@pytest.mark.parametrize("design", DESIGNS)
def test_planning_round_trips(design):
    design = dict(design)
    ratio_ = design.pop("ratio", 1.0)
    target = design.pop("power", 0.8)
    s = sample_size(**design, ratio=ratio_, power=target)
    shared = {k: v for k, v in design.items() if k != "mde"}
    got = power(n_control=s.n_control, n_treatment=s.n_treatment, **design)
    assert got == pytest.approx(s.achieved_power, rel=1e-12) and got >= target
    # one unit fewer in each arm falls short; the exact size sits in between
    assert power(n_control=s.n_control - 1, n_treatment=s.n_treatment - 1, **design) < target
    assert s.n_control - 1 < s.n_exact <= s.n_control
    found = mde(n_control=s.n_control, n_treatment=s.n_treatment, power=target, **shared)
    assert abs(found) <= abs(design["mde"]) and np.sign(found) == np.sign(design["mde"])
    assert found == pytest.approx(design["mde"], rel=0.02)
    again = power(n_control=s.n_control, n_treatment=s.n_treatment, **{**design, "mde": found})
    assert again == pytest.approx(target, abs=1e-10)


def test_power_is_alpha_without_effect_and_grows():
    assert power(n_control=100, kind="mean", mde=1e-12, sd=1.0) == pytest.approx(0.05)
    assert power(n_control=100, baseline=0.3, mde=1e-12, alternative="greater") == pytest.approx(0.05)
    by_n = [power(n_control=n, baseline=0.2, mde=0.03) for n in (100, 400, 1600, 6400)]
    assert all(a < b for a, b in zip(by_n, by_n[1:])) and by_n[-1] < 1


def test_power_of_proportions_matches_simulation():
    s = sample_size(baseline=0.10, mde=0.02, ratio=0.5)
    rng = np.random.default_rng(18)
    n_sim = 2000
    hits = [proportions(int(a), s.n_control, int(b), s.n_treatment).pvalue < 0.05
            for a, b in zip(rng.binomial(s.n_control, 0.10, n_sim),
                            rng.binomial(s.n_treatment, 0.12, n_sim))]
    assert abs(np.mean(hits) - s.achieved_power) < _band(s.achieved_power, n_sim)


def test_power_of_means_matches_simulation():
    kw = dict(kind="mean", mde=0.25, sd=1.5, alternative="greater")
    p = power(n_control=250, n_treatment=150, **kw)
    rng = np.random.default_rng(19)
    n_sim = 2000
    hits = [means(rng.normal(0, 1.5, 250), rng.normal(0.25, 1.5, 150),
                  alternative="greater").pvalue < 0.05 for _ in range(n_sim)]
    # Welch's t has a little less power than the z approximation: at 400 units, < 0.003
    assert abs(np.mean(hits) - p) < _band(p, n_sim) + 0.003


def test_sample_size_result_is_frozen_and_tabular():
    s = sample_size(baseline=0.2, mde=0.05, ratio=2.0)
    assert isinstance(s, SampleSize) and s.total == s.n_control + s.n_treatment
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_control = 1
    frame = s.to_frame()
    assert frame.shape[0] == 1 and frame["total"].iloc[0] == s.total


# --- results and bad input -------------------------------------------------------------------


def test_results_are_frozen_abresults():
    rng = np.random.default_rng(20)
    c, t = rng.normal(size=50), rng.normal(size=50)
    for r in (proportions(3, 10, 5, 10), means(c, t), ratio(c, np.ones(50), t, np.ones(50)),
              mann_whitney(c, t), bootstrap(c, t, n_resamples=100, seed=0),
              cuped(c, t, t, c)):
        assert isinstance(r, ABResult) and r.ci_low <= r.estimate <= r.ci_high
        assert 0.0 <= r.pvalue <= 1.0 and r.to_frame().shape[0] == 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.estimate = 0.0


BAD_INPUT = [
    (lambda: proportions(-1, 10, 3, 10), ValueError, "successes_control must be >= 0"),
    (lambda: proportions(11, 10, 3, 10), ValueError, "successes_control (11) cannot exceed n_control"),
    (lambda: proportions(1, 0, 3, 10), ValueError, "n_control must be >= 1"),
    (lambda: proportions(1.5, 10, 3, 10), TypeError, "successes_control must be a whole number"),
    (lambda: proportions(1, 10, 3, 10, confidence=95), ValueError, "'confidence' must be < 1"),
    (lambda: proportions(1, 10, 3, 10, alternative="two_sided"), ValueError, "'alternative' must be one of"),
    (lambda: proportions(0, 10, 3, 10, relative=True), ValueError, "at least one success in each arm"),
    (lambda: means([1.0, np.nan, 2.0], [1.0, 2.0]), ValueError, "control contains 1 NaN"),
    (lambda: means([], [1.0, 2.0]), ValueError, "control needs at least 2 samples"),
    (lambda: means([1.0, 2.0], ["a", "b"]), TypeError, "treatment must be numeric"),
    (lambda: means([1.0, 1.0], [2.0, 2.0]), ValueError, "both arms are constant"),
    (lambda: means([0.0, 0.0, 0.0], [1.0, 2.0], relative=True), ValueError, "control mean, which is 0"),
    (lambda: ratio([1, 2, 3], [1, 2], [1, 2], [1, 2]), ValueError,
     "num_control and den_control must hold one value per unit"),
    (lambda: ratio([1, 2], [0, 0], [1, 2], [1, 2]), ValueError, "control denominators sum to 0"),
    (lambda: ratio([1, 2], [1, 2], [2, 4], [1, 2]), ValueError, "zero variance in both arms"),
    (lambda: mann_whitney([], [1.0]), ValueError, "control needs at least 1 samples"),
    (lambda: mann_whitney([1.0], [np.inf]), ValueError, "treatment contains 1 NaN or infinite"),
    (lambda: mann_whitney([1.0], [2.0], method="permutation"), ValueError, "'method' must be one of"),
    (lambda: bootstrap([1.0, 2.0], [1.0, 3.0], n_resamples=10), ValueError, "'n_resamples' must be >= 100"),
    (lambda: bootstrap([1.0, 2.0], [1.0, 3.0], statistic="mean"), TypeError, "statistic must be a function"),
    (lambda: bootstrap([1.0, 2.0], [1.0, 3.0], statistic=lambda x, axis: x), TypeError, "one number per sample"),
    (lambda: bootstrap([1.0, 2.0], [1.0, 3.0], seed=1.5), TypeError, "'seed' must be"),
    (lambda: bootstrap([0.0, 0.0], [1.0, 3.0], relative=True), ValueError, "control's statistic, which is 0"),
    (lambda: cuped([1.0, 2.0], [1.0, 1.0], [2.0, 3.0], [1.0, 1.0]), ValueError, "covariate is constant"),
    (lambda: cuped([1.0, 2.0, 3.0], [1.0, 2.0], [2.0, 3.0], [1.0, 2.0]), ValueError,
     "control_y and control_x must hold one value per unit"),
    (lambda: sample_size(mde=0.02), ValueError, "needs baseline"),
    (lambda: sample_size(baseline=1.2, mde=0.02), ValueError, "must be in (0, 1)"),
    (lambda: sample_size(baseline=0.95, mde=0.1), ValueError, "is not a rate in (0, 1)"),
    (lambda: sample_size(kind="mean", mde=0.2), ValueError, "needs sd"),
    (lambda: sample_size(baseline=0.1, mde=0.02, sd=1.0), ValueError, "sd is for kind='mean'"),
    (lambda: sample_size(baseline=0.1, mde=0.0), ValueError, "mde must be non-zero"),
    (lambda: sample_size(baseline=0.1, mde=-0.02, alternative="greater"), ValueError, "flip the sign"),
    (lambda: sample_size(baseline=0.1, mde=0.02, power=0.01), ValueError, "must exceed alpha"),
    (lambda: sample_size(baseline=0.1, mde=0.02, ratio=0), ValueError, "'ratio' must be > 0"),
    (lambda: sample_size(kind="median", mde=0.2), ValueError, "'kind' must be one of"),
    (lambda: power(n_control=1, baseline=0.1, mde=0.02), ValueError, "n_control must be >= 2"),
    (lambda: power(n_control=100.5, baseline=0.1, mde=0.02), TypeError, "n_control must be a whole number"),
    (lambda: mde(n_control=10, baseline=0.5), ValueError, "add units"),
    (lambda: mde(n_control=100, kind="mean", sd=1.0, relative=True), ValueError, "non-zero baseline"),
]


@pytest.mark.parametrize(("call", "error", "text"), BAD_INPUT)
def test_bad_input_names_the_field(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert text in str(info.value)
