"""Export a chosen retraining policy as a trigger that :func:`mlmon.runtime.load_trigger` runs."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mlmon.retraining._policies import (Context, DriftTriggered, HumanInTheLoop, Never, Oracle, Periodic,
                                        PerformanceTriggered, Policy, RandomMatched)

__all__ = ["export_trigger", "why_not_exportable_trigger"]


def why_not_exportable_trigger(policy: Any) -> str | None:
    """Why ``policy`` cannot be exported as a production trigger, or None if it can.

    Only the detector of a :class:`DriftTriggered` policy is not looked at here; its own
    refusal comes from :func:`mlmon.export.why_not_exportable` when exporting.

    Examples
    --------
    >>> why_not_exportable_trigger(Periodic(every=500)) is None
    True
    >>> print(why_not_exportable_trigger(Oracle())[:60])
    Oracle knows the stream's true drifts, which production neve
    """
    kind = type(policy).__name__
    if not isinstance(policy, Policy):
        return (f"export_trigger takes a retraining policy (DriftTriggered, PerformanceTriggered or Periodic "
                f"from mlmon.retraining), got {kind}.")
    if type(policy) is Oracle:
        return ("Oracle knows the stream's true drifts, which production never does: it is the upper bound "
                "a trigger is scored against, not a trigger. Export the DriftTriggered or "
                "PerformanceTriggered policy that came closest to it.")
    if type(policy) is RandomMatched:
        return ("RandomMatched retrains at random times drawn to match another policy's count: it is the "
                "control that shows whether a trigger's timing matters, not a trigger. Export the policy "
                "it was matched to (or Periodic(every=...) for a fixed schedule).")
    if type(policy) is HumanInTheLoop:
        inner = type(policy.policy).__name__
        return ("HumanInTheLoop's review is a person (in a replay, confirmations simulated from the true "
                "drifts), which a config cannot hold. Export its inner policy, "
                f"export_trigger(policy.policy, ...) (a {inner}), and send each retrain decision of the "
                "loaded trigger to your reviewer. Mind the limits: in the replay, HumanInTheLoop's own "
                f"cooldown ({policy.cooldown}) and cap ({policy.max_retrains} per {policy.period}) applied to "
                "confirmed reviews; the exported trigger applies the inner policy's limits to its requests.")
    if type(policy) is Never:
        return ("Never never retrains, so there is no trigger to run: in production, simply do not "
                "retrain. Export a Periodic, DriftTriggered or PerformanceTriggered policy instead.")
    if type(policy) in (DriftTriggered, PerformanceTriggered) and getattr(policy, "wait", 0):
        return (f"{kind}(wait={policy.wait}) retrains once {policy.wait} labels of samples served "
                "since the alarm have arrived; the runtime trigger decides from the stream it is given and "
                "does not count those labels. Export the same policy with wait=0 (its decision is then the "
                "alarm) and collect the fresh labels in your pipeline before retraining.")
    if type(policy) not in (DriftTriggered, PerformanceTriggered, Periodic):
        return (f"{kind} is not a policy a config can describe: a trigger config holds the rule of "
                "DriftTriggered, PerformanceTriggered or Periodic (with their parameters), never Python "
                f"code. Express {kind}'s rule with one of those to export it.")
    return None


def _replayed_detector(policy: DriftTriggered) -> Any:
    """The detector a replay of ``policy`` runs (and starts afresh after each retrain)."""
    probe = copy.deepcopy(policy)
    probe.start(Context(n_samples=1, warmup=0, label_delay=0, drifts=(), seed=np.random.SeedSequence(0)))
    return probe._det


def _old_detector_config(trigger: Path) -> str | None:
    """The detector config a trigger already at ``trigger`` references (best effort)."""
    try:
        ref = json.loads(trigger.read_text(encoding="utf-8"))["detector"]["config"]
    except Exception:
        return None
    return ref if isinstance(ref, str) and "/" not in ref and "\\" not in ref else None


def export_trigger(policy: Any, directory: str | os.PathLike[str], *, name: str | None = None,
                   calibration: Any = None, reference: Any = None) -> Path:
    """Write a retraining policy as a trigger that :func:`mlmon.runtime.load_trigger` runs with numpy alone.

    Writes ``<directory>/<name>.json``: the policy's rule and parameters (the signal a
    :class:`DriftTriggered` detector watches, its column and lookback; :class:`PerformanceTriggered`'s
    window, ``max_error`` and the normal quantile of its confidence; :class:`Periodic`'s
    ``every``) and its limits (``cooldown``, ``max_retrains`` per ``period``). A
    drift-triggered policy's detector is exported beside it with :func:`mlmon.export.export`
    as ``<name>.detector.json`` (plus its ``.npy`` artefacts), referenced by file name and
    SHA-256. The loaded trigger decides exactly what :func:`~mlmon.retraining.replay` decided
    for the policy on the same inputs (a periodic trigger counts from the first step it is
    given, as the replay counted from the end of its warm-up).

    The detector exported is the one a replay runs: :class:`DriftTriggered` runs a copy of
    its detector reset to its just-fitted state, so a fit (``fit(reference)``) is exported
    with it. A policy that waits for fresh labels after an alarm (``wait > 0``) is refused:
    the runtime trigger does not count post-alarm labels.

    Parameters
    ----------
    policy
        A :class:`DriftTriggered` (with an exportable detector), :class:`PerformanceTriggered`
        or :class:`Periodic` policy. Oracle, RandomMatched, HumanInTheLoop and Never are
        refused with the reason and what to export instead.
    directory
        Where to write; created if missing.
    name
        File stem of the trigger (default ``"trigger"``).
    calibration, reference
        Recorded in the detector config, as :func:`mlmon.export.export` does (a drift-triggered
        policy only).

    Returns
    -------
    Path
        The trigger file, for :func:`mlmon.runtime.load_trigger`.

    Examples
    --------
    >>> import json, tempfile
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon.retraining import DriftTriggered
    >>> policy = DriftTriggered(PageHinkley(threshold=30.0), signal="feature", feature=2, cooldown=500)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export_trigger(policy, tmp, name="churn")
    ...     doc = json.loads(path.read_text())
    ...     files = sorted(p.name for p in path.parent.iterdir())
    >>> files
    ['churn.detector.json', 'churn.json']
    >>> doc["policy"], doc["params"], doc["limits"]["cooldown"], doc["detector"]["kind"]
    ('DriftTriggered', {'signal': 'feature', 'feature': 2, 'lookback': None}, 500, 'PageHinkley')
    """
    from mlmon.base import same_state
    from mlmon.export._export import _NAME, _atomic_write, _fsync_dir, _old_artefacts, _provenance, export
    from mlmon.export._export import why_not_exportable
    from mlmon.runtime._load import sha256_file
    from mlmon.runtime._trigger import TRIGGER_KIND, TRIGGER_SCHEMA_VERSION, check_trigger_document

    reason = why_not_exportable_trigger(policy)
    if reason is not None:
        raise TypeError(reason)
    kind = type(policy).__name__
    name = "trigger" if name is None else str(name)
    if name.endswith(".json"):
        name = name[: -len(".json")]
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be a file stem of letters, digits, '.', '_' and '-' "
                         "(no directories), e.g. 'churn_trigger'.")
    directory = Path(directory)
    limits = {"cooldown": int(policy.cooldown),
              "max_retrains": None if policy.max_retrains is None else int(policy.max_retrains),
              "period": None if policy.period is None else int(policy.period)}
    detector_ref = None
    if isinstance(policy, DriftTriggered):
        runs = _replayed_detector(policy)
        why = why_not_exportable(runs)
        if why is not None:
            raise TypeError(f"DriftTriggered's detector cannot be exported, so neither can the trigger: {why}")
        lookback = getattr(policy, "lookback", None)
        params: dict[str, Any] = {"signal": policy.signal,
                                  "feature": None if policy.feature is None else int(policy.feature),
                                  "lookback": None if lookback is None else int(lookback)}
        given = getattr(policy.detector, "_export_state", None)
        if callable(given) and not same_state(given(), runs._export_state()):
            dropped = sorted(set(given()) - set(runs._export_state())) or sorted(given())
            warnings.warn(
                f"DriftTriggered runs a fresh clone of {policy.detector!r}, without its fitted state "
                f"({', '.join(dropped)}): the replay did not use the fit, so the exported trigger does not "
                "either (production learns the baseline from the stream, as the replay did). To keep a "
                "baseline, set it through the detector's parameters where it has them "
                "(e.g. CUSUM(mean=..., std=...)).", UserWarning, stacklevel=2)
        detector_config = export(runs, directory, name=f"{name}.detector", calibration=calibration,
                                 reference=reference)
        detector_ref = {"config": detector_config.name, "sha256": sha256_file(detector_config),
                        "kind": type(runs).__name__}
    else:
        if calibration is not None or reference is not None:
            raise ValueError(f"{kind} runs no detector, so calibration and reference (which describe a "
                             "detector's threshold) have nowhere to go; leave them None.")
        if isinstance(policy, Periodic):
            params = {"every": int(policy.every)}
        else:
            params = {"window": int(policy.window), "max_error": float(policy.max_error),
                      "confidence": float(policy.confidence), "z": float(policy._z)}
    provenance = _provenance(None)
    del provenance["reference"]  # the detector config records the reference data's fingerprint
    provenance["policy"] = repr(policy)
    doc = {"schema_version": TRIGGER_SCHEMA_VERSION, "kind": TRIGGER_KIND, "policy": kind, "params": params,
           "limits": limits, "detector": detector_ref, "provenance": provenance}
    check_trigger_document(doc, source=f"export of {kind}")  # never write what the runtime would refuse
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    stale = _old_detector_config(path)
    _atomic_write(path, text.encode("utf-8"))
    _fsync_dir(directory)
    if detector_ref is None and stale == f"{name}.detector.json":  # was drift-triggered, is no longer
        old = directory / stale
        for artefact in _old_artefacts(old, stale[: -len(".json")]):
            with contextlib.suppress(OSError):
                (directory / artefact).unlink()
        with contextlib.suppress(OSError):
            old.unlink()
    return path
