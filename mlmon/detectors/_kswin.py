"""KSWIN, Kolmogorov-Smirnov windowing (Raab et al. 2020), for changes in distribution."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Callable, ClassVar, Literal

import numpy as np
from annotated_types import Ge, Gt, Le, Lt

from mlmon._optional import available
from mlmon.base import BaseDetector
from mlmon.detectors._ks import lattice_pvalues
from mlmon.detectors._registry import register
from mlmon.runtime import _kswin

#: Largest ``sample_size``: up to it scipy's ``ks_2samp`` computes exact p-values and reports
#: ``D`` on the lattice ``h / sample_size``, which the p-value table relies on.
MAX_SAMPLE_SIZE = 10_000


@cache
def _compiled() -> dict[str, Callable] | None:
    """The KSWIN functions compiled with numba, or None (then the plain Python ones run)."""
    if not available("numba"):
        return None
    import numba

    return _kswin.build(numba.njit(cache=True, nogil=True, error_model="numpy"))


@cache
def _table(k: int) -> np.ndarray:
    return lattice_pvalues(k, k).full()


@register
class KSWIN(BaseDetector):
    """Kolmogorov-Smirnov windowing (KSWIN, Raab et al. 2020): drift when the newest values of
    a sliding window differ in distribution from a random sample of the older ones.

    A window holds the last ``window_size`` values. Once it is full, at every value, the newest
    ``sample_size`` values are compared with ``sample_size`` values drawn at random, without
    replacement, from the older ``window_size - sample_size`` by the two-sample
    Kolmogorov-Smirnov test; drift when the p-value is at most ``alpha`` and the statistic
    ``D`` exceeds 0.1 (river's minimum effect). ``D`` is computed exactly as ``h /
    sample_size``; p-values are scipy's ``ks_2samp`` (exact) at every lattice point, tabulated
    once and exported with the detector, so :mod:`mlmon.runtime` needs no scipy.

    The statistic is ``D``; the reported ``pvalue`` is the test's p-value, taken as 1 when
    ``D <= 0.1`` (no drift is possible then), so that drift is ``pvalue <= alpha``. Without
    resets the p-values do not depend on ``alpha``, hence :meth:`trace`.

    The draws are those of ``random.Random(seed).sample``, the generator going back to
    ``seed`` at every reset, exactly as in river: ``KSWIN(alpha=a, window_size=n,
    sample_size=k, seed=s)`` raises the alarms of ``river.drift.KSWIN(alpha=a, window_size=n,
    stat_size=k, seed=s)`` (river's defaults are ``alpha=0.005, window_size=100,
    stat_size=30``, these ones). Deliberate differences: river's ``stat_size`` is
    ``sample_size`` here; river's ``window`` (values to start with) has no equivalent, and
    river forgets everything after an alarm (``reset_on_drift=True``); with
    ``reset_on_drift=False`` the window and the generator simply go on. With ``seed=None`` each
    reset draws fresh entropy, so runs are not repeatable (nor is an exported runtime
    identical); give a seed to compare or export.

    Parameters
    ----------
    alpha
        Significance level: drift when the p-value is at most ``alpha`` (and ``D > 0.1``).
    window_size
        Length of the sliding window.
    sample_size
        Size of the newest part tested and of the sample drawn from the older part (river's
        ``stat_size``); at most ``window_size / 2`` and at most 10,000.
    seed
        Seed of the ``random.Random`` generator that draws the samples.
    reset_on_drift
        Empty the window and reseed the generator after an alarm (as river does).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import KSWIN
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(2, 1, 500)])
    >>> alarms = KSWIN(alpha=0.0001, seed=42).run(x)
    >>> 1000 <= alarms.first < 1030
    True
    >>> r = KSWIN(seed=42).update(x[:100])
    >>> r.drift, r.n_seen, 0.0 <= r.pvalue <= 1.0
    (False, 100, True)
    """

    threshold_param = "alpha"
    threshold_direction: ClassVar[Literal["above", "below"]] = "below"

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.005,
        window_size: Annotated[int, Ge(2)] = 100,
        sample_size: Annotated[int, Ge(1), Le(MAX_SAMPLE_SIZE)] = 30,
        seed: int | None = None,
        reset_on_drift: bool = True,
    ):
        self.alpha = alpha
        self.window_size = window_size
        self.sample_size = sample_size
        self.seed = seed
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if 2 * self.sample_size > self.window_size:
            raise ValueError(
                f"KSWIN: sample_size ({self.sample_size}) must be at most half of window_size "
                f"({self.window_size}): the sample is drawn without replacement from the "
                f"window_size - sample_size older values; lower sample_size or raise window_size.")

    def _fitted(self) -> dict[str, Any]:
        table = getattr(self, "pvalue_table_", None)  # set when loaded from an export
        if table is None or table.shape != (self.sample_size + 1,):
            table = _table(self.sample_size)
        return {"pvalue_table": table}

    def reset(self) -> KSWIN:
        self.engine_ = _kswin.KSWINEngine(self.get_params(), self._fitted(), _compiled())
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """The p-value at every position (NaN until the window is full), as if no alarm reset
        the detector.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import KSWIN
        >>> p = KSWIN(window_size=40, sample_size=10, seed=0).trace(np.arange(60.0))
        >>> int(np.isnan(p).sum()), float(p[-1]) < 0.001
        (39, True)
        """
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        """``pvalue_table``: scipy's p-value of ``D = h / sample_size``, ``h = 0 .. sample_size``."""
        return self._fitted()

    def _import_state(self, state: dict[str, Any]) -> None:
        table = np.array(state["pvalue_table"], dtype=np.float64)
        if table.shape != (self.sample_size + 1,):
            raise ValueError(
                f"KSWIN: state['pvalue_table'] must have sample_size + 1 = {self.sample_size + 1} "
                f"entries, got shape {table.shape}; re-export the detector.")
        table.setflags(write=False)
        self.pvalue_table_ = table
        self.reset()

    @classmethod
    def _test_instances(cls) -> list[KSWIN]:
        return [cls(seed=1), cls(alpha=0.01, window_size=60, sample_size=20, seed=7,
                                 reset_on_drift=False)]
