"""Canary decisions: error rates under peeking, segment-only regressions, the simulator, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmon.ab import CanaryRule, Metric, simulate_rollout

CONTROL = {"conversion": 0.10, "error": 0.01, "latency": (100.0, 30.0)}


def rule(segments=None, alpha=0.05, guardrail_alpha=0.05):
    return CanaryRule([Metric("conversion", kind="proportion", better="higher", role="primary", tau=0.01),
                       Metric("error", kind="proportion", better="lower", role="guardrail", margin=0.002,
                              tau=0.005),
                       Metric("latency", kind="mean", better="lower", role="guardrail", margin=5.0, tau=5.0)],
                      alpha=alpha, guardrail_alpha=guardrail_alpha, segments=segments)


def upper(p, n, sds=4.5):
    """A binomial upper bound on the count of events of probability p in n trials."""
    return n * p + sds * math.sqrt(n * p * (1 - p))


def test_no_better_treatment_is_rarely_promoted_however_often_one_looks():
    # 24 looks per rollout; the promotion error is bounded by alpha at every look at once
    n = 150
    sim = simulate_rollout(rule(alpha=0.05), control=CONTROL, treatment=dict(CONTROL), expected="continue",
                           ramp=(0.5,), looks_per_step=24, requests_per_look=2000, n_sims=n, seed=2)
    assert sim.rates()["promote"] * n <= upper(0.05, n)
    assert sim.rates()["rollback"] * n <= upper(0.05, n)


def test_harm_just_at_the_margin_is_rarely_rolled_back():
    n = 150
    at_margin = {"conversion": 0.10, "error": 0.012, "latency": (105.0, 30.0)}
    sim = simulate_rollout(rule(guardrail_alpha=0.05), control=CONTROL, treatment=at_margin, expected="continue",
                           ramp=(0.5,), looks_per_step=24, requests_per_look=2000, n_sims=n, seed=3)
    assert sim.rates()["rollback"] * n <= upper(0.05, n)


def test_better_promotes_worse_rolls_back():
    # promotion also needs every guardrail shown within its margin: enough traffic for that
    better = simulate_rollout(rule(), control=CONTROL, treatment={**CONTROL, "conversion": 0.12},
                              expected="promote", requests_per_look=30_000, n_sims=40, seed=4)
    worse = simulate_rollout(rule(), control=CONTROL, treatment={**CONTROL, "error": 0.02},
                             expected="rollback", n_sims=40, seed=5)
    assert better.correct_rate >= 0.9 and better.rates()["rollback"] == 0.0
    assert worse.correct_rate == 1.0
    # a rollback stops the exposure early: the treatment served far fewer requests than a full ramp
    full = 6 * 10_000 * (0.01 + 0.05 + 0.2 + 0.5)
    assert worse.treatment_requests.mean() < 0.25 * full


def test_segment_guardrails_catch_a_regression_confined_to_one_segment_sooner():
    segs = {"web": 0.5, "ios": 0.3, "android": 0.2}
    kw = dict(control=CONTROL, treatment={**CONTROL, "conversion": 0.11}, expected="rollback", segments=segs,
              treatment_by_segment={"android": {"error": 0.04}}, n_sims=40, seed=6)
    per_segment = simulate_rollout(rule(segments=list(segs)), **kw)
    overall = simulate_rollout(rule(), **kw)
    assert per_segment.correct_rate == 1.0 and per_segment.rates()["promote"] == 0.0
    assert "segment 'android'" in per_segment.reasons[0]
    assert per_segment.treatment_requests.mean() < overall.treatment_requests.mean()


def test_decision_stays_and_reset_starts_again():
    r = rule()
    rng = np.random.default_rng(0)
    bad = {"conversion": rng.random(5000) < 0.1, "error": rng.random(5000) < 0.05, "latency": rng.normal(100, 30, 5000)}
    good = {"conversion": rng.random(5000) < 0.1, "error": rng.random(5000) < 0.01, "latency": rng.normal(100, 30, 5000)}
    d = r.update(good, bad)
    assert d.decision == "rollback" and "guardrail 'error'" in d.reason
    assert set(d.to_frame()["metric"]) == {"conversion", "error", "latency"}
    with pytest.raises(RuntimeError, match="reset"):
        r.update(good, bad)
    assert r.reset().looks_ == 0 and r.update(good, good).decision == "continue"


def test_bad_input():
    with pytest.raises(ValueError, match="exactly one metric must have role='primary'"):
        CanaryRule([Metric("e", kind="proportion", better="lower", role="guardrail", tau=0.01)])
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        Metric("e", kind="proportion", better="lower", role="guardrail", tau=0.0)
    with pytest.raises(ValueError, match="better must be"):
        Metric("e", kind="proportion", better="up", role="primary", tau=0.1)
    r = rule()
    with pytest.raises(ValueError, match="lacks metrics"):
        r.update({"conversion": [1, 0]}, {"conversion": [1, 0]})
    with pytest.raises(ValueError, match="one value per request"):
        r.update({"conversion": [1, 0], "error": [0], "latency": [1.0, 2.0]}, dict(conversion=[], error=[], latency=[]))
    with pytest.raises(ValueError, match="segments_control"):
        rule(segments=["a"]).update({k: [] for k in CONTROL}, {k: [] for k in CONTROL})
    with pytest.raises(ValueError, match="ramp"):
        simulate_rollout(r, control=CONTROL, treatment=CONTROL, expected="promote", ramp=(0.0,))
    with pytest.raises(ValueError, match="lacks the truth"):
        simulate_rollout(r, control={"conversion": 0.1}, treatment=CONTROL, expected="promote")


# --- export: production decides as research does --------------------------------------------------

def _traffic(rng, n, truth, segments=None, override=None):
    out = {"conversion": (rng.random(n) < truth["conversion"]).astype(float),
           "error": (rng.random(n) < truth["error"]).astype(float),
           "latency": rng.normal(*truth["latency"], n)}
    seg = None
    if segments is not None:
        seg = np.asarray(segments, dtype=object)[rng.integers(0, len(segments), n)]
        for s, t in (override or {}).items():
            hit = seg == s
            out["error"][hit] = (rng.random(int(hit.sum())) < t).astype(float)
    return out, seg


@pytest.mark.parametrize("case", ["better", "worse", "segment", "null"])
def test_exported_rule_decides_identically_look_for_look(tmp_path, case):
    import json
    import subprocess
    import sys

    from mlmon.ab import export_rollout
    from mlmon.runtime import load_rollout

    segs = ["web", "ios", "android"] if case == "segment" else None
    research = rule(segments=segs)
    prod = load_rollout(export_rollout(research, tmp_path, name=case))
    treat = {**CONTROL, "conversion": 0.115} if case in ("better", "segment") else (
        {**CONTROL, "error": 0.02} if case == "worse" else dict(CONTROL))
    rng = np.random.default_rng(7)
    looks = []
    for _ in range(40):
        c, sc = _traffic(rng, 4000, CONTROL, segs)
        t, st = _traffic(rng, 4000, treat, segs, {"android": 0.05} if case == "segment" else None)
        kw = {"segments_control": sc, "segments_treatment": st} if segs else {}
        looks.append((c, t, kw))
        a, b = research.update(c, t, **kw), prod.update(c, t, **kw)
        assert (a.decision, a.reason, a.look) == (b.decision, b.reason, b.look)
        for key, r in a.results.items():
            assert (r.ci_low, r.ci_high) == (prod.tests[key].ci_low, prod.tests[key].ci_high)
        if a.decision != "continue":
            break
    expected = {"better": "promote", "worse": "rollback", "segment": "rollback", "null": "continue"}[case]
    assert a.decision == expected
    if case == "segment":
        assert "segment 'android'" in a.reason
    # the same, in a process that can import nothing but the standard library, numpy and mlmon.runtime
    from _numpy_only import LOADED, PRELUDE

    data = tmp_path / "looks.npz"
    arrays = {}
    for i, (c, t, kw) in enumerate(looks):
        for arm, d in (("c", c), ("t", t)):
            for k, v in d.items():
                arrays[f"{i}|{arm}|{k}"] = v
        for k, v in kw.items():
            arrays[f"{i}|seg|{k}"] = v.astype(str)
    np.savez(data, **arrays)
    script = PRELUDE + f"""
