"""Threshold calibration and operating curves: exactness of the one-pass trick, and honesty on fresh seeds."""

from __future__ import annotations

import json
import math
import warnings
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pytest
from annotated_types import Ge, Gt
from scipy import stats

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors import CUSUM, DDM, KS, PageHinkley, River
from mlmon.scenarios import Bootstrap, ErrorRateShift, MeanShift, Stationary
from mlmon.tuning import Calibration, OperatingCurve, calibrate, operating_curve
from mlmon.tuning import _simulate as S
from mlmon.tuning._calibrate import tail_check
from mlmon.tuning._solvers import first_alarm


class WindowZ(BaseDetector):
    """Tumbling-window z-test of a zero mean with unit variance: statistic |sum| / sqrt(w).

    Under i.i.d. N(0, 1) data each window's statistic is |N(0, 1)|, so a threshold ``h`` has a
    per-window false-positive rate of exactly ``2 (1 - Phi(h))``.
    """

    def __init__(self, *, threshold: Annotated[float, Gt(0)] = 3.0, window_size: Annotated[int, Ge(1)] = 50,
                 reset_on_drift: bool = True):
        self.threshold = threshold
        self.window_size = window_size
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def reset(self) -> WindowZ:
        self.filled_ = 0
        self.sum_ = 0.0
        self.n_ = 0
        return self

    def _update_one(self, x: float) -> DriftResult:
        self.n_ += 1
        self.filled_ += 1
        self.sum_ += x
        stat = math.nan
        drift = False
        if self.filled_ == self.window_size:
            stat = abs(self.sum_) / math.sqrt(self.window_size)
            drift = stat > self.threshold
            self.filled_, self.sum_ = 0, 0.0
        return DriftResult(drift=drift, statistic=stat, threshold=self.threshold, n_seen=self.n_)

    def _stats(self, x: np.ndarray) -> tuple[np.ndarray, int, float]:
        w = self.window_size
        head = w - self.filled_  # values needed to complete the current window
        out = np.full(x.shape[0], np.nan)
        if x.shape[0] >= head:
            out[head - 1] = abs(self.sum_ + x[:head].sum()) / math.sqrt(w)
            full = (x.shape[0] - head) // w
            sums = x[head:head + full * w].reshape(full, w).sum(axis=1)
            out[head - 1 + w * np.arange(1, full + 1)] = np.abs(sums) / math.sqrt(w)
            rest = x[head + full * w:]
            return out, rest.shape[0], float(rest.sum())
        return out, self.filled_ + x.shape[0], self.sum_ + float(x.sum())

    def run(self, signal: Any) -> Alarms:
        x = check_signal(signal)
        stat, filled, total = self._stats(x)
        alarms = np.flatnonzero(stat > self.threshold)  # NaN compares False
        self.filled_, self.sum_, self.n_ = filled, total, self.n_ + x.shape[0]
        return Alarms(indices=alarms, n_seen=x.shape[0])

    def trace(self, signal: Any) -> np.ndarray:
        return self._stats(check_signal(signal))[0]


class NoThreshold(BaseDetector):
    threshold_param = None

    def __init__(self, *, min_samples: int = 1):
        self.min_samples = min_samples
        super().__init__()

    def reset(self):
        return self

    def run(self, signal):
        return Alarms(indices=[], n_seen=len(signal))


def fresh_run_lengths(detector, scenario, n, seed):
    """First-alarm run lengths from ``detector.run`` on fresh streams (censored: -1)."""
    out = []
    for ss in np.random.SeedSequence(seed).spawn(n):
        a = first_alarm(detector, scenario.generate(seed=ss).signal)
        out.append(a + 1 if a >= 0 else -1)
    return np.array(out)


