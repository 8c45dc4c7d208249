"""ADWIN (adaptive windowing, Bifet and Gavalda 2007) in numpy-only Python.

The window is kept as an exponential histogram: row ``i`` holds up to ``max_buckets + 1``
buckets of ``2**i`` values each, oldest first, as their sum and their sum of squared
deviations. A new value enters row 0; a row that reaches ``max_buckets + 1`` buckets merges
its two oldest into one bucket of the next row. The arrays are allocated once, with
:data:`ROWS` rows (enough for ``2**ROWS`` values), so the state never grows.

Every ``clock`` values, once the window holds more than ``min_samples`` values, each cut of
the window into an older part ``W0`` and a newer part ``W1`` (at bucket boundaries, both at
least ``min_window_length`` long) is tested: drift when

``|mean(W0) - mean(W1)| > sqrt(2 m v d') + 2/3 d' m``,

with ``m = 1/(n0 - L + 1) + 1/(n1 - L + 1)``, ``v`` the window's variance, ``L`` the
minimum window length and ``d' = log(2 log(width) / delta)``. After a cut the oldest bucket
is dropped and the cuts are tested again until none holds. The arithmetic, and its order, are
those of river's ``drift.ADWIN`` (0.23's Cython and 0.26's Rust give the same bits), so the
alarms are river's.

The statistic is the cut test's critical level: the smallest ``delta`` at which some cut of
the current window would hold, ``2 log(width) exp(-d*)`` with ``d*`` the largest root of
``sqrt(2 m v d) + 2/3 m d = |mean(W0) - mean(W1)|`` over the cuts (capped at 1). Drift is
signalled, up to rounding, when it is below ``delta``; it is a valid (conservative) p-value of
the cut tests, because ADWIN's bound holds at every level.

The functions are written once and built twice by :func:`build`: as plain Python for
:mod:`mlmon.runtime`, and compiled with numba by :mod:`mlmon.detectors`.
"""

from __future__ import annotations

import math
import types
from typing import Any, Callable

import numpy as np

__all__ = ["ADWINEngine", "ROWS", "build"]

NOTHING, DRIFT = 0, 2
#: Rows of the exponential histogram: room for 2**ROWS values, more than any float counts.
ROWS = 64
# positions in the scalar state vector
N_SEEN, WIDTH, TOTAL, VARIANCE, TICK, N_ROWS = range(6)


def critical_level(tot, var, cnt, s, min_len):
    """The smallest ``delta`` at which some cut of the window would hold (capped at 1), or NaN
    when no cut leaves ``min_len`` values on both sides."""
    width = s[WIDTH]
    v_window = s[VARIANCE] / width
    n0 = 0.0
    n1 = width
    u0 = 0.0
    u1 = s[TOTAL]
    best = -1.0
    for idx in range(int(s[N_ROWS]) - 1, -1, -1):
        size = float(1 << idx)
        c = cnt[idx]
        for k in range(c):
            n0 += size
            n1 -= size
            t = tot[idx, k]
            u0 += t
            u1 -= t
            if idx == 0 and k == c - 1:
                break
            if n1 >= min_len and n0 >= min_len:
                m = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0)
                gap = abs((u0 / n0) - (u1 / n1))
                root = 0.0
                if gap > 0.0:
                    a = 2.0 / 3.0 * m
                    b = math.sqrt(2.0 * m * v_window)
                    root = 2.0 * gap / (b + math.sqrt(b * b + 4.0 * a * gap))
                if root * root > best:
                    best = root * root
    if best < 0.0:
        return math.nan
    level = 2.0 * math.log(width) * math.exp(-best)
    return level if level < 1.0 else 1.0

