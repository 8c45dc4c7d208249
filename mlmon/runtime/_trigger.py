"""Retraining triggers in production, with numpy and the standard library only.

A trigger exported by :func:`mlmon.retraining.export_trigger` is a small JSON document (kind
``"RetrainingTrigger"``, validated by :data:`TRIGGER_SCHEMA`) that names the policy's rule,
its parameters and its limits (``cooldown``, ``max_retrains`` per ``period``). A drift-triggered
policy's detector is an ordinary detector config beside it, referenced by relative path and
SHA-256, so the pair cannot be mixed up with another export and the detector config stays
loadable on its own with :func:`mlmon.runtime.load`.

:func:`load_trigger` returns a :class:`RuntimeTrigger` that decides exactly what
:func:`mlmon.retraining.replay` decided for the policy: fed the same inputs in the same order
(each served sample, then the labels that arrived at that step), it asks for a retrain at the
same steps, with the same reasons, and refuses the same requests by cooldown or cap.
"""

from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from mlmon.runtime._engines import RuntimeDetector
from mlmon.runtime._inputs import check_signal, check_value
from mlmon.runtime._load import ConfigError, known_kinds, load, parse, sha256_file
from mlmon.runtime._schema import validate

__all__ = ["TRIGGER_SCHEMA", "TRIGGER_SCHEMA_VERSION", "RuntimeTrigger", "TriggerDecision", "TriggerRun",
           "check_trigger_document", "load_trigger"]

#: The newest trigger format this version of mlmon reads and writes.
TRIGGER_SCHEMA_VERSION = 1
TRIGGER_KIND = "RetrainingTrigger"
POLICIES = ("DriftTriggered", "PerformanceTriggered", "Periodic")

# --- the document ------------------------------------------------------------------------------

_LIMITS = {
    "type": "object",
    "description": "What every policy shares: the cooldown and the cap on retrains.",
    "additionalProperties": False,
    "required": ["cooldown", "max_retrains", "period"],
    "properties": {
        "cooldown": {"type": "integer", "minimum": 0,
                     "description": "Samples after a retrain during which requests are refused."},
        "max_retrains": {"type": ["integer", "null"], "minimum": 1,
                         "description": "At most this many retrains in any 'period' samples (with 'period')."},
        "period": {"type": ["integer", "null"], "minimum": 1,
                   "description": "The window of the cap, in samples (with 'max_retrains')."},
    },
}

_DETECTOR = {
    "type": "object",
    "description": "The detector config the trigger runs, beside this file.",
    "additionalProperties": False,
    "required": ["config", "sha256", "kind"],
    "properties": {
        "config": {"type": "string", "minLength": 1,
                   "description": "File name of the detector config, relative to this file's directory."},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                   "description": "SHA-256 of the detector config's bytes."},
        "kind": {"type": "string", "minLength": 1, "description": "The detector's class name."},
    },
}

_PROVENANCE = {
    "type": "object",
    "description": "Where and when the trigger was exported.",
    "additionalProperties": False,
    "required": ["mlmon", "python", "numpy", "scipy", "river", "created", "policy"],
    "properties": {
        "mlmon": {"type": "string"},
        "python": {"type": "string"},
        "numpy": {"type": "string"},
        "scipy": {"type": ["string", "null"]},
        "river": {"type": ["string", "null"]},
        "created": {"type": "string", "description": "Creation time, UTC, ISO 8601."},
        "policy": {"type": "string", "description": "The exported policy, as Python shows it."},
    },
}

