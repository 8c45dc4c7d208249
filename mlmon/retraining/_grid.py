"""Compare retraining policies on one stream, or over a grid of scenarios and seeded streams."""

from __future__ import annotations

import html
import json
import math
import numbers
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from mlmon.benchmark._records import jsonable, seed_info
from mlmon.benchmark._run import resolve_seed, unique_names
from mlmon.retraining._models import as_model
from mlmon.retraining._policies import (DriftTriggered, HumanInTheLoop, Oracle, PerformanceTriggered, Policy,
                                        RandomMatched)
from mlmon.retraining._replay import ReplayResult, replay
from mlmon.retraining._score import CostModel, PolicyScore, _check_cost, score

__all__ = ["Comparison", "GridResult", "GridRun", "compare", "run_grid"]

#: the name of the oracle's entry in a comparison or grid
ORACLE = "oracle"
#: policies that get a random control with ``random_control=True``
TRIGGERED = (DriftTriggered, PerformanceTriggered, HumanInTheLoop)
_HIGHER_IS_BETTER = {"accuracy"}
_SCORE_COLUMNS = [f.name for f in fields(PolicyScore) if f.name != "policy"]
_NUMERIC = [c for c in _SCORE_COLUMNS if c != "loss_name"]
_METRICS = ("mean_loss", "accuracy", "errors", "retrains", "labels_used", "fit_seconds", "total_cost", "regret")


def control_name(policy: str) -> str:
    """The name of the random control matched to ``policy``.

    Examples
    --------
    >>> control_name("ddm")
    'random:ddm'
    """
    return f"random:{policy}"


# -- checks shared by compare and run_grid -------------------------------------------------------
def _check_policies(policies: Any, *, who: str, oracle: bool, controls: bool) -> list[tuple[str, Policy]]:
    pairs = [] if policies is None else unique_names(policies, what="policy", name_of=lambda p: type(p).__name__)
    if not pairs:
        raise ValueError(f"{who}: policies is empty; pass at least one policy (a dict name -> policy, or a list), "
                         "e.g. {'never': Never(), 'ddm': DriftTriggered(DDM())}.")
    for name, p in pairs:
        if not isinstance(p, Policy):
            raise TypeError(f"{who}: policy {name!r} is a {type(p).__name__}, not a retraining policy (Never, "
                            "Periodic, DriftTriggered, PerformanceTriggered, Oracle, RandomMatched, HumanInTheLoop).")
        if (oracle and name == ORACLE) or (controls and name.startswith("random:")):
            raise ValueError(f"{who}: the policy name {name!r} is reserved for the oracle and the random controls; "
                             "rename it.")
    return pairs


def _resolve_oracle(oracle: Any, who: str) -> Oracle | None:
    if oracle is True:
        return Oracle()
    if oracle is False or oracle is None:
        return None
    if isinstance(oracle, Oracle):
        return oracle
    raise TypeError(f"{who}: oracle must be True, False or an Oracle(after=...) policy, got {oracle!r}.")


def _control_targets(random_control: Any, pairs: list[tuple[str, Policy]], who: str) -> list[str]:
    if random_control is False or random_control is None:
        return []
    if random_control is True:
        return [n for n, p in pairs if isinstance(p, TRIGGERED)]
    if isinstance(random_control, str) or not isinstance(random_control, Iterable):
        raise TypeError(f"{who}: random_control must be True, False or a list of policy names, "
                        f"got {random_control!r}.")
    names = [n for n, _ in pairs]
    wanted = list(random_control)
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise ValueError(f"{who}: random_control names {unknown} are not among the policies {names}.")
    return [n for n in names if n in wanted]


def _check_replay_kw(replay_kw: dict[str, Any], forbidden: dict[str, str], who: str) -> None:
    for key, why in forbidden.items():
        if key in replay_kw:
            raise TypeError(f"{who}: {key}= cannot be passed through to replay: {why}.")


