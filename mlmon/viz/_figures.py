"""Figures that take mlmon's result objects, accept ``ax=`` and return the axes."""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from mlmon.benchmark import metrics as M

__all__ = ["plot_delays", "plot_operating_curves", "plot_stream"]


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def draw_drifts(ax: Any, drifts: Sequence[Any], *, n_samples: int, alpha: float = 0.3) -> None:
    """Shade each drift from start to end; one too narrow to see at this scale is a line."""
    for i, d in enumerate(drifts):
        label = "true drift" if i == 0 else None
        if d.end - d.start > 0.005 * n_samples:
            ax.axvspan(d.start, d.end, color="tab:orange", alpha=alpha, lw=0, label=label)
        else:
            ax.axvline((d.start + d.end) / 2, color="tab:orange", lw=2, alpha=0.8, label=label)


def plot_stream(
    stream: Any,
    alarms: Mapping[str, Sequence[int]] | None = None,
    *,
    tolerance: int | None = None,
    smooth: int | None = None,
    ax: Any = None,
) -> Any:
    """A stream with its true drifts shaded and each detector's alarms marked.

    True drifts are shaded from ``start`` to ``end`` (a vertical line for a sudden drift),
    and, when alarms are given, each drift's detection window (where an alarm counts as
    detecting it, see :mod:`mlmon.benchmark.metrics`) is shaded lightly. Below the signal,
    one row per detector: filled green circles for alarms that detect a drift, red crosses
    for false alarms, hollow green circles for redundant ones (later alarms inside a window
    whose drift was already detected).

    Parameters
    ----------
    stream
        A :class:`mlmon.scenarios.Stream` (a 2-D signal is drawn one line per column).
    alarms
        Detector name -> alarm positions in increasing order (e.g.
        ``det.run(stream.signal).indices``).
    tolerance
        Detection tolerance in samples, as in the benchmark metrics (None: their default).
    smooth
        Plot a moving average over this many samples instead of the raw signal (default: raw
        for real signals, 200 for 0/1 error streams).
    ax
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon.scenarios import MeanShift
    >>> stream = MeanShift(n_samples=2000, position=1000, shift=2.0).generate(seed=0)
    >>> ax = plot_stream(stream, {"CUSUM": [400, 1010]}, tolerance=500)
    >>> ax.get_legend_handles_labels()[1]  # doctest: +NORMALIZE_WHITESPACE
    ['signal', 'true drift', 'detection window (500 samples after the drift)',
     'alarm detecting a drift', 'false alarm']
    """
    tolerance = M._check_tolerance(tolerance)
    alarms = dict(alarms or {})
    checked = {name: M._check_alarms(positions, name=f"alarms[{name!r}]") for name, positions in alarms.items()}
    ax = _axes(ax, (10, 3.6))
    x = np.asarray(stream.signal, dtype=float)
    n = int(x.shape[0])
    cols = x.reshape(n, -1)
    idx = np.arange(n)
    window = smooth if smooth is not None else (200 if stream.signal_kind == "binary" else None)
    what = "signal" if cols.shape[1] == 1 else f"signal ({cols.shape[1]} features)"
    if window and window > 1:
        kernel = np.ones(window) / window
        y = np.column_stack([np.convolve(c, kernel, mode="valid") for c in cols.T])
        for j, c in enumerate(y.T):
            ax.plot(idx[window - 1:], c, lw=1.0, color="0.25" if y.shape[1] == 1 else f"C{j % 10}",
                    label=f"{what}, {window}-sample mean" if j == 0 else None)
        lo, hi = float(y.min()), float(y.max())
    else:
        for j, c in enumerate(cols.T):
            ax.plot(idx, c, lw=0.4, color="0.45" if cols.shape[1] == 1 else f"C{j % 10}",
                    alpha=1.0 if cols.shape[1] == 1 else 0.6, label=what if j == 0 else None)
        lo, hi = float(np.percentile(cols, 0.5)), float(np.percentile(cols, 99.5))
    span = hi - lo if hi > lo else 1.0
    draw_drifts(ax, stream.drifts, n_samples=stream.n_samples, alpha=0.3)
    if checked and stream.drifts:
        after = "default tolerance" if tolerance is None else f"{tolerance:,} samples after the drift"
        for i, (a, b) in enumerate(M.detection_windows(drifts=stream.drifts, tolerance=tolerance)):
            ax.axvspan(a, b, color="tab:green", alpha=0.08, lw=0,
                       label=f"detection window ({after})" if i == 0 else None)
    labelled = set()
    for row, (name, pos) in enumerate(checked.items()):
        level = lo - span * (0.12 + 0.1 * row)
        detect, redundant, false = _classify(pos, stream.drifts, tolerance)
        for kind, sel, style in (
            ("alarm detecting a drift", detect, dict(marker="o", color="tab:green", ls="none", ms=6)),
            ("redundant alarm (drift already detected)", redundant,
             dict(marker="o", mfc="none", color="tab:green", ls="none", ms=6)),
            ("false alarm", false, dict(marker="x", color="tab:red", ls="none", ms=7, mew=2)),
        ):
            if sel.size:
                ax.plot(pos[sel], np.full(sel.size, level), label=None if kind in labelled else kind, **style)
                labelled.add(kind)
        ax.text(n * 1.005, level, name, va="center", fontsize=8)
    ax.set_xlim(0, n)
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, top + 0.3 * (top - bottom))  # headroom for the legend
    ax.set_xlabel("sample (position in the stream)")
    ax.set_ylabel("monitored signal" + (" (error rate)" if stream.signal_kind == "binary" else ""))
    ax.legend(loc="upper left", fontsize=8, ncol=3, frameon=True, framealpha=0.85, edgecolor="none")
    return ax


