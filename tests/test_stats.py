"""Batch two-sample tests and distances of mlmon.stats: agreement with scipy, validity of
p-values under the null, effect sizes, the registry and input errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlmon import stats as ms
from mlmon.detectors import PSI

# p-value checks: 400 null draws; a check fails by chance with probability below 1e-3.
N_NULL = 400
FAMILY = 1e-3


def _samples(seed: int, n: int, m: int, ties: bool, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(shift, 1.0, m)
    if ties:
        x, y = np.round(x * 2) / 2, np.round(y * 2) / 2
    return x, y


CASES = [(seed, n, m, ties) for seed, (n, m) in enumerate([(5, 7), (30, 20), (200, 150), (1000, 700)])
         for ties in (False, True)]


@pytest.mark.parametrize(("seed", "n", "m", "ties"), CASES)
def test_numeric_tests_agree_with_scipy_exactly(seed, n, m, ties):
    x, y = _samples(seed, n, m, ties, shift=0.3)
    for alt in ("two-sided", "less", "greater"):
        want = _quiet(lambda: stats.ks_2samp(x, y, alternative=alt))
        got = ms.ks(x, y, alternative=alt)
        assert (got.statistic, got.pvalue) == (want.statistic, want.pvalue)
        want = stats.ttest_ind(x, y, equal_var=False, alternative=alt)
        got = ms.welch(x, y, alternative=alt)
        assert (got.statistic, got.pvalue) == (want.statistic, want.pvalue)
        want = stats.mannwhitneyu(x, y, alternative=alt)
        got = ms.mann_whitney(x, y, alternative=alt)
        assert (got.statistic, got.pvalue) == (want.statistic, want.pvalue)
    got = ms.cvm(x, y)
    if not ties:
        want = stats.cramervonmises_2samp(x, y)
        assert (got.statistic, got.pvalue) == (want.statistic, want.pvalue)
        assert got.method == ("exact" if max(n, m) <= 20 else "asymptotic")
    else:  # T from its definition over the pooled values, then the asymptotic p-value
        z = np.concatenate([x, y])
        f = np.searchsorted(np.sort(x), z, side="right") / n
        g = np.searchsorted(np.sort(y), z, side="right") / m
        t = n * m / (n + m) ** 2 * np.sum((f - g) ** 2)
        assert got.statistic == pytest.approx(t, rel=1e-12)
        assert got.method == "asymptotic"
        assert got.pvalue == ms._continuous.cvm_pvalue(np.array([got.statistic]), n, m)[0]
    with _no_warnings():
        got = ms.anderson_darling(x, y)
    want = _quiet(lambda: stats.anderson_ksamp([x, y], variant="midrank"))
    assert (got.statistic, got.pvalue) == (want.statistic, want.pvalue)
    assert 0.001 <= got.pvalue <= 0.25


class _no_warnings:
    """Context manager failing on any warning (scipy's capping warning must not leak)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        return False


def _quiet(f):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f()


def test_cvm_with_ties_is_not_fooled_by_midranks():
    # scipy's rank formula gives p < 1e-8 for two identical constant samples
    assert stats.cramervonmises_2samp(np.zeros(100), np.zeros(20)).pvalue < 1e-8
    r = ms.cvm(np.zeros(100), np.zeros(20))
    assert (r.statistic, r.pvalue, r.effect_size) == (0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="tied values"):
        ms.cvm([1.0, 1.0, 2.0], [2.0, 3.0], method="exact")


def test_cvm_asymptotic_pvalue_agrees_with_scipy():
    rng = np.random.default_rng(9)
    for n, m in ((30, 25), (100, 500), (1000, 700)):
        for shift in (0.0, 0.1, 0.2):
            x, y = rng.normal(size=n), rng.normal(shift, 1.0, m)
            want = stats.cramervonmises_2samp(x, y, method="asymptotic")
            got = ms._continuous.cvm_pvalue(np.array([want.statistic]), n, m)[0]
            # scipy stops its series of the limiting CDF a little earlier: ~1e-10 absolute
            assert got == pytest.approx(want.pvalue, rel=1e-10, abs=1e-9)


def test_methods_are_reported_honestly():
    x, y = _samples(0, 6, 7, ties=False, shift=1.0)
    assert ms.mann_whitney(x, y).method == "exact"
    assert ms.mann_whitney(np.round(x), np.round(y)).method == "asymptotic"
    assert ms.ks(x, y).method == "exact" and ms.ks(x, y, method="asymp").method == "asymptotic"
    big = np.random.default_rng(1).normal(size=10_001)
    assert ms.ks(big, big[:50]).method == "asymptotic"
    assert ms.welch(x, y).method == "asymptotic"
    r = ms.anderson_darling(x, y, n_permutations=99, seed=3)
    assert r.method == "permutation"
    assert r == ms.anderson_darling(x, y, n_permutations=99, seed=3)


def _categorical(seed, n, m, k_ref, k_cur, labels="str"):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k_ref, n)
    b = rng.integers(0, k_cur, m)
    if labels == "str":
        names = np.array([f"c{i}" for i in range(max(k_ref, k_cur))])
        return names[a], names[b]
    return a, b


