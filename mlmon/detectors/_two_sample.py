"""Windowed two-sample tests and distances of :mod:`mlmon.stats` as streaming detectors.

:class:`TwoSampleTest` alarms when a test's p-value falls below ``alpha``; :class:`Distance`
alarms when a distance exceeds ``threshold``. Both follow the windowing of :class:`KS` and
:class:`PSI` (the engine of :mod:`mlmon.runtime._windowed`): a reference fitted or taken from
the first ``reference_size`` values, the last ``window_size`` values tested every ``step``
values, the alarm at the window's last value, NaN statistics between tests.
"""

from __future__ import annotations

import math
import warnings
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon._validation import check_signal
from mlmon.base import BaseDetector
from mlmon.detectors._ks import MAX_TABLE_SIZE, _size_error, _table_size, lattice_pvalues
from mlmon.detectors._registry import register
from mlmon.runtime._windowed import _WindowEngine, ks_numerators, psi_bins, psi_edges, psi_sum
from mlmon.stats._continuous import cvm_pvalue, cvm_statistic_rows
from mlmon.stats._distances import bin_terms, finish, w1_rows

__all__ = ["Distance", "TwoSampleTest"]

PValueTest = Literal["ks", "cvm", "anderson_darling", "welch", "mann_whitney"]
Measure = Literal["psi", "kl", "js", "hellinger", "wasserstein"]

_NOT_EXPORTABLE = ("{name} is not exportable: mlmon.runtime does not carry these tests yet. "
                   "Export KS (a Kolmogorov-Smirnov test) or PSI (population stability index) "
                   "instead; both are exportable.")


# --- p-values of the tests, one window per row ----------------------------------------------


def _welch_rows(ref: dict[str, Any], windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import special

    n = windows.shape[1]
    m = ref["n"]
    mean = windows.mean(axis=1)
    var = windows.var(axis=1, ddof=1)
    vr, vw = ref["var"] / m, var / n
    se2 = vr + vw
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ref["mean"] - mean) / np.sqrt(se2)
        df = se2 * se2 / (vr * vr / (m - 1) + vw * vw / (n - 1))
        p = 2.0 * special.stdtr(df, -np.abs(t))
    same = se2 == 0.0  # both constant: equal means give p = 1, different ones p = 0
    p = np.where(same, np.where(ref["mean"] == mean, 1.0, 0.0), np.minimum(p, 1.0))
    t = np.where(same, 0.0, t)
    return t, p


def _mann_whitney_rows(ref: dict[str, Any], windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import special

    sorted_ref = ref["sorted"]
    m, n = sorted_ref.shape[0], windows.shape[1]
    s = np.sort(windows, axis=1)
    left = np.searchsorted(sorted_ref, s, side="left")
    right = np.searchsorted(sorted_ref, s, side="right")
    # U of the window: reference values below each window value, ties counted half
    u_win = (2 * left.sum(axis=1) + (right - left).sum(axis=1)) / 2.0
    u_ref = m * n - u_win
    # tie term sum(t^3 - t) over the pooled sample: the reference's own, corrected for the
    # values the window shares with it (counted once per group of equal window values)
    first = np.ones(s.shape, dtype=bool)
    first[:, 1:] = s[:, 1:] != s[:, :-1]
    pos = np.arange(n)
    start = np.maximum.accumulate(np.where(first, pos, 0), axis=1)
    last = np.ones(s.shape, dtype=bool)
    last[:, :-1] = first[:, 1:]
    end = np.minimum.accumulate(np.where(last, pos, n - 1)[:, ::-1], axis=1)[:, ::-1]
    cw = (end - start + 1).astype(np.int64)
    cr = (right - left).astype(np.int64)
    tot = cr + cw
    group = np.where(first, tot ** 3 - tot - (cr ** 3 - cr), 0)
    tie = ref["tie"] + group.sum(axis=1)
    total = m + n
    sigma = np.sqrt(m * n / 12.0 * ((total + 1) - tie / (total * (total - 1.0))))
    u = np.maximum(u_ref, u_win)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - m * n / 2.0 - 0.5) / sigma
    p = np.clip(2.0 * special.ndtr(-z), 0.0, 1.0)
    return u_ref, np.where(np.isnan(p), 1.0, p)