import numpy as np
from mlmon.runtime import load_rollout
prod = load_rollout({str(tmp_path / (case + '.json'))!r})
z = np.load({str(data)!r}, allow_pickle=False)
out = []
for i in range({len(looks)}):
    c = {{k.split('|')[2]: z[k] for k in z.files if k.startswith(f'{{i}}|c|')}}
    t = {{k.split('|')[2]: z[k] for k in z.files if k.startswith(f'{{i}}|t|')}}
    kw = {{k.split('|')[2]: z[k].astype(object) for k in z.files if k.startswith(f'{{i}}|seg|')}}
    out.append(prod.update(c, t, **kw).decision)
print(json.dumps({{"attempted": attempted, "loaded": {LOADED}, "out": out}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # blocked imports of packages that exist here would be real dependencies; numpy's optional
    # probes for packages that are not installed (pickle5 on numpy 1.26) are not
    import importlib.util

    real = [m for m in report["attempted"] if importlib.util.find_spec(m.split(".")[0]) is not None]
    cython = ("_cython", "cython_runtime")  # numpy's compiled extensions' runtime, on numpy 1.26
    assert real == [] and all(m.split(".")[0] in ("numpy", "mlmon") or m.startswith(cython) for m in report["loaded"])
    assert report["out"][-1] == a.decision and len(report["out"]) == len(looks)


def test_rollout_config_refusals(tmp_path):
    from mlmon.ab import export_rollout
    from mlmon.runtime import ConfigError, load_rollout

    path = export_rollout(rule(), tmp_path)
    text = path.read_text()
    path.write_text(text.replace('"role": "primary"', '"role": "guardrail"'))
    with pytest.raises(ConfigError, match="exactly one metric must have role 'primary'"):
        load_rollout(path)
    path.write_text(text.replace('"alpha": 0.05', '"alpha": 1.5'))
    with pytest.raises(ConfigError, match="alpha: must be < 1"):
        load_rollout(path)
    with pytest.raises(ConfigError, match="no such rollout file"):
        load_rollout(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="CanaryRule"):
        export_rollout({"metrics": []}, tmp_path)
    prod = load_rollout(export_rollout(rule(), tmp_path, name="ok"))
    with pytest.raises(ValueError, match="must hold only 0 and 1"):
        prod.update({"conversion": [2.0], "error": [0.0], "latency": [1.0]},
                    {"conversion": [1.0], "error": [0.0], "latency": [1.0]})


def test_rollout_simulation_rate_intervals():
    sim = simulate_rollout(rule(), control=CONTROL, treatment={**CONTROL, "error": 0.02}, expected="rollback",
                           n_sims=20, seed=5)
    lo, hi = sim.rate_interval("rollback")
    assert sim.rates()["rollback"] == 1.0 and 0.8 < lo < hi == 1.0 and set(sim.rates()) == {"promote", "rollback",
                                                                                          "undecided"}
    with pytest.raises(ValueError, match="decision must be"):
        sim.rate_interval("continue")


@pytest.mark.parametrize("spending,alternative", [("obrien_fleming", "two-sided"), ("pocock", "greater"),
                                                   (2.0, "two-sided")])
def test_exported_group_sequential_design_decides_as_monitor(tmp_path, spending, alternative):
    from mlmon.ab import export_rollout, group_sequential
    from mlmon.runtime import RuntimeGroupSequential, load_rollout

    design = group_sequential(looks=[0.2, 0.45, 0.7, 1.0], spending=spending, alternative=alternative)
    prod = load_rollout(export_rollout(design, tmp_path, name="gs"))
    assert isinstance(prod, RuntimeGroupSequential) and prod.boundaries == tuple(design.boundaries)
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(300):
        drift = rng.choice([0.0, 2.0, 3.5, -3.5])
        z = np.cumsum(rng.normal(drift / 2, 1.0, 4)) / np.sqrt(np.arange(1, 5))  # a z path over the looks
        prod.reset()
        for k in range(4):
            d = prod.look(z[k])
            ref = design.monitor(z[: k + 1])
            assert (d.decision, d.look, d.direction) == (ref.decision, ref.look, ref.direction)
            seen.add(d.decision)
            if d.decision != "continue":
                break
    assert seen == {"reject", "continue", "fail_to_reject"}  # every branch was exercised
    with pytest.raises(RuntimeError, match="decided"):
        prod.look(0.0)


def test_group_sequential_config_refusals(tmp_path):
    import json

    from mlmon.ab import export_rollout, group_sequential
    from mlmon.runtime import ConfigError, load_rollout

    path = export_rollout(group_sequential(looks=3), tmp_path, name="gs")
    doc = json.loads(path.read_text())
    bad = dict(doc, boundaries=doc["boundaries"][:2])
    path.write_text(json.dumps(bad))
    with pytest.raises(ConfigError, match="one entry per look"):
        load_rollout(path)
    path.write_text(json.dumps(dict(doc, information_fractions=[0.5, 0.4, 1.0])))
    with pytest.raises(ConfigError, match="must increase and end at 1"):
        load_rollout(path)
    prod = load_rollout(export_rollout(group_sequential(looks=2), tmp_path, name="two"))
    prod.look(0.1)
    prod.look(0.1)
    with pytest.raises(RuntimeError, match="decided|planned looks"):
        prod.look(0.1)
    with pytest.raises(ValueError, match="finite"):
        prod.reset().look(float("nan"))
