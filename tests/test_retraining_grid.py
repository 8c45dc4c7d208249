"""Scoring, costs, regret, one-stream comparisons and seeded grids of retraining policies."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from river import linear_model
from scipy import stats

from mlmon.benchmark._run import resolve_seed
from mlmon.detectors import DDM
from mlmon.retraining import (CostModel, DriftTriggered, GridResult, Never, Oracle, Periodic, PerformanceTriggered,
                              compare, regret_curve, replay, run_grid, score)
from mlmon.retraining._grid import replay_seed, t_interval
from mlmon.scenarios import Drift, MeanShift, RiverConceptDrift

SEA = RiverConceptDrift(n_samples=3000, position=1500)
KW = dict(warmup=300)
TIMING = ["fit_seconds", "wall_time"]  # measured times: the only columns that may differ between equal runs


def flip_stream(n=3000, at=1500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    y[at:] = 1 - y[at:]
    return X, y, (Drift(start=at, end=at, kind="sudden"),)


def policies():
    return {"never": Never(), "ddm": DriftTriggered(DDM()),
            "perf": PerformanceTriggered(window=100, max_error=0.2), "every 700": Periodic(every=700)}


@pytest.fixture(scope="module")
def grid():
    return run_grid(policies(), {"sea": SEA, "sea gradual": RiverConceptDrift(n_samples=3000, position=1500,
                                                                              width=400)},
                    model=linear_model.LogisticRegression(), seeds=3, seed=11, random_control=True,
                    cost=CostModel(retrain=20.0, label=0.01, error=1.0), progress=False, **KW)


# -- cost ----------------------------------------------------------------------------------------
def test_cost_arithmetic_on_a_replay_and_its_score():
    X, y, drifts = flip_stream()
    res = replay(X, y, model=linear_model.LogisticRegression(), policy=Periodic(every=400), label_budget=0.5,
                 drifts=drifts, seed=3, **KW)
    cost = CostModel(retrain=7.5, label=0.25, error=2.0)
    n_retrains, n_errors = len(res.retrains), int(np.sum(res.loss[300:]))
    n_labels = int(np.sum(res.label_arrival[300:] >= 0))
    assert n_retrains == 6 and 0 < n_labels < 2700 and n_errors > 0
    parts = cost.breakdown(res)
    assert (parts.retrains, parts.labels, parts.errors) == (7.5 * n_retrains, 0.25 * n_labels, 2.0 * n_errors)
    assert parts.total == parts.retrains + parts.labels + parts.errors == cost.total(res)
    s = score(res, cost=cost)
    assert (s.retrains, s.labels_used, s.errors) == (n_retrains, n_labels, n_errors)
    assert (s.cost_retrains, s.cost_labels, s.cost_errors, s.total_cost) == (parts.retrains, parts.labels,
                                                                             parts.errors, parts.total)
    assert cost.breakdown(s) == parts  # a score prices like its replay
    assert math.isnan(score(res).total_cost) and math.isnan(s.with_cost(None).total_cost)
    assert s.with_cost(CostModel(error=1.0)).total_cost == n_errors
    assert s.mean_loss == n_errors / 2700 and s.accuracy == 1 - s.mean_loss and s.n_served == 2700


def test_regression_scores_loss_not_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 2))
    y = X @ np.array([1.0, -2.0]) + rng.normal(0.0, 0.1, 1500)
    y[800:] += 3.0
    res = replay(X, y, model=linear_model.LinearRegression(), policy=Periodic(every=300), **KW)
    s = score(res, cost=CostModel(error=0.5))
    assert res.loss_name == "absolute" and math.isnan(s.accuracy)
    assert s.errors == pytest.approx(np.abs(res.prediction[300:] - y[300:]).sum(), rel=1e-12)
    assert s.cost_errors == 0.5 * s.errors
    cmp = compare(X, y, policies=[Never(), Periodic(every=300)], model=linear_model.LinearRegression(),
                  oracle=False, **KW)
    with pytest.raises(ValueError, match="rank by 'mean_loss'"):
        cmp.ranking(by="accuracy")
    assert cmp.ranking(by="mean_loss") == sorted(["Never", "Periodic"], key=lambda n: cmp.scores[n].mean_loss)


def test_cost_model_refuses_bad_values_naming_the_field():
    for kw, match in ((dict(retrain=-1.0), "'retrain' must be >= 0"), (dict(label=float("nan")), "'label' must be a "
                      "finite number"), (dict(error=float("inf")), "'error' must be a finite number")):
        with pytest.raises(ValueError, match=match):
            CostModel(**kw)
    with pytest.raises(TypeError, match="'error' must be float"):
        CostModel(error="1")
    with pytest.raises(TypeError, match="'retrain' must be float"):
        CostModel(retrain=True)
    with pytest.raises(ValueError, match="errors must be a finite number >= 0"):
        CostModel().breakdown(retrains=1, labels_used=0, errors=-2)
    with pytest.raises(TypeError, match="all three counts"):
        CostModel().breakdown(retrains=1)
    with pytest.raises(TypeError, match="cost must be an mlmon.retraining.CostModel"):
        score(replay(*flip_stream()[:2], model=linear_model.LogisticRegression(), **KW), cost={"error": 1.0})


# -- regret --------------------------------------------------------------------------------------
def test_regret_is_zero_for_the_oracle_and_the_hand_computed_sum_otherwise():
    X, y, drifts = flip_stream()
    kw = dict(model=linear_model.LogisticRegression(), drifts=drifts, label_delay=15, seed=2, **KW)
    oracle = replay(X, y, policy=Oracle(after=150), **kw)
    never = replay(X, y, policy=Never(), **kw)
    assert score(oracle, oracle=oracle).regret == 0.0 and not regret_curve(oracle, oracle).any()
    by_hand = 0.0
    for t in range(300, 3000):
        by_hand += never.loss[t] - oracle.loss[t]
    s = score(never, oracle=oracle)
    assert s.regret == by_hand and s.mean_regret == by_hand / 2700
    assert s.regret == s.errors - score(oracle).errors
    curve = regret_curve(never, oracle)
    assert curve.shape == (3000,) and not curve[:300].any() and curve[-1] == by_hand
    assert set(np.diff(curve).tolist()) <= {-1.0, 0.0, 1.0}  # zero-one losses move it by one at most
    assert by_hand > 0  # the model that never retrains keeps the flipped concept's errors


def test_regret_refuses_an_oracle_from_another_stream():
    X, y, drifts = flip_stream()
    a = replay(X, y, model=linear_model.LogisticRegression(), drifts=drifts, **KW)
    with pytest.raises(ValueError, match="another stream or warm-up"):
        score(a, oracle=replay(X, y, model=linear_model.LogisticRegression(), drifts=drifts, warmup=400))
    X2, y2, _ = flip_stream(seed=1)
    with pytest.raises(ValueError, match="labels or loss differ"):
        regret_curve(a, replay(X2, y2, model=linear_model.LogisticRegression(), **KW))
    with pytest.raises(TypeError, match="must be a ReplayResult"):
        score(a, oracle=score(a))


# -- one stream ----------------------------------------------------------------------------------
def test_compare_replays_each_policy_its_control_and_the_oracle_on_the_same_labels():
    X, y, drifts = flip_stream()
    cost = CostModel(retrain=50.0, error=1.0)
    cmp = compare(X, y, policies=policies(), model=linear_model.LogisticRegression(), random_control=True,
                  cost=cost, drifts=drifts, label_budget=0.7, seed=5, **KW)
    assert list(cmp.results) == ["never", "ddm", "perf", "every 700", "random:ddm", "random:perf", "oracle"]
    assert dict(cmp.controls) == {"random:ddm": "ddm", "random:perf": "perf"}
    arrivals = [r.label_arrival for r in cmp.results.values()]
    assert all(np.array_equal(a, arrivals[0]) for a in arrivals)  # common random numbers
    for ctrl, trig in cmp.controls.items():
        assert cmp.scores[ctrl].retrains == cmp.scores[trig].retrains >= 1
    frame = cmp.to_frame()
    assert frame["policy"].tolist() == list(cmp.results)
    assert frame.loc[frame.policy == "oracle", "regret"].item() == 0.0
    for name, res in cmp.results.items():  # each row is the score of its replay
        assert cmp.scores[name] == score(res, cost=cost, oracle=cmp.results["oracle"], name=name)
    ranked = cmp.ranking(by="total_cost")
    totals = [cmp.scores[n].total_cost for n in ranked]
    assert "oracle" not in ranked and totals == sorted(totals) and len(ranked) == 6
    acc = [cmp.scores[n].accuracy for n in cmp.ranking(by="accuracy", include_oracle=True)]
    assert acc == sorted(acc, reverse=True)
    html = cmp._repr_html_()
    assert "<table" in html and "random:perf" in html
    again = pickle.loads(pickle.dumps(cmp))
    assert list(again.results) == list(cmp.results) and again.scores == cmp.scores
    curves = cmp.curves(window=100)
    assert len(curves) == 7 * 2700 and curves.groupby("policy")["regret"].last()["never"] == \
        cmp.scores["never"].regret


def test_compare_refuses_bad_input_with_the_fix():
    X, y, drifts = flip_stream(n=1000, at=500)
    m = linear_model.LogisticRegression()
    with pytest.raises(ValueError, match="policies is empty"):
        compare(X, y, policies={}, model=m, drifts=drifts)
    with pytest.raises(ValueError, match="needs the stream's true drifts"):
        compare(X, y, policies=[Never()], model=m)
    with pytest.raises(ValueError, match="reserved"):
        compare(X, y, policies={"oracle": Never()}, model=m, drifts=drifts)
    with pytest.raises(TypeError, match="not a retraining policy"):
        compare(X, y, policies={"a": DDM()}, model=m, oracle=False)
    with pytest.raises(TypeError, match="policy= cannot be passed"):
        compare(X, y, policies=[Never()], model=m, oracle=False, policy=Never())
    with pytest.raises(ValueError, match=r"random_control names \['nope'\]"):
        compare(X, y, policies=[Never()], model=m, oracle=False, random_control=["nope"])
    with pytest.raises(ValueError, match="needs a cost model"):
        compare(X, y, policies=[Never()], model=m, oracle=False, warmup=200).ranking()
    with pytest.raises(ValueError, match="label_delay=900 is longer"):
        compare(X, y, policies=[Never()], model=m, oracle=False, warmup=200, label_delay=900)


# -- grids ---------------------------------------------------------------------------------------
@pytest.mark.slow  # starting two worker processes takes several seconds
def test_grid_is_deterministic_serially_and_in_parallel(grid):
    kw = dict(model=linear_model.LogisticRegression(), seeds=3, seed=11, random_control=True,
              cost=CostModel(retrain=20.0, label=0.01, error=1.0), progress=False, **KW)
    # the first scenario alone: its streams do not depend on which scenarios follow it
    parallel = run_grid(policies(), {"sea": SEA}, n_jobs=2, **kw)
    serial = GridResult(runs=[r for r in grid.runs if r.scenario == "sea"], cost=grid.cost)
    a, b = serial.to_frame().drop(columns=TIMING), parallel.to_frame().drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)
    assert [r.retrain_times for r in serial.runs] == [r.retrain_times for r in parallel.runs]
    other = run_grid(policies(), {"sea": SEA}, model=linear_model.LogisticRegression(), seeds=3, seed=12,
                     progress=False, **KW)
    mine = grid.to_frame().query("scenario == 'sea' and policy == 'never'")["mean_loss"].tolist()
    assert other.to_frame().query("policy == 'never'")["mean_loss"].tolist() != mine  # another seed, other streams
    assert len(grid) == 2 * 3 * (4 + 2 + 1)


def test_grid_runs_equal_compare_on_the_regenerated_stream(grid):
    run = next(r for r in grid.runs if r.scenario == "sea" and r.replicate == 2 and r.policy == "ddm")
    ss = resolve_seed(11).spawn(2)[0].spawn(3)[2]  # the benchmark's seed convention
    assert run.seed == {"entropy": 11, "spawn_key": [0, 2]} and run.replay_seed == replay_seed(ss)
    stream = SEA.generate(seed=np.random.SeedSequence(run.seed["entropy"], spawn_key=run.seed["spawn_key"]))
    assert run.drifts == stream.drifts
    cmp = compare(stream, None, policies=policies(), model=linear_model.LogisticRegression(), random_control=True,
                  cost=grid.cost, seed=run.replay_seed, **KW)
    for r in (x for x in grid.runs if x.scenario == "sea" and x.replicate == 2):
        got = cmp.scores[r.policy]
        assert got.mean_loss == r.score.mean_loss and got.regret == r.score.regret
        assert got.total_cost == r.score.total_cost and cmp.results[r.policy].retrains == r.retrain_times


def test_random_controls_match_their_policy_per_stream(grid):
    frame = grid.to_frame()
    for trig in ("ddm", "perf"):
        mine = frame[frame.policy == trig].set_index(["scenario", "replicate"])["retrains"]
        ctrl = frame[frame.policy == f"random:{trig}"].set_index(["scenario", "replicate"])["retrains"]
        pd.testing.assert_series_equal(mine, ctrl, check_names=False)
        assert (frame[frame.policy == f"random:{trig}"]["control_of"] == trig).all()
    assert frame.loc[frame.policy.str.startswith("random:"), "retrains"].sum() > 0  # the check is not vacuous
    assert frame.loc[frame.policy == "oracle", "regret"].eq(0.0).all()


def test_summary_intervals_are_student_t_over_the_seeds(grid):
    frame, summary = grid.to_frame(), grid.summary(confidence=0.9)
    assert len(summary) == 2 * 7 and (summary["n_runs"] == 3).all()
    for _, row in summary.iterrows():
        runs = frame[(frame.policy == row.policy) & (frame.scenario == row.scenario)]
        for m in ("mean_loss", "regret", "total_cost", "labels_used"):
            x = runs[m].to_numpy(dtype=float)
            assert row[m] == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
            if x.std() > 0:
                low, high = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
                assert (row[f"{m}_ci_low"], row[f"{m}_ci_high"]) == pytest.approx((low, high), rel=1e-9)
            else:
                assert row[f"{m}_ci_low"] == row[f"{m}_ci_high"] == row[m]
    one = run_grid([Never()], [SEA], model=linear_model.LogisticRegression(), seeds=1, progress=False, **KW)
    assert math.isnan(one.summary()["mean_loss_ci_low"].iloc[0])  # one stream: no interval


def test_t_interval_covers_the_true_mean_at_its_nominal_rate():
    rng = np.random.default_rng(0)
    m, n = 4000, 5
    hits = sum(lo <= 3.0 <= hi for _, lo, hi in (t_interval(rng.normal(3.0, 2.0, n), confidence=0.9)
                                                 for _ in range(m)))
    # exact for normal data: hits ~ Binomial(m, 0.9); 4.5 standard deviations
    assert abs(hits - 0.9 * m) < 4.5 * math.sqrt(m * 0.9 * 0.1)


def test_versus_is_the_paired_difference_and_with_cost_reprices(grid):
    frame = grid.to_frame()
    vs = grid.versus("random:ddm", by="mean_loss")
    row = vs[(vs.policy == "ddm") & (vs.scenario == "sea")].iloc[0]
    a = frame[(frame.policy == "ddm") & (frame.scenario == "sea")].sort_values("replicate")["mean_loss"].to_numpy()
    b = frame[(frame.policy == "random:ddm") & (frame.scenario == "sea")].sort_values("replicate")["mean_loss"]
    mean, low, high = t_interval(a - b.to_numpy())
    assert (row.difference, row.ci_low, row.ci_high) == (mean, low, high)
    cheap = grid.with_cost(CostModel(error=1.0))
    assert (cheap.to_frame()["total_cost"] == frame["errors"]).all() and cheap.cost == CostModel(error=1.0)
    assert grid.with_cost(None).to_frame()["total_cost"].isna().all()
    with pytest.raises(ValueError, match="no policy named 'nope'"):
        grid.versus("nope")
    with pytest.raises(ValueError, match="by must be one of"):
        grid.versus("never", by="loss_name")
    html = grid._repr_html_()
    assert "<table" in html and "random:perf" in html and "[" in html


def test_run_grid_refuses_bad_input_with_the_fix():
    m = linear_model.LogisticRegression()
    ok = dict(model=m, seeds=2, progress=False, **KW)
    with pytest.raises(ValueError, match="policies is empty"):
        run_grid([], [SEA], **ok)
    with pytest.raises(ValueError, match="scenarios is empty"):
        run_grid([Never()], {}, **ok)
    with pytest.raises(ValueError, match=r"'MeanShift' \(MeanShift\) generates no features and labels"):
        run_grid([Never()], [MeanShift(n_samples=1000, position=500)], **ok)
    for seeds in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="seeds must be a positive whole number"):
            run_grid([Never()], [SEA], model=m, seeds=seeds, progress=False)
    with pytest.raises(ValueError, match="n_jobs must be a non-zero int"):
        run_grid([Never()], [SEA], n_jobs=0, **ok)
    with pytest.raises(ValueError, match="'retrain' must be >= 0"):
        run_grid([Never()], [SEA], cost=CostModel(retrain=-5.0), **ok)
    with pytest.raises(TypeError, match="drifts= cannot be passed"):
        run_grid([Never()], [SEA], drifts=(), **ok)
    with pytest.raises(TypeError, match="not a scenario"):
        run_grid([Never()], [np.zeros(10)], **ok)
    with pytest.raises(TypeError, match="oracle must be True, False or an Oracle"):
        run_grid([Never()], [SEA], oracle="yes", **ok)
    with pytest.raises(ValueError, match="policy 'Never' on scenario 'RiverConceptDrift', replicate 0"):
        run_grid([Never()], [SEA], model=m, seeds=1, progress=False, warmup=3000)


def test_grid_result_is_frozen():
    res = GridResult(runs=())
    with pytest.raises(AttributeError):
        res.cost = CostModel()  # type: ignore[misc]
    assert res.to_frame().empty and res.summary().empty
