"""Control charts against their theory: Shewhart's per-sample false-alarm probability and the
EWMA statistic's exact standardisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlmon.detectors import CUSUM, EWMA, Shewhart


def test_shewhart_false_alarm_probability_is_the_normal_tail():
    n = 2_000_000
    x = np.random.default_rng(11).standard_normal(n)
    alarms = Shewhart(threshold=3.0, mean=0.0, std=1.0).run(x)
    p = 2 * stats.norm.sf(3.0)  # 0.0027 per sample, independent samples
    lo, hi = stats.binom.ppf([1e-4, 1 - 1e-4], n, p)
    assert lo <= len(alarms) <= hi


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_shewhart_watches_one_tail(alternative):
    x = np.array([0.0, 3.5, 0.0, -3.5, 0.0])
    alarms = Shewhart(mean=0.0, std=1.0, alternative=alternative).run(x).indices.tolist()
    assert alarms == ([1] if alternative == "greater" else [3])


@pytest.mark.parametrize("smoothing", [0.05, 0.2, 0.6])
def test_ewma_statistic_has_unit_variance_at_every_step(smoothing):
    # with a known baseline the signed statistic is e_t / sd(e_t): exactly N(0, 1) at each t
    runs, length = 4000, 60
    x = np.random.default_rng(5).standard_normal((runs, length))
    det = EWMA(smoothing=smoothing, mean=0.0, std=1.0, alternative="greater")
    traces = np.array([det.trace(row) for row in x])
    for t in (0, 4, length - 1):
        var = traces[:, t].var(ddof=1)
        lo, hi = stats.chi2.ppf([1e-4, 1 - 1e-4], runs - 1) / (runs - 1)
        assert lo <= var <= hi, (t, var)
    assert np.allclose(traces[:, 0], x[:, 0])  # the first statistic is the first z


def test_ewma_detects_a_small_shift_sooner_than_shewhart_at_equal_false_alarms():
    # the textbook trade-off, at matched in-control behaviour: both calibrated on the same null
    from mlmon.scenarios import MeanShift
    from mlmon.tuning import calibrate, operating_curve

    drift = MeanShift(n_samples=6000, position=3000, shift=0.5)
    delays = {}
    for det in (EWMA(smoothing=0.1, mean=0.0, std=1.0), Shewhart(mean=0.0, std=1.0)):
        cal = calibrate(det, drift.null(), arl=2000, n_runs=200, seed=1)
        curve = operating_curve(cal.detector, null=drift.null(), drift=drift, thresholds=[cal.value],
                                n_runs=200, seed=2)
        delays[type(det).__name__] = float(curve.mean_delay[0])
    assert delays["EWMA"] < 0.5 * delays["Shewhart"]


def test_charts_share_the_baseline_rules():
    ref = np.random.default_rng(0).normal(3.0, 2.0, 500)
    for cls in (CUSUM, EWMA, Shewhart):
        det = cls().fit(ref)
        assert math.isclose(det.mean_, ref.mean()) and math.isclose(det.std_, ref.std(ddof=1))
        with pytest.raises(ValueError, match="give both 'mean' and 'std'"):
            cls(mean=0.0)
        with pytest.raises(ValueError, match="constant"):
            cls().fit(np.ones(10))
