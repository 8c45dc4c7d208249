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