@pytest.mark.parametrize("seed", range(6))
def test_homogeneity_tests_agree_with_chi2_contingency(seed):
    # the current sample has a category the reference never saw when k_cur > k_ref
    ref, cur = _categorical(seed, 50 + 40 * seed, 30 + 25 * seed, 3, 3 + seed % 2,
                            labels="str" if seed % 2 else "int")
    cats = sorted(set(ref.tolist()) | set(cur.tolist()))
    table = np.array([[np.sum(ref == c) for c in cats], [np.sum(cur == c) for c in cats]])
    for f, lam in ((ms.chi_square, None), (ms.g_test, "log-likelihood")):
        want = stats.chi2_contingency(table, correction=False, lambda_=lam)
        got = f(ref, cur)
        assert got.statistic == pytest.approx(want.statistic, rel=1e-10)
        assert got.pvalue == pytest.approx(want.pvalue, rel=1e-10)
        v = stats.contingency.association(table, method="cramer")
        assert got.effect_size == pytest.approx(v, rel=1e-10)
        assert got.n_reference == ref.shape[0] and got.n_current == cur.shape[0]


def test_categorical_inputs_of_every_kind():
    ref = ["a", "b", "b", "c"] * 20
    cur = ["a", "a", "b", "d"] * 15
    want = ms.chi_square(ref, cur)
    for r, c in ((np.array(ref), np.array(cur)), (pd.Series(ref), pd.Series(cur)),
                 (pd.Categorical(ref), pd.Series(cur, dtype="category")),
                 (np.array(ref, dtype=object), cur)):
        assert ms.chi_square(r, c) == want
    assert ms.chi_square([True, False] * 10, [True] * 15 + [False] * 5).pvalue < 0.2
    one = ms.chi_square(["a"] * 5, ["a"] * 7)
    assert (one.statistic, one.pvalue, one.effect_size) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("bad", [["a", None, "b"], ["a", float("nan")], pd.Series(["a", pd.NA]),
                                 np.array([1.0, np.nan])])
def test_missing_labels_are_refused(bad):
    for f in (ms.chi_square, ms.g_test):
        with pytest.raises(ValueError, match="missing label"):
            f(bad, ["a", "b"])
        with pytest.raises(ValueError, match="current contains 1 missing"):
            f(["a", "b"], bad)


def _props(counts):
    return np.asarray(counts, dtype=np.float64) / np.sum(counts)


