"""Exported retraining triggers: the numpy-only runtime decides exactly what the replay decided."""

from __future__ import annotations

import copy
import inspect
import json
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from _numpy_only import LOADED, PRELUDE
from river import linear_model

from mlmon import export
from mlmon.detectors import CUSUM, DDM, KS, PageHinkley, TwoSampleTest
from mlmon.retraining import (DriftTriggered, HumanInTheLoop, Never, Oracle, Periodic, PerformanceTriggered,
                              RandomMatched, export_trigger, replay, why_not_exportable_trigger)
from mlmon.retraining._policies import Context
from mlmon.retraining._replay import _gate
from mlmon.runtime import ConfigError, RuntimeTrigger, load, load_trigger
from mlmon.runtime._schema import check_schema, validate
from mlmon.runtime._trigger import TRIGGER_SCHEMA


def classification_stream(n=4000, seed=0):
    """Two concept flips (1500, 2800), 10% label noise, and feature 2 shifting at 2000."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    y[1500:] = 1 - y[1500:]
    y[2800:] = 1 - y[2800:]
    X[2000:, 2] += 1.5
    return X, y


def regression_stream(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = 2 * X[:, 0] + rng.normal(0, 0.3, n)
    y[1500:] += 1.5
    y[2300:] -= 3.0
    return X, y


def inputs_of(res, X):
    """What production saw during the replay: each served step, its row and prediction, and the
    losses of the labels in the order they arrived (by arrival time, then sample)."""
    w, n = res.warmup, res.n_samples
    arrival = res.label_arrival
    s = np.flatnonzero((arrival >= w) & (np.arange(n) >= w))
    s = s[np.lexsort((s, arrival[s]))]
    return {"t": np.arange(w, n), "x": X[w:], "prediction": res.prediction[w:].astype(float),
            "error": res.loss[s], "arrival": arrival[s]}


# name, stream, policy, replay settings, the limits whose refusals the case must show
CASES = {
    "ddm_errors": ("clf", lambda X: DriftTriggered(DDM(threshold=2.0), cooldown=150, max_retrains=2, period=800),
                   {"label_delay": 20, "label_budget": 0.7}, {"cooldown", "cap"}),
    "page_hinkley_feature": ("clf", lambda X: DriftTriggered(PageHinkley(threshold=8.0, delta=0.05), signal="feature",
                                                            feature=2, cooldown=100, max_retrains=3, period=1000),
                             {}, {"cooldown", "cap"}),
    "ks_feature": ("clf", lambda X: DriftTriggered(KS(window_size=60, step=20, alpha=0.05), signal="feature",
                                                  feature=2, cooldown=100, max_retrains=2, period=1500),
                   {}, {"cap"}),
    "ddm_predictions": ("clf", lambda X: DriftTriggered(DDM(threshold=2.0), signal="prediction", cooldown=200),
                        {"label_delay": 20}, {"cooldown"}),
    "performance": ("clf", lambda X: PerformanceTriggered(window=50, max_error=0.2, cooldown=100, max_retrains=3,
                                                          period=900),
                    {"label_delay": 20, "label_budget": 0.7}, {"cooldown", "cap"}),
    "performance_loss": ("reg", lambda X: PerformanceTriggered(window=40, max_error=0.4, cooldown=100, max_retrains=1,
                                                               period=200),
                         {"label_delay": 5}, {"cooldown", "cap"}),
    "periodic": ("clf", lambda X: Periodic(every=200, max_retrains=2, period=700), {}, {"cap"}),
}


def _replay_case(name):
    kind, make, settings, _ = CASES[name]
    X, y = classification_stream() if kind == "clf" else regression_stream()
    model = linear_model.LogisticRegression() if kind == "clf" else linear_model.LinearRegression()
    policy = make(X)
    res = replay(X, y, model=model, policy=policy, warmup=300, seed=1, **settings)
    return policy, res, X


def _limits_seen(reasons):
    reasons = list(reasons)
    return {limit for limit in ("cooldown", "cap") for r in reasons if f"({limit}: " in r}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_exported_trigger_decides_what_the_replay_decided(name, tmp_path):
    policy, res, X = _replay_case(name)
    trigger = load_trigger(export_trigger(policy, tmp_path))
    feed = inputs_of(res, X)
    run = trigger.run(**feed)
    refused = [d for d in res.decisions if d.action == "refused"]
    accepted = [d for d in res.decisions if d.action == "retrain"]
    # the case exercises the rule and the limits it was built for
    assert len(res.retrains) >= 2
    assert _limits_seen(d.reason for d in refused) == CASES[name][3]
    assert run.retrains == res.retrains
    assert run.refused == tuple(d.t for d in refused)
    # same reasons, in the replay's words
    assert [d.reason for d in run.decisions if d.refused] == [d.reason for d in refused]
    for mine, theirs in zip([d for d in run.decisions if d.retrain], accepted):
        assert theirs.reason.startswith(mine.reason + "; trained on ")
    # update, step by step, gives the same decisions as run
    trigger.reset()
    stepped = []
    at = {}
    for e, a in zip(feed["error"].tolist(), feed["arrival"].tolist()):
        at.setdefault(a, []).append(e)
    for i, t in enumerate(feed["t"].tolist()):
        d = trigger.update(t, x=feed["x"][i], prediction=feed["prediction"][i], error=at.get(t))
        if d.requested:
            stepped.append(d)
    assert tuple(stepped) == run.decisions


@pytest.mark.skipif("lookback" not in inspect.signature(DriftTriggered).parameters,
                    reason="DriftTriggered has no lookback")
def test_a_lookback_travels_with_each_retrain(tmp_path):
    X, y = classification_stream()
    policy = DriftTriggered(DDM(threshold=2.0), lookback=400, cooldown=150)
    res = replay(X, y, model=linear_model.LogisticRegression(), policy=policy, warmup=300, label_delay=20, seed=1)
    run = load_trigger(export_trigger(policy, tmp_path)).run(**inputs_of(res, X))
    assert len(res.retrains) >= 2 and run.retrains == res.retrains
    assert run.refused == tuple(d.t for d in res.decisions if d.action == "refused")
    accepted = [d for d in res.decisions if d.action == "retrain"]
    for mine, theirs in zip([d for d in run.decisions if d.retrain], accepted):
        first = int(re.search(r"\((\d+)\.\.\d+\)", theirs.reason).group(1))
        assert mine.since == max(0, mine.t - 400) and mine.since <= first  # trained from since on
    assert all(d.since is None for d in run.decisions if not d.retrain)


def _research_decisions(policy, steps, x, prediction, errors):
    """The replay's decision loop over given inputs (several labels may arrive at one step)."""
    p = copy.deepcopy(policy)
    p.start(Context(n_samples=int(steps[-1]) + 1, warmup=int(steps[0]), label_delay=0, drifts=(),
                    seed=np.random.SeedSequence(0)))
    last, recent, out = -10**18, [], []
    for i, t in enumerate(steps.tolist()):
        request = p.on_sample(t, x[i], prediction[i])
        for e in errors[i]:
            r = p.on_label(t, -1, e)
            request = request or r
        if request is None:
            continue
        refused = _gate(p, t, last, recent)
        if refused:
            out.append((t, False, f"{request.reason} ({refused})"))
            continue
        last = t
        recent.append(t)
        p.on_retrain(t)
        out.append((t, True, request.reason))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_bursts_of_labels_at_one_step_are_decided_as_the_research_policy_does(seed, tmp_path):
    rng = np.random.default_rng(seed)
    n = 3000
    steps = np.arange(1000, 1000 + n)
    x = rng.normal(size=(n, 2))
    x[n // 2:, 1] += 1.0
    prediction = (rng.random(n) < 0.5).astype(float)
    rate = np.r_[np.full(n // 2, 0.1), np.full(n - n // 2, 0.35)]
    counts = rng.poisson(1.0, n)  # labels arrive in bursts, some steps get none
    errors = [(rng.random(c) < rate[i]).astype(float).tolist() for i, c in enumerate(counts)]
    policies = [DriftTriggered(DDM(threshold=2.0), cooldown=50, max_retrains=3, period=600),
                DriftTriggered(CUSUM(threshold=3.0), signal="feature", feature=1, cooldown=40),
                PerformanceTriggered(window=30, max_error=0.15, cooldown=25, max_retrains=4, period=500),
                Periodic(every=97, cooldown=150)]
    for i, policy in enumerate(policies):
        trigger = load_trigger(export_trigger(policy, tmp_path, name=f"p{i}"))
        expected = _research_decisions(policy, steps, x, prediction, errors)
        assert len([e for e in expected if e[1]]) >= 2 and any(not e[1] for e in expected)
        got = [(d.t, d.retrain, d.reason) for d in
               (trigger.update(int(t), x=x[j], prediction=prediction[j], error=errors[j])
                for j, t in enumerate(steps)) if d.requested]
        assert got == expected, type(policy).__name__
        flat = [e for errs in errors for e in errs]
        arrival = np.repeat(steps, counts)
        run = trigger.reset().run(steps, x=x, prediction=prediction, error=flat, arrival=arrival)
        assert [(d.t, d.retrain, d.reason) for d in run.decisions] == expected


def test_a_fitted_detector_keeps_its_fit_in_the_replay_and_the_export(tmp_path):
    X, y = classification_stream()
    fitted = CUSUM(threshold=4.0).fit(X[:300, 1])
    policy = DriftTriggered(fitted, signal="feature", feature=1, cooldown=100)
    res = replay(X, y, model=linear_model.LogisticRegression(), policy=policy, warmup=300, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = export_trigger(policy, tmp_path)
    state = export.read_config(tmp_path / "trigger.detector.json").state
    assert state == {"mean": pytest.approx(fitted.mean_), "std": pytest.approx(fitted.std_)}
    run = load_trigger(path).run(**inputs_of(res, X))
    assert len(res.retrains) >= 2 and run.retrains == res.retrains


def test_a_trigger_that_waits_for_fresh_labels_is_refused(tmp_path):
    with pytest.raises(TypeError, match="wait=0"):
        export_trigger(DriftTriggered(CUSUM(threshold=4.0), wait=100), tmp_path)


def test_files_document_and_schema(tmp_path):
    policy = DriftTriggered(KS(window_size=60, step=20), signal="feature", feature=2, cooldown=10)
    path = export_trigger(policy, tmp_path, name="churn.json", calibration=None, reference=np.arange(50.0))
    assert path.name == "churn.json"
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 3 and files[0] == "churn.detector.json" and files[2] == "churn.json"
    assert files[1].startswith("churn.detector.pvalue_table.") and files[1].endswith(".npy")
    doc = json.loads(path.read_text())
    assert doc["kind"] == "RetrainingTrigger" and doc["policy"] == "DriftTriggered"
    assert doc["detector"]["config"] == "churn.detector.json" and doc["detector"]["kind"] == "KS"
    assert doc["provenance"]["policy"].startswith("DriftTriggered(")
    assert export.read_config(tmp_path / "churn.detector.json").provenance["reference"]["shape"] == [50]
    # the schema is valid draft 2020-12 within the runtime validator's subset, and closed everywhere
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(TRIGGER_SCHEMA)
    check_schema(TRIGGER_SCHEMA)
    open_objects = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" or "object" in (node.get("type") or ()):
                if node.get("additionalProperties") is not False:
                    open_objects.append(where)
            for key, value in node.items():
                walk(value, (*where, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*where, i))

    walk(TRIGGER_SCHEMA, ())
    assert open_objects == [()]  # the document itself is closed by its oneOf branches
    perf = json.loads(export_trigger(PerformanceTriggered(max_error=0.1), tmp_path, name="perf").read_text())
    periodic = json.loads(export_trigger(Periodic(every=5), tmp_path, name="periodic").read_text())
    for d in (doc, perf, periodic):
        jsonschema.validate(d, TRIGGER_SCHEMA)
        assert validate(d, TRIGGER_SCHEMA) == []
    bad = {**perf, "params": {**perf["params"], "window": 5}, "detector": doc["detector"]}
    assert validate(bad, TRIGGER_SCHEMA) and not jsonschema.Draft202012Validator(TRIGGER_SCHEMA).is_valid(bad)


def test_reexport_replaces_the_trigger_and_removes_a_detector_it_no_longer_runs(tmp_path):
    export_trigger(DriftTriggered(KS(window_size=60, step=20), signal="feature", feature=0), tmp_path)
    assert len(list(tmp_path.iterdir())) == 3
    path = export_trigger(Periodic(every=100), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trigger.json"]
    assert load_trigger(path).policy == "Periodic"


@pytest.mark.parametrize("policy, fragment", [
    (Oracle(), "upper bound"),
    (RandomMatched(n_retrains=3), "Export the policy it was matched to"),
    (HumanInTheLoop(DriftTriggered(DDM()), review_delay=10, cooldown=30),
     r"review is a person.*export_trigger\(policy.policy, ...\) \(a DriftTriggered\).*cooldown \(30\)"),
    (Never(), "no trigger to run"),
    (type("Mine", (Periodic,), {})(every=5), "Mine is not a policy a config can describe"),
    (DDM(), "takes a retraining policy"),
])
def test_policies_production_cannot_run_are_refused_with_what_to_do(policy, fragment, tmp_path):
    assert why_not_exportable_trigger(policy) is not None
    with pytest.raises(TypeError, match=fragment):
        export_trigger(policy, tmp_path)
    assert not list(tmp_path.iterdir())


def test_other_export_errors(tmp_path):
    with pytest.raises(TypeError, match=r"DriftTriggered's detector cannot be exported.*TwoSampleTest"):
        export_trigger(DriftTriggered(TwoSampleTest(), signal="feature", feature=0), tmp_path)
    with pytest.raises(ValueError, match="runs no detector, so calibration and reference"):
        export_trigger(Periodic(every=10), tmp_path, reference=np.arange(10.0))
    with pytest.raises(ValueError, match="name 'a/b' must be a file stem"):
        export_trigger(Periodic(every=10), tmp_path, name="a/b")
    assert not list(tmp_path.iterdir())


def _exported(tmp_path):
    path = export_trigger(DriftTriggered(DDM(), cooldown=10), tmp_path, name="t")
    return path, json.loads(path.read_text())


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: {**d, "limits": {**d["limits"], "cooldwn": 3}}, "limits.cooldwn: unknown key (did you mean 'cooldown'?)"),
    (lambda d: {**d, "limits": {**d["limits"], "cooldown": -1}}, "limits.cooldown: must be >= 0"),
    (lambda d: {**d, "limits": {**d["limits"], "max_retrains": 2}}, "max_retrains and limits.period go together"),
    (lambda d: {**d, "params": {**d["params"], "signal": "feature"}}, "params.feature is null"),
    (lambda d: {**d, "params": {**d["params"], "signal": "label"}}, "params.signal: must be one of"),
    (lambda d: {**d, "params": {**d["params"], "lookback": 0}}, "params.lookback: must be >= 1"),
    (lambda d: {**d, "schema_version": 9}, "schema_version 9 is newer than this mlmon reads"),
    (lambda d: {**d, "detector": {**d["detector"], "config": "../t.detector.json"}}, "points outside"),
    (lambda d: {**d, "detector": {**d["detector"], "config": "gone.json"}}, "'gone.json' is missing"),
    (lambda d: {**d, "detector": {**d["detector"], "kind": "CUSUM"}}, "detector.kind is 'CUSUM'"),
    (lambda d: {**d, "detector": None}, "detector: must be an object, got null"),
])
def test_corrupted_triggers_are_refused_with_the_key_and_the_fix(edit, fragment, tmp_path):
    path, doc = _exported(tmp_path)
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_trigger(_write(path, edit(doc)))


def test_altered_files_and_wrong_documents_are_refused(tmp_path):
    path, doc = _exported(tmp_path)
    detector = tmp_path / "t.detector.json"
    text = detector.read_text()
    detector.write_text(text.replace('"threshold": 3.0', '"threshold": 9.0'))
    with pytest.raises(ConfigError, match="has SHA-256 .* but the trigger expects .*Export the trigger again"):
        load_trigger(path)
    detector.write_text(text)
    assert load_trigger(path).detector.params["threshold"] == 3.0
    path.write_text(path.read_text()[:-20])
    with pytest.raises(ConfigError, match="not a valid config JSON document"):
        load_trigger(path)
    with pytest.raises(ConfigError, match="is a detector config \\(kind 'DDM'\\), not a trigger; load it with "
                                          "mlmon.runtime.load"):
        load_trigger(detector)
    perf = export_trigger(PerformanceTriggered(max_error=0.1, confidence=0.9), tmp_path, name="perf")
    with pytest.raises(ConfigError, match="is a retraining trigger, not a detector config; load it with "
                                          "mlmon.runtime.load_trigger"):
        load(perf)
    doc = json.loads(perf.read_text())
    doc["params"]["confidence"] = 0.99
    with pytest.raises(ConfigError, match="params.z is 1.28.*edited apart"):
        load_trigger(_write(perf, doc))
    with pytest.raises(ConfigError, match="is a directory"):
        load_trigger(tmp_path)
    with pytest.raises(ConfigError, match="no such trigger file"):
        load_trigger(tmp_path / "nope.json")


def test_bad_runtime_input_is_refused_before_anything_changes(tmp_path):
    feature = load_trigger(export_trigger(DriftTriggered(CUSUM(), signal="feature", feature=2), tmp_path, name="f"))
    errors = load_trigger(export_trigger(DriftTriggered(DDM()), tmp_path, name="e"))
    feature.update(5, x=[0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="t must increase from one step to the next, got t=5 after t=5"):
        feature.update(5, x=[0.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="t must be an integer step"):
        feature.update(6.0, x=[0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="watches feature 2: pass x=<the served row>"):
        feature.update(6)
    with pytest.raises(ValueError, match=r"x has shape \(2,\), but this trigger watches feature 2"):
        feature.update(6, x=[0.0, 1.0])
    with pytest.raises(ValueError, match="x must be finite, got nan"):
        feature.update(6, x=[0.0, 0.0, np.nan])
    assert feature.detector.n_seen == 1  # nothing was taken by the refused steps
    assert not feature.update(6, x=[np.nan, "other", 1.0]).requested  # only the watched column matters
    with pytest.raises(ValueError, match="DDM: error must hold only 0 and 1"):
        errors.update(0, error=[1.0, 0.5])
    with pytest.raises(ValueError, match="DDM: error must hold only 0 and 1"):
        errors.update(0, error=0.5)
    with pytest.raises(ValueError, match="error contains 1 NaN"):
        errors.update(0, error=np.nan)
    with pytest.raises(TypeError, match="error must be a number or a sequence of numbers"):
        errors.update(0, error=object())
    assert errors.detector.n_seen == 0
    with pytest.raises(ValueError, match="arrival 7 is not one of the steps t"):
        errors.run(np.arange(5), error=[0.0], arrival=[7])
    with pytest.raises(ValueError, match="give error and arrival together"):
        errors.run(np.arange(5), error=[0.0])
    with pytest.raises(ValueError, match="arrival must be non-decreasing"):
        errors.run(np.arange(5), error=[0.0, 1.0], arrival=[3, 2])
    with pytest.raises(ValueError, match="t must be strictly increasing"):
        errors.run([0, 2, 1])
    with pytest.raises(ValueError, match=r"x must be 2-D with one row per step \(3\)"):
        feature.reset().run(np.arange(3), x=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="max_retrains and period go together"):
        RuntimeTrigger("Periodic", {"every": 3}, max_retrains=2)
    predictions = load_trigger(export_trigger(DriftTriggered(DDM(), signal="prediction"), tmp_path, name="p"))
    with pytest.raises(ValueError, match="prediction: DDM monitors a 0/1 error stream"):
        predictions.update(0, prediction=2)
    with pytest.raises(TypeError, match="prediction: x must be a number, got 'yes'"):
        predictions.update(0, prediction="yes")
    with pytest.raises(ValueError, match="a PerformanceTriggered trigger needs params 'z'"):
        RuntimeTrigger("PerformanceTriggered", {"window": 20, "max_error": 0.1, "confidence": 0.9})
    with pytest.raises(TypeError, match="needs its detector"):
        RuntimeTrigger("DriftTriggered", {"signal": "error", "feature": None, "lookback": None})


_ISOLATED = PRELUDE + textwrap.dedent("""
    import numpy as np
    from mlmon.runtime import load_trigger

    out = {}
    for name, (path, inputs) in json.loads(sys.argv[1]).items():
        feed = dict(np.load(inputs, allow_pickle=False))
        run = load_trigger(path).run(**feed)
        out[name] = {"retrains": list(run.retrains), "refused": list(run.refused)}
    loaded = """ + LOADED + """
    print(json.dumps({"attempted": attempted, "loaded": loaded, "out": out}))
""")


def test_a_trigger_loads_and_runs_with_numpy_alone(tmp_path):
    jobs, expected = {}, {}
    for name in ("ks_feature", "ddm_errors", "performance", "periodic"):
        policy, res, X = _replay_case(name)
        inputs = tmp_path / f"{name}.npz"
        np.savez(inputs, **inputs_of(res, X))
        jobs[name] = (str(export_trigger(policy, tmp_path / "configs", name=name)), str(inputs))
        expected[name] = {"retrains": list(res.retrains),
                          "refused": [d.t for d in res.decisions if d.action == "refused"]}
    proc = subprocess.run([sys.executable, "-c", _ISOLATED, json.dumps(jobs)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    forbidden = {"scipy", "pandas", "sklearn", "river", "numba", "llvmlite", "torch", "pydantic", "jsonschema",
                 "annotated_types", "yaml", "matplotlib", "joblib", "tqdm", "pyarrow"}
    assert not [m for m in report["attempted"] if m.split(".")[0] in forbidden or m.startswith("mlmon")], \
        report["attempted"]
    assert all(m.split(".")[0] == "numpy" or m == "mlmon" or m.startswith("mlmon.runtime")
               or m.startswith("_cython_") or m == "cython_runtime" for m in report["loaded"]), report["loaded"]
    assert "mlmon.runtime._trigger" in report["loaded"]
    assert report["out"] == expected
