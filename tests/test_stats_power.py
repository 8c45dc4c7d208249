"""Power and minimum detectable effect of the two-sample tests (mlmon.stats._power).

Monte Carlo comparisons use fixed seeds and binomial tolerances: ``TOL`` standard errors of
an empirical rejection rate, so each fails by chance with probability below about 1e-4,
plus, where stated, the known error of the analytic approximation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlmon.stats import chi_square, min_detectable_effect, power

TOL = 4.0  # standard errors


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-4) / n)


@pytest.mark.parametrize(("test", "extra"), [("welch", {}), ("mann_whitney", {}),
                                             ("chi_square", {"n_categories": 4}),
                                             ("g_test", {"n_categories": 2})])
def test_analytic_power_is_alpha_at_zero_and_monotone(test, extra):
    for alpha in (0.01, 0.05):
        assert power(test, 0.0, n_reference=50, n_current=80, alpha=alpha, **extra) == \
            pytest.approx(alpha, abs=1e-12)
    effects = [0.0, 0.05, 0.1, 0.2, 0.4]
    by_effect = [power(test, e, n_reference=100, n_current=100, **extra) for e in effects]
    assert all(a < b for a, b in zip(by_effect, by_effect[1:])), by_effect
    by_n = [power(test, 0.15, n_reference=n, n_current=n, **extra) for n in (20, 50, 200, 800)]
    assert all(a < b for a, b in zip(by_n, by_n[1:])), by_n
    assert by_n[-1] <= 1.0


def test_welch_power_matches_simulation():
    n1, n2, d, n_sim = 30, 45, 0.6, 4000
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_sim, n1))
    y = rng.normal(d, 1.0, size=(n_sim, n2))
    p = stats.ttest_ind(x, y, axis=1, equal_var=False).pvalue
    empirical = float(np.mean(p < 0.05))
    predicted = power("welch", d, n_reference=n1, n_current=n2)
    assert abs(empirical - predicted) <= TOL * _se(predicted, n_sim), (empirical, predicted)


def test_chi_square_power_matches_simulation():
    # population: reference and current category probabilities; V computed from them
    p_ref, p_cur = np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.3, 0.3, 0.25, 0.15])
    n1, n2, n_sim = 300, 200, 2000
    total = n1 + n2
    joint = np.stack([n1 / total * p_ref, n2 / total * p_cur])
    indep = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    v = math.sqrt(np.sum((joint - indep) ** 2 / indep))
    predicted = power("chi_square", v, n_reference=n1, n_current=n2, n_categories=4)
    rng = np.random.default_rng(1)
    rejected = 0
    for _ in range(n_sim):
        ref = rng.choice(4, n1, p=p_ref)
        cur = rng.choice(4, n2, p=p_cur)
        rejected += chi_square(ref, cur).pvalue < 0.05
    empirical = rejected / n_sim
    # the noncentral chi-square approximation errs by well under 0.01 at these sizes
    assert abs(empirical - predicted) <= TOL * _se(predicted, n_sim) + 0.01, (empirical, predicted)


def test_mann_whitney_power_matches_simulation_for_a_moderate_effect():
    n1, n2, delta, n_sim = 40, 60, 0.5, 3000
    auc = stats.norm.cdf(delta / math.sqrt(2))  # P(current > reference) for a normal shift
    r = 2 * auc - 1
    predicted = power("mann_whitney", r, n_reference=n1, n_current=n2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n_sim, n1))
    y = rng.normal(delta, 1.0, size=(n_sim, n2))
    p = stats.mannwhitneyu(x, y, axis=1).pvalue
    empirical = float(np.mean(p < 0.05))
    # Noether's approximation uses the null variance of U: about 0.02 off at this effect
    assert abs(empirical - predicted) <= TOL * _se(predicted, n_sim) + 0.03, (empirical, predicted)


@pytest.mark.parametrize("test", ["ks", "cvm", "anderson_darling"])
def test_monte_carlo_power(test):
    n_sim = 300
    size = power(test, 0.0, n_reference=40, n_current=30, n_sim=n_sim, seed=3)
    assert size <= 0.05 + TOL * _se(0.05, n_sim)
    effect = {"ks": 0.3, "cvm": 0.02, "anderson_darling": 0.1}[test]
    values = [power(test, e * effect, n_reference=40, n_current=30, n_sim=n_sim, seed=3)
              for e in (0.5, 1.0, 2.0)]
    assert size <= values[0] <= values[1] <= values[2] and values[2] > 0.5, values
    assert power(test, effect, n_reference=40, n_current=30, n_sim=n_sim, seed=3) == values[1]


def test_min_detectable_effect_inverts_power():
    for test, extra in (("welch", {}), ("mann_whitney", {}), ("chi_square", {"n_categories": 3})):
        e = min_detectable_effect(test, n_reference=200, n_current=150, power=0.9, **extra)
        assert power(test, e, n_reference=200, n_current=150, **extra) == pytest.approx(0.9, abs=1e-6)
        bigger = min_detectable_effect(test, n_reference=800, n_current=600, power=0.9, **extra)
        assert bigger < e
    e = min_detectable_effect("ks", n_reference=60, n_current=60, n_sim=200, seed=0)
    assert 0.1 < e < 0.6
    with pytest.raises(ValueError, match="does not reach power"):
        min_detectable_effect("mann_whitney", n_reference=2, n_current=2, power=0.99)


def test_bad_arguments():
    with pytest.raises(ValueError, match="has no p-value"):
        power("psi", 0.1, n_reference=10, n_current=10)
    with pytest.raises(ValueError, match="unknown test"):
        power("t", 0.1, n_reference=10, n_current=10)
    with pytest.raises(ValueError, match="needs n_categories"):
        power("chi_square", 0.1, n_reference=10, n_current=10)
    with pytest.raises(ValueError, match="alpha must be"):
        power("welch", 0.1, n_reference=10, n_current=10, alpha=1.5)
    with pytest.raises(ValueError, match="effect_size must be"):
        power("welch", -0.1, n_reference=10, n_current=10)
    with pytest.raises(ValueError, match="n_reference must be >= 2"):
        power("welch", 0.1, n_reference=1, n_current=10)
    with pytest.raises(ValueError, match="power must be in"):
        min_detectable_effect("welch", n_reference=10, n_current=10, power=0.01)
    with pytest.raises(ValueError, match="stay below"):
        power("cvm", 0.5, n_reference=10, n_current=10)


@pytest.mark.parametrize("n_reference, n_current, effect", [(2000, 2000, 0.04), (4000, 1000, 0.05)])
def test_large_sample_power_agrees_with_direct_simulation(n_reference, n_current, effect):
    # above n_eff = 500 the KS power runs on an equivalent smaller design; it must agree with
    # simulating the real design, within both Monte Carlo errors
    from mlmon.stats._power import _shift_for, _simulated_power

    n_sim = 1000
    scaled = power("ks", effect, n_reference=n_reference, n_current=n_current, n_sim=n_sim, seed=1)
    delta = _shift_for("ks", effect, n_reference, n_current)
    direct = _simulated_power("ks", delta, n_reference, n_current, 0.05, n_sim, 2)
    assert abs(scaled - direct) <= TOL * math.sqrt(2) * _se(direct, n_sim)