def _replay_all(X: Any, y: Any, pairs: list[tuple[str, Policy]], model: Any, oracle: Oracle | None,
                targets: list[str], cost: CostModel | None, replay_kw: dict[str, Any], where: str = ""
                ) -> tuple[dict[str, ReplayResult], dict[str, str], dict[str, PolicyScore]]:
    """Replay every policy, its random control and the oracle on one stream, and score them."""
    results: dict[str, ReplayResult] = {}
    controls: dict[str, str] = {}

    def run(name: str, policy: Policy) -> ReplayResult:
        try:
            return replay(X, y, model=model, policy=policy, **replay_kw)
        except (ValueError, TypeError) as exc:
            try:
                located = type(exc)(f"policy {name!r}{where}: {exc}")
            except Exception:  # an exception class with another constructor: keep it as it is
                raise exc from None
            raise located from exc

    for name, policy in pairs:
        results[name] = run(name, policy)
    for name in targets:
        results[control_name(name)] = run(control_name(name), RandomMatched.like(results[name]))
        controls[control_name(name)] = name
    if oracle is not None:
        results[ORACLE] = run(ORACLE, oracle)
    reference = results.get(ORACLE)
    scores = {n: score(r, cost=cost, oracle=reference, name=n) for n, r in results.items()}
    return results, controls, scores


def _ranking(rows: list[dict[str, Any]], by: str, skip: set[str]) -> list[str]:
    if by not in _NUMERIC:
        raise ValueError(f"ranking: by must be one of {_NUMERIC}, got {by!r}.")
    values = [(r["policy"], r[by]) for r in rows if r["policy"] not in skip]
    if by in ("total_cost", "cost_retrains", "cost_labels", "cost_errors") and any(v != v for _, v in values):
        raise ValueError("ranking by a cost needs a cost model: pass cost=CostModel(retrain=..., label=..., "
                         "error=...).")
    if by in ("regret", "mean_regret") and any(v != v for _, v in values):
        raise ValueError("ranking by regret needs the oracle: pass oracle=True (and the stream's drifts).")
    if by == "accuracy" and any(v != v for _, v in values):
        raise ValueError("ranking: accuracy is defined for classification (zero-one loss) only; rank by "
                         "'mean_loss' instead.")
    sign = -1.0 if by in _HIGHER_IS_BETTER else 1.0
    order = sorted(range(len(values)), key=lambda i: (sign * values[i][1], i))
    return [values[i][0] for i in order]


