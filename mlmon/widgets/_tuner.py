"""Threshold tuner: move along a detector's operating curve, see what each threshold costs, export it."""

from __future__ import annotations

import html
import math
import os
import re
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mlmon.benchmark.metrics import proportion_interval
from mlmon.widgets._common import Blit, fmt, image, named, new_figure, table, widgets

__all__ = ["ThresholdTuner"]

_FIGSIZE = (9.0, 3.4)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ThresholdTuner:
    """Pick a detector and a scenario, slide along the threshold, export the chosen point.

    The operating curve of each (detector, scenario) pair is computed once, when first shown
    (:func:`mlmon.tuning.operating_curve`), and cached; moving the slider then only looks a
    row up and redraws two markers, so it responds at once. The readout shows the threshold's
    false-alarm cost (average run length to a false alarm and false alarms per 10,000
    samples, each with its confidence interval), the probability of a false alarm before the
    change, the detection rate (with its Wilson interval) and the mean and median delay. The
    figure shows the whole curve with the current point, and, against the threshold, the ARL
    band with the detection rate.

    **Export** writes the detector with the chosen threshold as a production config
    (:func:`mlmon.export.export`, the same files :mod:`mlmon.runtime` loads), recording the
    operating point as its calibration provenance.

    Parameters
    ----------
    detectors
        A detector, a list of them, or ``{name: detector}``.
    scenarios
        A drift scenario, a list of them, or ``{name: scenario}``. False alarms are measured on
        each scenario's ``null()``.
    budget
        Target average run length (samples to a false alarm), drawn on the figure and used by
        **Go to budget**; None for none.
    thresholds, n_runs, run_length, seed, tolerance, confidence, n_jobs
        Passed to :func:`mlmon.tuning.operating_curve`.
    export_dir
        Directory the **Export** button writes into.
    curves
        Precomputed curves, ``{(detector name, scenario name): OperatingCurve}``; missing pairs
        are computed when chosen.

    Attributes
    ----------
    detector, scenario : ipywidgets.Dropdown
    threshold : ipywidgets.SelectionSlider
        Its value is the row of the current curve; its labels the threshold values.
    readout : ipywidgets.HTML
    figure : ipywidgets.Image
    export_name : ipywidgets.Text
    export_button, budget_button : ipywidgets.Button
    status : ipywidgets.HTML
    widget : ipywidgets.VBox
        The whole app (the tuner displays as this in a notebook).
    curves : dict
        Every curve computed so far.
    exported : pathlib.Path or None
        The last config written.

    Examples
    --------
    >>> import tempfile
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> tmp = tempfile.mkdtemp()
    >>> tuner = ThresholdTuner(CUSUM(mean=0.0, std=1.0), MeanShift(n_samples=2000, position=1000),
    ...                        budget=500, thresholds=15, n_runs=40, run_length=4000, export_dir=tmp)
    >>> tuner.go_to_budget()
    >>> bool(tuner.point.arl >= 500)
    True
    >>> tuner.threshold.value = len(tuner.curve) - 1   # the least sensitive threshold
    >>> bool(tuner.point.arl > 500)
    True
    >>> path = tuner.export()
    >>> from mlmon import export
    >>> export.read_config(path).params["threshold"] == tuner.point.threshold
    True
    """

    def __init__(
        self,
        detectors: Any,
        scenarios: Any,
        *,
        budget: float | None = None,
        thresholds: int | Any = 40,
        n_runs: int = 200,
        run_length: int | None = None,
        seed: int | None = 0,
        tolerance: int | None = None,
        confidence: float = 0.95,
        n_jobs: int = 1,
        export_dir: str | os.PathLike[str] = "configs",
        curves: Mapping[tuple[str, str], Any] | None = None,
    ) -> None:
        owner = "ThresholdTuner"
        self._detectors = named(detectors, "detectors", owner=owner)
        self._scenarios = named(scenarios, "scenarios", owner=owner)
        for name, det in self._detectors.items():
            if getattr(det, "threshold_param", None) is None:
                raise ValueError(f"{owner}: detector {name!r} ({type(det).__name__}) has no threshold "
                                 "parameter to tune; give detectors with a threshold_param.")
        for name, scen in self._scenarios.items():
            if not hasattr(scen, "null") or not hasattr(scen, "generate"):
                raise TypeError(f"{owner}: scenario {name!r} is a {type(scen).__name__}, not an mlmon "
                                "scenario (e.g. mlmon.scenarios.MeanShift(...)).")
            if getattr(scen, "is_stationary", False):
                raise ValueError(f"{owner}: scenario {name!r} has no drift; a threshold trades false "
                                 "alarms against detection delay, so give a drift scenario.")
        if budget is not None and not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
            raise ValueError(f"{owner}: budget must be a positive average run length in samples, got {budget!r}.")
        self.budget = None if budget is None else float(budget)
        self._curve_kw = dict(thresholds=thresholds, n_runs=n_runs, run_length=run_length, seed=seed,
                              tolerance=tolerance, confidence=confidence, n_jobs=n_jobs)
        self.export_dir = Path(export_dir)
        self.curves: dict[tuple[str, str], Any] = {}
        for key, curve in dict(curves or {}).items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"{owner}: curves keys must be (detector name, scenario name) pairs, got {key!r}.")
            if key[0] not in self._detectors or key[1] not in self._scenarios:
                raise ValueError(f"{owner}: curves has {key!r}, but the detectors are "
                                 f"{sorted(self._detectors)} and the scenarios {sorted(self._scenarios)}.")
            self.curves[key] = curve
        self.exported: Path | None = None
        self.last_update_seconds = math.nan

        W = widgets
        self.detector = W.Dropdown(options=list(self._detectors), description="detector")
        self.scenario = W.Dropdown(options=list(self._scenarios), description="scenario")
        self.threshold = W.SelectionSlider(options=[("-", 0)], description="threshold",
                                           continuous_update=True, layout=W.Layout(width="520px"))
        self.threshold.add_class("mlmon-threshold")
        self.readout = W.HTML()
        self.readout.add_class("mlmon-readout")
        self.figure = image(*_FIGSIZE)
        self.figure.add_class("mlmon-figure")
        self.budget_button = W.Button(description="Go to budget", disabled=self.budget is None,
                                      tooltip="the most sensitive threshold whose ARL meets the budget")
        self.export_name = W.Text(description="config", layout=W.Layout(width="260px"))
        self.export_button = W.Button(description="Export config", button_style="primary", icon="download")
        self.status = W.HTML()
        self.status.add_class("mlmon-status")
        self.widget = W.VBox([
            W.HBox([self.detector, self.scenario]),
            W.HBox([self.threshold, self.budget_button]),
            self.readout,
            self.figure,
            W.HBox([self.export_name, self.export_button]),
            self.status,
        ])
        self.widget.add_class("mlmon-tuner")

        self._fig = self._artists = None
        self._quiet = False
        self._switch()
        self.detector.observe(lambda _: self._switch(), names="value")
        self.scenario.observe(lambda _: self._switch(), names="value")
        self.threshold.observe(lambda _: self._show(), names="value")
        self.budget_button.on_click(lambda _: self.go_to_budget())
        self.export_button.on_click(lambda _: self._export_clicked())

    # --- what is shown -------------------------------------------------------------------------

    @property
    def curve(self) -> Any:
        """The operating curve of the chosen detector and scenario."""
        return self.curves[(self.detector.value, self.scenario.value)]

    @property
    def point(self) -> Any:
        """The :class:`~mlmon.tuning.OperatingPoint` under the slider."""
        from mlmon.tuning import OperatingPoint

        c, i = self.curve, int(self.threshold.value)
        return OperatingPoint(threshold=float(c.thresholds[i]), **{k: float(getattr(c, k)[i]) for k in (
            "arl", "arl_ci_low", "arl_ci_high", "false_alarms_per_10k", "p_false_alarm_before_change",
            "detection_rate", "mean_delay", "median_delay")})

    @property
    def tuned_detector(self) -> Any:
        """The chosen detector with the threshold under the slider."""
        det = self._detectors[self.detector.value]
        return det.clone(**{det.threshold_param: self.point.threshold})

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _switch(self) -> None:
        """A new detector or scenario: compute (or fetch) its curve, rebuild slider and figure."""
        from mlmon.tuning import operating_curve

        key = (self.detector.value, self.scenario.value)
        if key not in self.curves:
            det, scen = self._detectors[key[0]], self._scenarios[key[1]]
            self.status.value = f"computing the operating curve of {html.escape(key[0])} on {html.escape(key[1])}…"
            self.curves[key] = operating_curve(det, null=scen.null(), drift=scen, **self._curve_kw)
        curve = self.curves[key]
        if len(curve) == 0:
            raise ValueError(f"the operating curve of {key[0]} on {key[1]} has no threshold.")
        self._draw_curve(curve)
        start = self._budget_index(curve)
        options = [(f"{t:.4g}", i) for i, t in enumerate(curve.thresholds)]
        self._quiet = True
        try:
            self.threshold.options = options
            self.threshold.value = len(options) // 2 if start is None else start
        finally:
            self._quiet = False
        self.threshold.description = curve.param
        self.export_name.value = f"{key[0]}".replace(" ", "_")
        self.status.value = ""
        self._show()

    def _budget_index(self, curve: Any) -> int | None:
        if self.budget is None:
            return None
        ok = np.flatnonzero(np.asarray(curve.arl) >= self.budget)
        return int(ok[0]) if ok.size else None

    def go_to_budget(self) -> None:
        """Move the slider to the most sensitive threshold whose ARL meets the budget."""
        if self.budget is None:
            raise ValueError("ThresholdTuner: no budget was given; pass budget= (an ARL in samples).")
        i = self._budget_index(self.curve)
        if i is None:
            self.status.value = (f"<span style='color:#b00'>no threshold on this curve reaches an ARL of "
                                 f"{self.budget:,.0f}; the largest is {fmt(float(np.max(self.curve.arl)))}. "
                                 "Extend the curve (thresholds, run_length, n_runs).</span>")
            return
        self.threshold.value = i

    def _draw_curve(self, curve: Any) -> None:
        fig, (ax1, ax2) = new_figure(*_FIGSIZE, ncols=2)
        arl = np.asarray(curve.arl, float)
        lo, hi = np.asarray(curve.arl_ci_low, float), np.asarray(curve.arl_ci_high, float)
        delay = np.asarray(curve.mean_delay, float)
        ok = np.isfinite(arl) & np.isfinite(delay)
        ax1.plot(arl[ok], delay[ok], ".-", color="C0", lw=1.2, ms=4, label="operating curve")
        ax1.hlines(delay[ok], lo[ok], np.where(np.isfinite(hi[ok]), hi[ok], arl[ok]), color="C0", alpha=0.3, lw=2,
                   label="ARL interval")
        ax2.fill_between(curve.thresholds, lo, np.where(np.isfinite(hi), hi, np.nan), color="C0", alpha=0.2,
                         lw=0, label="ARL interval")
        ax2.plot(curve.thresholds, arl, "-", color="C0", lw=1.2, label="ARL")
        rate_ax = ax2.twinx()
        rate_ax.plot(curve.thresholds, curve.detection_rate, "-", color="C2", lw=1.2, label="detection rate")
        rate_ax.set_ylim(-0.02, 1.02)
        rate_ax.set_ylabel("detection rate", color="C2")
        if self.budget is not None:
            ax1.axvline(self.budget, color="0.2", ls="--", lw=1, label=f"budget (ARL {self.budget:,.0f})")
            ax2.axhline(self.budget, color="0.2", ls="--", lw=1, label="budget")
        (p1,) = ax1.plot([], [], marker="*", ms=15, color="C3", mec="k", mew=0.6, ls="none", label="chosen")
        v2 = ax2.axvline(float(curve.thresholds[0]), color="C3", lw=1.5, label="chosen")
        ax1.set_xscale("log")
        ax2.set_yscale("log")
        ax1.set_xlabel("average run length to a false alarm (samples, log)")
        ax1.set_ylabel("mean detection delay (samples)")
        ax2.set_xlabel(f"{curve.param}")
        ax2.set_ylabel("ARL (samples, log)", color="C0")
        ax1.grid(True, which="both", alpha=0.25)
        ax1.legend(fontsize=7, frameon=False, loc="upper left")
        ax1.set_title(f"{curve.detector_class} on {curve.drift}", fontsize=9)
        title = ax2.set_title("threshold", fontsize=9)
        self._fig, self._artists = Blit(fig, [p1, v2, title]), (p1, v2, title)

    def _show(self) -> None:
        if self._quiet:
            return
        t0 = time.perf_counter()
        curve, i = self.curve, int(self.threshold.value)
        p = self.point
        star, vline, title = self._artists
        star.set_data([p.arl] if math.isfinite(p.arl) else [], [p.mean_delay] if math.isfinite(p.mean_delay) else [])
        vline.set_xdata([p.threshold, p.threshold])
        title.set_text(f"{curve.param} = {p.threshold:.4g}: ARL {fmt(p.arl)}, detection rate {p.detection_rate:.0%}"
                       if math.isfinite(p.detection_rate) else f"{curve.param} = {p.threshold:.4g}")
        self.figure.value = self._fig.png()
        self.readout.value = self._readout(curve, i, p)
        self.last_update_seconds = time.perf_counter() - t0

    def _readout(self, curve: Any, i: int, p: Any) -> str:
        trials = int(round(curve.n_runs * (1.0 - p.p_false_alarm_before_change)))
        lo, hi = proportion_interval(successes=[int(curve.n_detected[i])], trials=[trials],
                                     confidence=curve.confidence)
        lvl = f"{curve.confidence:.0%}"

        def per10k(arl: float) -> float:
            return 10_000 / arl if arl > 0 else math.inf

        rows = [
            (curve.param, f"<b>{p.threshold:.6g}</b>"),
            ("ARL (samples to a false alarm)", f"<b>{fmt(p.arl)}</b> [{fmt(p.arl_ci_low)}, {fmt(p.arl_ci_high)}]"),
            ("false alarms per 10k samples",
             f"{fmt(p.false_alarms_per_10k, 3)} [{fmt(per10k(p.arl_ci_high), 3)}, {fmt(per10k(p.arl_ci_low), 3)}]"),
            ("P(false alarm before the change)", f"{p.p_false_alarm_before_change:.1%}"),
            ("detection rate", f"<b>{p.detection_rate:.1%}</b> [{lo[0]:.1%}, {hi[0]:.1%}]"
             if trials else "n/a (every run alarmed before the change)"),
            ("mean / median delay (samples)", f"<b>{fmt(p.mean_delay)}</b> / {fmt(p.median_delay)}"),
        ]
        if self.budget is not None:
            meets = p.arl >= self.budget
            rows.append(("budget", f"ARL ≥ {self.budget:,.0f}: "
                         + ("<span style='color:#070'>met</span>" if meets else "<span style='color:#b00'>not met</span>")))
        note = (f"<div style='font-size:85%;color:#555'>{lvl} intervals; {curve.n_runs} null runs of "
                f"{curve.run_length:,} and {curve.n_runs} drift runs of {curve.drift_run_length:,} samples</div>")
        return table(rows, "mlmon-readout-table") + note

    # --- export --------------------------------------------------------------------------------

    def export(self, name: str | None = None) -> Path:
        """Write the chosen detector and threshold as a production config; returns its path.

        The config records the operating point (ARL with its interval, detection rate, delay,
        and the null and drift behind them) as its calibration provenance.
        """
        from mlmon import export as ex

        name = self.export_name.value if name is None else name
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"ThresholdTuner: config name {name!r} must be letters, digits, '_', '-' or '.', "
                             "starting with a letter or digit (e.g. 'cusum_latency').")
        det = self.tuned_detector
        why = ex.why_not_exportable(det)
        if why:
            raise ValueError(why)
        provenance = self.curve.provenance(int(self.threshold.value), det, target=self.budget)
        self.exported = ex.export(det, self.export_dir, name=name, calibration=provenance)
        return self.exported

    def _export_clicked(self) -> None:
        try:
            path = self.export()
        except (ValueError, TypeError, OSError) as err:
            self.status.value = f"<span style='color:#b00'>not exported: {html.escape(str(err))}</span>"
            return
        self.status.value = (f"exported {html.escape(self.curve.param)} = {self.point.threshold:.6g} to "
                             f"<code>{html.escape(os.fspath(path))}</code>; load it with "
                             f"<code>mlmon.runtime.load(path)</code>")
