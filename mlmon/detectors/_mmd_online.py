"""Online MMD: the kernel discrepancy between a reference and a sliding window, at every row."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt

from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._multivariate import WindowedRows, _as_rows
from mlmon.detectors._registry import register
from mlmon.stats._mmd import check_rows, median_heuristic

__all__ = ["MMDOnline"]

#: Largest number of float64 values a vectorised step materialises at once.
_CHUNK_VALUES = 1 << 21
#: Rows evaluated together by ``run``; after an alarm (and reset) the rest of a chunk is redone.
_CHUNK_ROWS = 1024
#: Largest reference whose kernel matrix is kept (for null runs bootstrapped from it).
_MAX_TABLE_ROWS = 3000


def _ref_means(rows: np.ndarray, reference: np.ndarray, sigma: float) -> np.ndarray:
    """``mean_j k(x_i, r_j)`` for each row ``x_i`` (Gaussian kernel), in a fixed order."""
    out = np.empty(rows.shape[0])
    step = max(1, _CHUNK_VALUES // max(1, reference.size))
    scale = -0.5 / (sigma * sigma)
    for start in range(0, rows.shape[0], step):
        block = rows[start: start + step]
        out[start: start + step] = np.mean(_kernel_pairs(block[:, None, :], reference[None, :, :],
                                                         scale), axis=1)
    return out


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """Each row's bytes as one opaque value (equal keys: bit-identical rows)."""
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    return rows.view(np.dtype((np.void, rows.shape[1] * 8))).ravel()