# --- the one-pass trick is exact ------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "scenario", "values"),
    [
        (PageHinkley(), Stationary(n_samples=3000), [5.0, 20.0, 35.0]),
        (CUSUM(), Stationary(n_samples=3000), [2.0, 4.0, 6.0]),
        (CUSUM(mean=0.0, std=1.0), MeanShift(n_samples=3000, position=1500, shift=0.5), [3.0, 6.0, 9.0]),
        (KS(window_size=50, reference_size=300), Stationary(n_samples=3000), [0.2, 0.05, 0.01]),
        (DDM(), ErrorRateShift(n_samples=3000, position=1500, p0=0.2, p1=0.3), [2.0, 3.0, 4.0]),
        (WindowZ(window_size=40), Stationary(n_samples=3000), [1.0, 2.0, 3.0]),
    ],
)
def test_first_passage_of_the_trace_is_the_first_alarm_of_run(detector, scenario, values):
    seeds = S.run_seeds(11, 15)[1]
    info = S.threshold_info(detector)
    runs = S.simulate(detector, scenario, seeds, direction=info.direction, need_drift=not scenario.is_stationary)
    levels = np.array(values) if info.direction == "above" else -np.array(values)
    first = S.Passages(runs).first_passage(levels)
    for i, ss in enumerate(seeds):
        signal = scenario.generate(seed=ss).signal
        for j, v in enumerate(values):
            alarms = detector.clone(**{info.param: v}).run(signal)
            assert (alarms.first if len(alarms) else -1) == first[i, j]