def scan(x, tot, var, cnt, s, p, reset_on_drift, alarms, stats):
    """Step through ``x``; write alarm positions to ``alarms`` and return how many.
    ``stats``, when it has room, receives each value's statistic (NaN between tests).

    The scalars of ``s`` live in local variables during the loop (written back before the
    critical level is computed and at the end), so compiled code keeps them in registers.
    """
    delta = p[0]
    clock = p[1]
    max_buckets = p[2]
    min_len = p[3]
    min_samples = p[4]
    record = stats.shape[0] > 0
    n_alarms = 0
    n_seen = s[N_SEEN]
    width = s[WIDTH]
    total = s[TOTAL]
    variance = s[VARIANCE]
    tick = s[TICK]
    rows = int(s[N_ROWS])
    period = int(clock)
    phase = int(tick) % period  # tick modulo clock, kept by counting
    for i in range(x.shape[0]):
        value = x[i]
        n_seen += 1.0
        # insert the value as a bucket of its own
        k0 = cnt[0]
        tot[0, k0] = value
        var[0, k0] = 0.0
        cnt[0] = k0 + 1
        width += 1.0
        inc = 0.0
        if width > 1.0:
            d = value - total / (width - 1.0)
            inc = (width - 1.0) * d * d / width
        variance += inc
        total += value
        # merge the two oldest buckets of a full row into the next row, row after row
        idx = 0
        while cnt[idx] == max_buckets + 1:
            size = float(1 << idx)
            t0 = tot[idx, 0]
            t1 = tot[idx, 1]
            mu1 = t0 / size
            mu2 = t1 / size
            merged = var[idx, 0] + var[idx, 1] + size * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if idx + 1 == rows:
                rows += 1
            j = cnt[idx + 1]
            tot[idx + 1, j] = t0 + t1
            var[idx + 1, j] = merged
            cnt[idx + 1] = j + 1
            c = cnt[idx]
            for q in range(2, c):
                tot[idx, q - 2] = tot[idx, q]
                var[idx, q - 2] = var[idx, q]
            tot[idx, c - 2] = 0.0
            tot[idx, c - 1] = 0.0
            var[idx, c - 2] = 0.0
            var[idx, c - 1] = 0.0
            cnt[idx] = c - 2
            if cnt[idx + 1] <= max_buckets:
                break
            idx += 1
        tick += 1.0
        phase += 1
        if phase == period:
            phase = 0
        if record:
            stats[i] = math.nan
        if not (phase == 0 and width > min_samples):
            continue
        if record:
            s[WIDTH] = width
            s[TOTAL] = total
            s[VARIANCE] = variance
            s[N_ROWS] = float(rows)
            stats[i] = critical_level(tot, var, cnt, s, min_len)
        # test every cut; after one holds, drop the oldest bucket and test again
        change = False
        again = True
        while again:
            again = False
            d_prime = math.log(2.0 * math.log(width) / delta)
            v_window = variance / width
            n0 = 0.0
            n1 = width
            u0 = 0.0
            u1 = total
            done = False
            for idx in range(rows - 1, -1, -1):
                size = float(1 << idx)
                c = cnt[idx]
                for k in range(c):
                    n0 += size
                    n1 -= size
                    t = tot[idx, k]
                    u0 += t
                    u1 -= t
                    if idx == 0 and k == c - 1:
                        done = True
                        break
                    diff = (u0 / n0) - (u1 / n1)
                    if n1 >= min_len and n0 >= min_len:
                        m = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0)
                        eps = math.sqrt(2.0 * m * v_window * d_prime) + 2.0 / 3.0 * d_prime * m
                        if abs(diff) > eps:
                            again = True
                            change = True
                            done = True
                            break
                if done:
                    break
            if again:  # drop the oldest bucket
                last = rows - 1
                size = float(1 << last)
                u = tot[last, 0]
                v = var[last, 0]
                mu = u / size
                width = width - size
                total -= u
                mu_window = total / width
                variance -= v + size * width * (mu - mu_window) * (mu - mu_window) / (size + width)
                c = cnt[last]
                for q in range(1, c):
                    tot[last, q - 1] = tot[last, q]
                    var[last, q - 1] = var[last, q]
                tot[last, c - 1] = 0.0
                var[last, c - 1] = 0.0
                cnt[last] = c - 1
                if c == 1 and last > 0:
                    rows -= 1
        if change:
            alarms[n_alarms] = i
            n_alarms += 1
            if reset_on_drift:
                tot[:rows, :] = 0.0
                var[:rows, :] = 0.0
                cnt[:rows] = 0
                n_seen = 0.0
                width = 0.0
                total = 0.0
                variance = 0.0
                tick = 0.0
                phase = 0
                rows = 1
    s[N_SEEN] = n_seen
    s[WIDTH] = width
    s[TOTAL] = total
    s[VARIANCE] = variance
    s[TICK] = tick
    s[N_ROWS] = float(rows)
    return n_alarms


