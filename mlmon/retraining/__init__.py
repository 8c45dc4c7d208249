"""When to retrain: replay a drifting stream through a model under each policy and score it.

:func:`replay` serves a labelled stream with a model: labels arrive after a delay (and only
for a budgeted share), a policy decides when to retrain, a new model serves after a
deployment lag, and everything is recorded sample by sample with a decision log.

Policies: :class:`Never`, :class:`Periodic`, :class:`DriftTriggered` (any mlmon detector on
the errors, a feature or the predictions), :class:`PerformanceTriggered` (windowed error with
its uncertainty), :class:`Oracle` (retrains right after each true drift: an upper bound),
:class:`RandomMatched` (as many retrains at random times: the control that shows whether a
trigger's timing matters), :class:`HumanInTheLoop` (a reviewer confirms or rejects alarms
after a delay). Every policy takes a ``cooldown`` and a cap (``max_retrains`` per ``period``).

Models: river online learners, scikit-learn estimators (refit on a window), :class:`TorchMLP`,
or any :class:`Model`.

Scoring: :func:`score` (accuracy or loss, retrains, labels, fit time, a :class:`CostModel`'s
total, regret against the oracle), :func:`compare` (several policies on one stream, with random
controls) and :func:`run_grid` (policies x scenarios x seeds, with intervals across seeds).
:func:`export_trigger` writes the chosen trigger for :func:`mlmon.runtime.load_trigger`, which
decides with numpy alone exactly as the replay did.

Examples
--------
>>> import numpy as np
>>> from river import linear_model
>>> from mlmon import retraining
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(4000, 2)); y = (X[:, 0] > 0).astype(int)
>>> y[2000:] = 1 - y[2000:]                      # the concept flips at 2000
>>> from mlmon.scenarios import Drift
>>> never = retraining.replay(X, y, model=linear_model.LogisticRegression(), drifts=[Drift(start=2000, end=2000, kind='sudden')])
>>> oracle = retraining.replay(X, y, model=linear_model.LogisticRegression(), policy=retraining.Oracle(after=100),
...                            drifts=[Drift(start=2000, end=2000, kind='sudden')])
>>> bool(oracle.mean_loss < never.mean_loss)
True
"""

from mlmon.retraining._export import export_trigger, why_not_exportable_trigger
from mlmon.retraining._models import FactoryModel, Model, RiverModel, SklearnModel, TorchMLP, as_model
from mlmon.retraining._policies import (DriftTriggered, HumanInTheLoop, Never, Oracle, Periodic,
                                        PerformanceTriggered, Policy, RandomMatched, Request)
from mlmon.retraining._replay import Decision, ReplayResult, replay
from mlmon.retraining._score import CostBreakdown, CostModel, PolicyScore, regret_curve, score
from mlmon.retraining._grid import Comparison, GridResult, GridRun, compare, run_grid

__all__ = ["Comparison", "CostBreakdown", "CostModel", "Decision", "DriftTriggered", "FactoryModel", "GridResult", "GridRun",
           "HumanInTheLoop", "Model", "Never", "Oracle", "Periodic", "PerformanceTriggered", "Policy", "PolicyScore",
           "RandomMatched", "ReplayResult", "Request", "RiverModel", "SklearnModel", "TorchMLP", "as_model",
           "compare", "export_trigger", "regret_curve", "replay", "run_grid", "score", "why_not_exportable_trigger"]