def test_binned_distances_agree_with_their_definitions():
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(size=3000), rng.normal(0.4, 1.2, 700)
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10, method="inverted_cdf"))
    e = _props(np.bincount(np.searchsorted(edges, ref), minlength=edges.size + 1))
    a = _props(np.bincount(np.searchsorted(edges, cur), minlength=edges.size + 1))
    assert ms.js_divergence(ref, cur).statistic == pytest.approx(jensenshannon(a, e, base=2), rel=1e-10)
    h = math.sqrt(np.sum((np.sqrt(a) - np.sqrt(e)) ** 2) / 2)
    assert ms.hellinger(ref, cur).statistic == pytest.approx(h, rel=1e-10)
    af, ef = np.maximum(a, 1e-4), np.maximum(e, 1e-4)
    assert ms.kl_divergence(ref, cur).statistic == pytest.approx(np.sum(af * np.log(af / ef)), rel=1e-10)
    assert ms.psi(ref, cur).statistic == pytest.approx(np.sum((af - ef) * np.log(af / ef)), rel=1e-10)
    # bit for bit the PSI detector's value on the same window
    det = PSI(window_size=700, reference_size=3000).fit(ref)
    assert ms.psi(ref, cur).statistic == det.update(cur).statistic


def test_categorical_distances_and_unseen_categories():
    ref = ["a"] * 50 + ["b"] * 50
    cur = ["a"] * 40 + ["b"] * 40 + ["new"] * 20
    e, a = np.array([0.5, 0.5, 0.0]), np.array([0.4, 0.4, 0.2])
    assert ms.js_divergence(ref, cur).statistic == pytest.approx(jensenshannon(a, e, base=2), rel=1e-10)
    af, ef = np.maximum(a, 1e-4), np.maximum(e, 1e-4)
    assert ms.psi(ref, cur).statistic == pytest.approx(np.sum((af - ef) * np.log(af / ef)), rel=1e-12)
    # integer codes are numeric unless said otherwise
    assert ms.psi([0, 1] * 50, [0, 1, 2] * 30, kind="categorical").effect_name == "psi"


def test_wasserstein_normalisations():
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(3, 5, 800), rng.normal(4, 5, 600)
    raw = stats.wasserstein_distance(ref, cur)
    assert ms.wasserstein(ref, cur, normalize=None).statistic == raw
    assert ms.wasserstein(ref, cur).statistic == raw / np.std(ref, ddof=1)
    q75, q25 = np.percentile(ref, [75, 25])
    r = ms.wasserstein(ref, cur, normalize="iqr")
    assert r.statistic == raw / (q75 - q25) and r.effect_name == "wasserstein_iqr"
    with pytest.raises(ValueError, match="zero std"):
        ms.wasserstein(np.ones(10), cur)


def test_permutation_pvalues_are_seeded_and_exact_for_separated_samples():
    x, y = np.arange(20.0), np.arange(20.0) + 100
    for name in ("psi", "kl_divergence", "js_divergence", "hellinger", "wasserstein"):
        r = ms.two_sample(x, y, test=name, n_permutations=199, seed=1)
        assert r.method == "permutation" and r.pvalue == pytest.approx(1 / 200)
        assert r == ms.two_sample(x, y, test=name, n_permutations=199, seed=1)
        assert ms.two_sample(x, y, test=name).pvalue is None


def _binomial_bound(alpha: float, n: int, levels: int) -> int:
    return int(stats.binom.ppf(1 - FAMILY / levels, n, alpha))


NULL_TESTS = [("welch", {}), ("mann_whitney", {}), ("chi_square", {}), ("g_test", {}),
              ("cvm", {})]


@pytest.mark.parametrize(("name", "options"), NULL_TESTS)
def test_pvalues_are_uniform_under_the_null(name, options):
    rng = np.random.default_rng(12345)
    p = np.empty(N_NULL)
    categorical = ms.TESTS[name].data_kind == "categorical"
    for i in range(N_NULL):
        if categorical:
            probs = [0.4, 0.3, 0.2, 0.1]
            x, y = rng.choice(4, 300, p=probs), rng.choice(4, 200, p=probs)
        else:
            x, y = rng.normal(size=120), rng.normal(size=80)
        p[i] = ms.two_sample(x, y, test=name, **options).pvalue
    alphas = (0.01, 0.05, 0.1)
    for alpha in alphas:
        assert np.sum(p <= alpha) <= _binomial_bound(alpha, N_NULL, len(alphas) + 1)
    assert stats.kstest(p, "uniform").pvalue >= FAMILY


