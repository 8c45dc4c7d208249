"""Smoke tests of the stream, operating-curve and power figures: the artists a reader relies on."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

from mlmon import benchmark  # noqa: E402
from mlmon.benchmark import metrics as M  # noqa: E402
from mlmon.detectors import CUSUM, PageHinkley  # noqa: E402
from mlmon.scenarios import ErrorRateShift, MeanShift, MultivariateShift, Stationary, VarianceShift  # noqa: E402
from mlmon.tuning import operating_curve  # noqa: E402
from mlmon.viz import plot_operating_curves, plot_power, plot_stream  # noqa: E402
from mlmon.viz._power import _power_table  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _x_extent(patch):
    """(x0, x1) in data coordinates of an axvspan, whatever patch class matplotlib returns."""
    if hasattr(patch, "get_width"):
        return patch.get_x(), patch.get_x() + patch.get_width()
    xs = np.asarray(patch.get_xy())[:, 0]
    return xs.min(), xs.max()


# --- plot_stream --------------------------------------------------------------------------


def test_stream_tells_detections_redundant_and_false_alarms_apart():
    stream = MeanShift(n_samples=3000, position=1500, shift=1.0).generate(seed=0)
    # 300 before the drift, 1520 first in the window, 1600 again in it, 2900 after the window
    ax = plot_stream(stream, {"CUSUM": [300, 1520, 1600, 2900]}, tolerance=500)
    markers = {ln.get_label(): ln for ln in ax.get_lines() if ln.get_linestyle() == "None"}
    det = markers["alarm detecting a drift"]
    red = markers["redundant alarm (drift already detected)"]
    false = markers["false alarm"]
    assert det.get_xdata().tolist() == [1520] and det.get_marker() == "o"
    assert red.get_xdata().tolist() == [1600] and red.get_markerfacecolor() == "none"
    assert false.get_xdata().tolist() == [300, 2900] and false.get_marker() == "x"
    # the figure agrees with the benchmark metrics
    alarms = [300, 1520, 1600, 2900]
    assert M.false_alarms(alarms=alarms, drifts=stream.drifts, tolerance=500) == false.get_xdata().size
    assert M.redundant_alarms(alarms=alarms, drifts=stream.drifts, tolerance=500) == red.get_xdata().size
    # a sudden drift is a vertical line at its start; its window is shaded
    vlines = [ln for ln in ax.get_lines() if ln.get_label() == "true drift"]
    assert len(vlines) == 1 and vlines[0].get_xdata()[0] == 1500
    windows = [p for p in ax.patches if p.get_label().startswith("detection window")]
    assert [_x_extent(p) for p in windows] == [(1500, 2000)]
    assert _legend_labels(ax) == ["signal", "true drift", "detection window (500 samples after the drift)",
                                  "alarm detecting a drift", "redundant alarm (drift already detected)",
                                  "false alarm"]
    assert [t.get_text() for t in ax.texts] == ["CUSUM"]
    assert ax.get_xlabel().startswith("sample") and ax.get_xlim() == (0.0, 3000.0)


def test_stream_shades_gradual_drifts_and_one_row_per_detector():
    scen = MeanShift(n_samples=4000, position=2000, shift=1.0, kind="gradual", width=400)
    stream = scen.generate(seed=1)
    d = stream.drifts[0]
    ax = plot_stream(stream, {"a": [2100], "b": [100, 2300]})
    spans = [p for p in ax.patches if p.get_label() == "true drift"]
    assert [_x_extent(p) for p in spans] == [(d.start, d.end)]
    default = M.detection_windows(drifts=stream.drifts)[0]
    windows = [p for p in ax.patches if p.get_label().startswith("detection window")]
    assert [_x_extent(p) for p in windows] == [tuple(default)]
    assert "default tolerance" in windows[0].get_label()
    rows = {float(ln.get_ydata()[0]) for ln in ax.get_lines() if ln.get_linestyle() == "None"}
    assert len(rows) == 2                      # each detector on its own row
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


def test_stream_without_alarms_has_no_window_and_no_markers():
    stream = MeanShift(n_samples=2000, position=1000, shift=2.0).generate(seed=0)
    ax = plot_stream(stream)
    assert _legend_labels(ax) == ["signal", "true drift"]
    assert not [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]


def test_stream_smooths_error_streams_and_draws_each_feature():
    binary = ErrorRateShift(n_samples=3000, position=1500).generate(seed=0)
    ax = plot_stream(binary, {"ddm": []})
    assert _legend_labels(ax)[0] == "signal, 200-sample mean"
    assert ax.get_ylabel() == "monitored signal (error rate)"
    multi = MultivariateShift(n_samples=1000, n_features=3, position=500).generate(seed=0)
    ax = plot_stream(multi, {"mmd": [600]})
    signal_lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-" and len(ln.get_xdata()) == 1000]
    assert len(signal_lines) == 3 and ax.get_xlim() == (0.0, 1000.0)
    assert _legend_labels(ax)[0] == "signal (3 features)"


def test_stream_rejects_bad_alarms():
    stream = MeanShift(n_samples=2000, position=1000).generate(seed=0)
    with pytest.raises(ValueError, match=r"alarms\['x'\] must be strictly increasing"):
        plot_stream(stream, {"x": [500, 100]})
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        plot_stream(stream, {"x": [500]}, tolerance=-1)


# --- plot_operating_curves -----------------------------------------------------------------


@pytest.fixture(scope="module")
def curves():
    drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
    return {name: operating_curve(det, null=drift.null(), drift=drift, thresholds=8, n_runs=30,
                                  run_length=6000, seed=0)
            for name, det in (("CUSUM", CUSUM(mean=0.0, std=1.0)), ("PageHinkley", PageHinkley()))}


def _interval_bars(ax):
    return [c for c in ax.collections if isinstance(c, LineCollection)]


@pytest.mark.parametrize("x", ["arl", "false_alarms_per_10k"])
def test_operating_curves_axes_budget_star_and_intervals(curves, x):
    cusum = curves["CUSUM"]
    chosen = float(cusum.thresholds[5])
    ax = plot_operating_curves(curves, budget=1000, chosen={"CUSUM": chosen}, x=x)
    per_10k = x == "false_alarms_per_10k"
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == ("false alarms per 10,000 samples (log scale)" if per_10k
                               else "average run length to a false alarm (samples, log scale)")
    assert ax.get_ylabel() == "mean detection delay (samples)"
    ok = np.isfinite(cusum.arl) & np.isfinite(cusum.mean_delay)
    want_x = 10_000 / cusum.arl[ok] if per_10k else cusum.arl[ok]
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "CUSUM")
    np.testing.assert_allclose(line.get_xdata(), want_x)
    np.testing.assert_allclose(line.get_ydata(), cusum.mean_delay[ok])
    budget = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(budget) == 1 and budget[0].get_xdata()[0] == pytest.approx(10.0 if per_10k else 1000.0)
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*" and ln.get_label().startswith("_")]
    assert len(star) == 1
    want_star = 10_000 / cusum.arl[5] if per_10k else cusum.arl[5]
    assert star[0].get_xdata()[0] == pytest.approx(want_star) and star[0].get_ydata()[0] == cusum.mean_delay[5]
    # one set of interval bars per curve, spanning the (converted) ARL interval
    bars = _interval_bars(ax)
    assert len(bars) == 2
    segs = np.array([[s[0, 0], s[1, 0]] for s in bars[0].get_segments()])
    lo, hi = cusum.arl_ci_low[ok], cusum.arl_ci_high[ok]
    want = np.column_stack([10_000 / hi, 10_000 / lo] if per_10k else [lo, hi])
    np.testing.assert_allclose(np.sort(segs, axis=1), want)
    labels = _legend_labels(ax)
    assert labels[:2] == ["CUSUM", "PageHinkley"]
    assert "budget: ARL 1,000 = 10 false alarms per 10k" in labels
    assert "calibrated threshold (nearest grid point)" in labels
    assert f"95% interval of the {'rate' if per_10k else 'ARL'} (null runs)" in labels


def test_operating_curves_default_is_the_arl_axis(curves):
    ax = plot_operating_curves(curves)
    assert ax.get_xlabel().startswith("average run length")
    labels = _legend_labels(ax)
    assert not any(lab.startswith("budget") or lab.startswith("calibrated") for lab in labels)


def test_operating_curves_draw_an_unbounded_interval_one_sided(curves):
    cusum = curves["CUSUM"]
    high = np.array(cusum.arl_ci_high, copy=True)
    high[-1] = np.inf
    ax = plot_operating_curves({"c": dataclasses.replace(cusum, arl_ci_high=high)},
                               x="false_alarms_per_10k")
    last = _interval_bars(ax)[0].get_segments()[-1]
    ok = np.isfinite(cusum.arl) & np.isfinite(cusum.mean_delay)
    rate = 10_000 / cusum.arl[ok][-1]
    assert sorted([last[0, 0], last[1, 0]]) == pytest.approx([rate, 10_000 / cusum.arl_ci_low[ok][-1]])


def test_operating_curves_reject_bad_arguments(curves):
    with pytest.raises(ValueError, match="x must be 'arl' or 'false_alarms_per_10k'"):
        plot_operating_curves(curves, x="far")
    with pytest.raises(ValueError, match="budget must be a positive"):
        plot_operating_curves(curves, budget=0)
    with pytest.raises(ValueError, match=r"chosen names \['cusum'\]"):
        plot_operating_curves(curves, chosen={"cusum": 5.0})


# --- plot_power ------------------------------------------------------------------------------

SHIFTS = (0.25, 0.5, 1.0, 2.0)


@pytest.fixture(scope="module")
def power_result():
    scenarios = {f"shift {s}": MeanShift(n_samples=1500, position=750, shift=s) for s in SHIFTS}
    scenarios["null"] = Stationary(n_samples=1500)            # no drift: left out of the curve
    dets = {"CUSUM": CUSUM(threshold=6.0, mean=0.0, std=1.0), "PageHinkley": PageHinkley(threshold=20.0)}
    # a tight tolerance, so that the rates depend on it
    return benchmark.run(dets, scenarios, seeds=12, seed=0, tolerance=60, progress=False)


def test_power_plots_one_line_and_one_band_per_detector(power_result):
    ax = plot_power(power_result, by="shift")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert sorted(lines) == ["CUSUM", "PageHinkley"]
    for ln in lines.values():
        assert ln.get_xdata().tolist() == list(SHIFTS) and ln.get_marker() == "o"
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert _legend_labels(ax) == ["CUSUM", "PageHinkley", "95% Wilson interval (12 drifts per point)"]
    assert ax.get_xlabel() == "shift (MeanShift parameter)"
    assert ax.get_ylabel() == "detection rate\n(share of drifts detected within 60 samples)"
    assert ax.get_ylim() == (-0.02, 1.02)
    ax = plot_power(power_result, by="shift", confidence=0.8, xlabel="mean shift (noise sd)")
    assert ax.get_xlabel() == "mean shift (noise sd)"
    assert _legend_labels(ax)[-1].startswith("80% Wilson interval")


def test_power_rates_and_bands_equal_the_counts_of_the_run_table(power_result):
    frame = power_result.to_frame()
    frame = frame[frame["n_drifts"] > 0]
    counts = frame.groupby(["detector", "scenario"])[["n_detected", "n_drifts"]].sum()
    ax = plot_power(power_result, by="shift")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    rates = []
    for ln, band in zip(lines, bands):
        verts = band.get_paths()[0].vertices
        for s, y in zip(ln.get_xdata(), ln.get_ydata()):
            k, n = counts.loc[(ln.get_label(), f"shift {s}")]
            assert n == 12
            assert y == k / n
            ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
            at = verts[np.isclose(verts[:, 0], s), 1]
            assert at.min() == pytest.approx(ci.low, abs=1e-9)
            assert at.max() == pytest.approx(ci.high, abs=1e-9)
            rates.append(y)
    # the curve uses the result's tolerance: the default (1000 samples) detects more
    loose = dataclasses.replace(power_result, tolerance=None)
    assert _power_table(loose, by="shift")["detection_rate"].sum() > sum(rates)
    assert 0 < min(rates) < 1 and max(rates) == 1.0


def _records_with(result, **params):
    """The result with every record's scenario parameters updated (a synthetic grid)."""
    recs = []
    for r in result.records:
        extra = {k: (v(r) if callable(v) else v) for k, v in params.items()}
        recs.append(dataclasses.replace(r, scenario_params={**r.scenario_params, **extra}))
    return dataclasses.replace(result, records=tuple(recs))


