"""Scenario explorer: shape a drift with sliders, see the stream and which detectors fire."""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import numpy as np

from mlmon.widgets._common import fmt, image, named, new_figure, png, widgets

__all__ = ["ScenarioExplorer"]

# kind -> (scenario class name, magnitude field, slider range, default, what the magnitude means)
_KINDS: dict[str, tuple[str, str, tuple[float, float, float], float, str]] = {
    "mean shift": ("MeanShift", "shift", (-3.0, 3.0, 0.05), 1.0, "shift (sd)"),
    "variance shift": ("VarianceShift", "scale", (0.25, 4.0, 0.05), 2.0, "sd × scale"),
    "error-rate shift": ("ErrorRateShift", "p1", (0.0, 1.0, 0.01), 0.3, "error rate after"),
}


def _default_detectors() -> dict[str, Any]:
    from mlmon.detectors import ADWIN, DDM, KSWIN, PageHinkley

    return {"PageHinkley": PageHinkley(), "ADWIN": ADWIN(), "KSWIN": KSWIN(seed=0), "DDM": DDM()}


class ScenarioExplorer:
    """Pick a scenario kind, set its magnitude, position and width, and watch detectors on it.

    Each change generates the stream again (same ``seed``), runs every detector that can
    monitor its signal (:func:`mlmon.benchmark.mismatch` says which cannot, and why), and
    shows the stream with its true drift shaded and each detector's alarms: detections,
    redundant alarms and false alarms told apart, as in :func:`mlmon.viz.plot_stream`. The
    table gives, per detector, the alarms, the delay of detection and the false alarms.

    Detectors run with the thresholds they are given: pass calibrated ones
    (:func:`mlmon.tuning.calibrate`) to compare them at an equal false-alarm budget.

    Parameters
    ----------
    detectors
        A detector, a list, or ``{name: detector}``. Default: Page-Hinkley, ADWIN, KSWIN and
        DDM with their default parameters.
    n_samples
        Stream length.
    seed
        Initial seed of the stream (the ``seed`` control changes it).
    tolerance
        Detection tolerance, as in :mod:`mlmon.benchmark.metrics`.

    Attributes
    ----------
    kind, shape : ipywidgets.Dropdown
    magnitude : ipywidgets.FloatSlider
    position, width, seed : ipywidgets.IntSlider / IntText
    figure : ipywidgets.Image
    table : ipywidgets.HTML
    widget : ipywidgets.VBox
    scenario, stream, alarms
        The scenario shown, its stream, and ``{detector: alarm positions}``.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> ex = ScenarioExplorer({"CUSUM": CUSUM(mean=0.0, std=1.0, threshold=8.0)}, n_samples=2000)
    >>> ex.kind.value, type(ex.scenario).__name__
    ('mean shift', 'MeanShift')
    >>> ex.magnitude.value = 3.0
    >>> ex.alarms["CUSUM"][0] >= ex.position.value
    True
    >>> ex.kind.value = "variance shift"
    >>> ex.scenario.scale == ex.magnitude.value
    True
    """

    def __init__(self, detectors: Any = None, *, n_samples: int = 4000, seed: int = 0,
                 tolerance: int | None = None) -> None:
        owner = "ScenarioExplorer"
        self._detectors = _default_detectors() if detectors is None else named(detectors, "detectors", owner=owner)
        for name, det in self._detectors.items():
            if not hasattr(det, "run") or not hasattr(det, "clone"):
                raise TypeError(f"{owner}: detector {name!r} is a {type(det).__name__}, not an mlmon detector.")
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 100:
            raise ValueError(f"{owner}: n_samples must be an integer >= 100, got {n_samples!r}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"{owner}: seed must be a non-negative integer, got {seed!r}.")
        from mlmon.benchmark.metrics import _check_tolerance

        self.tolerance = _check_tolerance(tolerance)
        self.n_samples = int(n_samples)
        n = self.n_samples
        W = widgets
        self.kind = W.Dropdown(options=list(_KINDS), description="scenario")
        self.shape = W.Dropdown(options=["sudden", "gradual", "incremental"], description="shape")
        self.magnitude = W.FloatSlider(description="shift (sd)", continuous_update=False)
        self.position = W.IntSlider(value=n // 2, min=1, max=n - 2, step=max(1, n // 200), description="position",
                                    continuous_update=False)
        self.width = W.IntSlider(value=0, min=0, max=n // 2, step=max(1, n // 200), description="width",
                                 continuous_update=False, disabled=True)
        self.seed = W.IntText(value=int(seed), description="seed", layout=W.Layout(width="180px"))
        self.figure = image(10.0, 3.6)
        self.table = W.HTML()
        self.table.add_class("mlmon-explorer-table")
        self.status = W.HTML()
        self.widget = W.VBox([
            W.HBox([self.kind, self.shape, self.seed]),
            W.HBox([self.magnitude, self.position, self.width]),
            self.figure, self.table, self.status,
        ])
        self.scenario = self.stream = None
        self.alarms: dict[str, list[int]] = {}
        self._quiet = False
        self._set_kind()
        self.kind.observe(lambda _: self._set_kind(), names="value")
        self.shape.observe(lambda _: self._set_shape(), names="value")
        for control in (self.magnitude, self.position, self.width, self.seed):
            control.observe(lambda _: self.refresh(), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _set_kind(self) -> None:
        _, _, (lo, hi, step), default, label = _KINDS[self.kind.value]
        self._quiet = True
        try:
            self.magnitude.min, self.magnitude.max = -1e9, 1e9  # widen first: min may not pass max
            self.magnitude.min, self.magnitude.max, self.magnitude.step = lo, hi, step
            self.magnitude.value = default
            self.magnitude.description = label
        finally:
            self._quiet = False
        self.refresh()

    def _set_shape(self) -> None:
        sudden = self.shape.value == "sudden"
        self._quiet = True
        try:
            self.width.disabled = sudden
            if sudden:
                self.width.value = 0
            elif self.width.value == 0:
                self.width.value = self.n_samples // 10
        finally:
            self._quiet = False
        self.refresh()

    def _build(self) -> Any:
        from mlmon import scenarios as S

        cls_name, field, *_ = _KINDS[self.kind.value]
        cls = getattr(S, cls_name)
        n, position = self.n_samples, int(self.position.value)
        width = 0 if self.shape.value == "sudden" else int(self.width.value)
        if position + width > n - 1:  # keep the change inside the stream rather than refuse
            width = max(1, n - 1 - position) if width else 0
            position = min(position, n - 1 - width)
        return cls(n_samples=n, position=position, kind=self.shape.value, width=width,
                   **{field: float(self.magnitude.value)})

    def refresh(self) -> None:
        """Generate the stream for the current controls, run the detectors, redraw."""
        if self._quiet:
            return
        from mlmon.benchmark import mismatch
        from mlmon.benchmark import metrics as M
        from mlmon.viz import plot_stream

        try:
            scenario = self._build()
        except ValueError as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        if int(self.seed.value) < 0:
            self.status.value = "<span style='color:#b00'>seed must be >= 0.</span>"
            return
        stream = scenario.generate(seed=int(self.seed.value))
        alarms, rows = {}, []
        for name, det in self._detectors.items():
            why = mismatch(det, scenario)
            if why:
                rows.append((name, "–", "–", "–", html.escape(f"not run: {why}")))
                continue
            pos = [int(i) for i in det.clone().run(stream.signal).indices]
            alarms[name] = pos
            delays = M.detection_delays(alarms=pos, drifts=stream.drifts, tolerance=self.tolerance)
            delay = float(delays[0]) if delays.size else math.nan
            n_false = M.false_alarms(alarms=pos, drifts=stream.drifts, tolerance=self.tolerance)
            rows.append((name, str(len(pos)), "missed" if math.isnan(delay) else fmt(delay), str(n_false), ""))
        self.scenario, self.stream, self.alarms = scenario, stream, alarms
        fig, ax = new_figure(10.0, 3.6)
        plot_stream(stream, alarms, tolerance=self.tolerance, ax=ax)
        params = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(scenario).items() if k != "n_samples")
        fig.suptitle(f"{type(scenario).__name__}({params}), seed {int(self.seed.value)}", fontsize=9)
        self.figure.value = png(fig)
        head = "".join(f"<th style='padding:0 0.8em'>{h}</th>" for h in
                       ("detector", "alarms", "detection delay", "false alarms", ""))
        body = "".join("<tr>" + "".join(f"<td style='padding:0 0.8em'>{html.escape(c) if i < 4 else c}</td>"
                                        for i, c in enumerate(r)) + "</tr>" for r in rows)
        self.table.value = f"<table><tr>{head}</tr>{body}</table>"
        self.status.value = ""
