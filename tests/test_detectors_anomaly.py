"""Anomaly-rate monitoring: the exact null distribution of the outlier count, and the detector."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlmon.detectors import AnomalyRate
from mlmon.detectors._anomaly import exceedance_pvalue

LEVEL = 1e-3


@pytest.mark.parametrize("n_cal, window, rank", [(99, 50, 5), (40, 20, 2), (250, 100, 25)])
def test_exceedance_count_has_the_stated_null_distribution(n_cal, window, rank):
    # exchangeable scores: calibration and window drawn together from one distribution
    rng = np.random.default_rng(n_cal)
    runs = 20_000
    cal = rng.random((runs, n_cal))
    cut = -np.sort(-cal, axis=1)[:, rank - 1]
    counts = (rng.random((runs, window)) > cut[:, None]).sum(axis=1)
    for k in range(1, window, max(1, window // 10)):
        want = exceedance_pvalue(k, window_size=window, n_calibration=n_cal, rank=rank)
        got = int(np.sum(counts >= k))
        lo, hi = stats.binom.ppf([LEVEL / 20, 1 - LEVEL / 20], runs, want)
        assert lo <= got <= hi, (k, got / runs, want)


def test_plain_binomial_at_the_nominal_rate_would_alarm_too_often():
    # the reason for the beta-binomial: calibration noise inflates the count's variance
    n_cal, window, rank = 99, 200, 5
    rate = rank / (n_cal + 1)
    rng = np.random.default_rng(1)
    runs = 20_000
    cal = rng.random((runs, n_cal))
    cut = -np.sort(-cal, axis=1)[:, rank - 1]
    counts = (rng.random((runs, window)) > cut[:, None]).sum(axis=1)
    k = int(stats.binom.isf(0.01, window, rate)) + 1   # binomial says P(K >= k) <= 0.01
    assert stats.binom.sf(k - 1, window, rate) <= 0.01
    assert np.mean(counts >= k) > 0.03
    assert exceedance_pvalue(k, window_size=window, n_calibration=n_cal, rank=rank) > 0.03


def test_false_alarm_rate_of_fitted_detectors_on_fresh_references():
    # every run fits a new reference: the window p-value is then exactly valid
    from sklearn.neighbors import LocalOutlierFactor

    runs, alpha = 300, 0.05
    hits = 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        det = AnomalyRate(model=LocalOutlierFactor(novelty=True, n_neighbors=15), rate=0.1,
                          alpha=alpha, window_size=50, reference_size=200, seed=seed)
        det.fit(rng.normal(size=(200, 3)))
        hits += det.update(rng.normal(size=(50, 3))).drift
    assert hits <= stats.binom.ppf(1 - LEVEL, runs, alpha)


def test_detects_a_rise_of_outliers_with_the_default_forest():
    rng = np.random.default_rng(2)
    det = AnomalyRate(alpha=0.001, window_size=100, seed=0).fit(rng.normal(size=(1000, 5)))
    stream = rng.normal(size=(1000, 5))
    stream[500:, :2] *= 3.0
    alarms = det.run(stream)
    assert alarms.first is not None and 500 <= alarms.first < 700
    r = det.reset().update(stream[600:700])
    assert r.drift and r.statistic > det.rate


def test_bad_parameters_and_input():
    with pytest.raises(TypeError, match="score_samples"):
        AnomalyRate(model=object())
    with pytest.raises(ValueError, match="reference rows"):
        AnomalyRate(rate=0.001, reference_size=100)
    det = AnomalyRate(seed=0, reference_size=100, window_size=20)
    with pytest.raises(ValueError):
        det.fit(np.full((100, 3), np.nan))
    with pytest.raises(ValueError, match="reference of 30 rows"):
        det.fit(np.random.default_rng(0).normal(size=(30, 3)))