def test_power_errors_name_the_fix(power_result):
    with pytest.raises(ValueError, match=r"has no parameter 'scale'.*Pass by= one of them"):
        plot_power(power_result, by="scale")
    with pytest.raises(ValueError, match=r"parameter 'kind' of scenario .* is 'sudden', not a finite number"):
        plot_power(power_result, by="kind")
    with pytest.raises(TypeError, match="by must be the name of a scenario parameter"):
        plot_power(power_result, by=None)
    with pytest.raises(ValueError, match="confidence must be in"):
        plot_power(power_result, by="shift", confidence=95)
    nulls = benchmark.run([CUSUM()], [Stationary(n_samples=500)], seeds=2, progress=False)
    with pytest.raises(ValueError, match="no run with a drift"):
        plot_power(nulls, by="shift")
    # scenarios that differ in more than `by` would make a misleading curve
    mixed = _records_with(power_result, position=lambda r: 750 if r.scenario.endswith("0.25") else 700)
    with pytest.raises(ValueError, match=r"differ in 'position'.*not only in 'shift'"):
        plot_power(mixed, by="shift")
    nan = _records_with(power_result, shift=float("nan"))
    with pytest.raises(ValueError, match="not a finite number"):
        plot_power(nan, by="shift")
    both = benchmark.run([CUSUM()], {"m": MeanShift(n_samples=500, position=250),
                                     "v": VarianceShift(n_samples=500, position=250)},
                         seeds=1, progress=False)
    both = _records_with(both, size=1.0)
    with pytest.raises(ValueError, match="are of different classes"):
        plot_power(both, by="size")


