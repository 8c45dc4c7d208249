"""Figures of retraining replays: accuracy over time with each policy's retrains."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from mlmon.viz._figures import _axes, draw_drifts


def plot_replays(results: Mapping[str, Any], *, window: int = 500, ax: Any = None) -> Any:
    """Rolling accuracy (or loss) over time, one line per policy, with its retrains marked.

    True drifts are shaded; a triangle on a policy's line marks each retrain decision and a
    short vertical tick the moment the retrained model started serving (after the deployment
    lag).

    Parameters
    ----------
    results
        Policy name -> :class:`mlmon.retraining.ReplayResult`, all replays of the same stream.
    window
        Samples in the rolling mean.
    ax
        Axes to draw on; a new figure when None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlmon.retraining import Periodic, Never, replay
    >>> X = np.random.default_rng(0).normal(size=(3000, 2)); y = (X[:, 0] > 0).astype(int)
    >>> y[1500:] = 1 - y[1500:]
    >>> res = {name: replay(X, y, model=LogisticRegression(), policy=p)
    ...        for name, p in {"never": Never(), "every 500": Periodic(every=500)}.items()}
    >>> ax = plot_replays(res, window=200)
    >>> ax.get_ylabel(), len(ax.get_lines()) >= 2
    ('accuracy (rolling mean of 200)', True)
    """
    if not results:
        raise ValueError("plot_replays: results is empty; give {policy name: ReplayResult}.")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"plot_replays: window must be a positive integer, got {window!r}.")
    ax = _axes(ax, (10, 4.0))
    first = next(iter(results.values()))
    zero_one = first.loss_name == "zero_one"
    draw_drifts(ax, first.drifts, n_samples=first.n_samples, alpha=0.2)
    for i, (name, res) in enumerate(results.items()):
        if res.n_samples != first.n_samples:
            raise ValueError(f"plot_replays: {name!r} replayed {res.n_samples} samples, the first result "
                             f"{first.n_samples}; give replays of the same stream.")
        color = f"C{i % 10}"
        t = np.flatnonzero(res.served)
        roll = res.rolling_loss(window)
        y = 1.0 - roll if zero_one else roll
        ax.plot(t, y, lw=1.2, color=color, label=f"{name} ({len(res.retrains)} retrains)")
        if res.retrains:
            at = np.searchsorted(t, res.retrains)
            at = np.clip(at, 0, t.size - 1)
            ax.plot(np.asarray(res.retrains), y[at], "v", color=color, ms=7, mec="k", mew=0.5, ls="none")
        for dep in res.deployments:
            ax.axvline(dep, ymin=0, ymax=0.04, color=color, lw=1.5)
    ax.set_xlim(0, first.n_samples)
    ax.set_xlabel("sample (time)")
    ax.set_ylabel(f"{'accuracy' if zero_one else 'mean ' + first.loss_name + ' loss'} (rolling mean of {window})")
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=8, frameon=False, loc="lower left", ncol=2)
    ax.set_title("▼ retrain decided   | new model serving", fontsize=8, loc="right")
    return ax


def plot_policy_tradeoff(comparison: Any, *, ax: Any = None) -> Any:
    """Each policy's total cost against its accuracy (or loss), with random controls linked.

    One point per policy of a :class:`mlmon.retraining.Comparison` (it needs a cost model),
    labelled with its name and number of retrains; a dashed line joins each drift- or
    performance-triggered policy to its matched random control, so whether the trigger's
    timing pays shows at a glance. The oracle, when present, is a star: the bound.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlmon.retraining import CostModel, Never, Periodic, compare
    >>> X = np.random.default_rng(0).normal(size=(2000, 2)); y = (X[:, 0] > 0).astype(int)
    >>> cmp = compare(X, y, policies={"never": Never(), "every 500": Periodic(every=500)},
    ...               model=LogisticRegression(), oracle=False, cost=CostModel(retrain=50, error=1))
    >>> ax = plot_policy_tradeoff(cmp)
    >>> ax.get_xlabel()
    'total cost (retrains + labels + errors)'
    """
    frame = comparison.to_frame()
    if frame.empty:
        raise ValueError("plot_policy_tradeoff: the comparison holds no policy.")
    if frame["total_cost"].isna().all():
        raise ValueError("plot_policy_tradeoff: the comparison has no cost model; pass cost=CostModel(...) to "
                         "compare, or reprice its scores.")
    ax = _axes(ax, (6.5, 4.5))
    zero_one = frame["loss_name"].iloc[0] == "zero_one"
    yname = "accuracy" if zero_one else "mean_loss"
    pos, labels = {}, {}
    for i, row in enumerate(frame.itertuples(index=False)):
        x, y = row.total_cost, getattr(row, yname)
        pos[row.policy] = (x, y)
        is_oracle = row.policy == comparison.oracle
        is_control = row.control_of is not None and row.control_of == row.control_of
        style = dict(marker="*" if is_oracle else ("s" if is_control else "o"), ms=13 if is_oracle else 8,
                     color="0.3" if is_control else f"C{i % 10}", mec="k", mew=0.5, ls="none")
        ax.plot([x], [y], **style)
        labels.setdefault((round(float(x), 9), round(float(y), 9)), []).append(f"{row.policy} ({row.retrains})")
    for (x, y), names in labels.items():  # policies that did the same thing share one label
        ax.annotate(" = ".join(names), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    for control, target in comparison.controls.items():
        if control in pos and target in pos:
            (x0, y0), (x1, y1) = pos[target], pos[control]
            ax.plot([x0, x1], [y0, y1], ls="--", color="0.5", lw=1)
    ax.set_xlabel("total cost (retrains + labels + errors)")
    ax.set_ylabel("accuracy" if zero_one else f"mean {frame['loss_name'].iloc[0]} loss")
    ax.grid(True, alpha=0.25)
    ax.set_title("○ policy  □ random control (dashed: matched)  ★ oracle   (n) retrains", fontsize=8)
    return ax