def _classify(pos: np.ndarray, drifts: Sequence[Any], tolerance: int | None) -> tuple[np.ndarray, ...]:
    """Indices into ``pos`` (increasing alarm positions) of detections, redundant and false alarms."""
    windows = M.detection_windows(drifts=drifts, tolerance=tolerance) if drifts else np.empty((0, 2))
    detect, redundant, false = [], [], []
    for i, p in enumerate(pos.tolist()):
        inside = [w for w, (a, b) in enumerate(windows) if a <= p < b]
        if not inside:
            false.append(i)
        elif any(windows[inside[0]][0] <= q < windows[inside[0]][1] for q in pos[:i].tolist()):
            redundant.append(i)
        else:
            detect.append(i)
    return tuple(np.asarray(v, dtype=np.int64) for v in (detect, redundant, false))


def plot_operating_curves(
    curves: Mapping[str, Any],
    *,
    budget: float | None = None,
    chosen: Mapping[str, float] | None = None,
    x: Literal["arl", "false_alarms_per_10k"] = "arl",
    ax: Any = None,
) -> Any:
    """False-alarm cost against detection delay, one line per detector.

    With ``x="arl"`` the x axis is the average run length to a false alarm (log scale:
    further right, fewer false alarms); with ``x="false_alarms_per_10k"`` it is the long-run
    false alarm rate ``10_000 / ARL`` (log scale: further left, fewer false alarms). The y
    axis is the mean detection delay (lower is better). Horizontal bars give each point's
    confidence interval on the false-alarm axis (the ARL's, converted for the rate), a
    vertical dashed line the budget and a star each detector's calibrated threshold.

    Parameters
    ----------
    curves
        Label -> :class:`mlmon.tuning.OperatingCurve`.
    budget
        Target ARL the detectors were calibrated to (in samples, whichever ``x``).
    chosen
        Label -> calibrated threshold, marked on its curve (nearest grid point).
    x
        ``"arl"`` or ``"false_alarms_per_10k"``: the false-alarm measure on the x axis.
    ax
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> from mlmon.tuning import operating_curve
    >>> drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
    >>> curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=drift.null(), drift=drift,
    ...                         thresholds=10, n_runs=50, seed=0)
    >>> ax = plot_operating_curves({"CUSUM": curve}, budget=1000)
    >>> ax.get_xscale(), len(ax.get_lines()) >= 2
    ('log', True)
    >>> ax = plot_operating_curves({"CUSUM": curve}, budget=1000, x="false_alarms_per_10k")
    >>> ax.get_xlabel()
    'false alarms per 10,000 samples (log scale)'
    """
    if x not in ("arl", "false_alarms_per_10k"):
        raise ValueError(f"x must be 'arl' or 'false_alarms_per_10k', got {x!r}.")
    if budget is not None and not (isinstance(budget, numbers.Real) and math.isfinite(budget) and budget > 0):
        raise ValueError(f"budget must be a positive average run length in samples, got {budget!r}.")
    chosen = dict(chosen or {})
    unknown = sorted(set(chosen) - set(curves))
    if unknown:
        raise ValueError(f"chosen names {unknown} that are not among the curves {sorted(curves)}; "
                         "use the same labels in both.")
    ax = _axes(ax, (6.5, 4.5))
    per_10k = x == "false_alarms_per_10k"
    conf = set()
    for i, (label, curve) in enumerate(curves.items()):
        arl = np.asarray(curve.arl, dtype=float)
        delay = np.asarray(curve.mean_delay, dtype=float)
        ok = np.isfinite(arl) & np.isfinite(delay) & (arl > 0)
        low = np.asarray(curve.arl_ci_low, dtype=float)
        high = np.asarray(curve.arl_ci_high, dtype=float)
        with np.errstate(divide="ignore"):
            xs, lo, hi = (10_000 / arl, 10_000 / high, 10_000 / low) if per_10k else (arl, low, high)
        # an unbounded or undefined side of an interval is drawn as no bar on that side
        lo = np.where(np.isfinite(lo) & (lo > 0), lo, xs)
        hi = np.where(np.isfinite(hi), hi, xs)
        color = f"C{i % 10}"
        if ok.any():
            ax.errorbar(xs[ok], delay[ok], xerr=[xs[ok] - lo[ok], hi[ok] - xs[ok]], fmt="none",
                        ecolor=color, elinewidth=0.8, alpha=0.45, capsize=0)
            conf.add(float(curve.confidence))
        ax.plot(xs[ok], delay[ok], "-", marker=".", ms=3, lw=1.4, color=color, label=label)
        if label in chosen and ok.any():
            th = np.asarray(curve.thresholds, dtype=float)
            j = int(np.nanargmin(np.where(ok, np.abs(th - chosen[label]), np.inf)))
            ax.plot(xs[j], delay[j], marker="*", ms=13, color=color, mec="k", mew=0.6, ls="none")
    if budget is not None:
        at = 10_000 / budget if per_10k else budget
        ax.axvline(at, color="0.2", ls="--", lw=1,
                   label=f"budget: ARL {budget:,.0f} = {10_000 / budget:.3g} false alarms per 10k")
    handles, labels = ax.get_legend_handles_labels()
    if chosen:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], marker="*", ms=11, color="0.6", mec="k", mew=0.6, ls="none"))
        labels.append("calibrated threshold (nearest grid point)")
    if conf:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="0.4", lw=0.8, alpha=0.6))
        pct = "/".join(f"{round(100 * c):g}%" for c in sorted(conf))
        labels.append(f"{pct} interval of the {'rate' if per_10k else 'ARL'} (null runs)")
    ax.set_xscale("log")
    ax.set_xlabel("false alarms per 10,000 samples (log scale)" if per_10k
                  else "average run length to a false alarm (samples, log scale)")
    ax.set_ylabel("mean detection delay (samples)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(handles, labels, fontsize=8, frameon=False, **_legend_place(len(curves)))
    return ax


def _legend_place(n_series: int) -> dict[str, Any]:
    """Legend placement: inside the axes for a few series, outside on the right for many."""
    if n_series <= 4:
        return {"loc": "best"}
    return {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0}


def plot_delays(result: Any, *, scenario: str | None = None, ax: Any = None) -> Any:
    """Distribution of detection delays per detector (box plots), for one scenario.

    Parameters
    ----------
    result
        A :class:`mlmon.benchmark.BenchmarkResult`.
    scenario
        Scenario name (default: the first with drifts).
    ax
        Axes to draw on; a new figure when None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon import benchmark
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> res = benchmark.run({"cusum": CUSUM(threshold=10.0, mean=0.0, std=1.0)},
    ...                     {"shift": MeanShift(n_samples=2000, position=1000, shift=2.0)},
    ...                     seeds=5, progress=False)
    >>> ax = plot_delays(res)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['cusum']
    """
    ax = _axes(ax, (6.5, 4.0))
    frame = result.to_frame()
    if scenario is None:
        with_drift = frame.loc[frame["n_drifts"] > 0, "scenario"]
        if with_drift.empty:
            raise ValueError("plot_delays: the result has no scenario with drifts; pass scenario=.")
        scenario = str(with_drift.iloc[0])
    sub = frame[frame["scenario"] == scenario]
    if sub.empty:
        raise ValueError(f"plot_delays: no runs for scenario {scenario!r}; "
                         f"scenarios are {sorted(frame['scenario'].unique())}.")
    names = list(dict.fromkeys(sub["detector"]))
    data = []
    for name in names:
        recs = [r for r in result.records if r.detector == name and r.scenario == scenario]
        d = np.concatenate([M.detection_delays(alarms=r.alarms, drifts=r.drifts, tolerance=result.tolerance)
                            for r in recs]) if recs else np.empty(0)
        data.append(d[np.isfinite(d)])
    positions = np.arange(1, len(names) + 1)
    nonempty = [i for i, d in enumerate(data) if d.size]
    if nonempty:
        ax.boxplot([data[i] for i in nonempty], positions=positions[nonempty], widths=0.6,
                   showfliers=True)
    for i, d in enumerate(data):
        ax.text(positions[i], 1.0, f"{d.size} det.", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7)
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_xlim(0.4, len(names) + 0.6)
    ax.set_ylabel("detection delay (samples)")
    ax.set_title(scenario, fontsize=10, pad=14)
    return ax
