"""Sequential A/B tests: group-sequential designs, the mSPRT, and what peeking costs.

Boundaries are checked against published constants; type-I errors, powers and coverages by
simulation under fixed seeds, with binomial tolerances of ``TOL`` standard errors (each fails
by chance with probability below about 1e-5). Simulations of designs draw the z statistics
at the looks directly from their Brownian-motion law, so they test the boundaries alone;
the end-to-end simulations (raw-data statistics with estimated variances) test the whole path.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from mlmon.ab import (ABResult, AlwaysValid, GroupSequentialDesign, expected_time_to_decision,
                      group_sequential, msprt, peeking_simulation, sequential_sample_size)
from mlmon.ab._group_sequential import exit_probabilities

TOL = 4.5  # standard errors
PUBLISHED = 2e-3  # published constants are given to 3 decimals


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def _brownian_z(rng: np.random.Generator, n_sims: int, fractions, drift: float = 0.0) -> np.ndarray:
    """z statistics at the looks: Z_k = B(t_k) / sqrt(t_k), B a Brownian motion with drift."""
    t = np.asarray(fractions, dtype=float)
    steps = np.diff(np.concatenate([[0.0], t]))
    b = np.cumsum(rng.standard_normal((n_sims, t.shape[0])) * np.sqrt(steps) + drift * steps, axis=1)
    return b / np.sqrt(t)


def _rejection_rate(design: GroupSequentialDesign, z: np.ndarray, boundaries=None) -> float:
    b = np.asarray(design.boundaries if boundaries is None else boundaries)
    seen = np.abs(z) if design.alternative == "two-sided" else z
    return float(np.mean((seen >= b).any(axis=1)))


# --- published constants --------------------------------------------------------------


# Jennison & Turnbull (2000), tables 2.1 and 2.3: two-sided alpha = 0.05, equal looks
POCOCK = {1: 1.960, 2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413}
OBRIEN_FLEMING_FINAL = {1: 1.960, 2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040}


@pytest.mark.parametrize("k", sorted(POCOCK))
def test_classical_pocock_matches_published_constants(k):
    d = group_sequential(looks=k, spending="pocock", classical=True)
    assert np.allclose(d.boundaries, POCOCK[k], atol=PUBLISHED), d.boundaries
    assert d.alpha_spent[-1] == pytest.approx(0.05, abs=1e-7)


@pytest.mark.parametrize("k", sorted(OBRIEN_FLEMING_FINAL))
def test_classical_obrien_fleming_matches_published_constants(k):
    d = group_sequential(looks=k, spending="obrien_fleming", classical=True)
    c = OBRIEN_FLEMING_FINAL[k]
    assert d.boundaries[-1] == pytest.approx(c, abs=PUBLISHED)
    # the shape c sqrt(K / k) holds exactly
    assert np.allclose(np.asarray(d.boundaries) * np.sqrt(np.arange(1, k + 1) / k), d.boundaries[-1])
    assert d.alpha_spent[-1] == pytest.approx(0.05, abs=1e-7)


def test_lan_demets_boundaries_match_published_values():
    # Lan-DeMets programs (Reboussin, DeMets, Kim & Lan 2000), five equal looks, two-sided 0.05
    of = group_sequential(looks=5, spending="obrien_fleming")
    assert np.allclose(of.boundaries, [4.877, 3.357, 2.680, 2.290, 2.031], atol=PUBLISHED), of.boundaries
    po = group_sequential(looks=5, spending="pocock")
    assert np.allclose(po.boundaries, [2.438, 2.427, 2.410, 2.397, 2.386], atol=PUBLISHED), po.boundaries
    # one-sided 0.025, three equal looks (gsDesign's default O'Brien-Fleming-type design)
    one = group_sequential(looks=3, alpha=0.025, alternative="greater")
    assert np.allclose(one.boundaries, [3.710, 2.511, 1.993], atol=PUBLISHED), one.boundaries


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock", 1.5])
def test_first_boundary_spends_exactly_the_first_increment(spending):
    # at the first look the law is a plain normal: the boundary has a closed form
    d = group_sequential(looks=[0.3, 0.7, 1.0], spending=spending)
    first = float(special.ndtri(1.0 - d.spending_function([0.3])[0] / 2.0))
    assert d.boundaries[0] == pytest.approx(first, abs=1e-7)


@pytest.mark.parametrize(("spending", "expected"), [
    # Jennison & Turnbull (2000), tables 2.2 and 2.4: inflation factor R for 80% power
    ("pocock", {2: 1.110, 3: 1.166, 4: 1.202, 5: 1.229}),
    ("obrien_fleming", {2: 1.008, 3: 1.017, 4: 1.024, 5: 1.028}),
])
def test_inflation_factors_match_published_values(spending, expected):
    for k, r in expected.items():
        s = sequential_sample_size(group_sequential(looks=k, spending=spending, classical=True),
                                   effect=0.2, power=0.8)
        assert s.inflation == pytest.approx(r, abs=PUBLISHED), (k, s.inflation)


# Armitage, McPherson & Rowe (1969), as in Jennison & Turnbull (2000), table 1.1: the type-I
# error of repeatedly testing at the nominal two-sided 0.05 level, K equally spaced looks
NAIVE = {2: 0.083, 3: 0.107, 4: 0.126, 5: 0.142, 10: 0.193, 20: 0.248, 50: 0.320, 100: 0.374}


@pytest.mark.parametrize("k", sorted(NAIVE))
def test_naive_peeking_error_matches_published_values(k):
    t = np.arange(1, k + 1) / k
    b = np.full(k, stats.norm.ppf(0.975))
    up, low = exit_probabilities(t, b, -b)
    assert up.sum() + low.sum() == pytest.approx(NAIVE[k], abs=PUBLISHED)


# --- spending --------------------------------------------------------------------------


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock", 2.0])
@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_spent_error_follows_the_spending_function_and_sums_to_alpha(spending, alternative):
    t = [0.1, 0.25, 0.6, 0.7, 1.0]
    d = group_sequential(looks=t, spending=spending, alternative=alternative, alpha=0.05)
    assert np.allclose(d.alpha_spent, d.spending_function(t), rtol=1e-7, atol=1e-12)
    assert d.alpha_spent[-1] == pytest.approx(0.05, abs=1e-9)
    assert np.all(np.diff(d.alpha_spent) > 0)
    assert d.rejection_probability(0.0) == pytest.approx(0.05, abs=1e-7)
    frame = d.to_frame()
    assert frame["alpha_increment"].sum() == pytest.approx(0.05, abs=1e-9)


def test_spending_functions_have_their_textbook_values():
    d = group_sequential(looks=4, spending="pocock")
    t = np.array([0.25, 0.5, 1.0])
    assert np.allclose(d.spending_function(t), 0.05 * np.log(1 + (math.e - 1) * t))
    of = group_sequential(looks=4, alternative="greater", alpha=0.025)
    expected = 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - 0.0125) / np.sqrt(t))
    assert np.allclose(of.spending_function(t), expected)
    assert group_sequential(looks=2, spending=3.0).spending_function([0.5])[0] == pytest.approx(0.05 / 8)


# --- type-I error by simulation ------------------------------------------------------------


@pytest.mark.parametrize(("looks", "spending", "classical"), [
    (5, "pocock", True),
    (5, "obrien_fleming", True),
    ([0.1, 0.25, 0.6, 0.7, 1.0], "obrien_fleming", False),  # Lan-DeMets, unequal looks
    ([0.1, 0.25, 0.6, 0.7, 1.0], "pocock", False),
    (20, 2.0, False),
])
def test_type_one_error_is_alpha_by_simulation(looks, spending, classical):
    d = group_sequential(looks=looks, spending=spending, classical=classical)
    n = 200_000
    rate = _rejection_rate(d, _brownian_z(np.random.default_rng(11), n, d.information_fractions))
    assert abs(rate - 0.05) <= TOL * _se(0.05, n), rate


def test_one_sided_type_one_error_is_alpha_by_simulation():
    d = group_sequential(looks=[0.2, 0.5, 0.8, 1.0], spending="pocock", alternative="greater", alpha=0.025)
    n = 200_000
    rate = _rejection_rate(d, _brownian_z(np.random.default_rng(12), n, d.information_fractions))
    assert abs(rate - 0.025) <= TOL * _se(0.025, n), rate


def test_unplanned_looks_keep_alpha_by_spending():
    # planned: 4 equal looks; taken: 7 looks at other times (the plan's spending decides)
    d = group_sequential(looks=4, spending="obrien_fleming")
    taken = [0.15, 0.3, 0.45, 0.5, 0.8, 0.9, 1.0]
    bounds = d.boundaries_at(taken)
    assert bounds.shape == (7,) and np.all(np.isfinite(bounds))
    n = 200_000
    rate = _rejection_rate(d, _brownian_z(np.random.default_rng(13), n, taken), bounds)
    assert abs(rate - 0.05) <= TOL * _se(0.05, n), rate
    # reusing the plan's four boundaries look by look (later looks at the final one) ignores
    # when the looks happened and spends far more than alpha
    reused = np.r_[d.boundaries, np.repeat(d.boundaries[-1], 3)]
    over = _rejection_rate(d, _brownian_z(np.random.default_rng(13), n, taken), reused)
    assert over > 0.05 + 10 * TOL * _se(0.05, n), over


def test_many_looks_hourly_design_keeps_alpha():
    # a team looking every hour for a week
    d = group_sequential(looks=168, spending="pocock")
    n = 40_000
    rate = _rejection_rate(d, _brownian_z(np.random.default_rng(14), n, d.information_fractions))
    assert abs(rate - 0.05) <= TOL * _se(0.05, n), rate


def test_naive_peeking_fails_and_sequential_rules_hold_end_to_end():
    n = 4000
    sim = peeking_simulation(n_looks=10, n_per_look=200, n_sims=n, seed=1,
                             methods=["naive", "pocock", "obrien_fleming", "lan_demets_pocock",
                                      "lan_demets_obrien_fleming", "msprt"])
    # ten looks at a fixed-horizon test: 0.193 (Armitage, McPherson & Rowe 1969)
    assert sim.rate("naive") > 0.12 + TOL * _se(0.12, n), sim
    assert abs(sim.rate("naive") - NAIVE[10]) <= TOL * _se(NAIVE[10], n), sim
    for m in ("pocock", "obrien_fleming", "lan_demets_pocock", "lan_demets_obrien_fleming"):
        assert abs(sim.rate(m) - 0.05) <= TOL * _se(0.05, n), (m, sim)
    assert sim.rate("msprt") <= 0.05 + TOL * _se(0.05, n), sim
    frame = sim.to_frame()
    assert list(frame["method"]) == list(sim.methods) and frame["controls_alpha"].sum() == 5


def test_msprt_over_one_hundred_looks_keeps_alpha_and_has_power():
    n = 4000
    for metric, baseline in (("mean", 0.5), ("proportion", 0.1)):
        null = peeking_simulation(n_looks=100, n_per_look=100, n_sims=n, seed=2, metric=metric,
                                  baseline=baseline, methods=["naive", "msprt"])
        assert null.rate("msprt") <= 0.05 + TOL * _se(0.05, n), null
        assert abs(null.rate("naive") - NAIVE[100]) <= TOL * _se(NAIVE[100], n), null
    alt = peeking_simulation(n_looks=100, n_per_look=100, n_sims=1000, seed=3, effect=0.1,
                             methods=["msprt"])
    assert alt.rate("msprt") > 0.9, alt  # the sequence stops well before the end under an effect
    assert alt.mean_stop_look[0] < 60


def test_peeking_simulation_accepts_designs_and_unequal_looks():
    d = group_sequential(looks=4, spending="pocock")
    sizes = [50, 150, 300, 500]
    sim = peeking_simulation(n_looks=4, n_per_look=sizes, n_sims=4000, seed=4, methods=[d, "naive"])
    assert sim.methods == ("lan_demets_pocock", "naive") and sim.n_per_look == tuple(sizes)
    assert abs(sim.rate("lan_demets_pocock") - 0.05) <= TOL * _se(0.05, 4000), sim
    again = peeking_simulation(n_looks=4, n_per_look=sizes, n_sims=4000, seed=4, methods=[d, "naive"])
    assert np.array_equal(sim.rejection_rate, again.rejection_rate)


# --- monitoring ---------------------------------------------------------------------------


def test_monitor_stops_at_the_first_crossing_and_reports_it():
    d = group_sequential(looks=5, spending="obrien_fleming")
    r = d.monitor([1.0, -3.5, 2.9], standard_errors=[0.2, 0.14, 0.11])
    assert (r.decision, r.look, r.direction) == ("reject", 2, "less")
    assert r.boundary_crossed == pytest.approx(d.boundaries[1])
    assert r.estimate == pytest.approx(-3.5 * 0.14)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.estimate - d.boundaries[1] * 0.14,
                                                   r.estimate + d.boundaries[1] * 0.14))
    assert r.pvalue < 0.05 and r.stopped
    going = d.monitor([1.0, 1.5])
    assert going.decision == "continue" and math.isnan(going.pvalue) and not going.stopped
    done = d.monitor([1.0, 1.5, 1.2, 1.0, 1.9])
    assert done.decision == "fail_to_reject" and done.pvalue > 0.05
    assert list(done.to_frame()["crossed"]) == [False] * 5


def test_stagewise_pvalue_one_look_is_the_fixed_pvalue_and_below_alpha_iff_reject():
    one = group_sequential(looks=1)
    assert one.monitor([2.3]).pvalue == pytest.approx(2 * stats.norm.sf(2.3), abs=1e-9)
    d = group_sequential(looks=4, spending="pocock", classical=True)
    rng = np.random.default_rng(5)
    for z in _brownian_z(rng, 300, d.information_fractions, drift=2.0):
        r = d.monitor(z)
        assert (r.pvalue <= 0.05 + 1e-9) == (r.decision == "reject"), (z, r)


def test_stagewise_pvalue_is_uniform_under_the_null():
    d = group_sequential(looks=3, spending="obrien_fleming")
    rng = np.random.default_rng(6)
    p = np.array([d.monitor(z).pvalue for z in _brownian_z(rng, 1500, d.information_fractions)])
    assert stats.kstest(p, "uniform").pvalue > 1e-4


def test_monitor_recomputes_boundaries_for_unplanned_looks_and_final():
    d = group_sequential(looks=4, spending="obrien_fleming")
    r = d.monitor([0.5, 1.0, 1.4], information_fractions=[0.3, 0.55, 0.8])
    assert np.allclose(r.boundaries, d.boundaries_at([0.3, 0.55, 0.8]))
    assert r.decision == "continue"
    f = d.monitor([0.5, 1.0, 2.1], information_fractions=[0.3, 0.55, 0.8], final=True)
    assert f.information_fractions[-1] == 1.0 and f.decision == "reject"
    assert f.design.alpha_spent[-1] == pytest.approx(0.05, abs=1e-9)


def test_repeated_confidence_intervals_cover_at_every_look():
    d = group_sequential(looks=5, spending="pocock", classical=True)
    rng = np.random.default_rng(7)
    theta, n = 0.3, 40_000
    se = 1.0 / np.sqrt(np.array(d.information_fractions) * 50)  # information grows with the looks
    z = _brownian_z(rng, n, d.information_fractions, drift=theta / se[-1])
    est = z * se
    covered = np.all(np.abs(est - theta) < np.asarray(d.boundaries) * se, axis=1).mean()
    assert abs(covered - 0.95) <= TOL * _se(0.95, n)
    r = d.monitor(z[0], standard_errors=se)
    k = r.look - 1
    assert r.ci_low == pytest.approx(est[0, k] - d.boundaries[k] * se[k])


def test_monitor_data_runs_on_raw_batches():
    rng = np.random.default_rng(8)
    d = group_sequential(looks=4, spending="pocock")
    ctrl = [rng.random(400) < 0.10 for _ in range(4)]
    trt = [rng.random(400) < 0.16 for _ in range(4)]
    r = d.monitor_data(ctrl, trt, max_n_per_arm=1600, metric="proportion")
    assert r.decision == "reject" and isinstance(r.final, ABResult)
    assert r.final.effect_name == "difference_of_proportions" and r.final.method == "repeated_ci"
    k = r.look
    assert r.final.n_control == 400 * k
    assert r.final.estimate == pytest.approx(np.concatenate(trt[:k]).mean() - np.concatenate(ctrl[:k]).mean())


# --- always valid ---------------------------------------------------------------------------


def test_confidence_sequence_covers_uniformly_over_time_where_fixed_intervals_do_not():
    rng = np.random.default_rng(9)
    theta, n_sims, n_obs = 0.1, 400, 3000
    uniform_cs = uniform_fixed = 0
    z = stats.norm.ppf(0.975)
    checkpoints = np.arange(100, n_obs + 1, 30)
    for _ in range(n_sims):
        c, t = rng.normal(0.0, 1.0, n_obs), rng.normal(theta, 1.0, n_obs)
        r = msprt(c, t, tau=0.1)
        uniform_cs += bool(np.all((r.ci_low <= theta) & (theta <= r.ci_high)))
        est = np.cumsum(t)[checkpoints - 1] / checkpoints - np.cumsum(c)[checkpoints - 1] / checkpoints
        uniform_fixed += bool(np.all(np.abs(est - theta) <= z * np.sqrt(2.0 / checkpoints)))
    assert uniform_cs / n_sims >= 0.95 - TOL * _se(0.95, n_sims)
    # pointwise 95% intervals, read at 98 looks, all cover far less often than 95%
    assert uniform_fixed / n_sims < 0.8


def test_one_sided_msprt_keeps_alpha_and_its_bound_covers():
    rng = np.random.default_rng(10)
    rejections = misses = 0
    n_sims = 400
    for _ in range(n_sims):
        c, t = rng.normal(0, 1, 2000), rng.normal(0, 1, 2000)
        r = msprt(c, t, tau=0.1, alternative="greater", looks=50)
        rejections += r.rejected
        misses += bool(r.ci_low.max() > 0.0)
        assert np.all(np.isinf(r.ci_high))
    assert rejections / n_sims <= 0.05 + TOL * _se(0.05, n_sims)
    assert misses / n_sims <= 0.05 + TOL * _se(0.05, n_sims)


def test_msprt_paths_are_monotone_and_exact_with_known_variance():
    rng = np.random.default_rng(0)
    c, t = rng.normal(0, 2, 1500), rng.normal(0.3, 2, 1500)
    r = msprt(c, t, tau=0.2, variance=4.0, min_samples=2)
    assert np.all(np.diff(r.pvalue) <= 0)
    assert np.all(np.diff(r.ci_low) >= 0) and np.all(np.diff(r.ci_high) <= 0)
    # the closed forms of Johari et al. (2017), recomputed here at every observation
    n = np.arange(1, 1501)
    v, tau2 = 4.0 * 2 / n, 0.04
    d = np.cumsum(t) / n - np.cumsum(c) / n
    lam = np.sqrt(v / (v + tau2)) * np.exp(d * d * tau2 / (2 * v * (v + tau2)))
    p = np.minimum(1.0, 1.0 / lam)
    p[0] = 1.0  # min_samples=2: no test on the first pair
    assert np.allclose(r.pvalue, np.minimum.accumulate(p), rtol=1e-9)
    half = np.sqrt(v * (v + tau2) / tau2 * (2 * math.log(20) + np.log((v + tau2) / v)))
    assert np.allclose(r.ci_low[1:], np.maximum.accumulate((d - half)[1:]), rtol=1e-9)
    assert np.allclose(r.ci_high[1:], np.minimum.accumulate((d + half)[1:]), rtol=1e-9)
    assert r.final.test == "msprt" and r.final.method == "always_valid"
    assert r.final.n_control == 1500 and r.to_frame().shape == (1500, 7)


def test_one_sided_mixture_matches_numerical_integration():
    from scipy import integrate

    tau, v, alpha = 0.1, 0.003, 0.05

    def ratio(diff):  # half-normal mixture of the likelihood ratio, integrated numerically
        def f(th):
            return 2 * stats.norm.pdf(th, scale=tau) * math.exp((th * diff - th * th / 2) / v)
        return integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-11)[0]

    rng = np.random.default_rng(3)
    n = 400
    c, t = rng.normal(0, math.sqrt(v * n / 2), n), rng.normal(0.12, math.sqrt(v * n / 2), n)
    r = msprt(c, t, tau=tau, variance=v * n / 2, alternative="greater", looks=1, min_samples=2)
    diff = r.estimate[-1]
    assert r.pvalue[-1] == pytest.approx(min(1.0, 1 / ratio(diff)), rel=1e-7)
    # the lower confidence bound is where the ratio recentred there reaches 1 / alpha
    assert ratio(diff - r.ci_low[-1]) == pytest.approx(1 / alpha, rel=1e-6)
    less = msprt(-c, -t, tau=tau, variance=v * n / 2, alternative="less", looks=1, min_samples=2)
    assert less.pvalue[-1] == pytest.approx(r.pvalue[-1]) and less.ci_high[-1] == pytest.approx(-r.ci_low[-1])


def test_streaming_equals_arrays_at_the_same_looks():
    rng = np.random.default_rng(1)
    c, t = rng.normal(0, 1, 3000), rng.normal(0.1, 1, 3000)
    whole = msprt(c, t, tau=0.1, looks=30)
    test = AlwaysValid(tau=0.1)
    for k in range(30):
        test.update(c[k * 100:(k + 1) * 100], t[k * 100:(k + 1) * 100])
    frame = test.to_frame()
    assert np.allclose(frame["pvalue"], whole.pvalue) and np.allclose(frame["ci_low"], whole.ci_low)
    assert test.stopped_at_ == whole.stopped_at and test.looks_ == 30
    assert test.reset().looks_ == 0 and test.pvalue_ == 1.0


def test_streaming_accepts_unequal_and_empty_batches():
    rng = np.random.default_rng(2)
    test = AlwaysValid(tau=0.02, metric="proportion", min_samples=50)
    first = test.update([], rng.random(30) < 0.2)
    assert first.pvalue == 1.0 and math.isinf(first.ci_high) and first.n_control == 0
    for _ in range(20):
        r = test.update(rng.random(300) < 0.10, rng.random(200) < 0.10)
    assert r.n_control == 6000 and r.n_treatment == 4030
    assert r.ci_low <= 0.0 <= r.ci_high or r.pvalue <= 0.05


# --- planning --------------------------------------------------------------------------------


def test_sequential_sample_size_gives_its_power_by_simulation():
    d = group_sequential(looks=4, spending="obrien_fleming")
    s = sequential_sample_size(d, effect=0.1, power=0.8)
    assert s.max_n_per_arm >= s.fixed_n_per_arm and s.inflation > 1.0
    # the textbook fixed-horizon size 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / effect^2
    assert s.fixed_n_per_arm == math.ceil(2 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / 0.01)
    n = 4000
    per_look = np.diff(np.concatenate([[0], s.n_per_arm_at_looks]))
    sim = peeking_simulation(n_looks=4, n_per_look=per_look, n_sims=n, seed=5, effect=0.1, methods=[d])
    assert abs(sim.rejection_rate[0] - 0.8) <= TOL * _se(0.8, n), sim
    assert sim.expected_n_per_arm[0] == pytest.approx(s.expected_n_per_arm, rel=0.03)


def test_expected_time_to_decision_matches_simulation():
    d = group_sequential(looks=8, spending="pocock")
    t = expected_time_to_decision(d, effect=0.05, traffic_per_hour=500, max_n_per_arm=8000)
    assert t.max_hours == pytest.approx(2 * 8000 / 500)
    assert t.stop_probability.sum() == pytest.approx(1.0)
    assert t.stop_probability_null.sum() == pytest.approx(1.0)
    assert t.rejection_probability_null == pytest.approx(0.05, abs=1e-7)
    assert t.expected_hours < t.expected_hours_null <= t.max_hours
    rng = np.random.default_rng(6)
    drift = 0.05 * math.sqrt(8000 / 2)
    z = _brownian_z(rng, 100_000, d.information_fractions, drift=drift)
    hit = np.abs(z) >= np.asarray(d.boundaries)
    stop = np.where(hit.any(axis=1), hit.argmax(axis=1), d.n_looks - 1)
    hours = t.hours_at_looks[stop]
    assert abs(hours.mean() - t.expected_hours) <= TOL * hours.std() / math.sqrt(hours.shape[0])
    power = t.rejection_probability
    assert abs(hit.any(axis=1).mean() - power) <= TOL * _se(power, 100_000)
    sized = expected_time_to_decision(d, effect=0.05, traffic_per_hour=500)
    assert sized.rejection_probability == pytest.approx(0.8, abs=2e-3)
    assert sized.to_frame().shape == (8, 5)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"looks": [0.5, 0.3, 1.0]}, "strictly increasing"),
    ({"looks": [0.3, 0.3, 1.0]}, "strictly increasing"),
    ({"looks": [0.3, 0.6]}, "must be 1.0"),
    ({"looks": [0.0, 0.5, 1.0]}, r"\(0, 1\]"),
    ({"looks": [0.5, 1.2]}, r"\(0, 1\]"),
    ({"looks": 0}, "between 1 and"),
    ({"looks": 5, "alpha": 0.0}, "alpha"),
    ({"looks": 5, "alpha": 0.7}, "alpha"),
    ({"looks": 5, "alpha": float("nan")}, "alpha"),
    ({"looks": 5, "spending": "linear"}, "spending"),
    ({"looks": 5, "spending": -1.0}, "spending"),
    ({"looks": 5, "spending": 2.0, "classical": True}, "classical boundaries exist"),
    ({"looks": 5, "alternative": "less"}, "alternative"),
])
def test_group_sequential_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        group_sequential(**kwargs)


def test_group_sequential_rejects_wrong_types():
    for looks in ("5", True, None, 2.5):
        with pytest.raises(TypeError, match="looks"):
            group_sequential(looks=looks)


def test_monitor_rejects_bad_input():
    d = group_sequential(looks=3, spending="pocock", classical=True)
    with pytest.raises(ValueError, match="design plans 3"):
        d.monitor([1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        d.monitor([1.0, float("nan")])
    with pytest.raises(ValueError, match="classical=False"):
        d.monitor([1.0, 2.0], information_fractions=[0.2, 0.5])
    s = group_sequential(looks=3)
    with pytest.raises(ValueError, match="one fraction per look"):
        s.monitor([1.0, 2.0], information_fractions=[0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="strictly increasing"):
        s.monitor([1.0, 2.0], information_fractions=[0.5, 0.4])
    with pytest.raises(ValueError, match="standard_errors"):
        s.monitor([1.0, 2.0], standard_errors=[0.1, -0.1])
    with pytest.raises(ValueError, match="looks"):
        s.monitor_data([np.ones(5)], [np.ones(5), np.ones(5)], max_n_per_arm=100)
    with pytest.raises(ValueError, match="reaches max_n_per_arm"):
        s.monitor_data([np.arange(60.0), np.arange(60.0)], [np.arange(60.0), np.arange(60.0)],
                       max_n_per_arm=50)
    with pytest.raises(ValueError, match="only 0 and 1"):
        s.monitor_data([np.array([0, 1, 2])], [np.array([0, 1, 1])], max_n_per_arm=100,
                       metric="proportion")


def test_always_valid_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        msprt(np.zeros(100), np.zeros(90), tau=0.1)
    with pytest.raises(ValueError, match="tau"):
        msprt(np.zeros(100), np.zeros(100), tau=0.0)
    with pytest.raises(ValueError, match="alpha"):
        msprt(np.zeros(100), np.zeros(100), tau=0.1, alpha=1.5)
    with pytest.raises(ValueError, match="alternative"):
        msprt(np.zeros(100), np.zeros(100), tau=0.1, alternative="up")
    with pytest.raises(ValueError, match="NaN"):
        msprt(np.r_[np.zeros(99), np.nan], np.zeros(100), tau=0.1)
    with pytest.raises(ValueError, match="only 0 and 1"):
        msprt(np.full(100, 0.5), np.zeros(100), tau=0.1, metric="proportion")
    with pytest.raises(ValueError, match="looks"):
        msprt(np.zeros(10), np.zeros(10), tau=0.1, looks=11)
    with pytest.raises(ValueError, match="min_samples"):
        AlwaysValid(tau=0.1, min_samples=1)
    with pytest.raises(TypeError, match="treatment"):
        AlwaysValid(tau=0.1).update([1.0, 2.0], "abc")


def test_planning_rejects_bad_input():
    d = group_sequential(looks=3)
    with pytest.raises(TypeError, match="GroupSequentialDesign"):
        sequential_sample_size("pocock", effect=0.1)
    with pytest.raises(ValueError, match="non-zero"):
        sequential_sample_size(d, effect=0.0)
    with pytest.raises(ValueError, match="power"):
        sequential_sample_size(d, effect=0.1, power=0.01)
    with pytest.raises(ValueError, match="traffic_per_hour"):
        expected_time_to_decision(d, effect=0.1, traffic_per_hour=0)
    with pytest.raises(ValueError, match="max_n_per_arm"):
        expected_time_to_decision(d, effect=0.0, traffic_per_hour=100)
    with pytest.raises(ValueError, match="unknown method"):
        peeking_simulation(n_looks=3, methods=["bonferroni"])
    with pytest.raises(ValueError, match="n_per_look"):
        peeking_simulation(n_looks=3, n_per_look=[100, 100])
    with pytest.raises(ValueError, match="n_looks"):
        peeking_simulation(n_looks=0)
    with pytest.raises(ValueError, match="rate"):
        peeking_simulation(n_looks=3, metric="proportion", baseline=0.95, effect=0.1)


def test_peeking_simulation_refuses_a_rule_given_twice():
    from mlmon.ab import group_sequential, peeking_simulation

    design = group_sequential(looks=5, spending="obrien_fleming")
    with pytest.raises(ValueError, match="appear twice"):
        peeking_simulation(n_looks=5, n_per_look=50, n_sims=10, seed=0,
                           methods=["lan_demets_obrien_fleming", design])
