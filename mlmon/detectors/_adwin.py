"""ADWIN, adaptive windowing (Bifet and Gavalda 2007), for changes in the mean of a signal."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Callable, ClassVar, Literal

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon._optional import available
from mlmon.base import BaseDetector
from mlmon.detectors._registry import register
from mlmon.runtime import _adwin


@cache
def _compiled() -> dict[str, Callable] | None:
    """The ADWIN functions compiled with numba, or None (then the plain Python ones run)."""
    if not available("numba"):
        return None
    import numba

    return _adwin.build(numba.njit(cache=True, nogil=True, error_model="numpy"))


@register
class ADWIN(BaseDetector):
    """Adaptive windowing (ADWIN2, Bifet and Gavalda 2007): drift when two parts of an adaptive
    window have different means.

    The window holds the values since the last change, summarised in an exponential histogram
    (at most ``max_buckets + 1`` buckets of each size ``2**i``). Every ``clock`` values, once
    the window holds more than ``min_samples`` values, every cut of the window into an older
    and a newer part (each at least ``min_window_length`` long) is tested with ADWIN's
    Bernstein-type bound at confidence ``threshold``; drift is signalled when some cut holds,
    and the window then drops its oldest buckets until no cut holds.

    The statistic (also reported as ``pvalue``) is the smallest ``threshold`` at which some
    cut of the current window would hold, capped at 1: drift is signalled, up to rounding,
    when it is below ``threshold``, so a smaller threshold gives fewer alarms. Before the
    first alarm it does not depend on the threshold, hence :meth:`trace`. ADWIN's bound holds
    at every level, so it is a valid, conservative p-value of the cut tests.

    The arithmetic is river's ``drift.ADWIN``, operation for operation:
    ``ADWIN(threshold=d, clock=c, max_buckets=b, min_window_length=l, min_samples=g)`` raises
    the alarms of ``river.drift.ADWIN(delta=d, clock=c, max_buckets=b, min_window_length=l,
    grace_period=g)``, whose defaults are these. river forgets the whole window after an
    alarm (``reset_on_drift=True``, the default); ``reset_on_drift=False`` is the original
    algorithm, which keeps the shrunken window.

    Parameters
    ----------
    threshold
        Confidence ``delta`` of the cut test (river's ``delta``).
    clock
        Values between two tests of the cuts (1: test at every value).
    max_buckets
        Buckets of each size kept before the two oldest merge (at least 2).
    min_window_length
        Shortest part of the window a cut may leave on either side.
    min_samples
        Values the window must exceed before any test (river's ``grace_period``).
    reset_on_drift
        Forget the whole window after an alarm (as river does); False keeps the window the
        cuts left.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import ADWIN
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
    >>> det = ADWIN()
    >>> alarms = det.run(x)
    >>> 1000 <= alarms.first < 1100
    True
    >>> r = ADWIN().update(x[:64])
    >>> r.drift, 0.0 < r.pvalue <= 1.0, r.n_seen
    (False, True, 64)
    """

    threshold_direction: ClassVar[Literal["above", "below"]] = "below"

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0), Lt(1)] = 0.002,
        clock: Annotated[int, Ge(1)] = 32,
        max_buckets: Annotated[int, Ge(2)] = 5,
        min_window_length: Annotated[int, Ge(1)] = 5,
        min_samples: Annotated[int, Ge(1)] = 10,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.clock = clock
        self.max_buckets = max_buckets
        self.min_window_length = min_window_length
        self.min_samples = min_samples
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def reset(self) -> ADWIN:
        self.engine_ = _adwin.ADWINEngine(self.get_params(), {}, _compiled())
        return self

    @property
    def width_(self) -> int:
        """Values in the adaptive window now."""
        return self.engine_.width

    def trace(self, signal: Any) -> np.ndarray:
        """The statistic at every position (NaN between tests), the window shrinking at each
        cut as with ``reset_on_drift=False``; before the first alarm it does not depend on the
        threshold.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import ADWIN
        >>> x = np.random.default_rng(0).normal(size=100)
        >>> t = ADWIN().trace(x)
        >>> np.flatnonzero(~np.isnan(t)).tolist()
        [31, 63, 95]
        """
        return self._engine_trace(signal)

    @classmethod
    def _test_instances(cls) -> list[ADWIN]:
        return [cls(), cls(threshold=0.01, clock=1, max_buckets=2, min_window_length=3,
                           min_samples=20, reset_on_drift=False)]