def test_power_draws_on_the_given_axes(power_result):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_power(power_result, by="shift", ax=right) is right
    assert not left.get_lines() and len(right.get_lines()) == 2


def test_many_series_put_the_legend_outside_the_axes(power_result):
    many = dataclasses.replace(power_result, records=tuple(
        dataclasses.replace(r, detector=f"{r.detector} #{i}") for i in range(3) for r in power_result.records))
    for ax in (plot_power(power_result, by="shift"), plot_power(many, by="shift")):
        ax.figure.canvas.draw()
        outside = ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
        assert outside == (len(ax.get_lines()) > 4)


# --- retraining figures --------------------------------------------------------------------------

def _replays():
    from sklearn.linear_model import LogisticRegression

    from mlmon.retraining import CostModel, Never, Periodic, compare
    from mlmon.scenarios import Drift

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = (X[:, 0] > 0).astype(int)
    y[1500:] = 1 - y[1500:]
    return compare(X, y, policies={"never": Never(), "every 500": Periodic(every=500), "every 400": Periodic(
        every=400, max_retrains=1, period=10_000)}, model=LogisticRegression(), random_control=False,
        drifts=[Drift(start=1500, end=1502, kind="sudden")], cost=CostModel(retrain=20, error=1))


def test_plot_replays_marks_retrains_deployments_and_a_narrow_drift_as_a_line():
    from mlmon.viz import plot_replays

    cmp = _replays()
    ax = plot_replays(cmp.results, window=100)
    labels = ax.get_legend_handles_labels()[1]
    assert "true drift" in labels and any(lab.startswith("every 500 (4 retrains)") for lab in labels)
    # a 2-sample drift on a 3000-sample axis is drawn as a line, not an invisible span
    assert not any(isinstance(p, matplotlib.patches.Polygon) for p in ax.patches)
    triangles = [ln for ln in ax.get_lines() if ln.get_marker() == "v"]
    every500 = cmp.results["every 500"]
    assert sum(len(ln.get_xdata()) for ln in triangles) == sum(len(r.retrains) for r in cmp.results.values())
    assert any(list(ln.get_xdata()) == list(every500.retrains) for ln in triangles)
    with pytest.raises(ValueError, match="empty"):
        plot_replays({})


def test_plot_policy_tradeoff_points_and_shared_labels():
    from mlmon.viz import plot_policy_tradeoff

    cmp = _replays()
    ax = plot_policy_tradeoff(cmp)
    frame = cmp.to_frame().set_index("policy")
    points = {(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in ax.get_lines() if ln.get_marker() in "o*s"}
    for name in ("never", "every 500", "oracle"):
        assert (frame.loc[name, "total_cost"], frame.loc[name, "accuracy"]) in points
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("oracle (1)") for t in texts) and len(texts) <= len(frame)
