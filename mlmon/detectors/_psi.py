"""Population stability index (PSI) of a sliding or tumbling window against a reference."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from annotated_types import Ge, Gt

from mlmon._validation import check_signal
from mlmon.base import BaseDetector
from mlmon.detectors._registry import register
from mlmon.runtime._windowed import PSIEngine, psi_edges, psi_terms


@register
class PSI(BaseDetector):
    """Population stability index of a test window against a reference sample.

    Bins are quantile bins of the reference: interior edges at the reference's
    ``k / n_bins`` quantiles, each the smallest reference value whose empirical CDF reaches
    ``k / n_bins`` (``np.quantile(..., method="inverted_cdf")``), duplicates dropped (so
    discrete data get at most one bin per distinct value), outer edges -inf and +inf; bin
    ``i`` holds the values in ``(edge_{i-1}, edge_i]``. With ``e_i`` the reference's
    proportion in bin ``i`` and ``a_i`` the window's,

    .. math:: \\mathrm{PSI} = \\sum_i (a_i - e_i) \\ln(a_i / e_i),

    where every proportion below ``1e-4`` (in practice an empty bin) is raised to ``1e-4``
    first; proportions are not renormalised afterwards. Drift is signalled when PSI exceeds
    ``threshold`` (0.1 and 0.25 are the usual "moderate" and "major" shift levels). PSI has
    no p-value.

    The last ``window_size`` values are tested every ``step`` values (tumbling windows by
    default). The reference is the sample passed to :meth:`fit` or, unfitted, the first
    ``reference_size`` values of the stream (collected afresh after each reset); no decision
    is taken meanwhile, nor between tests (``statistic`` is NaN then).

    Parameters
    ----------
    threshold
        Alarm level on PSI.
    n_bins
        Number of quantile bins (fewer when the reference has tied quantiles).
    window_size
        Length of the test window.
    reference_size
        Values taken from the stream as reference when the detector is not fitted.
    step
        Values between tests; None means ``window_size`` (tumbling windows).
    reset_on_drift
        After an alarm, go back to the just-fitted state (a fitted reference is kept; an
        unfitted detector collects a new reference).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import PSI
    >>> rng = np.random.default_rng(0)
    >>> det = PSI(threshold=0.2).fit(rng.normal(0, 1, 1000))
    >>> x = np.concatenate([rng.normal(0, 1, 1500), rng.normal(1, 1, 1000)])
    >>> det.run(x).first
    1999
    >>> r = det.reset().update(rng.normal(1, 1, 500))
    >>> r.drift, r.statistic > 0.2, r.pvalue
    (True, True, None)
    """

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 0.2,
        n_bins: Annotated[int, Ge(2)] = 10,
        window_size: Annotated[int, Ge(1)] = 500,
        reference_size: Annotated[int, Ge(2)] = 1000,
        step: Annotated[int, Ge(1)] | None = None,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.n_bins = n_bins
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        if self.reference_size < self.n_bins:
            raise ValueError(
                f"PSI: parameter 'reference_size' ({self.reference_size}) must be at least "
                f"'n_bins' ({self.n_bins}) so that every quantile bin can hold reference values."
            )

    def fit(self, reference: Any) -> PSI:
        """Derive the bin edges and the reference proportions from ``reference``; then reset."""
        ref = check_signal(reference, name="reference", min_length=self.n_bins)
        self.edges_, self.expected_ = psi_edges(ref, self.n_bins)
        self.terms_ = psi_terms(self.expected_, self.window_size)
        return self.reset()

    def _fitted(self) -> dict[str, Any]:
        if getattr(self, "edges_", None) is None:
            return {}
        return {"edges": self.edges_, "expected": self.expected_, "terms": self.terms_}

    def reset(self) -> PSI:
        self.engine_ = PSIEngine(self.get_params(), self._fitted())
        return self

    def trace(self, signal: Any) -> np.ndarray:
        """PSI at every test position (NaN elsewhere), as if no alarm reset the detector.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.detectors import PSI
        >>> x = np.random.default_rng(0).normal(size=2000)
        >>> psi = PSI().trace(x)
        >>> np.flatnonzero(~np.isnan(psi)).tolist()
        [1499, 1999]
        """
        return self._engine_trace(signal)

    def _export_state(self) -> dict[str, Any]:
        """When fitted: ``edges`` (interior bin edges), ``expected`` (reference proportions) and
        ``terms``, the per-bin PSI term for every possible window count, so that a production
        runtime adds table entries and never takes a logarithm: its PSI values are then
        bit-identical whatever its numpy version."""
        return self._fitted()

    @classmethod
    def _test_instances(cls) -> list[PSI]:
        return [cls(), cls(threshold=0.25, n_bins=5, window_size=60, reference_size=90, step=13),
                cls(window_size=50, reference_size=100, step=1, reset_on_drift=False)]

    def _import_state(self, state: dict[str, Any]) -> None:
        """Restore exported bin edges and reference proportions."""
        if not state:
            self.edges_ = self.expected_ = self.terms_ = None
            self.reset()
            return
        edges = np.array(state["edges"], dtype=np.float64)
        expected = np.array(state["expected"], dtype=np.float64)
        if edges.ndim != 1 or expected.shape != (edges.shape[0] + 1,):
            raise ValueError(
                f"PSI: state['expected'] must have len(edges) + 1 = {edges.shape[0] + 1} "
                f"entries, got shape {expected.shape}; re-export the detector."
            )
        self.edges_, self.expected_ = edges, expected
        terms = state.get("terms")
        self.terms_ = (np.array(terms, dtype=np.float64) if terms is not None
                       else psi_terms(expected, self.window_size))
        self.reset()


__all__ = ["PSI"]
