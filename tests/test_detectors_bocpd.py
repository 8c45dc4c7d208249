"""BOCPD: the run-length posterior against a direct computation, truncation, calibration of
false alarms under the null, and detection of mean and variance shifts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlmon.detectors import BOCPD


def _direct_posterior(x: np.ndarray, mean: float, var: float, hazard: float) -> np.ndarray:
    """Adams and MacKay's recursion without truncation, with scipy's Student-t."""
    log_r = np.zeros(1)
    m, k, a, b = np.array([mean]), np.array([1.0]), np.array([1.0]), np.array([var])
    for v in x:
        scale = np.sqrt(b * (k + 1.0) / (a * k))
        log_pred = stats.t.logpdf(v, df=2.0 * a, loc=m, scale=scale)
        joint = log_r + log_pred
        evidence = np.logaddexp.reduce(joint)
        log_r = np.concatenate(([np.log(hazard)], joint + np.log1p(-hazard))) - evidence
        log_r[0] = np.log(hazard)
        b = np.concatenate(([var], b + k * (v - m) ** 2 / (2.0 * (k + 1.0))))
        m = np.concatenate(([mean], (k * m + v) / (k + 1.0)))
        k = np.concatenate(([1.0], k + 1.0))
        a = np.concatenate(([1.0], a + 0.5))
    return np.exp(log_r)


def test_posterior_equals_the_direct_recursion():
    x = np.random.default_rng(0).normal(0.3, 1.5, 40)
    x[25:] += 3.0
    det = BOCPD(mean=0.0, std=1.2, expected_run_length=50.0, max_run_length=100)
    det.update(x)
    expected = _direct_posterior(x, 0.0, 1.44, 1.0 / 50.0)
    got = det.run_length_posterior()
    assert got.shape == expected.shape == (41,)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-14)
    assert abs(int(np.argmax(got)) - 15) <= 1  # the change 15 values ago


def test_truncation_keeps_the_tail_mass():
    det = BOCPD(mean=0.0, std=1.0, min_run=10, max_run_length=50, reset_on_drift=False)
    det.update(np.random.default_rng(1).normal(size=1000))
    post = det.run_length_posterior()
    assert post.shape == (50,)
    assert abs(post.sum() - 1.0) < 1e-12
    assert post[-1] > 0.5  # a long stable run: most mass is in the "49 or more" cell
    assert post[0] == pytest.approx(1.0 / 1000.0)  # P(r = 0) is the hazard, always


def test_statistic_is_the_posterior_mass_of_recent_change_points():
    det = BOCPD(mean=0.0, std=1.0, min_run=7, max_run_length=60)
    x = np.random.default_rng(2).normal(size=80)
    results = [det.update(v) for v in x]
    assert all(np.isnan(r.statistic) for r in results[:29])  # min_samples = 30
    assert results[-1].statistic == pytest.approx(det.run_length_posterior()[:7].sum(), abs=1e-15)


def _alarms(params: dict, seeds: range, n: int) -> int:
    return sum(len(BOCPD(mean=0.0, std=1.0, **params).run(np.random.default_rng(s).normal(size=n)))
               for s in seeds)


@pytest.mark.slow
def test_null_false_alarms_match_the_calibrated_rate():
    # The false-alarm rate at a threshold is estimated on calibration streams; fresh streams of
    # the same total length must give a count consistent with it: given the total c1 + c2,
    # c2 is Binomial(c1 + c2, 1/2) when both come from the same rate (two-sided, level 0.001).
    params = {"expected_run_length": 200.0, "min_run": 10, "max_run_length": 100, "threshold": 0.5}
    c1 = _alarms(params, range(0, 10), 5000)
    c2 = _alarms(params, range(100, 110), 5000)
    assert c1 >= 20  # the check has power
    lo, hi = stats.binom.ppf([0.0005, 0.9995], c1 + c2, 0.5)
    assert lo <= c2 <= hi, (c1, c2, lo, hi)


@pytest.mark.parametrize(("after", "max_delay"), [((1.5, 1.0), 60), ((0.0, 2.5), 60)],
                         ids=["mean-shift-1.5sd", "variance-x2.5"])
def test_detects_mean_and_variance_shifts(after, max_delay):
    delays, false = [], 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        x = np.concatenate([rng.normal(0.0, 1.0, 1500), rng.normal(after[0], after[1], 500)])
        alarms = BOCPD().fit(rng.normal(0.0, 1.0, 300)).run(x).indices
        false += int(np.sum(alarms < 1500))
        late = alarms[alarms >= 1500]
        delays.append(int(late[0]) - 1500 if late.size else 10**6)
    assert false <= 2  # 15,000 null values at the default level (rate: see the test above)
    assert max(delays) < max_delay, delays


def test_threshold_free_trace_gives_nested_alarms():
    x = np.random.default_rng(3).normal(size=1500)
    x[1000:] += 1.0
    trace = BOCPD(mean=0.0, std=1.0).trace(x)
    for level in (0.5, 0.9, 0.99):
        first = BOCPD(mean=0.0, std=1.0, threshold=level).run(x).first
        crossed = np.flatnonzero(trace > level)
        assert first == (int(crossed[0]) if crossed.size else None)


@pytest.mark.parametrize("params, fragment", [
    ({"min_run": 500}, "min_run"),
    ({"threshold": 1.0}, "threshold"),
    ({"expected_run_length": 1.0}, "expected_run_length"),
    ({"mean": 0.0}, "std"),
])
def test_invalid_parameters_name_the_field(params, fragment):
    with pytest.raises(ValueError, match=fragment):
        BOCPD(**params)
