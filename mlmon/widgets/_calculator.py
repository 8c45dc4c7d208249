"""Sample size and power calculator for an A/B test."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from mlmon.widgets._common import image, new_figure, png, table, widgets

__all__ = ["SampleSizeCalculator"]


class SampleSizeCalculator:
    """How many users an A/B test needs, how long that takes, and its power curve.

    Choose the metric (a proportion, or a mean with its standard deviation), the baseline,
    the smallest effect that matters (absolute or relative), the significance level and power,
    the traffic split and the daily traffic. The readout gives the users per arm, the total
    and the days it takes, the power at that size; the figure shows power against the effect
    size for that sample, with the chosen effect marked. The arithmetic is
    :func:`mlmon.ab.sample_size` and :func:`mlmon.ab.power`.

    Parameters
    ----------
    kind
        ``"proportion"`` or ``"mean"`` to start with.
    baseline, mde, sd, alpha, power, ratio, daily_traffic
        Starting values of the controls.

    Attributes
    ----------
    kind, relative : ipywidgets.ToggleButtons / Checkbox
    baseline, mde, sd, alpha, power, ratio, daily_traffic : ipywidgets number controls
    readout : ipywidgets.HTML
    figure : ipywidgets.Image
    widget : ipywidgets.VBox
    result : mlmon.ab.SampleSize or None
        The last computed sample size (None when the inputs are invalid; the readout says why).

    Examples
    --------
    >>> calc = SampleSizeCalculator(baseline=0.10, mde=0.02)
    >>> calc.result.n_control
    3841
    >>> calc.mde.value = 0.01                      # half the effect: about four times the users
    >>> calc.result.n_control
    14751
    >>> calc.alpha.value = 1.5                     # invalid: the readout says so, nothing crashes
    >>> calc.result is None and "alpha" in calc.readout.value
    True
    """

    def __init__(self, *, kind: str = "proportion", baseline: float = 0.10, mde: float = 0.01,
                 sd: float = 1.0, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                 daily_traffic: int = 10_000) -> None:
        if kind not in ("proportion", "mean"):
            raise ValueError(f"SampleSizeCalculator: kind must be 'proportion' or 'mean', got {kind!r}.")
        W = widgets
        style = {"description_width": "150px"}
        self.kind = W.ToggleButtons(options=["proportion", "mean"], value=kind, description="metric", style=style)
        self.relative = W.Checkbox(value=False, description="effect relative to the baseline")
        self.baseline = W.FloatText(value=baseline, description="baseline", style=style)
        self.mde = W.FloatText(value=mde, description="minimum effect", style=style)
        self.sd = W.FloatText(value=sd, description="sd (means)", style=style, disabled=kind != "mean")
        self.alpha = W.FloatText(value=alpha, description="alpha (two-sided)", style=style)
        self.power = W.FloatText(value=power, description="power", style=style)
        self.ratio = W.FloatText(value=ratio, description="treatment / control", style=style)
        self.daily_traffic = W.IntText(value=daily_traffic, description="users per day", style=style)
        self.readout = W.HTML()
        self.readout.add_class("mlmon-calculator")
        self.figure = image(6.0, 3.6)
        controls = W.VBox([self.kind, self.relative, self.baseline, self.mde, self.sd, self.alpha, self.power,
                           self.ratio, self.daily_traffic])
        self.widget = W.HBox([controls, W.VBox([self.readout, self.figure])])
        self.result = None
        self.refresh()
        for c in (self.kind, self.relative, self.baseline, self.mde, self.sd, self.alpha, self.power, self.ratio,
                  self.daily_traffic):
            c.observe(lambda _: self.refresh(), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _inputs(self) -> dict[str, Any]:
        kind = self.kind.value
        return dict(baseline=float(self.baseline.value), mde=float(self.mde.value), alpha=float(self.alpha.value),
                    kind=kind, sd=float(self.sd.value) if kind == "mean" else None, relative=bool(self.relative.value))

    def refresh(self) -> None:
        """Recompute from the controls and redraw."""
        from mlmon.ab import power as power_at
        from mlmon.ab import sample_size

        self.sd.disabled = self.kind.value != "mean"
        kw = self._inputs()
        try:
            if int(self.daily_traffic.value) < 1:
                raise ValueError("users per day must be a positive integer.")
            result = sample_size(power=float(self.power.value), ratio=float(self.ratio.value), **kw)
        except (ValueError, TypeError) as err:
            self.result = None
            self.readout.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            self.figure.value = b""
            return
        self.result = result
        n_c, n_t = int(result.n_control), int(result.n_treatment)
        achieved = power_at(n_control=n_c, n_treatment=n_t, **kw)
        days = math.ceil((n_c + n_t) / int(self.daily_traffic.value))
        unit = "relative" if kw["relative"] else ("absolute" if self.kind.value == "proportion" else "units")
        rows = [("users per arm", f"<b>{n_c:,}</b> control, <b>{n_t:,}</b> treatment"),
                ("total", f"{n_c + n_t:,}"),
                ("days at this traffic", f"<b>{days:,}</b>"),
                ("power at that size", f"{achieved:.3f}"),
                ("effect", f"{kw['mde']:g} ({unit}) on a baseline of {kw['baseline']:g}")]
        self.readout.value = table(rows, "mlmon-calculator-table") + (
            "<div style='font-size:85%;color:#555'>a fixed-horizon test looked at once; a sequential design "
            "that may stop early needs a larger maximum (mlmon.ab.group_sequential)</div>")
        fig, ax = new_figure(6.0, 3.6)
        effects = np.linspace(kw["mde"] * 0.1, kw["mde"] * 2.5, 60) if kw["mde"] > 0 else \
            np.linspace(kw["mde"] * 2.5, kw["mde"] * 0.1, 60)
        curve = []
        for e in effects:
            try:
                curve.append(power_at(n_control=n_c, n_treatment=n_t, **{**kw, "mde": float(e)}))
            except ValueError:
                curve.append(np.nan)
        ax.plot(effects, curve, color="C0", lw=1.5, label=f"power with {n_c:,} + {n_t:,} users")
        ax.axvline(kw["mde"], color="C3", ls="--", lw=1, label=f"minimum effect {kw['mde']:g}")
        ax.axhline(float(self.power.value), color="0.4", ls=":", lw=1, label=f"target power {self.power.value:g}")
        ax.set_xlabel(f"true effect ({unit})")
        ax.set_ylabel("power")
        ax.set_ylim(0, 1.02)
        ax.grid(True, alpha=0.25)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        self.figure.value = png(fig)
