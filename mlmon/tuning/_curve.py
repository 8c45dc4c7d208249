"""Operating curves: false alarms against detection delay over a detector's thresholds."""

from __future__ import annotations

import html
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmon.benchmark._records import jsonable
from mlmon.benchmark.metrics import _check_confidence, _check_tolerance, average_run_length, detection_windows
from mlmon.tuning import _simulate as S
from mlmon.tuning._solvers import _Transform, arl_states, first_alarm

__all__ = ["OperatingCurve", "OperatingPoint", "operating_curve"]

#: Default null run length: ``max(MIN_CURVE_RUN_LENGTH, 4 * drift stream length)``.
MIN_CURVE_RUN_LENGTH = 10_000
#: With ``thresholds=n``, the least sensitive point of the grid still rests on at least
#: ``max(5, 5% of n_runs)`` false alarms.
MIN_GRID_EVENTS = 5

_ARRAYS = ["thresholds", "arl", "arl_ci_low", "arl_ci_high", "n_alarms", "false_alarms_per_10k",
            "p_false_alarm_before_change", "detection_rate", "n_detected", "mean_delay", "median_delay"]


@dataclass(frozen=True)
class OperatingPoint:
    """One row of an :class:`OperatingCurve`: a threshold and what it costs and buys.

    Examples
    --------
    >>> p = OperatingPoint(threshold=5.0, arl=900.0, arl_ci_low=700.0, arl_ci_high=1200.0,
    ...                    false_alarms_per_10k=11.1, p_false_alarm_before_change=0.2,
    ...                    detection_rate=1.0, mean_delay=12.0, median_delay=11.0)
    >>> p.threshold
    5.0
    """

    threshold: float
    arl: float
    arl_ci_low: float
    arl_ci_high: float
    false_alarms_per_10k: float
    p_false_alarm_before_change: float
    detection_rate: float
    mean_delay: float
    median_delay: float


@dataclass(frozen=True, eq=False)
class OperatingCurve:
    """A detector's false-alarm cost against its detection power, threshold by threshold.

    Rows go from the most sensitive threshold (shortest ARL) to the least sensitive.

    Attributes
    ----------
    detector_class, param
        The detector's class name and its threshold parameter.
    thresholds
        Values of the threshold parameter.
    arl, arl_ci_low, arl_ci_high, n_alarms
        On the null runs: average run length to the first false alarm (censored estimate,
        see :func:`mlmon.benchmark.metrics.average_run_length`), its confidence interval, and
        the runs that ended in a false alarm.
    false_alarms_per_10k
        ``10_000 / arl``: the long-run false alarm rate of a detector that restarts after each
        alarm.
    p_false_alarm_before_change
        On the drift runs: share of runs with an alarm before the change.
    detection_rate, n_detected
        Among drift runs without a false alarm before the change: share (and number) whose
        first alarm falls in the change's detection window (see
        :mod:`mlmon.benchmark.metrics`).
    mean_delay, median_delay
        Delay (``alarm - drift.start``) of those detections.
    confidence, n_runs, run_length, drift_run_length, tolerance
        Interval coverage, runs of each kind, null and drift stream lengths, and the detection
        tolerance (None: the default of :mod:`mlmon.benchmark.metrics`).
    null, null_params, fingerprint, drift, drift_params, seed, elapsed
        Provenance, as in :class:`~mlmon.tuning.Calibration`.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
    >>> curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=drift.null(), drift=drift,
    ...                         thresholds=[3.0, 5.0, 8.0], n_runs=50, run_length=5000)
    >>> curve.to_frame()["threshold"].tolist()
    [3.0, 5.0, 8.0]
    >>> bool(curve.arl[0] < curve.arl[1] < curve.arl[2])
    True
    >>> bool(curve.mean_delay[1] < curve.mean_delay[2])
    True
    """

    detector_class: str
    param: str
    thresholds: np.ndarray
    arl: np.ndarray
    arl_ci_low: np.ndarray
    arl_ci_high: np.ndarray
    n_alarms: np.ndarray
    false_alarms_per_10k: np.ndarray
    p_false_alarm_before_change: np.ndarray
    detection_rate: np.ndarray
    n_detected: np.ndarray
    mean_delay: np.ndarray
    median_delay: np.ndarray
    confidence: float
    n_runs: int
    run_length: int
    drift_run_length: int
    tolerance: int | None
    null: str
    null_params: dict[str, Any]
    fingerprint: str | None
    drift: str
    drift_params: dict[str, Any]
    seed: dict[str, Any]
    elapsed: float = field(default=math.nan)

    def __post_init__(self) -> None:
        for name in _ARRAYS:
            arr = np.array(getattr(self, name), copy=True)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.thresholds.shape[0])

    def to_frame(self):
        """One row per threshold (columns as the attributes of the same names).

        Examples
        --------
        >>> from mlmon.detectors import CUSUM
        >>> from mlmon.scenarios import MeanShift
        >>> drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
        >>> curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=drift.null(), drift=drift,
        ...                         thresholds=10, n_runs=30, run_length=4000)
        >>> list(curve.to_frame().columns)[:3]
        ['threshold', 'arl', 'arl_ci_low']
        """
        import pandas as pd

        frame = pd.DataFrame({c: getattr(self, c) for c in _ARRAYS}, columns=_ARRAYS)
        return frame.rename(columns={"thresholds": "threshold"})

    def operating_point(self, *, arl: float | None = None, false_alarms_per_10k: float | None = None,
                        conservative: bool = False) -> OperatingPoint:
        """The most sensitive threshold of the curve that meets a false-alarm budget.

        Give ``arl`` (at least this average run length) or ``false_alarms_per_10k`` (at most
        this many false alarms per 10,000 samples, i.e. ``arl >= 10_000 / rate``). With
        ``conservative=True`` the ARL's lower confidence bound must meet it. Only the
        curve's own thresholds are candidates; :func:`~mlmon.tuning.calibrate` solves for
        the exact threshold.

        Examples
        --------
        >>> from mlmon.detectors import CUSUM
        >>> from mlmon.scenarios import MeanShift
        >>> drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
        >>> curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=drift.null(), drift=drift,
        ...                         thresholds=20, n_runs=50, run_length=8000)
        >>> point = curve.operating_point(arl=1000)
        >>> bool(point.arl >= 1000)
        True
        """
        if (arl is None) == (false_alarms_per_10k is None):
            raise ValueError("give exactly one budget: arl= or false_alarms_per_10k=.")
        if arl is not None:
            if not isinstance(arl, numbers.Real) or not (math.isfinite(arl) and arl > 0):
                raise ValueError(f"arl must be a positive number of samples, got {arl!r}.")
            target = float(arl)
        else:
            if not isinstance(false_alarms_per_10k, numbers.Real) or not (
                    math.isfinite(false_alarms_per_10k) and false_alarms_per_10k > 0):
                raise ValueError(f"false_alarms_per_10k must be a positive number, got {false_alarms_per_10k!r}.")
            target = 10_000 / float(false_alarms_per_10k)
        crit = self.arl_ci_low if conservative else self.arl
        ok = np.flatnonzero(crit >= target)
        if ok.size == 0:
            raise ValueError(
                f"no threshold on this curve reaches an ARL of {target:g}"
                + (" (lower confidence bound)" if conservative else "")
                + f"; the largest is {np.max(crit):.4g}. Extend the curve (thresholds, run_length, n_runs)."
            )
        i = int(ok[0])
        return OperatingPoint(threshold=float(self.thresholds[i]), **{c: float(getattr(self, c)[i]) for c in (
            "arl", "arl_ci_low", "arl_ci_high", "false_alarms_per_10k",
            "p_false_alarm_before_change", "detection_rate", "mean_delay", "median_delay")})

    def provenance(self, index: int, detector: Any, *, target: float | None = None) -> dict[str, Any]:
        """The record of threshold ``index`` that :func:`mlmon.export.export` takes as ``calibration``.

        Same keys as :meth:`Calibration.to_dict <mlmon.tuning.Calibration.to_dict>` with
        ``method="operating_curve"``, plus ``operating_point``: what the threshold bought on the
        drift runs (detection rate, delays, false alarms before the change).

        Parameters
        ----------
        index
            Row of the curve (0 is the most sensitive threshold).
        detector
            The detector exported, with this row's threshold (its parameters are recorded).
        target
            The ARL budget the point was chosen for, if any.

        Examples
        --------
        >>> from mlmon.detectors import CUSUM
        >>> from mlmon.scenarios import MeanShift
        >>> drift = MeanShift(n_samples=2000, position=1000, shift=1.0)
        >>> curve = operating_curve(CUSUM(mean=0.0, std=1.0), null=drift.null(), drift=drift,
        ...                         thresholds=[3.0, 5.0, 8.0], n_runs=50, run_length=5000)
        >>> rec = curve.provenance(1, CUSUM(mean=0.0, std=1.0, threshold=5.0))
        >>> rec["method"], rec["value"], rec["operating_point"]["drift"]
        ('operating_curve', 5.0, 'MeanShift')
        """
        from mlmon.tuning._calibrate import _finite_or_none

        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(self):
            raise ValueError(f"index must be a row of the curve, an integer in [0, {len(self) - 1}]; got {index!r}.")
        i = int(index)
        param = getattr(detector, "threshold_param", None)
        if param != self.param or not math.isclose(float(getattr(detector, param)), float(self.thresholds[i]),
                                                   rel_tol=1e-12, abs_tol=0.0):
            raise ValueError(f"detector must carry row {i}'s threshold ({self.param}={self.thresholds[i]!r}); "
                             f"use detector.clone({self.param}=curve.thresholds[{i}]).")
        rec = {
            "detector_class": self.detector_class, "param": self.param, "value": float(self.thresholds[i]),
            "budget": "arl", "target": target, "estimate": float(self.arl[i]),
            "ci_low": float(self.arl_ci_low[i]), "ci_high": float(self.arl_ci_high[i]),
            "confidence": self.confidence, "n_runs": self.n_runs, "run_length": self.run_length,
            "n_alarms": int(self.n_alarms[i]), "n_windows": None, "dispersion": None, "tail_pvalue": None,
            "null": self.null, "null_params": self.null_params, "fingerprint": self.fingerprint,
            "seed": self.seed, "method": "operating_curve", "conservative": False, "elapsed": self.elapsed,
            "detector_params": detector.get_params(),
            "operating_point": {
                "drift": self.drift, "drift_params": self.drift_params,
                "drift_run_length": self.drift_run_length,
                "detection_rate": float(self.detection_rate[i]), "n_detected": int(self.n_detected[i]),
                "mean_delay": float(self.mean_delay[i]), "median_delay": float(self.median_delay[i]),
                "p_false_alarm_before_change": float(self.p_false_alarm_before_change[i]),
                "tolerance": self.tolerance,
            },
        }
        return _finite_or_none(jsonable(rec))

    def _repr_html_(self) -> str:
        head = (f"<p><b>OperatingCurve</b> of {html.escape(self.detector_class)}.{html.escape(self.param)}: "
                f"null {html.escape(self.null)} ({self.n_runs} runs of {self.run_length}), drift "
                f"{html.escape(self.drift)} ({self.n_runs} runs of {self.drift_run_length})</p>")
        return head + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return (f"OperatingCurve({self.detector_class}.{self.param}, {len(self)} thresholds, null={self.null}, "
                f"drift={self.drift}, n_runs={self.n_runs})")


