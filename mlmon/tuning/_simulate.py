"""Shared machinery of calibration and operating curves: checks, null runs, first passages.

Orientation. A detector alarms when its statistic ``t`` crosses its threshold parameter
``theta``: ``t > theta`` for ``threshold_direction == "above"``, ``t < theta`` (a p-value
below ``alpha``) for ``"below"``. Internally everything works on the *score*
``s = t`` (above) or ``s = -t`` (below) and the *level* ``h = theta`` or ``h = -theta``, so
that an alarm is always ``s > h`` and a larger level always means fewer alarms.

First passage. Before a detector's first alarm its statistic does not depend on the
threshold, so the first alarm at level ``h`` is the first position where the running
maximum of the score exceeds ``h``. Each run is reduced to the *records* of its running
maximum (the positions where it reaches a new high, and those highs): a handful of numbers
per run, from which the first alarm at any level follows by ``searchsorted``. NaN in a
trace means "no decision here" and never raises an alarm.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import typing
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import annotated_types as at
import numpy as np

from mlmon._validation import check_signal
from mlmon.base import restore_state
from mlmon.benchmark._run import resolve_seed

#: Fewest samples accepted as a reference sample to bootstrap a null from.
MIN_REFERENCE = 30


# --- detector checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdInfo:
    """What tuning needs to know about a detector's threshold parameter."""

    param: str
    direction: str
    value: float
    lo: float  # domain bounds (inclusive flags below)
    lo_inclusive: bool
    hi: float
    hi_inclusive: bool


def _param_bounds(cls: type, name: str) -> tuple[float, bool, float, bool]:
    lo, lo_inc, hi, hi_inc = -np.inf, False, np.inf, False
    try:
        hints = typing.get_type_hints(cls.__init__, include_extras=True)
    except Exception:
        return lo, lo_inc, hi, hi_inc
    ann = hints.get(name)

    def visit(tp: Any) -> None:
        nonlocal lo, lo_inc, hi, hi_inc
        if typing.get_origin(tp) is typing.Annotated:
            base, *meta = typing.get_args(tp)
            for m in meta:
                for c in (list(m) if isinstance(m, at.GroupedMetadata) else [m]):
                    if isinstance(c, at.Gt):
                        lo, lo_inc = float(c.gt), False
                    elif isinstance(c, at.Ge):
                        lo, lo_inc = float(c.ge), True
                    elif isinstance(c, at.Lt):
                        hi, hi_inc = float(c.lt), False
                    elif isinstance(c, at.Le):
                        hi, hi_inc = float(c.le), True
            visit(base)
        else:
            for arg in typing.get_args(tp):
                visit(arg)

    if ann is not None:
        visit(ann)
    return lo, lo_inc, hi, hi_inc


def threshold_info(detector: Any) -> ThresholdInfo:
    """Check that ``detector`` has a calibratable threshold parameter and describe it."""
    if not (callable(getattr(detector, "run", None)) and callable(getattr(detector, "get_params", None))):
        raise TypeError(
            f"detector must be an mlmon detector (with run() and get_params()), got {type(detector).__name__}."
        )
    name = getattr(detector, "threshold_param", None)
    cls = type(detector).__name__
    if not name:
        raise ValueError(
            f"{cls} has no threshold parameter to calibrate (its threshold_param is None); "
            "tuning needs a detector whose alarm level is one parameter."
        )
    params = detector.get_params()
    if name not in params:
        raise ValueError(f"{cls}.threshold_param is {name!r}, which is not one of its parameters {sorted(params)}.")
    direction = getattr(detector, "threshold_direction", "above")
    if direction not in ("above", "below"):
        raise ValueError(f"{cls}.threshold_direction must be 'above' or 'below', got {direction!r}.")
    value = params[name]
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: parameter {name!r} must be a number to be calibrated, got {value!r}.")
    return ThresholdInfo(name, direction, float(value), *_param_bounds(type(detector), name))


def with_param(detector: Any, name: str, value: float) -> Any:
    """A new detector like ``detector``, with parameter ``name`` set to ``value``, fit kept.

    Built with ``clone`` (which validates the value as the constructor does); what the
    original learnt in ``fit`` (its ``_export_state()``) is restored into the clone with
    :func:`mlmon.base.restore_state`, as :func:`mlmon.export.load` does.
    """
    new = detector.clone(**{name: value})
    export = getattr(detector, "_export_state", None)
    fitted = export() if callable(export) else {}
    if fitted:
        try:
            restore_state(new, fitted)
        except ValueError as exc:
            raise RuntimeError(f"could not carry {type(detector).__name__}'s fitted state over to a copy "
                               f"with {name}={value!r}: {exc}") from None
    return new