_PARAMS = {
    "DriftTriggered": {
        "type": "object",
        "description": "Which signal the detector watches.",
        "additionalProperties": False,
        "required": ["signal", "feature", "lookback"],
        "properties": {
            "signal": {"enum": ["error", "feature", "prediction"],
                       "description": ("'error': the losses of predictions as their labels arrive; "
                                       "'feature': column 'feature' of each served row; 'prediction': "
                                       "each served prediction.")},
            "feature": {"type": ["integer", "null"], "minimum": 0,
                        "description": "Column index for signal 'feature'."},
            "lookback": {"type": ["integer", "null"], "minimum": 1,
                         "description": ("Retrain on samples from this many samples before the alarm on "
                                         "(null: the retrain's usual window).")},
        },
    },
    "PerformanceTriggered": {
        "type": "object",
        "description": "Retrain when the windowed error's lower confidence bound exceeds max_error.",
        "additionalProperties": False,
        "required": ["window", "max_error", "confidence", "z"],
        "properties": {
            "window": {"type": "integer", "minimum": 10, "description": "Labels in the window."},
            "max_error": {"type": "number", "minimum": 0, "description": "The tolerated error rate (or mean loss)."},
            "confidence": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1,
                           "description": "One-sided confidence of the lower bound."},
            "z": {"type": "number",
                  "description": "The standard normal quantile at 'confidence', as the research policy used it."},
        },
    },
    "Periodic": {
        "type": "object",
        "description": "Retrain every 'every' samples, counted from the first sample the trigger sees.",
        "additionalProperties": False,
        "required": ["every"],
        "properties": {"every": {"type": "integer", "minimum": 1}},
    },
}


def _branch(policy: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A trigger of mlmon.retraining.{policy}.",
        "additionalProperties": False,
        "required": ["schema_version", "kind", "policy", "params", "limits", "detector", "provenance"],
        "properties": {
            "schema_version": {"type": "integer", "const": TRIGGER_SCHEMA_VERSION},
            "kind": {"const": TRIGGER_KIND},
            "policy": {"const": policy},
            "params": {"$ref": f"#/$defs/{policy}.params"},
            "limits": {"$ref": "#/$defs/limits"},
            "detector": {"$ref": "#/$defs/detector"} if policy == "DriftTriggered" else {"type": "null"},
            "provenance": {"$ref": "#/$defs/provenance"},
        },
    }


#: JSON Schema (draft 2020-12) of an exported retraining trigger.
TRIGGER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:mlmon:trigger-config:{TRIGGER_SCHEMA_VERSION}",
    "title": "mlmon retraining trigger config",
    "description": ("A retraining policy exported by mlmon.retraining.export_trigger() for "
                    "mlmon.runtime.load_trigger(): one alternative per policy, told apart by 'policy'."),
    "type": "object",
    "oneOf": [{"$ref": f"#/$defs/{p}"} for p in POLICIES],
    "$defs": {
        **{p: _branch(p) for p in POLICIES},
        **{f"{p}.params": s for p, s in _PARAMS.items()},
        "limits": _LIMITS,
        "detector": _DETECTOR,
        "provenance": _PROVENANCE,
    },
}


