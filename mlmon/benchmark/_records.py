"""Raw benchmark facts: :class:`RunRecord` (one detector on one stream) and :class:`Skipped`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmon.scenarios import Drift

__all__ = ["RunRecord", "Skipped", "jsonable", "seed_info"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON-serialisable data.

    numpy scalars become Python numbers, tuples become lists, arrays and DataFrames are
    represented by their sha256 fingerprint and shape, dataclasses (scenarios, drifts) by
    their type and fields, and anything else unknown by its ``repr``.

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": (1, 2), "c": None})
    {'a': 1.5, 'b': [1, 2], 'c': None}
    >>> sorted(jsonable(np.zeros(3)))
    ['sha256', 'shape']
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) or type(value).__name__ in ("DataFrame", "Series"):
        from mlmon.scenarios._base import fingerprint

        return {"sha256": fingerprint(value), "shape": list(np.shape(value))}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    params = getattr(value, "params", None)
    if callable(params) and hasattr(value, "generate"):  # a scenario
        return {"type": type(value).__name__, "params": jsonable(params())}
    get_params = getattr(value, "get_params", None)
    if callable(get_params):  # a detector or estimator
        return {"type": type(value).__name__, "params": jsonable(get_params())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__,
                **{f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    return repr(value)


def seed_info(seed: np.random.SeedSequence) -> dict[str, Any]:
    """A SeedSequence as JSON-able data: ``SeedSequence(entropy, spawn_key=...)`` rebuilds it.

    Examples
    --------
    >>> ss = np.random.SeedSequence(7).spawn(3)[2]
    >>> seed_info(ss)
    {'entropy': 7, 'spawn_key': [2]}
    """
    entropy = seed.entropy
    if isinstance(entropy, (list, tuple, np.ndarray)):
        entropy = [int(e) for e in entropy]
    else:
        entropy = int(entropy)
    return {"entropy": entropy, "spawn_key": [int(k) for k in seed.spawn_key]}


def _drift_to_dict(d: Drift) -> dict[str, Any]:
    return {"start": d.start, "end": d.end, "kind": d.kind, "what": d.what, "columns": list(d.columns)}


def _drift_from_dict(d: dict[str, Any]) -> Drift:
    return Drift(start=int(d["start"]), end=int(d["end"]), kind=d["kind"], what=d.get("what", ""),
                 columns=tuple(d.get("columns", ())))


@dataclass(frozen=True)
class RunRecord:
    """What happened when one detector ran on one generated stream: raw facts only.

    Everything else (delays, detection and false-alarm rates, run lengths) is derived from
    these facts by :mod:`mlmon.benchmark.metrics`, so a new metric never needs a rerun.

    Attributes
    ----------
    detector
        The detector's name in the benchmark.
    detector_class
        Its class name.
    detector_params
        Its constructor parameters, as JSON-able data.
    scenario
        The scenario's name in the benchmark.
    scenario_class
        Its class name.
    scenario_params
        Its parameters, as JSON-able data (arrays by sha256 fingerprint).
    replicate
        Replicate number, ``0 .. seeds - 1``.
    seed
        ``{"entropy": ..., "spawn_key": [...]}``: ``np.random.SeedSequence(entropy,
        spawn_key=spawn_key)`` regenerates the stream.
    n_samples
        Length of the stream.
    alarms, warnings
        Positions of the detector's alarms and warnings.
    drifts
        The stream's ground truth.
    detector_state
        What the detector had learnt by ``fit`` before the run (its ``_export_state()``, as
        JSON-able data, arrays by fingerprint); empty for an unfitted detector.
    wall_time
        Seconds the detector took on the stream. A measurement, not a fact of the
        experiment: it is left out of equality, so reruns compare equal.

    Examples
    --------
    >>> r = RunRecord(detector="ph", detector_class="PageHinkley", detector_params={},
    ...               scenario="null", scenario_class="Stationary", scenario_params={},
    ...               replicate=0, seed={"entropy": 0, "spawn_key": [0, 0]}, n_samples=100,
    ...               alarms=(42,), warnings=(), drifts=(), wall_time=0.01)
    >>> r.alarms, r == dataclasses.replace(r, wall_time=9.0)
    ((42,), True)
    """

    detector: str
    detector_class: str
    detector_params: dict[str, Any]
    scenario: str
    scenario_class: str
    scenario_params: dict[str, Any]
    replicate: int
    seed: dict[str, Any]
    n_samples: int
    alarms: tuple[int, ...]
    warnings: tuple[int, ...]
    drifts: tuple[Drift, ...]
    detector_state: dict[str, Any] = field(default_factory=dict)
    wall_time: float = field(default=math.nan, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alarms", tuple(int(a) for a in self.alarms))
        object.__setattr__(self, "warnings", tuple(int(w) for w in self.warnings))
        object.__setattr__(self, "drifts", tuple(self.drifts))

    def to_row(self) -> dict[str, Any]:
        """The record as one flat row of plain values (parameters, seed and drifts as JSON text).

        Examples
        --------
        >>> r = RunRecord(detector="ph", detector_class="PageHinkley", detector_params={},
        ...               scenario="null", scenario_class="Stationary", scenario_params={},
        ...               replicate=0, seed={"entropy": 0, "spawn_key": [0, 0]}, n_samples=100,
        ...               alarms=(42,), warnings=(), drifts=())
        >>> RunRecord.from_row(r.to_row()) == r
        True
        """
        return {
            "detector": self.detector,
            "detector_class": self.detector_class,
            "detector_params": json.dumps(self.detector_params, sort_keys=True),
            "scenario": self.scenario,
            "scenario_class": self.scenario_class,
            "scenario_params": json.dumps(self.scenario_params, sort_keys=True),
            "replicate": int(self.replicate),
            "seed": json.dumps(self.seed),
            "n_samples": int(self.n_samples),
            "alarms": list(self.alarms),
            "warnings": list(self.warnings),
            "drifts": json.dumps([_drift_to_dict(d) for d in self.drifts]),
            "detector_state": json.dumps(self.detector_state, sort_keys=True),
            "wall_time": float(self.wall_time),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        """Rebuild a record from :meth:`to_row`'s output."""
        return cls(
            detector=str(row["detector"]),
            detector_class=str(row["detector_class"]),
            detector_params=json.loads(row["detector_params"]),
            scenario=str(row["scenario"]),
            scenario_class=str(row["scenario_class"]),
            scenario_params=json.loads(row["scenario_params"]),
            replicate=int(row["replicate"]),
            seed=json.loads(row["seed"]),
            n_samples=int(row["n_samples"]),
            alarms=tuple(int(a) for a in row["alarms"]),
            warnings=tuple(int(w) for w in row["warnings"]),
            drifts=tuple(_drift_from_dict(d) for d in json.loads(row["drifts"])),
            detector_state=json.loads(row.get("detector_state") or "{}"),
            wall_time=float(row["wall_time"]),
        )

    def fingerprint(self) -> str:
        """sha256 of the record's facts (wall time excluded): equal records, equal digests.

        Examples
        --------
        >>> r = RunRecord(detector="ph", detector_class="PageHinkley", detector_params={},
        ...               scenario="null", scenario_class="Stationary", scenario_params={},
        ...               replicate=0, seed={"entropy": 0, "spawn_key": [0, 0]}, n_samples=100,
        ...               alarms=(42,), warnings=(), drifts=())
        >>> len(r.fingerprint())
        64
        """
        row = self.to_row()
        del row["wall_time"]
        return hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A (detector, scenario) pair the benchmark did not run, and why.

    Examples
    --------
    >>> Skipped(detector="ddm", scenario="shift", reason="binary detector on a real signal").reason
    'binary detector on a real signal'
    """

    detector: str
    scenario: str
    reason: str
