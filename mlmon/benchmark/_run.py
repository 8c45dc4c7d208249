"""Run a grid of detectors over a grid of scenarios, replicated over seeded streams."""

from __future__ import annotations

import copy
import numbers
import time
import warnings
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from mlmon.benchmark import metrics as M
from mlmon.benchmark._records import RunRecord, Skipped, jsonable, seed_info
from mlmon.benchmark._result import BenchmarkResult

__all__ = ["mismatch", "run", "resolve_seed", "unique_names"]


def resolve_seed(seed: Any, *, name: str = "seed") -> np.random.SeedSequence:
    """A SeedSequence from ``seed`` (an int >= 0, None for fresh entropy, or a SeedSequence).

    Examples
    --------
    >>> resolve_seed(3).entropy
    3
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"{name} must be >= 0, got {seed}.")
        return np.random.SeedSequence(int(seed))
    raise TypeError(f"{name} must be an int >= 0, None or a numpy SeedSequence, got {seed!r}.")


def unique_names(items: Mapping[str, Any] | Sequence[Any] | Any, *, what: str,
                 name_of=None) -> list[tuple[str, Any]]:
    """``(name, object)`` pairs from a dict or a list; list names derived and made unique.

    A list item is named by ``name_of(item)`` (its class name by default); where names
    collide its ``repr`` is tried, then a ``#k`` suffix.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> [n for n, _ in unique_names([CUSUM(), CUSUM(threshold=8.0)], what="detectors")]
    ['CUSUM()', 'CUSUM(threshold=8.0)']
    """
    if isinstance(items, Mapping):
        pairs = list(items.items())
        for key, _ in pairs:
            if not isinstance(key, str) or not key:
                raise TypeError(f"{what} names must be non-empty strings, got {key!r}.")
        return pairs
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        items = [items]
    objs = list(items)
    name_of = name_of or (lambda o: type(o).__name__)
    base = [str(name_of(o)) for o in objs]
    names = [b if base.count(b) == 1 else repr(o) for b, o in zip(base, objs)]
    seen: dict[str, int] = {}
    out = []
    for n, o in zip(names, objs):
        if names.count(n) > 1:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n} #{seen[n]}"
        out.append((n, o))
    return out


def mismatch(detector: Any, scenario: Any) -> str | None:
    """Why ``detector`` cannot run on ``scenario``'s signal, or None when it can.

    A 0/1 error-stream detector needs a binary signal; a multivariate detector needs rows of
    features, and a univariate detector a 1-D signal. A real-valued detector runs on 0/1
    signals too.

    Examples
    --------
    >>> from mlmon.detectors import DDM, KS
    >>> from mlmon.scenarios import MeanShift
    >>> mismatch(KS(), MeanShift()) is None
    True
    >>> print(mismatch(DDM(), MeanShift()))
    DDM monitors a 0/1 error stream; MeanShift generates a real-valued signal
    """
    det_kind = getattr(detector, "signal_kind", "real")
    kind = getattr(scenario, "signal_kind", "real")
    det_name, scen_name = type(detector).__name__, getattr(scenario, "name", type(scenario).__name__)
    if det_kind == "binary" and kind != "binary":
        return f"{det_name} monitors a 0/1 error stream; {scen_name} generates a {kind}-valued signal"
    if det_kind == "multivariate" and kind != "multivariate":
        return f"{det_name} monitors rows of several features; {scen_name} generates a 1-D signal"
    if det_kind != "multivariate" and kind == "multivariate":
        return (f"{det_name} monitors a 1-D signal; {scen_name} generates rows of several "
                "features (monitor one column with a univariate scenario, or use a multivariate "
                "detector)")
    return None


def _check_grid(detectors: Any, scenarios: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    dets = unique_names(detectors, what="detector")
    scens = unique_names(scenarios, what="scenario", name_of=lambda s: getattr(s, "name", type(s).__name__))
    if not dets:
        raise ValueError("detectors is empty; pass at least one detector (a dict name -> detector or a list).")
    if not scens:
        raise ValueError("scenarios is empty; pass at least one scenario (a dict name -> scenario or a list).")
    for name, det in dets:
        if not (callable(getattr(det, "run", None)) and callable(getattr(det, "get_params", None))):
            raise TypeError(
                f"detector {name!r} is a {type(det).__name__}, not a detector: it needs run(signal) and "
                "get_params() (see mlmon.base.BaseDetector); wrap peer-library detectors with their adapter."
            )
    for name, scen in scens:
        if not callable(getattr(scen, "generate", None)):
            raise TypeError(
                f"scenario {name!r} is a {type(scen).__name__}, not a scenario: it needs generate(seed) "
                "(see mlmon.scenarios.Scenario)."
            )
    return dets, scens


_WARM: set[type] = set()


def _warm_up(det: Any, signal: np.ndarray) -> None:
    """Run a throwaway copy once per class and process, so wall times exclude JIT compilation."""
    if type(det) in _WARM:
        return
    _WARM.add(type(det))
    try:
        work = copy.deepcopy(det)
        work.reset()
        work.run(signal[: min(signal.shape[0], 256)])
    except Exception:  # the real run reports any problem
        pass


def _fitted_state(det: Any) -> dict[str, Any]:
    export = getattr(det, "_export_state", None)
    try:
        return jsonable(export()) if callable(export) else {}
    except Exception:  # a detector that cannot describe its state still runs
        return {}


def _run_stream(scenario_name: str, scenario: Any, replicate: int, ss: np.random.SeedSequence,
                dets: list[tuple[str, Any]]) -> list[RunRecord]:
    """Generate one stream and run every detector on it (each on its own fresh copy)."""
    stream = scenario.generate(seed=ss)
    scen_params = jsonable(scenario.params()) if callable(getattr(scenario, "params", None)) else {}
    seed = seed_info(ss)
    out = []
    for name, det in dets:
        _warm_up(det, stream.signal)
        work = copy.deepcopy(det)
        work.reset()
        t0 = time.perf_counter()
        try:
            alarms = work.run(stream.signal)
        except Exception as exc:
            raise RuntimeError(
                f"detector {name!r} ({type(det).__name__}) failed on scenario {scenario_name!r}, "
                f"replicate {replicate} (seed {seed}): {type(exc).__name__}: {exc}"
            ) from exc
        wall = time.perf_counter() - t0
        out.append(RunRecord(
            detector=name,
            detector_class=type(det).__name__,
            detector_params=jsonable(det.get_params()),
            scenario=scenario_name,
            scenario_class=type(scenario).__name__,
            scenario_params=scen_params,
            replicate=replicate,
            seed=seed,
            n_samples=stream.n_samples,
            alarms=tuple(np.asarray(alarms.indices).tolist()),
            warnings=tuple(np.asarray(getattr(alarms, "warnings", ())).tolist()),
            drifts=stream.drifts,
            detector_state=_fitted_state(det),
            wall_time=wall,
        ))
    return out


def run(
    detectors: Mapping[str, Any] | Sequence[Any],
    scenarios: Mapping[str, Any] | Sequence[Any],
    *,
    seeds: int = 20,
    seed: int | np.random.SeedSequence | None = 0,
    tolerance: int | None = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> BenchmarkResult:
    """Run every detector on ``seeds`` generated streams of every scenario.

    Common random numbers: stream ``r`` of a scenario is generated once and every detector
    runs on that same stream, so differences between detectors are not sampling noise
    between streams. Stream ``r`` of the ``i``-th scenario is generated with
    ``np.random.SeedSequence(seed).spawn(n_scenarios)[i].spawn(seeds)[r]``, so results are
    the same whether the grid runs serially or in parallel, and each record says how to
    regenerate its stream. Each run uses a fresh copy of the detector (``deepcopy`` then
    ``reset()``, which keeps what ``fit`` learnt); the objects passed in are never changed.

    A detector of 0/1 error streams (``signal_kind == "binary"``) is not run on a real-valued
    scenario: such pairs are listed in :attr:`BenchmarkResult.skipped` with the reason, and
    a warning is issued once.

    Parameters
    ----------
    detectors
        A dict name -> detector, or a list (named after their class, made unique).
    scenarios
        A dict name -> scenario, or a list (named after their class, made unique).
    seeds
        Streams (replicates) per scenario.
    seed
        Root of every stream's seed: an int, a SeedSequence, or None for fresh entropy
        (recorded in each record).
    tolerance
        Detection tolerance of the derived tables (see :mod:`mlmon.benchmark.metrics`).
    n_jobs
        Parallel workers (joblib; -1 for all cores). One task is one stream.
    progress
        Show a progress bar (tqdm) over the grid.

    Returns
    -------
    BenchmarkResult

    Examples
    --------
    >>> from mlmon.benchmark import run
    >>> from mlmon.detectors import CUSUM, PageHinkley
    >>> from mlmon.scenarios import MeanShift
    >>> res = run([CUSUM(threshold=8.0), PageHinkley()],
    ...           [MeanShift(n_samples=3000, position=1500, shift=2.0)], seeds=4, progress=False)
    >>> res.summary()[["detector", "n_runs", "detection_rate"]].values.tolist()
    [['CUSUM', 4, 1.0], ['PageHinkley', 4, 1.0]]
    """
    dets, scens = _check_grid(detectors, scenarios)
    if not isinstance(seeds, numbers.Integral) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"seeds must be a positive whole number of streams per scenario, got {seeds!r}.")
    tolerance = M._check_tolerance(tolerance)
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (-1 for all cores), got {n_jobs!r}.")
    root = resolve_seed(seed)
    scenario_seeds = root.spawn(len(scens))

    skipped: list[Skipped] = []
    tasks = []
    for (sname, scen), sseed in zip(scens, scenario_seeds):
        runnable = []
        for dname, det in dets:
            why = mismatch(det, scen)
            if why:
                skipped.append(Skipped(dname, sname, why))
            else:
                runnable.append((dname, det))
        if runnable:
            for r, ss in enumerate(sseed.spawn(seeds)):
                tasks.append((sname, scen, r, ss, runnable))
    if skipped:
        pairs = ", ".join(f"{s.detector} on {s.scenario}" for s in skipped)
        warnings.warn(f"benchmark skipped {len(skipped)} (detector, scenario) pair(s) whose signal kinds do "
                      f"not match: {pairs}; see result.skipped.", UserWarning, stacklevel=2)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(t[4]) for t in tasks), desc="benchmark", unit="run")
    try:
        if n_jobs == 1:
            outputs: Iterable[list[RunRecord]] = (_run_stream(*t) for t in tasks)
        else:
            from joblib import Parallel, delayed

            outputs = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_run_stream)(*t) for t in tasks)
        records: list[RunRecord] = []
        for out in outputs:
            records.extend(out)
            if bar is not None:
                bar.update(len(out))
    finally:
        if bar is not None:
            bar.close()
    return BenchmarkResult(records=tuple(records), skipped=tuple(skipped), tolerance=tolerance)