def test_passage_sums_match_run_lengths_at_every_state():
    seeds = S.run_seeds(2, 30)[1]
    runs = S.simulate(PageHinkley(), Stationary(n_samples=800), seeds, direction="above")
    p = S.Passages(runs)
    for i in range(0, p.levels.size + 1, max(1, p.levels.size // 25)):
        h = S.pick_level(*p.interval(i)) if i > 0 else p.levels[0] - 1.0
        fp = p.first_passage(h)[:, 0]
        lengths = np.where(fp >= 0, fp + 1, 800).astype(float)
        d = (fp >= 0).astype(float)
        n, e, k, l2, dl = p.sums_at(int(p.state_index(h)))
        assert (e, k, l2, dl) == (lengths.sum(), d.sum(), (lengths ** 2).sum(), (d * lengths).sum())


# --- honesty: the promised ARL holds on fresh seeds ------------------------------------------


@pytest.mark.parametrize("detector", [CUSUM(mean=0.0, std=1.0), PageHinkley()])
def test_calibrated_arl_holds_on_fresh_seeds(detector):
    target = 500
    cal = calibrate(detector, Stationary(), arl=target, n_runs=200, seed=0)
    assert cal.method == "trace" and cal.run_length == 2000 and cal.estimate >= target
    assert cal.ci_low < cal.estimate < cal.ci_high
    # fresh seeds, the detector's own run(), runs long enough that none is censored
    lengths = fresh_run_lengths(cal.detector, Stationary(n_samples=30 * target), 400, seed=2024)
    assert (lengths > 0).all()
    se_fresh = lengths.std(ddof=1) / math.sqrt(lengths.size)
    se_cal = cal.estimate * math.sqrt(cal.dispersion / cal.n_alarms)
    assert abs(lengths.mean() - cal.estimate) <= 3.0 * math.hypot(se_fresh, se_cal)


def test_arl_interval_covers_the_true_arl_at_the_nominal_rate():
    # 40 calibrations on independent null runs; the true ARL at each calibrated threshold comes
    # from 2,000 fresh, uncensored runs (traces; their first passages equal run()'s, see above)
    target, n_cal = 300, 40
    det = CUSUM(mean=0.0, std=1.0)
    fresh = S.Passages(S.simulate(det, Stationary(n_samples=20 * target), S.run_seeds(777, 2000)[1],
                                  direction="above"))
    cover = 0
    for r in range(n_cal):
        cal = calibrate(det, Stationary(), arl=target, n_runs=100, seed=r)
        i = fresh.state_index(cal.value)
        assert fresh.events[i] == 2000  # uncensored
        cover += cal.ci_low <= fresh.exposure[i] / fresh.events[i] <= cal.ci_high
    assert cover >= stats.binom.ppf(0.001, n_cal, cal.confidence)


def test_heavy_tailed_run_lengths_trigger_the_tail_check():
    # CUSUM learning its baseline from a 30-sample burn-in: run lengths are a heavy-tailed
    # mixture; with short fixed runs the check fails and calibrate says so
    with pytest.warns(UserWarning, match="heavy-tailed"):
        cal = calibrate(CUSUM(), Stationary(), arl=500, n_runs=200, run_length=2000, seed=0)
    assert cal.tail_pvalue < 0.01 and cal.dispersion > 1.0
    # with the default run length it lengthens the runs instead, and the check passes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auto = calibrate(CUSUM(), Stationary(), arl=500, n_runs=200, seed=0)
    assert auto.run_length > 2000 and auto.tail_pvalue >= 0.01
    assert tail_check(200, 4, 4000, 1000) > 0.1


@pytest.mark.slow
def test_self_starting_cusum_calibration_holds_on_fresh_seeds():
    target = 300
    det = CUSUM()
    cal = calibrate(det, Stationary(), arl=target, n_runs=300, seed=1)
    fresh = S.Passages(S.simulate(det, Stationary(n_samples=300 * target), S.run_seeds(99, 3000)[1],
                                  direction="above"))
    fp = fresh.first_passage(cal.value)[:, 0]
    assert np.mean(fp < 0) < 0.005
    lengths = np.where(fp >= 0, fp + 1, 300 * target)
    se_fresh = lengths.std(ddof=1) / math.sqrt(lengths.size)
    se_cal = cal.estimate * math.sqrt(cal.dispersion / cal.n_alarms)
    assert abs(lengths.mean() - cal.estimate) <= 3.0 * math.hypot(se_fresh, se_cal)


# --- honesty: per-window false-positive rate ---------------------------------------------------


def test_window_fpr_calibration_matches_theory():
    det = WindowZ(window_size=50)
    cal = calibrate(det, Stationary(n_samples=5000), window_fpr=0.01, n_runs=200, seed=0)
    assert cal.budget == "window_fpr" and cal.n_windows == 200 * 100 and cal.estimate <= 0.01
    true = 2 * (1 - stats.norm.cdf(cal.value))
    se = (cal.ci_high - cal.ci_low) / (2 * stats.norm.ppf(0.975))
    assert abs(cal.estimate - true) <= 3 * se
    assert abs(cal.value - stats.norm.ppf(1 - 0.01 / 2)) < 0.15
    conservative = calibrate(det, Stationary(n_samples=5000), window_fpr=0.01, n_runs=200, seed=0,
                             conservative=True)
    assert conservative.ci_high <= 0.01 and conservative.value > cal.value


def test_ks_window_fpr_holds_on_fresh_seeds():
    det = KS(window_size=50, reference_size=500)
    cal = calibrate(det, Stationary(n_samples=5000), window_fpr=0.02, n_runs=150, seed=0)
    assert cal.param == "alpha" and 0 < cal.value < 1 and cal.estimate <= 0.02
    fresh = S.simulate(det, Stationary(n_samples=5000), S.run_seeds(4242, 300)[1], direction="below",
                       keep_decisions=True)
    counts = np.array([np.sum(-r.decisions < cal.value) for r in fresh], dtype=float)  # p < alpha
    sizes = np.array([r.decisions.size for r in fresh], dtype=float)
    from mlmon.tuning._solvers import window_fpr_interval

    p_fresh, lo, hi = window_fpr_interval(counts, sizes, 0.95)
    se_fresh = (hi - lo) / (2 * 1.96)
    se_cal = (cal.ci_high - cal.ci_low) / (2 * 1.96)
    assert abs(p_fresh - cal.estimate) <= 3 * math.hypot(se_fresh, se_cal)


# --- fast and slow paths agree ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "target"),
    [(PageHinkley(), 500), (CUSUM(mean=0.0, std=1.0), 500), (KS(window_size=50, reference_size=500), 5000)],
)
def test_trace_and_bisection_agree(detector, target):
    fast = calibrate(detector, Stationary(), arl=target, n_runs=60, seed=3)
    slow = calibrate(detector, Stationary(), arl=target, n_runs=60, seed=3, method="bisection")
    assert (fast.method, slow.method) == ("trace", "bisection")
    assert fast.run_length == slow.run_length
    # same null streams: both land on the same step of the empirical ARL curve, or the next
    se = fast.estimate * math.sqrt(fast.dispersion / fast.n_alarms)
    assert abs(slow.estimate - fast.estimate) <= se
    assert slow.estimate >= target
    if detector.threshold_direction == "above":
        assert slow.value == pytest.approx(fast.value, rel=0.02)


def test_bisection_is_used_for_detectors_without_trace():
    class NoTrace(PageHinkley):
        def trace(self, signal):
            raise NotImplementedError

    cal = calibrate(NoTrace(), Stationary(), arl=300, n_runs=30, seed=0)
    assert cal.method == "bisection" and cal.estimate >= 300
    with pytest.raises(TypeError, match="trace"):
        calibrate(NoTrace(), Stationary(), window_fpr=0.01, n_runs=30, method="bisection")


def test_bisection_on_a_river_adapter_reports_an_unreachable_target():
    # river's ADWIN has no annotated bounds: its delta is searched on a logit scale, and on
    # N(0, 1) noise it cannot alarm more often than about once per thousand samples
    from mlmon.detectors import River

    with pytest.raises(ValueError, match="edge of its range.*out of this detector's reach"):
        calibrate(River("ADWIN"), Stationary(), arl=200, n_runs=10, run_length=1000, seed=0)


# --- what a calibration records ------------------------------------------------------------------


def test_calibration_record_and_detector():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=2000)
    det = CUSUM().fit(reference)
    state = det.engine_.state_
    cal = calibrate(det, reference, arl=400, n_runs=50, seed=5)
    assert isinstance(cal, Calibration)
    assert det.threshold == 5.0 and det.engine_.state_ == state  # the input is not changed
    tuned = cal.detector
    assert tuned.threshold == cal.value and tuned.mean_ == det.mean_ and tuned.std_ == det.std_
    assert tuned is not cal.detector
    assert cal.null == "Bootstrap" and cal.fingerprint == Bootstrap(reference).fingerprint
    assert cal.seed["entropy"] == 5 and "spawn" in cal.seed["scheme"]
    d = cal.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["detector_params"]["threshold"] == cal.value and d["null_params"]["reference"]["shape"] == [2000]
    assert cal.to_frame().shape[0] == 1 and "Calibration" in cal._repr_html_()
    with pytest.raises(AttributeError):
        cal.value = 1.0  # type: ignore[misc]


