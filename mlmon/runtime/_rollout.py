"""A canary rule exported by :func:`mlmon.ab.export_rollout`, run with numpy alone.

The research :class:`mlmon.ab.CanaryRule` and :class:`RuntimeRollout` run the same streaming
tests (:class:`mlmon.runtime._msprt.RunningTest`) and the same decision function
(:func:`decide`), so on the same traffic they decide identically, look for look.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from mlmon.runtime._load import ConfigError, parse
from mlmon.runtime._msprt import RunningTest
from mlmon.runtime._schema import validate

__all__ = ["GROUP_SEQUENTIAL_KIND", "GROUP_SEQUENTIAL_SCHEMA", "ROLLOUT_KIND", "ROLLOUT_SCHEMA",
           "GroupSequentialDecision", "RolloutDecision", "RuntimeGroupSequential", "RuntimeRollout", "decide",
           "load_rollout"]

ROLLOUT_KIND = "RolloutRule"
GROUP_SEQUENTIAL_KIND = "GroupSequentialRule"
ROLLOUT_SCHEMA_VERSION = 1

_METRIC = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "kind", "better", "role", "tau", "margin"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"enum": ["proportion", "mean"]},
        "better": {"enum": ["higher", "lower"]},
        "role": {"enum": ["primary", "guardrail"]},
        "tau": {"type": "number", "exclusiveMinimum": 0},
        "margin": {"type": "number", "minimum": 0},
    },
}

ROLLOUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:mlmon:rollout-config:{ROLLOUT_SCHEMA_VERSION}",
    "title": "mlmon rollout rule config",
    "description": "A canary rule exported by mlmon.ab.export_rollout() for mlmon.runtime.load_rollout().",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version", "kind", "metrics", "alpha", "guardrail_alpha", "segments", "min_samples",
                 "provenance"],
    "properties": {
        "schema_version": {"type": "integer", "minimum": 1},
        "kind": {"const": ROLLOUT_KIND},
        "metrics": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/metric"}},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "guardrail_alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "segments": {"type": ["array", "null"], "items": {"type": ["string", "integer"]}},
        "min_samples": {"type": "integer", "minimum": 2},
        "provenance": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mlmon", "numpy", "created"],
            "properties": {"mlmon": {"type": ["string", "null"]}, "numpy": {"type": ["string", "null"]},
                           "created": {"type": "string"}},
        },
    },
    "$defs": {"metric": _METRIC},
}


_PROVENANCE = ROLLOUT_SCHEMA["properties"]["provenance"]

GROUP_SEQUENTIAL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:mlmon:group-sequential-config:{ROLLOUT_SCHEMA_VERSION}",
    "title": "mlmon group-sequential design config",
    "description": ("A group-sequential design exported by mlmon.ab.export_rollout(): its planned looks and "
                    "z boundaries, for mlmon.runtime.load_rollout()."),
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version", "kind", "information_fractions", "boundaries", "alternative", "alpha",
                 "spending", "provenance"],
    "properties": {
        "schema_version": {"type": "integer", "minimum": 1},
        "kind": {"const": GROUP_SEQUENTIAL_KIND},
        "information_fractions": {"type": "array", "minItems": 1, "items": {"type": "number", "exclusiveMinimum": 0,
                                                                           "maximum": 1}},
        "boundaries": {"type": "array", "minItems": 1, "items": {"type": "number"}},
        "alternative": {"enum": ["two-sided", "greater"]},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "spending": {"type": "string"},
        "provenance": _PROVENANCE,
    },
}


def check_rollout_document(doc: Any, *, source: str = "rollout") -> None:
    """Validate a parsed rollout document; raise :class:`ConfigError` naming every problem.

    Examples
    --------
    >>> try:
    ...     check_rollout_document({"schema_version": 1, "kind": "RolloutRule", "metrics": [], "alpha": 2.0,
    ...                             "guardrail_alpha": 0.05, "segments": None, "min_samples": 100,
    ...                             "provenance": {"mlmon": None, "numpy": None, "created": "now"}}, source="r.json")
    ... except ConfigError as err:
    ...     print(err)
    r.json: 2 problems:
      metrics: must have at least 1 item(s), got 0
      alpha: must be < 1, got 2.0
    """
    if isinstance(doc, dict) and isinstance(doc.get("schema_version"), int) and \
            doc["schema_version"] > ROLLOUT_SCHEMA_VERSION:
        raise ConfigError(f"{source}: schema_version {doc['schema_version']} is newer than this mlmon reads (up to "
                          f"{ROLLOUT_SCHEMA_VERSION}); upgrade mlmon where the rule is loaded.")
    schema = GROUP_SEQUENTIAL_SCHEMA if isinstance(doc, dict) and doc.get("kind") == GROUP_SEQUENTIAL_KIND \
        else ROLLOUT_SCHEMA
    issues = validate(doc, schema)
    if issues:
        lines = "\n  ".join(i.describe() for i in issues)
        raise ConfigError(f"{source}: {len(issues)} problem{'s' if len(issues) > 1 else ''}:\n  {lines}")
    if schema is GROUP_SEQUENTIAL_SCHEMA:
        t = doc["information_fractions"]
        if len(t) != len(doc["boundaries"]):
            raise ConfigError(f"{source}: information_fractions and boundaries must have one entry per look, "
                              f"got {len(t)} and {len(doc['boundaries'])}.")
        if any(b <= a for a, b in zip(t, t[1:])) or not math.isclose(t[-1], 1.0, abs_tol=1e-9):
            raise ConfigError(f"{source}: information_fractions must increase and end at 1, got {t}.")
        return
    primary = [m for m in doc["metrics"] if m["role"] == "primary"]
    if len(primary) != 1:
        raise ConfigError(f"{source}: exactly one metric must have role 'primary', got {len(primary)}.")
    names = [m["name"] for m in doc["metrics"]]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: metric names must be unique, got {names}.")


def decide(metrics: Sequence[Mapping[str, Any]], segments: Sequence[Any] | None,
           tests: Mapping[tuple[str, Any], Any]) -> tuple[str, str]:
    """The canary's decision from each test's estimate and confidence sequence.

    ``metrics`` are dicts (name, better, role, margin); ``tests`` maps (metric, segment or None)
    to an object with ``estimate``, ``ci_low`` and ``ci_high``. Rollback if a guardrail's
    sequence lies beyond its margin on the harmful side (all traffic or any segment); promote
    if the primary's lies on the better side of 0 and every guardrail's within its margin;
    else continue.
    """
    guardrails = [m for m in metrics if m["role"] == "guardrail"]
    primary = next(m for m in metrics if m["role"] == "primary")
    scopes = [None] + list(segments or [])
    for g in guardrails:
        for seg in scopes:
            r = tests[(g["name"], seg)]
            harm = r.ci_low > g["margin"] if g["better"] == "lower" else r.ci_high < -g["margin"]
            if harm:
                where = "all traffic" if seg is None else f"segment {seg!r}"
                return "rollback", (f"guardrail {g['name']!r} on {where}: effect {r.estimate:.4g}, confidence "
                                    f"sequence [{r.ci_low:.4g}, {r.ci_high:.4g}] beyond the margin "
                                    f"{g['margin']:g} on the harmful side")
    p = tests[(primary["name"], None)]
    better = p.ci_low > 0 if primary["better"] == "higher" else p.ci_high < 0
    if not better:
        return "continue", f"primary {primary['name']!r} not yet shown better ([{p.ci_low:.4g}, {p.ci_high:.4g}])"
    unsafe = []
    for g in guardrails:
        for seg in scopes:
            r = tests[(g["name"], seg)]
            safe = r.ci_high < g["margin"] if g["better"] == "lower" else r.ci_low > -g["margin"]
            if not safe:
                unsafe.append(g["name"] if seg is None else f"{g['name']}[{seg}]")
    if unsafe:
        return "continue", f"primary better, but guardrails not yet shown within their margins: {unsafe}"
    return "promote", (f"primary {primary['name']!r} better ([{p.ci_low:.4g}, {p.ci_high:.4g}]) and every "
                       "guardrail within its margin")


def build_tests(metrics: Sequence[Mapping[str, Any]], segments: Sequence[Any] | None, *, alpha: float,
                guardrail_alpha: float, min_samples: int) -> dict[tuple[str, Any], RunningTest]:
    """One running test per (primary, all traffic) and per (guardrail, all traffic and each segment)."""
    guardrails = [m for m in metrics if m["role"] == "guardrail"]
    primary = next(m for m in metrics if m["role"] == "primary")
    scopes = [None] + list(segments or [])
    level = guardrail_alpha / max(len(guardrails) * len(scopes), 1)
    tests = {(primary["name"], None): RunningTest(tau=primary["tau"], alpha=alpha, metric=primary["kind"],
                                                  min_samples=min_samples)}
    for g in guardrails:
        for seg in scopes:
            tests[(g["name"], seg)] = RunningTest(tau=g["tau"], alpha=level, metric=g["kind"],
                                                  min_samples=min_samples)
    return tests


def arm_values(metrics: Sequence[Mapping[str, Any]], data: Any, who: str, owner: str) -> tuple[dict[str, np.ndarray], int]:
    """Each metric's values of one arm for one look, checked: one value per request, 0/1 for proportions."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{owner}: {who} must be a dict {{metric name: values}}, got {type(data).__name__}.")
    missing = [m["name"] for m in metrics if m["name"] not in data]
    if missing:
        raise ValueError(f"{owner}: {who} lacks metrics {missing}; give every metric's values (an empty array "
                         "for none this look).")
    out = {}
    for m in metrics:
        arr = np.asarray(data[m["name"]], dtype=float).ravel()
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{owner}: {who}[{m['name']!r}] holds NaN or infinite values; drop them first.")
        if m["kind"] == "proportion" and not np.all((arr == 0.0) | (arr == 1.0)):
            raise ValueError(f"{owner}: {who}[{m['name']!r}] must hold only 0 and 1 (a proportion metric).")
        out[m["name"]] = arr
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"{owner}: {who}'s metrics must have one value per request each; got sizes {sizes}.")
    return out, next(iter(sizes.values()))