def check_trigger_document(doc: dict[str, Any], *, source: str = "trigger") -> None:
    """Validate a parsed trigger document; raise :class:`ConfigError` naming every problem.

    Examples
    --------
    >>> try:
    ...     check_trigger_document({"schema_version": 1, "kind": "RetrainingTrigger", "policy": "Periodic",
    ...                             "params": {"every": 0}}, source="t.json")
    ... except ConfigError as err:
    ...     print(err)
    t.json: 4 problems:
      (config): missing required key 'limits'
      (config): missing required key 'detector'
      (config): missing required key 'provenance'
      params.every: must be >= 1, got 0
    """
    kind = doc.get("kind")
    if isinstance(kind, str) and kind != TRIGGER_KIND:
        if kind == "Monitor":
            raise ConfigError(f"{source} is a monitor config, not a trigger; load it with "
                              "mlmon.runtime.load_monitor.")
        if kind in known_kinds():
            raise ConfigError(f"{source} is a detector config (kind {kind!r}), not a trigger; load it with "
                              "mlmon.runtime.load, or pass the trigger's .json written by export_trigger.")
    version = doc.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > TRIGGER_SCHEMA_VERSION:
        raise ConfigError(f"{source}: schema_version {version} is newer than this mlmon reads (up to "
                          f"{TRIGGER_SCHEMA_VERSION}); upgrade mlmon where the trigger is loaded, or export "
                          "it again with the mlmon version installed here.")
    issues = validate(doc, TRIGGER_SCHEMA)
    if issues:
        lines = "\n  ".join(i.describe() for i in issues)
        plural = "problem" if len(issues) == 1 else "problems"
        raise ConfigError(f"{source}: {len(issues)} {plural}:\n  {lines}")
    limits, params = doc["limits"], doc["params"]
    if (limits["max_retrains"] is None) != (limits["period"] is None):
        raise ConfigError(f"{source}: limits.max_retrains and limits.period go together (at most "
                          "max_retrains retrains in any period samples); give both or set both to null.")
    if doc["policy"] == "DriftTriggered" and params["signal"] == "feature" and params["feature"] is None:
        raise ConfigError(f"{source}: params.signal is 'feature' but params.feature is null; give the "
                          "column index the detector watches.")
    if doc["policy"] == "PerformanceTriggered":
        z = NormalDist().inv_cdf(params["confidence"])
        if not math.isclose(params["z"], z, rel_tol=1e-9, abs_tol=1e-9):
            raise ConfigError(f"{source}: params.z is {params['z']!r}, but the normal quantile at "
                              f"params.confidence {params['confidence']!r} is {z!r}; the two were edited "
                              "apart. Export the policy again.")


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TriggerDecision:
    """What a :class:`RuntimeTrigger` decided at one step.

    Attributes
    ----------
    t
        The step (sample index).
    retrain
        Retrain now. The trigger counts it at once (its cooldown and cap start, its detector
        or window starts afresh), as the replay did when it accepted a request.
    refused
        The rule asked for a retrain, but the cooldown or the cap refused it.
    reason
        Why, in the replay's words (``""`` when the rule asked for nothing); a refusal names
        the limit, e.g. ``"DDM alarm on errors (cooldown: 12 of 200 samples since the last
        retrain)"``.
    since
        For a retrain of a drift-triggered policy with a ``lookback``: train only on samples
        from this step on. None: the retrain's usual window.

    Examples
    --------
    >>> d = TriggerDecision(t=7, retrain=True, refused=False, reason="every 7 samples")
    >>> d.requested, d.retrain
    (True, True)
    """

    t: int
    retrain: bool
    refused: bool
    reason: str
    since: int | None = None

    @property
    def requested(self) -> bool:
        """Whether the rule asked for a retrain (accepted or refused)."""
        return self.retrain or self.refused


@dataclass(frozen=True, eq=False)
class TriggerRun:
    """What :meth:`RuntimeTrigger.run` decided over a stretch of steps.

    Attributes
    ----------
    retrains
        Steps at which to retrain.
    refused
        Steps at which a request was refused by the cooldown or the cap.
    decisions
        Every step with a request (accepted or refused), in time order.
    n_steps
        Steps processed.

    Examples
    --------
    >>> run = TriggerRun(retrains=(5,), refused=(), decisions=(), n_steps=10)
    >>> run.retrains, run.n_steps
    ((5,), 10)
    """

    retrains: tuple[int, ...]
    refused: tuple[int, ...]
    decisions: tuple[TriggerDecision, ...]
    n_steps: int


# --- the rules ---------------------------------------------------------------------------------


class _Rule:
    """When to ask for a retrain; the trigger applies the limits."""

    def sample(self, since: int, value: float | None) -> str | None:
        return None

    def label(self, error: float) -> str | None:
        return None

    def retrained(self) -> None:
        """A retrain was decided: start afresh where the research policy does."""

    def reset(self) -> None:
        self.retrained()


class _Periodic(_Rule):
    def __init__(self, every: int) -> None:
        self.every = every

    def sample(self, since: int, value: float | None) -> str | None:
        if since > 0 and since % self.every == 0:
            return f"every {self.every} samples"
        return None