def test_calibrated_ks_keeps_its_fitted_reference():
    reference = np.random.default_rng(3).normal(size=500)
    det = KS(window_size=50).fit(reference)
    cal = calibrate(det, reference, window_fpr=0.02, n_runs=20, seed=0)
    tuned = cal.detector
    assert tuned.alpha == cal.value and np.array_equal(tuned.reference_, det.reference_)
    assert tuned.alpha != det.alpha


def test_calibration_is_deterministic_and_parallel_invariant():
    a = calibrate(PageHinkley(), Stationary(), arl=300, n_runs=40, seed=9)
    b = calibrate(PageHinkley(), Stationary(), arl=300, n_runs=40, seed=9, n_jobs=2)
    c = calibrate(PageHinkley(), Stationary(), arl=300, n_runs=40, seed=np.random.SeedSequence(9))
    assert a == b == c
    assert calibrate(PageHinkley(), Stationary(), arl=300, n_runs=40, seed=10).value != a.value


def test_conservative_arl_holds_the_bound_to_the_target():
    est = calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=400, n_runs=100, seed=0)
    cons = calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=400, n_runs=100, seed=0, conservative=True)
    assert cons.ci_low >= 400 > est.ci_low and cons.value > est.value


def test_binary_detector_calibrates_on_an_error_stream():
    # DDM grows less sensitive as it sees more data (its false alarms come early): its run
    # lengths are heavy-tailed, and calibrate says so even after lengthening the runs
    null = ErrorRateShift(n_samples=4000, position=2000, p0=0.1, p1=0.3).null()
    with pytest.warns(UserWarning, match="heavy-tailed"):
        cal = calibrate(DDM(), null, arl=1000, n_runs=60, seed=0)
    assert cal.estimate >= 1000 and cal.value >= DDM().warning_threshold
    assert cal.run_length == 16 * 4000 and cal.tail_pvalue < 0.01


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((PageHinkley(), MeanShift()), dict(arl=500), ValueError, r"stationary.*null\(\)"),
        ((PageHinkley(), Stationary()), dict(), ValueError, "exactly one budget"),
        ((PageHinkley(), Stationary()), dict(arl=500, window_fpr=0.1), ValueError, "exactly one budget"),
        ((PageHinkley(), Stationary()), dict(arl=1), ValueError, "arl must be"),
        ((PageHinkley(), Stationary()), dict(arl=math.inf), ValueError, "arl must be"),
        ((PageHinkley(), Stationary()), dict(window_fpr=1.0), ValueError, "window_fpr must be"),
        ((PageHinkley(), Stationary()), dict(window_fpr=0), ValueError, "window_fpr must be"),
        ((PageHinkley(), Stationary()), dict(arl=500, n_runs=5), ValueError, "n_runs"),
        ((PageHinkley(), Stationary()), dict(arl=500, run_length=1), ValueError, "run_length"),
        ((PageHinkley(), Stationary()), dict(arl=500, confidence=95), ValueError, "confidence"),
        ((PageHinkley(), Stationary()), dict(arl=500, method="magic"), ValueError, "method"),
        ((NoThreshold(), Stationary()), dict(arl=500), ValueError, "no threshold parameter"),
        ((PageHinkley(), [0.0, np.nan] * 50), dict(arl=500), ValueError, "NaN"),
        ((PageHinkley(), np.zeros(10)), dict(arl=500), ValueError, "at least 30"),
        ((PageHinkley(), np.zeros((40, 2))), dict(arl=500), ValueError, "1-D"),
        ((PageHinkley(), "data.csv"), dict(arl=500), TypeError, "Scenario or an array-like"),
        ((DDM(), Stationary()), dict(arl=500), ValueError, "0/1 error stream"),
        ((PageHinkley(), Stationary()), dict(arl=10), ValueError, "shortest average run length"),
        (("PageHinkley", Stationary()), dict(arl=500), TypeError, "mlmon detector"),
    ],
)
def test_calibrate_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        calibrate(*args, n_runs=kwargs.pop("n_runs", 20), **kwargs)


