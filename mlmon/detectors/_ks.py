"""Two-sample Kolmogorov-Smirnov test on a sliding or tumbling window."""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon._validation import check_signal
from mlmon.base import BaseDetector
from mlmon.detectors._registry import register
from mlmon.runtime._windowed import KSEngine

#: Largest lattice (``lcm(window_size, reference length) + 1`` points) KS accepts.
MAX_TABLE_SIZE = 200_001


def _table_size(n: int, m: int) -> int:
    return n // math.gcd(n, m) * m + 1


def _size_error(n: int, m: int, what: str) -> ValueError:
    return ValueError(
        f"KS: window_size={n} and {what} m={m} put the statistic on a lattice of "
        f"lcm(n, m) + 1 = {_table_size(n, m):,} values, more than the {MAX_TABLE_SIZE:,} KS "
        "tabulates. Choose sizes where one divides the other (e.g. a reference length that is "
        "a multiple of window_size)."
    )


class LatticePValues:
    """p-values of ``scipy.stats.ks_2samp`` on the lattice of a window and reference size.

    Entry ``h`` is the two-sided p-value (``method='auto'``) of a window of ``n`` values
    against a reference of ``m`` values whose statistic is ``D = h / lcm(n, m)``. Each entry
    is computed by scipy itself, on a pair of samples built to have exactly that statistic,
    so it is scipy's value bit for bit; entries are computed when first looked up and kept.
    Lattice points no pair of samples can reach hold the value of the nearest reachable point
    below (a search may look them up; a test never does).

    Parameters
    ----------
    n, m
        Window and reference sizes.

    Examples
    --------
    >>> from scipy import stats
    >>> table = LatticePValues(4, 6)
    >>> len(table)
    13
    >>> bool(table[7] == stats.ks_2samp([0, 0, 0, 1], [0, 1, 1, 1, 1, 1]).pvalue)
    True
    """

    def __init__(self, n: int, m: int):
        self.n, self.m = int(n), int(m)
        g = math.gcd(self.n, self.m)
        self.lcm = self.n // g * self.m
        # D = (c_window * a - c_reference * b) / lcm
        self.a, self.b = self.lcm // self.n, self.lcm // self.m
        self._inv = pow(self.a, -1, self.b) if self.b > 1 else 0
        self._values = np.full(self.lcm + 1, np.nan)

    def __len__(self) -> int:
        return self.lcm + 1

    def _counts(self, h: int) -> tuple[int, int] | None:
        """Window and reference counts ``(c1, c2)`` with ``c1 a - c2 b = h``, or None."""
        r = (h * self._inv) % self.b
        c1 = r + self.b * max(0, -(-(h - r * self.a) // (self.a * self.b)))
        if c1 > self.n:
            return None
        return c1, (c1 * self.a - h) // self.b

    def _value(self, h: int) -> float:
        cached = self._values[h]
        if cached == cached:
            return float(cached)
        reachable = h
        counts = self._counts(reachable)
        while counts is None:
            reachable -= 1
            counts = self._counts(reachable)
        value = self._values[reachable]
        if value != value:
            from scipy import stats

            c1, c2 = counts
            # the ECDF gap is c1/n - c2/m at 0 and none at 1: D is exactly reachable / lcm
            window = np.concatenate([np.zeros(c1), np.ones(self.n - c1)])
            reference = np.concatenate([np.zeros(c2), np.ones(self.m - c2)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                value = float(stats.ks_2samp(window, reference).pvalue)
            self._values[reachable] = value
        self._values[h] = value
        return float(value)

    def __getitem__(self, h: Any) -> Any:
        if np.ndim(h) == 0:
            return self._value(int(h))
        h = np.asarray(h, dtype=np.int64)
        missing = np.unique(h[np.isnan(self._values[h])])
        for k in missing.tolist():
            self._value(k)
        return self._values[h]

    def full(self) -> np.ndarray:
        """Every entry, as a read-only array (computing those not looked up yet).

        Costs roughly ``4e-9 * n * m * lcm(n, m)`` seconds when nothing was computed yet
        (0.1 s for 100 and 500, 2 s for 500 and 1000); a warning gives the estimate when it
        exceeds 10 s.
        """
        missing = np.flatnonzero(np.isnan(self._values))
        seconds = 8e-9 * self.n * self.m * float(missing.sum()) / self.lcm + 1.5e-4 * missing.size
        if seconds > 10:
            warnings.warn(
                f"KS: tabulating the p-values of window_size={self.n} against a reference of "
                f"{self.m} values ({self.lcm + 1:,} lattice points) takes about {seconds:.0f} s; "
                "sizes where one divides the other give a smaller table.",
                UserWarning, stacklevel=3)
        for k in missing.tolist():
            self._value(k)
        out = self._values.copy()
        out.setflags(write=False)
        return out


@lru_cache(maxsize=64)
def lattice_pvalues(n: int, m: int) -> LatticePValues:
    """The shared, lazily filled :class:`LatticePValues` of sizes ``n`` and ``m``.

    Examples
    --------
    >>> lattice_pvalues(100, 500) is lattice_pvalues(100, 500)
    True
    """
    return LatticePValues(n, m)


def pvalue_table(n: int, m: int) -> np.ndarray:
    """The full p-value table of sizes ``n`` and ``m`` (``lcm(n, m) + 1`` entries, read-only).

    Building it costs about ``lcm(n, m) * n * m * 4e-9`` seconds the first time (0.1 s for
    100 and 500, 2 s for 500 and 1000); detectors look p-values up lazily instead and only
    need the full table for export.

    Examples
    --------
    >>> table = pvalue_table(10, 20)
    >>> table.shape, float(table[0]), bool(np.all(np.diff(table) <= 0))
    ((21,), 1.0, True)
    """
    return lattice_pvalues(n, m).full()


@register
class KS(BaseDetector):
    """Two-sample Kolmogorov-Smirnov test of a test window against a reference sample.

    The last ``window_size`` values are compared with the reference every ``step`` values
    (tumbling windows by default); drift is signalled when the two-sided p-value is below
    ``alpha``. The statistic ``D`` and its p-value are those of ``scipy.stats.ks_2samp``
    (default ``method='auto'``): ``D`` is computed exactly as an integer multiple
    ``h / lcm(window_size, m)``, drift is ``h`` at or above a critical numerator, and
    p-values come from a table of scipy's p-value at every lattice point, filled on demand
    and shared by all detectors of the same sizes (see :class:`LatticePValues`). The full
    table is exported with the detector, so :mod:`mlmon.runtime` reproduces every decision
    and p-value without scipy.

    The reference is the sample passed to :meth:`fit` (all of it; ``m`` is its length) or,
    unfitted, the first ``reference_size`` values of the stream (collected afresh after each
    reset). No decision is taken while the reference is collected, nor between tests
    (``statistic`` is NaN then).

    Parameters
    ----------
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size
        Length ``n`` of the test window.
    reference_size
        Values taken from the stream as reference when the detector is not fitted.
    step
        Values between tests; None means ``window_size`` (tumbling windows), 1 a sliding
        window tested at every value.
    reset_on_drift
        After an alarm, go back to the just-fitted state (a fitted reference is kept; an
        unfitted detector collects a new reference).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import KS
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 500)])
    >>> det = KS(alpha=0.001, window_size=100, reference_size=500)
    >>> det.run(x).first
    1099
    >>> r = det.reset().fit(x[:500]).update(x[1000:1100])
    >>> r.drift, round(r.statistic, 2), r.pvalue < 0.001
    (True, 0.4, True)
    """

    threshold_param = "alpha"
    threshold_direction = "below"

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(1)] = 100,
        reference_size: Annotated[int, Ge(1)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        reset_on_drift: bool = True,
    ):
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if _table_size(self.window_size, self.reference_size) > MAX_TABLE_SIZE:
            raise _size_error(self.window_size, self.reference_size, "reference_size")

    def fit(self, reference: Any) -> KS:
        """Use ``reference`` (all of it) as the reference sample; then reset."""
        ref = check_signal(reference, name="reference")
        if _table_size(self.window_size, ref.shape[0]) > MAX_TABLE_SIZE:
            raise _size_error(self.window_size, ref.shape[0], "a reference of length")
        self.reference_ = np.sort(ref)
        return self.reset()

    def _fitted(self) -> dict[str, Any]:
        ref = getattr(self, "reference_", None)
        m = self.reference_size if ref is None else int(ref.shape[0])
        table = getattr(self, "pvalue_table_", None)  # set when loaded from an export
        if table is None or table.shape != (_table_size(self.window_size, m),):
            table = lattice_pvalues(self.window_size, m)
        out: dict[str, Any] = {"pvalue_table": table}
        if ref is not None:
            out["reference"] = ref
        return out

    def reset(self) -> KS:
        self.engine_ = KSEngine(self.get_params(), self._fitted())
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """The p-value at every test position (NaN elsewhere), as if no alarm reset the detector.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import KS
        >>> x = np.random.default_rng(0).normal(size=700)
        >>> p = KS(window_size=100, reference_size=500).trace(x)
        >>> np.flatnonzero(~np.isnan(p)).tolist()
        [599, 699]
        """
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        """``pvalue_table`` (always, every lattice point) and the sorted ``reference`` (when fitted)."""
        out = self._fitted()
        if isinstance(out["pvalue_table"], LatticePValues):
            out["pvalue_table"] = out["pvalue_table"].full()
        return out

    @classmethod
    def _test_instances(cls) -> list[KS]:
        return [cls(), cls(window_size=30, reference_size=45, step=7),
                cls(alpha=0.05, window_size=20, reference_size=40, step=1, reset_on_drift=False)]

    def _import_state(self, state: dict[str, Any]) -> None:
        """Restore an exported state: the reference and the p-value table as exported."""
        ref = state.get("reference")
        if ref is not None:
            ref = np.sort(check_signal(ref, name="state['reference']"))
        self.reference_ = ref
        m = self.reference_size if ref is None else int(ref.shape[0])
        table = np.array(state["pvalue_table"], dtype=np.float64)
        if table.shape != (_table_size(self.window_size, m),):
            raise ValueError(
                f"KS: state['pvalue_table'] must have lcm(window_size, m) + 1 = "
                f"{_table_size(self.window_size, m)} entries for window_size={self.window_size} "
                f"and m={m}, got shape {table.shape}; re-export the detector."
            )
        table.setflags(write=False)
        self.pvalue_table_ = table
        self.reset()
