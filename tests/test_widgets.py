"""The notebook apps, driven through their controls as a user would, checked by what they show."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets", reason="the notebook apps need ipywidgets (the dev extra installs it)")

from mlmon import benchmark, export, runtime  # noqa: E402
from mlmon.detectors import ADWIN, CUSUM, DDM, KS, PageHinkley  # noqa: E402
from mlmon.scenarios import ErrorRateShift, MeanShift, VarianceShift  # noqa: E402
from mlmon.tuning import operating_curve  # noqa: E402
from mlmon.widgets import BenchmarkBrowser, ScenarioExplorer, ThresholdTuner  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _readout(tuner):
    """The readout's table as {label: text}, tags stripped."""
    cells = re.findall(r"<th[^>]*>(.*?)</th><td[^>]*>(.*?)</td>", tuner.readout.value)
    return {k: re.sub(r"<[^>]+>", "", v) for k, v in cells}


@pytest.fixture(scope="module")
def scen():
    return MeanShift(n_samples=2000, position=1000, shift=1.0)


@pytest.fixture(scope="module")
def curve(scen):
    return operating_curve(CUSUM(mean=0.0, std=1.0), null=scen.null(), drift=scen, thresholds=25,
                           n_runs=60, run_length=6000, seed=3)


@pytest.fixture()
def tuner(scen, curve, tmp_path):
    return ThresholdTuner({"CUSUM": CUSUM(mean=0.0, std=1.0), "PH": PageHinkley()}, {"shift": scen},
                          budget=1000, thresholds=25, n_runs=60, run_length=6000, seed=3,
                          export_dir=tmp_path, curves={("CUSUM", "shift"): curve})


# --- threshold tuner -----------------------------------------------------------------------------

