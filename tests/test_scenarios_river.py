"""RiverConceptDrift: river's concept mixture, honest transition bounds, prequential errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.scenarios import Drift, RiverConceptDrift
from mlmon.scenarios import _river
from mlmon.scenarios._river import new_concept_probability, prequential_errors, transition_span

Z = 4.0


def test_samples_equal_rivers_concept_drift_stream_where_river_does_not_overflow():
    synth = pytest.importorskip("river.datasets.synth")
    for generator, concept, make in [
        ("SEA", "variant", lambda v, s: synth.SEA(variant=v, seed=s)),
        ("STAGGER", "classification_function", lambda v, s: synth.STAGGER(classification_function=v, seed=s)),
    ]:
        sc = RiverConceptDrift(generator=generator, n_samples=1500, position=700, width=300)
        s = sc.generate(seed=3)
        seeds = s.meta["river_seeds"]
        theirs = synth.ConceptDriftStream(
            stream=make(0, seeds["stream"]), drift_stream=make(2, seeds["drift_stream"]),
            position=700 + 1, width=300, seed=seeds["mixture"],
        )
        pairs = list(theirs.take(1500))
        np.testing.assert_array_equal(s.X, np.array([list(x.values()) for x, _ in pairs], dtype=float))
        np.testing.assert_array_equal(s.y, np.array([int(y) for _, y in pairs]))
        assert concept in sc.null().generator_params


def test_river_itself_overflows_for_a_sudden_drift_late_in_the_stream():
    # the reason the mixture is drawn here: river's formula overflows, ours gives probability 0
    synth = pytest.importorskip("river.datasets.synth")
    stream = synth.ConceptDriftStream(stream=synth.SEA(seed=1), drift_stream=synth.SEA(variant=2, seed=2),
                                      position=5000, width=1, seed=3)
    with pytest.raises(OverflowError):
        next(iter(stream))
    assert new_concept_probability(0, position=4999, width=1) == 0.0
    assert RiverConceptDrift(n_samples=6000, position=5000, width=1).generate(seed=0).n_samples == 6000


@pytest.mark.parametrize("position, width", [(5000, 1), (5000, 2), (3000, 1000), (200, 37)])
def test_transition_span_is_where_the_probability_crosses_1_and_99_percent(position, width):
    start, end = transition_span(position, width)
    p = lambda i: new_concept_probability(i, position=position, width=width)  # noqa: E731
    assert p(start - 1) < 0.01 <= p(start)
    assert p(end - 1) < 0.99 <= p(end)
    c = width * math.log(99) / 4
    assert start == math.ceil(position - c) and end == math.ceil(position + c)


def test_ground_truth_kind_and_position():
    s = RiverConceptDrift(n_samples=600, position=300).generate(seed=0)
    assert s.drifts == (Drift(start=299, end=302, kind="sudden", what="concept"),)
    g = RiverConceptDrift(n_samples=3000, position=1500, width=400).generate(seed=0)
    assert g.drifts == (Drift(start=1041, end=1960, kind="gradual", what="concept"),)
    assert g.signal_kind == "binary" and g.X.shape == (3000, 3) and g.y.shape == (3000,)
    assert set(np.unique(g.y)) <= {0, 1}


def test_sea_labels_follow_the_old_concept_before_and_the_new_one_after():
    s = RiverConceptDrift(n_samples=4000, position=2000).generate(seed=1)
    start, end = s.drifts[0].start, s.drifts[0].end
    total = s.X[:, 0] + s.X[:, 1]
    # a sample from the wrong concept shows only when 7 < x0 + x1 <= 8 (probability 0.075);
    # the expected number of such samples outside [start, end) is below 0.01
    assert np.array_equal(s.y[:start], (total[:start] > 8).astype(int))
    assert np.array_equal(s.y[end:], (total[end:] > 7).astype(int))


def test_gradual_mixture_share_follows_the_sigmoid():
    n, position, width = 8000, 4000, 2000
    s = RiverConceptDrift(n_samples=n, position=position, width=width).generate(seed=2)
    total = s.X[:, 0] + s.X[:, 1]
    ambiguous = np.flatnonzero((total > 7) & (total <= 8))  # the concepts disagree here: label tells
    p = np.array([new_concept_probability(int(i), position=position, width=width) for i in ambiguous])
    new = s.y[ambiguous] == 1
    assert abs(new.sum() - p.sum()) < Z * np.sqrt((p * (1 - p)).sum())


def test_error_rate_rises_at_the_concept_change():
    s = RiverConceptDrift(generator="STAGGER", n_samples=4000, position=2000).generate(seed=4)
    start, end = s.drifts[0].start, s.drifts[0].end
    before, after = s.signal[1000:start], s.signal[end:end + 200]
    p = np.concatenate([before, after]).mean()
    se = np.sqrt(p * (1 - p) * (1 / before.size + 1 / after.size))
    assert after.mean() - before.mean() > Z * se  # two-proportion z-test
    null = RiverConceptDrift(generator="STAGGER", n_samples=4000, position=2000).null().generate(seed=4)
    assert null.signal[end:end + 200].mean() <= before.mean() + Z * np.sqrt(max(before.mean(), 1e-3) / 200)


class _Spy:
    """A model that predicts the last label it learnt and records the order of calls."""

    def __init__(self):
        self.learnt: list[object] = []
        self.calls: list[tuple[str, int]] = []

    def predict_one(self, x):
        self.calls.append(("predict", x["i"]))
        assert len(self.learnt) == x["i"], "a label was learnt before its prediction"
        return self.learnt[-1] if self.learnt else None

    def learn_one(self, x, y):
        self.calls.append(("learn", x["i"]))
        self.learnt.append(y)


def test_prequential_errors_predict_before_learning():
    labels = [1, 1, 0, 0, 1, 0]
    spy = _Spy()
    X, y, errors = prequential_errors(spy, (({"i": i}, lab) for i, lab in enumerate(labels)), n_samples=5)
    assert spy.calls == [(v, i) for i in range(5) for v in ("predict", "learn")]
    assert y.tolist() == labels[:5] and X[:, 0].tolist() == [0, 1, 2, 3, 4]
    # predicting the previous label errs exactly where the label changes; no model yet counts as wrong
    assert errors.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="ended after 6"):
        prequential_errors(_Spy(), (({"i": i}, lab) for i, lab in enumerate(labels)), n_samples=10)


def test_scenario_feeds_each_label_only_after_its_prediction(monkeypatch):
    made: list[object] = []

    class ScenarioSpy:
        def __init__(self):
            self.n_pred = self.n_learn = 0
            self.pending = None
            made.append(self)

        def predict_one(self, x):
            assert self.n_pred == self.n_learn and self.pending is None
            self.n_pred += 1
            self.pending = dict(x)
            return None

        def learn_one(self, x, y):
            assert x == self.pending, "learnt a different sample from the one just predicted"
            self.pending = None
            self.n_learn += 1

    monkeypatch.setattr(_river, "_make_model", lambda name: ScenarioSpy())
    s = RiverConceptDrift(n_samples=300, position=150).generate(seed=0)
    assert made[0].n_pred == made[0].n_learn == 300 and s.signal.sum() == 300


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(generator="Agrawal"), "'generator' must be one of"),
        (dict(model="svm"), "'model' must be one of"),
        (dict(width=0), "'width' must be >= 1"),
        (dict(generator_params={"colour": 1}), "unknown key(s) ['colour']"),
        (dict(generator_params={"variant": 7}), "generator_params['variant'] must be one of [0, 1, 2, 3]"),
        (dict(generator_params={"noise": 1.5}), "generator_params['noise']"),
        (dict(generator="STAGGER", generator_params={"variant": 1}), "allowed: ['balance_classes'"),
        (dict(generator="STAGGER", generator_params={"balance_classes": "yes"}), "'balance_classes'"),
        (dict(n_samples=1000, position=999), "spans samples 998 to 1001"),
        (dict(n_samples=10_000, position=5000, width=5000), "transition"),
        (dict(position=1), "transition"),
    ],
)
def test_bad_input(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        RiverConceptDrift(**kwargs)
    assert fragment in str(info.value)
    with pytest.raises(TypeError, match="'generator_params' must be a dict"):
        RiverConceptDrift(generator_params=[("variant", 1)])  # type: ignore[arg-type]


def test_null_and_stationary_configuration():
    sc = RiverConceptDrift(generator_params={"variant": 1, "drift_variant": 3, "noise": 0.1})
    null = sc.null()
    assert null.is_stationary and not sc.is_stationary
    assert null.generator_params == {"variant": 1, "drift_variant": 1, "noise": 0.1}
    assert null.null() is null
    small = RiverConceptDrift(n_samples=300, position=150, generator_params={"variant": 1, "drift_variant": 1})
    assert small.generate(seed=0).drifts == ()


@settings(max_examples=40, deadline=None)
@given(position=st.integers(1, 100_000), width=st.integers(1, 20_000))
def test_property_transition_span_brackets_the_crossings(position, width):
    start, end = transition_span(position, width)
    p = lambda i: new_concept_probability(i, position=position, width=width)  # noqa: E731
    assert start <= position <= end
    assert p(start - 1) < 0.01 <= p(start) and p(end - 1) < 0.99 <= p(end)


def test_recurring_concept_comes_back_exactly():
    from mlmon.scenarios import RiverConceptDrift

    sc = RiverConceptDrift(generator="SEA", n_samples=6000, position=2000, duration=2000)
    s = sc.generate(seed=3)
    assert [(d.start, d.end, d.kind) for d in s.drifts] == [(1999, 2002, "sudden"), (3999, 4002, "recurring")]
    # SEA without noise: the label is x0 + x1 > 8 under variant 0 and > 7 under variant 2
    total = s.X[:, 0] + s.X[:, 1]
    first, second = total > 8, total > 7
    ambiguous = (total > 7) & (total <= 8)  # the only rows whose label tells the concepts apart
    for lo, hi, concept in ((0, 1999, first), (2002, 3999, second), (4002, 6000, first)):
        rows = np.arange(lo, hi)
        rows = rows[ambiguous[rows]]
        assert rows.size > 50 and np.array_equal(s.y[rows], concept[rows].astype(int))
    # the null keeps one concept throughout and has no drift, recurring or not
    assert sc.null().duration is None and not sc.null().generate(seed=3).drifts
    with pytest.raises(ValueError, match="duration.*too short"):
        RiverConceptDrift(n_samples=6000, position=2000, duration=2, width=50)
    with pytest.raises(ValueError, match="return to the first concept ends"):
        RiverConceptDrift(n_samples=6000, position=2000, duration=3999)
