"""Smoke tests of the calibration and monitor figures: the artists a reader relies on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from mlmon.detectors import CUSUM, KS, PageHinkley  # noqa: E402
from mlmon.monitor import Monitor  # noqa: E402
from mlmon.scenarios import Stationary  # noqa: E402
from mlmon.tuning import calibrate  # noqa: E402
from mlmon.viz import plot_calibrations, plot_monitor  # noqa: E402


def test_calibration_figure_shows_estimates_intervals_and_the_target():
    cals = {name: calibrate(det, Stationary(), arl=400, n_runs=20, seed=1)
            for name, det in {"CUSUM": CUSUM(), "PageHinkley": PageHinkley()}.items()}
    ax = plot_calibrations(cals)
    lines = ax.get_lines()
    dots = [ln for ln in lines if ln.get_marker() == "o"]
    assert sorted(float(d.get_xdata()[0]) for d in dots) == sorted(c.estimate for c in cals.values())
    bars = [ln for ln in lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) == 2
            and ln.get_ydata()[0] == ln.get_ydata()[1]]
    assert {(b.get_xdata()[0], b.get_xdata()[1]) for b in bars} == {(c.ci_low, c.ci_high)
                                                                 for c in cals.values()}
    assert any(ln.get_linestyle() == "--" and ln.get_xdata()[0] == 400 for ln in lines)
    assert "average run length" in ax.get_xlabel()


def test_calibration_figure_refuses_mixed_budgets_and_nothing():
    arl = calibrate(CUSUM(), Stationary(), arl=300, n_runs=10, seed=0)
    fpr = calibrate(KS(window_size=50, reference_size=100), Stationary(n_samples=1000),
                    window_fpr=0.05, n_runs=10, seed=0)
    with pytest.raises(ValueError, match="mix budget kinds"):
        plot_calibrations({"a": arl, "b": fpr})
    with pytest.raises(ValueError, match="no calibrations"):
        plot_calibrations({})


def test_monitor_figure_tells_the_three_decisions_apart():
    rng = np.random.default_rng(0)
    n = 50_000
    ref = pd.DataFrame({"big": rng.normal(size=n), "tiny": rng.normal(size=n),
                        "none": rng.normal(size=n)})
    cur = pd.DataFrame({"big": rng.normal(1.0, 1, n), "tiny": rng.normal(0.05, 1, n),
                        "none": rng.normal(size=n)})
    report = Monitor(min_effect=0.1, seed=0).fit(ref).check(cur)
    ax = plot_monitor(report)
    labels = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    colours = {label: to_rgba(p.get_facecolor()) for label, p in zip(labels, ax.patches)}
    assert labels[0] == "big" and colours["big"] == to_rgba("C3")        # drifted
    assert report["tiny"].significant and not report["tiny"].drift
    assert colours["tiny"] == to_rgba("C1")                              # below min_effect
    assert colours["none"] == to_rgba("0.6")                             # not significant
    ticks = [ln for ln in ax.get_lines() if ln.get_xdata()[0] == 0.1]
    assert len(ticks) == 3                                               # min_effect marked
    assert "holm" in ax.get_title()
