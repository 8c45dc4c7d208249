"""Policy ranking: change the label delay, the retrain cost and a trigger's threshold, see the ranking move."""

from __future__ import annotations

import copy
import html
import math
from typing import Any, Mapping, Sequence

import numpy as np

from mlmon.widgets._common import image, new_figure, png, widgets

__all__ = ["PolicyRanking"]


class PolicyRanking:
    """Rank retraining policies by total cost while you change what drives it.

    Three controls: the label delay (replays again: late labels delay every error-driven
    trigger), the cost of one retrain (reprices the replays already run: instant), and the
    threshold of one drift-triggered policy's detector (replays again). Every replay is
    cached, so going back to a setting is instant too. The table ranks the policies by
    total cost, with accuracy, retrains, labels and the cost parts; the figure is
    :func:`mlmon.viz.plot_policy_tradeoff`.

    Parameters
    ----------
    X, y
        The stream (see :func:`mlmon.retraining.replay`; a Stream as ``X`` with ``y=None``).
    policies
        ``{name: policy}``.
    model
        The model every policy serves.
    cost
        The :class:`~mlmon.retraining.CostModel`; its ``retrain`` price is the slider's start.
    label_delays
        The label delays the slider offers (the first is the start).
    tune
        Name of the :class:`~mlmon.retraining.DriftTriggered` policy whose detector threshold
        the threshold slider sets (default: the first such policy; None when there is none).
    thresholds
        The threshold values the slider offers (default: the detector's own value times
        0.5, 0.75, 1, 1.5, 2).
    oracle, random_control, **replay_kw
        Passed to :func:`mlmon.retraining.compare`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlmon.detectors import DDM
    >>> from mlmon.retraining import CostModel, DriftTriggered, Never, Periodic
    >>> from mlmon.scenarios import Drift
    >>> X = np.random.default_rng(0).normal(size=(3000, 2)); y = (X[:, 0] > 0).astype(int)
    >>> y[1500:] = 1 - y[1500:]
    >>> app = PolicyRanking(X, y, policies={"never": Never(), "every 500": Periodic(every=500),
    ...                                     "ddm": DriftTriggered(DDM(), wait=200)},
    ...                     model=LogisticRegression(), cost=CostModel(retrain=10, error=1),
    ...                     label_delays=[0, 100], drifts=[Drift(start=1500, end=1500, kind="sudden")],
    ...                     oracle=False)
    >>> app.ranking()[0] != "never"          # cheap retrains: retraining pays after the flip
    True
    >>> app.retrain_cost.value = 1000.0     # retrains become dear: never retraining wins
    >>> app.ranking()[0]
    'never'
    """

    def __init__(self, X: Any, y: Any = None, *, policies: Mapping[str, Any], model: Any, cost: Any,
                 label_delays: Sequence[int] = (0, 50, 200, 500), tune: str | None = "auto",
                 thresholds: Sequence[float] | None = None, oracle: bool = True,
                 random_control: bool = True, **replay_kw: Any) -> None:
        from mlmon.retraining import CostModel, DriftTriggered

        owner = "PolicyRanking"
        if not isinstance(policies, Mapping) or not policies:
            raise ValueError(f"{owner}: policies must be a non-empty {{name: policy}} dict.")
        if not isinstance(cost, CostModel):
            raise TypeError(f"{owner}: cost must be an mlmon.retraining.CostModel, got {type(cost).__name__}.")
        delays = list(label_delays)
        if not delays or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 for d in delays):
            raise ValueError(f"{owner}: label_delays must be a non-empty list of integers >= 0, got {label_delays!r}.")
        for k in ("label_delay", "cost", "policies"):
            if k in replay_kw:
                raise ValueError(f"{owner}: {k} is set by the app; remove it from the keyword arguments.")
        triggered = [n for n, p in policies.items() if isinstance(p, DriftTriggered)]
        if tune == "auto":
            tune = triggered[0] if triggered else None
        if tune is not None and tune not in triggered:
            raise ValueError(f"{owner}: tune={tune!r} must name a DriftTriggered policy; they are {triggered}.")
        self.tune = tune
        if tune is not None:
            det = policies[tune].detector
            base = float(getattr(det, det.threshold_param))
            values = [base * f for f in (0.5, 0.75, 1.0, 1.5, 2.0)] if thresholds is None else list(thresholds)
            if not values or any(not (isinstance(v, (int, float)) and math.isfinite(v)) for v in values):
                raise ValueError(f"{owner}: thresholds must be finite numbers, got {thresholds!r}.")
        else:
            values = []
        self._X, self._y, self._policies, self._model = X, y, dict(policies), model
        self._cost, self._kw = cost, dict(replay_kw, oracle=oracle, random_control=random_control)
        self._cache: dict[tuple[int, float | None], Any] = {}

        W = widgets
        self.label_delay = W.SelectionSlider(options=delays, value=delays[0], description="label delay",
                                             continuous_update=False)
        self.retrain_cost = W.FloatLogSlider(value=max(cost.retrain, 1e-3), base=10, min=-3, max=6, step=0.1,
                                             description="retrain cost", continuous_update=False)
        self.threshold = W.SelectionSlider(options=[(f"{v:.4g}", v) for v in values] or [("-", None)],
                                           description="threshold", continuous_update=False, disabled=tune is None)
        if tune is not None:
            self.threshold.value = min(values, key=lambda v: abs(v - base))
            self.threshold.description = f"{tune}: {policies[tune].detector.threshold_param}"
        self.table = W.HTML()
        self.table.add_class("mlmon-ranking-table")
        self.figure = image(6.5, 4.5)
        self.status = W.HTML()
        self.widget = W.VBox([W.HBox([self.label_delay, self.retrain_cost, self.threshold]),
                              W.HBox([self.table, self.figure]), self.status])
        self.refresh()
        for control in (self.label_delay, self.retrain_cost, self.threshold):
            control.observe(lambda _: self.refresh(), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def cost(self) -> Any:
        """The cost model with the slider's retrain price."""
        import dataclasses

        return dataclasses.replace(self._cost, retrain=float(self.retrain_cost.value))

    @property
    def comparison(self) -> Any:
        """The :class:`~mlmon.retraining.Comparison` for the current delay and threshold, priced at :attr:`cost`."""
        from mlmon.retraining import Comparison, compare

        key = (int(self.label_delay.value), self.threshold.value)
        if key not in self._cache:
            policies = dict(self._policies)
            if self.tune is not None:
                p = copy.deepcopy(policies[self.tune])  # every other setting kept as given
                p.detector = p.detector.clone(**{p.detector.threshold_param: float(self.threshold.value)})
                policies[self.tune] = p
            self._cache[key] = compare(self._X, self._y, policies=policies, model=self._model,
                                       label_delay=key[0], cost=self._cost, **self._kw)
        c = self._cache[key]
        cost = self.cost
        return Comparison(results=dict(c.results), scores={n: s.with_cost(cost) for n, s in c.scores.items()},
                          controls=dict(c.controls), oracle=c.oracle, cost=cost)

    def ranking(self) -> list[str]:
        """Policy names, lowest total cost first (the oracle left out)."""
        return self.comparison.ranking(by="total_cost")

    def refresh(self) -> None:
        """Replay or reprice for the current controls and redraw."""
        from mlmon.viz import plot_policy_tradeoff

        try:
            cmp = self.comparison
        except (ValueError, TypeError) as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        frame = cmp.to_frame().set_index("policy")
        order = cmp.ranking(by="total_cost", include_oracle=True)
        cols = ["accuracy" if frame["loss_name"].iloc[0] == "zero_one" else "mean_loss", "retrains",
                "labels_used", "cost_retrains", "cost_labels", "cost_errors", "total_cost", "regret"]
        shown = frame.loc[order, [c for c in cols if c in frame.columns]]
        shown.insert(0, "rank", range(1, len(shown) + 1))
        self.table.value = shown.to_html(float_format=lambda v: f"{v:,.4g}")
        fig, ax = new_figure(6.5, 4.5)
        plot_policy_tradeoff(cmp, ax=ax)
        self.figure.value = png(fig)
        self.status.value = (f"label delay {self.label_delay.value}, retrain cost {self.retrain_cost.value:,.4g}"
                             + (f", {self.threshold.description} = {self.threshold.value:.4g}" if self.tune else "")
                             + f"; best: <b>{html.escape(self.ranking()[0])}</b>")
