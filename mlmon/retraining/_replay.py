"""Replay a labelled stream through a deployed model under a retraining policy."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlmon.retraining._models import as_model
from mlmon.retraining._policies import Context, Policy

__all__ = ["Decision", "ReplayResult", "replay"]

_BLOCK = 512  # rows a batch model predicts at once while it serves


@dataclass(frozen=True)
class Decision:
    """One entry of a replay's decision log.

    Attributes
    ----------
    t
        Time (sample index) of the decision.
    action
        ``"retrain"`` (accepted; the new model serves from ``deploy_at``), ``"deployed"``,
        ``"refused"`` (by the cooldown or the cap), or a policy's own event (e.g.
        ``"review opened"``).
    reason
        In words.
    deploy_at
        For ``"retrain"``: the first sample the new model serves (or None past the stream's end).
    """

    t: int
    action: str
    reason: str
    deploy_at: int | None = None


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """Everything a replay did, sample by sample, and its decision log.

    Arrays have one entry per sample; samples before ``warmup`` trained the first model and
    carry no prediction (``served`` is False).

    Attributes
    ----------
    policy, policy_params, model
        What was replayed.
    y, prediction, loss
        Truth, the served prediction, and its loss (0/1 error for classification).
    version
        The model version that served each sample (0: the warm-up model; -1 during warm-up).
    label_arrival
        When each sample's label arrived (-1: never, by the label budget or the stream's end).
    decisions
        The decision log, in time order.
    retrains, deployments
        Times of accepted retrain decisions, and when each new model started serving.
    labels_used
        Labels that arrived during the replay (each was available to the policy and the model).
    fit_seconds
        Time spent training the warm-up model and every retrain (an online model's learning
        from each arriving label is part of serving and not counted here).
    drifts, warmup, label_delay, label_budget, deployment_lag, loss_name, seed, elapsed
        The stream's ground truth and the replay's settings.
    """

    policy: str
    policy_params: dict[str, Any]
    model: str
    y: np.ndarray
    prediction: np.ndarray
    loss: np.ndarray
    version: np.ndarray
    label_arrival: np.ndarray
    decisions: tuple[Decision, ...]
    retrains: tuple[int, ...]
    deployments: tuple[int, ...]
    labels_used: int
    fit_seconds: float
    drifts: tuple[Any, ...]
    warmup: int
    label_delay: int
    label_budget: float
    deployment_lag: int
    loss_name: str
    seed: int | None
    elapsed: float = field(default=math.nan)

    def __post_init__(self) -> None:
        for name in ("y", "prediction", "loss", "version", "label_arrival"):
            arr = np.array(getattr(self, name), copy=True)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def n_samples(self) -> int:
        return int(self.y.shape[0])

    @property
    def served(self) -> np.ndarray:
        """Samples with a served prediction (after the warm-up)."""
        return self.version >= 0

    @property
    def mean_loss(self) -> float:
        """Mean loss over the served samples (error rate for classification)."""
        return float(self.loss[self.served].mean())

    def rolling_loss(self, window: int = 500) -> np.ndarray:
        """Mean loss over the last ``window`` served samples, at each served sample.

        Examples
        --------
        >>> import numpy as np
        >>> from river import linear_model
        >>> X = np.random.default_rng(0).normal(size=(600, 2)); y = (X[:, 0] > 0).astype(int)
        >>> res = replay(X, y, model=linear_model.LogisticRegression(), warmup=100)
        >>> res.rolling_loss(100).shape
        (500,)
        """
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"window must be a positive integer, got {window!r}.")
        x = self.loss[self.served].astype(float)
        c = np.concatenate([[0.0], np.cumsum(x)])
        i = np.arange(1, x.size + 1)
        lo = np.maximum(i - window, 0)
        return (c[i] - c[lo]) / (i - lo)

    def to_frame(self):
        """One row per sample: time, truth, prediction, loss, version, label arrival."""
        import pandas as pd

        return pd.DataFrame({"t": np.arange(self.n_samples), "y": self.y, "prediction": self.prediction,
                             "loss": self.loss, "version": self.version, "label_arrival": self.label_arrival})

    def decisions_frame(self):
        """The decision log as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([vars(d) if not hasattr(d, "__dataclass_fields__") else
                             {k: getattr(d, k) for k in d.__dataclass_fields__} for d in self.decisions],
                            columns=["t", "action", "reason", "deploy_at"])

    def __repr__(self) -> str:
        return (f"ReplayResult({self.policy}: {self.n_samples} samples, mean loss {self.mean_loss:.4f}, "
                f"{len(self.retrains)} retrains, {self.labels_used} labels)")