def _pooled_rows(sorted_ref: np.ndarray, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each window pooled with the reference and sorted, and the marks of reference values."""
    k, m = windows.shape[0], sorted_ref.shape[0]
    pooled = np.concatenate([np.broadcast_to(sorted_ref, (k, m)), windows], axis=1)
    order = np.argsort(pooled, axis=1, kind="stable")
    return np.take_along_axis(pooled, order, axis=1), order < m


def _cvm_rows(ref: dict[str, Any], windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, is_ref = _pooled_rows(ref["sorted"], windows)
    t = cvm_statistic_rows(values, is_ref)
    return t, cvm_pvalue(t, ref["n"], windows.shape[1])


def _anderson_rows(ref: dict[str, Any], windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import stats

    out = np.empty((2, windows.shape[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for i, w in enumerate(windows):
            if np.all(w == w[0]) and ref["sorted"][0] == ref["sorted"][-1] == w[0]:
                out[:, i] = math.nan, 1.0  # one value in all: no evidence of a difference
            else:
                r = stats.anderson_ksamp([ref["sorted"], w], variant="midrank")
                # scipy caps p at 0.25 ("0.25 or more"); 1.0 keeps P(p <= alpha) <= alpha
                out[:, i] = r.statistic, (1.0 if r.pvalue >= 0.25 else r.pvalue)
    return out[0], out[1]


class _TestEngine(_WindowEngine):
    """Windowed two-sample test; raw results are ``(statistic, pvalue)`` rows."""

    __slots__ = ("alpha", "test", "ks_")

    def _setup(self, params: dict[str, Any], fitted: dict[str, Any]) -> Any:
        self.alpha = float(params["alpha"])
        self.test = params["test"]
        ref = fitted.get("reference")
        m = self.reference_size if ref is None else int(ref.shape[0])
        if self.test == "ks":
            n = self.window_size
            g = math.gcd(n, m)
            lcm = n // g * m
            self.ks_ = (lattice_pvalues(n, m), lcm, lcm // n, lcm // m)
        return None if ref is None else self._prepare(ref)

    def _prepare(self, reference: np.ndarray) -> dict[str, Any]:
        s = np.sort(reference)
        out: dict[str, Any] = {"sorted": s, "n": int(s.shape[0])}
        if self.test == "welch":
            out["mean"], out["var"] = float(np.mean(reference)), float(np.var(reference, ddof=1))
        elif self.test == "mann_whitney":
            _, counts = np.unique(s, return_counts=True)
            counts = counts.astype(np.int64)
            out["tie"] = int(np.sum(counts ** 3 - counts))
        return out

    def _evaluate(self, ref: dict[str, Any], windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.test == "ks":
            table, lcm, a, b = self.ks_
            h = ks_numerators(windows, ref["sorted"], a, b)
            stat, p = h / lcm, np.asarray(table[h], dtype=np.float64)
        elif self.test == "welch":
            stat, p = _welch_rows(ref, windows)
        elif self.test == "mann_whitney":
            stat, p = _mann_whitney_rows(ref, windows)
        elif self.test == "cvm":
            stat, p = _cvm_rows(ref, windows)
        else:
            stat, p = _anderson_rows(ref, windows)
        raw = np.stack([stat, p], axis=1)
        return raw, p < self.alpha

    def _statistic(self, raw: np.ndarray) -> np.ndarray:
        return raw[:, 0]

    def _score(self, raw: np.ndarray) -> np.ndarray:
        return raw[:, 1]

    def _pvalue(self, raw: np.ndarray) -> np.ndarray:
        return raw[:, 1]


@register
class TwoSampleTest(BaseDetector):
    """A two-sample test of :mod:`mlmon.stats` on a sliding or tumbling window.

    The last ``window_size`` values are compared with the reference every ``step`` values;
    drift is signalled when the test's two-sided p-value is below ``alpha``. ``statistic``
    is the test's statistic and ``pvalue`` its p-value, both those of the batch function of
    the same name in :mod:`mlmon.stats` (with scipy's default method), except:

    - ``"mann_whitney"`` always uses the normal approximation with tie and continuity
      corrections (scipy's ``method="asymptotic"``), vectorised over windows;
    - ``"welch"`` is computed here, vectorised (equal to scipy's to about 1e-12);
    - ``"cvm"`` always uses the asymptotic p-value (:func:`mlmon.stats._continuous.cvm_pvalue`,
      scipy's ``method="asymptotic"``, equal to it to about 1e-9 absolute), vectorised;
    - ``"anderson_darling"`` reports 1.0 where scipy caps its p-value at 0.25 (meaning
      "0.25 or more"), so that ``P(pvalue <= alpha) <= alpha`` at every level; it calls
      scipy once per window (slower than the others).
    - ``"ks"`` uses the p-value table of :class:`KS` (scipy's exact values): the same
      alarms as ``KS``.

    The reference is the sample passed to :meth:`fit` or, unfitted, the first
    ``reference_size`` values of the stream (collected afresh after each reset). No
    decision is taken while it is collected, nor between tests.

    Parameters
    ----------
    test
        ``"cvm"``, ``"ks"``, ``"anderson_darling"``, ``"welch"`` or ``"mann_whitney"``.
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size
        Length of the test window.
    reference_size
        Values taken from the stream as reference when the detector is not fitted.
    step
        Values between tests; None means ``window_size`` (tumbling windows).
    reset_on_drift
        After an alarm, go back to the just-fitted state.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import TwoSampleTest
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 500)])
    >>> det = TwoSampleTest(test="welch", alpha=0.001)
    >>> det.run(x).first
    1099
    >>> r = det.reset().fit(x[:500]).update(x[1000:1100])
    >>> r.drift, r.pvalue < 0.001
    (True, True)
    """

    threshold_param = "alpha"
    threshold_direction = "below"
    exportable = False

    def __init__(
        self,
        *,
        test: PValueTest = "cvm",
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(2)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        reset_on_drift: bool = True,
    ):
        self.test = test
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if self.test == "ks" and _table_size(self.window_size, self.reference_size) > MAX_TABLE_SIZE:
            raise _size_error(self.window_size, self.reference_size, "reference_size")

    def fit(self, reference: Any) -> TwoSampleTest:
        """Use ``reference`` (all of it, at least 2 values) as the reference sample; then reset."""
        ref = check_signal(reference, name="reference", min_length=2)
        if self.test == "ks" and _table_size(self.window_size, ref.shape[0]) > MAX_TABLE_SIZE:
            raise _size_error(self.window_size, ref.shape[0], "a reference of length")
        self.reference_ = ref.copy()
        return self.reset()

    def reset(self) -> TwoSampleTest:
        ref = getattr(self, "reference_", None)
        self.engine_ = _TestEngine(self.get_params(), {} if ref is None else {"reference": ref})
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """The p-value at every test position (NaN elsewhere), as if no alarm reset the detector.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import TwoSampleTest
        >>> x = np.random.default_rng(0).normal(size=700)
        >>> p = TwoSampleTest(test="mann_whitney").trace(x)
        >>> np.flatnonzero(~np.isnan(p)).tolist()
        [599, 699]
        """
        return self._engine_trace(signal)

    def _not_exportable_reason(self) -> str:
        return _NOT_EXPORTABLE.format(name=f"TwoSampleTest(test={self.test!r})")

    @classmethod
    def _test_instances(cls) -> list[TwoSampleTest]:
        return [cls(), cls(test="ks", window_size=30, reference_size=60, step=7),
                cls(test="welch", alpha=0.05, window_size=20, reference_size=40, step=1,
                    reset_on_drift=False),
                cls(test="mann_whitney", window_size=50, reference_size=100, step=10),
                cls(test="anderson_darling", window_size=60, reference_size=120, step=30)]


# --- distances --------------------------------------------------------------------------------


class _DistanceEngine(_WindowEngine):
    """Windowed distance; raw results are the distances."""

    __slots__ = ("threshold", "measure", "n_bins")

    def _setup(self, params: dict[str, Any], fitted: dict[str, Any]) -> Any:
        self.threshold = float(params["threshold"])
        self.measure = params["measure"]
        self.n_bins = int(params["n_bins"])
        ref = fitted.get("reference")
        return None if ref is None else self._prepare(ref)

    def _prepare(self, reference: np.ndarray) -> Any:
        if self.measure == "wasserstein":
            scale = float(np.std(reference, ddof=1))
            return np.sort(reference), (scale if scale > 0.0 else 1.0)
        edges, expected = psi_edges(reference, self.n_bins)
        a = np.arange(self.window_size + 1, dtype=np.float64) / self.window_size
        terms = bin_terms(self.measure, a[None, :], expected[:, None])
        return edges, terms

    def _evaluate(self, ref: Any, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.measure == "wasserstein":
            sorted_ref, scale = ref
            values, is_ref = _pooled_rows(sorted_ref, windows)
            value = w1_rows(values, is_ref, sorted_ref.shape[0], windows.shape[1]) / scale
        else:
            edges, terms = ref
            k = windows.shape[0]
            n_bins = edges.shape[0] + 1
            idx = psi_bins(edges, windows) + (np.arange(k) * n_bins)[:, None]
            counts = np.bincount(idx.ravel(), minlength=k * n_bins).reshape(k, n_bins)
            value = finish(self.measure, psi_sum(terms, counts))
        return value, value > self.threshold


@register
class Distance(BaseDetector):
    """A distance of :mod:`mlmon.stats` between a sliding or tumbling window and a reference.

    Drift is signalled when the distance exceeds ``threshold``. The measures are those of the
    batch functions, with the reference's quantile bins (``n_bins``, as :class:`PSI`) for the
    binned ones:

    - ``"psi"``: population stability index (the same values as :class:`PSI`);
    - ``"kl"``: ``D(window || reference)`` in nats, empty bins floored at 1e-4;
    - ``"js"``: Jensen-Shannon distance, base 2 (0 to 1);
    - ``"hellinger"``: Hellinger distance (0 to 1);
    - ``"wasserstein"``: Wasserstein-1 distance divided by the reference's standard deviation
      (``ddof=1``; 1 for a constant reference; ``n_bins`` is not used), about ``d`` for a
      mean shift of ``d`` standard deviations.

    Distances have no p-value. On a window of ``n`` values the null level of a binned
    distance grows with ``n_bins / n``; calibrate ``threshold`` to a false-alarm budget with
    :mod:`mlmon.tuning` rather than reusing rules of thumb across window sizes.

    Parameters
    ----------
    measure
        ``"wasserstein"``, ``"psi"``, ``"kl"``, ``"js"`` or ``"hellinger"``.
    threshold
        Alarm level on the distance.
    window_size
        Length of the test window.
    reference_size
        Values taken from the stream as reference when the detector is not fitted.
    step
        Values between tests; None means ``window_size`` (tumbling windows).
    n_bins
        Number of reference-quantile bins of the binned measures.
    reset_on_drift
        After an alarm, go back to the just-fitted state.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import Distance
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 500)])
    >>> det = Distance(measure="wasserstein", threshold=0.5)
    >>> det.run(x).first
    1099
    >>> r = det.reset().fit(x[:500]).update(x[1000:1100])
    >>> r.drift, round(r.statistic, 1), r.pvalue
    (True, 1.0, None)
    """

    exportable = False

    def __init__(
        self,
        *,
        measure: Measure = "wasserstein",
        threshold: Annotated[float, Gt(0)] = 0.5,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(2)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        n_bins: Annotated[int, Ge(2)] = 10,
        reset_on_drift: bool = True,
    ):
        self.measure = measure
        self.threshold = threshold
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.n_bins = n_bins
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if self.measure != "wasserstein" and self.reference_size < self.n_bins:
            raise ValueError(
                f"Distance: parameter 'reference_size' ({self.reference_size}) must be at least "
                f"'n_bins' ({self.n_bins}) so that every quantile bin can hold reference values.")

    def fit(self, reference: Any) -> Distance:
        """Use ``reference`` (all of it) as the reference sample; then reset."""
        need = 2 if self.measure == "wasserstein" else self.n_bins
        ref = check_signal(reference, name="reference", min_length=need)
        self.reference_ = ref.copy()
        return self.reset()

    def reset(self) -> Distance:
        ref = getattr(self, "reference_", None)
        self.engine_ = _DistanceEngine(self.get_params(), {} if ref is None else {"reference": ref})
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """The distance at every test position (NaN elsewhere), as if no alarm reset the detector.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import Distance
        >>> x = np.random.default_rng(0).normal(size=700)
        >>> d = Distance(measure="js").trace(x)
        >>> np.flatnonzero(~np.isnan(d)).tolist()
        [599, 699]
        """
        return self._engine_trace(signal)

    def _not_exportable_reason(self) -> str:
        return _NOT_EXPORTABLE.format(name=f"Distance(measure={self.measure!r})")

    @classmethod
    def _test_instances(cls) -> list[Distance]:
        return [cls(), cls(measure="psi", threshold=0.25, n_bins=5, window_size=60,
                           reference_size=90, step=13),
                cls(measure="kl", threshold=0.3, window_size=50, reference_size=100, step=1,
                    reset_on_drift=False),
                cls(measure="js", threshold=0.3, window_size=80, reference_size=200, step=20),
                cls(measure="hellinger", threshold=0.3, window_size=100, reference_size=300)]
