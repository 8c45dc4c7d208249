"""Power curves: the share of drifts each detector detects, against the size of the drift."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from mlmon.benchmark import metrics as M
from mlmon.viz._figures import _axes, _legend_place

__all__ = ["plot_power"]


def _scenario_values(result: Any, by: str) -> dict[str, float]:
    """Scenario name -> its numeric value of ``by``, for the scenarios whose runs hold drifts."""
    if not isinstance(by, str) or not by:
        raise TypeError(f"by must be the name of a scenario parameter (a string, e.g. 'shift'), got {by!r}.")
    with_drift: dict[str, Any] = {}
    for r in result.records:
        if r.drifts and r.scenario not in with_drift:
            with_drift[r.scenario] = r
    if not with_drift:
        raise ValueError(
            "plot_power: the result has no run with a drift, so there is no detection rate to plot; "
            "benchmark scenarios with a change (e.g. MeanShift with shift > 0)."
        )
    values: dict[str, float] = {}
    for name, r in with_drift.items():
        params = r.scenario_params
        if by not in params:
            raise ValueError(
                f"plot_power: scenario {name!r} ({r.scenario_class}) has no parameter {by!r}; "
                f"its parameters are {sorted(params)}. Pass by= one of them (the one the scenarios vary)."
            )
        v = params[by]
        if (not isinstance(v, numbers.Real) or isinstance(v, (bool, np.bool_))
                or not math.isfinite(float(v))):
            raise ValueError(
                f"plot_power: parameter {by!r} of scenario {name!r} is {v!r}, not a finite number; "
                "pass by= a numeric scenario parameter (e.g. 'shift' for MeanShift, 'scale' for VarianceShift)."
            )
        values[name] = float(v)
    # everything but `by` must be the same, or the curve would mix unlike experiments
    first_name, first = next(iter(with_drift.items()))
    for name, r in with_drift.items():
        if r.scenario_class != first.scenario_class:
            raise ValueError(
                f"plot_power: scenarios {first_name!r} ({first.scenario_class}) and {name!r} "
                f"({r.scenario_class}) are of different classes; a power curve varies one parameter of one "
                "scenario. Plot each class from its own BenchmarkResult."
            )
        keys = (set(r.scenario_params) | set(first.scenario_params)) - {by}
        for key in sorted(keys):
            if r.scenario_params.get(key) != first.scenario_params.get(key):
                raise ValueError(
                    f"plot_power: scenarios {first_name!r} and {name!r} differ in {key!r} "
                    f"({first.scenario_params.get(key)!r} vs {r.scenario_params.get(key)!r}), not only in "
                    f"{by!r}; a power curve varies one parameter. Plot a subset: "
                    "result.select(scenarios=[...])."
                )
    return values


def _power_table(result: Any, *, by: str, confidence: float = 0.95):
    """Detected and total drifts per detector and value of ``by``, with Wilson intervals.

    Scenarios whose runs hold no drift (e.g. ``shift=0``) are left out. Columns: detector,
    ``by``, n_runs, n_drifts, n_detected, detection_rate, ci_low, ci_high; rows ordered by
    detector (first appearance) and value.
    """
    import pandas as pd

    confidence = M._check_confidence(confidence)
    values = _scenario_values(result, by)
    counts: dict[tuple[str, float], list[int]] = {}
    for r in result.records:
        if r.scenario not in values or not r.drifts:
            continue
        delays = M.detection_delays(alarms=r.alarms, drifts=r.drifts, tolerance=result.tolerance)
        c = counts.setdefault((r.detector, values[r.scenario]), [0, 0, 0])
        c[0] += 1
        c[1] += int(delays.size)
        c[2] += int(np.sum(~np.isnan(delays)))
    order = list(dict.fromkeys(d for d, _ in counts))
    keys = sorted(counts, key=lambda dv: (order.index(dv[0]), dv[1]))
    n = np.array([counts[k][1] for k in keys], dtype=np.int64)
    k = np.array([counts[k][2] for k in keys], dtype=np.int64)
    low, high = M.proportion_interval(successes=k, trials=n, confidence=confidence)
    return pd.DataFrame({
        "detector": [d for d, _ in keys],
        by: [v for _, v in keys],
        "n_runs": [counts[key][0] for key in keys],
        "n_drifts": n,
        "n_detected": k,
        "detection_rate": k / n,
        "ci_low": low,
        "ci_high": high,
    })


def plot_power(result: Any, *, by: str, ax: Any = None, confidence: float = 0.95,
               xlabel: str | None = None) -> Any:
    """Power curves: each detector's detection rate against the size of the drift.

    One line per detector through its detection rate (the share of all true drifts it
    detected, as in :mod:`mlmon.benchmark.metrics` with the result's tolerance) at each
    value of the scenario parameter ``by``, with a shaded Wilson score interval computed from
    the counts of detected and total drifts behind each point. Compare detectors calibrated
    to one false-alarm budget (:func:`mlmon.tuning.calibrate`): otherwise a line higher up
    may only mean more false alarms.

    Parameters
    ----------
    result
        A :class:`mlmon.benchmark.BenchmarkResult` whose scenarios with drifts are of one
        class and differ only in the numeric parameter ``by`` (scenarios without drift, such
        as ``shift=0``, are left out).
    by
        The scenario parameter on the x axis (a key of ``RunRecord.scenario_params``), e.g.
        ``"shift"`` for :class:`~mlmon.scenarios.MeanShift`, ``"scale"`` for
        :class:`~mlmon.scenarios.VarianceShift`.
    ax
        Axes to draw on; a new figure when None.
    confidence
        Coverage of the shaded intervals.
    xlabel
        Label of the x axis, with its units (default: the parameter's name and scenario class).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        When no run holds a drift, when a scenario lacks ``by`` or its value is not a finite
        number, or when the scenarios differ in anything else.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon import benchmark
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> scenarios = {f"shift {s}": MeanShift(n_samples=2000, position=1000, shift=s) for s in (0.5, 1.0, 2.0)}
    >>> res = benchmark.run({"CUSUM": CUSUM(threshold=10.0, mean=0.0, std=1.0)}, scenarios,
    ...                     seeds=10, progress=False)
    >>> ax = plot_power(res, by="shift", xlabel="mean shift (noise standard deviations)")
    >>> line = ax.get_lines()[0]
    >>> line.get_xdata().tolist(), bool(line.get_ydata()[-1] == 1.0)
    ([0.5, 1.0, 2.0], True)
    """
    table = _power_table(result, by=by, confidence=confidence)
    ax = _axes(ax, (6.5, 4.2))
    from matplotlib.patches import Patch

    groups = list(table.groupby("detector", sort=False))
    alpha = 0.2 * min(1.0, 3.0 / len(groups))  # overlapping bands stay readable
    for i, (name, sub) in enumerate(groups):
        color = f"C{i % 10}"
        x = sub[by].to_numpy(dtype=float)
        ax.fill_between(x, sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float),
                        color=color, alpha=alpha, lw=0)
        ax.plot(x, sub["detection_rate"].to_numpy(dtype=float), "-o", color=color, ms=4, lw=1.5,
                label=str(name))
    lo, hi = int(table["n_drifts"].min()), int(table["n_drifts"].max())
    per_point = f"{lo}" if lo == hi else f"{lo}-{hi}"
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="0.5", alpha=0.3, lw=0))
    labels.append(f"{round(100 * confidence):g}% Wilson interval ({per_point} drifts per point)")
    ax.legend(handles, labels, fontsize=8, frameon=False, **_legend_place(len(groups)))
    classes = sorted({r.scenario_class for r in result.records if r.drifts})
    ax.set_xlabel(xlabel if xlabel is not None else f"{by} ({', '.join(classes)} parameter)")
    tol = ("the default tolerance" if result.tolerance is None
           else f"{result.tolerance:,} samples")
    ax.set_ylabel(f"detection rate\n(share of drifts detected within {tol})")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.25)
    return ax