class _Drift(_Rule):
    def __init__(self, detector: RuntimeDetector, signal: str, feature: int | None) -> None:
        self.detector, self.signal = detector, signal
        self.where = {"error": "errors", "feature": f"feature {feature}", "prediction": "predictions"}[signal]

    def _feed(self, value: float) -> str | None:
        if self.detector.update(value).drift:
            return f"{self.detector.kind} alarm on {self.where}"
        return None

    def sample(self, since: int, value: float | None) -> str | None:
        return None if value is None else self._feed(value)

    def label(self, error: float) -> str | None:
        return self._feed(error) if self.signal == "error" else None

    def retrained(self) -> None:
        self.detector.reset()


class WindowedErrorRule(_Rule):
    """PerformanceTriggered's rule: the windowed error's lower confidence bound above ``max_error``.

    Over the last ``window`` errors, a one-sided Wilson lower bound (0/1 errors) or a normal
    lower bound (other losses) with quantile ``z``. The research policy runs this same object.
    """

    def __init__(self, window: int, max_error: float, z: float) -> None:
        self.window, self.max_error, self.z = window, max_error, z
        self._buf = [0.0] * window
        self.retrained()

    def label(self, error: float) -> str | None:
        i = self._n % self.window
        if self._n >= self.window:
            old = self._buf[i]
            self._sum -= old
            self._sum2 -= old * old
        self._buf[i] = error
        self._sum += error
        self._sum2 += error * error
        self._n += 1
        n = min(self._n, self.window)
        if n < self.window:
            return None
        mean = self._sum / n
        if self._sum2 == self._sum:  # 0/1 errors: Wilson lower bound
            z = self.z
            centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
            half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            low = centre - half
        else:  # losses: normal lower bound on the mean
            var = max(self._sum2 / n - mean * mean, 0.0) * n / (n - 1)
            low = mean - self.z * math.sqrt(var / n)
        if low > self.max_error:
            return f"error over the last {n} labels {mean:.3f} (lower bound {low:.3f}) > {self.max_error}"
        return None

    def retrained(self) -> None:
        self._n = 0
        self._sum = self._sum2 = 0.0


# --- the trigger -------------------------------------------------------------------------------