def test_tuner_slider_moves_along_the_curve_and_shows_its_row(tuner, curve):
    assert tuner.threshold.options[0][0] == f"{curve.thresholds[0]:.4g}"
    assert len(tuner.threshold.options) == len(curve)
    seen = set()
    for i in (0, len(curve) // 2, len(curve) - 1):
        before = (tuner.readout.value, bytes(tuner.figure.value))
        tuner.threshold.value = i
        shown = _readout(tuner)
        assert float(shown["threshold"]) == pytest.approx(curve.thresholds[i], rel=1e-5)
        arl_text = shown["ARL (samples to a false alarm)"]
        assert arl_text.startswith(f"{curve.arl[i]:,.4g}")
        # the interval printed is the curve's interval
        lo, hi = re.search(r"\[(.*?), (.*?)\]", arl_text).groups()
        assert float(lo.replace(",", "")) == pytest.approx(curve.arl_ci_low[i], rel=1e-3)
        if math.isnan(curve.detection_rate[i]):  # every drift run alarmed before its change
            assert curve.p_false_alarm_before_change[i] == 1.0 and shown["detection rate"].startswith("n/a")
        else:
            assert shown["detection rate"].startswith(f"{curve.detection_rate[i]:.1%}")
        assert tuner.point.threshold == curve.thresholds[i]
        assert bytes(tuner.figure.value).startswith(PNG)
        if i:
            assert (tuner.readout.value, bytes(tuner.figure.value)) != before
        seen.add(bytes(tuner.figure.value))
    assert len(seen) == 3  # the figure changed with the point


def test_tuner_budget_button_picks_the_most_sensitive_threshold_meeting_it(tuner, curve):
    tuner.threshold.value = 0
    tuner.budget_button.click()
    expected = curve.operating_point(arl=1000)
    assert tuner.point.threshold == expected.threshold
    assert "met" in _readout(tuner)["budget"] and "not met" not in _readout(tuner)["budget"]
    tuner.threshold.value = 0
    assert curve.arl[0] < 1000 and "not met" in _readout(tuner)["budget"]


def test_tuner_moves_are_fast_once_the_curve_exists(tuner):
    # the app's own promise; not a timing test of the machine: 20 moves, median well under 1 s
    times = []
    for i in range(20):
        tuner.threshold.value = i % len(tuner.curve)
        times.append(tuner.last_update_seconds)
    assert np.median(times) < 0.25


def test_tuner_export_button_writes_a_config_the_runtime_runs_identically(tuner, scen, tmp_path):
    tuner.go_to_budget()
    tuner.export_name.value = "cusum_shift"
    tuner.export_button.click()
    path = tmp_path / "cusum_shift.json"
    assert path.exists() and str(path) in tuner.status.value
    cfg = export.read_config(path)
    assert cfg.kind == "CUSUM" and cfg.params["threshold"] == tuner.point.threshold
    doc = json.loads(path.read_text())
    assert doc["calibration"]["method"] == "operating_curve"
    assert doc["calibration"]["estimate"] == pytest.approx(tuner.point.arl)
    assert doc["calibration"]["operating_point"]["detection_rate"] == pytest.approx(tuner.point.detection_rate)
    signal = scen.generate(seed=11).signal
    research = tuner.tuned_detector.run(signal).indices
    assert list(runtime.load(path).run(signal)) == list(research)


def test_tuner_export_refusals_show_in_the_status(tuner):
    tuner.export_name.value = "../escape"
    tuner.export_button.click()
    assert "not exported" in tuner.status.value and "config name" in tuner.status.value


def test_tuner_switching_detector_computes_and_caches_its_curve(tuner):
    assert ("PH", "shift") not in tuner.curves
    tuner.detector.value = "PH"
    assert ("PH", "shift") in tuner.curves
    assert tuner.curve.detector_class == "PageHinkley"
    assert tuner.threshold.description == "threshold"
    assert float(_readout(tuner)["threshold"]) == pytest.approx(tuner.point.threshold, rel=1e-5)
    assert tuner.point.arl >= 1000  # opened at the budget


def test_tuner_unreachable_budget_is_reported_not_hidden(scen, curve, tmp_path):
    t = ThresholdTuner(CUSUM(mean=0.0, std=1.0), scen, budget=1e9, curves={("CUSUM", "MeanShift"): curve},
                       export_dir=tmp_path)
    t.budget_button.click()
    assert "no threshold on this curve reaches" in t.status.value


def test_tuner_bad_input():
    scen = MeanShift(n_samples=1000, position=500)
    with pytest.raises(ValueError, match="no drift"):
        ThresholdTuner(CUSUM(), scen.null())
    with pytest.raises(ValueError, match="budget"):
        ThresholdTuner(CUSUM(), scen, budget=-5)
    with pytest.raises(TypeError, match="not an mlmon scenario"):
        ThresholdTuner(CUSUM(), np.zeros(10))
    with pytest.raises(ValueError, match="detectors is empty"):
        ThresholdTuner({}, scen)
    with pytest.raises(ValueError, match="curves has"):
        ThresholdTuner(CUSUM(), scen, curves={("nope", "MeanShift"): None})


def test_tuner_refuses_to_export_a_detector_the_runtime_cannot_run(tmp_path):
    from mlmon.detectors import TwoSampleTest

    scen = MeanShift(n_samples=1200, position=600, shift=2.0)
    t = ThresholdTuner(TwoSampleTest(test="cvm", window_size=50, reference_size=200), scen, thresholds=5,
                       n_runs=20, run_length=3000, export_dir=tmp_path)
    t.export_button.click()
    assert "not exported" in t.status.value and not list(tmp_path.iterdir())


# --- scenario explorer ---------------------------------------------------------------------------

def test_explorer_controls_shape_the_scenario_and_detectors_follow():
    ex = ScenarioExplorer({"CUSUM": CUSUM(mean=0.0, std=1.0, threshold=8.0), "DDM": DDM()}, n_samples=2000)
    assert isinstance(ex.scenario, MeanShift) and ex.scenario.shift == 1.0
    first = bytes(ex.figure.value)
    assert first.startswith(PNG)
    ex.magnitude.value = 3.0
    ex.position.value = 600
    assert ex.scenario.position == 600 and ex.scenario.shift == 3.0
    assert ex.stream.drifts[0].start == 600
    # a 3-sd shift is caught quickly by CUSUM; DDM needs a 0/1 error stream and says so
    assert 600 <= ex.alarms["CUSUM"][0] < 700
    assert "DDM" not in ex.alarms and "not run" in ex.table.value and "0/1" in ex.table.value
    assert bytes(ex.figure.value) != first
    ex.shape.value = "gradual"
    assert ex.scenario.kind == "gradual" and ex.scenario.width == 200 and not ex.width.disabled
    ex.kind.value = "error-rate shift"
    assert isinstance(ex.scenario, ErrorRateShift) and ex.scenario.p1 == ex.magnitude.value
    assert "DDM" in ex.alarms
    ex.kind.value = "variance shift"
    assert isinstance(ex.scenario, VarianceShift) and ex.magnitude.description == "sd × scale"


def test_explorer_is_deterministic_per_seed_and_changes_with_it():
    ex = ScenarioExplorer({"PH": PageHinkley()}, n_samples=1000)
    a = ex.stream.signal.copy()
    ex.seed.value = 1
    assert not np.array_equal(a, ex.stream.signal)
    ex.seed.value = 0
    assert np.array_equal(a, ex.stream.signal)


def test_explorer_keeps_a_wide_change_inside_the_stream():
    ex = ScenarioExplorer({"PH": PageHinkley()}, n_samples=1000)
    ex.shape.value = "incremental"
    ex.position.value = 990
    ex.width.value = 400
    s = ex.scenario
    assert s.position + s.width <= 999 and s.width >= 1


def test_explorer_bad_input():
    with pytest.raises(ValueError, match="n_samples"):
        ScenarioExplorer(n_samples=10)
    with pytest.raises(TypeError, match="not an mlmon detector"):
        ScenarioExplorer({"x": object()})


# --- benchmark browser ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def result():
    with pytest.warns(UserWarning, match="ddm on shift"):  # DDM watches 0/1 error streams only
        return benchmark.run({"cusum": CUSUM(mean=0.0, std=1.0, threshold=8.0), "ph": PageHinkley(), "ddm": DDM(),
                              "ks": KS(window_size=50, reference_size=200), "adwin": ADWIN()},
                             {"shift": MeanShift(n_samples=1500, position=700, shift=2.0),
                              "null": MeanShift(n_samples=1500, position=700, shift=2.0).null()},
                             seeds=3, seed=0, progress=False)


def test_browser_filters_table_and_figure(result):
    b = BenchmarkBrowser(result)
    full = bytes(b.figure.value)
    assert "cusum" in b.table.value and "adwin" in b.table.value
    assert b.delay_scenario.options == ("shift",)
    assert "skipped" in b.status.value and "ddm" in b.status.value  # DDM cannot watch a real signal
    b.detectors.value = ("cusum", "ks")
    assert "adwin" not in b.table.value and "ks" in b.table.value
    assert bytes(b.figure.value) != full and bytes(b.figure.value).startswith(PNG)
    frame = b.selected.summary()
    assert sorted(frame["detector"].unique()) == ["cusum", "ks"]
    assert frame.equals(result.select(detectors=["cusum", "ks"]).summary())
    b.scenarios.value = ("null",)
    assert b.delay_scenario.options == () and bytes(b.figure.value).startswith(PNG)
    b.scenarios.value = ()
    assert "select at least one" in b.table.value and len(b.selected) == 0


def test_browser_bad_input(result):
    with pytest.raises(TypeError, match="BenchmarkResult"):
        BenchmarkBrowser(result.summary())
    with pytest.raises(ValueError, match="no records"):
        BenchmarkBrowser(type(result)(records=()))


def test_select_names_unknown_detectors(result):
    with pytest.raises(ValueError, match="no detector named"):
        result.select(detectors=["nope"])
    assert len(result.select(scenarios="null")) == 5 * 3 - 3  # ddm skipped
    assert math.isnan(result.select(scenarios="null").summary()["detection_rate"].iloc[0])


# --- policy ranking ------------------------------------------------------------------------------

def test_policy_ranking_reprices_instantly_and_replays_on_delay_and_threshold():
    from sklearn.linear_model import LogisticRegression

    from mlmon.retraining import CostModel, DriftTriggered, Never, Periodic
    from mlmon.scenarios import Drift
    from mlmon.widgets import PolicyRanking

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = (X[:, 0] > 0).astype(int)
    y[1500:] = 1 - y[1500:]
    app = PolicyRanking(X, y, policies={"never": Never(), "every 500": Periodic(every=500),
                                        "ddm": DriftTriggered(DDM(), wait=150)},
                        model=LogisticRegression(), cost=CostModel(retrain=10, error=1), label_delays=[0, 300],
                        drifts=[Drift(start=1500, end=1500, kind="sudden")])
    assert "<table" in app.table.value and bytes(app.figure.value).startswith(PNG)
    assert app.threshold.description == "ddm: threshold" and app.threshold.value == DDM().threshold
    cheap = app.ranking()
    assert cheap[0] != "never" and "oracle" not in cheap
    n_cached = len(app._cache)
    app.retrain_cost.value = 1e5  # repricing only: no new replay, and never retraining now wins
    assert len(app._cache) == n_cached and app.ranking()[0] == "never"
    frame = app.comparison.to_frame().set_index("policy")
    assert frame.loc["every 500", "total_cost"] == pytest.approx(
        frame.loc["every 500", "retrains"] * 1e5 + frame.loc["every 500", "errors"])
    app.label_delay.value = 300  # replays: labels arrive later
    assert len(app._cache) == n_cached + 1
    assert app.comparison.results["ddm"].label_delay == 300
    app.threshold.value = app.threshold.options[-1][1]  # a less sensitive detector
    det = app.comparison.results["ddm"].policy_params["detector"]
    assert f"threshold={app.threshold.value}" in det
    assert "best:" in app.status.value


def test_policy_ranking_bad_input():
    from mlmon.retraining import CostModel, Never
    from mlmon.widgets import PolicyRanking

    X, y = np.zeros((100, 1)), np.zeros(100, dtype=int)
    with pytest.raises(ValueError, match="non-empty"):
        PolicyRanking(X, y, policies={}, model=None, cost=CostModel())
    with pytest.raises(TypeError, match="CostModel"):
        PolicyRanking(X, y, policies={"n": Never()}, model=None, cost={"retrain": 1})
    with pytest.raises(ValueError, match="must name a DriftTriggered"):
        PolicyRanking(X, y, policies={"n": Never()}, model=None, cost=CostModel(), tune="n")
    with pytest.raises(ValueError, match="label_delays"):
        PolicyRanking(X, y, policies={"n": Never()}, model=None, cost=CostModel(), label_delays=[-1])


# --- sample size calculator ------------------------------------------------------------------------

def test_calculator_follows_its_controls_and_agrees_with_the_planning_functions():
    from mlmon.ab import power, sample_size
    from mlmon.widgets import SampleSizeCalculator

    calc = SampleSizeCalculator(baseline=0.10, mde=0.02, daily_traffic=1000)
    expected = sample_size(baseline=0.10, mde=0.02)
    assert calc.result.n_control == expected.n_control
    text = re.sub(r"<[^>]+>", "", calc.readout.value)
    assert f"{expected.n_control:,} control" in text and f"{-(-expected.total // 1000):,}" in text
    first = bytes(calc.figure.value)
    assert first.startswith(PNG)
    calc.kind.value = "mean"
    calc.baseline.value, calc.sd.value, calc.mde.value = 100.0, 20.0, 2.0
    assert not calc.sd.disabled
    assert calc.result.n_control == sample_size(baseline=100.0, mde=2.0, kind="mean", sd=20.0).n_control
    assert bytes(calc.figure.value) != first
    calc.ratio.value = 3.0  # unequal split: more treatment users
    assert calc.result.n_treatment > calc.result.n_control
    p = power(n_control=calc.result.n_control, n_treatment=calc.result.n_treatment, baseline=100.0, mde=2.0,
              kind="mean", sd=20.0)
    assert p >= 0.8 and f"{p:.3f}" in calc.readout.value
    calc.power.value = 1.2
    assert calc.result is None and "power" in calc.readout.value and len(calc.figure.value) == 0
