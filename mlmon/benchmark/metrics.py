"""Pure metric functions over raw benchmark facts: alarm positions, ground truth, run lengths.

Every function is keyword-only, has no side effects, and returns ``nan`` where a metric is
undefined (a detection rate with no drift, a delay for a missed drift).

Definitions
-----------
Positions are 0-based sample indices into one stream; ``alarms`` are the positions where a
detector fired, in increasing order; ``drifts`` are the stream's true drifts
(:class:`mlmon.scenarios.Drift`), in increasing order of ``start``.

Detection window
    Drift ``d`` (``i``-th of the stream) may be detected by an alarm in
    ``[d.start, d.end + tolerance)``, cut short at the next drift's ``start``, so that windows
    never overlap (a drift that starts where the next one starts therefore cannot be detected
    on its own). ``tolerance`` is a number of samples, the same for every drift, or ``None``
    for the default: ``max(1000, d.end - d.start)``, per drift (at least a thousand samples,
    and at least the drift's own width, so that a gradual drift may be caught any time
    before the new concept has been in place for as long as the transition took).
Detection and delay
    The first alarm in a drift's window detects it; its delay is ``alarm - d.start`` (so
    ``0 <= delay < d.end - d.start + tolerance``). A drift with no alarm in its window is
    missed: it has no delay (NaN).
Redundant alarms
    Alarms after the first inside the same detection window. They are neither detections
    nor false alarms, and are counted on their own.
False alarms
    Every other alarm: before the first drift, between windows, or after the last window.
    ``detections + redundant + false alarms == len(alarms)`` always.
False-alarm rate
    False alarms per ``per`` samples of *exposure*: the samples where an alarm would be a
    false one, i.e. ``n_samples`` minus the samples covered by detection windows (all of
    them for a stationary stream).
Run length
    Samples observed up to and including the first alarm (``first_alarm + 1``); a run with
    no alarm is *censored* at ``n_samples``.
Average run length (ARL)
    Run lengths are treated as (approximately) exponential: under the null a detector's
    false alarms form a roughly memoryless process once its burn-in is over. With ``k``
    uncensored runs among lengths ``L_1..L_n``, the censored maximum-likelihood estimate is
    ``sum(L) / k`` (total exposure per alarm), which is the plain mean when no run is
    censored, and ``inf`` when no run ended in an alarm. The confidence interval is the
    exact (Garwood) chi-square interval for a Poisson count ``k`` over exposure
    ``E = sum(L)``: ``[2E / chi2(1 - a/2, 2k + 2), 2E / chi2(a/2, 2k)]`` with
    ``a = 1 - confidence``; with ``k = 0`` the upper bound is infinite and the lower one
    finite. Run lengths that spread more than exponential ones (a mixture, e.g. a detector
    that estimates its baseline from a short burn-in) make that interval too narrow: by
    default it is widened by the estimated dispersion factor ``phi >= 1`` (the delta-method
    variance of ``k / E`` over its Poisson variance), as the interval of a count ``k / phi``
    over exposure ``E / phi``. Heavy tails also bias the censored estimate *low* (runs cut
    at the censoring length would have lasted longer than an exponential tail predicts):
    keep censoring rare, i.e. runs several times longer than the ARL.

Examples
--------
>>> from mlmon.scenarios import Drift
>>> drifts = [Drift(start=1000, end=1000, kind="sudden")]
>>> detection_delays(alarms=[300, 1020, 1500], drifts=drifts, tolerance=1000).tolist()
[20.0]
>>> false_alarms(alarms=[300, 1020, 1500], drifts=drifts, tolerance=1000)
1
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = [
    "ARLEstimate",
    "DEFAULT_MIN_TOLERANCE",
    "average_run_length",
    "default_tolerance",
    "detection_delays",
    "detection_rate",
    "detection_windows",
    "false_alarm_exposure",
    "false_alarm_rate",
    "false_alarms",
    "first_alarm",
    "missed_detection_rate",
    "proportion_interval",
    "redundant_alarms",
    "run_length",
]

#: Smallest default detection tolerance, in samples.
DEFAULT_MIN_TOLERANCE = 1000


# --- input checks ----------------------------------------------------------------------------


def _check_alarms(alarms: Any, name: str = "alarms") -> np.ndarray:
    if isinstance(alarms, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of integer sample positions, got a string.")
    arr = np.asarray(alarms)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (sample positions), got shape {arr.shape}.")
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer sample positions, got dtype {arr.dtype}.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold whole sample positions; got non-integer values.")
    arr = arr.astype(np.int64)
    if arr[0] < 0:
        raise ValueError(f"{name} must be non-negative sample positions, got {int(arr[0])}.")
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing (sorted, no repeats); sort them first.")
    return arr


def _check_drifts(drifts: Any) -> tuple[Any, ...]:
    if drifts is None:
        return ()
    try:
        out = tuple(drifts)
    except TypeError:
        raise TypeError(
            f"drifts must be a sequence of Drift(start, end, kind), got {type(drifts).__name__}."
        ) from None
    for d in out:
        if not (hasattr(d, "start") and hasattr(d, "end")):
            raise TypeError(f"drifts must hold Drift(start, end, kind) objects, got {d!r}.")
    starts = [d.start for d in out]
    if starts != sorted(starts):
        raise ValueError("drifts must be in increasing order of start; sort them by start first.")
    return out


def _check_tolerance(tolerance: Any) -> int | None:
    if tolerance is None:
        return None
    if not isinstance(tolerance, numbers.Integral) or isinstance(tolerance, (bool, np.bool_)):
        raise TypeError(f"tolerance must be a whole number of samples or None, got {tolerance!r}.")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 samples, got {tolerance}.")
    return int(tolerance)


def _check_n_samples(n_samples: Any) -> int:
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, (bool, np.bool_)):
        raise TypeError(f"n_samples must be a whole number, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    return int(n_samples)


# --- detection windows and alarm classification ---------------------------------------------


def default_tolerance(drift: Any) -> int:
    """The default detection tolerance for one drift: ``max(1000, drift.end - drift.start)``.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> default_tolerance(Drift(start=0, end=0, kind="sudden"))
    1000
    >>> default_tolerance(Drift(start=0, end=4000, kind="gradual"))
    4000
    """
    return max(DEFAULT_MIN_TOLERANCE, int(drift.end) - int(drift.start))


def detection_windows(*, drifts: Sequence[Any], tolerance: int | None = None) -> np.ndarray:
    """The detection window ``[start, stop)`` of every drift, as an ``(n_drifts, 2)`` array.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> ds = [Drift(start=100, end=100, kind="sudden"), Drift(start=150, end=150, kind="sudden")]
    >>> detection_windows(drifts=ds, tolerance=80).tolist()
    [[100, 150], [150, 230]]
    """
    ds = _check_drifts(drifts)
    tol = _check_tolerance(tolerance)
    out = np.empty((len(ds), 2), dtype=np.int64)
    for i, d in enumerate(ds):
        stop = int(d.end) + (default_tolerance(d) if tol is None else tol)
        if i + 1 < len(ds):
            stop = min(stop, int(ds[i + 1].start))
        out[i] = (int(d.start), max(int(d.start), stop))
    return out


def _classify(alarms: Any, drifts: Any, tolerance: Any) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """(alarms, detecting alarm per drift or -1, number of redundant alarms, windows)."""
    a = _check_alarms(alarms)
    windows = detection_windows(drifts=drifts, tolerance=tolerance)
    detecting = np.full(windows.shape[0], -1, dtype=np.int64)
    redundant = 0
    if a.size and windows.size:
        lo = np.searchsorted(a, windows[:, 0], side="left")
        hi = np.searchsorted(a, windows[:, 1], side="left")
        hit = hi > lo
        detecting[hit] = a[lo[hit]]
        redundant = int(np.sum(np.maximum(hi - lo - 1, 0)))
    return a, detecting, redundant, windows


def detection_delays(*, alarms: Any, drifts: Sequence[Any], tolerance: int | None = None) -> np.ndarray:
    """Delay of the detection of every drift (``alarm - start``), NaN where it was missed.

    Returns one float per drift, in the order of ``drifts``.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> ds = [Drift(start=100, end=100, kind="sudden"), Drift(start=5000, end=5000, kind="sudden")]
    >>> detection_delays(alarms=[130, 140], drifts=ds, tolerance=200).tolist()
    [30.0, nan]
    """
    _, detecting, _, windows = _classify(alarms, drifts, tolerance)
    return np.where(detecting >= 0, detecting - windows[:, 0], np.nan).astype(np.float64)


def detection_rate(*, alarms: Any, drifts: Sequence[Any], tolerance: int | None = None) -> float:
    """Fraction of drifts detected within their window; NaN for a stream without drift.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> ds = [Drift(start=100, end=100, kind="sudden"), Drift(start=5000, end=5000, kind="sudden")]
    >>> detection_rate(alarms=[130], drifts=ds, tolerance=200)
    0.5
    """
    _, detecting, _, _ = _classify(alarms, drifts, tolerance)
    return float(np.mean(detecting >= 0)) if detecting.size else math.nan


def missed_detection_rate(*, alarms: Any, drifts: Sequence[Any], tolerance: int | None = None) -> float:
    """Fraction of drifts with no alarm in their window (``1 - detection_rate``); NaN without drift.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> missed_detection_rate(alarms=[], drifts=[Drift(start=10, end=10, kind="sudden")])
    1.0
    """
    rate = detection_rate(alarms=alarms, drifts=drifts, tolerance=tolerance)
    return 1.0 - rate if rate == rate else math.nan


def redundant_alarms(*, alarms: Any, drifts: Sequence[Any], tolerance: int | None = None) -> int:
    """Alarms after the first inside a drift's detection window.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> redundant_alarms(alarms=[110, 120, 130], drifts=[Drift(start=100, end=100, kind="sudden")])
    2
    """
    return _classify(alarms, drifts, tolerance)[2]


def false_alarms(*, alarms: Any, drifts: Sequence[Any], tolerance: int | None = None) -> int:
    """Alarms that are neither a detection nor redundant (outside every detection window).

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> false_alarms(alarms=[50, 110, 2000], drifts=[Drift(start=100, end=100, kind="sudden")])
    2
    """
    a, detecting, redundant, _ = _classify(alarms, drifts, tolerance)
    return int(a.size - np.sum(detecting >= 0) - redundant)


def false_alarm_exposure(*, drifts: Sequence[Any], n_samples: int, tolerance: int | None = None) -> int:
    """Samples where an alarm would be false: ``n_samples`` minus those in detection windows.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> false_alarm_exposure(drifts=[Drift(start=100, end=100, kind="sudden")], n_samples=5000,
    ...                      tolerance=1000)
    4000
    """
    n = _check_n_samples(n_samples)
    windows = detection_windows(drifts=drifts, tolerance=tolerance)
    covered = np.clip(windows, 0, n)
    return int(n - np.sum(covered[:, 1] - covered[:, 0]))


def false_alarm_rate(
    *,
    alarms: Any,
    drifts: Sequence[Any],
    n_samples: int,
    tolerance: int | None = None,
    per: int = 10_000,
) -> float:
    """False alarms per ``per`` samples of exposure (see the module's definitions).

    NaN when detection windows cover the whole stream.

    Examples
    --------
    >>> false_alarm_rate(alarms=[10, 4000], drifts=[], n_samples=20_000)
    1.0
    """
    a = _check_alarms(alarms)
    n = _check_n_samples(n_samples)
    if a.size and a[-1] >= n:
        raise ValueError(f"alarms must lie in [0, n_samples={n}), got {int(a[-1])}.")
    if not isinstance(per, numbers.Integral) or per < 1:
        raise ValueError(f"per must be a positive whole number of samples, got {per!r}.")
    exposure = false_alarm_exposure(drifts=drifts, n_samples=n, tolerance=tolerance)
    if exposure <= 0:
        return math.nan
    return false_alarms(alarms=a, drifts=drifts, tolerance=tolerance) * per / exposure


def first_alarm(*, alarms: Any) -> float:
    """Position of the first alarm, NaN when there is none.

    Examples
    --------
    >>> first_alarm(alarms=[42, 90]), first_alarm(alarms=[])
    (42.0, nan)
    """
    a = _check_alarms(alarms)
    return float(a[0]) if a.size else math.nan


def run_length(*, alarms: Any, n_samples: int) -> tuple[int, bool]:
    """Samples up to and including the first alarm, and whether the run was censored.

    A run without alarm is censored at ``n_samples``.

    Examples
    --------
    >>> run_length(alarms=[41, 90], n_samples=100), run_length(alarms=[], n_samples=100)
    ((42, False), (100, True))
    """
    a = _check_alarms(alarms)
    n = _check_n_samples(n_samples)
    if a.size and a[0] >= n:
        raise ValueError(f"alarms must lie in [0, n_samples={n}), got {int(a[0])}.")
    return (int(a[0]) + 1, False) if a.size else (n, True)


# --- average run length --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ARLEstimate:
    """Average run length to the first (false) alarm, with its confidence interval.

    Attributes
    ----------
    estimate
        Total exposure per alarm (``inf`` when no run ended in an alarm).
    ci_low, ci_high
        Confidence interval (exact Poisson, widened for overdispersion); ``ci_high`` is
        ``inf`` without alarm.
    n_runs
        Runs behind the estimate.
    n_events
        Runs that ended in an alarm (the others were censored).
    confidence
        Coverage of the interval.
    exposure
        Total samples observed over all runs.
    dispersion
        Factor (>= 1) by which the run lengths' spread exceeds what exponential run lengths
        would give; the interval is that of a Poisson count of ``n_events / dispersion``.

    Examples
    --------
    >>> est = ARLEstimate(estimate=500.0, ci_low=420.0, ci_high=610.0, n_runs=100, n_events=100)
    >>> est.standard_error
    50.0
    """

    estimate: float
    ci_low: float
    ci_high: float
    n_runs: int
    n_events: int
    confidence: float = 0.95
    exposure: float = math.nan
    dispersion: float = 1.0

    @property
    def standard_error(self) -> float:
        """Approximate standard error, ``estimate * sqrt(dispersion / n_events)``."""
        return self.estimate * math.sqrt(self.dispersion / self.n_events) if self.n_events else math.inf


def _check_confidence(confidence: Any) -> float:
    if not isinstance(confidence, numbers.Real) or isinstance(confidence, (bool, np.bool_)):
        raise TypeError(f"confidence must be a number in (0, 1), got {confidence!r}.")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95; got {confidence!r}.")
    return float(confidence)


def _arl_from_sums(n: Any, exposure: Any, events: Any, sum_l2: Any, sum_dl: Any, confidence: float,
                   overdispersion: bool = True) -> tuple[np.ndarray, ...]:
    """Vectorised ARL estimate, interval and dispersion from per-set sums over runs.

    With ``d_i`` 1 for a run that ended in an alarm and ``L_i`` its length: ``n`` runs,
    ``exposure = sum L``, ``events = sum d``, ``sum_l2 = sum L**2``, ``sum_dl = sum d L``.
    The dispersion is ``n / (n - 1) * sum (d_i - lam L_i)**2 / events`` with
    ``lam = events / exposure``: the delta-method variance of the rate ``lam`` (valid for
    any run-length distribution, censored or not) over its Poisson variance, floored at 1.
    """
    from scipy.stats import chi2

    n = np.asarray(n, dtype=np.float64)
    e = np.asarray(exposure, dtype=np.float64)
    k = np.asarray(events, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(e > 0, k / e, 0.0)
        est = np.where(k > 0, e / np.maximum(k, 1.0), np.inf)
        if overdispersion:
            ss = k - 2.0 * lam * np.asarray(sum_dl, dtype=np.float64) + lam ** 2 * np.asarray(sum_l2, dtype=np.float64)
            phi = np.where((k > 0) & (n > 1), n / np.maximum(n - 1.0, 1.0) * np.maximum(ss, 0.0) / np.maximum(k, 1.0),
                           1.0)
            phi = np.maximum(phi, 1.0)
        else:
            phi = np.ones_like(k)
        a = 1.0 - confidence
        k_eff, e_eff = k / phi, e / phi
        low = 2.0 * e_eff / chi2.ppf(1.0 - a / 2.0, 2.0 * k_eff + 2.0)
        high = np.where(k > 0, 2.0 * e_eff / chi2.ppf(a / 2.0, np.maximum(2.0 * k_eff, 1e-300)), np.inf)
    return est, low, high, phi


def average_run_length(*, lengths: Any, censored: Any, confidence: float = 0.95,
                       overdispersion: bool = True) -> ARLEstimate:
    """Censored maximum-likelihood ARL with an exact Poisson confidence interval.

    Parameters
    ----------
    lengths
        Run lengths (samples up to and including the first alarm, or the censoring length).
    censored
        For each run, whether it ended without alarm.
    confidence
        Coverage of the confidence interval.
    overdispersion
        Widen the interval when run lengths spread more than exponential ones would (e.g. a
        self-starting detector whose burn-in estimates vary from run to run): the Poisson
        count is shrunk by the estimated dispersion factor (see :class:`ARLEstimate`).
        Run lengths that spread less than exponential ones keep the plain exact interval,
        which is then conservative.

    Returns
    -------
    ARLEstimate
        NaN everywhere when there is no run.

    Examples
    --------
    >>> est = average_run_length(lengths=[100, 300, 200], censored=[False, False, False])
    >>> est.estimate, est.n_events
    (200.0, 3)
    >>> est = average_run_length(lengths=[1000, 1000], censored=[True, True])
    >>> est.estimate, est.ci_low > 0
    (inf, True)
    """
    conf = _check_confidence(confidence)
    lens = np.asarray(lengths)
    cens = np.asarray(censored)
    if lens.ndim != 1 or cens.shape != lens.shape:
        raise ValueError(
            f"lengths and censored must be 1-D and of equal length, got shapes {lens.shape} and {cens.shape}."
        )
    if lens.size and (lens.dtype.kind not in "iuf" or not np.all(np.isfinite(lens)) or np.any(lens <= 0)):
        raise ValueError("lengths must be positive, finite numbers of samples.")
    if cens.size and cens.dtype.kind != "b":
        if not np.all(np.isin(cens, (0, 1))):
            raise ValueError("censored must hold booleans (True for a run that ended without alarm).")
        cens = cens.astype(bool)
    n = int(lens.size)
    if n == 0:
        return ARLEstimate(math.nan, math.nan, math.nan, 0, 0, conf, 0.0, math.nan)
    L = lens.astype(np.float64)
    d = (~cens).astype(np.float64)
    est, low, high, phi = _arl_from_sums(n, L.sum(), d.sum(), np.sum(L * L), np.sum(d * L), conf, overdispersion)
    return ARLEstimate(float(est), float(low), float(high), n, int(d.sum()), conf, float(L.sum()), float(phi))


def proportion_interval(*, successes: Any, trials: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``successes / trials`` (a detection rate, say).

    Vectorised over arrays of counts; NaN where ``trials == 0``. The Wilson interval keeps
    close to its nominal coverage for small ``trials`` and proportions near 0 or 1, where the
    normal (Wald) interval collapses.

    Examples
    --------
    >>> lo, hi = proportion_interval(successes=[0, 8, 10], trials=[10, 10, 10])
    >>> [round(float(v), 3) for v in lo], [round(float(v), 3) for v in hi]
    ([0.0, 0.49, 0.722], [0.278, 0.943, 1.0])
    """
    from scipy.stats import norm

    confidence = _check_confidence(confidence)
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if k.shape != n.shape:
        raise ValueError(f"successes and trials must have the same shape, got {k.shape} and {n.shape}.")
    if np.any(~np.isfinite(k)) or np.any(~np.isfinite(n)) or np.any(k < 0) or np.any(n < 0):
        raise ValueError("successes and trials must be finite counts >= 0.")
    if np.any(k > n):
        raise ValueError("successes cannot exceed trials.")
    z = float(norm.ppf(0.5 + confidence / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        den = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
        lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi
