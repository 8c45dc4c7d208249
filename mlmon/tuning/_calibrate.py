"""Calibrate a detector's threshold to a false-alarm budget on a stationary (null) scenario."""

from __future__ import annotations

import html
import math
import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlmon.benchmark._records import jsonable
from mlmon.benchmark.metrics import _check_confidence
from mlmon.tuning import _simulate as S
from mlmon.tuning import _solvers

__all__ = ["Calibration", "calibrate"]

#: Default null run length for an ARL budget: ``RUN_LENGTH_FACTOR * arl``, clipped to
#: ``[MIN_RUN_LENGTH, MAX_RUN_LENGTH]``.
RUN_LENGTH_FACTOR = 4
MIN_RUN_LENGTH = 1_000
MAX_RUN_LENGTH = 1_000_000
#: Default null run length for a per-window budget when the null has no length of its own.
DEFAULT_WINDOW_RUN_LENGTH = 10_000
#: Fewest alarms behind an estimate before calibrate warns that it is imprecise.
MIN_EVENTS = 10
#: Significance of the tail check: more censored runs than exponential run lengths explain.
TAIL_ALPHA = 0.01
#: With the default run length, how many times it is lengthened (x4 each) when the tail check fails.
MAX_EXTENSIONS = 2
#: Null runs on which a trace-based calibration is checked against ``run``.
N_SELF_CHECK = 3


@dataclass(frozen=True)
class Calibration:
    """A threshold calibrated to a false-alarm budget, with the evidence behind it.

    Attributes
    ----------
    detector_class, param, value
        The detector's class name, its threshold parameter and the calibrated value.
    budget, target
        ``"arl"`` (average run length to the first false alarm, in samples) or
        ``"window_fpr"`` (probability that one test window raises an alarm under the null),
        and the target asked for.
    estimate, ci_low, ci_high, confidence
        The budget quantity achieved at ``value`` on the null runs, and its confidence
        interval.
    n_runs, run_length, n_alarms
        Null runs, their length, and the alarms behind the estimate (runs that ended in a
        false alarm for ``"arl"``, alarming windows for ``"window_fpr"``).
    n_windows
        Test windows (decisions) pooled for ``"window_fpr"``; None for ``"arl"``.
    dispersion
        ``"arl"``: how much more the run lengths spread than exponential ones (>= 1; the
        interval is widened by it); None for ``"window_fpr"``.
    tail_pvalue
        ``"arl"``: p-value of the tail check (censored runs beyond what exponential run
        lengths explain; small means the estimate is biased low); None for ``"window_fpr"``.
    null, null_params, fingerprint
        The null scenario's name and parameters, and the sha256 of the reference sample it
        bootstraps (None for a synthetic null).
    seed
        ``entropy`` and ``spawn_key`` of the root SeedSequence, and how run seeds are spawned.
    method
        ``"trace"`` (one pass over the null runs) or ``"bisection"`` (detectors without trace).
    conservative
        Whether the confidence bound (not the estimate) was held to the target.
    elapsed
        Seconds the calibration took.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import Stationary
    >>> cal = calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=500, n_runs=50, seed=0)
    >>> cal.param, cal.method, cal.estimate >= 500
    ('threshold', 'trace', True)
    >>> cal.detector.threshold == cal.value
    True
    """

    detector_class: str
    param: str
    value: float
    budget: Literal["arl", "window_fpr"]
    target: float
    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    n_runs: int
    run_length: int
    n_alarms: int
    n_windows: int | None
    dispersion: float | None
    tail_pvalue: float | None
    null: str
    null_params: dict[str, Any]
    fingerprint: str | None
    seed: dict[str, Any]
    method: Literal["trace", "bisection"]
    conservative: bool
    elapsed: float = field(compare=False)
    source: Any = field(repr=False, compare=False, default=None)

    @property
    def detector(self) -> Any:
        """A fresh copy of the calibrated detector (what it had fitted kept) with ``value`` set."""
        return S.with_param(self.source, self.param, self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable provenance (infinite values become None).

        Examples
        --------
        >>> import json
        >>> from mlmon.detectors import CUSUM
        >>> from mlmon.scenarios import Stationary
        >>> cal = calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=200, n_runs=20, seed=0)
        >>> d = cal.to_dict()
        >>> d["budget"], d["param"], json.loads(json.dumps(d)) == d
        ('arl', 'threshold', True)
        """
        out: dict[str, Any] = {}
        for name in ("detector_class", "param", "value", "budget", "target", "estimate", "ci_low", "ci_high",
                     "confidence", "n_runs", "run_length", "n_alarms", "n_windows", "dispersion", "tail_pvalue",
                     "null", "null_params",
                     "fingerprint", "seed", "method", "conservative", "elapsed"):
            out[name] = _finite_or_none(jsonable(getattr(self, name)))
        out["detector_params"] = _finite_or_none(jsonable(self.detector.get_params()))
        return out

    def to_frame(self):
        """The calibration as a one-row DataFrame (nested values as JSON-able objects).

        Examples
        --------
        >>> from mlmon.detectors import CUSUM
        >>> from mlmon.scenarios import Stationary
        >>> calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=200, n_runs=20).to_frame().shape[0]
        1
        """
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:
        unit = "samples" if self.budget == "arl" else "per window"
        rows = [
            ("detector", f"{self.detector_class}.{self.param} = {self.value:.6g}"),
            ("budget", f"{self.budget} {'>=' if self.budget == 'arl' else '<='} {self.target:g} {unit}"
                       + (" (confidence bound)" if self.conservative else "")),
            ("achieved", f"{self.estimate:.4g} [{self.ci_low:.4g}, {self.ci_high:.4g}] "
                         f"({self.confidence:.0%} CI)"),
            ("evidence", f"{self.n_alarms} alarm(s) in {self.n_runs} null runs of {self.run_length} samples"
                         + (f", {self.n_windows} windows" if self.n_windows is not None else "")),
            ("null", f"{self.null}" + (f" (reference sha256 {self.fingerprint[:12]})" if self.fingerprint else "")),
            ("method", f"{self.method}, {self.elapsed:.2f} s"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in rows)
        return f"<table><caption>Calibration</caption>{body}</table>"


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


# --- the budget ---------------------------------------------------------------------------


def _check_budget(arl: Any, window_fpr: Any) -> tuple[str, float]:
    if (arl is None) == (window_fpr is None):
        raise ValueError(
            "give exactly one budget: arl= (average run length to the first false alarm, in samples, "
            "e.g. 10_000) or window_fpr= (probability that one test window alarms under the null, e.g. 0.01)."
        )
    if arl is not None:
        if not isinstance(arl, numbers.Real) or isinstance(arl, bool):
            raise TypeError(f"arl must be a number of samples, got {arl!r}.")
        if not (math.isfinite(arl) and arl > 1):
            raise ValueError(f"arl must be a finite number of samples > 1, got {arl!r}.")
        return "arl", float(arl)
    if not isinstance(window_fpr, numbers.Real) or isinstance(window_fpr, bool):
        raise TypeError(f"window_fpr must be a probability, got {window_fpr!r}.")
    if not 0.0 < float(window_fpr) < 1.0:
        raise ValueError(f"window_fpr must be a probability in (0, 1), e.g. 0.01; got {window_fpr!r}.")
    return "window_fpr", float(window_fpr)


def _default_length(budget: str, target: float):
    def length(scenario: Any) -> int:
        if budget == "arl":
            return int(min(max(RUN_LENGTH_FACTOR * math.ceil(target), MIN_RUN_LENGTH), MAX_RUN_LENGTH))
        n = getattr(scenario, "n_samples", None)
        return int(n) if isinstance(n, numbers.Integral) else DEFAULT_WINDOW_RUN_LENGTH

    return length


def has_trace(detector: Any) -> bool:
    """Whether ``detector`` has a threshold-free ``trace``, so tuning needs one pass per run.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM, River
    >>> has_trace(CUSUM()), has_trace(River("ADWIN"))
    (True, False)
    """
    from mlmon.base import BaseDetector

    impl = getattr(type(detector), "trace", None)
    return impl is not None and impl is not getattr(BaseDetector, "trace", None)


# --- calibrate ------------------------------------------------------------------------------


def tail_check(n_runs: int, n_censored: int, run_length: float, estimate: float) -> float:
    """p-value of seeing ``n_censored`` or more censored runs if run lengths were exponential.

    Under an exponential model with mean ``estimate`` a run survives ``run_length`` samples
    with probability ``exp(-run_length / estimate)``. Many more survivors mean a heavier tail
    (e.g. run-to-run variation of a self-starting detector's baseline): then the censored
    estimate is biased low and longer runs are needed.

    Examples
    --------
    >>> round(tail_check(200, 4, 4000, 1000), 2)
    0.5
    >>> tail_check(200, 20, 4000, 1000) < 1e-6
    True
    """
    from scipy.stats import binom

    if not (n_censored > 0 and math.isfinite(estimate) and estimate > 0):
        return 1.0
    p0 = math.exp(-run_length / estimate)
    return float(binom.sf(n_censored - 1, n_runs, p0))


def _solve_once(detector: Any, info: S.ThresholdInfo, budget: str, target: float, spec: S.NullSpec,
                seeds: list, confidence: float, conservative: bool, use: str, method: str, n_jobs: int,
                progress: bool) -> dict[str, Any]:
    """Calibrate on one set of null runs; returns the value and its evidence."""
    out: dict[str, Any] = {"use": use, "n_windows": None, "dispersion": None, "tail_pvalue": None}
    if use == "trace":
        try:
            runs = S.simulate(detector, spec.scenario, seeds, direction=info.direction,
                              keep_decisions=budget == "window_fpr", n_jobs=n_jobs, progress=progress)
        except NotImplementedError:
            if method == "trace" or budget == "window_fpr":
                raise
            use = out["use"] = "bisection"
    if use == "trace" and budget == "arl":
        passages = S.Passages(runs)
        level = _solvers.solve_arl(passages, target, confidence, conservative)
        i = int(passages.state_index(level))
        est, low, high, phi = (float(x) for x in _solvers.arl_states(passages, confidence, i))
        out.update(level=level, estimate=est, ci_low=low, ci_high=high, n_alarms=int(passages.events[i]),
                   dispersion=phi)
        _self_check(detector, info, spec.scenario, seeds, passages, level)
    elif use == "trace":
        level = _solvers.solve_window_fpr(runs, target, confidence, conservative)
        c, n = _solvers.window_counts(runs, level)
        estimate, ci_low, ci_high = _solvers.window_fpr_interval(c, n, confidence)
        out.update(level=level, estimate=estimate, ci_low=ci_low, ci_high=ci_high, n_alarms=int(c.sum()),
                   n_windows=int(n.sum()))
    else:
        value, best = _solvers.bisect(detector, info, spec.scenario, seeds, target, confidence, conservative,
                                      n_jobs, progress)
        out.update(level=value if info.direction == "above" else -value, estimate=best["estimate"],
                   ci_low=best["ci_low"], ci_high=best["ci_high"], n_alarms=best["events"],
                   dispersion=best["dispersion"])
    if budget == "arl":
        out["tail_pvalue"] = tail_check(len(seeds), len(seeds) - out["n_alarms"], spec.run_length, out["estimate"])
    out["value"] = out["level"] if info.direction == "above" else -out["level"]
    return out


def calibrate(
    detector: Any,
    null: Any,
    *,
    arl: float | None = None,
    window_fpr: float | None = None,
    n_runs: int = 200,
    run_length: int | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    confidence: float = 0.95,
    conservative: bool = False,
    method: Literal["auto", "trace", "bisection"] = "auto",
    n_jobs: int = 1,
    progress: bool = False,
) -> Calibration:
    """Set a detector's threshold so that it meets a false-alarm budget on a null scenario.

    The parameter calibrated is ``detector.threshold_param``. ``arl`` asks for an average
    run length to the first false alarm of at least ``arl`` samples (``arl=10_000``: one
    false alarm per 10,000 samples); ``window_fpr`` for a probability of at most
    ``window_fpr`` that one test window alarms under the null (for windowed tests). The
    value chosen is the most sensitive one whose *estimate* meets the budget, or whose
    confidence bound does with ``conservative=True``.

    **Trace method** (detectors with ``trace``). Before the first alarm a detector's
    statistic does not depend on its threshold, so each null run is simulated and traced
    once; the first false alarm at any threshold is the first passage of the trace's running
    maximum (minimum for ``threshold_direction == "below"``) over it. The whole curve
    threshold -> ARL is then exact on these runs, and the value returned is the midpoint of
    the range of thresholds with the first estimate that meets the budget. After solving,
    the calibrated detector's ``run`` is checked against the trace on a few of the runs.
    For ``window_fpr``, every decision (non-NaN trace value) of every run is pooled and the
    rate is the share of decisions beyond the threshold; its interval is Clopper-Pearson on
    the effective sample size (Korn-Graubard), runs being independent clusters of possibly
    correlated windows.

    **Bisection method** (detectors without ``trace``, e.g. a peer-library adapter; ARL
    only). The parameter is bracketed from its current value (steps of x4 on a log scale for
    positive parameters, logit for parameters in (0, 1)), then bisected until it is known to
    0.1% or after 40 evaluations. Every candidate runs on the *same* null streams (common
    random numbers, regenerated from the same seeds), so the estimated ARL changes between
    candidates because of the parameter only, not because of the streams (it is then
    monotone in the parameter whenever each run's first alarm is). Each run stops at its
    first alarm. Cost: up to 40 x ``n_runs`` detector runs. A target the parameter cannot
    reach at the edge of its range is reported as an error.

    **Estimate and interval** (ARL): total exposure over the number of runs that ended in a
    false alarm (the censored exponential MLE; runs without alarm count as censored), with
    the exact Poisson interval widened for overdispersion, as in
    :func:`mlmon.benchmark.metrics.average_run_length`. A *tail check* then asks whether
    more runs were censored than exponential run lengths explain (one-sided binomial test at
    level 0.01); if so the estimate is biased low, and with the default ``run_length`` the
    calibration is redone on runs four times longer (at most twice); otherwise, or if it
    still fails, calibrate warns. ``tail_pvalue`` records the final check.

    Parameters
    ----------
    detector
        The detector to calibrate (not changed). What it has fitted is kept: each null run
        starts from a reset copy of it.
    null
        A stationary scenario, or a 1-D reference sample of your own data, which is then
        resampled with ``mlmon.scenarios.Bootstrap(reference, n_samples=run_length)`` (its
        sha256 is recorded).
    arl, window_fpr
        The budget: give exactly one.
    n_runs
        Null runs (at least 10).
    run_length
        Samples per null run. Default for ``arl``: ``4 * arl``, clipped to [1,000, 1,000,000]
        (about 2% of runs are then censored when run lengths are exponential), lengthened
        when the tail check fails. Default for ``window_fpr``: the null scenario's own
        ``n_samples`` (10,000 for a reference sample).
    seed
        Null run ``i`` uses ``np.random.SeedSequence(seed).spawn(n_runs)[i]``.
    confidence
        Coverage of the reported interval (and of the bound when ``conservative``).
    conservative
        Hold the confidence bound to the budget instead of the estimate.
    method
        ``"auto"`` (trace when the detector has one), ``"trace"`` or ``"bisection"``.
    n_jobs
        Parallel workers (joblib) over null runs; results do not depend on it.
    progress
        Show a progress bar.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon.scenarios import Stationary
    >>> cal = calibrate(PageHinkley(), Stationary(), arl=1000, n_runs=50, seed=0)
    >>> cal.budget, cal.run_length, cal.n_runs
    ('arl', 4000, 50)
    >>> bool(cal.ci_low < 1000 <= cal.estimate < cal.ci_high)
    True
    """
    t0 = time.perf_counter()
    info = S.threshold_info(detector)
    budget, target = _check_budget(arl, window_fpr)
    n_runs = S.check_positive_int(n_runs, "n_runs", minimum=10)
    confidence = _check_confidence(confidence)
    n_jobs = S.check_n_jobs(n_jobs)
    if not isinstance(conservative, (bool, np.bool_)):
        raise TypeError(f"conservative must be True or False, got {conservative!r}.")
    if method not in ("auto", "trace", "bisection"):
        raise ValueError(f"method must be 'auto', 'trace' or 'bisection', got {method!r}.")
    traceable = has_trace(detector)
    if method == "trace" and not traceable:
        raise TypeError(f"{type(detector).__name__} has no trace(); use method='bisection' (or 'auto').")
    use = "trace" if (method == "trace" or (method == "auto" and traceable)) else "bisection"
    if use == "bisection" and budget == "window_fpr":
        raise TypeError(
            f"window_fpr calibration needs the per-window statistic from trace(), which "
            f"{type(detector).__name__} does not provide; calibrate it to an arl budget instead."
        )
    spec = S.resolve_null(null, run_length, _default_length(budget, target))
    S.check_kind(detector, spec.scenario, "null")
    seed_info, seeds = S.run_seeds(seed, n_runs)

    extensions = 0
    while True:
        res = _solve_once(detector, info, budget, target, spec, seeds, confidence, conservative, use, method,
                          n_jobs, progress)
        use = res["use"]
        failed = res["tail_pvalue"] is not None and res["tail_pvalue"] < TAIL_ALPHA
        longer = min(spec.run_length * RUN_LENGTH_FACTOR, MAX_RUN_LENGTH)
        if not (failed and run_length is None and extensions < MAX_EXTENSIONS and longer > spec.run_length):
            break
        extensions += 1
        spec = S.resolve_null(null, longer, _default_length(budget, target))
    value = float(res["value"])
    try:
        S.with_param(detector, info.param, value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"the calibrated {info.param}={value!r} is not a valid value for {type(detector).__name__} ({exc}); "
            "the budget is out of this detector's reach on this null."
        ) from None
    name = f"{type(detector).__name__}.{info.param}"
    if budget == "arl" and res["n_alarms"] < MIN_EVENTS:
        warnings.warn(
            f"calibration of {name} rests on {res['n_alarms']} false alarm(s) in {n_runs} null runs of "
            f"{spec.run_length} samples; its interval is wide. Increase n_runs or run_length.",
            UserWarning, stacklevel=2)
    if failed:
        warnings.warn(
            f"calibration of {name}: {n_runs - res['n_alarms']} of {n_runs} null runs of {spec.run_length} samples "
            f"had no alarm, more than exponential run lengths with mean {res['estimate']:.4g} explain (tail check "
            f"p={res['tail_pvalue']:.2g}); the run lengths are heavy-tailed and the ARL estimate is biased low. "
            "Pass a longer run_length (several times the ARL) so that few runs are censored.",
            UserWarning, stacklevel=2)
    return Calibration(
        detector_class=type(detector).__name__, param=info.param, value=value, budget=budget,
        target=target, estimate=float(res["estimate"]), ci_low=float(res["ci_low"]), ci_high=float(res["ci_high"]),
        confidence=confidence, n_runs=n_runs, run_length=spec.run_length, n_alarms=int(res["n_alarms"]),
        n_windows=res["n_windows"], dispersion=res["dispersion"], tail_pvalue=res["tail_pvalue"],
        null=spec.name, null_params=spec.params, fingerprint=spec.fingerprint,
        seed=seed_info, method=use, conservative=bool(conservative), elapsed=time.perf_counter() - t0,
        source=S.fresh_copy(detector),
    )


def _self_check(detector: Any, info: S.ThresholdInfo, scenario: Any, seeds: list, passages: S.Passages,
                level: float) -> None:
    """Check on a few null runs that ``run`` at the calibrated value alarms where the trace says."""
    value = level if info.direction == "above" else -level
    det = S.with_param(detector, info.param, value)
    expected = passages.first_passage(level)[:, 0]
    for i, ss in enumerate(seeds[:N_SELF_CHECK]):
        got = _solvers.first_alarm(det, scenario.generate(seed=ss).signal)
        if got != expected[i]:
            raise RuntimeError(
                f"{type(detector).__name__}.trace() disagrees with run(): at {info.param}={value!r} on null run "
                f"{i} the trace crosses first at {expected[i]} but run() alarms first at {got}. trace() must "
                f"return, before the first alarm, the quantity compared with {info.param} "
                f"({'alarm when above' if info.direction == 'above' else 'alarm when below'}). "
                "Use method='bisection' for this detector."
            )
