"""The arithmetic of mlmon's streaming detectors, written once, in numpy-only Python.

Each detector is a pure *step* function ``step(state, x, params) -> (flag, statistic, state)``
over a tuple of floats: ``flag`` is 0 (nothing), 1 (warning) or 2 (drift), ``statistic`` the
value compared with the threshold (NaN while no decision is taken), and ``state[0]`` the number
of samples seen since the last reset. The statistic is returned, not kept in the state, so that
a loop that only wants alarms lets the compiler drop its arithmetic.

The same source serves two callers. :mod:`mlmon.runtime` runs the functions as plain Python;
:mod:`mlmon.detectors` compiles the very same functions with numba for its fast ``run``
(tuples of floats stay in registers there). Only ``+ - * /``, comparisons and ``sqrt`` are
used, each expression in the same order in both, so alarms agree bit for bit.
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
