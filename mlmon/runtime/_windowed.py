"""Windowed two-sample tests (KS, PSI) as streaming detectors, in numpy-only Python.

A windowed detector compares a *test window*, the last ``window_size`` values, with a
*reference* sample. The reference is either fitted ahead of the stream or taken from the first
``reference_size`` values of the stream (no decision meanwhile, and again after each reset).
Once the reference is in place the window is tested every ``step`` values (``step`` equal to
``window_size`` gives tumbling windows, ``step=1`` sliding ones); the alarm index is the
position of the window's last value.

Both the research detectors (:class:`mlmon.detectors.KS`, :class:`mlmon.detectors.PSI`) and
:mod:`mlmon.runtime` run these engines, so the arithmetic exists once:

- KS works on integers only. With window size ``n`` and reference size ``m`` the statistic
  ``D`` lives on the lattice ``h / lcm(n, m)``; ``h`` is computed exactly with
  ``searchsorted`` and drift is ``h >= h_crit``, the critical numerator found once by
  bisection in a p-value table (one entry per lattice point, scipy's value, computed by
  :mod:`mlmon.detectors` and exported with the detector), which also gives the p-values.
- PSI counts values per bin (integers) and adds per-bin terms taken from a table of
  ``n_bins x (window_size + 1)`` floats computed by :func:`psi_terms`; the sum runs over bins
  left to right in :func:`psi_sum`. Elementwise IEEE additions give the same bits whatever
  the number of windows evaluated at once, so the vectorised ``run`` and a loop of
  ``update_one`` agree bit for bit.

This module imports nothing but numpy and the standard library.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["KSEngine", "PSIEngine", "PSI_EPSILON", "critical_numerator", "ks_numerators",
           "psi_bins", "psi_edges", "psi_sum", "psi_terms"]

NOTHING, DRIFT = 0, 2
#: Proportions below this value (in practice: empty bins) are raised to it before PSI.
PSI_EPSILON = 1e-4
# Largest number of window values materialised at once by ``run``.
_MAX_CHUNK_VALUES = 1 << 19


# --- KS ------------------------------------------------------------------------------------


def ks_numerators(windows: np.ndarray, reference: np.ndarray, a: int, b: int) -> np.ndarray:
    """Integer numerators ``h = D * lcm(n, m)`` of the two-sample KS statistic, per window.

    Parameters
    ----------
    windows
        ``(k, n)`` array, one test window per row (any order within a row).
    reference
        Sorted reference sample of length ``m``.
    a, b
        ``lcm(n, m) // n`` and ``lcm(n, m) // m``.

    Notes
    -----
    With ``S`` a sorted window, ``R_j`` (``L_j``) the number of reference values ``<=``
    (``<``) ``S_j``: the largest positive ECDF gap is ``max_j ((j+1) a - R_j b)`` and the
    largest negative one ``-min_j (j a - L_j b)``, over ``j = 0 .. n-1``. Tied values are
    handled as in ``scipy.stats.ks_2samp`` (right-continuous ECDFs).

    Examples
    --------
    >>> ks_numerators(np.array([[0.5, 2.5]]), np.array([1.0, 2.0, 3.0, 4.0]), 2, 1).tolist()
    [2]
    """
    s = np.sort(windows, axis=1)
    n = s.shape[1]
    right = np.searchsorted(reference, s, side="right").astype(np.int64)
    left = np.searchsorted(reference, s, side="left").astype(np.int64)
    j = np.arange(n, dtype=np.int64) * a
    up = (j + a - right * b).max(axis=1)
    down = (j - left * b).min(axis=1)
    return np.maximum(up, -down)


def critical_numerator(table: Any, alpha: float) -> int:
    """Smallest ``h`` with ``table[h] < alpha`` (``len(table)`` when there is none).

    Found by bisection, the table being non-increasing in ``h``: ``log2(len(table))``
    look-ups, so a table whose entries are computed on demand is barely touched.

    Examples
    --------
    >>> critical_numerator(np.array([1.0, 0.5, 0.04, 0.001]), 0.05)
    2
    >>> critical_numerator(np.array([1.0, 0.5]), 0.05)
    2
    """
    lo, hi = 0, len(table)
    while lo < hi:
        mid = (lo + hi) // 2
        if table[mid] < alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --- PSI -----------------------------------------------------------------------------------


def psi_edges(reference: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Interior bin edges (reference quantiles) and the reference's proportion per bin.

    Edges are the reference's ``k / n_bins`` quantiles, ``k = 1 .. n_bins - 1``, taken as
    the smallest reference value whose empirical CDF reaches ``k / n_bins``
    (``np.quantile(..., method="inverted_cdf")``), with duplicates dropped: discrete data
    get one bin per distinct value at most. The outer edges are -inf and +inf, and bin ``i``
    holds the values in ``(edges[i-1], edges[i]]``, so continuous references fill the bins
    equally.

    Examples
    --------
    >>> edges, expected = psi_edges(np.arange(10.0), 2)
    >>> edges.tolist(), expected.tolist()
    ([4.0], [0.5, 0.5])
    >>> edges, expected = psi_edges(np.repeat([0.0, 1.0, 2.0], [7, 2, 1]), 10)
    >>> edges.tolist(), expected.tolist()
    ([0.0, 1.0], [0.7, 0.2, 0.1])
    """
    reference = np.asarray(reference, dtype=np.float64)
    probs = np.arange(1, n_bins, dtype=np.float64) / n_bins
    edges = np.unique(np.quantile(reference, probs, method="inverted_cdf"))
    counts = np.bincount(psi_bins(edges, reference), minlength=edges.shape[0] + 1)
    return edges, counts / float(reference.shape[0])


