"""The arithmetic of mlmon's streaming detectors, written once, in numpy-only Python.

Each detector is a pure *step* function ``step(state, x, params) -> (flag, statistic, state)``
over a tuple of floats: ``flag`` is 0 (nothing), 1 (warning) or 2 (drift), ``statistic`` the
value compared with the threshold (NaN while no decision is taken), and ``state[0]`` the number
of samples seen since the last reset. The statistic is returned, not kept in the state, so that
a loop that only wants alarms lets the compiler drop its arithmetic.

The same source serves two callers. :mod:`mlmon.runtime` runs the functions as plain Python;
:mod:`mlmon.detectors` compiles the very same functions with numba for its fast ``run``
(tuples of floats stay in registers there). Only ``+ - * /``, comparisons, ``sqrt`` and, where
the reference implementation uses them, ``**``, ``exp`` and ``log`` are used, each expression in
the same order in both, so alarms agree bit for bit.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

NOTHING, WARNING, DRIFT = 0, 1, 2
ALTERNATIVES = ("two-sided", "greater", "less")
NAN = math.nan
INF = math.inf


# --- Page-Hinkley ------------------------------------------------------------------------
# state: n, mean, sum_increase, sum_decrease, min_increase, max_decrease
# params: threshold, delta, fading_factor, min_samples, alternative code


def page_hinkley_step(s, x, p):
    n, mean, inc, dec, min_inc, max_dec = s
    n = n + 1.0
    mean += (1.0 / n) * (x - mean)
    dev = x - mean
    inc = p[2] * inc + dev - p[1]
    dec = p[2] * dec + dev + p[1]
    if inc < min_inc:
        min_inc = inc
    if dec > max_dec:
        max_dec = dec
    flag = NOTHING
    if n < p[3]:
        stat = NAN
    else:
        test_inc = inc - min_inc
        test_dec = max_dec - dec
        if p[4] == 1.0:
            stat = test_inc
        elif p[4] == 2.0:
            stat = test_dec
        else:
            stat = test_inc if test_inc > test_dec else test_dec
        if stat > p[0]:
            flag = DRIFT
    return flag, stat, (n, mean, inc, dec, min_inc, max_dec)


def page_hinkley_params(p: dict[str, Any]) -> tuple[float, ...]:
    return (float(p["threshold"]), float(p["delta"]), float(p["fading_factor"]),
            float(p["min_samples"]), float(ALTERNATIVES.index(p["alternative"])))


def page_hinkley_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    # max_decrease starts at -1, not -inf, as in the reference implementation (river).
    return (0.0, 0.0, 0.0, 0.0, INF, -1.0)


# --- control charts on standardised values: CUSUM, EWMA, Shewhart -------------------------
# One step for the three charts, so that the burn-in which estimates the in-control mean and
# standard deviation exists once.
# state: n, burn_mean, burn_m2, a, b, mean, std (mean and std NaN while burning in)
#   CUSUM: a, b = upper and lower cumulative sums; EWMA: a = smoothed value, b = the variance
#   fraction 1 - (1 - smoothing)^(2t) of the smoothed value; Shewhart: unused
# params: threshold, allowance (CUSUM) or smoothing (EWMA), min_samples, alternative code,
#   chart code (0 CUSUM, 1 EWMA, 2 Shewhart)
CUSUM_CHART, EWMA_CHART, SHEWHART_CHART = 0.0, 1.0, 2.0


def chart_step(s, x, p):
    n, burn_mean, burn_m2, a, b, mean, std = s
    n = n + 1.0
    if std != std:  # NaN: mean and std still being estimated from the burn-in
        delta = x - burn_mean
        burn_mean += delta / n
        burn_m2 += delta * (x - burn_mean)
        if n >= p[2]:
            mean = burn_mean
            var = burn_m2 / (n - 1.0) if n > 1.0 else 0.0
            std = math.sqrt(var) if var > 0.0 else 1.0
        return NOTHING, NAN, (n, burn_mean, burn_m2, a, b, mean, std)
    z = (x - mean) / std
    if p[4] == CUSUM_CHART:
        a = a + z - p[1]
        b = b - z - p[1]
        if a < 0.0:
            a = 0.0
        if b < 0.0:
            b = 0.0
        up = a
        down = b
    elif p[4] == EWMA_CHART:
        keep = 1.0 - p[1]
        a = p[1] * z + keep * a
        b = 1.0 - (1.0 - b) * (keep * keep)
        up = a / math.sqrt(p[1] / (2.0 - p[1]) * b)
        down = -up
    else:
        up = z
        down = -z
    if p[3] == 1.0:
        stat = up
    elif p[3] == 2.0:
        stat = down
    else:
        stat = up if up > down else down
    flag = DRIFT if stat > p[0] else NOTHING
    return flag, stat, (n, burn_mean, burn_m2, a, b, mean, std)


def _chart_params(chart: float, slack: str | None) -> Callable[[dict[str, Any]], tuple[float, ...]]:
    def params(p: dict[str, Any]) -> tuple[float, ...]:
        return (float(p["threshold"]), float(p[slack]) if slack else 0.0, float(p["min_samples"]),
                float(ALTERNATIVES.index(p["alternative"])), chart)

    return params


def chart_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    mean, std = fitted.get("mean"), fitted.get("std")
    if mean is None or std is None:
        return (0.0, 0.0, 0.0, 0.0, 0.0, NAN, NAN)
    return (0.0, 0.0, 0.0, 0.0, 0.0, float(mean), float(std))


# --- DDM (drift detection method, Gama et al. 2004) on a 0/1 error stream ---------------
# state: n, p, p_min, s_min, ps_min
# params: threshold, warning_threshold, min_samples


def ddm_step(s, x, p):
    n, rate, p_min, s_min, ps_min = s
    n = n + 1.0
    rate += (1.0 / n) * (x - rate)
    sd = math.sqrt(rate * (1 - rate) / n)
    if not n > p[2]:
        return NOTHING, NAN, (n, rate, p_min, s_min, ps_min)
    if rate + sd <= ps_min:
        p_min = rate
        s_min = sd
        ps_min = p_min + s_min
    excess = rate + sd - p_min
    if s_min > 0.0:
        stat = excess / s_min
    else:
        stat = INF if excess > 0.0 else NAN
    flag = NOTHING
    if rate + sd > p_min + p[0] * s_min:
        flag = DRIFT
    elif rate + sd > p_min + p[1] * s_min:
        flag = WARNING
    return flag, stat, (n, rate, p_min, s_min, ps_min)


def ddm_params(p: dict[str, Any]) -> tuple[float, ...]:
    return (float(p["threshold"]), float(p["warning_threshold"]), float(p["min_samples"]))


def ddm_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    return (0.0, 0.0, NAN, NAN, INF)


# --- EDDM (early drift detection method, Baena-Garcia et al. 2006) on a 0/1 error stream -
# state: n, n_errors, last_error, mean_distance, m2_distance, p2s_max, in_warning
# params: threshold, warning_threshold, min_samples, exponent of the square root (0.5)
# The reference implementation (river) takes the standard deviation as ``var ** 0.5``, which
# rounds differently from sqrt in about one case in a thousand; the exponent comes in through
# the parameters so that compiled code calls the same pow instead of folding it into sqrt.
# The warning persists between errors, as river's ``warning_detected`` does.


def eddm_step(s, x, p):
    n, n_err, last, mean, m2, p2s_max, warn = s
    n = n + 1.0
    stat = NAN
    flag = NOTHING
    if x == 1.0:
        n_err = n_err + 1.0
        dist = n - last
        old = mean
        mean += (1.0 / n_err) * (dist - mean)
        m2 += (dist - old) * (dist - mean)
        if n > p[2]:
            var = m2 / (n_err - 1.0) if n_err > 1.0 else 0.0
            p2s = mean + 2.0 * var ** p[3]
            if p2s > p2s_max:
                p2s_max = p2s
            elif n_err > p[2]:
                stat = p2s / p2s_max
                if stat < p[0]:
                    flag = DRIFT
                elif stat < p[1]:
                    warn = 1.0
                else:
                    warn = 0.0
        last = n
    if flag == NOTHING and warn == 1.0:
        flag = WARNING
    return flag, stat, (n, n_err, last, mean, m2, p2s_max, warn)


def eddm_params(p: dict[str, Any]) -> tuple[float, ...]:
    return (float(p["threshold"]), float(p["warning_threshold"]), float(p["min_samples"]), 0.5)


def eddm_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    return (0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0)


# --- HDDM_A (Hoeffding drift detection, moving-average test; Frias-Blanco et al. 2014) ----
# state: n, mean, n_low, mean_low, n_high, mean_high: the whole-stream mean and the prefixes
#   (cut points) whose mean plus (minus) its Hoeffding bound was lowest (highest)
# params: threshold, warning_threshold, two-sided (1.0) or greater (0.0),
#   log(1 / threshold), log(2 / threshold), log(2 / warning_threshold)
# The logarithms are taken once when the parameters are built, as constants; the statistic is
# the confidence at which the mean-increase (or decrease) test would just reject,
# 2 exp(-2 d^2 / m), so that drift is signalled, up to rounding, when it is at most threshold.


def hddm_a_step(s, x, p):
    n, mean, n_lo, mean_lo, n_hi, mean_hi = s
    n = n + 1.0
    mean += (1.0 / n) * (x - mean)
    if n_lo == 0.0:
        n_lo = n
        mean_lo = mean
    if n_hi == 0.0:
        n_hi = n
        mean_hi = mean
    eps_z = math.sqrt(1.0 / (2.0 * n) * p[3])
    eps_x = math.sqrt(1.0 / (2.0 * n_lo) * p[3])
    if mean_lo + eps_x >= mean + eps_z:
        n_lo = n
        mean_lo = mean
    eps_x = math.sqrt(1.0 / (2.0 * n_hi) * p[3])
    if mean_hi - eps_x <= mean - eps_z:
        n_hi = n
        mean_hi = mean
    drift = False
    warn = False
    stat = NAN
    if n_lo != n:
        m = (n - n_lo) / n_lo * (1.0 / n)
        d = mean - mean_lo
        drift = d >= math.sqrt(m / 2.0 * p[4])
        warn = (not drift) and d >= math.sqrt(m / 2.0 * p[5])
        stat = 2.0 * math.exp(-2.0 * d * d / m) if d > 0.0 else INF
    if p[2] == 1.0 and n_hi != n:
        m = (n - n_hi) / n_hi * (1.0 / n)
        d = mean_hi - mean
        if d >= math.sqrt(m / 2.0 * p[4]):
            drift = True
        elif d >= math.sqrt(m / 2.0 * p[5]):
            warn = True
        down = 2.0 * math.exp(-2.0 * d * d / m) if d > 0.0 else INF
        if not down >= stat:  # also when stat is NaN
            stat = down
    flag = DRIFT if drift else (WARNING if warn else NOTHING)
    return flag, stat, (n, mean, n_lo, mean_lo, n_hi, mean_hi)


def hddm_a_params(p: dict[str, Any]) -> tuple[float, ...]:
    drift, warn = float(p["threshold"]), float(p["warning_threshold"])
    return (drift, warn, 1.0 if p["alternative"] == "two-sided" else 0.0,
            math.log(1.0 / drift), math.log(2.0 / drift), math.log(2.0 / warn))


def hddm_a_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


# --- HDDM_W (Hoeffding drift detection, weighted-average test; Frias-Blanco et al. 2014) --
# Five exponentially weighted samples, each as (mean, started, bound condition): the whole
# stream, then for increases the prefix up to the cut point and the suffix after it, and the
# same for decreases. A weighted mean starts at its first value, then moves by
# smoothing * x + (1 - smoothing) * mean; its bound condition starts at 1 and moves by
# smoothing^2 + (1 - smoothing)^2 * condition.
# state: n, (mean, started, cond) x {total, before_up, after_up, before_down, after_down},
#   cut_up, cut_down
# params: threshold, warning_threshold, two-sided (1.0) or greater (0.0), smoothing,
#   1 - smoothing, smoothing^2, (1 - smoothing)^2, log(1 / threshold),
#   log(1 / warning_threshold)
# The statistic is the confidence at which McDiarmid's test would just reject,
# exp(-2 d^2 / (cond_1 + cond_2)): drift, up to rounding, when it is below threshold.


def hddm_w_step(s, x, p):
    (n, t_m, t_i, t_c, a_m, a_i, a_c, b_m, b_i, b_c, c_m, c_i, c_c, d_m, d_i, d_c,
     cut_up, cut_down) = s
    n = n + 1.0
    t_m = p[3] * x + p[4] * t_m if t_i == 1.0 else x
    t_i = 1.0
    t_c = p[5] + p[6] * t_c
    eps = math.sqrt(t_c * p[7] / 2.0)
    if t_m + eps < cut_up:
        cut_up = t_m + eps
        a_m, a_i, a_c = t_m, t_i, t_c
        b_m, b_i, b_c = 0.0, 0.0, 1.0
    else:
        b_m = p[3] * x + p[4] * b_m if b_i == 1.0 else x
        b_i = 1.0
        b_c = p[5] + p[6] * b_c
    drift = False
    warn = False
    stat = NAN
    if a_i == 1.0 and b_i == 1.0:
        cond = a_c + b_c
        d = b_m - a_m
        drift = d > math.sqrt(cond * p[7] / 2.0)
        warn = (not drift) and d > math.sqrt(cond * p[8] / 2.0)
        stat = math.exp(-2.0 * d * d / cond) if d > 0.0 else INF
    if t_m - eps > cut_down:
        cut_down = t_m - eps
        c_m, c_i, c_c = t_m, t_i, t_c
        d_m, d_i, d_c = 0.0, 0.0, 1.0
    else:
        d_m = p[3] * x + p[4] * d_m if d_i == 1.0 else x
        d_i = 1.0
        d_c = p[5] + p[6] * d_c
    if p[2] == 1.0 and c_i == 1.0 and d_i == 1.0:
        cond = d_c + c_c
        d = c_m - d_m
        if d > math.sqrt(cond * p[7] / 2.0):
            drift = True
        elif d > math.sqrt(cond * p[8] / 2.0):
            warn = True
        down = math.exp(-2.0 * d * d / cond) if d > 0.0 else INF
        if not down >= stat:  # also when stat is NaN
            stat = down
    flag = DRIFT if drift else (WARNING if warn else NOTHING)
    return flag, stat, (n, t_m, t_i, t_c, a_m, a_i, a_c, b_m, b_i, b_c, c_m, c_i, c_c,
                        d_m, d_i, d_c, cut_up, cut_down)


def hddm_w_params(p: dict[str, Any]) -> tuple[float, ...]:
    drift, warn, lam = float(p["threshold"]), float(p["warning_threshold"]), float(p["smoothing"])
    return (drift, warn, 1.0 if p["alternative"] == "two-sided" else 0.0, lam, 1.0 - lam,
            lam * lam, (1.0 - lam) ** 2, math.log(1.0 / drift), math.log(1.0 / warn))


def hddm_w_state(fitted: dict[str, Any]) -> tuple[float, ...]:
    fresh = (0.0, 0.0, 1.0)
    return (0.0,) + fresh * 5 + (INF, -INF)


# --- loops over a whole signal -------------------------------------------------------------


def make_scan(step: Callable) -> Callable:
    """Loop ``step`` over a signal, going back to ``init`` after each drift when asked.

    Writes alarm and warning positions into the preallocated ``alarms`` and ``warnings``
    arrays; returns how many of each it wrote and the final state.
    """

    def scan(x, state, params, init, reset_on_drift, alarms, warnings):
        n_alarms = 0
        n_warnings = 0
        for i in range(x.shape[0]):
            flag, stat, state = step(state, x[i], params)
            if flag == 2:
                alarms[n_alarms] = i
                n_alarms += 1
                if reset_on_drift:
                    state = init
            elif flag == 1:
                warnings[n_warnings] = i
                n_warnings += 1
        return n_alarms, n_warnings, state

    return scan


def make_trace(step: Callable) -> Callable:
    """Loop ``step`` over a signal without resets and record the statistic at each position."""

    def trace(x, state, params, out):
        for i in range(x.shape[0]):
            flag, stat, state = step(state, x[i], params)
            out[i] = stat

    return trace


class Kernel(NamedTuple):
    """A streaming detector's arithmetic: its step function and how to build its vectors."""

    name: str
    step: Callable
    params: Callable[[dict[str, Any]], tuple[float, ...]]
    state: Callable[[dict[str, Any]], tuple[float, ...]]