# --- operating curves -----------------------------------------------------------------------------


DRIFT = MeanShift(n_samples=3000, position=1500, shift=1.0)


def test_operating_curve_shape_and_monotonicity():
    curve = operating_curve(PageHinkley(), null=DRIFT.null(), drift=DRIFT, thresholds=20, n_runs=60,
                            run_length=8000, seed=0)
    assert isinstance(curve, OperatingCurve) and 10 <= len(curve) <= 20
    frame = curve.to_frame()
    assert frame["threshold"].is_monotonic_increasing
    assert frame["arl"].is_monotonic_increasing and frame["n_alarms"].is_monotonic_decreasing
    assert frame["p_false_alarm_before_change"].is_monotonic_decreasing
    assert np.allclose(frame["false_alarms_per_10k"], 10_000 / frame["arl"])
    assert frame["arl"].iloc[0] < 100 < 8000 < frame["arl"].iloc[-1]  # spans burn-in to beyond the run length
    assert "OperatingCurve" in curve._repr_html_()
    with pytest.raises(ValueError):
        curve.thresholds[0] = 1.0  # read-only


def test_operating_curve_matches_brute_force_runs():
    det = CUSUM(mean=0.0, std=1.0)
    values = [2.0, 4.0, 6.0, 9.0]
    curve = operating_curve(det, null=DRIFT.null(), drift=DRIFT, thresholds=values, n_runs=40, run_length=4000,
                            seed=1, tolerance=300)
    null_seeds = S.run_seeds(1, 40)[1]
    for j, v in enumerate(values):
        tuned = det.clone(threshold=v)
        early = detected = 0
        delays = []
        for ss in null_seeds:
            drift_ss = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (0,))
            a = first_alarm(tuned, DRIFT.generate(seed=drift_ss).signal)
            if 0 <= a < 1500:
                early += 1
            elif 1500 <= a < 1800:
                detected += 1
                delays.append(a - 1500)
        assert curve.p_false_alarm_before_change[j] == early / 40
        assert curve.n_detected[j] == detected
        if delays:
            assert curve.mean_delay[j] == pytest.approx(np.mean(delays))
            assert curve.detection_rate[j] == pytest.approx(detected / (40 - early))
        # null side: the null, lengthened to run_length, on the same seeds
        first = np.array([first_alarm(tuned, Stationary(n_samples=4000).generate(seed=ss).signal)
                          for ss in null_seeds])
        lengths = np.where(first >= 0, first + 1, 4000)
        assert curve.n_alarms[j] == np.sum(first >= 0)
        assert curve.arl[j] == pytest.approx(lengths.sum() / max(1, np.sum(first >= 0)))