def _grid(passages: S.Passages, n: int) -> np.ndarray:
    """Levels whose estimated ARLs are log-spaced from the most sensitive to the least resolvable."""
    e, k = passages.exposure, passages.events
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(k > 0, e / np.maximum(k, 1), np.inf)
    n_states = passages.levels.size + 1 - int(np.sum(np.isinf(passages.levels)))
    k_min = max(MIN_GRID_EVENTS, math.ceil(0.05 * passages.n_runs))
    states = np.arange(1, n_states)
    states = states[k[states] >= k_min]
    if states.size == 0:
        raise ValueError(
            "too few false alarms on the null runs to span a curve (fewer than "
            f"{k_min} at every threshold): increase n_runs or run_length."
        )
    lo, hi = est[states[0]], est[states[-1]]
    targets = np.geomspace(lo, hi, n) if hi > lo else np.array([lo])
    idx = np.unique(states[np.minimum(np.searchsorted(est[states], targets, side="left"), states.size - 1)])
    return np.array([S.pick_level(*passages.interval(int(i))) for i in idx])


def operating_curve(
    detector: Any,
    *,
    null: Any,
    drift: Any,
    thresholds: int | Any = 50,
    n_runs: int = 200,
    run_length: int | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    tolerance: int | None = None,
    confidence: float = 0.95,
    method: str = "auto",
    n_jobs: int = 1,
    progress: bool = False,
) -> OperatingCurve:
    """False-alarm cost (ARL) against detection delay for a range of thresholds, from one pass.

    Each null run and each drift run is simulated and traced once; every threshold's first
    alarms follow from the running maximum (minimum for ``threshold_direction == "below"``)
    of the traces, as in :func:`calibrate`. A detector without ``trace`` (a peer library's,
    through an adapter) is instead run on the same null and drift streams once per
    threshold, each run stopped at its first alarm: same definitions, a cost that grows with
    the number of thresholds (the default grid is then ``min(thresholds, 9)`` values spread
    on a log or logit scale around the detector's own value).

    On the drift runs the change is the stream's first drift, at ``start``. A run whose first
    alarm comes before ``start`` counts as a false alarm before the change. For the other
    runs the trace after ``start`` is exactly what the detector computes (no alarm has reset
    it), so the first alarm after the change is the first passage at or after ``start``:
    delays and detection rates are *conditional on no false alarm before the change* (the
    usual conditional expected delay). A detection is an alarm in the detection window
    ``[start, end + tolerance)`` of :mod:`mlmon.benchmark.metrics`.

    Parameters
    ----------
    detector
        The detector (not changed; what it has fitted is kept).
    null
        A stationary scenario, or a 1-D reference sample to bootstrap (as in :func:`calibrate`).
    drift
        A scenario with a drift.
    thresholds
        Values of the threshold parameter, or a number of them: then chosen so that their
        estimated ARLs are log-spaced from the most sensitive threshold up to the least
        sensitive one still resting on ``max(5, 5% of n_runs)`` false alarms (thresholds that
        would repeat one are dropped, so there may be fewer).
    n_runs
        Null runs, and drift runs (each).
    run_length
        Samples per null run; default ``max(10_000, 4 * drift stream length)``. Drift runs
        keep the drift scenario's own length.
    seed
        Null run ``i`` uses ``SeedSequence(seed).spawn(n_runs)[i]`` (the streams
        :func:`calibrate` uses with the same seed); drift run ``i`` the first child of that.
    tolerance
        Detection tolerance in samples (default: see :mod:`mlmon.benchmark.metrics`).
    confidence
        Coverage of the ARL intervals.
    method
        ``"trace"`` (one pass), ``"simulation"`` (one run per threshold; same answer, slower)
        or ``"auto"``: trace when the detector has one.
    n_jobs, progress
        Parallel workers over runs for the trace method (results do not depend on it);
        progress bar.

    Returns
    -------
    OperatingCurve

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon.scenarios import MeanShift
    >>> drift = MeanShift(n_samples=3000, position=1500, shift=1.0)
    >>> curve = operating_curve(PageHinkley(), null=drift.null(), drift=drift, thresholds=15, n_runs=40)
    >>> frame = curve.to_frame()
    >>> bool(frame["arl"].is_monotonic_increasing)
    True
    >>> delays = frame["mean_delay"].dropna()
    >>> bool(delays.iloc[-1] > delays.iloc[0])
    True
    """
    t0 = time.perf_counter()
    info = S.threshold_info(detector)
    n_runs = S.check_positive_int(n_runs, "n_runs", minimum=2)
    confidence = _check_confidence(confidence)
    tolerance = _check_tolerance(tolerance)
    n_jobs = S.check_n_jobs(n_jobs)
    from mlmon.tuning._calibrate import has_trace

    if method not in ("auto", "trace", "simulation"):
        raise ValueError(f"method must be 'auto', 'trace' or 'simulation', got {method!r}.")
    if method == "trace" and not has_trace(detector):
        raise TypeError(f"{type(detector).__name__} has no trace(); use method='simulation' (or 'auto').")
    traced = has_trace(detector) and method != "simulation"
    if not callable(getattr(drift, "generate", None)):
        raise TypeError(f"drift must be a Scenario with a change, got {type(drift).__name__}.")
    if getattr(drift, "is_stationary", False):
        raise ValueError(f"drift must be a scenario with a change; {getattr(drift, 'name', drift)!r} is stationary.")
    S.check_kind(detector, drift, "drift")
    drift_n = getattr(drift, "n_samples", None)
    spec = S.resolve_null(null, run_length, lambda _: max(MIN_CURVE_RUN_LENGTH, 4 * int(drift_n or 0)))
    S.check_kind(detector, spec.scenario, "null")
    seed_info, null_seeds = S.run_seeds(seed, n_runs)
    drift_seeds = [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (0,), pool_size=ss.pool_size)
                   for ss in null_seeds]
    seed_info = {**seed_info, "drift_scheme": "drift run i uses the first child of null run i's SeedSequence"}
    if not traced:
        return _curve_by_simulation(detector, info, spec, drift, thresholds, null_seeds, drift_seeds, tolerance,
                                    confidence, seed_info, t0)

    try:
        null_runs = S.simulate(detector, spec.scenario, null_seeds, direction=info.direction, n_jobs=n_jobs,
                               progress=progress, desc="null runs")
        drift_runs = S.simulate(detector, drift, drift_seeds, direction=info.direction, need_drift=True,
                                n_jobs=n_jobs, progress=progress, desc="drift runs")
    except NotImplementedError as exc:
        raise TypeError(f"operating_curve needs {type(detector).__name__}.trace(), which is not available: "
                        f"{exc}") from exc
    passages = S.Passages(null_runs)

    if isinstance(thresholds, numbers.Integral) and not isinstance(thresholds, bool):
        n = S.check_positive_int(thresholds, "thresholds", minimum=2)
        levels = _grid(passages, n)
    else:
        values = np.asarray(thresholds, dtype=np.float64) if not isinstance(thresholds, (str, bytes)) else None
        if values is None or values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(
                "thresholds must be a number of thresholds (>= 2) or a non-empty 1-D array of finite values "
                f"of {info.param}."
            )
        for v in np.unique(values):
            S.with_param(detector, info.param, float(v))  # validates each value
        levels = values if info.direction == "above" else -values
    levels = np.sort(levels)

    # null side: exact (exposure, events) at each level
    idx = passages.state_index(levels)
    arl, low, high, _ = arl_states(passages, confidence, idx)
    events = passages.events[idx]

    # drift side: first passage per run and level, against the first drift's window
    first = S.Passages(drift_runs).first_passage(levels)
    windows = np.array([detection_windows(drifts=r.drifts, tolerance=tolerance)[0] for r in drift_runs])
    start, stop = windows[:, :1], windows[:, 1:]
    early = (first >= 0) & (first < start)
    detected = (first >= start) & (first < stop)
    clean = (~early).sum(axis=0)
    n_detected = detected.sum(axis=0)
    delays = np.where(detected, first - start, np.nan).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(clean > 0, n_detected / np.maximum(clean, 1), np.nan)
    mean_delay = np.array([np.mean(c[~np.isnan(c)]) if np.any(~np.isnan(c)) else np.nan for c in delays.T])
    median_delay = np.array([np.median(c[~np.isnan(c)]) if np.any(~np.isnan(c)) else np.nan for c in delays.T])

    thresholds_out = levels if info.direction == "above" else -levels
    return OperatingCurve(
        detector_class=type(detector).__name__, param=info.param, thresholds=thresholds_out.astype(np.float64),
        arl=arl.astype(np.float64), arl_ci_low=np.asarray(low, dtype=np.float64),
        arl_ci_high=np.asarray(high, dtype=np.float64), n_alarms=events.astype(np.int64),
        false_alarms_per_10k=np.where(np.isfinite(arl), 10_000 / arl, 0.0),
        p_false_alarm_before_change=early.mean(axis=0).astype(np.float64), detection_rate=rate.astype(np.float64),
        n_detected=n_detected.astype(np.int64), mean_delay=mean_delay, median_delay=median_delay,
        confidence=confidence, n_runs=n_runs, run_length=spec.run_length,
        drift_run_length=int(max(r.n_samples for r in drift_runs)), tolerance=tolerance, null=spec.name,
        null_params=spec.params, fingerprint=spec.fingerprint, drift=getattr(drift, "name", type(drift).__name__),
        drift_params=jsonable(drift.params()) if callable(getattr(drift, "params", None)) else {},
        seed=seed_info, elapsed=time.perf_counter() - t0,
    )


