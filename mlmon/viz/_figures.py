"""Figures that take mlmon's result objects, accept ``ax=`` and return the axes."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from mlmon.benchmark import metrics as M

__all__ = ["plot_delays", "plot_operating_curves", "plot_stream"]


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_stream(
    stream: Any,
    alarms: Mapping[str, Sequence[int]] | None = None,
    *,
    tolerance: int | None = None,
    smooth: int | None = None,
    ax: Any = None,
) -> Any:
    """A stream with its true drifts shaded and each detector's alarms marked.

    True drifts are shaded from ``start`` to ``end`` (a line for a sudden drift). Below the
    signal, one row per detector: filled circles for alarms that detect a drift, red crosses
    for false alarms, hollow circles for redundant ones (see :mod:`mlmon.benchmark.metrics`).

    Parameters
    ----------
    stream
        A :class:`mlmon.scenarios.Stream`.
    alarms
        Detector name -> alarm positions (e.g. ``det.run(stream.signal).indices``).
    tolerance
        Detection tolerance, as in the benchmark metrics.
    smooth
        Plot a moving average over this many samples instead of the raw signal (default: raw
        for real signals, 200 for 0/1 error streams).
    ax
        Axes to draw on; a new figure when None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mlmon.scenarios import MeanShift
    >>> stream = MeanShift(n_samples=2000, position=1000, shift=2.0).generate(seed=0)
    >>> ax = plot_stream(stream, {"CUSUM": [400, 1010]}, tolerance=500)
    >>> sorted(ax.get_legend_handles_labels()[1])
    ['detection', 'false alarm', 'signal', 'true drift']
    """
    ax = _axes(ax, (10, 3.6))
    x = np.asarray(stream.signal, dtype=float)
    idx = np.arange(x.size)
    window = smooth if smooth is not None else (200 if stream.signal_kind == "binary" else None)
    if window and window > 1:
        kernel = np.ones(window) / window
        y = np.convolve(x, kernel, mode="valid")
        ax.plot(idx[window - 1:], y, lw=1.0, color="0.25", label=f"signal ({window}-sample mean)")
        lo, hi = float(y.min()), float(y.max())
    else:
        ax.plot(idx, x, lw=0.4, color="0.45", label="signal")
        lo, hi = float(np.percentile(x, 0.5)), float(np.percentile(x, 99.5))
    span = hi - lo if hi > lo else 1.0
    for i, d in enumerate(stream.drifts):
        label = "true drift" if i == 0 else None
        if d.end > d.start:
            ax.axvspan(d.start, d.end, color="tab:orange", alpha=0.25, lw=0, label=label)
        else:
            ax.axvline(d.start, color="tab:orange", lw=2, alpha=0.8, label=label)
    alarms = dict(alarms or {})
    labelled = set()
    for row, (name, positions) in enumerate(alarms.items()):
        pos = np.asarray(list(positions), dtype=np.int64)
        level = lo - span * (0.12 + 0.1 * row)
        detect, redundant, false = _classify(pos, stream.drifts, tolerance)
        for kind, sel, style in (
            ("detection", detect, dict(marker="o", color="tab:green", ls="none", ms=6)),
            ("redundant alarm", redundant, dict(marker="o", mfc="none", color="tab:green", ls="none", ms=6)),
            ("false alarm", false, dict(marker="x", color="tab:red", ls="none", ms=7, mew=2)),
        ):
            if sel.size:
                ax.plot(pos[sel], np.full(sel.size, level), label=None if kind in labelled else kind, **style)
                labelled.add(kind)
        ax.text(x.size * 1.005, level, name, va="center", fontsize=8)
    ax.set_xlim(0, x.size)
    ax.set_xlabel("sample")
    ax.set_ylabel("monitored signal" + (" (error rate)" if stream.signal_kind == "binary" else ""))
    ax.legend(loc="upper left", fontsize=8, ncol=5, frameon=False)
    return ax


def _classify(pos: np.ndarray, drifts: Sequence[Any], tolerance: int | None) -> tuple[np.ndarray, ...]:
    """Indices into ``pos`` of detections, redundant and false alarms."""
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
    ax: Any = None,
) -> Any:
    """False-alarm cost against detection delay, one line per detector.

    The x axis is the average run length to a false alarm (log scale: further right, fewer
    false alarms); the y axis the mean detection delay (lower is better). A vertical line
    marks the budget and a star each detector's calibrated threshold.

    Parameters
    ----------
    curves
        Label -> :class:`mlmon.tuning.OperatingCurve`.
    budget
        Target ARL the detectors were calibrated to.
    chosen
        Label -> calibrated threshold, marked on its curve (nearest grid point).
    ax
        Axes to draw on; a new figure when None.

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
    """
    ax = _axes(ax, (6.5, 4.5))
    chosen = dict(chosen or {})
    for i, (label, curve) in enumerate(curves.items()):
        arl = np.asarray(curve.arl, dtype=float)
        delay = np.asarray(curve.mean_delay, dtype=float)
        ok = np.isfinite(arl) & np.isfinite(delay)
        color = f"C{i % 10}"
        ax.plot(arl[ok], delay[ok], "-", marker=".", ms=3, lw=1.4, color=color, label=label)
        if label in chosen and ok.any():
            th = np.asarray(curve.thresholds, dtype=float)
            j = int(np.nanargmin(np.where(ok, np.abs(th - chosen[label]), np.inf)))
            ax.plot(arl[j], delay[j], marker="*", ms=13, color=color, mec="k", mew=0.6, ls="none")
    if budget is not None:
        ax.axvline(budget, color="0.2", ls="--", lw=1, label=f"budget (ARL {budget:,.0f})")
    ax.set_xscale("log")
    ax.set_xlabel("average run length to a false alarm (samples, log scale)")
    ax.set_ylabel("mean detection delay (samples)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, frameon=False)
    return ax


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