def fresh_copy(detector: Any) -> Any:
    """A reset deep copy: the detector's fitted state, none of its running state."""
    new = copy.deepcopy(detector)
    new.reset()
    return new


# --- null scenarios -----------------------------------------------------------------------


@dataclass(frozen=True)
class NullSpec:
    """The null scenario a calibration runs on, with what the report needs."""

    scenario: Any
    name: str
    params: dict[str, Any]
    fingerprint: str | None
    run_length: int


def _has_field(obj: Any, name: str) -> bool:
    return dataclasses.is_dataclass(obj) and any(f.name == name for f in dataclasses.fields(obj))


def check_run_length(run_length: Any) -> int | None:
    if run_length is None:
        return None
    if not isinstance(run_length, numbers.Integral) or isinstance(run_length, bool):
        raise TypeError(f"run_length must be a whole number of samples or None, got {run_length!r}.")
    if run_length < 2:
        raise ValueError(f"run_length must be >= 2 samples, got {run_length}.")
    return int(run_length)


def resolve_null(null: Any, run_length: int | None, default_length: Callable[[Any], int], *,
                 what: str = "null") -> NullSpec:
    """A stationary scenario from ``null`` (a Scenario, or a 1-D reference sample to bootstrap).

    ``default_length(scenario_or_None)`` gives the run length when ``run_length`` is None.
    """
    from mlmon.benchmark._records import jsonable
    from mlmon.scenarios import Bootstrap
    from mlmon.scenarios._base import fingerprint

    run_length = check_run_length(run_length)
    if callable(getattr(null, "generate", None)):
        scenario = null
        if not getattr(scenario, "is_stationary", False):
            name = getattr(scenario, "name", type(scenario).__name__)
            hint = " its stationary counterpart, scenario.null()," if callable(getattr(scenario, "null", None)) else ""
            raise ValueError(
                f"{what} must be a stationary scenario (no drift): {name} is not. Pass{hint} a "
                "stationary scenario such as Stationary(...) or Bootstrap(reference), or a reference "
                "sample of your own data."
            )
        if _has_field(scenario, "n_samples"):
            length = run_length if run_length is not None else default_length(scenario)
            if scenario.n_samples != length:
                scenario = dataclasses.replace(scenario, n_samples=length)
        elif run_length is not None:
            raise ValueError(
                f"{what}: {type(scenario).__name__} has no n_samples parameter, so run_length cannot be "
                "set; leave run_length=None to use the scenario's own length."
            )
        else:
            length = scenario.generate(seed=0).n_samples
        ref = getattr(scenario, "reference", None)
        fp = fingerprint(ref) if isinstance(ref, np.ndarray) else None
    else:
        if isinstance(null, (str, bytes, dict)) or null is None:
            raise TypeError(
                f"{what} must be a stationary Scenario or an array-like reference sample (values, "
                f"or rows for a multivariate detector), got {type(null).__name__}."
            )
        ref = check_signal(null, name=f"{what} (reference sample)", min_length=MIN_REFERENCE,
                           allow_2d=True)
        length = run_length if run_length is not None else default_length(None)
        scenario = Bootstrap(reference=ref, n_samples=length)
        fp = fingerprint(ref)
    params = jsonable(scenario.params()) if callable(getattr(scenario, "params", None)) else {}
    name = getattr(scenario, "name", type(scenario).__name__)
    return NullSpec(scenario, name, params, fp, int(length))


def run_seeds(seed: Any, n: int) -> tuple[dict[str, Any], list[np.random.SeedSequence]]:
    """Seed record and the ``n`` run seeds: ``SeedSequence(seed).spawn(n)``, without mutating ``seed``."""
    root = resolve_seed(seed)
    key = tuple(int(k) for k in root.spawn_key)
    seeds = [np.random.SeedSequence(root.entropy, spawn_key=key + (i,), pool_size=root.pool_size)
             for i in range(n)]
    entropy = root.entropy if isinstance(root.entropy, int) else [int(e) for e in root.entropy]
    info = {"entropy": entropy, "spawn_key": list(key),
            "scheme": "run i uses np.random.SeedSequence(entropy, spawn_key=spawn_key).spawn(n_runs)[i]"}
    return info, seeds


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def check_n_jobs(n_jobs: Any) -> int:
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (-1 for all cores), got {n_jobs!r}.")
    return int(n_jobs)


def check_kind(detector: Any, scenario: Any, what: str) -> None:
    from mlmon.benchmark._run import mismatch

    why = mismatch(detector, scenario)
    if why:
        hint = ("calibrate it on an error-rate scenario (e.g. ErrorRateShift(...).null())"
                if getattr(detector, "signal_kind", "real") == "binary"
                else "calibrate it on a scenario of the signal it monitors")
        raise ValueError(f"cannot calibrate on the {what} scenario: {why}; {hint}.")