def psi_bins(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Bin index of each value: ``i`` such that ``edges[i-1] < value <= edges[i]``.

    Examples
    --------
    >>> psi_bins(np.array([0.0, 1.0]), np.array([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [0, 0, 1, 1, 2]
    """
    return np.searchsorted(edges, values, side="left")


def psi_terms(expected: np.ndarray, window_size: int) -> np.ndarray:
    """Per-bin PSI term for every possible window count: a ``(bins, window_size + 1)`` table.

    ``T[i, c] = (a - e_i) * log(a / e_i)`` with ``a = max(c / window_size, PSI_EPSILON)`` and
    ``e_i = max(expected[i], PSI_EPSILON)``.

    Examples
    --------
    >>> psi_terms(np.array([0.5, 0.5]), 2)[0].round(4).tolist()
    [4.2577, 0.0, 0.3466]
    """
    e = np.maximum(np.asarray(expected, dtype=np.float64), PSI_EPSILON)[:, None]
    a = np.maximum(np.arange(window_size + 1, dtype=np.float64) / window_size, PSI_EPSILON)[None, :]
    return (a - e) * np.log(a / e)


def psi_sum(terms: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """PSI of each window from its bin counts: the terms added over bins, left to right.

    Parameters
    ----------
    terms
        Table from :func:`psi_terms`.
    counts
        ``(k, bins)`` integer counts, one window per row.

    Examples
    --------
    >>> t = psi_terms(np.array([0.5, 0.5]), 2)
    >>> psi_sum(t, np.array([[1, 1], [2, 0]])).round(4).tolist()
    [0.0, 4.6043]
    """
    total = terms[0][counts[:, 0]]
    for i in range(1, terms.shape[0]):
        total = total + terms[i][counts[:, i]]
    return total


# --- the windowing state machine -----------------------------------------------------------


class _WindowEngine:
    """Reference collection, the test window and its schedule; subclasses say how to test."""

    __slots__ = ("window_size", "reference_size", "step", "fitted_", "ref_", "collect_",
                 "n_collected_", "window_", "t_", "n_seen_", "pvalue_")

    def __init__(self, params: dict[str, Any], fitted: dict[str, Any]):
        self.window_size = int(params["window_size"])
        self.reference_size = int(params["reference_size"])
        step = params.get("step")
        self.step = self.window_size if step is None else int(step)
        if self.window_size < 1 or self.reference_size < 1 or self.step < 1:
            raise ValueError("window_size, reference_size and step must be positive integers.")
        self.fitted_ = self._setup(params, fitted)
        self.window_ = np.zeros(self.window_size)
        self.reset()

    # subclass hooks ---------------------------------------------------------------------
    def _setup(self, params: dict[str, Any], fitted: dict[str, Any]) -> Any:
        """Read parameters and fitted values; return the prepared reference or None."""
        raise NotImplementedError

    def _prepare(self, reference: np.ndarray) -> Any:
        """Prepare a reference collected from the stream."""
        raise NotImplementedError

    def _evaluate(self, ref: Any, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Test ``(k, n)`` windows; return (raw statistic, reject)."""
        raise NotImplementedError

    def _statistic(self, raw: np.ndarray) -> np.ndarray:
        """The statistic reported in results, from the raw one."""
        return raw

    def _score(self, raw: np.ndarray) -> np.ndarray:
        """The value ``trace`` reports (what the threshold applies to)."""
        return raw

    def _pvalue(self, raw: np.ndarray) -> np.ndarray | None:
        return None

    # state ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the just-fitted state (or to collecting a reference when unfitted)."""
        self.ref_ = self.fitted_
        if self.fitted_ is None:
            self.collect_ = np.zeros(self.reference_size)
        else:
            self.collect_ = None
        self.n_collected_ = 0
        self.window_[:] = 0.0
        self.t_ = 0
        self.n_seen_ = 0
        self.pvalue_ = None

    @property
    def n_seen(self) -> int:
        return int(self.n_seen_)

    def _snapshot(self) -> tuple:
        collect = None if self.collect_ is None else self.collect_.copy()
        return (self.ref_, collect, self.n_collected_, self.window_.copy(), self.t_,
                self.n_seen_, self.pvalue_)

    def _restore(self, snap: tuple) -> None:
        (self.ref_, self.collect_, self.n_collected_, self.window_, self.t_, self.n_seen_,
         self.pvalue_) = snap

    def _advance_t(self, k: int) -> None:
        t = self.t_ + k
        n = self.window_size
        self.t_ = t if t < n else n + (t - n) % self.step

    def _absorb(self, values: np.ndarray) -> None:
        """Append values to the test window without testing."""
        k = values.shape[0]
        if k == 0:
            return
        n = self.window_size
        if k >= n:
            self.window_[:] = values[k - n:]
        else:
            self.window_[: n - k] = self.window_[k:].copy()
            self.window_[n - k:] = values
        self._advance_t(k)
        self.n_seen_ += k

    def _collect(self, values: np.ndarray) -> None:
        k = values.shape[0]
        self.collect_[self.n_collected_: self.n_collected_ + k] = values
        self.n_collected_ += k
        self.n_seen_ += k
        if self.n_collected_ == self.reference_size:
            self.ref_ = self._prepare(self.collect_.copy())

    # stepping ---------------------------------------------------------------------------
    def update_one(self, x: float, reset_on_drift: bool) -> tuple[int, float, int]:
        """Take one value; return (flag, statistic, samples seen including this one)."""
        value = np.array([float(x)])
        if self.ref_ is None:
            self._collect(value)
            self.pvalue_ = None
            return NOTHING, math.nan, self.n_seen_
        self._absorb(value)
        n_seen = self.n_seen_
        t = self.t_
        if t < self.window_size or (t - self.window_size) % self.step:
            self.pvalue_ = None
            return NOTHING, math.nan, n_seen
        raw, reject = self._evaluate(self.ref_, self.window_[None, :])
        flag = DRIFT if reject[0] else NOTHING
        if flag == DRIFT and reset_on_drift:
            self.reset()
        self._set_pvalue(raw[:1])
        return flag, float(self._statistic(raw)[0]), n_seen

    def _set_pvalue(self, raw: np.ndarray) -> None:
        pvalue = self._pvalue(raw)
        self.pvalue_ = None if pvalue is None else float(pvalue[0])

    def _scan(self, x: np.ndarray, reset_on_drift: bool, scores: np.ndarray | None) -> list[int]:
        n, step = self.window_size, self.step
        size, pos, chunk = x.shape[0], 0, 8
        max_chunk = max(1, _MAX_CHUNK_VALUES // n)
        alarms: list[int] = []
        self.pvalue_ = None
        while pos < size:
            if self.ref_ is None:
                k = min(self.reference_size - self.n_collected_, size - pos)
                self._collect(x[pos: pos + k])
                pos += k
                continue
            t0 = self.t_
            first_t = n if t0 < n else t0 + 1 + (-(t0 + 1 - n)) % step
            j0 = first_t - t0 - 1  # offset in x[pos:] of the next test
            if j0 >= size - pos:
                self._absorb(x[pos:])
                break
            n_tests = min(1 + (size - pos - 1 - j0) // step, chunk)
            offsets = j0 + step * np.arange(n_tests)
            end = int(offsets[-1]) + 1
            prev = self.window_[n - min(t0, n):]
            ext = np.concatenate([prev, x[pos: pos + end]])
            starts = prev.shape[0] + offsets - n + 1
            windows = sliding_window_view(ext, n)[starts]
            raw, reject = self._evaluate(self.ref_, windows)
            if scores is not None:
                scores[pos + offsets] = self._score(raw)
            hits = np.flatnonzero(reject)
            if hits.size and reset_on_drift:
                i = int(hits[0])
                alarms.append(pos + int(offsets[i]))
                pos += int(offsets[i]) + 1
                self.reset()
                if pos == size:
                    self._set_pvalue(raw[i: i + 1])
                chunk = 8
                continue
            alarms.extend((pos + offsets[hits]).tolist())
            self._absorb(x[pos: pos + end])
            pos += end
            if pos == size:
                self._set_pvalue(raw[-1:])
            chunk = min(2 * chunk, max_chunk)
        return alarms

    def run(self, x: Any, reset_on_drift: bool) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole signal; same alarms and final state as a loop of ``update_one``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        alarms = self._scan(x, bool(reset_on_drift), None)
        return np.asarray(alarms, dtype=np.int64), np.empty(0, dtype=np.int64)

    def trace(self, x: Any) -> np.ndarray:
        """The trace statistic at test positions (NaN elsewhere), without resets; state unchanged."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.full(x.shape[0], np.nan)
        snap = self._snapshot()
        try:
            self._scan(x, False, out)
        finally:
            self._restore(snap)
        return out


class KSEngine(_WindowEngine):
    """Windowed two-sample Kolmogorov-Smirnov test; alarm when the p-value is below ``alpha``.

    Parameters
    ----------
    params
        ``alpha``, ``window_size``, ``reference_size`` and ``step`` (None for tumbling windows).
    fitted
        ``pvalue_table``: the p-value of ``D = h / lcm(window_size, m)`` for each
        ``h = 0 .. lcm``, where ``m`` is the reference length (any object indexable by
        integers and integer arrays, with ``len``); ``reference``: the sorted reference
        sample, absent when the reference is taken from the stream.

    Attributes
    ----------
    critical_
        The critical numerator: drift when ``h >= critical_``, i.e. when ``pvalue < alpha``.
    pvalue_
        p-value of the last update's test, or None when it tested nothing.

    Examples
    --------
    >>> from mlmon.detectors import KS
    >>> rng = np.random.default_rng(0)
    >>> det = KS(window_size=50, reference_size=100).fit(rng.normal(size=100))
    >>> eng = KSEngine(det.get_params(), det._export_state())
    >>> x = np.concatenate([rng.normal(size=200), rng.normal(2.0, 1.0, 200)])
    >>> alarms, _ = eng.run(x, reset_on_drift=True)
    >>> alarms.tolist() == det.run(x).indices.tolist()
    True
    >>> int(alarms[0])
    249
    """

    __slots__ = ("alpha", "table_", "critical_", "lcm_", "a_", "b_")

    def _setup(self, params: dict[str, Any], fitted: dict[str, Any]) -> Any:
        self.alpha = float(params["alpha"])
        ref = fitted.get("reference")
        if ref is not None:
            ref = np.sort(np.asarray(ref, dtype=np.float64))
            if ref.ndim != 1 or ref.shape[0] < 1:
                raise ValueError("fitted 'reference' must be a non-empty 1-D array.")
        n = self.window_size
        m = self.reference_size if ref is None else int(ref.shape[0])
        self.lcm_ = n // math.gcd(n, m) * m
        self.a_, self.b_ = self.lcm_ // n, self.lcm_ // m
        if fitted.get("pvalue_table") is None:
            raise ValueError("KSEngine needs fitted['pvalue_table']; export it from mlmon.detectors.KS.")
        table = fitted["pvalue_table"]
        if isinstance(table, (list, tuple)):
            table = np.asarray(table, dtype=np.float64)
        if len(table) != self.lcm_ + 1 or getattr(table, "ndim", 1) != 1:
            raise ValueError(
                f"fitted 'pvalue_table' must have lcm(window_size, reference length) + 1 = "
                f"{self.lcm_ + 1} entries for window_size={n} and a reference of {m} values, "
                f"got {len(table)}."
            )
        self.table_ = table
        self.critical_ = critical_numerator(table, self.alpha)
        return ref

    def _prepare(self, reference: np.ndarray) -> np.ndarray:
        return np.sort(reference)

    def _evaluate(self, ref: np.ndarray, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = ks_numerators(windows, ref, self.a_, self.b_)
        return h, h >= self.critical_

    def _statistic(self, raw: np.ndarray) -> np.ndarray:
        return raw / self.lcm_

    def _score(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(self.table_[raw], dtype=np.float64)

    def _pvalue(self, raw: np.ndarray) -> np.ndarray:
        return self._score(raw)


class PSIEngine(_WindowEngine):
    """Windowed population stability index; alarm when PSI exceeds ``threshold``.

    Parameters
    ----------
    params
        ``threshold``, ``n_bins``, ``window_size``, ``reference_size`` and ``step``.
    fitted
        ``edges`` (interior bin edges), ``expected`` (the reference's proportion per bin) and
        optionally ``terms`` (the :func:`psi_terms` table, computed where the detector was
        fitted), all absent when the reference is taken from the stream.

    Examples
    --------
    >>> from mlmon.detectors import PSI
    >>> rng = np.random.default_rng(0)
    >>> det = PSI(window_size=200, reference_size=400).fit(rng.normal(size=400))
    >>> eng = PSIEngine(det.get_params(), det._export_state())
    >>> x = np.concatenate([rng.normal(size=600), rng.normal(1.0, 1.0, 600)])
    >>> alarms, _ = eng.run(x, reset_on_drift=True)
    >>> alarms.tolist() == det.run(x).indices.tolist(), int(alarms[0])
    (True, 799)
    """

    __slots__ = ("threshold", "n_bins")

    def _setup(self, params: dict[str, Any], fitted: dict[str, Any]) -> Any:
        self.threshold = float(params["threshold"])
        self.n_bins = int(params["n_bins"])
        if fitted.get("edges") is None:
            return None
        edges = np.asarray(fitted["edges"], dtype=np.float64)
        expected = np.asarray(fitted["expected"], dtype=np.float64)
        if edges.ndim != 1 or expected.shape != (edges.shape[0] + 1,):
            raise ValueError(
                f"fitted 'expected' must have one entry per bin (len(edges) + 1 = "
                f"{edges.shape[0] + 1}), got shape {expected.shape}."
            )
        terms = fitted.get("terms")
        if terms is None:
            return edges, psi_terms(expected, self.window_size)
        # The exported table: no logarithm is taken here, so the PSI values do not depend on
        # this machine's numpy or libm (np.log differs in the last bit across numpy versions).
        terms = np.asarray(terms, dtype=np.float64)
        if terms.shape != (expected.shape[0], self.window_size + 1):
            raise ValueError(
                f"fitted 'terms' must have shape (bins, window_size + 1) = "
                f"{(expected.shape[0], self.window_size + 1)}, got {terms.shape}; re-export the detector."
            )
        return edges, terms

    def _prepare(self, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        edges, expected = psi_edges(reference, self.n_bins)
        return edges, psi_terms(expected, self.window_size)

    def _evaluate(self, ref: tuple[np.ndarray, np.ndarray],
                  windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        edges, terms = ref
        k = windows.shape[0]
        n_bins = edges.shape[0] + 1
        idx = psi_bins(edges, windows)
        idx += (np.arange(k) * n_bins)[:, None]
        counts = np.bincount(idx.ravel(), minlength=k * n_bins).reshape(k, n_bins)
        psi = psi_sum(terms, counts)
        return psi, psi > self.threshold