def _count(value: Any, name: str, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


class RuntimeTrigger:
    """A retraining trigger running on numpy alone; build it with :func:`load_trigger`.

    Feed it every step in time order with :meth:`update` (or a stretch of steps with
    :meth:`run`): the served sample's row ``x`` and ``prediction`` and the losses of the labels
    that arrived at that step. It answers with a :class:`TriggerDecision`; when ``retrain`` is
    true, retrain the model. Its decisions are those :func:`mlmon.retraining.replay` made for
    the exported policy on the same inputs, including refusals by the cooldown and the cap.

    One case is left to the retrain itself: with a ``lookback``, the replay refuses a retrain
    that finds no labelled sample from ``since`` on (and keeps its detector running), while
    the trigger, which does not know which samples are labelled, has counted it; give the
    lookback room for labels to arrive.

    Parameters
    ----------
    policy
        ``"DriftTriggered"``, ``"PerformanceTriggered"`` or ``"Periodic"``.
    params
        The policy's parameters as the trigger document holds them.
    cooldown, max_retrains, period
        No retrain within ``cooldown`` samples of the previous one; at most ``max_retrains``
        in any ``period`` samples (both or neither).
    detector
        The detector of a drift-triggered policy (None otherwise).
    provenance
        What the export recorded.

    Attributes
    ----------
    signal
        What the rule reads: ``"error"``, ``"feature"``, ``"prediction"``, or None (a
        periodic trigger reads only the clock).

    Examples
    --------
    >>> trigger = RuntimeTrigger("Periodic", {"every": 100}, cooldown=0, max_retrains=2, period=1000)
    >>> [d.t for d in (trigger.update(t) for t in range(500, 1000)) if d.retrain]
    [600, 700]
    >>> trigger.update(1000).reason
    'every 100 samples (cap: 2 retrains in the last 1000 samples)'
    """

    def __init__(self, policy: str, params: dict[str, Any], *, cooldown: int = 0, max_retrains: int | None = None,
                 period: int | None = None, detector: RuntimeDetector | None = None,
                 provenance: dict[str, Any] | None = None) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}.")
        self.cooldown = _count(cooldown, "cooldown", 0)
        if (max_retrains is None) != (period is None):
            raise ValueError("max_retrains and period go together (at most max_retrains retrains in any "
                             "period samples); give both or neither.")
        self.max_retrains = None if max_retrains is None else _count(max_retrains, "max_retrains", 1)
        self.period = None if period is None else _count(period, "period", 1)
        missing = [k for k in _PARAMS[policy]["required"] if k not in params]
        if missing:
            raise ValueError(f"a {policy} trigger needs params {', '.join(map(repr, missing))}; load exported "
                             "triggers with mlmon.runtime.load_trigger.")
        self.policy = policy
        self._params = dict(params)
        self.detector = detector
        self.provenance = dict(provenance or {})
        self.feature: int | None = None
        self.lookback: int | None = None
        self._binary = False
        if policy == "DriftTriggered":
            if not isinstance(detector, RuntimeDetector):
                raise TypeError("a DriftTriggered trigger needs its detector, a mlmon.runtime.RuntimeDetector "
                                f"(from mlmon.runtime.load), got {type(detector).__name__}.")
            self.signal: str | None = params["signal"]
            if self.signal not in ("error", "feature", "prediction"):
                raise ValueError(f"signal must be 'error', 'feature' or 'prediction', got {self.signal!r}.")
            if self.signal == "feature":
                self.feature = _count(params.get("feature"), "feature", 0)
            if params.get("lookback") is not None:
                self.lookback = _count(params["lookback"], "lookback", 1)
            self._binary = detector._spec.signal_kind == "binary"
            self._rule: _Rule = _Drift(detector, self.signal, self.feature)
        elif detector is not None:
            raise ValueError(f"a {policy} trigger runs no detector; pass detector=None.")
        elif policy == "Periodic":
            self.signal = None
            self._rule = _Periodic(_count(params["every"], "every", 1))
        else:
            self.signal = "error"
            self._rule = WindowedErrorRule(_count(params["window"], "window", 10), float(params["max_error"]),
                                      float(params["z"]))
        self.reset()

    @property
    def params(self) -> dict[str, Any]:
        """The policy's parameters (a copy)."""
        return dict(self._params)

    def reset(self) -> RuntimeTrigger:
        """Back to the state just after loading: no step seen, no retrain counted."""
        self._rule.reset()
        self._origin: int | None = None
        self._t: int | None = None
        self._last: int | None = None
        self._recent: deque[int] = deque()
        return self

    # --- checking inputs before anything changes ---------------------------------------------
    def _check_t(self, t: Any, after: int | None) -> int:
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            raise TypeError(f"t must be an integer step (the served sample's index), got {t!r}.")
        t = int(t)
        if after is not None and t <= after:
            raise ValueError(f"t must increase from one step to the next, got t={t} after t={after}; pass "
                             "everything of one step (its sample and the labels that arrived) in one update.")
        return t

    def _sample_value(self, x: Any, prediction: Any) -> float | None:
        if self.signal == "feature":
            if x is None:
                raise ValueError(f"this trigger watches feature {self.feature}: pass x=<the served row> at every "
                                 "step.")
            row = np.asarray(x)
            if row.ndim != 1 or row.shape[0] <= self.feature:
                raise ValueError(f"x has shape {row.shape}, but this trigger watches feature {self.feature}; pass "
                                 "the whole served row (1-D), in the columns' training order.")
            return check_value(row[self.feature], owner=self.detector.kind, binary=self._binary)
        if self.signal == "prediction":
            if prediction is None:
                raise ValueError("this trigger watches the predictions: pass prediction=<the served prediction> "
                                 "at every step.")
            try:
                return check_value(prediction, owner=self.detector.kind, binary=self._binary)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"prediction: {exc}") from None
        return None

    def _errors(self, error: Any) -> list[float]:
        if error is None:
            return []
        owner = self.detector.kind if self.detector is not None else self.policy
        binary = self._binary and self.signal == "error"
        if np.ndim(error) == 0 and not isinstance(error, (str, bytes)):  # one label: the common case, kept fast
            try:
                value = float(error)
            except (TypeError, ValueError):
                raise TypeError(f"error must be a number or a sequence of numbers, got {error!r}.") from None
            if not math.isfinite(value):
                raise ValueError(f"error contains 1 NaN or infinite value ({value}); a label's loss is finite.")
            if binary and value not in (0.0, 1.0):
                raise ValueError(f"{owner}: error must hold only 0 and 1 (the prediction's 0/1 error), got "
                                 f"{error!r}.")
            return [value]
        try:
            arr = check_signal(error, name="error", min_length=0, binary=binary)
        except ValueError as exc:
            raise ValueError(f"{owner}: {exc}") from None
        return arr.tolist()

    # --- deciding -----------------------------------------------------------------------------
    def _gate(self, t: int) -> str | None:
        if self.cooldown and self._last is not None and t - self._last < self.cooldown:
            return f"cooldown: {t - self._last} of {self.cooldown} samples since the last retrain"
        if self.max_retrains is not None:
            while self._recent and self._recent[0] <= t - self.period:
                self._recent.popleft()
            if len(self._recent) >= self.max_retrains:
                return f"cap: {len(self._recent)} retrains in the last {self.period} samples"
        return None

    def _step(self, t: int, value: float | None, errors: list[float]) -> TriggerDecision:
        if self._origin is None:
            self._origin = t
        self._t = t
        reason = self._rule.sample(t - self._origin, value)
        for e in errors:
            r = self._rule.label(e)
            reason = reason or r
        if reason is None:
            return TriggerDecision(t, False, False, "")
        refused = self._gate(t)
        if refused:
            return TriggerDecision(t, False, True, f"{reason} ({refused})")
        self._last = t
        self._recent.append(t)
        self._rule.retrained()
        since = None if self.lookback is None else max(0, t - self.lookback)
        return TriggerDecision(t, True, False, reason, since)

    def update(self, t: int, *, x: Any = None, prediction: Any = None, error: Any = None) -> TriggerDecision:
        """Take one step: the sample served at ``t`` and the labels that arrived at ``t``.

        Parameters
        ----------
        t
            The step, an integer larger than the previous one (the index of the served sample).
            A periodic trigger counts from the first step it sees.
        x
            The served row (1-D); needed when the trigger watches a feature.
        prediction
            The served prediction (a number); needed when the trigger watches predictions.
        error
            The loss (0/1 error) of each label that arrived at ``t``, in arrival order: a
            number, a sequence, or None when none arrived.

        Returns
        -------
        TriggerDecision

        Examples
        --------
        >>> trigger = RuntimeTrigger("PerformanceTriggered",
        ...                          {"window": 20, "max_error": 0.2, "confidence": 0.95, "z": 1.6448536269514722})
        >>> rng = np.random.default_rng(0)
        >>> errors = (rng.random(200) < np.r_[np.full(100, 0.1), np.full(100, 0.6)]).astype(float)
        >>> [d.t for d in (trigger.update(t, error=e) for t, e in enumerate(errors)) if d.retrain]
        [108, 128, 148, 168, 188]
        """
        t = self._check_t(t, self._t)
        value = self._sample_value(x, prediction)
        errors = self._errors(error)
        return self._step(t, value, errors)

    def run(self, t: Any, *, x: Any = None, prediction: Any = None, error: Any = None,
            arrival: Any = None) -> TriggerRun:
        """Take a stretch of steps; the same decisions, and final state, as a loop of :meth:`update`.

        Parameters
        ----------
        t
            The steps, increasing integers (continuing after the last step already taken).
        x
            The served rows, one per step (2-D); needed when the trigger watches a feature.
        prediction
            The served predictions, one per step; needed when the trigger watches predictions.
        error, arrival
            The losses of the labels, in arrival order, and the step at which each arrived
            (non-decreasing, each one of ``t``).

        Returns
        -------
        TriggerRun

        Examples
        --------
        >>> trigger = RuntimeTrigger("Periodic", {"every": 250}, cooldown=300)
        >>> run = trigger.run(np.arange(100, 1500))
        >>> run.retrains, run.refused
        ((350, 850, 1350), (600, 1100))
        """
        steps = check_signal(t, name="t", min_length=0)
        if not np.all(steps == np.round(steps)):
            raise ValueError("t must hold integer steps.")
        steps = steps.astype(np.int64)
        if steps.size > 1 and not np.all(np.diff(steps) > 0):
            raise ValueError("t must be strictly increasing (one entry per step).")
        if steps.size and self._t is not None and steps[0] <= self._t:
            raise ValueError(f"t must continue after the last step taken ({self._t}), got {int(steps[0])} first.")
        n = steps.shape[0]
        values: list[float | None] = [None] * n
        if self.signal == "feature":
            if x is None:
                raise ValueError(f"this trigger watches feature {self.feature}: pass x=<the served rows>.")
            rows = np.asarray(x)
            if rows.ndim != 2 or rows.shape[0] != n or rows.shape[1] <= self.feature:
                raise ValueError(f"x must be 2-D with one row per step ({n}) and at least {self.feature + 1} "
                                 f"columns, got shape {rows.shape}.")
            values = check_signal(rows[:, self.feature], name=f"x[:, {self.feature}]", min_length=0,
                                  binary=self._binary).tolist()
        elif self.signal == "prediction":
            if prediction is None:
                raise ValueError("this trigger watches the predictions: pass prediction=<the served predictions>.")
            pred = check_signal(prediction, name="prediction", min_length=0, binary=self._binary)
            if pred.shape[0] != n:
                raise ValueError(f"prediction must have one value per step ({n}), got {pred.shape[0]}.")
            values = pred.tolist()
        per_step: list[list[float]] = [[] for _ in range(n)]
        if (error is None) != (arrival is None):
            raise ValueError("give error and arrival together: each label's loss and the step it arrived at.")
        if error is not None:
            errs = self._errors(error)
            when = check_signal(arrival, name="arrival", min_length=0)
            if when.shape[0] != len(errs):
                raise ValueError(f"arrival must have one step per error ({len(errs)}), got {when.shape[0]}.")
            if when.size > 1 and not np.all(np.diff(when) >= 0):
                raise ValueError("arrival must be non-decreasing: pass the errors in the order their labels arrived.")
            pos = np.searchsorted(steps, when)
            ok = (pos < n) & (steps[np.minimum(pos, max(n - 1, 0))] == when) if n else np.zeros(when.shape, bool)
            if not np.all(ok):
                bad = float(when[~ok][0])
                raise ValueError(f"arrival {bad:g} is not one of the steps t; a label arrives at a step.")
            for i, e in zip(pos.tolist(), errs):
                per_step[i].append(e)
        decisions = [self._step(int(s), v, errs_at) for s, v, errs_at in zip(steps.tolist(), values, per_step)]
        asked = tuple(d for d in decisions if d.requested)
        return TriggerRun(retrains=tuple(d.t for d in asked if d.retrain),
                          refused=tuple(d.t for d in asked if d.refused), decisions=asked, n_steps=n)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._params.items() if k != "z" and v is not None)
        limits = f"cooldown={self.cooldown}"
        if self.max_retrains is not None:
            limits += f", max_retrains={self.max_retrains}, period={self.period}"
        det = f"{self.detector.kind}, " if self.detector is not None else ""
        return f"RuntimeTrigger({self.policy}: {det}{shown}, {limits})"


