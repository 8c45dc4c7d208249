"""The multivariate scenario, and how the benchmark pairs detectors with signal kinds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from mlmon.benchmark import run
from mlmon.benchmark._run import mismatch
from mlmon.detectors import DDM, KS
from mlmon.scenarios import ErrorRateShift, MeanShift, MultivariateShift, Stream


def test_correlation_flip_keeps_every_marginal():
    s = MultivariateShift(n_samples=20_000, n_features=4, correlation=0.7, change="correlation",
                          n_shifted=2, position=10_000).generate(seed=1)
    before, after = s.signal[:10_000], s.signal[10_000:]
    for j in range(4):  # same marginal law before and after: KS cannot tell them apart
        assert stats.ks_2samp(before[:, j], after[:, j]).pvalue > 1e-3
    c_before, c_after = np.corrcoef(before.T), np.corrcoef(after.T)
    assert c_before[0, 2] == pytest.approx(0.7, abs=0.03)
    assert c_after[0, 2] == pytest.approx(-0.7, abs=0.03)
    assert c_after[0, 1] == pytest.approx(0.7, abs=0.03)  # both flipped: unchanged between them


def test_mean_shift_gradual_and_null():
    sc = MultivariateShift(n_samples=4000, n_features=3, shift=2.0, n_shifted=2, position=1000,
                           kind="gradual", width=1000)
    s = sc.generate(seed=2)
    assert s.drifts[0].start == 1000 and s.drifts[0].end == 2000 and s.drifts[0].columns == ("x0", "x1")
    late = s.signal[2000:]
    assert late[:, 0].mean() == pytest.approx(2.0, abs=0.1) and abs(late[:, 2].mean()) < 0.1
    null = sc.null()
    assert null.is_stationary and null.generate(seed=2).drifts == ()
    # before the change the scenario and its null draw the same rows
    assert np.array_equal(s.signal[:1000], null.generate(seed=2).signal[:1000])


def test_bad_parameters():
    with pytest.raises(ValueError, match="-1/\\(n_features - 1\\)"):
        MultivariateShift(n_features=3, correlation=-0.6)
    with pytest.raises(ValueError, match="n_shifted"):
        MultivariateShift(n_features=3, change="correlation", n_shifted=3)
    with pytest.raises(ValueError, match="incremental"):
        MultivariateShift(change="correlation", kind="incremental", width=10)
    with pytest.raises(ValueError, match="2-D"):
        Stream(signal=np.zeros(5), signal_kind="multivariate")


def test_benchmark_pairs_detectors_with_the_signals_they_monitor():
    assert mismatch(KS(), MeanShift()) is None
    assert "0/1 error stream" in mismatch(DDM(), MeanShift())
    assert mismatch(DDM(), ErrorRateShift()) is None
    assert "1-D signal" in mismatch(KS(), MultivariateShift())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run([KS()], [MultivariateShift(n_samples=500, position=250),
                           MeanShift(n_samples=1000, position=500)], seeds=2, progress=False)
    assert [s.scenario for s in res.skipped] == ["MultivariateShift"]
    assert any("skipped 1" in str(w.message) for w in caught)
    assert len(res.records) == 2


def test_bootstrap_resamples_whole_rows():
    from mlmon.scenarios import Bootstrap

    ref = np.random.default_rng(4).normal(size=(300, 3))
    s = Bootstrap(ref, n_samples=1000, block_size=5).generate(seed=0)
    assert s.signal_kind == "multivariate" and s.signal.shape == (1000, 3)
    rows = {tuple(r) for r in ref.tolist()}
    assert all(tuple(r) in rows for r in s.signal.tolist())
