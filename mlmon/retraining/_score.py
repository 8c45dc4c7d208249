"""Score a replay: loss, retrains, labels, compute, regret against the oracle, and a cost model."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any

import annotated_types as at
import numpy as np

from mlmon._validation import validate_params
from mlmon.retraining._replay import ReplayResult

__all__ = ["CostBreakdown", "CostModel", "PolicyScore", "regret_curve", "score"]


@dataclass(frozen=True)
class CostBreakdown:
    """A policy's total cost and its parts, in the cost model's unit.

    Attributes
    ----------
    retrains, labels, errors
        Cost of the retrains, of the labels used, and of the errors (or loss) made.
    total
        Their sum.
    """

    retrains: float
    labels: float
    errors: float
    total: float


@dataclass(frozen=True)
class CostModel:
    """What a retrain, a label and an error cost, in one unit of your choice.

    A policy's total cost is ``retrain * retrains + label * labels_used + error * errors``,
    where ``errors`` is the summed loss over the served samples: the number of wrong
    predictions for classification (zero-one loss), the summed absolute or squared error for
    regression (then ``error`` is the cost per unit of loss).

    Parameters
    ----------
    retrain
        Cost of one retrain (compute, validation, rollout), counted when it is decided.
    label
        Cost of one label that arrived during the replay (the warm-up's labels are not counted:
        every policy pays them alike).
    error
        Cost of one error (one unit of loss) on a served sample.

    Examples
    --------
    >>> cost = CostModel(retrain=50.0, label=0.1, error=1.0)
    >>> parts = cost.breakdown(retrains=2, labels_used=1000, errors=120)
    >>> parts.retrains, parts.labels, parts.errors, parts.total
    (100.0, 100.0, 120.0, 320.0)
    """

    retrain: Annotated[float, at.Ge(0)] = 0.0
    label: Annotated[float, at.Ge(0)] = 0.0
    error: Annotated[float, at.Ge(0)] = 0.0

    def __post_init__(self) -> None:
        validate_params(self)
        for f in fields(self):
            object.__setattr__(self, f.name, float(getattr(self, f.name)))

    def breakdown(self, result: ReplayResult | PolicyScore | None = None, *, retrains: int | None = None,
                  labels_used: int | None = None, errors: float | None = None) -> CostBreakdown:
        """The cost of a replay (or a score), part by part; or of counts given directly.

        Parameters
        ----------
        result
            A :class:`~mlmon.retraining.ReplayResult` or a :class:`PolicyScore`.
        retrains, labels_used, errors
            The counts themselves, instead of ``result`` (all three).

        Examples
        --------
        >>> CostModel(retrain=10.0).breakdown(retrains=3, labels_used=0, errors=0).total
        30.0
        """
        given = (retrains, labels_used, errors)
        if result is not None:
            if any(v is not None for v in given):
                raise TypeError("CostModel.breakdown: pass either a result or the counts (retrains, labels_used, "
                                "errors), not both.")
            retrains, labels_used, errors = _counts(result)
        elif any(v is None for v in given):
            raise TypeError("CostModel.breakdown: pass a ReplayResult or PolicyScore, or all three counts "
                            "retrains=, labels_used= and errors=.")
        for name, v in (("retrains", retrains), ("labels_used", labels_used), ("errors", errors)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v >= 0 \
                    or not math.isfinite(v):
                raise ValueError(f"CostModel.breakdown: {name} must be a finite number >= 0, got {v!r}.")
        parts = (self.retrain * float(retrains), self.label * float(labels_used), self.error * float(errors))
        return CostBreakdown(retrains=parts[0], labels=parts[1], errors=parts[2], total=float(sum(parts)))

    def total(self, result: ReplayResult | PolicyScore) -> float:
        """The total cost of a replay (or a score).

        Examples
        --------
        >>> import numpy as np
        >>> from river import linear_model
        >>> from mlmon.retraining import Periodic, replay
        >>> X = np.random.default_rng(0).normal(size=(800, 2)); y = (X[:, 0] > 0).astype(int)
        >>> res = replay(X, y, model=linear_model.LogisticRegression(), policy=Periodic(every=200), warmup=200)
        >>> len(res.retrains), res.labels_used
        (2, 600)
        >>> CostModel(retrain=5.0, label=0.01).total(res)
        16.0
        """
        return self.breakdown(result).total


def _counts(result: Any) -> tuple[int, int, float]:
    if isinstance(result, ReplayResult):
        return len(result.retrains), int(result.labels_used), float(result.loss[result.served].sum())
    if isinstance(result, PolicyScore):
        return result.retrains, result.labels_used, result.errors
    raise TypeError(f"expected a ReplayResult (from mlmon.retraining.replay) or a PolicyScore, "
                    f"got {type(result).__name__}.")


_COST_FIELDS = ("cost_retrains", "cost_labels", "cost_errors", "total_cost")


@dataclass(frozen=True)
class PolicyScore:
    """How a policy did on one replay: quality, effort, cost and regret.

    Attributes
    ----------
    policy
        The policy's name.
    loss_name
        ``"zero_one"``, ``"absolute"`` or ``"squared"``.
    n_served
        Samples served after the warm-up (what every mean is over).
    mean_loss
        Mean prequential loss over the served samples (the error rate for classification).
    accuracy
        ``1 - mean_loss`` for zero-one loss; NaN for regression.
    errors
        Summed loss over the served samples: the number of wrong predictions for
        classification.
    retrains
        Retrains decided.
    labels_used
        Labels that arrived during the replay.
    fit_seconds
        Seconds spent training (warm-up model and retrains).
    cost_retrains, cost_labels, cost_errors, total_cost
        The cost model's parts and total (NaN without a cost model).
    regret
        Cumulative regret against the oracle: the sum over served samples of this policy's
        loss minus the oracle's (NaN without an oracle). Negative where the policy did better.
    mean_regret
        ``regret / n_served``: the excess error rate over the oracle's.

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> from mlmon.retraining import replay
    >>> X = np.random.default_rng(0).normal(size=(600, 2)); y = (X[:, 0] > 0).astype(int)
    >>> s = score(replay(X, y, model=linear_model.LogisticRegression(), warmup=100))
    >>> s.n_served, s.retrains, s.accuracy == 1 - s.mean_loss
    (500, 0, True)
    >>> list(s.to_frame().columns)[:4]
    ['policy', 'loss_name', 'n_served', 'mean_loss']
    """

    policy: str
    loss_name: str
    n_served: int
    mean_loss: float
    accuracy: float
    errors: float
    retrains: int
    labels_used: int
    fit_seconds: float
    cost_retrains: float = math.nan
    cost_labels: float = math.nan
    cost_errors: float = math.nan
    total_cost: float = math.nan
    regret: float = math.nan
    mean_regret: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one table row).

        Examples
        --------
        >>> PolicyScore("never", "zero_one", 10, 0.2, 0.8, 2.0, 0, 10, 0.01).as_dict()["errors"]
        2.0
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_frame(self):
        """A one-row DataFrame of the fields.

        Examples
        --------
        >>> PolicyScore("never", "zero_one", 10, 0.2, 0.8, 2.0, 0, 10, 0.01).to_frame().shape
        (1, 15)
        """
        import pandas as pd

        return pd.DataFrame([self.as_dict()])

    def with_cost(self, cost: CostModel | None) -> PolicyScore:
        """The same score priced by another cost model (None: no cost); no replay needed.

        Examples
        --------
        >>> s = PolicyScore("never", "zero_one", 10, 0.2, 0.8, 2.0, 0, 10, 0.01)
        >>> s.with_cost(CostModel(error=3.0, label=0.5)).total_cost
        11.0
        """
        if cost is None:
            return replace(self, **{k: math.nan for k in _COST_FIELDS})
        _check_cost(cost)
        parts = cost.breakdown(self)
        return replace(self, cost_retrains=parts.retrains, cost_labels=parts.labels, cost_errors=parts.errors,
                       total_cost=parts.total)


def _check_cost(cost: Any) -> None:
    if cost is not None and not isinstance(cost, CostModel):
        raise TypeError(f"cost must be an mlmon.retraining.CostModel(retrain=..., label=..., error=...) or None, "
                        f"got {type(cost).__name__}.")


def _check_result(result: Any, what: str) -> None:
    if not isinstance(result, ReplayResult):
        raise TypeError(f"score: {what} must be a ReplayResult (from mlmon.retraining.replay), "
                        f"got {type(result).__name__}.")


def _check_same_stream(result: ReplayResult, oracle: ReplayResult) -> None:
    if result.n_samples != oracle.n_samples or not np.array_equal(result.served, oracle.served):
        raise ValueError(f"score: the oracle was replayed on another stream or warm-up ({oracle.n_samples} samples, "
                         f"warmup {oracle.warmup}) than the result ({result.n_samples} samples, warmup "
                         f"{result.warmup}); replay the oracle on the same stream with the same settings.")
    if oracle.loss_name != result.loss_name or not np.array_equal(result.y, oracle.y):
        raise ValueError("score: the oracle's labels or loss differ from the result's; replay the oracle on the "
                         "same stream (same X, y) with the same loss.")


def score(result: ReplayResult, *, cost: CostModel | None = None, oracle: ReplayResult | None = None,
          name: str | None = None) -> PolicyScore:
    """Score one replay: mean loss (accuracy), retrains, labels, fit time, cost and regret.

    Parameters
    ----------
    result
        A replay (:func:`~mlmon.retraining.replay`).
    cost
        Prices retrains, labels and errors (see :class:`CostModel`); None leaves the cost
        fields NaN.
    oracle
        The :class:`~mlmon.retraining.Oracle` policy's replay of the same stream with the same
        settings: gives the cumulative regret (see :func:`regret_curve`).
    name
        The policy's name in the score (default: its class name).

    Returns
    -------
    PolicyScore

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlmon.retraining import Never, Oracle, replay
    >>> from mlmon.scenarios import Drift
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2)); y = (X[:, 0] > 0).astype(int); y[1000:] = 1 - y[1000:]
    >>> kw = dict(model=LogisticRegression(), warmup=200, drifts=[Drift(start=1000, end=1000, kind="sudden")])
    >>> never, oracle = replay(X, y, policy=Never(), **kw), replay(X, y, policy=Oracle(after=100), **kw)
    >>> s = score(never, oracle=oracle, cost=CostModel(retrain=20.0, error=1.0))
    >>> s.regret == s.errors - score(oracle).errors, s.total_cost == s.errors
    (True, True)
    >>> bool(s.regret > 800)
    True
    """
    _check_result(result, "result")
    _check_cost(cost)
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"score: name must be a non-empty string or None, got {name!r}.")
    served = result.served
    loss = result.loss[served]
    n = int(loss.size)
    mean = float(loss.mean())
    out = PolicyScore(
        policy=name if name is not None else result.policy, loss_name=result.loss_name, n_served=n,
        mean_loss=mean, accuracy=1.0 - mean if result.loss_name == "zero_one" else math.nan,
        errors=float(loss.sum()), retrains=len(result.retrains), labels_used=int(result.labels_used),
        fit_seconds=float(result.fit_seconds))
    if cost is not None:
        out = out.with_cost(cost)
    if oracle is not None:
        _check_result(oracle, "oracle")
        _check_same_stream(result, oracle)
        regret = float(np.sum(loss - oracle.loss[served]))
        out = replace(out, regret=regret, mean_regret=regret / n)
    return out


def regret_curve(result: ReplayResult, oracle: ReplayResult) -> np.ndarray:
    """Cumulative regret against the oracle at each time step, for figures.

    Entry ``t`` is the sum, over served samples up to and including ``t``, of the policy's
    loss minus the oracle's (0 during the warm-up); the last entry is
    :attr:`PolicyScore.regret`.

    Parameters
    ----------
    result, oracle
        Replays of the same stream with the same settings, the second under
        :class:`~mlmon.retraining.Oracle`.

    Returns
    -------
    numpy.ndarray
        float64, one entry per sample.

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> from mlmon.retraining import Periodic, replay
    >>> X = np.random.default_rng(0).normal(size=(500, 2)); y = (X[:, 0] > 0).astype(int)
    >>> a = replay(X, y, model=linear_model.LogisticRegression(), warmup=100)
    >>> curve = regret_curve(a, a)
    >>> curve.shape, float(np.abs(curve).max())
    ((500,), 0.0)
    """
    _check_result(result, "result")
    _check_result(oracle, "oracle")
    _check_same_stream(result, oracle)
    diff = np.where(result.served, result.loss - oracle.loss, 0.0)
    return np.cumsum(diff, dtype=np.float64)
