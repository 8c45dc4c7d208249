"""Figures of calibrations and of a many-feature monitor's report."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from mlmon.viz._figures import _axes

__all__ = ["plot_calibrations", "plot_monitor"]


def plot_calibrations(calibrations: Mapping[str, Any], *, ax: Any = None) -> Any:
    """The false-alarm figure each calibration achieved, with its interval, against the target.

    One row per detector: a dot at the estimate (average run length for ``arl`` budgets,
    false-alarm probability per window for ``window_fpr``), a bar over its confidence
    interval, and a dashed line at the target. All calibrations must share one budget kind.

    Parameters
    ----------
    calibrations
        Label -> :class:`mlmon.tuning.Calibration`.
    ax
        Axes to draw on; a new figure when None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon.detectors import CUSUM, PageHinkley
    >>> from mlmon.scenarios import Stationary
    >>> from mlmon.tuning import calibrate
    >>> cals = {name: calibrate(det, Stationary(), arl=500, n_runs=30, seed=0)
    ...         for name, det in {"CUSUM": CUSUM(), "PH": PageHinkley()}.items()}
    >>> ax = plot_calibrations(cals)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xscale()
    (['CUSUM', 'PH'], 'log')
    """
    if not calibrations:
        raise ValueError("plot_calibrations: no calibrations given; pass a dict label -> Calibration.")
    budgets = {c.budget for c in calibrations.values()}
    if len(budgets) != 1:
        raise ValueError(f"plot_calibrations: calibrations mix budget kinds {sorted(budgets)}; "
                         "plot ARL and window_fpr calibrations separately.")
    budget = budgets.pop()
    labels = list(calibrations)
    ax = _axes(ax, (6.0, 0.5 + 0.45 * len(labels)))
    y = np.arange(len(labels))[::-1]
    targets = set()
    for i, label in enumerate(labels):
        c = calibrations[label]
        lo, hi = float(c.ci_low), float(c.ci_high)
        hi = hi if math.isfinite(hi) else float(c.estimate) * 10.0
        ax.plot([lo, hi], [y[i], y[i]], "-", color=f"C{i % 10}", lw=2.5, alpha=0.6)
        ax.plot([c.estimate], [y[i]], "o", color=f"C{i % 10}", ms=6,
                label=f"{label}: {c.estimate:.3g} ({c.n_runs} runs)")
        targets.add(float(c.target))
    for t in sorted(targets):
        ax.axvline(t, color="0.2", ls="--", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xscale("log")
    what = ("average run length to a false alarm (samples)" if budget == "arl"
            else "false-alarm probability per window")
    ax.set_xlabel(f"{what}; dashed: target, bars: {int(round(100 * next(iter(calibrations.values())).confidence))}% interval")
    ax.grid(True, axis="x", which="both", alpha=0.25)
    ax.legend(fontsize=7, frameon=False, loc="best")
    return ax


def plot_monitor(report: Any, *, ax: Any = None) -> Any:
    """Which features drifted, by effect size, with the correction applied.

    One horizontal bar per hypothesis (ranked as in ``report.to_frame()``), coloured by its
    decision: drifted, significant but below its ``min_effect`` (a tick marks the minimum),
    or not significant. Effect sizes are in each test's own units (the label says which).

    Parameters
    ----------
    report
        A :class:`mlmon.monitor.MonitorReport`.
    ax
        Axes to draw on; a new figure when None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from mlmon.monitor import Monitor
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"a": rng.normal(size=1000), "b": rng.normal(size=1000)})
    >>> cur = pd.DataFrame({"a": rng.normal(0.5, 1, 300), "b": rng.normal(size=300)})
    >>> ax = plot_monitor(Monitor().fit(ref).check(cur))
    >>> [t.get_text() for t in ax.get_yticklabels()], len(ax.patches)
    (['a  (ks_distance)', 'b  (ks_distance)'], 2)
    """
    frame = report.to_frame()
    if frame.empty:
        raise ValueError("plot_monitor: the report has no hypotheses.")
    n = frame.shape[0]
    ax = _axes(ax, (6.5, 0.6 + 0.35 * n))
    y = np.arange(n)[::-1]
    colors = {"drift": "C3", "small": "C1", "none": "0.6"}
    seen = set()
    for i, row in enumerate(frame.itertuples(index=False)):
        effect = 0.0 if not np.isfinite(row.effect_size) else float(row.effect_size)
        state = "drift" if row.drift else ("small" if row.significant else "none")
        label = {"drift": "drifted", "small": "significant, below min_effect",
                 "none": "not significant"}[state]
        ax.barh(y[i], effect, color=colors[state], height=0.6,
                label=None if state in seen else label)
        seen.add(state)
        if row.min_effect is not None and np.isfinite(row.min_effect):
            ax.plot([row.min_effect] * 2, [y[i] - 0.35, y[i] + 0.35], color="k", lw=1.5)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{f}  ({e})" for f, e in zip(frame["feature"], frame["effect_name"])])
    ax.set_xlabel("effect size (each test's own units); black tick: min_effect")
    ax.set_title(f"{'Drift' if report.drift else 'No drift'}: {len(report.drifted)} of {n} "
                 f"hypotheses, {report.correction} at level {report.alpha:.3g}", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(True, axis="x", alpha=0.25)
    return ax
