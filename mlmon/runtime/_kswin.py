"""KSWIN (Kolmogorov-Smirnov windowing, Raab et al. 2020) in numpy-only Python.

A sliding window holds the last ``window_size`` values. Once it is full, at every value, the
newest ``sample_size`` values (``R``) are compared with ``sample_size`` values drawn without
replacement from the older part of the window (``W``) by a two-sample Kolmogorov-Smirnov
test; drift when its p-value is at most ``alpha`` and ``D > 0.1``.

With both samples of size ``k`` the statistic is ``D = h / k`` for an integer ``h``, computed
exactly by :func:`ks_numerator`; the p-value comes from a table of ``k + 1`` entries (scipy's
``ks_2samp`` at every lattice point, computed where the detector was built and exported with
it), so no p-value is computed here.

The draws are those of Python's ``random.Random(seed).sample(range(window_size -
sample_size), sample_size)``, made from the generator's raw 32-bit outputs the way the standard
library makes them (:func:`draw_sample`); the raw outputs come in blocks from numpy's
``MT19937`` set to the state of ``random.Random(seed)``, which is the same Mersenne Twister.
So the samples, and the alarms, are those of river's ``drift.KSWIN`` with the same seed.

The functions are written once and built twice by :func:`build`: as plain Python for
:mod:`mlmon.runtime`, and compiled with numba by :mod:`mlmon.detectors`.
"""

from __future__ import annotations

import math
import random
import types
from typing import Any, Callable

import numpy as np

__all__ = ["KSWINEngine", "build", "draw_sample", "ks_numerator", "min_effect_numerator", "uses_pool"]

NOTHING, DRIFT = 0, 2
#: River's minimum effect: drift needs ``D > MIN_EFFECT`` besides ``pvalue <= alpha``.
MIN_EFFECT = 0.1
# raw 32-bit words drawn from the generator at a time
_BLOCK = 1 << 12
# scan status codes
_DONE, _NEED_WORDS, _ALARM = 0, 1, 2


def uses_pool(population: int, k: int) -> bool:
    """Whether ``random.sample`` draws ``k`` of ``population`` from a shrinking pool (True) or
    by rejecting repeats (False); the rule of CPython's ``random.sample``.

    Examples
    --------
    >>> uses_pool(70, 30), uses_pool(9970, 30)
    (True, False)
    """
    setsize = 21
    if k > 5:
        setsize += 4 ** math.ceil(math.log(k * 3, 4))
    return population <= setsize


def min_effect_numerator(k: int) -> int:
    """Smallest ``h`` with ``h / k > 0.1`` in floating point (scipy reports ``D = h * 1.0 / k``).

    Examples
    --------
    >>> min_effect_numerator(30), min_effect_numerator(100)
    (4, 11)
    """
    return next(h for h in range(k + 1) if h * 1.0 / k > MIN_EFFECT)


def bit_length(n):
    """``int.bit_length`` of a positive integer, in a form numba compiles."""
    bits = 0
    while n > 0:
        n >>= 1
        bits += 1
    return bits


def draw_sample(words, wpos, population, k, pool_method, pool, out):
    """Positions ``random.sample(range(population), k)`` would give, in ``out``, drawn from the
    raw 32-bit outputs ``words[wpos:]``; returns the next word position, or -1 when ``words``
    ran out first.

    Each draw below ``n`` is CPython's ``_randbelow``: the top ``bit_length(n)`` bits of one
    output, drawn again while out of range. ``pool_method`` is :func:`uses_pool`.

    Examples
    --------
    >>> import random
    >>> gen = np.random.MT19937()
    >>> gen.state = _generator_state(3)
    >>> words = gen.random_raw(100).astype(np.int64)
    >>> out = np.zeros(4, dtype=np.int64)
    >>> pos = draw_sample(words, 0, 10, 4, uses_pool(10, 4), np.zeros(10, dtype=np.int64), out)
    >>> out.tolist() == random.Random(3).sample(range(10), 4)
    True
    """
    if pool_method:
        for i in range(population):
            pool[i] = i
        for i in range(k):
            n = population - i
            shift = 32 - bit_length(n)
            j = n
            while j >= n:
                if wpos == words.shape[0]:
                    return -1
                j = words[wpos] >> shift
                wpos += 1
            out[i] = pool[j]
            pool[j] = pool[n - 1]
    else:
        shift = 32 - bit_length(population)
        for i in range(k):
            while True:
                j = population
                while j >= population:
                    if wpos == words.shape[0]:
                        return -1
                    j = words[wpos] >> shift
                    wpos += 1
                seen = False
                for q in range(i):
                    if out[q] == j:
                        seen = True
                        break
                if not seen:
                    break
            out[i] = j
    return wpos


def ks_numerator(a, b):
    """``h = k D`` of two sorted samples of size ``k`` (right-continuous ECDFs, ties as
    in scipy).

    Examples
    --------
    >>> int(ks_numerator(np.array([0.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0])))
    2
    """
    k = a.shape[0]
    i = 0
    j = 0
    h = 0
    while i < k and j < k:
        t = a[i] if a[i] < b[j] else b[j]
        while i < k and a[i] <= t:
            i += 1
        while j < k and b[j] <= t:
            j += 1
        d = i - j if i > j else j - i
        if d > h:
            h = d
    return h