#: Largest default grid when the curve is simulated threshold by threshold.
MAX_SIMULATED_POINTS = 9


def _curve_by_simulation(detector: Any, info: Any, spec: Any, drift: Any, thresholds: Any,
                         null_seeds: list, drift_seeds: list, tolerance: int | None, confidence: float,
                         seed_info: dict[str, Any], t0: float) -> OperatingCurve:
    """Operating curve of a detector without ``trace``: one simulation per threshold, on
    common null and drift streams (generated once), each run stopped at its first alarm."""
    if isinstance(thresholds, numbers.Integral) and not isinstance(thresholds, bool):
        n = S.check_positive_int(thresholds, "thresholds", minimum=2)
        tr = _Transform(info)
        x0 = tr.to_x(info.value)
        values = np.array([tr.to_v(x) for x in np.linspace(x0 - 4.0, x0 + 4.0, min(n, MAX_SIMULATED_POINTS))])
    else:
        values = np.asarray(thresholds, dtype=np.float64) if not isinstance(thresholds, (str, bytes)) else None
        if values is None or values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError("thresholds must be a number of thresholds (>= 2) or a non-empty 1-D array of "
                             f"finite values of {info.param}.")
    values = np.unique(values)
    if info.direction == "below":  # most sensitive first: larger alpha or delta alarms sooner
        values = values[::-1]
    null_streams = [spec.scenario.generate(seed=ss) for ss in null_seeds]
    drift_streams = [drift.generate(seed=ss) for ss in drift_seeds]
    if not all(st.drifts for st in drift_streams):
        raise ValueError(f"drift: {getattr(drift, 'name', drift)!r} generated a stream without drift.")
    windows = np.array([detection_windows(drifts=st.drifts, tolerance=tolerance)[0] for st in drift_streams])
    start, stop = windows[:, 0], windows[:, 1]
    cols: dict[str, list[float]] = {k: [] for k in ("arl", "low", "high", "events", "early", "rate",
                                                    "n_detected", "mean", "median")}
    for v in values:
        det = S.with_param(detector, info.param, float(v))
        firsts = np.array([first_alarm(det, st.signal) for st in null_streams])
        lengths = np.where(firsts >= 0, firsts + 1, [st.n_samples for st in null_streams])
        est = average_run_length(lengths=lengths, censored=firsts < 0, confidence=confidence)
        first = np.array([first_alarm(det, st.signal) for st in drift_streams])
        early = (first >= 0) & (first < start)
        detected = (first >= start) & (first < stop)
        delays = (first - start)[detected].astype(np.float64)
        clean = int((~early).sum())
        for key, val in (("arl", est.estimate), ("low", est.ci_low), ("high", est.ci_high),
                         ("events", est.n_events), ("early", early.mean()),
                         ("rate", detected.sum() / clean if clean else math.nan),
                         ("n_detected", detected.sum()),
                         ("mean", delays.mean() if delays.size else math.nan),
                         ("median", float(np.median(delays)) if delays.size else math.nan)):
            cols[key].append(float(val))
    arl = np.array(cols["arl"])
    return OperatingCurve(
        detector_class=type(detector).__name__, param=info.param, thresholds=values.astype(np.float64),
        arl=arl, arl_ci_low=np.array(cols["low"]), arl_ci_high=np.array(cols["high"]),
        n_alarms=np.array(cols["events"], dtype=np.int64),
        false_alarms_per_10k=np.where(np.isfinite(arl), 10_000 / arl, 0.0),
        p_false_alarm_before_change=np.array(cols["early"]), detection_rate=np.array(cols["rate"]),
        n_detected=np.array(cols["n_detected"], dtype=np.int64), mean_delay=np.array(cols["mean"]),
        median_delay=np.array(cols["median"]), confidence=confidence, n_runs=len(null_seeds),
        run_length=spec.run_length, drift_run_length=int(max(st.n_samples for st in drift_streams)),
        tolerance=tolerance, null=spec.name, null_params=spec.params, fingerprint=spec.fingerprint,
        drift=getattr(drift, "name", type(drift).__name__),
        drift_params=jsonable(drift.params()) if callable(getattr(drift, "params", None)) else {},
        seed={**seed_info, "method": "simulation per threshold"}, elapsed=time.perf_counter() - t0,
    )