KERNELS: dict[str, Kernel] = {
    "page_hinkley": Kernel("page_hinkley", page_hinkley_step, page_hinkley_params, page_hinkley_state),
    "cusum": Kernel("cusum", chart_step, _chart_params(CUSUM_CHART, "allowance"), chart_state),
    "ewma": Kernel("ewma", chart_step, _chart_params(EWMA_CHART, "smoothing"), chart_state),
    "shewhart": Kernel("shewhart", chart_step, _chart_params(SHEWHART_CHART, None), chart_state),
    "ddm": Kernel("ddm", ddm_step, ddm_params, ddm_state),
    "eddm": Kernel("eddm", eddm_step, eddm_params, eddm_state),
    "hddm_a": Kernel("hddm_a", hddm_a_step, hddm_a_params, hddm_a_state),
    "hddm_w": Kernel("hddm_w", hddm_w_step, hddm_w_params, hddm_w_state),
}

_PY_LOOPS = {name: (make_scan(k.step), make_trace(k.step)) for name, k in KERNELS.items()}


class Engine:
    """State and stepping of one kernel detector; shared by research objects and the runtime.

    Parameters
    ----------
    kernel
        Name in :data:`KERNELS`.
    params
        The detector's parameters by name.
    fitted
        Values learnt by ``fit`` (may be empty).
    loops
        ``(scan, trace)`` to use instead of the pure-Python loops (e.g. numba-compiled ones).

    Examples
    --------
    >>> eng = Engine("cusum", {"threshold": 4.0, "allowance": 0.5, "min_samples": 2,
    ...                        "alternative": "two-sided"}, {"mean": 0.0, "std": 1.0})
    >>> alarms, warnings = eng.run([0.0, 0.0, 3.0, 3.0, 3.0], reset_on_drift=True)
    >>> alarms.tolist()
    [3]
    """

    __slots__ = ("kernel", "params_", "init_", "state_", "_scan", "_trace")

    def __init__(self, kernel: str, params: dict[str, Any], fitted: dict[str, Any],
                 loops: tuple[Callable, Callable] | None = None):
        self.kernel = KERNELS[kernel]
        self.params_ = self.kernel.params(params)
        self.init_ = self.kernel.state(fitted)
        self.state_ = self.init_
        self._scan, self._trace = loops if loops is not None else _PY_LOOPS[kernel]

    def reset(self) -> None:
        self.state_ = self.init_

    @property
    def n_seen(self) -> int:
        return int(self.state_[0])

    def update_one(self, x: float, reset_on_drift: bool) -> tuple[int, float, int]:
        """Step once; return (flag, statistic, samples seen including this one)."""
        flag, stat, state = self.kernel.step(self.state_, float(x), self.params_)
        self.state_ = self.init_ if (flag == DRIFT and reset_on_drift) else state
        return flag, float(stat), int(state[0])

    def run(self, x, reset_on_drift: bool) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float64)
        alarms = np.empty(x.shape[0], dtype=np.int64)
        warnings = np.empty(x.shape[0], dtype=np.int64)
        n_a, n_w, state = self._scan(x, self.state_, self.params_, self.init_,
                                     bool(reset_on_drift), alarms, warnings)
        self.state_ = tuple(float(v) for v in state)
        return alarms[:n_a].copy(), warnings[:n_w].copy()

    def trace(self, x) -> np.ndarray:
        """Statistic at each position from the current state, without resets; state unchanged."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty(x.shape[0], dtype=np.float64)
        self._trace(x, self.state_, self.params_, out)
        return out