def scan(x, start, buf, ring, words, wpos, cfg, table, alpha, pool, idx, a, b, alarms,
         n_alarms, stats, pvalues):
    """Step through ``x[start:]``; stop at the end, when words run out (before the value
    that needs them) or after an alarm when resetting. Returns
    ``(status, next position, word position, alarms written)``. ``stats`` and
    ``pvalues`` (when they have room) receive each value's statistic and p-value."""
    size = cfg[0]
    k = cfg[1]
    older = size - k
    record = stats.shape[0] > 0
    for i in range(start, x.shape[0]):
        count = ring[0]
        head = ring[1]
        if count + 1 >= size:
            # the window will be full with x[i]: draw first, so that running out of
            # words leaves the state untouched
            new = draw_sample(words, wpos, older, k, cfg[2] == 1, pool, idx)
            if new < 0:
                return _NEED_WORDS, i, wpos, n_alarms
            wpos = new
        if count < size:
            buf[(head + count) % size] = x[i]
            count += 1
        else:
            buf[head] = x[i]
            head = (head + 1) % size
        ring[0] = count
        ring[1] = head
        if count < size:
            if record:
                stats[i] = np.nan
                pvalues[i] = np.nan
            continue
        for q in range(k):
            a[q] = buf[(head + idx[q]) % size]
            b[q] = buf[(head + older + q) % size]
        a.sort()
        b.sort()
        h = ks_numerator(a, b)
        p = table[h]
        if record:
            stats[i] = h * 1.0 / k
            pvalues[i] = p if h >= cfg[3] else 1.0
        if h >= cfg[3] and p <= alpha:
            alarms[n_alarms] = i
            n_alarms += 1
            if cfg[4] == 1:
                return _ALARM, i + 1, wpos, n_alarms
    return _DONE, x.shape[0], wpos, n_alarms


def _with(function: Callable, **helpers: Callable) -> Callable:
    """``function`` rebuilt to call ``helpers`` (compiled ones) instead of the module's."""
    out = types.FunctionType(function.__code__, dict(globals(), **helpers), function.__name__,
                             function.__defaults__)
    out.__module__ = __name__
    out.__qualname__ = function.__qualname__
    return out


def build(jit: Callable[[Callable], Callable]) -> dict[str, Callable]:
    """The KSWIN functions passed through ``jit`` (a numba decorator), each rebuilt to call
    the compiled helpers; module-level functions, so that compiled code can be cached.

    ``cfg`` is the integer tuple ``(window_size, sample_size, uses_pool, min_effect_numerator,
    reset_on_drift)``; the window is a ring ``buf`` with ``ring = [count, head]`` (values held,
    position of the oldest).

    Examples
    --------
    >>> sorted(build(lambda f: f))
    ['draw_sample', 'ks_numerator', 'scan']
    """
    bits = jit(bit_length)
    numerator = jit(ks_numerator)
    draw = jit(_with(draw_sample, bit_length=bits))
    return {"draw_sample": draw, "ks_numerator": numerator,
            "scan": jit(_with(scan, draw_sample=draw, ks_numerator=numerator))}



_PY = {"draw_sample": draw_sample, "ks_numerator": ks_numerator, "scan": scan}


def _generator_state(seed: int | None) -> dict[str, Any]:
    """numpy ``MT19937`` state equal to that of ``random.Random(seed)``."""
    version, internal, _ = random.Random(seed).getstate()
    key = np.array(internal[:624], dtype=np.uint32)
    return {"bit_generator": "MT19937", "state": {"key": key, "pos": int(internal[624])}}