# --- loading -----------------------------------------------------------------------------------


def _detector_path(directory: Path, relative: str, *, source: str) -> Path:
    rel = Path(relative)
    base = directory.resolve()
    target = (base / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or target.parent != base:
        raise ConfigError(f"{source}: detector.config {relative!r} points outside the trigger's directory; "
                          "the detector config must sit beside the trigger (a bare file name).")
    return target


def load_trigger(path: str | os.PathLike[str]) -> RuntimeTrigger:
    """Load a trigger exported by :func:`mlmon.retraining.export_trigger`, with numpy alone.

    The document is validated against :data:`TRIGGER_SCHEMA`; a drift-triggered policy's
    detector config is checked against the SHA-256 the trigger recorded and loaded with
    :func:`mlmon.runtime.load` (its own schema, artefacts and hashes checked in turn).

    Parameters
    ----------
    path
        The trigger's ``.json`` file; its detector config and artefacts must sit beside it.

    Returns
    -------
    RuntimeTrigger

    Raises
    ------
    ConfigError
        When the trigger or its detector config is not valid, missing or altered; the message
        names the key and the fix.

    Examples
    --------
    >>> import tempfile
    >>> from mlmon.detectors import DDM
    >>> from mlmon.retraining import DriftTriggered, export_trigger
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     trigger = load_trigger(export_trigger(DriftTriggered(DDM(), cooldown=100), tmp))
    >>> trigger
    RuntimeTrigger(DriftTriggered: DDM, signal='error', cooldown=100)
    >>> errors = (np.random.default_rng(0).random(3000) < np.repeat([0.1, 0.4], 1500)).astype(float)
    >>> run = trigger.run(np.arange(3000), error=errors, arrival=np.arange(3000))
    >>> run.retrains[:1], run.decisions[0].reason
    ((1526,), 'DDM alarm on errors')
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise ConfigError(f"{source} is a directory; pass the trigger's .json file inside it.")
    if not path.is_file():
        raise ConfigError(f"{source}: no such trigger file.")
    doc = parse(path.read_text(encoding="utf-8"), source=source)
    check_trigger_document(doc, source=source)
    detector = None
    if doc["detector"] is not None:
        ref = doc["detector"]
        target = _detector_path(path.parent, ref["config"], source=source)
        if not target.is_file():
            raise ConfigError(f"{source}: detector.config {ref['config']!r} is missing (looked for {target}); "
                              "copy the detector config and its .npy files exported with the trigger beside it.")
        digest = sha256_file(target)
        if digest != ref["sha256"]:
            raise ConfigError(f"{source}: detector.config {ref['config']!r} has SHA-256 {digest}, but the trigger "
                              f"expects {ref['sha256']}; the detector config was changed or belongs to another "
                              "export. Export the trigger again, or restore the original file.")
        detector = load(target)
        if detector.kind != ref["kind"]:
            raise ConfigError(f"{source}: detector.kind is {ref['kind']!r}, but {ref['config']!r} holds a "
                              f"{detector.kind}; export the trigger again.")
    limits = {k: _integral(v) for k, v in doc["limits"].items()}
    params = {k: (v if k in ("max_error", "confidence", "z") else _integral(v)) for k, v in doc["params"].items()}
    return RuntimeTrigger(doc["policy"], params, cooldown=limits["cooldown"],
                          max_retrains=limits["max_retrains"], period=limits["period"], detector=detector,
                          provenance=doc["provenance"])


def _integral(value: Any) -> Any:
    """JSON Schema accepts ``30.0`` where an integer is due; hand on ``30``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
