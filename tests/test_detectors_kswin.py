"""KSWIN: the sampling, the exact KS numerator, the p-values and parameter checks."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import stats

from mlmon.detectors import KSWIN
from mlmon.runtime import _kswin
from mlmon.runtime._kswin import KSWINEngine, draw_sample, ks_numerator, uses_pool


def _raw_words(seed: int, n: int) -> np.ndarray:
    version, internal, _ = random.Random(seed).getstate()
    gen = np.random.MT19937()
    gen.state = {"bit_generator": "MT19937",
                 "state": {"key": np.array(internal[:624], dtype=np.uint32), "pos": internal[624]}}
    return gen.random_raw(n).astype(np.int64)


@pytest.mark.parametrize(("population", "k"), [(70, 30), (10, 10), (5, 1), (1900, 100), (600, 7)])
def test_draws_are_those_of_random_sample(population, k):
    for seed in range(5):
        rng = random.Random(seed)
        words = _raw_words(seed, 20 * k + 100)
        pool, out, pos = np.zeros(population, dtype=np.int64), np.zeros(k, dtype=np.int64), 0
        for _ in range(3):  # consecutive samples from one generator
            pos = draw_sample(words, pos, population, k, uses_pool(population, k), pool, out)
            assert pos > 0
            assert out.tolist() == rng.sample(range(population), k)


def test_running_out_of_words_is_reported_not_guessed():
    out = np.zeros(30, dtype=np.int64)
    assert draw_sample(_raw_words(0, 10), 0, 70, 30, True, np.zeros(70, dtype=np.int64), out) == -1


@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful")
def test_ks_numerator_is_scipys_statistic_times_k_with_ties():
    # (scipy falls back to its asymptotic p-value at some tiny statistics, p close to 1)
    rng = np.random.default_rng(0)
    for trial in range(200):
        k = int(rng.integers(1, 40))
        a = np.sort(rng.integers(0, 6, k).astype(float))  # many ties
        b = np.sort(rng.integers(0, 6, k).astype(float) + rng.integers(0, 2))
        d = stats.ks_2samp(a, b).statistic
        assert ks_numerator(a, b) == round(d * k)


def test_reported_pvalue_is_scipys_and_one_below_the_minimum_effect():
    det = KSWIN(window_size=60, sample_size=20, seed=4)
    x = np.random.default_rng(1).normal(size=400)
    x[200:] += 1.5
    table = det._export_state()["pvalue_table"]
    seen_small_d = seen_large_d = False
    for v in x:
        r = det.update(v)
        if r.pvalue is None:
            continue
        h = round(r.statistic * 20)
        if h >= _kswin.min_effect_numerator(20):
            assert r.pvalue == table[h]
            seen_large_d = True
        else:
            assert r.pvalue == 1.0
            seen_small_d = True
        assert r.drift == (r.pvalue <= 0.005)
    assert seen_small_d and seen_large_d


def test_reset_reseeds_the_generator_as_river_does():
    x = np.random.default_rng(2).normal(size=500)
    det = KSWIN(seed=9)
    first = det.trace(x)
    det.run(x)
    assert np.array_equal(det.reset().trace(x), first, equal_nan=True)
    other = KSWIN(seed=10).trace(x)
    assert not np.array_equal(first, other, equal_nan=True)


def test_null_rate_of_tests_at_alpha_is_the_exact_tail_probability():
    # Under the null the newest values and the sample of older ones are independent samples of
    # one distribution, so a test rejects with probability P(H >= h_crit) = table[h_crit]
    # exactly (the exact p-value of h is P(H >= h)). Tests in one stream overlap, so the rate
    # is compared across 20 independent streams: a t-interval at level 0.001 on their rates.
    alpha, k = 0.01, 30
    table = KSWIN(sample_size=k)._export_state()["pvalue_table"]
    h_crit = next(h for h in range(k + 1) if table[h] <= alpha and h >= _kswin.min_effect_numerator(k))
    expected = float(table[h_crit])
    rates = []
    for seed in range(20):
        p = KSWIN(alpha=alpha, seed=seed, reset_on_drift=False).trace(
            np.random.default_rng(1000 + seed).normal(size=3000))
        p = p[~np.isnan(p)]
        rates.append(float(np.mean(p <= alpha)))
    rates = np.array(rates)
    half_width = stats.t.ppf(0.9995, rates.size - 1) * rates.std(ddof=1) / np.sqrt(rates.size)
    assert 0.0 < expected < alpha
    assert abs(rates.mean() - expected) <= half_width, (rates.mean(), expected, half_width)


def test_plain_python_engine_gives_the_same_alarms():
    x = np.concatenate([np.random.default_rng(4).normal(size=600), np.full(200, 2.0)])
    det = KSWIN(alpha=0.001, seed=2)
    eng = KSWINEngine(det.get_params(), det._export_state())
    alarms, _ = eng.run(x, reset_on_drift=True)
    assert alarms.tolist() == det.run(x).indices.tolist() and len(alarms) > 0


@pytest.mark.parametrize("params, fragment", [
    ({"sample_size": 60}, "at most half of window_size"),
    ({"alpha": 0.0}, "alpha"),
    ({"sample_size": 0}, "sample_size"),
    ({"sample_size": 10_001, "window_size": 30_000}, "sample_size"),
])
def test_invalid_parameters_name_the_field(params, fragment):
    with pytest.raises(ValueError, match=fragment):
        KSWIN(**params)