def segment_labels(segments: Any, n: int, who: str, owner: str) -> np.ndarray:
    if segments is None:
        raise ValueError(f"{owner}: this rule tests segments; give segments_{who} (each request's segment).")
    arr = np.asarray(segments, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"{owner}: segments_{who} must have one entry per request: {arr.size} for {n}.")
    return arr


def feed(tests: Mapping[tuple[str, Any], RunningTest], c: dict[str, np.ndarray], t: dict[str, np.ndarray],
         seg_c: np.ndarray | None, seg_t: np.ndarray | None) -> None:
    """Add one look's data to every test (a segment's test gets that segment's requests)."""
    for (name, seg), test in tests.items():
        if seg is None:
            test.add(c[name], t[name])
        else:
            test.add(c[name][seg_c == seg], t[name][seg_t == seg])


@dataclass(frozen=True)
class RolloutDecision:
    """The runtime rule's decision at one look."""

    decision: str
    reason: str
    look: int
    n_control: int
    n_treatment: int


class RuntimeRollout:
    """A canary rule, numpy only: :meth:`update` with each look's requests per arm, read the decision.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from mlmon.ab import CanaryRule, Metric, export_rollout
    >>> rule = CanaryRule([Metric("conversion", kind="proportion", better="higher", role="primary", tau=0.02)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     prod = load_rollout(export_rollout(rule, tmp))
    >>> rng = np.random.default_rng(0)
    >>> d = prod.update({"conversion": rng.random(20000) < 0.10}, {"conversion": rng.random(20000) < 0.13})
    >>> d.decision
    'promote'
    """

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.metrics = [dict(m) for m in doc["metrics"]]
        self.segments = None if doc["segments"] is None else list(doc["segments"])
        self.alpha, self.guardrail_alpha = float(doc["alpha"]), float(doc["guardrail_alpha"])
        self.min_samples = int(doc["min_samples"])
        self.reset()

    def reset(self) -> RuntimeRollout:
        """Forget all data: a new rollout."""
        self.tests = build_tests(self.metrics, self.segments, alpha=self.alpha, guardrail_alpha=self.guardrail_alpha,
                                 min_samples=self.min_samples)
        self.looks = self.n_control = self.n_treatment = 0
        self.decision: RolloutDecision | None = None
        return self

    def update(self, control: Mapping[str, Any], treatment: Mapping[str, Any], *, segments_control: Any = None,
               segments_treatment: Any = None) -> RolloutDecision:
        """Add one look's requests per arm and decide (as :meth:`mlmon.ab.CanaryRule.update`)."""
        owner = "RuntimeRollout.update"
        if self.decision is not None and self.decision.decision != "continue":
            raise RuntimeError(f"{owner}: the rollout is decided ({self.decision.decision}); call reset() for a "
                               "new one.")
        c, n_c = arm_values(self.metrics, control, "control", owner)
        t, n_t = arm_values(self.metrics, treatment, "treatment", owner)
        seg_c = seg_t = None
        if self.segments is not None:
            seg_c = segment_labels(segments_control, n_c, "control", owner)
            seg_t = segment_labels(segments_treatment, n_t, "treatment", owner)
        feed(self.tests, c, t, seg_c, seg_t)
        self.looks += 1
        self.n_control += n_c
        self.n_treatment += n_t
        decision, reason = decide(self.metrics, self.segments, self.tests)
        self.decision = RolloutDecision(decision, reason, self.looks, self.n_control, self.n_treatment)
        return self.decision

    def __repr__(self) -> str:
        names = ", ".join(f"{m['name']} ({m['role']})" for m in self.metrics)
        return f"RuntimeRollout({names}; alpha={self.alpha}, guardrail_alpha={self.guardrail_alpha})"


