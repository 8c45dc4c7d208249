"""Benchmark browser: filter a benchmark result by detector and scenario, see its table and figures."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from mlmon.widgets._common import image, new_figure, png, widgets

__all__ = ["BenchmarkBrowser"]

_COLUMNS = ["detector", "scenario", "n_runs", "detection_rate", "mean_delay", "median_delay",
            "false_alarms_per_10k", "arl", "arl_ci_low", "arl_ci_high"]


class BenchmarkBrowser:
    """Filter a :class:`~mlmon.benchmark.BenchmarkResult` and see its summary and figures.

    Two multi-selects choose detectors and scenarios; the table is the filtered
    :meth:`~mlmon.benchmark.BenchmarkResult.summary`. The figure shows the delay
    distribution per detector on one scenario (chosen in a dropdown) and, over all selected
    scenarios with drifts, each detector's false alarms per 10,000 samples against its
    detection rate.

    Parameters
    ----------
    result
        A :class:`~mlmon.benchmark.BenchmarkResult` with at least one record.

    Attributes
    ----------
    detectors, scenarios : ipywidgets.SelectMultiple
    delay_scenario : ipywidgets.Dropdown
    table : ipywidgets.HTML
    figure : ipywidgets.Image
    widget : ipywidgets.VBox
    selected : BenchmarkResult
        The filtered result shown.

    Examples
    --------
    >>> from mlmon import benchmark
    >>> from mlmon.detectors import CUSUM, PageHinkley
    >>> from mlmon.scenarios import MeanShift
    >>> res = benchmark.run({"cusum": CUSUM(mean=0.0, std=1.0), "ph": PageHinkley()},
    ...                     {"shift": MeanShift(n_samples=1000, position=500, shift=2.0)},
    ...                     seeds=3, progress=False)
    >>> browser = BenchmarkBrowser(res)
    >>> browser.detectors.value = ("ph",)
    >>> browser.selected.summary()["detector"].tolist()
    ['ph']
    """

    def __init__(self, result: Any) -> None:
        from mlmon.benchmark import BenchmarkResult

        if not isinstance(result, BenchmarkResult):
            raise TypeError(f"BenchmarkBrowser: result must be a BenchmarkResult (from mlmon.benchmark.run), "
                            f"got {type(result).__name__}.")
        if not result.records:
            raise ValueError("BenchmarkBrowser: the result has no records to browse; run a benchmark with at "
                             "least one detector and scenario that can run together.")
        self.result = result
        dets = list(dict.fromkeys(r.detector for r in result.records))
        scens = list(dict.fromkeys(r.scenario for r in result.records))
        W = widgets
        rows = min(8, max(len(dets), len(scens)))
        self.detectors = W.SelectMultiple(options=dets, value=tuple(dets), description="detectors", rows=rows)
        self.scenarios = W.SelectMultiple(options=scens, value=tuple(scens), description="scenarios", rows=rows)
        self.delay_scenario = W.Dropdown(description="delays on")
        self.table = W.HTML()
        self.table.add_class("mlmon-benchmark-table")
        self.figure = image(10.0, 3.8)
        self.status = W.HTML()
        self.widget = W.VBox([W.HBox([self.detectors, self.scenarios, self.delay_scenario]),
                              self.table, self.figure, self.status])
        self.selected = result
        self._quiet = False
        self.refresh()
        self.detectors.observe(lambda _: self.refresh(), names="value")
        self.scenarios.observe(lambda _: self.refresh(), names="value")
        self.delay_scenario.observe(lambda _: self._draw(), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Filter by the selections and redraw the table and the figure."""
        if not self.detectors.value or not self.scenarios.value:
            self.selected = self.result.select(detectors=[], scenarios=[])
            self.table.value = "<i>select at least one detector and one scenario</i>"
            self.figure.value = b""
            return
        self.selected = self.result.select(detectors=self.detectors.value, scenarios=self.scenarios.value)
        summary = self.selected.summary()
        self.table.value = summary[_COLUMNS].to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                                     classes="mlmon-summary")
        with_drift = list(dict.fromkeys(summary.loc[summary["n_drifts"] > 0, "scenario"]))
        current = self.delay_scenario.value
        self._quiet = True
        try:
            self.delay_scenario.options = with_drift
            if with_drift:
                self.delay_scenario.value = current if current in with_drift else with_drift[0]
        finally:
            self._quiet = False
        self._draw()

    def _draw(self) -> None:
        if self._quiet:
            return
        from mlmon.viz import plot_delays

        summary = self.selected.summary()
        fig, (ax1, ax2) = new_figure(10.0, 3.8, ncols=2)
        if self.delay_scenario.value:
            plot_delays(self.selected, scenario=self.delay_scenario.value, ax=ax1)
        else:
            ax1.text(0.5, 0.5, "no selected scenario has drifts", ha="center", va="center", transform=ax1.transAxes)
            ax1.set_axis_off()
        drift = summary[summary["n_drifts"] > 0]
        for i, det in enumerate(dict.fromkeys(drift["detector"])):
            sub = drift[drift["detector"] == det]
            rate = np.asarray(sub["false_alarms_per_10k"], float)
            ax2.plot(np.maximum(rate, 1e-3), sub["detection_rate"], "o", color=f"C{i % 10}", label=det)
        ax2.set_xscale("log")
        ax2.set_xlabel("false alarms per 10k samples (log; 0 drawn at 0.001)")
        ax2.set_ylabel("detection rate")
        ax2.set_ylim(-0.03, 1.03)
        ax2.grid(True, which="both", alpha=0.25)
        if not drift.empty:
            ax2.legend(fontsize=7, frameon=False)
            ax2.set_title("each point: one detector on one scenario", fontsize=9)
        self.figure.value = png(fig)
        n = len(self.selected.records)
        scens = set(self.scenarios.value)
        skipped = [s for s in self.result.skipped if s.scenario in scens]
        self.status.value = f"{n} runs selected" + (
            f"; {len(skipped)} pair(s) skipped: "
            + "; ".join(html.escape(f"{s.detector} on {s.scenario}: {s.reason}") for s in skipped)
            if skipped else "")