# -- one stream ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Comparison:
    """Several policies replayed on one stream, with their scores.

    Attributes
    ----------
    results
        Policy name -> :class:`~mlmon.retraining.ReplayResult`, in order: the policies given,
        their random controls (``"random:<name>"``), and the oracle (``"oracle"``).
    scores
        Policy name -> :class:`~mlmon.retraining.PolicyScore` (regret against the oracle when
        there is one).
    controls
        Random control name -> the name of the policy it is matched to.
    oracle
        The oracle's name in ``results`` (None without an oracle).
    cost
        The cost model of the scores (None: costs are NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> from mlmon.retraining import Never, Periodic
    >>> X = np.random.default_rng(0).normal(size=(1000, 2)); y = (X[:, 0] > 0).astype(int)
    >>> cmp = compare(X, y, policies={"never": Never(), "every 200": Periodic(every=200)},
    ...               model=linear_model.LogisticRegression(), oracle=False, warmup=200)
    >>> cmp.to_frame()[["policy", "retrains"]].values.tolist()
    [['never', 0], ['every 200', 3]]
    """

    results: Mapping[str, ReplayResult]
    scores: Mapping[str, PolicyScore]
    controls: Mapping[str, str] = field(default_factory=dict)
    oracle: str | None = None
    cost: CostModel | None = None

    def __post_init__(self) -> None:
        for name in ("results", "scores", "controls"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __reduce__(self) -> tuple[Any, ...]:  # read-only mappings do not pickle; their contents do
        return (Comparison, (dict(self.results), dict(self.scores), dict(self.controls), self.oracle, self.cost))

    def to_frame(self):
        """One row per policy: its name, class, the policy it controls for, and its score.

        Returns
        -------
        pandas.DataFrame
            Columns: policy, policy_class, control_of, then the :class:`PolicyScore` fields.

        Examples
        --------
        >>> Comparison(results={}, scores={}).to_frame().shape
        (0, 17)
        """
        import pandas as pd

        return pd.DataFrame(self._rows(), columns=["policy", "policy_class", "control_of", *_SCORE_COLUMNS])

    def _rows(self) -> list[dict[str, Any]]:
        return [{"policy": n, "policy_class": self.results[n].policy, "control_of": self.controls.get(n),
                 **{k: v for k, v in s.as_dict().items() if k != "policy"}} for n, s in self.scores.items()]

    def ranking(self, by: str = "total_cost", *, include_oracle: bool = False) -> list[str]:
        """Policy names, best first, by one score field (higher accuracy, lower anything else).

        Parameters
        ----------
        by
            A :class:`PolicyScore` field: ``"total_cost"`` (needs a cost model), ``"mean_loss"``,
            ``"accuracy"``, ``"regret"`` (needs the oracle), ``"retrains"``, ...
        include_oracle
            Rank the oracle too (it knows the true drifts: an upper bound, not a policy).

        Examples
        --------
        >>> import numpy as np
        >>> from river import linear_model
        >>> from mlmon.retraining import Never, Periodic
        >>> X = np.random.default_rng(0).normal(size=(1000, 2)); y = (X[:, 0] > 0).astype(int)
        >>> cmp = compare(X, y, policies={"never": Never(), "every 200": Periodic(every=200)},
        ...               model=linear_model.LogisticRegression(), oracle=False, warmup=200,
        ...               cost=CostModel(retrain=100.0, error=1.0))
        >>> cmp.ranking()
        ['never', 'every 200']
        """
        skip = set() if include_oracle or self.oracle is None else {self.oracle}
        return _ranking(self._rows(), by, skip)

    def curves(self, window: int = 500):
        """Rolling loss and cumulative regret over time, one row per policy and served sample.

        Parameters
        ----------
        window
            The rolling loss is over the last ``window`` served samples.

        Returns
        -------
        pandas.DataFrame
            Columns: policy, t, rolling_loss, regret (NaN without an oracle).

        Examples
        --------
        >>> import numpy as np
        >>> from river import linear_model
        >>> from mlmon.retraining import Never
        >>> X = np.random.default_rng(0).normal(size=(600, 2)); y = (X[:, 0] > 0).astype(int)
        >>> cmp = compare(X, y, policies=[Never()], model=linear_model.LogisticRegression(), oracle=False,
        ...               warmup=100)
        >>> cmp.curves(window=50).shape
        (500, 4)
        """
        import pandas as pd

        from mlmon.retraining._score import regret_curve

        parts = []
        for name, res in self.results.items():
            served = res.served
            regret = (regret_curve(res, self.results[self.oracle])[served] if self.oracle is not None
                      else np.full(int(served.sum()), math.nan))
            parts.append(pd.DataFrame({"policy": name, "t": np.flatnonzero(served),
                                       "rolling_loss": res.rolling_loss(window), "regret": regret}))
        if not parts:
            return pd.DataFrame(columns=["policy", "t", "rolling_loss", "regret"])
        return pd.concat(parts, ignore_index=True)

    def _repr_html_(self) -> str:
        first = next(iter(self.results.values()), None)
        what = (f"{first.n_samples} samples, warm-up {first.warmup}, loss {html.escape(first.loss_name)}"
                if first is not None else "no replay")
        head = (f"<p><b>Comparison</b>: {len(self.results)} policies on one stream ({what}); "
                f"cost {html.escape(repr(self.cost))}</p>")
        return head + (self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}") if self.results else "")

    def __repr__(self) -> str:
        return f"Comparison({list(self.results)}, oracle={self.oracle!r}, cost={self.cost!r})"


def compare(X: Any, y: Any, *, policies: Mapping[str, Policy] | Sequence[Policy], model: Any,
            oracle: bool | Oracle = True, random_control: bool | Sequence[str] = False,
            cost: CostModel | None = None, **replay_kw: Any) -> Comparison:
    """Replay several policies on one stream and score them side by side.

    Every policy is replayed with the same settings and the same ``seed`` (so the same
    labels arrive at the same times: differences are the policies', not the label draw's).

    Parameters
    ----------
    X, y
        Features and labels (see :func:`~mlmon.retraining.replay`), or a
        :class:`~mlmon.scenarios.Stream` as ``X`` with ``y=None``.
    policies
        A dict name -> policy, or a list (named after their class).
    model
        The model every policy serves and retrains (copied for each replay).
    oracle
        Also replay :class:`~mlmon.retraining.Oracle` (``True``: ``Oracle()``, or the
        ``Oracle(after=...)`` given) as ``"oracle"``, and score every policy's regret against
        it. Needs the stream's drifts (``drifts=`` or a Stream).
    random_control
        ``True``: for each drift-triggered, performance-triggered or human-reviewed policy, also
        replay a :meth:`RandomMatched.like <mlmon.retraining.RandomMatched.like>` control, named
        ``"random:<name>"``, with as many retrains at random times; or a list of the policy
        names to control.
    cost
        Prices retrains, labels and errors (:class:`~mlmon.retraining.CostModel`).
    **replay_kw
        Passed to :func:`~mlmon.retraining.replay` (``warmup``, ``window``, ``label_delay``,
        ``label_budget``, ``deployment_lag``, ``loss``, ``drifts``, ``seed``).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from river import linear_model
    >>> from mlmon.detectors import DDM
    >>> from mlmon.retraining import CostModel, DriftTriggered, Never, compare
    >>> from mlmon.scenarios import Drift
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 2)); y = (X[:, 0] > 0).astype(int); y[1500:] = 1 - y[1500:]
    >>> cmp = compare(X, y, policies={"never": Never(), "ddm": DriftTriggered(DDM())},
    ...               model=linear_model.LogisticRegression(), random_control=True,
    ...               cost=CostModel(retrain=50.0, error=1.0), warmup=300,
    ...               drifts=[Drift(start=1500, end=1500, kind="sudden")])
    >>> list(cmp.results)
    ['never', 'ddm', 'random:ddm', 'oracle']
    >>> cmp.results["ddm"].retrains, cmp.scores["ddm"].retrains == cmp.scores["random:ddm"].retrains
    ((1503,), True)
    >>> cmp.ranking(by="total_cost"), cmp.scores["oracle"].regret
    (['ddm', 'never', 'random:ddm'], 0.0)
    """
    who = "compare"
    oracle_policy = _resolve_oracle(oracle, who)
    pairs = _check_policies(policies, who=who, oracle=oracle_policy is not None, controls=bool(random_control))
    targets = _control_targets(random_control, pairs, who)
    _check_cost(cost)
    _check_replay_kw(replay_kw, {"policy": "give the policies as policies={name: policy}"}, who)
    is_stream = hasattr(X, "signal") and hasattr(X, "drifts")
    if oracle_policy is not None and not is_stream and "drifts" not in replay_kw:
        raise ValueError("compare: oracle=True needs the stream's true drifts: pass drifts=[Drift(...)] (or a "
                         "Stream as X), or oracle=False.")
    as_model(model)  # a model that cannot be served fails here, before any replay
    results, controls, scores = _replay_all(X, y, pairs, model, oracle_policy, targets, cost, replay_kw)
    return Comparison(results=results, scores=scores, controls=controls,
                      oracle=ORACLE if oracle_policy is not None else None, cost=cost)


# -- a grid --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridRun:
    """One policy replayed on one generated stream of a grid: its facts and its score.

    Attributes
    ----------
    policy, policy_class, policy_params
        The policy's name in the grid, its class and its parameters.
    control_of
        For a random control, the policy it is matched to (None otherwise).
    scenario, scenario_class, scenario_params
        The scenario's name in the grid, its class and its parameters (JSON-able).
    replicate
        Stream number, ``0 .. seeds - 1``.
    seed
        ``{"entropy": ..., "spawn_key": [...]}``: ``np.random.SeedSequence(entropy,
        spawn_key=spawn_key)`` regenerates the stream.
    replay_seed
        The ``seed`` the replay ran with (label draw and policy randomness).
    n_samples, drifts
        The stream's length and ground truth.
    retrain_times, deployments
        When the policy retrained, and when each new model started serving.
    score
        The :class:`~mlmon.retraining.PolicyScore` (regret against the oracle on this stream).
    wall_time
        Seconds the replay took.
    """

    policy: str
    policy_class: str
    policy_params: dict[str, Any]
    control_of: str | None
    scenario: str
    scenario_class: str
    scenario_params: dict[str, Any]
    replicate: int
    seed: dict[str, Any]
    replay_seed: int
    n_samples: int
    drifts: tuple[Any, ...]
    retrain_times: tuple[int, ...]
    deployments: tuple[int, ...]
    score: PolicyScore
    wall_time: float


def replay_seed(stream_seed: np.random.SeedSequence) -> int:
    """The replay seed of a grid's stream: a 32-bit word from the stream seed's first child.

    Examples
    --------
    >>> ss = np.random.SeedSequence(0).spawn(1)[0]
    >>> replay_seed(ss) == replay_seed(np.random.SeedSequence(0, spawn_key=(0,)))
    True
    """
    child = np.random.SeedSequence(stream_seed.entropy, spawn_key=(*stream_seed.spawn_key, 0),
                                   pool_size=stream_seed.pool_size)
    return int(child.generate_state(1, dtype=np.uint32)[0])


def _grid_cell(scen_name: str, scenario: Any, replicate: int, ss: np.random.SeedSequence,
               pairs: list[tuple[str, Policy]], model: Any, oracle: Oracle | None, targets: list[str],
               cost: CostModel | None, replay_kw: dict[str, Any]) -> list[GridRun]:
    """Generate one stream and replay every policy, control and the oracle on it."""
    stream = scenario.generate(seed=ss)
    if stream.X is None or (stream.y is None and replay_kw.get("target") is None):
        raise ValueError(f"run_grid: scenario {scen_name!r} ({type(scenario).__name__}) generates no features and "
                         "labels (X, y), so no model can be replayed on it; use a scenario with labels, e.g. "
                         "RiverConceptDrift or LabelShift, or pass target=<label column> for a DataFrame "
                         "scenario such as InjectedShift.")
    rseed = replay_seed(ss)
    where = f" on scenario {scen_name!r}, replicate {replicate} (seed {seed_info(ss)})"
    results, controls, scores = _replay_all(stream, None, pairs, model, oracle, targets, cost,
                                            {**replay_kw, "seed": rseed}, where)
    scen_params = jsonable(scenario.params()) if callable(getattr(scenario, "params", None)) else {}
    return [GridRun(policy=n, policy_class=r.policy, policy_params=jsonable(r.policy_params),
                    control_of=controls.get(n), scenario=scen_name, scenario_class=type(scenario).__name__,
                    scenario_params=scen_params, replicate=replicate, seed=seed_info(ss), replay_seed=rseed,
                    n_samples=r.n_samples, drifts=tuple(stream.drifts), retrain_times=tuple(r.retrains),
                    deployments=tuple(r.deployments), score=scores[n], wall_time=float(r.elapsed))
            for n, r in results.items()]


def t_interval(values: Any, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` with its two-sided Student-t confidence interval.

    ``mean -/+ t_{(1 + confidence) / 2, n - 1} * s / sqrt(n)`` with ``s`` the sample standard
    deviation; the interval is NaN for fewer than two values, everything NaN when a value is.

    Examples
    --------
    >>> [round(v, 3) for v in t_interval([1.0, 2.0, 3.0])]          # t(0.975, 2) = 4.303
    [2.0, -0.484, 4.484]
    """
    from mlmon.benchmark.metrics import _check_confidence

    conf = _check_confidence(confidence)
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or np.isnan(x).any():
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    from scipy import stats

    half = float(stats.t.ppf(0.5 + conf / 2.0, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half


_RUN_COLUMNS = ["policy", "policy_class", "control_of", "scenario", "scenario_class", "replicate", "n_samples",
                *_SCORE_COLUMNS, "wall_time", "seed"]


@dataclass(frozen=True)
class GridResult:
    """Every run of a policies × scenarios × seeds grid, and the tables derived from them.

    Attributes
    ----------
    runs
        One :class:`GridRun` per (policy, scenario, replicate), including the random controls
        and the oracle.
    cost
        The cost model of the scores (None: costs are NaN); :meth:`with_cost` reprices.
    oracle
        The oracle's policy name (None when the grid ran without one).

    Examples
    --------
    >>> from river import linear_model
    >>> from mlmon.retraining import Never, Periodic
    >>> from mlmon.scenarios import RiverConceptDrift
    >>> res = run_grid({"never": Never(), "every 500": Periodic(every=500)},
    ...                [RiverConceptDrift(n_samples=2000, position=1000)], model=linear_model.LogisticRegression(),
    ...                seeds=2, warmup=300, progress=False)
    >>> len(res), res.summary()[["policy", "n_runs", "retrains"]].values.tolist()
    (6, [['never', 2, 0.0], ['every 500', 2, 3.0], ['oracle', 2, 1.0]])
    """

    runs: tuple[GridRun, ...]
    cost: CostModel | None = None
    oracle: str | None = ORACLE

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(self.runs))
        _check_cost(self.cost)

    def __len__(self) -> int:
        return len(self.runs)

    def with_cost(self, cost: CostModel | None) -> GridResult:
        """The same runs priced by another cost model, without rerunning anything.

        Examples
        --------
        >>> GridResult(runs=()).with_cost(CostModel(retrain=1.0)).cost
        CostModel(retrain=1.0, label=0.0, error=0.0)
        """
        _check_cost(cost)
        return GridResult(runs=tuple(replace(r, score=r.score.with_cost(cost)) for r in self.runs), cost=cost,
                          oracle=self.oracle)

    def to_frame(self):
        """One row per run: identity, every :class:`PolicyScore` field, wall time and seed.

        Examples
        --------
        >>> GridResult(runs=()).to_frame().shape
        (0, 23)
        """
        import pandas as pd

        rows = [{"policy": r.policy, "policy_class": r.policy_class, "control_of": r.control_of,
                 "scenario": r.scenario, "scenario_class": r.scenario_class, "replicate": r.replicate,
                 "n_samples": r.n_samples, **{k: v for k, v in r.score.as_dict().items() if k != "policy"},
                 "wall_time": r.wall_time, "seed": json.dumps(r.seed)} for r in self.runs]
        return pd.DataFrame(rows, columns=_RUN_COLUMNS)

    def _groups(self) -> dict[tuple[str, str], list[GridRun]]:
        groups: dict[tuple[str, str], list[GridRun]] = {}
        for r in self.runs:
            groups.setdefault((r.policy, r.scenario), []).append(r)
        return groups

    def summary(self, *, confidence: float = 0.95):
        """One row per (policy, scenario): each score's mean over the seeds with a t interval.

        For each of mean_loss, accuracy, errors, retrains, labels_used, fit_seconds,
        total_cost and regret (against the oracle): the mean over replicates and its
        two-sided Student-t confidence interval (columns ``<score>``, ``<score>_ci_low``,
        ``<score>_ci_high``; see :func:`t_interval`). The interval is over streams: it says how
        well the mean over this scenario's streams is known. NaN where undefined (one seed, no
        cost model, no oracle, accuracy of a regression).

        Examples
        --------
        >>> list(GridResult(runs=()).summary().columns)[:6]
        ['policy', 'scenario', 'control_of', 'n_runs', 'mean_loss', 'mean_loss_ci_low']
        """
        import pandas as pd

        columns = ["policy", "scenario", "control_of", "n_runs"]
        for m in _METRICS:
            columns += [m, f"{m}_ci_low", f"{m}_ci_high"]
        rows = []
        for (pol, scen), runs in self._groups().items():
            row: dict[str, Any] = {"policy": pol, "scenario": scen, "control_of": runs[0].control_of,
                                   "n_runs": len(runs)}
            for m in _METRICS:
                row[m], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = t_interval(
                    [getattr(r.score, m) for r in runs], confidence=confidence)
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)

    def versus(self, baseline: str, *, by: str = "mean_loss", confidence: float = 0.95):
        """Each policy minus ``baseline``, paired stream by stream, with a t interval.

        Both ran on the same streams with the same labels, so the paired difference removes
        the streams' own variation: use it to ask whether a trigger beats its random control
        (``versus("random:ddm")``) or never retraining.

        Parameters
        ----------
        baseline
            A policy name of the grid.
        by
            A :class:`PolicyScore` field.
        confidence
            Of the two-sided interval.

        Returns
        -------
        pandas.DataFrame
            One row per (policy, scenario) other than the baseline: policy, scenario, baseline,
            score, n_runs, difference (mean of policy minus baseline), ci_low, ci_high.

        Examples
        --------
        >>> from river import linear_model
        >>> from mlmon.retraining import Never, Periodic
        >>> from mlmon.scenarios import RiverConceptDrift
        >>> res = run_grid([Never(), Periodic(every=500)], [RiverConceptDrift(n_samples=2000, position=1000)],
        ...                model=linear_model.LogisticRegression(), seeds=3, warmup=300, oracle=False,
        ...                progress=False)
        >>> res.versus("Never", by="retrains")[["policy", "difference", "ci_low"]].values.tolist()
        [['Periodic', 3.0, 3.0]]
        """
        import pandas as pd

        if by not in _NUMERIC:
            raise ValueError(f"versus: by must be one of {_NUMERIC}, got {by!r}.")
        names = {r.policy for r in self.runs}
        if baseline not in names:
            raise ValueError(f"versus: no policy named {baseline!r} in this grid; it holds {sorted(names)}.")
        base = {(r.scenario, r.replicate): getattr(r.score, by) for r in self.runs if r.policy == baseline}
        rows = []
        for (pol, scen), runs in self._groups().items():
            if pol == baseline:
                continue
            diffs = [getattr(r.score, by) - base[(scen, r.replicate)] for r in runs]
            mean, low, high = t_interval(diffs, confidence=confidence)
            rows.append({"policy": pol, "scenario": scen, "baseline": baseline, "score": by, "n_runs": len(runs),
                         "difference": mean, "ci_low": low, "ci_high": high})
        return pd.DataFrame(rows, columns=["policy", "scenario", "baseline", "score", "n_runs", "difference",
                                           "ci_low", "ci_high"])

    def _repr_html_(self) -> str:
        n_seeds = len({(r.scenario, r.replicate) for r in self.runs})
        head = (f"<p><b>GridResult</b>: {len(self.runs)} runs, {len({r.policy for r in self.runs})} policies on "
                f"{n_seeds} streams of {len({r.scenario for r in self.runs})} scenario(s); cost "
                f"{html.escape(repr(self.cost))}; 95% t intervals over streams</p>")
        if not self.runs:
            return head
        s = self.summary()
        zero_one = all(r.score.loss_name == "zero_one" for r in self.runs)
        shown = ["accuracy" if zero_one else "mean_loss", "retrains", "labels_used", "fit_seconds"]
        shown += ["total_cost"] if self.cost is not None else []
        shown += ["regret"] if self.oracle is not None else []
        table = s[["policy", "scenario", "n_runs"]].copy()
        for m in shown:
            table[m] = [f"{v:.4g} [{lo:.4g}, {hi:.4g}]" for v, lo, hi in
                        zip(s[m], s[f"{m}_ci_low"], s[f"{m}_ci_high"])]
        return head + table.to_html(index=False)

    def __repr__(self) -> str:
        pols = list(dict.fromkeys(r.policy for r in self.runs))
        scens = list(dict.fromkeys(r.scenario for r in self.runs))
        return f"GridResult({len(self.runs)} runs: policies={pols}, scenarios={scens}, cost={self.cost!r})"


def run_grid(policies: Mapping[str, Policy] | Sequence[Policy], scenarios: Mapping[str, Any] | Sequence[Any], *,
             model: Any, seeds: int, n_jobs: int = 1, cost: CostModel | None = None,
             seed: int | np.random.SeedSequence | None = 0, oracle: bool | Oracle = True,
             random_control: bool | Sequence[str] = False, progress: bool = True, **replay_kw: Any) -> GridResult:
    """Replay every policy on ``seeds`` generated streams of every scenario, and score them.

    Common random numbers: stream ``r`` of a scenario is generated once and every policy is
    replayed on it with the same replay seed (the same labels arrive at the same times).
    Seeds follow :func:`mlmon.benchmark.run`: stream ``r`` of the ``i``-th scenario is
    generated with ``np.random.SeedSequence(seed).spawn(n_scenarios)[i].spawn(seeds)[r]`` (the
    same streams a detector benchmark with that seed sees), and the replay seed is
    :func:`replay_seed` of it, so results are the same serially and in parallel. The stream's
    drifts are the ground truth the oracle retrains on.

    Parameters
    ----------
    policies
        A dict name -> policy, or a list (named after their class, made unique).
    scenarios
        A dict name -> scenario, or a list; each must generate features and labels (``X``,
        ``y``), e.g. :class:`~mlmon.scenarios.RiverConceptDrift`.
    model
        The model every policy serves and retrains (copied for each replay).
    seeds
        Streams (replicates) per scenario.
    n_jobs
        Parallel workers (joblib; -1 for all cores). One task is one stream.
    cost
        Prices retrains, labels and errors (:class:`~mlmon.retraining.CostModel`).
    seed
        Root of every stream's seed: an int, a SeedSequence, or None for fresh entropy.
    oracle
        Also replay :class:`~mlmon.retraining.Oracle` on every stream (as ``"oracle"``) and
        score each run's regret against it.
    random_control
        ``True``: a :class:`~mlmon.retraining.RandomMatched` control (``"random:<name>"``) for
        each drift-triggered, performance-triggered or human-reviewed policy, matched on each
        stream to that policy's retrain count there; or a list of the policy names to control.
    progress
        Show a progress bar (tqdm) over the streams.
    **replay_kw
        Passed to :func:`~mlmon.retraining.replay` (``warmup``, ``window``, ``label_delay``,
        ``label_budget``, ``deployment_lag``, ``loss``).

    Returns
    -------
    GridResult

    Examples
    --------
    >>> from river import linear_model
    >>> from mlmon.detectors import DDM
    >>> from mlmon.retraining import DriftTriggered, Never, run_grid
    >>> from mlmon.scenarios import RiverConceptDrift
    >>> res = run_grid({"never": Never(), "ddm": DriftTriggered(DDM())},
    ...                {"sea": RiverConceptDrift(n_samples=2000, position=1000)},
    ...                model=linear_model.LogisticRegression(), seeds=2, random_control=True, warmup=300,
    ...                progress=False)
    >>> res.summary()["policy"].tolist()
    ['never', 'ddm', 'random:ddm', 'oracle']
    >>> runs = res.to_frame()
    >>> runs[runs.policy == "ddm"].retrains.tolist() == runs[runs.policy == "random:ddm"].retrains.tolist()
    True
    """
    who = "run_grid"
    oracle_policy = _resolve_oracle(oracle, who)
    pairs = _check_policies(policies, who=who, oracle=oracle_policy is not None, controls=bool(random_control))
    targets = _control_targets(random_control, pairs, who)
    scens = [] if scenarios is None else unique_names(scenarios, what="scenario",
                                                      name_of=lambda s: getattr(s, "name", type(s).__name__))
    if not scens:
        raise ValueError("run_grid: scenarios is empty; pass at least one scenario with labels (a dict name -> "
                         "scenario, or a list), e.g. [RiverConceptDrift()].")
    for name, scen in scens:
        if not callable(getattr(scen, "generate", None)):
            raise TypeError(f"run_grid: scenario {name!r} is a {type(scen).__name__}, not a scenario: it needs "
                            "generate(seed) (see mlmon.scenarios.Scenario).")
    if isinstance(seeds, bool) or not isinstance(seeds, numbers.Integral) or seeds < 1:
        raise ValueError(f"run_grid: seeds must be a positive whole number of streams per scenario, got {seeds!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"run_grid: n_jobs must be a non-zero int (-1 for all cores), got {n_jobs!r}.")
    _check_cost(cost)
    _check_replay_kw(replay_kw, {"policy": "give the policies as the first argument",
                                 "drifts": "each stream's own drifts are the ground truth",
                                 "y": "each stream carries its labels"}, who)
    as_model(model)
    root = resolve_seed(seed, name="seed")
    tasks = [(sname, scen, r, ss, pairs, model, oracle_policy, targets, cost, replay_kw)
             for (sname, scen), sseed in zip(scens, root.spawn(len(scens))) for r, ss in enumerate(sseed.spawn(seeds))]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="retraining grid", unit="stream")
    try:
        if n_jobs == 1:
            outputs: Iterable[list[GridRun]] = (_grid_cell(*t) for t in tasks)
        else:
            from joblib import Parallel, delayed

            outputs = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_grid_cell)(*t) for t in tasks)
        runs: list[GridRun] = []
        for out in outputs:
            runs.extend(out)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return GridResult(runs=tuple(runs), cost=cost, oracle=ORACLE if oracle_policy is not None else None)