def _kernel_pairs(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    """``k(a_i, b_i)`` over the last axis (one formula for every path, so values agree bitwise)."""
    diff = a - b
    return np.exp(np.sum(diff * diff, axis=-1) * scale)


def _band(rows: np.ndarray, ids: np.ndarray, i: np.ndarray, j: np.ndarray, scale: float,
          table: np.ndarray | None) -> np.ndarray:
    """Kernel of rows ``i`` (column vector) with rows ``j``: looked up in the reference's kernel
    ``table`` where both rows are reference rows, computed otherwise."""
    ii = np.broadcast_to(i[:, None], j.shape)
    if table is None:
        return _kernel_pairs(rows[ii], rows[j], scale)
    a, b = ids[ii], ids[j]
    flat = table.reshape(-1)
    m = table.shape[0]
    known = (a >= 0) & (b >= 0)
    if known.all():
        return np.take(flat, a * m + b)
    out = np.empty(j.shape)
    out[known] = np.take(flat, a[known] * m + b[known])
    unknown = ~known
    out[unknown] = _kernel_pairs(rows[ii[unknown]], rows[j[unknown]], scale)
    return out


def _window_stats(rows: np.ndarray, means: np.ndarray, ids: np.ndarray, first: int, count: int,
                  window: int, sigma: float, c_rr: float, table: np.ndarray | None) -> np.ndarray:
    """Unbiased MMD^2 of the ``count`` windows ending at rows ``first .. first + count - 1``.

    The kernel of each row with the ``window - 1`` rows before it is computed once (a band
    of the kernel matrix, O(window) per row); each window's pair sum then adds band entries
    in one fixed order, vectorised over windows, so a row-by-row ``update`` and a vectorised
    ``run`` agree bit for bit.
    """
    w = window
    lo = first - w + 2                               # first row whose band is needed
    scale = -0.5 / (sigma * sigma)
    lags = np.arange(1, w)
    band = np.empty((first + count - lo, w - 1))
    step = max(1, _CHUNK_VALUES // (w * rows.shape[1]))
    for s in range(lo, first + count, step):
        i = np.arange(s, min(first + count, s + step))
        j = np.maximum(i[:, None] - lags[None, :], 0)  # lags reaching before row 0 are unused
        band[s - lo: s - lo + i.shape[0]] = _band(rows, ids, i, j, scale, table)
    # row start + a of a window pairs with the a rows before it: prefix sums over lags,
    # taken row by row (a sequential cumsum), then one term per row of the window
    prefix = np.cumsum(band, axis=1)
    ends = np.arange(first, first + count)
    s_ww = np.zeros(count)
    for a in range(1, w):
        s_ww += prefix[ends - w + 1 + a - lo, a - 1]
    s_wr = np.sum(means[ends[:, None] - np.arange(w - 1, -1, -1)[None, :]], axis=1)
    return c_rr + 2.0 * s_ww / (w * (w - 1)) - 2.0 * s_wr / w


@register
class MMDOnline(BaseDetector):
    """Sliding-window maximum mean discrepancy, evaluated at every row (a sequential detector).

    At each row the unbiased squared MMD between the reference and the last ``window_size``
    rows (Gaussian kernel, bandwidth ``sigma`` or the median heuristic on the reference) is
    compared with ``threshold``. This is the statistic of alibi-detect's ``MMDDriftOnline``
    (Cobb et al. 2022); unlike it, the threshold is one number, set for a false-alarm budget
    by :func:`mlmon.tuning.calibrate` (``arl=`` the expected run time): the statistic before
    the first alarm does not depend on the threshold, so calibration traces each null run
    once (:meth:`trace`), where alibi-detect simulates per-step thresholds at construction.

    The reference is the sample passed to :meth:`fit` or, unfitted, the first
    ``reference_size`` rows (collected afresh after each reset). The kernel mean of each new
    row against the reference is computed once, when the row arrives.

    Parameters
    ----------
    threshold
        Alarm when the window's squared MMD exceeds it (calibrate it; the scale depends on
        ``window_size`` and the data).
    window_size
        Rows in the sliding window.
    reference_size
        Rows taken from the stream as reference when the detector is not fitted.
    sigma
        Kernel bandwidth; None for the median heuristic on the reference.
    reset_on_drift
        After an alarm, go back to the just-fitted state.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import MMDOnline
    >>> rng = np.random.default_rng(0)
    >>> det = MMDOnline(threshold=0.1, window_size=20).fit(rng.normal(size=(500, 3)))
    >>> stream = np.vstack([rng.normal(size=(300, 3)), rng.normal(1.5, 1.0, (100, 3))])
    >>> det.run(stream).first
    310
    """

    signal_kind = "multivariate"
    exportable = False

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 0.1,
        window_size: Annotated[int, Ge(2)] = 20,
        reference_size: Annotated[int, Ge(2)] = 500,
        sigma: Annotated[float, Gt(0)] | None = None,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.window_size = window_size
        self.reference_size = reference_size
        self.sigma = sigma
        self.reset_on_drift = reset_on_drift
        super().__init__()

    # -- state --------------------------------------------------------------------------
    def _prepare(self, reference: np.ndarray) -> tuple:
        sigma = median_heuristic(reference) if self.sigma is None else float(self.sigma)
        m = reference.shape[0]
        keys = _row_keys(reference)
        order = np.argsort(keys, kind="stable")
        table = None
        if m <= _MAX_TABLE_ROWS:  # the reference's kernel matrix, for bootstrapped null runs
            scale = -0.5 / (sigma * sigma)
            table = np.empty((m, m))
            step = max(1, _CHUNK_VALUES // max(1, reference.size))
            for s in range(0, m, step):
                table[s: s + step] = _kernel_pairs(reference[s: s + step, None, :],
                                                   reference[None, :, :], scale)
            own = np.mean(table, axis=1)   # what _ref_means gives for these rows, bit for bit
        else:
            own = _ref_means(reference, reference, sigma)   # each reference row's kernel mean
        # sum over i != j of k(r_i, r_j): each row's m kernels less its own k(r_i, r_i) = 1
        c_rr = float(np.sum(own * m - 1.0) / (m * (m - 1)))
        return reference, sigma, c_rr, own, (keys[order], order), table

    @staticmethod
    def _means(rows: np.ndarray, prepared: tuple) -> tuple[np.ndarray, np.ndarray]:
        """Kernel means against the reference, and each row's reference index (-1 for none).

        Rows equal to a reference row (a bootstrap of the reference, as tuning uses) take the
        values computed for it at fit; the formulas are the same, so the values are too."""
        reference, sigma, _, own, (sorted_keys, order) = prepared[:5]
        keys = _row_keys(rows)
        pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.shape[0] - 1)
        found = sorted_keys[pos] == keys
        ids = np.where(found, order[pos], -1)
        out = np.empty(rows.shape[0])
        out[found] = own[ids[found]]
        if not found.all():
            out[~found] = _ref_means(rows[~found], reference, sigma)
        return out, ids

    def fit(self, reference: Any) -> MMDOnline:
        """Use ``reference`` (all its rows, at least 2) as the reference sample; then reset."""
        ref = check_rows(reference, name="reference", min_rows=2)
        self.reference_ = ref
        self.fitted_ = self._prepare(ref)
        return self.reset()

    def reset(self) -> MMDOnline:
        ref = getattr(self, "reference_", None)
        self.prepared_ = getattr(self, "fitted_", None)
        self.n_features_ = None if ref is None else int(ref.shape[1])
        self.collect_ = None
        self.n_collected_ = 0
        self.rows_ = None     # the last window_size - 1 rows (or fewer), their kernel means
        self.means_ = None    # and their reference indices (-1 for rows not in the reference)
        self.ids_ = None
        self.n_seen_ = 0
        return self

    def _snapshot(self) -> tuple:
        return (self.prepared_, self.n_features_,
                None if self.collect_ is None else self.collect_.copy(), self.n_collected_,
                self.rows_, self.means_, self.ids_, self.n_seen_)

    def _restore(self, snap: tuple) -> None:
        (self.prepared_, self.n_features_, self.collect_, self.n_collected_, self.rows_,
         self.means_, self.ids_, self.n_seen_) = snap

    # -- stepping -----------------------------------------------------------------------
    def _feed(self, x: np.ndarray, reset_on_drift: bool, out: np.ndarray | None = None
              ) -> tuple[list[tuple[int, float]], float, int]:
        """Process rows in order; return the alarms ``(row, statistic)``, and the statistic and
        ``n_seen`` reported at the last row (NaN when no window was full there)."""
        w, pos, size = self.window_size, 0, x.shape[0]
        alarms: list[tuple[int, float]] = []
        last, last_n_seen = math.nan, self.n_seen_
        while pos < size:
            if self.prepared_ is None:
                pos = self._collect_rows(x, pos)
                last, last_n_seen = math.nan, self.n_seen_
                continue
            sigma, c_rr = self.prepared_[1:3]
            end = min(size, pos + _CHUNK_ROWS)   # a chunk at a time: an alarm wastes little work
            new = x[pos:end]
            held = 0 if self.rows_ is None else self.rows_.shape[0]
            rows = new if held == 0 else np.concatenate([self.rows_, new])
            means, ids = self._means(new, self.prepared_)
            if held:
                means = np.concatenate([self.means_, means])
                ids = np.concatenate([self.ids_, ids])
            first = max(w - 1, held)          # first row (in `rows`) ending a full window
            count = rows.shape[0] - first
            stats = (_window_stats(rows, means, ids, first, count, w, sigma, c_rr,
                                   self.prepared_[5]) if count > 0 else np.empty(0))
            if out is not None and count > 0:
                out[pos + first - held: pos + first - held + count] = stats
            hit = np.flatnonzero(stats > self.threshold) if count > 0 else np.empty(0, np.int64)
            if hit.size and reset_on_drift:
                j = int(hit[0])
                row = pos + first - held + j       # index in x of the alarm
                alarms.append((row, float(stats[j])))
                last, last_n_seen = float(stats[j]), self.n_seen_ + row - pos + 1
                pos = row + 1
                self.reset()
                continue
            for j in hit.tolist():
                alarms.append((pos + first - held + j, float(stats[j])))
            self.n_seen_ += end - pos
            keep = min(w - 1, rows.shape[0])
            cut = rows.shape[0] - keep
            self.rows_, self.means_, self.ids_ = rows[cut:].copy(), means[cut:].copy(), ids[cut:].copy()
            last = float(stats[-1]) if count > 0 else math.nan
            last_n_seen = self.n_seen_
            pos = end
        return alarms, last, last_n_seen

    def update(self, x: Any) -> DriftResult:
        """Take one row (1-D) or a batch of rows (2-D), processed in order.

        For a batch, the result is that of the first row that raised drift, with ``n_seen``
        counting the whole batch, or that of the last row when none did.
        """
        rows = _as_rows(x, self.n_features_)
        alarms, last, n_seen = self._feed(rows, self.reset_on_drift)
        statistic = alarms[0][1] if alarms else last
        return DriftResult(drift=bool(alarms), statistic=statistic,
                           threshold=float(self.threshold), n_seen=int(n_seen))

    def run(self, signal: Any) -> Alarms:
        """Process a whole ``(n, d)`` signal; same alarms and final state as a loop of ``update``."""
        x = check_rows(signal, name="signal", n_features=self.n_features_)
        alarms, _, _ = self._feed(x, self.reset_on_drift)
        return Alarms(indices=np.array([a[0] for a in alarms], dtype=np.int64),
                      n_seen=int(x.shape[0]))

    # trace (a statistic per row, no resets, state untouched) and the collection of an unfitted
    # detector's reference work as for the windowed multivariate tests, on this class's _feed
    trace = WindowedRows.trace
    _collect_rows = WindowedRows._collect_rows

    def _not_exportable_reason(self) -> str:
        return ("MMDOnline is a multivariate sequential detector, which mlmon.runtime does not run "
                "yet; export univariate detectors (KS, PSI, CUSUM) per feature instead.")

    @classmethod
    def _test_instances(cls) -> list[MMDOnline]:
        return [cls(threshold=0.2, window_size=10, reference_size=100),
                cls(threshold=0.3, window_size=5, reference_size=60, sigma=1.5,
                    reset_on_drift=False)]