@pytest.mark.parametrize("name", ["ks", "anderson_darling"])
def test_discrete_or_capped_pvalues_are_valid_under_the_null(name):
    # KS p-values live on a lattice and Anderson-Darling's are capped to [0.001, 0.25]:
    # no uniformity test, only P(p <= alpha) <= alpha at levels inside the cap
    rng = np.random.default_rng(54321)
    p = np.array([ms.two_sample(rng.normal(size=120), rng.normal(size=80), test=name).pvalue
                  for _ in range(N_NULL)])
    alphas = (0.01, 0.05, 0.1)
    for alpha in alphas:
        assert np.sum(p <= alpha) <= _binomial_bound(alpha, N_NULL, len(alphas))


@pytest.mark.parametrize("name", ["psi", "js_divergence", "wasserstein"])
def test_permutation_pvalues_are_valid_under_the_null(name):
    rng = np.random.default_rng(7)
    p = np.array([ms.two_sample(rng.normal(size=40), rng.normal(size=30), test=name,
                                n_permutations=49, seed=i).pvalue for i in range(N_NULL)])
    assert set(np.round(p * 50).tolist()) <= set(range(1, 51))
    alphas = (0.02, 0.1, 0.5)
    for alpha in alphas:
        assert np.sum(p <= alpha) <= _binomial_bound(alpha, N_NULL, len(alphas))
    # and not absurdly conservative: P(p <= 0.5) is 0.5 for an exact permutation test
    assert np.sum(p <= 0.5) >= int(stats.binom.ppf(FAMILY, N_NULL, 0.5))


NUMERIC = ["ks", "cvm", "anderson_darling", "welch", "mann_whitney", "psi", "kl_divergence",
           "js_divergence", "hellinger", "wasserstein"]


@pytest.mark.parametrize("name", NUMERIC)
def test_effect_sizes_are_small_under_the_null_and_grow_with_the_shift(name):
    rng = np.random.default_rng(3)
    ref = rng.normal(size=4000)
    noise = rng.normal(size=4000)
    effects = [ms.two_sample(ref, noise + shift, test=name).effect_size for shift in (0.0, 0.5, 1.0, 2.0)]
    assert all(e >= 0 for e in effects)
    assert effects[0] < 0.05 and effects[0] < effects[1] < effects[2] < effects[3], effects
    assert ms.two_sample(ref, noise + 0.5, test=name).effect_name == ms.TESTS[name].effect_name


def test_registry_and_dispatch():
    assert set(ms.TESTS) == {"ks", "cvm", "anderson_darling", "welch", "mann_whitney", "chi_square",
                             "g_test", "psi", "kl_divergence", "js_divergence", "hellinger",
                             "wasserstein"}
    for name, spec in ms.TESTS.items():
        assert spec.name == name and callable(spec.function) and spec.description
        data = (["a", "b", "b"] * 10, ["a", "a", "b"] * 10) if spec.data_kind == "categorical" \
            else (np.arange(30.0) % 7, np.arange(30.0) % 5)
        r = ms.two_sample(*data, test=name)
        assert r.test == name and (r.pvalue is not None) == spec.has_pvalue
    with pytest.raises(ValueError, match="unknown test 'nope'; valid tests are anderson_darling"):
        ms.two_sample([1.0, 2.0], [3.0, 4.0], test="nope")
    with pytest.raises(TypeError, match="see help"):
        ms.two_sample([1.0, 2.0], [3.0, 4.0], test="ks", n_bins=3)
    assert [ms.default_test(k) for k in ("numeric", "categorical", "binary")] == \
        ["ks", "chi_square", "chi_square"]
    with pytest.raises(ValueError, match="kind must be one of"):
        ms.default_test("text")