def test_curve_and_calibration_share_null_streams():
    det = CUSUM(mean=0.0, std=1.0)
    cal = calibrate(det, DRIFT.null(), arl=600, n_runs=50, run_length=3000, seed=4)
    curve = operating_curve(det, null=DRIFT.null(), drift=DRIFT, thresholds=[cal.value], n_runs=50,
                            run_length=3000, seed=4)
    assert curve.arl[0] == cal.estimate and curve.arl_ci_low[0] == cal.ci_low
    assert curve.n_alarms[0] == cal.n_alarms


def test_operating_point_picks_the_most_sensitive_threshold_in_budget():
    curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=DRIFT.null(), drift=DRIFT, thresholds=25, n_runs=60,
                            run_length=10_000, seed=0)
    point = curve.operating_point(arl=1000)
    i = int(np.flatnonzero(curve.thresholds == point.threshold)[0])
    assert point.arl >= 1000 and (i == 0 or curve.arl[i - 1] < 1000)
    assert curve.operating_point(false_alarms_per_10k=10.0).threshold == point.threshold
    cons = curve.operating_point(arl=1000, conservative=True)
    assert cons.arl_ci_low >= 1000 and cons.threshold >= point.threshold
    with pytest.raises(ValueError, match="no threshold"):
        curve.operating_point(arl=1e12)
    with pytest.raises(ValueError, match="exactly one"):
        curve.operating_point()


def test_operating_curve_for_a_p_value_detector_runs_from_sensitive_to_strict():
    curve = operating_curve(KS(window_size=50, reference_size=500), null=DRIFT.null(), drift=DRIFT, thresholds=8,
                            n_runs=30, run_length=20_000, seed=0)
    assert np.all(np.diff(curve.thresholds) < 0)  # alpha decreases as the ARL grows
    assert np.all(np.diff(curve.arl) >= 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(null=Stationary(), drift=Stationary()), ValueError, "stationary"),
        (dict(null=DRIFT, drift=DRIFT), ValueError, "stationary"),
        (dict(null=Stationary(), drift=DRIFT, thresholds=[1.0, np.nan]), ValueError, "thresholds"),
        (dict(null=Stationary(), drift=DRIFT, thresholds=[-1.0]), ValueError, "threshold"),
        (dict(null=Stationary(), drift=DRIFT, thresholds=1), ValueError, "thresholds"),
        (dict(null=Stationary(), drift="x"), TypeError, "drift"),
    ],
)
def test_operating_curve_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        operating_curve(PageHinkley(), n_runs=5, run_length=1000, **kwargs)


def test_simulated_curve_equals_the_one_pass_curve():
    # the same null and drift streams, run threshold by threshold: the same numbers exactly
    kwargs = dict(null=Stationary(), drift=DRIFT, thresholds=[20.0, 40.0, 80.0], n_runs=30, run_length=4000, seed=3)
    fast = operating_curve(PageHinkley(), method="trace", **kwargs).to_frame()
    slow = operating_curve(PageHinkley(), method="simulation", **kwargs).to_frame()
    pd.testing.assert_frame_equal(fast, slow)


def test_detectors_without_trace_get_a_simulated_curve():
    curve = operating_curve(River("ADWIN", delta=0.2), null=Stationary(), drift=DRIFT, thresholds=5, n_runs=20,
                            run_length=4000, seed=0)
    frame = curve.to_frame()
    assert len(frame) == 5 and curve.param == "delta"
    assert frame["threshold"].is_monotonic_decreasing  # most sensitive (largest delta) first
    assert frame["arl"].iloc[0] < frame["arl"].iloc[-1]
    with pytest.raises(TypeError, match="no trace"):
        operating_curve(River("ADWIN"), null=Stationary(), drift=DRIFT, method="trace", n_runs=5)