@dataclass(frozen=True)
class GroupSequentialDecision:
    """A group-sequential design's decision at one planned look."""

    decision: str
    look: int
    z: float
    boundary: float
    direction: str | None


class RuntimeGroupSequential:
    """A group-sequential design's planned looks and boundaries, numpy only.

    :meth:`look` takes the z statistic (treatment minus control, on all data so far) at the
    next planned look and returns ``"reject"`` when it crosses the boundary, else
    ``"continue"``, or ``"fail_to_reject"`` at the last look: the decisions
    :meth:`mlmon.ab.GroupSequentialDesign.monitor` takes on the planned looks. Looks at other
    times need boundaries recomputed from the spending function, in research.
    """

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.information_fractions = tuple(float(v) for v in doc["information_fractions"])
        self.boundaries = tuple(float(v) for v in doc["boundaries"])
        self.alternative, self.alpha, self.spending = doc["alternative"], float(doc["alpha"]), doc["spending"]
        self.reset()

    def reset(self) -> RuntimeGroupSequential:
        self.looks = 0
        self.decision: GroupSequentialDecision | None = None
        return self

    def look(self, z: float) -> GroupSequentialDecision:
        """The decision at the next planned look, given its z statistic."""
        if self.decision is not None and self.decision.decision != "continue":
            raise RuntimeError(f"RuntimeGroupSequential.look: the test is decided ({self.decision.decision}); "
                               "call reset() for a new one.")
        if self.looks >= len(self.boundaries):
            raise RuntimeError(f"RuntimeGroupSequential.look: all {len(self.boundaries)} planned looks are taken.")
        z = float(z)
        if not math.isfinite(z):
            raise ValueError(f"RuntimeGroupSequential.look: z must be a finite number, got {z!r}.")
        b = self.boundaries[self.looks]
        self.looks += 1
        seen = abs(z) if self.alternative == "two-sided" else z
        if seen >= b:
            decision, direction = "reject", ("greater" if z > 0 else "less")
        else:
            decision, direction = ("fail_to_reject" if self.looks == len(self.boundaries) else "continue"), None
        self.decision = GroupSequentialDecision(decision, self.looks, z, b, direction)
        return self.decision

    def __repr__(self) -> str:
        return (f"RuntimeGroupSequential({len(self.boundaries)} looks, {self.spending}, alpha={self.alpha}, "
                f"{self.alternative})")


def load_rollout(path: str | os.PathLike[str]) -> RuntimeRollout | RuntimeGroupSequential:
    """Load a rule exported by :func:`mlmon.ab.export_rollout`, with numpy alone.

    A canary rule loads as a :class:`RuntimeRollout`, a group-sequential design as a
    :class:`RuntimeGroupSequential`.

    Raises
    ------
    ConfigError
        When the file is missing or not a valid rollout config; the message names the key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such rollout file.")
    doc = parse(path.read_text(encoding="utf-8"), source=str(path))
    check_rollout_document(doc, source=str(path))
    if doc["kind"] == GROUP_SEQUENTIAL_KIND:
        return RuntimeGroupSequential(doc)
    return RuntimeRollout(doc)


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as the JSON text a rollout file holds."""
    return json.dumps(doc, indent=2, sort_keys=False, allow_nan=False) + "\n"