@pytest.mark.parametrize("name", ["ks", "cvm", "anderson_darling", "welch", "mann_whitney", "wasserstein"])
def test_bad_numeric_input_is_refused_with_the_field_named(name):
    good = np.arange(10.0)
    with pytest.raises(ValueError, match=f"{name}: reference contains 1 NaN"):
        ms.two_sample([1.0, np.nan, 2.0], good, test=name)
    with pytest.raises(ValueError, match=f"{name}: current contains 1 NaN or infinite"):
        ms.two_sample(good, [1.0, np.inf, 2.0], test=name)
    with pytest.raises(ValueError, match="must be 1-D"):
        ms.two_sample(np.zeros((3, 2)), good, test=name)
    with pytest.raises(TypeError, match="must be numeric"):
        ms.two_sample(["a", "b"], good, test=name)
    with pytest.raises(ValueError, match="at least"):
        ms.two_sample([], good, test=name)


def test_bad_options_are_refused():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="alternative must be one of"):
        ms.ks(x, x, alternative="both")
    with pytest.raises(ValueError, match="n_permutations must be >= 0"):
        ms.psi(x, x, n_permutations=-1)
    with pytest.raises(TypeError, match="n_bins must be an int"):
        ms.psi(x, x, n_bins=2.5)
    with pytest.raises(ValueError, match="normalize must be one of"):
        ms.wasserstein(x, x, normalize="mad")
    with pytest.raises(ValueError, match="both samples are constant"):
        ms.welch([1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="single distinct value"):
        ms.anderson_darling([1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="kind must be one of"):
        ms.hellinger(x, x, kind="text")


@settings(max_examples=40, deadline=None)
@given(x=st.lists(st.integers(-3, 3), min_size=2, max_size=30),
       y=st.lists(st.integers(-3, 3), min_size=2, max_size=30))
def test_results_are_well_formed_on_tied_data(x, y):
    for name, spec in ms.TESTS.items():
        if name == "welch" and len(set(x)) == 1 and len(set(y)) == 1:
            continue
        if name == "anderson_darling" and len(set(x) | set(y)) == 1:
            continue
        if name == "wasserstein" and len(set(x)) == 1:
            with pytest.raises(ValueError, match="zero std"):
                ms.two_sample(x, y, test=name)
            continue
        r = ms.two_sample(x, y, test=name)
        assert r.effect_size >= 0 and r.effect_name == spec.effect_name
        if r.pvalue is not None:
            assert 0.0 <= r.pvalue <= 1.0


def test_permutation_rows_reproduce_the_observed_binned_statistic_bit_for_bit():
    # permutations recompute bins from each permuted reference (duplicate edges kept);
    # on the unpermuted split this must be exactly the reported statistic
    from mlmon.stats import _distances as d

    for seed in range(12):
        rng = np.random.default_rng(seed)
        ref, cur = rng.normal(size=40 + 20 * seed), rng.normal(0.3, 1.0, 15 + 10 * seed)
        if seed % 2:
            ref, cur = np.round(ref), np.round(cur)
        m, n = ref.shape[0], cur.shape[0]
        levels, codes = np.unique(np.concatenate([ref, cur]), return_inverse=True)
        counts = np.bincount(codes.reshape(-1), minlength=levels.shape[0])
        observed = np.bincount(codes.reshape(-1)[:m], minlength=levels.shape[0])
        for measure, name in (("psi", "psi"), ("kl", "kl_divergence"), ("js", "js_divergence"),
                              ("hellinger", "hellinger")):
            for n_bins in (2, 5, 10):
                e, a = d._bin_rows(observed[None, :], counts, n_bins)
                row = d.binned_value(measure, a / float(n), e / float(m))[0]
                assert row == ms.two_sample(ref, cur, test=name, n_bins=n_bins).statistic
        for normalize in ("std", "iqr", None):
            row = d._level_w1(levels, counts, observed[None, :], normalize)[0]
            want = ms.wasserstein(ref, cur, normalize=normalize).statistic
            assert row == pytest.approx(want, rel=1e-12)
