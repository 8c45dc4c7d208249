"""TwoSampleTest and Distance detectors: agreement with the batch functions of mlmon.stats,
windowing, trace, export refusal. (The protocol itself is checked by tests/test_conformance.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlmon import export
from mlmon import stats as ms
from mlmon.detectors import KS, PSI, REGISTRY, Distance, TwoSampleTest


def _data(seed: int, ties: bool = False):
    rng = np.random.default_rng(seed)
    ref, x = rng.normal(size=200), rng.normal(0.2, 1.1, 600)
    if ties:
        ref, x = np.round(ref * 2) / 2, np.round(x * 2) / 2
    return ref, x


def _windows(x: np.ndarray, n: int, step: int) -> list[tuple[int, np.ndarray]]:
    return [(end, x[end - n + 1: end + 1]) for end in range(n - 1, x.shape[0], step)]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("test", ["ks", "cvm", "anderson_darling", "welch", "mann_whitney"])
def test_pvalues_are_those_of_the_batch_tests(test, ties):
    ref, x = _data(1, ties)
    det = TwoSampleTest(test=test, window_size=50, step=25).fit(ref)
    trace = det.trace(x)
    tested = _windows(x, 50, 25)
    assert np.flatnonzero(~np.isnan(trace)).tolist() == [end for end, _ in tested]
    for end, w in tested:
        if test == "mann_whitney":
            want = ms.mann_whitney(ref, w, method="asymptotic").pvalue
        elif test == "cvm":
            want = ms.cvm(ref, w, method="asymptotic").pvalue
        elif test == "anderson_darling":
            want = ms.anderson_darling(ref, w).pvalue
            want = 1.0 if want >= 0.25 else want
        else:
            want = ms.two_sample(ref, w, test=test).pvalue
        if test in ("ks", "anderson_darling"):
            assert trace[end] == want
        elif test == "cvm":  # scipy truncates the limiting series a little earlier
            assert trace[end] == pytest.approx(want, rel=1e-10, abs=1e-9)
        else:
            assert trace[end] == pytest.approx(want, rel=1e-10, abs=1e-300)


def test_statistics_and_pvalues_reported_by_update():
    ref, x = _data(2)
    det = TwoSampleTest(test="welch", window_size=40, reset_on_drift=False).fit(ref)
    results = [det.update(v) for v in x[:40]]
    assert all(np.isnan(r.statistic) and r.pvalue is None for r in results[:-1])
    want = stats.ttest_ind(ref, x[:40], equal_var=False)
    assert results[-1].statistic == pytest.approx(want.statistic, rel=1e-10)
    assert results[-1].pvalue == pytest.approx(want.pvalue, rel=1e-10)


def test_ks_variant_raises_the_alarms_of_KS():
    ref, x = _data(3)
    x = np.concatenate([x, x[:300] + 1.0])
    for params in ({"window_size": 50, "reference_size": 100},
                   {"window_size": 30, "reference_size": 60, "step": 7}):
        a = TwoSampleTest(test="ks", **params).run(x)
        assert a == KS(**params).run(x) and len(a) > 0
        np.testing.assert_array_equal(TwoSampleTest(test="ks", **params).fit(ref).trace(x),
                                      KS(**params).fit(ref).trace(x))


@pytest.mark.parametrize("measure", ["psi", "kl", "js", "hellinger", "wasserstein"])
def test_distances_are_those_of_the_batch_functions(measure):
    ref, x = _data(4)
    det = Distance(measure=measure, window_size=60, step=30, n_bins=8).fit(ref)
    trace = det.trace(x)
    name = {"kl": "kl_divergence", "js": "js_divergence"}.get(measure, measure)
    options = {} if measure == "wasserstein" else {"n_bins": 8}
    for end, w in _windows(x, 60, 30):
        want = ms.two_sample(ref, w, test=name, **options).statistic
        if measure == "wasserstein":
            assert trace[end] == pytest.approx(want, rel=1e-12)
        else:  # same bins, same terms, same order of addition
            assert trace[end] == want


def test_psi_measure_is_the_PSI_detector():
    ref, x = _data(5)
    params = {"threshold": 0.1, "window_size": 100, "reference_size": 300, "step": 10}
    np.testing.assert_array_equal(Distance(measure="psi", **params).trace(x), PSI(**params).trace(x))
    assert Distance(measure="psi", **params).run(x) == PSI(**params).run(x)


def test_unfitted_detectors_take_their_reference_from_the_stream():
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(size=800), rng.normal(2.0, 1.0, 400)])
    for det in (TwoSampleTest(test="mann_whitney", alpha=0.001), Distance(threshold=1.0)):
        alarms = det.run(x)
        assert alarms.first is not None and 800 <= alarms.first < 1000
        first = det.clone().trace(x)
        assert np.isnan(first[:599]).all() and not np.isnan(first[599])


def test_wasserstein_is_about_the_mean_shift_in_standard_deviations():
    rng = np.random.default_rng(7)
    det = Distance(window_size=2000, reference_size=5000).fit(rng.normal(0, 3, 5000))
    assert det.update(rng.normal(3.0, 3, 2000)).statistic == pytest.approx(1.0, abs=0.1)


def test_not_exportable_with_a_reason():
    for det in (TwoSampleTest(test="welch"), Distance(measure="js")):
        assert det.exportable is False
        why = export.why_not_exportable(det)
        assert "not exportable" in why and "KS" in why and "PSI" in why
    assert REGISTRY["TwoSampleTest"] is TwoSampleTest and REGISTRY["Distance"] is Distance


def test_invalid_parameters():
    with pytest.raises(ValueError, match="'test' must be one of"):
        TwoSampleTest(test="chi_square")
    with pytest.raises(ValueError, match="'measure' must be one of"):
        Distance(measure="energy")
    with pytest.raises(ValueError, match="at least 'n_bins'"):
        Distance(measure="psi", reference_size=5, n_bins=10)
    with pytest.raises(ValueError, match="lattice"):
        TwoSampleTest(test="ks", window_size=997, reference_size=1009)
    with pytest.raises(ValueError, match="reference needs at least 2"):
        TwoSampleTest().fit([1.0])


def test_constant_windows_give_valid_pvalues():
    ref = np.zeros(100)
    for test in ("welch", "mann_whitney", "anderson_darling", "cvm", "ks"):
        det = TwoSampleTest(test=test, window_size=20).fit(ref)
        p = det.trace(np.zeros(40))
        assert np.all(p[~np.isnan(p)] == 1.0), test
        p = det.trace(np.ones(40))
        assert np.all(p[~np.isnan(p)] < 0.01), test
