"""Pure benchmark metrics: definitions on hand-made cases, properties under hypothesis, ARL statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.benchmark import metrics as M
from mlmon.scenarios import Drift


def sudden(start: int) -> Drift:
    return Drift(start=start, end=start, kind="sudden")


# --- definitions on hand-made cases -----------------------------------------------------------


def test_detection_window_and_delay():
    drifts = [sudden(1000)]
    alarms = [999, 1000, 1500, 1999, 2000]
    assert M.detection_delays(alarms=alarms, drifts=drifts, tolerance=1000).tolist() == [0.0]
    assert M.redundant_alarms(alarms=alarms, drifts=drifts, tolerance=1000) == 2  # 1500, 1999
    assert M.false_alarms(alarms=alarms, drifts=drifts, tolerance=1000) == 2  # 999 and 2000 (window is open)
    assert M.first_alarm(alarms=alarms) == 999.0


def test_window_is_cut_at_next_drift():
    drifts = [sudden(100), sudden(150)]
    # 160 lies in both nominal windows but belongs to the second drift only
    delays = M.detection_delays(alarms=[160], drifts=drifts, tolerance=500)
    assert math.isnan(delays[0]) and delays[1] == 10.0
    assert M.detection_windows(drifts=drifts, tolerance=500).tolist() == [[100, 150], [150, 650]]
    assert M.detection_rate(alarms=[160], drifts=drifts, tolerance=500) == 0.5


def test_gradual_drift_default_tolerance_covers_its_width():
    d = Drift(start=1000, end=5000, kind="gradual")
    assert M.default_tolerance(d) == 4000
    # an alarm late in the transition, or up to 'width' after it, detects it
    assert M.detection_delays(alarms=[8999], drifts=[d]).tolist() == [7999.0]
    assert math.isnan(M.detection_delays(alarms=[9000], drifts=[d])[0])
    assert M.default_tolerance(sudden(0)) == M.DEFAULT_MIN_TOLERANCE == 1000


def test_undefined_metrics_are_nan():
    assert math.isnan(M.detection_rate(alarms=[5], drifts=[]))
    assert math.isnan(M.missed_detection_rate(alarms=[5], drifts=[]))
    assert math.isnan(M.first_alarm(alarms=[]))
    assert M.detection_delays(alarms=[], drifts=[]).shape == (0,)
    # a window covering the whole stream leaves no exposure for false alarms
    assert math.isnan(M.false_alarm_rate(alarms=[], drifts=[sudden(0)], n_samples=100, tolerance=100))


def test_false_alarm_rate_uses_exposure_outside_windows():
    drifts = [sudden(5000)]
    alarms = [100, 5010, 9000]  # one false before, one detection, one false after the window
    exposure = M.false_alarm_exposure(drifts=drifts, n_samples=20_000, tolerance=1000)
    assert exposure == 19_000
    assert M.false_alarm_rate(alarms=alarms, drifts=drifts, n_samples=20_000, tolerance=1000) == pytest.approx(
        2 * 10_000 / 19_000)
    assert M.false_alarm_rate(alarms=alarms, drifts=drifts, n_samples=20_000, tolerance=1000, per=1000) == \
        pytest.approx(2 * 1000 / 19_000)


def test_run_length_and_censoring():
    assert M.run_length(alarms=[0], n_samples=10) == (1, False)
    assert M.run_length(alarms=[], n_samples=10) == (10, True)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(alarms=[5, 3], drifts=[]), ValueError, "strictly increasing"),
        (dict(alarms=[-1], drifts=[]), ValueError, "non-negative"),
        (dict(alarms=[1.5], drifts=[]), ValueError, "whole sample positions"),
        (dict(alarms="12", drifts=[]), TypeError, "string"),
        (dict(alarms=[[1, 2]], drifts=[]), ValueError, "1-D"),
        (dict(alarms=[1], drifts=[sudden(10), sudden(5)]), ValueError, "increasing order of start"),
        (dict(alarms=[1], drifts=[(1, 2)]), TypeError, "Drift"),
        (dict(alarms=[1], drifts=[], tolerance=-1), ValueError, "tolerance"),
        (dict(alarms=[1], drifts=[], tolerance=2.5), TypeError, "tolerance"),
    ],
)
def test_bad_input_names_the_field(kwargs, error, match):
    with pytest.raises(error, match=match):
        M.false_alarms(**kwargs)


def test_bad_input_for_rates_and_arl():
    with pytest.raises(ValueError, match="n_samples"):
        M.false_alarm_rate(alarms=[], drifts=[], n_samples=0)
    with pytest.raises(ValueError, match=r"\[0, n_samples"):
        M.run_length(alarms=[10], n_samples=10)
    with pytest.raises(ValueError, match="equal length"):
        M.average_run_length(lengths=[1, 2], censored=[True])
    with pytest.raises(ValueError, match="positive"):
        M.average_run_length(lengths=[0, 2], censored=[False, False])
    with pytest.raises(ValueError, match="confidence"):
        M.average_run_length(lengths=[1], censored=[False], confidence=1.5)


# --- properties --------------------------------------------------------------------------------


@st.composite
def streams(draw):
    n_samples = draw(st.integers(min_value=10, max_value=5000))
    n_drifts = draw(st.integers(min_value=0, max_value=4))
    starts = sorted(draw(st.sets(st.integers(min_value=0, max_value=n_samples - 1), min_size=n_drifts,
                                 max_size=n_drifts)))
    drifts = []
    for s in starts:
        width = draw(st.integers(min_value=0, max_value=300))
        drifts.append(Drift(start=s, end=min(s + width, n_samples - 1), kind="sudden" if width == 0 else "gradual"))
    alarms = sorted(draw(st.sets(st.integers(min_value=0, max_value=n_samples - 1), max_size=40)))
    return n_samples, drifts, alarms


tolerances = st.one_of(st.none(), st.integers(min_value=0, max_value=2000))


@settings(max_examples=200, deadline=None)
@given(streams(), tolerances)
def test_alarm_accounting_adds_up(stream, tolerance):
    n_samples, drifts, alarms = stream
    kw = dict(alarms=alarms, drifts=drifts, tolerance=tolerance)
    delays = M.detection_delays(**kw)
    detected = int(np.sum(~np.isnan(delays)))
    assert detected + M.redundant_alarms(**kw) + M.false_alarms(**kw) == len(alarms)
    if drifts:
        assert M.detection_rate(**kw) + M.missed_detection_rate(**kw) == pytest.approx(1.0)
        assert M.detection_rate(**kw) == detected / len(drifts)
    # every delay lies in [0, end - start + tolerance)
    for d, delay in zip(drifts, delays):
        if not np.isnan(delay):
            tol = M.default_tolerance(d) if tolerance is None else tolerance
            assert 0 <= delay < d.end - d.start + tol
            assert d.start + delay in alarms
    assert 0 <= M.false_alarm_exposure(drifts=drifts, n_samples=n_samples, tolerance=tolerance) <= n_samples


@settings(max_examples=200, deadline=None)
@given(streams(), st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_more_tolerance_detects_more_and_false_alarms_less(stream, t1, t2):
    _, drifts, alarms = stream
    lo, hi = sorted((t1, t2))
    a = dict(alarms=alarms, drifts=drifts)
    assert M.false_alarms(**a, tolerance=hi) <= M.false_alarms(**a, tolerance=lo)
    if drifts:
        assert M.detection_rate(**a, tolerance=hi) >= M.detection_rate(**a, tolerance=lo)
    # a drift detected with the smaller tolerance keeps the same delay with the larger one
    d_lo, d_hi = M.detection_delays(**a, tolerance=lo), M.detection_delays(**a, tolerance=hi)
    ok = ~np.isnan(d_lo)
    assert np.array_equal(d_lo[ok], d_hi[ok])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=50))
def test_arl_of_uncensored_runs_is_their_mean(lengths):
    est = M.average_run_length(lengths=lengths, censored=[False] * len(lengths))
    assert est.estimate == pytest.approx(np.mean(lengths))
    assert est.n_events == est.n_runs == len(lengths)
    assert est.ci_low <= est.estimate <= est.ci_high


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10**5), st.booleans()), min_size=1, max_size=50))
def test_arl_is_exposure_per_alarm(runs):
    lengths = [r[0] for r in runs]
    censored = [r[1] for r in runs]
    est = M.average_run_length(lengths=lengths, censored=censored)
    k = len(runs) - sum(censored)
    assert est.n_events == k and est.exposure == sum(lengths)
    if k:
        assert est.estimate == pytest.approx(sum(lengths) / k)
        assert 0 < est.ci_low <= est.estimate <= est.ci_high < math.inf
    else:
        assert est.estimate == math.inf and est.ci_high == math.inf and 0 < est.ci_low < math.inf


def test_arl_interval_is_the_exact_poisson_one_for_exponential_like_spread():
    # lengths with the spread of exponential ones: dispersion 1, the Garwood interval
    lengths = np.array([50, 150, 100, 100, 100, 100, 150, 50])
    est = M.average_run_length(lengths=lengths, censored=np.zeros(8, bool), overdispersion=False)
    e, k = lengths.sum(), 8
    assert est.ci_low == pytest.approx(2 * e / stats.chi2.ppf(0.975, 2 * k + 2))
    assert est.ci_high == pytest.approx(2 * e / stats.chi2.ppf(0.025, 2 * k))
    assert est.dispersion == 1.0


def test_arl_interval_covers_exponential_mean_at_the_stated_rate():
    # 400 experiments of 30 exponential runs (mean 200) censored at 400: the 95% interval must
    # cover 200 in at least the 0.1% binomial quantile of 400 draws at 95% (and not always)
    rng = np.random.default_rng(0)
    cover = 0
    n_exp = 400
    for _ in range(n_exp):
        x = rng.exponential(200.0, size=30)
        cens = x > 400
        lengths = np.minimum(np.ceil(x), 400)
        est = M.average_run_length(lengths=lengths, censored=cens)
        cover += est.ci_low <= 200.0 <= est.ci_high
    assert cover >= stats.binom.ppf(0.001, n_exp, 0.95)
    assert cover < n_exp


def test_arl_interval_widens_for_heavy_tailed_run_lengths():
    # a 50/50 mixture of exponentials with means 50 and 950 (mean 500, CV about 1.7): the plain
    # Poisson interval covers the mean far too rarely; the overdispersion-widened one does not
    rng = np.random.default_rng(1)
    n_exp, n = 300, 100
    cover_plain = cover_robust = 0
    for _ in range(n_exp):
        x = rng.exponential(np.where(rng.random(n) < 0.5, 50.0, 950.0))
        lengths = np.ceil(x)
        plain = M.average_run_length(lengths=lengths, censored=np.zeros(n, bool), overdispersion=False)
        robust = M.average_run_length(lengths=lengths, censored=np.zeros(n, bool))
        cover_plain += plain.ci_low <= 500.5 <= plain.ci_high
        cover_robust += robust.ci_low <= 500.5 <= robust.ci_high
        assert robust.dispersion >= 1.0
    assert cover_plain < stats.binom.ppf(0.001, n_exp, 0.95)
    assert cover_robust >= stats.binom.ppf(0.001, n_exp, 0.95)


def test_arl_estimate_dataclass_is_frozen():
    est = M.average_run_length(lengths=[10], censored=[False])
    with pytest.raises(AttributeError):
        est.estimate = 3.0  # type: ignore[misc]
    assert math.isnan(M.average_run_length(lengths=[], censored=[]).estimate)