class KSWINEngine:
    """State and stepping of one KSWIN detector; shared by research objects and the runtime.

    Parameters
    ----------
    params
        ``alpha``, ``window_size``, ``sample_size`` (river's ``stat_size``) and ``seed``.
    fitted
        ``pvalue_table``: scipy's two-sided ``ks_2samp`` p-value of ``D = h / sample_size``
        for ``h = 0 .. sample_size``.
    functions
        The functions of :func:`build` to use (e.g. numba-compiled ones); plain Python when
        None.

    Attributes
    ----------
    pvalue_
        p-value of the last update's test (1 when ``D <= 0.1``), or None when it tested
        nothing.

    Examples
    --------
    >>> from mlmon.detectors import KSWIN
    >>> det = KSWIN(alpha=0.001, seed=1)
    >>> eng = KSWINEngine(det.get_params(), det._export_state())
    >>> x = np.concatenate([np.random.default_rng(0).normal(size=300), np.full(100, 3.0)])
    >>> alarms, _ = eng.run(x, reset_on_drift=True)
    >>> alarms.tolist() == det.run(x).indices.tolist(), int(alarms[0])
    (True, 315)
    """

    __slots__ = ("alpha", "cfg_", "table_", "seed", "buf_", "ring_", "n_seen_", "words_",
                 "wpos_", "mt_", "pvalue_", "_fns", "_pool", "_idx", "_a", "_b")

    def __init__(self, params: dict[str, Any], fitted: dict[str, Any],
                 functions: dict[str, Callable] | None = None):
        self.alpha = float(params["alpha"])
        size, k = int(params["window_size"]), int(params["sample_size"])
        if not 1 <= k <= size - k:
            raise ValueError(
                f"sample_size ({k}) must be at least 1 and at most window_size - sample_size "
                f"({size - k}): the sample is drawn without replacement from the older values.")
        self.cfg_ = (size, k, int(uses_pool(size - k, k)), min_effect_numerator(k), 0)
        table = fitted.get("pvalue_table")
        if table is None or len(table) != k + 1:
            raise ValueError(
                f"fitted 'pvalue_table' must hold sample_size + 1 = {k + 1} p-values; export it "
                "from mlmon.detectors.KSWIN.")
        self.table_ = np.ascontiguousarray(table, dtype=np.float64)
        seed = params.get("seed")
        self.seed = None if seed is None else int(seed)
        self._fns = functions if functions is not None else _PY
        self.buf_ = np.zeros(size)
        self.ring_ = np.zeros(2, dtype=np.int64)
        self._pool = np.zeros(size - k, dtype=np.int64)
        self._idx = np.zeros(k, dtype=np.int64)
        self._a = np.zeros(k)
        self._b = np.zeros(k)
        self.reset()

    def reset(self) -> None:
        """Empty window, generator back to ``random.Random(seed)`` (fresh entropy when None)."""
        self.buf_[:] = 0.0
        self.ring_[:] = 0
        self.n_seen_ = 0
        self.mt_ = np.random.MT19937()
        self.mt_.state = _generator_state(self.seed)
        self.words_ = np.empty(0, dtype=np.int64)
        self.wpos_ = 0
        self.pvalue_ = None

    @property
    def n_seen(self) -> int:
        return int(self.n_seen_)

    def _refill(self, factor: int) -> None:
        """Keep the unread words and fill the buffer up with new ones (a buffer of fixed size,
        larger only while one step needs more words than it holds)."""
        rest = self.words_[self.wpos_:]
        size = max(_BLOCK, 64 * self.cfg_[1]) << factor
        words = np.empty(max(size, rest.shape[0] + 1), dtype=np.int64)
        words[: rest.shape[0]] = rest
        words[rest.shape[0]:] = self.mt_.random_raw(words.shape[0] - rest.shape[0])
        self.words_ = words
        self.wpos_ = 0

    def _scan(self, x: np.ndarray, reset_on_drift: bool, stats: np.ndarray,
              pvalues: np.ndarray) -> list[int]:
        cfg = self.cfg_[:4] + (int(reset_on_drift),)
        alarms = np.empty(x.shape[0], dtype=np.int64)
        n_alarms, pos, asked = 0, 0, 0
        while True:
            status, stop, wpos, n_alarms = self._fns["scan"](
                x, pos, self.buf_, self.ring_, self.words_, self.wpos_, cfg, self.table_,
                self.alpha, self._pool, self._idx, self._a, self._b, alarms, n_alarms,
                stats, pvalues)
            self.n_seen_ += stop - pos
            self.wpos_ = wpos
            asked = 0 if stop > pos else asked + 1
            pos = stop
            if status == _NEED_WORDS:
                self._refill(asked)
            elif status == _ALARM:
                self.reset()
            else:
                return alarms[:n_alarms].tolist()

    def update_one(self, x: float, reset_on_drift: bool) -> tuple[int, float, int]:
        """Step once; return (flag, statistic, samples seen including this one)."""
        stats, pvalues = np.empty(1), np.empty(1)
        value = np.array([float(x)])
        alarms = self._scan(value, False, stats, pvalues)
        n_seen = self.n_seen_
        self.pvalue_ = None if pvalues[0] != pvalues[0] else float(pvalues[0])
        if alarms and reset_on_drift:
            self.reset()
        return (DRIFT if alarms else NOTHING), float(stats[0]), n_seen

    def run(self, x: Any, reset_on_drift: bool) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole signal; same alarms and final state as a loop of ``update_one``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        none = np.empty(0)
        alarms = self._scan(x, bool(reset_on_drift), none, none)
        self.pvalue_ = None
        return np.asarray(alarms, dtype=np.int64), np.empty(0, dtype=np.int64)

    def trace(self, x: Any) -> np.ndarray:
        """p-value at each position (NaN until the window is full), without resets; the state
        is unchanged."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        saved = (self.buf_.copy(), self.ring_.copy(), self.n_seen_, self.mt_.state,
                 self.words_.copy(), self.wpos_, self.pvalue_)
        stats, pvalues = np.empty(x.shape[0]), np.empty(x.shape[0])
        try:
            self._scan(x, False, stats, pvalues)
        finally:
            (self.buf_, self.ring_, self.n_seen_, state, self.words_, self.wpos_,
             self.pvalue_) = saved
            self.mt_.state = state
        return pvalues
