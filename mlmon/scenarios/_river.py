"""Concept drift from river's SEA and STAGGER generators, monitored through a model's errors.

The stream is the sigmoid mixture of two concepts that river's
``river.datasets.synth.ConceptDriftStream`` defines: the ``i``-th sample (0-based) comes from
the new concept with probability

``p(i) = 1 / (1 + exp(-4 (i - position) / width))``

so ``p(position) = 1/2``. river's ``position`` counts samples from 1, so this ``position`` is
river's minus one; given the same seeds the samples are exactly those of
``ConceptDriftStream(stream, drift_stream, position=position + 1, width=width, seed=...)``.
The mixture is drawn here rather than by ``ConceptDriftStream`` itself because river computes
``math.exp(-4 (i - position) / width)`` directly, which overflows (``OverflowError``) as soon
as ``4 (position - 1) / width`` exceeds about 709, e.g. for any sudden drift past sample 178.
Here that probability is 0, the limit river's formula tends to.

Ground truth: ``start`` is the first index with ``p >= 0.01`` and ``end`` the first with
``p >= 0.99``, i.e. ``position -/+ width * ln(99) / 4`` (about ``1.15 * width``), rounded up;
for ``width=1`` that is ``start = position - 1``, ``end = position + 2``. The drift is
``"sudden"`` for ``width == 1`` and ``"gradual"`` otherwise.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import annotated_types as at
import numpy as np

from mlmon._validation import validate_params
from mlmon.scenarios._base import Drift, Scenario, Stream, register_scenario

__all__ = ["RiverConceptDrift"]

#: new-concept probability at which the transition is said to start and to be complete
TRANSITION_BOUNDS = (0.01, 0.99)

# generator -> (its concept parameter, the allowed concepts, its other parameters with defaults)
_GENERATORS: dict[str, tuple[str, tuple[int, ...], dict[str, Any]]] = {
    "SEA": ("variant", (0, 1, 2, 3), {"noise": 0.0}),
    "STAGGER": ("classification_function", (0, 1, 2), {"balance_classes": False}),
}
_DEFAULT_CONCEPTS = {"SEA": (0, 2), "STAGGER": (0, 2)}


def new_concept_probability(i: int, *, position: int, width: int) -> float:
    """River's sigmoid probability that sample ``i`` (0-based) comes from the new concept.

    Examples
    --------
    >>> new_concept_probability(100, position=100, width=10)
    0.5
    >>> new_concept_probability(0, position=5000, width=1)
    0.0
    """
    v = -4.0 * float(i - position) / float(width)
    try:
        return 1.0 / (1.0 + math.exp(v))
    except OverflowError:
        return 0.0


def transition_span(position: int, width: int) -> tuple[int, int]:
    """First indices at which the new-concept probability reaches 1% and 99%.

    Examples
    --------
    >>> transition_span(5000, 1)
    (4999, 5002)
    >>> transition_span(5000, 1000)
    (3852, 6149)
    """
    c = width * math.log(99.0) / 4.0
    bounds = []
    for q, guess in zip(TRANSITION_BOUNDS, (position - c, position + c)):
        i = math.ceil(guess)
        while new_concept_probability(i - 1, position=position, width=width) >= q:
            i -= 1
        while new_concept_probability(i, position=position, width=width) < q:
            i += 1
        bounds.append(i)
    return bounds[0], bounds[1]


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class RiverConceptDrift(Scenario):
    """Concept drift in river's SEA or STAGGER stream, seen through an online model's errors.

    The signal is the prequential 0/1 error stream of an online river classifier: each
    sample is first predicted (``predict_one``), the error recorded, and only then learnt
    (``learn_one``). A model that has not seen any label yet counts as wrong. The features
    ``X`` (n, 3) and labels ``y`` (0/1) are kept in the stream. The model keeps learning
    through the drift, so the error rises at the change and falls again as it adapts;
    it also falls from 1/2 at the start of every stream (its learning curve), in the null too.

    Parameters
    ----------
    generator
        ``"SEA"`` (3 uniform features on [0, 10], label ``x0 + x1 > threshold``; the variant
        sets the threshold: 0: 8, 1: 9, 2: 7, 3: 9.5) or ``"STAGGER"`` (3 categorical features
        coded 0-2, three boolean concepts).
    n_samples
        Length of the stream.
    position
        Index at which the new concept has probability 1/2 (see the module notes).
    width
        Width of river's sigmoid transition; 1 is a sudden drift.
    duration
        With a number, the drift is recurring: the first concept comes back ``duration``
        samples after ``position``, through the same transition (ground truth: the change,
        then a ``"recurring"`` drift back). None: the new concept stays.
    model
        The monitored online classifier: ``"logistic"`` (river's ``StandardScaler |
        LogisticRegression``, the default: the cheapest of the three and the most accurate on
        these streams), ``"naive_bayes"`` (``GaussianNB``) or ``"hoeffding_tree"``
        (``HoeffdingTreeClassifier``), all with river's default settings.
    generator_params
        Concepts and generator options. SEA: ``variant`` (before, default 0),
        ``drift_variant`` (after, default 2), ``noise`` (label-flip rate, default 0.0).
        STAGGER: ``classification_function`` (default 0), ``drift_classification_function``
        (default 2), ``balance_classes`` (default False). Equal concepts before and after make
        a stationary scenario.

    Notes
    -----
    The three river seeds (before-concept stream, after-concept stream, mixture) are drawn
    from the scenario's ``rng`` and recorded in ``Stream.meta["river_seeds"]``.

    Examples
    --------
    >>> sc = RiverConceptDrift(generator="STAGGER", n_samples=2000, position=1000)
    >>> s = sc.generate(seed=0)
    >>> s.signal_kind, s.X.shape, s.drifts[0]
    ('binary', (2000, 3), Drift(start=999, end=1002, kind='sudden', what='concept', columns=()))
    >>> bool(s.signal[1000:1100].mean() > s.signal[800:1000].mean())
    True
    >>> sc.null().generator_params
    {'classification_function': 0, 'drift_classification_function': 0, 'balance_classes': False}
    >>> rec = RiverConceptDrift(n_samples=3000, position=1000, duration=1000).generate(seed=0)
    >>> [(d.start, d.kind) for d in rec.drifts]
    [(999, 'sudden'), (1999, 'recurring')]
    """

    signal_kind: ClassVar[Literal["real", "binary"]] = "binary"

    generator: Literal["SEA", "STAGGER"] = "SEA"
    n_samples: Annotated[int, at.Ge(2)] = 10_000
    position: Annotated[int, at.Ge(1)] = 5_000
    width: Annotated[int, at.Ge(1)] = 1
    model: Literal["logistic", "naive_bayes", "hoeffding_tree"] = "logistic"
    generator_params: dict[str, Any] | None = None
    duration: Annotated[int, at.Ge(1)] | None = None

    def __post_init__(self) -> None:
        if self.generator_params is not None:
            if not isinstance(self.generator_params, dict):
                raise TypeError(
                    f"{self.name}: parameter 'generator_params' must be a dict or None, got "
                    f"{type(self.generator_params).__name__}."
                )
            object.__setattr__(self, "generator_params", dict(self.generator_params))
        validate_params(self)
        self._resolved_params()  # validates generator_params
        start, end = transition_span(self.position, self.width)
        if start < 1 or end > self.n_samples - 1:
            raise ValueError(
                f"{self.name}: the transition (new-concept probability 1% to 99%) spans samples "
                f"{start} to {end}, which must lie within 1 to n_samples - 1 = {self.n_samples - 1}; "
                "move position away from the ends, lower width or raise n_samples."
            )
        if self.duration is not None:
            back_start, back_end = transition_span(self.position + self.duration, self.width)
            if back_start <= end:
                raise ValueError(
                    f"{self.name}: parameter 'duration'={self.duration} is too short: the return to the first "
                    f"concept would start (sample {back_start}) before the change has ended (sample {end}); "
                    "raise duration or lower width.")
            if back_end > self.n_samples - 1:
                raise ValueError(
                    f"{self.name}: the return to the first concept ends at sample {back_end}, beyond "
                    f"n_samples - 1 = {self.n_samples - 1}; lower position or duration, or raise n_samples.")

    def _resolved_params(self) -> dict[str, Any]:
        concept_key, allowed, options = _GENERATORS[self.generator]
        before, after = _DEFAULT_CONCEPTS[self.generator]
        resolved = {concept_key: before, f"drift_{concept_key}": after, **options}
        given = self.generator_params or {}
        unknown = sorted(set(given) - set(resolved))
        if unknown:
            raise ValueError(
                f"{self.name}: parameter 'generator_params' has unknown key(s) {unknown} for "
                f"generator={self.generator!r}; allowed: {sorted(resolved)}."
            )
        resolved.update(given)
        for key in (concept_key, f"drift_{concept_key}"):
            v = resolved[key]
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v not in allowed:
                raise ValueError(
                    f"{self.name}: generator_params[{key!r}] must be one of {list(allowed)}, got {v!r}."
                )
        if "noise" in resolved:
            v = resolved["noise"]
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) or not 0 <= v < 1:
                raise ValueError(f"{self.name}: generator_params['noise'] must be a number in [0, 1), got {v!r}.")
        if "balance_classes" in resolved and not isinstance(resolved["balance_classes"], (bool, np.bool_)):
            raise ValueError(
                f"{self.name}: generator_params['balance_classes'] must be True or False, "
                f"got {resolved['balance_classes']!r}."
            )
        return resolved

    @property
    def is_stationary(self) -> bool:
        concept_key = _GENERATORS[self.generator][0]
        resolved = self._resolved_params()
        return bool(resolved[concept_key] == resolved[f"drift_{concept_key}"])

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        concept_key = _GENERATORS[self.generator][0]
        params = self._resolved_params()
        params[f"drift_{concept_key}"] = params[concept_key]
        return dataclasses.replace(self, generator_params=params, duration=None)

    def _ground_truth(self) -> tuple[Drift, ...]:
        if self.is_stationary:
            return ()
        start, end = transition_span(self.position, self.width)
        first = Drift(start=start, end=end, kind="sudden" if self.width <= 1 else "gradual", what="concept")
        if self.duration is None:
            return (first,)
        back_start, back_end = transition_span(self.position + self.duration, self.width)
        return first, Drift(start=back_start, end=back_end, kind="recurring", what="concept")

    def _concept_streams(self, seed_before: int, seed_after: int) -> tuple[Any, Any]:
        from river.datasets import synth

        params = self._resolved_params()
        concept_key = _GENERATORS[self.generator][0]
        options = {k: params[k] for k in _GENERATORS[self.generator][2]}
        cls = getattr(synth, self.generator)
        return (
            cls(**{concept_key: int(params[concept_key])}, seed=seed_before, **options),
            cls(**{concept_key: int(params[f"drift_{concept_key}"])}, seed=seed_after, **options),
        )

    def _generate(self, rng: np.random.Generator) -> Stream:
        seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=3)]
        before, after = self._concept_streams(seeds[0], seeds[1])
        if self.is_stationary:
            pairs: Iterator[tuple[dict[Any, Any], Any]] = iter(before)
        else:
            pairs = _concept_mixture(iter(before), iter(after), position=self.position, width=self.width, seed=seeds[2],
                                     duration=self.duration)
        X, y, errors = prequential_errors(_make_model(self.model), pairs, n_samples=self.n_samples)
        drifts = self._ground_truth()
        meta = {
            "river_seeds": {"stream": seeds[0], "drift_stream": seeds[1], "mixture": seeds[2]},
            "feature_names": list(_FEATURES[self.generator]),
        }
        return Stream(signal=errors, drifts=drifts, signal_kind="binary", X=X, y=y, meta=meta)


_FEATURES = {"SEA": (0, 1, 2), "STAGGER": ("size", "color", "shape")}


def _concept_mixture(
    first: Iterator[Any], second: Iterator[Any], *, position: int, width: int, seed: int,
    duration: int | None = None,
) -> Iterator[Any]:
    """River's ConceptDriftStream mixture, without its overflow (see the module notes).

    With ``duration``, the probability of the second concept falls back through the same
    sigmoid centred at ``position + duration`` (a recurring drift).
    """
    draw = random.Random(seed).random
    i = 0
    while True:
        p = new_concept_probability(i, position=position, width=width)
        if duration is not None:
            p -= new_concept_probability(i, position=position + duration, width=width)
        yield next(first) if draw() > p else next(second)
        i += 1


def prequential_errors(
    model: Any, pairs: Iterable[tuple[dict[Any, Any], Any]], *, n_samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test-then-train ``model`` on the first ``n_samples`` (x, y) pairs.

    Each ``x`` is predicted before its label is learnt, so no label is used before its
    prediction. Returns the features (n, d) as float64, the labels as int64 and the 0/1
    errors as float64.

    Examples
    --------
    >>> from river import linear_model
    >>> pairs = [({"a": 1.0}, True), ({"a": -1.0}, False), ({"a": 2.0}, True)]
    >>> X, y, errors = prequential_errors(linear_model.LogisticRegression(), pairs, n_samples=3)
    >>> X.shape, y.tolist(), errors.shape
    ((3, 1), [1, 0, 1], (3,))
    """
    if n_samples < 1:
        raise ValueError(f"prequential_errors: parameter 'n_samples' must be >= 1, got {n_samples}.")
    X: np.ndarray | None = None
    y = np.empty(n_samples, dtype=np.int64)
    errors = np.empty(n_samples, dtype=np.float64)
    n = 0
    for x, label in pairs:
        if n == n_samples:
            break
        predicted = model.predict_one(x)
        errors[n] = 0.0 if predicted == label else 1.0
        model.learn_one(x, label)
        if X is None:
            X = np.empty((n_samples, len(x)), dtype=np.float64)
        X[n] = list(x.values())
        y[n] = int(label)
        n += 1
    if n < n_samples:
        raise ValueError(f"prequential_errors: the stream ended after {n} of n_samples={n_samples} pairs.")
    assert X is not None
    return X, y, errors


def _make_model(name: str) -> Any:
    if name == "logistic":
        from river import linear_model, preprocessing

        return preprocessing.StandardScaler() | linear_model.LogisticRegression()
    if name == "naive_bayes":
        from river import naive_bayes

        return naive_bayes.GaussianNB()
    from river import tree

    return tree.HoeffdingTreeClassifier()