# --- traces -> records of the running maximum -------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """One run reduced to what first passages need (and, optionally, every decision)."""

    values: np.ndarray  # record highs of the score, strictly increasing
    positions: np.ndarray  # where each record was set
    n_samples: int
    drifts: tuple = ()
    decisions: np.ndarray | None = None  # every non-NaN score, for per-window rates


def summarise(score: np.ndarray, *, n_samples: int, drifts: tuple = (), keep_decisions: bool = False) -> RunSummary:
    """Records of the running maximum of ``score`` (NaN = no decision, never an alarm).

    Examples
    --------
    >>> r = summarise(np.array([np.nan, 1.0, 0.5, 3.0, 3.0, 2.0]), n_samples=6)
    >>> r.values.tolist(), r.positions.tolist()
    ([1.0, 3.0], [1, 3])
    """
    filled = np.where(np.isnan(score), -np.inf, score)
    running = np.maximum.accumulate(filled) if filled.size else filled
    prev = np.concatenate(([-np.inf], running[:-1]))
    positions = np.flatnonzero(running > prev)
    values = running[positions]
    decisions = score[~np.isnan(score)].copy() if keep_decisions else None
    return RunSummary(values.astype(np.float64), positions.astype(np.int64), int(n_samples), tuple(drifts),
                      decisions)


def _score(detector: Any, signal: np.ndarray, direction: str) -> np.ndarray:
    t = np.asarray(detector.trace(signal), dtype=np.float64)
    if t.shape != signal.shape[:1]:
        raise RuntimeError(
            f"{type(detector).__name__}.trace returned shape {t.shape} for a signal of shape {signal.shape}."
        )
    return t if direction == "above" else -t


def _simulate_one(detector: Any, scenario: Any, ss: np.random.SeedSequence, direction: str,
                  keep_decisions: bool, need_drift: bool) -> RunSummary:
    stream = scenario.generate(seed=ss)
    if need_drift and not stream.drifts:
        raise ValueError(
            f"the drift scenario {getattr(scenario, 'name', type(scenario).__name__)} generated a stream "
            "without drift; pass a scenario with a change."
        )
    if not need_drift and stream.drifts:
        raise ValueError(
            f"the null scenario {getattr(scenario, 'name', type(scenario).__name__)} generated a stream "
            f"with drift {stream.drifts[0]}; pass a stationary scenario."
        )
    score = _score(detector, stream.signal, direction)
    return summarise(score, n_samples=stream.n_samples, drifts=stream.drifts, keep_decisions=keep_decisions)


def _simulate_chunk(detector: Any, scenario: Any, seeds: Sequence[np.random.SeedSequence], direction: str,
                    keep_decisions: bool, need_drift: bool) -> list[RunSummary]:
    return [_simulate_one(detector, scenario, ss, direction, keep_decisions, need_drift) for ss in seeds]


def simulate(detector: Any, scenario: Any, seeds: Sequence[np.random.SeedSequence], *, direction: str,
             keep_decisions: bool = False, need_drift: bool = False, n_jobs: int = 1,
             progress: bool = False, desc: str = "null runs") -> list[RunSummary]:
    """Trace ``detector`` (a reset copy) on a stream of ``scenario`` per seed; summarise each run."""
    base = fresh_copy(detector)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(seeds), desc=desc, unit="run")
    out: list[RunSummary] = []
    try:
        if n_jobs == 1:
            for ss in seeds:
                out.append(_simulate_one(base, scenario, ss, direction, keep_decisions, need_drift))
                if bar is not None:
                    bar.update(1)
        else:
            from joblib import Parallel, delayed, effective_n_jobs

            size = max(1, -(-len(seeds) // (4 * effective_n_jobs(n_jobs))))
            chunks = [seeds[i:i + size] for i in range(0, len(seeds), size)]
            parts = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_simulate_chunk)(base, scenario, c, direction, keep_decisions, need_drift) for c in chunks)
            for part in parts:
                out.extend(part)
                if bar is not None:
                    bar.update(len(part))
    finally:
        if bar is not None:
            bar.close()
    return out


# --- first passages -----------------------------------------------------------------------