def _loss_fn(name: str):
    if name == "zero_one":
        return lambda p, y: float(p != y)
    if name == "absolute":
        return lambda p, y: abs(float(p) - float(y))
    return lambda p, y: (float(p) - float(y)) ** 2


def replay(
    X: Any,
    y: Any,
    *,
    model: Any,
    policy: Policy | None = None,
    warmup: int = 500,
    window: int | None = 1000,
    label_delay: int = 0,
    label_budget: float = 1.0,
    deployment_lag: int = 0,
    loss: Literal["auto", "zero_one", "absolute", "squared"] = "auto",
    drifts: Any = (),
    seed: int | None = 0,
    target: str | None = None,
) -> ReplayResult:
    """Serve a labelled stream with a model, let a policy decide when to retrain, and record all of it.

    At each time ``t`` after the warm-up, in this order: a retrained model whose deployment
    is due starts serving; the serving model predicts sample ``t``; the policy sees the
    sample and the prediction; the labels due at ``t`` arrive (an online model learns them,
    the policy sees each one's loss); if the policy asked for a retrain (and its cooldown
    and cap allow it), a new model is trained on the labelled samples that have arrived by
    ``t`` and serves from ``t + 1 + deployment_lag``. The label of sample ``s`` arrives at
    ``s + label_delay``, if ``s`` is among the ``label_budget`` share drawn to be labelled.
    So no label is used before it arrives, and no model sees a sample before it is served.

    Parameters
    ----------
    X, y
        Features (2-D array or DataFrame of numbers) and labels, one row per time step; or
        pass a :class:`mlmon.scenarios.Stream` with ``X`` and ``y`` as ``X`` (and omit ``y``
        by passing None): its drifts are then used as the ground truth.
    model
        A river estimator, a scikit-learn estimator or an :class:`~mlmon.retraining.Model`
        (copied; the caller's object is never trained).
    policy
        When to retrain (default :class:`~mlmon.retraining.Never`).
    warmup
        The first ``warmup`` samples, all labelled, train the first model; serving starts after.
    window
        A retrain trains on the last ``window`` labelled samples (None: all of them), or on
        those from the policy's ``since`` on.
    label_delay
        Samples between a prediction and its label's arrival.
    label_budget
        Share of served samples that get a label (drawn with ``seed``).
    deployment_lag
        Samples between a retrain decision and the new model serving (training and rollout).
    loss
        ``"zero_one"`` (classification), ``"absolute"`` or ``"squared"`` (regression);
        ``"auto"`` picks zero-one for integer, boolean or string labels.
    drifts
        The stream's true drifts (for the oracle, the human reviewer, and scoring).
    seed
        Seeds the label budget's draw and the policy's randomness.
    target
        With ``y=None`` and a DataFrame ``X`` (or a Stream whose ``X`` is one, such as
        :class:`~mlmon.scenarios.InjectedShift`'s), the column holding the labels; the
        other columns are the features.

    Returns
    -------
    ReplayResult

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> from mlmon.retraining import Periodic, replay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 2)); y = (X[:, 0] > 0).astype(int)
    >>> y[1500:] = 1 - y[1500:]                                  # the concept flips at 1500
    >>> res = replay(X, y, model=linear_model.LogisticRegression(), policy=Periodic(every=500),
    ...              label_delay=10)
    >>> res.retrains
    (1000, 1500, 2000, 2500)
    >>> int(res.label_arrival[600]), int(res.version[1000]), int(res.version[1001])
    (610, 0, 1)
    """
    from mlmon.retraining._policies import Never

    t_start = time.perf_counter()
    if hasattr(X, "signal") and hasattr(X, "drifts"):  # a Stream
        stream = X
        if y is not None:
            raise ValueError("replay: pass a Stream as X with y=None (its labels are stream.y, or target=).")
        if stream.X is None or (stream.y is None and target is None):
            raise ValueError(f"replay: this stream ({stream.meta.get('scenario', 'scenario')}) has no labels: pass "
                             "target=<label column> when its X is a DataFrame holding them (InjectedShift, "
                             "PipelineFault), or use a scenario with labels (RiverConceptDrift, LabelShift).")
        X, y, drifts = stream.X, (stream.y if target is None else None), (drifts or stream.drifts)
    if target is not None:
        if y is not None:
            raise ValueError("replay: give the labels either as y or as target=<column of X>, not both.")
        if not hasattr(X, "columns") or target not in X.columns:
            raise ValueError(f"replay: target={target!r} must name a column of a DataFrame X"
                             + (f"; its columns are {list(X.columns)}" if hasattr(X, "columns") else "") + ".")
        X, y = X.drop(columns=[target]), X[target].to_numpy()
    if y is None:
        raise ValueError("replay: y is required (the labels), unless X is a Stream with labels or target= names "
                         "the label column of a DataFrame X.")
    Xa = _features(X)
    ya = np.asarray(y)
    n = Xa.shape[0]
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"replay: y must be 1-D with one label per row of X ({n}), got shape {ya.shape}.")
    for name, value, low in (("warmup", warmup, 1), ("label_delay", label_delay, 0), ("deployment_lag", deployment_lag, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"replay: {name} must be an integer >= {low}, got {value!r}.")
    if warmup >= n:
        raise ValueError(f"replay: warmup={warmup} leaves nothing to serve in a stream of {n} samples; lower it.")
    if label_delay >= n - warmup:
        raise ValueError(f"replay: label_delay={label_delay} is longer than the {n - warmup} served samples, so no "
                         "label would ever arrive; lower it or use a longer stream.")
    if not (isinstance(label_budget, (int, float)) and 0 < label_budget <= 1):
        raise ValueError(f"replay: label_budget must be a share in (0, 1], got {label_budget!r}; a policy needs "
                         "some labels (for no labels at all, retrain on features with DriftTriggered(signal='feature') "
                         "and still give the retrain some labels).")
    if window is not None and (isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1):
        raise ValueError(f"replay: window must be a positive integer or None, got {window!r}.")
    if loss == "auto":
        loss = "zero_one" if ya.dtype.kind in "biuOUS" else "absolute"
    if loss not in ("zero_one", "absolute", "squared"):
        raise ValueError(f"replay: loss must be 'auto', 'zero_one', 'absolute' or 'squared', got {loss!r}.")
    policy = copy.deepcopy(policy if policy is not None else Never())
    if not isinstance(policy, Policy):
        raise TypeError(f"replay: policy must be an mlmon.retraining policy (Never, Periodic, DriftTriggered, ...), "
                        f"got {type(policy).__name__}.")
    drifts = tuple(drifts or ())
    root = np.random.SeedSequence(seed)
    budget_seq, policy_seq = root.spawn(2)

    # when each label arrives
    labelled = np.random.default_rng(budget_seq).random(n) < label_budget
    arrival = np.where(labelled, np.arange(n) + label_delay, -1)
    arrival[:warmup] = np.arange(warmup)  # the warm-up is labelled
    arrival[arrival >= n] = -1
    due: dict[int, list[int]] = {}
    for s in np.flatnonzero(arrival >= warmup).tolist():
        if s >= warmup:
            due.setdefault(int(arrival[s]), []).append(s)

    base = as_model(model)
    t0 = time.perf_counter()
    serving = base.retrain(Xa[:warmup], ya[:warmup])
    fit_seconds = time.perf_counter() - t0

    loss_of = _loss_fn(loss)
    zero_one = loss == "zero_one"
    ylist = ya.tolist()
    preds: list[Any] = [None] * n
    losses = [0.0] * n
    current, pending = 0, []  # pending: (deploy_at, model)
    next_deploy = n
    decisions: list[Decision] = []
    retrains: list[int] = []
    deployments: list[int] = []
    arrived: list[int] = list(range(warmup))
    last_retrain = -10**18
    recent: list[int] = []
    policy.start(Context(n_samples=n, warmup=warmup, label_delay=label_delay, drifts=drifts, seed=policy_seq))
    watch_samples, watch_labels = policy.watches_samples, policy.watches_labels
    events = policy.events
    online = base.online
    rows = serving._rows(Xa) if online else None
    predict_one = learn_one = None
    block_lo = block_hi = 0
    block: Any = None

    for t in range(warmup, n):
        if t == next_deploy:
            _, serving = pending.pop(0)
            next_deploy = pending[0][0] if pending else n
            current += 1
            deployments.append(t)
            decisions.append(Decision(t, "deployed", f"model version {current} serves"))
            block_hi = block_lo  # invalidate the batch predictions
            predict_one = None
        if online:
            if predict_one is None:
                predict_one, learn_one = serving.predict_one, serving.learn_one
            p = predict_one(rows[t])
        else:
            if not block_lo <= t < block_hi:
                block_lo, block_hi = t, min(n, t + _BLOCK)
                block = serving.predict(Xa[block_lo:block_hi]).tolist()
            p = block[t - block_lo]
        preds[t] = p
        losses[t] = (0.0 if p == ylist[t] else 1.0) if zero_one else loss_of(p, ylist[t])
        request = policy.on_sample(t, Xa[t], p) if watch_samples else None
        arrivals = due.get(t)
        if arrivals:
            for s in arrivals:
                arrived.append(s)
                if online:
                    learn_one(rows[s], ylist[s])
                if watch_labels:
                    r = policy.on_label(t, s, losses[s])
                    request = request or r
        if events:
            decisions.extend(Decision(*e) for e in events)
            events.clear()
        if request is None:
            continue
        refused = _gate(policy, t, last_retrain, recent)
        if refused:
            decisions.append(Decision(t, "refused", f"{request.reason} ({refused})"))
            continue
        idx = np.asarray(arrived if request.since is None else [s for s in arrived if s >= request.since])
        if window is not None:
            idx = idx[-window:]
        if idx.size == 0:
            decisions.append(Decision(t, "refused", f"{request.reason} (no labelled sample to train on yet)"))
            continue
        t0 = time.perf_counter()
        new = base.retrain(Xa[idx], ya[idx])
        fit_seconds += time.perf_counter() - t0
        deploy_at = t + 1 + deployment_lag
        retrains.append(t)
        last_retrain = t
        recent.append(t)
        policy.on_retrain(t)
        decisions.append(Decision(t, "retrain", f"{request.reason}; trained on {idx.size} labelled samples "
                                                f"({int(idx[0])}..{int(idx[-1])})",
                                  deploy_at if deploy_at < n else None))
        if deploy_at < n:
            pending.append((deploy_at, new))
            next_deploy = pending[0][0]
    version = np.full(n, -1, dtype=np.int64)
    version[warmup:] = np.searchsorted(np.asarray(deployments, dtype=np.int64), np.arange(warmup, n), side="right")
    try:
        pred_arr = np.asarray(preds[warmup:], dtype=ya.dtype)
        fill = np.full(warmup, np.nan if ya.dtype.kind == "f" else ya[0], dtype=ya.dtype)
        pred_arr = np.concatenate([fill, pred_arr])
    except (TypeError, ValueError):
        pred_arr = np.asarray(preds, dtype=object)
    losses = np.asarray(losses)
    return ReplayResult(
        policy=type(policy).__name__, policy_params=policy.params(), model=_model_name(model),
        y=ya, prediction=pred_arr, loss=losses, version=version, label_arrival=arrival,
        decisions=tuple(decisions), retrains=tuple(retrains), deployments=tuple(deployments),
        labels_used=int(np.sum((arrival >= warmup) & (np.arange(n) >= warmup))), fit_seconds=float(fit_seconds),
        drifts=drifts, warmup=int(warmup), label_delay=int(label_delay), label_budget=float(label_budget),
        deployment_lag=int(deployment_lag), loss_name=loss, seed=seed, elapsed=time.perf_counter() - t_start)


def _gate(policy: Policy, t: int, last: int, recent: list[int]) -> str | None:
    if policy.cooldown and t - last < policy.cooldown:
        return f"cooldown: {t - last} of {policy.cooldown} samples since the last retrain"
    if policy.max_retrains is not None:
        while recent and recent[0] <= t - policy.period:
            recent.pop(0)
        if len(recent) >= policy.max_retrains:
            return f"cap: {len(recent)} retrains in the last {policy.period} samples"
    return None


def _features(X: Any) -> np.ndarray:
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        bad = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
        if bad:
            raise ValueError(f"replay: X has non-numeric columns {bad}; encode them (e.g. one-hot) first.")
        X = X.to_numpy(dtype=float)
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"replay: X must be 2-D (samples x features), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("replay: X holds NaN or infinite values; impute them first.")
    return arr


def _model_name(model: Any) -> str:
    inner = getattr(model, "estimator", model)
    return type(inner).__name__
