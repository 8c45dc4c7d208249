"""Multivariate two-sample tests: MMD, LSDD and the classifier test (mlmon.stats)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlmon.stats._classifier import classifier_scores, classifier_test
from mlmon.stats._lsdd import lsdd
from mlmon.stats._mmd import median_heuristic, mmd, mmd_statistic, split_statistics
from mlmon.stats._result import TestResult

#: Family-wise level of the statistical checks below (each fails by chance at most this often).
LEVEL = 0.001


def _direct_mmd2(x, y, sigma, kernel="rbf"):
    """Unbiased MMD^2 straight from its definition (Gretton et al. 2012, Lemma 6)."""
    def k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma**2)) if kernel == "rbf" else np.exp(-np.sqrt(d2) / sigma)

    m, n = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.mean())


def _exact_level(alpha, n_permutations):
    """P(p <= alpha) of an exact permutation p-value (b + 1) / (B + 1) with continuous data."""
    return math.floor(alpha * (n_permutations + 1) + 1e-9) / (n_permutations + 1)


def _two_sided_bounds(n_runs, prob, level):
    return (int(stats.binom.ppf(level / 2, n_runs, prob)),
            int(stats.binom.isf(level / 2, n_runs, prob)))


# --- MMD -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["rbf", "laplacian"])
@pytest.mark.parametrize(("m", "n"), [(40, 40), (10, 70), (70, 10), (25, 30)])
def test_mmd_statistic_equals_direct_formula(kernel, m, n):
    # the sizes cover both ways of summing the splits (gathered blocks and matrix product)
    rng = np.random.default_rng(m * 100 + n)
    x, y = rng.normal(size=(m, 3)), rng.normal(0.3, 1.2, size=(n, 3))
    want = _direct_mmd2(x, y, 1.3, kernel)
    assert mmd_statistic(x, y, sigma=1.3, kernel=kernel) == pytest.approx(want, rel=1e-10, abs=1e-14)
    r = mmd(x, y, sigma=1.3, kernel=kernel, backend="numpy", n_permutations=20, seed=1)
    assert r.statistic == pytest.approx(want, rel=1e-10, abs=1e-14)
    assert r.effect_size == pytest.approx(math.sqrt(max(want, 0.0)))


def test_split_statistics_paths_agree():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 2))
    from mlmon.stats._mmd import _kernel_numpy, _permutation_indicators, _split_stats_numpy

    k = _kernel_numpy(z, 1.0, "rbf")
    for n_cur in (5, 30, 55):
        s = _permutation_indicators(np.random.default_rng(0), 60, n_cur, 40)
        brute = []
        for row in s:
            b = row.astype(bool)
            brute.append(_direct_mmd2(z[~b], z[b], 1.0))
        np.testing.assert_allclose(_split_stats_numpy(k, 60 - n_cur, s), brute, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(split_statistics(k, 60 - n_cur, s), brute, rtol=1e-10, atol=1e-13)


def test_median_heuristic_definition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(31, 4))
    d2 = [((x[i] - x[j]) ** 2).sum() for i in range(31) for j in range(i + 1, 31)]
    assert median_heuristic(x) == pytest.approx(math.sqrt(np.median(d2) / 2))
    assert median_heuristic(np.ones((5, 2))) == 1.0
    # the default sigma of mmd() is the median heuristic on the pooled sample
    y = rng.normal(size=(20, 4))
    r1 = mmd(x, y, backend="numpy", seed=0, n_permutations=10)
    r2 = mmd(x, y, sigma=median_heuristic(np.concatenate([x, y])), backend="numpy", seed=0,
             n_permutations=10)
    assert r1.statistic == r2.statistic and r1.pvalue == r2.pvalue


def test_mmd_result_fields_and_determinism():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 2)), rng.normal(size=(30, 2))
    r = mmd(x, y, backend="numpy", seed=7, n_permutations=49)
    assert isinstance(r, TestResult)
    assert (r.test, r.method, r.effect_name, r.n_reference, r.n_current) == (
        "mmd", "permutation", "mmd", 50, 30)
    assert r == mmd(x, y, backend="numpy", seed=7, n_permutations=49)
    # p-values live on the grid (b + 1) / (B + 1)
    assert (r.pvalue * 50) == pytest.approx(round(r.pvalue * 50))
    assert 1 / 50 <= r.pvalue <= 1.0


def test_mmd_dataframe_equals_array():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(30, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    assert mmd(frame, y, backend="numpy", seed=0) == mmd(x, y, backend="numpy", seed=0)


def test_mmd_numpy_and_torch_backends_agree():
    pytest.importorskip("torch")
    for seed in range(4):
        rng = np.random.default_rng(seed)
        m, n = (60, 60) if seed % 2 else (15, 80)  # both summation paths of numpy
        x, y = rng.normal(size=(m, 5)), rng.normal(0.2 * seed, 1.0, size=(n, 5))
        a = mmd(x, y, backend="numpy", seed=seed, n_permutations=200)
        b = mmd(x, y, backend="torch", device="cpu", seed=seed, n_permutations=200)
        assert b.statistic == pytest.approx(a.statistic, rel=1e-12, abs=1e-15)
        assert a.pvalue == b.pvalue
        c = mmd(x, y, backend="torch", kernel="laplacian", seed=seed, n_permutations=50)
        d = mmd(x, y, backend="numpy", kernel="laplacian", seed=seed, n_permutations=50)
        assert c.statistic == pytest.approx(d.statistic, rel=1e-12, abs=1e-15)
        assert c.pvalue == d.pvalue


@pytest.mark.parametrize("test", ["mmd", "lsdd"])
def test_permutation_pvalues_are_exact_under_the_null(test):
    """With exchangeable samples P(p <= alpha) is exactly floor(alpha (B + 1)) / (B + 1):
    the count of small p-values over independent null runs must lie within two-sided
    binomial bounds (so both anti-conservative and over-conservative p-values fail)."""
    n_runs, n_perm = 300, 39
    pvalues = np.empty(n_runs)
    for k, seq in enumerate(np.random.SeedSequence(2024).spawn(n_runs)):
        rng = np.random.default_rng(seq)
        x, y = rng.normal(size=(40, 3)), rng.normal(size=(20, 3))
        if test == "mmd":
            pvalues[k] = mmd(x, y, backend="numpy", n_permutations=n_perm, seed=k).pvalue
        else:
            pvalues[k] = lsdd(x, y, n_permutations=n_perm, seed=k).pvalue
    alphas = (0.05, 0.1, 0.25, 0.5)
    for alpha in alphas:
        lo, hi = _two_sided_bounds(n_runs, _exact_level(alpha, n_perm), LEVEL / len(alphas))
        count = int(np.sum(pvalues <= alpha))
        assert lo <= count <= hi, f"{test}: {count} of {n_runs} p-values <= {alpha}, expected {lo}..{hi}"


@pytest.mark.parametrize("test", ["mmd", "lsdd", "classifier"])
def test_power_increases_with_the_shift(test):
    n_runs = 25 if test == "classifier" else 40
    shifts = (0.0, 0.4, 1.0)
    rates = []
    for shift in shifts:
        hits = 0
        for k in range(n_runs):
            rng = np.random.default_rng(1000 * k + 7)
            x, y = rng.normal(size=(60, 3)), rng.normal(shift, 1.0, size=(60, 3))
            if test == "mmd":
                p = mmd(x, y, backend="numpy", n_permutations=99, seed=k).pvalue
            elif test == "lsdd":
                p = lsdd(x, y, n_permutations=99, seed=k).pvalue
            else:
                p = classifier_test(x, y, n_folds=3, seed=k).pvalue
            hits += p <= 0.05
        rates.append(hits / n_runs)
    # null: at most the binomial upper bound of a valid level-0.05 test
    assert rates[0] * n_runs <= stats.binom.isf(LEVEL, n_runs, 0.05)
    # a 1-sd shift of three features with 60 rows a side is found nearly always
    assert rates[2] >= 0.9, rates
    assert rates[0] < rates[1] < rates[2] or rates[1] == rates[2] == 1.0, rates


# --- LSDD ------------------------------------------------------------------------------------


def test_lsdd_result_and_determinism():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(200, 2)), rng.normal(1.0, 1.0, size=(80, 2))
    r = lsdd(x, y, seed=3, n_permutations=99)
    assert (r.test, r.method, r.effect_name, r.n_reference, r.n_current) == (
        "lsdd", "permutation", "sqrt_lsdd", 200, 80)
    assert r.pvalue == pytest.approx(0.01) and r.statistic > 0
    assert r.effect_size == pytest.approx(math.sqrt(r.statistic))
    assert r == lsdd(x, y, seed=3, n_permutations=99)


def test_lsdd_is_larger_for_larger_shifts():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 2))
    noise = rng.normal(size=(100, 2))
    values = [lsdd(x, noise + s, seed=0, n_permutations=1).statistic for s in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values)


# --- classifier --------------------------------------------------------------------------------


def test_classifier_detects_a_correlation_change_univariate_tests_miss():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(300, 2))
    y = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], size=300)
    # marginals are the same: KS per feature finds nothing
    ks_p = [stats.ks_2samp(x[:, j], y[:, j]).pvalue for j in range(2)]
    assert min(ks_p) > 0.05
    r = classifier_test(x, y, seed=0)
    assert r.pvalue < 1e-4 and r.statistic > 0.6
    assert r.effect_size == pytest.approx(2 * r.statistic - 1)
    assert (r.test, r.method, r.effect_name) == ("classifier", "binomial", "auc_gini")


def test_classifier_binomial_pvalues_are_valid_under_the_null():
    n_runs = 120
    pvalues = np.array([
        classifier_test(*(lambda rng: (rng.normal(size=(60, 2)), rng.normal(size=(30, 2))))(
            np.random.default_rng(seq)), n_folds=2, seed=k).pvalue
        for k, seq in enumerate(np.random.SeedSequence(7).spawn(n_runs))
    ])
    for alpha in (0.05, 0.1, 0.25, 0.5):
        assert np.sum(pvalues <= alpha) <= stats.binom.isf(LEVEL / 4, n_runs, alpha)


@pytest.mark.slow
def test_classifier_permutation_pvalues_are_exact_under_the_null():
    from sklearn.neighbors import KNeighborsClassifier

    n_runs, n_perm = 100, 19
    pvalues = np.empty(n_runs)
    for k, seq in enumerate(np.random.SeedSequence(8).spawn(n_runs)):
        rng = np.random.default_rng(seq)
        pvalues[k] = classifier_test(rng.normal(size=(30, 2)), rng.normal(size=(30, 2)),
                                     model=KNeighborsClassifier(5), n_folds=2,
                                     pvalue="permutation", n_permutations=n_perm, seed=k).pvalue
    for alpha in (0.1, 0.25, 0.5):
        # AUC ties can only make the test conservative: check the upper bound
        assert np.sum(pvalues <= alpha) <= stats.binom.isf(LEVEL / 3, n_runs, _exact_level(alpha, n_perm))
    assert np.sum(pvalues <= 0.5) >= stats.binom.ppf(LEVEL, n_runs, 0.35)


def test_classifier_scores_and_permutation_method():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(80, 2)), rng.normal(4.0, 1.0, size=(40, 2))
    s = classifier_scores(x, y, seed=0)
    assert s.auc > 0.99 and s.accuracy > 0.95 and s.majority_rate == pytest.approx(80 / 120)
    from sklearn.linear_model import LogisticRegression

    r = classifier_test(x, y, model=LogisticRegression(solver="newton-cholesky"), pvalue="permutation", n_permutations=19,
                        n_folds=2, seed=0)
    assert r.method == "permutation" and r.pvalue == pytest.approx(1 / 20)
    assert r == classifier_test(x, y, model=LogisticRegression(solver="newton-cholesky"), pvalue="permutation",
                                n_permutations=19, n_folds=2, seed=0)


# --- bad input --------------------------------------------------------------------------------


GOOD = np.zeros((10, 2)) + np.arange(20.0).reshape(10, 2)


@pytest.mark.parametrize("func", [mmd, lsdd, classifier_test])
@pytest.mark.parametrize(("reference", "current", "error", "match"), [
    (np.arange(10.0), GOOD, ValueError, "reference must be 2-D"),
    (GOOD, np.arange(10.0), ValueError, "current must be 2-D"),
    (GOOD, np.zeros((10, 3)), ValueError, "same features"),
    (np.r_[GOOD[:9], [[np.nan, 1.0]]], GOOD, ValueError, r"reference contains 1 NaN.*row 9"),
    (GOOD, np.r_[GOOD[:9], [[1.0, np.inf]]], ValueError, "current contains 1 NaN or infinite"),
    (GOOD[:1], GOOD, ValueError, "reference needs at least 2 rows"),
    ("abc", GOOD, TypeError, "reference must be"),
    (np.array([["a", "b"]] * 10), GOOD, TypeError, "reference must be numeric"),
    (pd.DataFrame({"a": range(10), "b": list("abcdefghij")}), GOOD, TypeError,
     r"non-numeric column\(s\) \['b'\]"),
])
def test_bad_samples_are_rejected(func, reference, current, error, match):
    with pytest.raises(error, match=match):
        func(reference, current)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: mmd(GOOD, GOOD, n_permutations=0), ValueError, "n_permutations must be >= 1"),
    (lambda: mmd(GOOD, GOOD, n_permutations=2.5), TypeError, "n_permutations must be an int"),
    (lambda: mmd(GOOD, GOOD, sigma=-1.0), ValueError, "sigma must be a finite number > 0"),
    (lambda: mmd(GOOD, GOOD, sigma=float("nan")), ValueError, "sigma"),
    (lambda: mmd(GOOD, GOOD, kernel="cosine"), ValueError, "kernel must be one of"),
    (lambda: mmd(GOOD, GOOD, backend="jax"), ValueError, "backend must be one of"),
    (lambda: lsdd(GOOD, GOOD, lambda_rd_max=1.5), ValueError, "lambda_rd_max must be in"),
    (lambda: lsdd(GOOD, GOOD, n_kernel_centers=10), ValueError, "n_kernel_centers=10 leaves no"),
    (lambda: lsdd(GOOD, GOOD, n_kernel_centers=0), ValueError, "n_kernel_centers must be >= 1"),
    (lambda: classifier_test(GOOD, GOOD, n_folds=1), ValueError, "n_folds must be >= 2"),
    (lambda: classifier_test(GOOD, GOOD[:3], n_folds=5), ValueError, "n_folds=5 needs at least"),
    (lambda: classifier_test(GOOD, GOOD, pvalue="exact"), ValueError, "pvalue must be one of"),
    (lambda: classifier_test(GOOD, GOOD, model=object()), TypeError, "model must be a scikit-learn"),
])
def test_bad_options_are_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