def build(jit: Callable[[Callable], Callable]) -> dict[str, Callable]:
    """The ADWIN loop passed through ``jit`` (a numba decorator): ``scan`` and the helper it
    calls are rebuilt with the helper compiled, as module-level functions so that compiled
    code can be cached between processes.

    One loop, ``scan``, does everything, so that compiled code makes no call per value (a
    call between compiled functions costs a reference count update per array argument,
    more than a step's arithmetic); the critical level is computed only when asked for.

    Examples
    --------
    >>> sorted(build(lambda f: f))
    ['scan']
    """
    level = jit(critical_level)
    namespace = dict(globals(), critical_level=level)
    loop = types.FunctionType(scan.__code__, namespace, "scan", scan.__defaults__)
    loop.__module__ = __name__
    loop.__qualname__ = scan.__qualname__
    return {"scan": jit(loop)}



_PY = {"scan": scan}


def adwin_params(params: dict[str, Any]) -> tuple:
    """The parameter tuple of the ADWIN functions, from the detector's parameters."""
    return (float(params["threshold"]), float(params["clock"]), int(params["max_buckets"]),
            float(params["min_window_length"]), float(params["min_samples"]))


class ADWINEngine:
    """State and stepping of one ADWIN detector; shared by research objects and the runtime.

    Parameters
    ----------
    params
        ``threshold`` (river's ``delta``), ``clock``, ``max_buckets``,
        ``min_window_length`` and ``min_samples`` (river's ``grace_period``).
    fitted
        Unused: ADWIN learns nothing ahead of the stream.
    functions
        The functions of :func:`build` to use (e.g. numba-compiled ones); plain Python when
        None.

    Examples
    --------
    >>> eng = ADWINEngine({"threshold": 0.002, "clock": 32, "max_buckets": 5,
    ...                    "min_window_length": 5, "min_samples": 10}, {})
    >>> x = np.concatenate([np.zeros(500), np.ones(500)])
    >>> alarms, _ = eng.run(x, reset_on_drift=True)
    >>> alarms.tolist()
    [511]
    """

    __slots__ = ("params_", "tot_", "var_", "cnt_", "s_", "pvalue_", "_fns")

    def __init__(self, params: dict[str, Any], fitted: dict[str, Any],
                 functions: dict[str, Callable] | None = None):
        self.params_ = adwin_params(params)
        width = int(params["max_buckets"]) + 1
        self.tot_ = np.zeros((ROWS, width))
        self.var_ = np.zeros((ROWS, width))
        self.cnt_ = np.zeros(ROWS, dtype=np.int64)
        self.s_ = np.zeros(6)
        self._fns = functions if functions is not None else _PY
        self.reset()

    def reset(self) -> None:
        self.tot_[:] = 0.0
        self.var_[:] = 0.0
        self.cnt_[:] = 0
        self.s_[:] = 0.0
        self.s_[N_ROWS] = 1.0
        self.pvalue_ = None

    @property
    def n_seen(self) -> int:
        return int(self.s_[N_SEEN])

    @property
    def width(self) -> int:
        """Values in the adaptive window."""
        return int(self.s_[WIDTH])

    def update_one(self, x: float, reset_on_drift: bool) -> tuple[int, float, int]:
        """Step once; return (flag, statistic, samples seen including this one)."""
        stats = np.empty(1)
        alarms = np.empty(1, dtype=np.int64)
        n = self._fns["scan"](np.array([float(x)]), self.tot_, self.var_, self.cnt_, self.s_,
                              self.params_, False, alarms, stats)
        n_seen = int(self.s_[N_SEEN])
        if n and reset_on_drift:
            self.reset()
        stat = float(stats[0])
        self.pvalue_ = None if stat != stat else stat
        return (DRIFT if n else NOTHING), stat, n_seen

    def run(self, x: Any, reset_on_drift: bool) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole signal; same alarms and final state as a loop of ``update_one``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        alarms = np.empty(x.shape[0], dtype=np.int64)
        n = self._fns["scan"](x, self.tot_, self.var_, self.cnt_, self.s_, self.params_,
                              bool(reset_on_drift), alarms, np.empty(0))
        self.pvalue_ = None
        return alarms[:n].copy(), np.empty(0, dtype=np.int64)

    def trace(self, x: Any) -> np.ndarray:
        """Statistic at each position from the current state, the window shrinking at each cut
        as without resets; the detector's state is unchanged."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty(x.shape[0], dtype=np.float64)
        alarms = np.empty(x.shape[0], dtype=np.int64)
        self._fns["scan"](x, self.tot_.copy(), self.var_.copy(), self.cnt_.copy(),
                          self.s_.copy(), self.params_, False, alarms, out)
        return out