class Passages:
    """First passages of a set of runs at any level, from their running-maximum records.

    ``levels`` are the distinct record values of all runs, in increasing order; state ``i``
    is the interval of levels ``[levels[i-1], levels[i])``. For every state,
    ``exposure``, ``events``, ``sum_l2`` and ``sum_dl`` hold the sums over runs of the run
    length ``L``, of ``d`` (1 when the run ended in an alarm), of ``L**2`` and of ``d * L``.
    They are computed on first use.

    Examples
    --------
    >>> runs = [summarise(np.array([np.nan, 1.0, 3.0, 2.0, 5.0]), n_samples=5)]
    >>> p = Passages(runs)
    >>> p.first_passage([0.0, 2.0, 4.0, 9.0]).tolist()
    [[1, 2, 4, -1]]
    >>> p.levels.tolist(), p.exposure.tolist(), p.events.tolist()
    ([1.0, 3.0, 5.0], [2.0, 3.0, 5.0, 5.0], [1, 1, 1, 0])
    """

    def __init__(self, runs: Sequence[RunSummary]):
        self.runs = list(runs)
        self.n_runs = len(self.runs)
        self.n_samples = np.array([r.n_samples for r in self.runs], dtype=np.int64)
        self._sums: tuple[np.ndarray, ...] | None = None

    def _compute(self) -> tuple[np.ndarray, ...]:
        # Crossing a record value moves that run's first passage to its next record (or
        # censors it): the sums are a cumulative sum of these moves, in order of value.
        if self._sums is not None:
            return self._sums
        sizes = np.array([r.values.size for r in self.runs], dtype=np.int64)
        n = self.n_samples.astype(np.float64)
        empty = sizes == 0
        init = np.array([n[empty].sum(), 0.0, np.sum(n[empty] ** 2), 0.0])
        if sizes.sum() == 0:
            self._sums = (np.empty(0), *(np.array([x]) for x in init))
            return self._sums
        v = np.concatenate([r.values for r in self.runs])
        a = np.concatenate([r.positions for r in self.runs]).astype(np.float64) + 1.0
        rid = np.repeat(np.arange(self.n_runs), sizes)
        ends = np.cumsum(sizes)[~empty] - 1
        firsts = ends - sizes[~empty] + 1
        is_last = np.zeros(v.size, dtype=bool)
        is_last[ends] = True
        b = np.empty_like(a)
        b[:-1] = a[1:]
        b[is_last] = n[rid[is_last]]
        d_after = (~is_last).astype(np.float64)
        a0 = a[firsts]
        init += (a0.sum(), float(a0.size), np.sum(a0 ** 2), a0.sum())
        order = np.argsort(v, kind="stable")
        v = v[order]
        deltas = np.column_stack((b - a, d_after - 1.0, b * b - a * a, d_after * b - a))[order]
        cum = init + np.cumsum(deltas, axis=0)
        last = np.append(v[1:] != v[:-1], True)  # end of each group of equal values
        sums = np.vstack((init, cum[last]))
        self._sums = (v[last], *sums.T.copy())
        return self._sums

    @property
    def levels(self) -> np.ndarray:
        return self._compute()[0]

    @property
    def exposure(self) -> np.ndarray:
        return self._compute()[1]

    @property
    def events(self) -> np.ndarray:
        return np.rint(self._compute()[2]).astype(np.int64)

    @property
    def sum_l2(self) -> np.ndarray:
        return self._compute()[3]

    @property
    def sum_dl(self) -> np.ndarray:
        return self._compute()[4]

    def sums_at(self, i: Any) -> tuple[np.ndarray, ...]:
        """``(n_runs, exposure, events, sum_l2, sum_dl)`` at state(s) ``i``."""
        _, e, k, l2, dl = self._compute()
        return self.n_runs, e[i], k[i], l2[i], dl[i]

    def state_index(self, h: Any) -> np.ndarray:
        """Index into :attr:`exposure`/:attr:`events` of the state at level(s) ``h``."""
        return np.searchsorted(self.levels, h, side="right")

    def interval(self, i: int) -> tuple[float, float]:
        """The levels ``[lo, hi)`` that share state ``i``."""
        lo = self.levels[i - 1] if i > 0 else -np.inf
        hi = self.levels[i] if i < self.levels.size else np.inf
        return float(lo), float(hi)

    def first_passage(self, h: Any) -> np.ndarray:
        """``(n_runs, n_levels)`` first alarm positions at levels ``h`` (-1: no alarm)."""
        h = np.atleast_1d(np.asarray(h, dtype=np.float64))
        out = np.full((self.n_runs, h.size), -1, dtype=np.int64)
        for i, r in enumerate(self.runs):
            if r.values.size == 0:
                continue
            j = np.searchsorted(r.values, h, side="right")
            ok = j < r.values.size
            out[i, ok] = r.positions[j[ok]]
        return out


def pick_level(lo: float, hi: float) -> float:
    """A level inside ``[lo, hi)``: the midpoint, or ``lo`` when ``hi`` is infinite."""
    if not np.isfinite(lo):
        raise ValueError("no finite level in this interval")
    if not np.isfinite(hi):
        return lo
    mid = lo + (hi - lo) / 2.0
    return mid if lo <= mid < hi else lo
