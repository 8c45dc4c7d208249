"""Windowed multivariate drift detectors: MMD, LSDD, classifier test, PCA reconstruction error.

Each monitors a stream of rows (``d`` features each) with the windowing of
:class:`mlmon.detectors.KS`: the reference is the sample passed to ``fit`` or, unfitted, the
first ``reference_size`` rows of the stream (collected afresh after each reset); once it is in
place the last ``window_size`` rows are tested every ``step`` rows (``step=None``: tumbling
windows), and an alarm is raised at the window's last row. No decision is taken while the
reference is collected, nor between tests (``statistic`` is NaN then).

Permutations (and folds) are drawn from one generator seeded with ``seed`` at every reset,
in test order, so ``run`` and a loop of ``update`` give the same tests, bit for bit.
"""

from __future__ import annotations

import math
import numbers
from typing import Annotated, Any, Literal

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._registry import register
from mlmon.stats._classifier import _check_model, classifier_pvalue
from mlmon.stats._lsdd import lsdd_prepare, lsdd_split_statistics
from mlmon.stats._mmd import (
    _permutation_indicators,
    _resolve_backend,
    check_rows,
    kernel_matrix,
    median_heuristic,
    permutation_pvalue,
    split_statistics,
)

__all__ = ["ClassifierTest", "LSDD", "MMD", "PCAReconstruction", "WindowedRows", "mmd_prepare",
           "mmd_window_test"]


def _as_rows(x: Any, n_features: int | None) -> np.ndarray:
    """One row (1-D) or a batch of rows (2-D) for ``update``, as a 2-D float64 array."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be a row of numbers (1-D) or a batch of rows (2-D), got {type(x).__name__}.")
    if hasattr(x, "columns"):
        return check_rows(x, name="x", n_features=n_features)
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"x must be a row of numbers or a batch of rows: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind in "USVMmc":
        raise TypeError(f"x must be numeric, got dtype {arr.dtype}.")
    if arr.ndim == 0:
        want = "" if n_features is None else f" of {n_features} values"
        raise ValueError(
            f"x must be one row{want} (1-D) or a batch of rows (2-D), got the scalar {x!r}; this "
            "detector monitors several features at once."
        )
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    return check_rows(arr, name="x", n_features=n_features)


class WindowedRows:
    """Windowing of a multivariate stream shared by the detectors of this module.

    A class lists it before :class:`~mlmon.base.BaseDetector` among its bases and defines
    ``_prepare(reference) -> prepared`` (what a test needs from the reference) and
    ``_evaluate(prepared, window, rng) -> (statistic, pvalue)``; it has parameters
    ``window_size``, ``reference_size``, ``step``, ``reset_on_drift`` and, for randomised
    tests, ``seed``.

    Examples
    --------
    >>> from mlmon.detectors._multivariate import MMD
    >>> issubclass(MMD, WindowedRows)
    True
    """

    signal_kind = "multivariate"
    exportable = False

    #: Fewest rows a reference needs.
    _min_reference = 2

    def _not_exportable_reason(self) -> str:
        return (f"{type(self).__name__} is a multivariate windowed test, which mlmon.runtime does "
                "not run yet; export a univariate detector (KS or PSI) per feature instead.")

    def _check_windowing(self) -> None:
        if self.reference_size < self._min_reference:
            raise ValueError(
                f"{type(self).__name__}: reference_size must be >= {self._min_reference}, got "
                f"{self.reference_size}."
            )

    # -- state ----------------------------------------------------------------------------
    def fit(self, reference: Any) -> Any:
        """Use ``reference`` (all its rows) as the reference sample; then reset."""
        ref = check_rows(reference, name="reference", min_rows=self._min_reference)
        prepared = self._prepare(ref)
        self.reference_ = ref
        self.fitted_ = prepared
        return self.reset()

    def reset(self) -> Any:
        """Back to the just-fitted state (an unfitted detector collects a new reference)."""
        ref = getattr(self, "reference_", None)
        self.prepared_ = getattr(self, "fitted_", None)
        self.n_features_ = None if ref is None else int(ref.shape[1])
        self.collect_ = None
        self.n_collected_ = 0
        self.window_ = None
        self.t_ = 0
        self.n_seen_ = 0
        self.rng_ = np.random.default_rng(getattr(self, "seed", None))
        return self

    def _snapshot(self) -> tuple:
        return (self.prepared_, self.n_features_,
                None if self.collect_ is None else self.collect_.copy(), self.n_collected_,
                None if self.window_ is None else self.window_.copy(), self.t_, self.n_seen_,
                self.rng_.bit_generator.state)

    def _restore(self, snap: tuple) -> None:
        (self.prepared_, self.n_features_, self.collect_, self.n_collected_, self.window_,
         self.t_, self.n_seen_, rng_state) = snap
        self.rng_ = np.random.default_rng(getattr(self, "seed", None))
        self.rng_.bit_generator.state = rng_state

    # -- stepping ---------------------------------------------------------------------------
    def _collect_rows(self, x: np.ndarray, pos: int) -> int:
        """Add rows of ``x`` from ``pos`` to the reference being collected; prepare it once
        complete. Returns the position after the rows taken."""
        if self.collect_ is None:
            self.n_features_ = int(x.shape[1])
            self.collect_ = np.empty((self.reference_size, x.shape[1]))
        take = min(self.reference_size - self.n_collected_, x.shape[0] - pos)
        self.collect_[self.n_collected_: self.n_collected_ + take] = x[pos: pos + take]
        self.n_collected_ += take
        self.n_seen_ += take
        if self.n_collected_ == self.reference_size:
            self.prepared_ = self._prepare(self.collect_.copy())
            self.collect_ = None
        return pos + take

    def _absorb(self, rows: np.ndarray) -> None:
        n, k = self.window_size, rows.shape[0]
        if self.window_ is None:
            self.window_ = np.zeros((n, rows.shape[1]))
        if k >= n:
            self.window_[:] = rows[k - n:]
        else:
            self.window_[: n - k] = self.window_[k:].copy()
            self.window_[n - k:] = rows
        t = self.t_ + k
        step = self.step or n
        self.t_ = t if t < n else n + (t - n) % step
        self.n_seen_ += k

    def _feed(self, x: np.ndarray, reset_on_drift: bool,
              scores: np.ndarray | None = None) -> tuple[list[tuple], int]:
        """Process rows in order; return the tests ``(row, statistic, pvalue, drift, n_seen)``
        and ``n_seen`` after the last row."""
        below = self.threshold_direction == "below"
        level = float(getattr(self, self.threshold_param))
        n, step = self.window_size, self.step or self.window_size
        events: list[tuple] = []
        pos, size, last_n_seen = 0, x.shape[0], self.n_seen_
        while pos < size:
            if self.prepared_ is None:
                pos = self._collect_rows(x, pos)
                last_n_seen = self.n_seen_
                continue
            t0 = self.t_
            j = n - t0 if t0 < n else step - (t0 - n) % step
            if pos + j > size:
                self._absorb(x[pos:])
                last_n_seen = self.n_seen_
                break
            self._absorb(x[pos: pos + j])
            pos += j
            last_n_seen = self.n_seen_
            statistic, pvalue = self._evaluate(self.prepared_, self.window_, self.rng_)
            value = pvalue if below else statistic
            drift = bool(value < level) if below else bool(value > level)
            events.append((pos - 1, float(statistic), pvalue, drift, last_n_seen))
            if scores is not None:
                scores[pos - 1] = value
            if drift and reset_on_drift:
                self.reset()
        return events, last_n_seen

    def update(self, x: Any) -> DriftResult:
        """Take one row (1-D, ``d`` values) or a batch of rows (2-D), processed in order.

        For a batch, the result is that of the first row that raised drift, with ``n_seen``
        counting the whole batch, or that of the last row when none did.
        """
        rows = _as_rows(x, self.n_features_)
        level = float(getattr(self, self.threshold_param))
        events, n_seen = self._feed(rows, self.reset_on_drift)
        first = next((e for e in events if e[3]), None)
        if first is None and events and events[-1][0] == rows.shape[0] - 1:
            first = events[-1]
        if first is None:
            return DriftResult(drift=False, statistic=math.nan, threshold=level, n_seen=int(n_seen))
        _, statistic, pvalue, drift, _ = first
        return DriftResult(drift=drift, statistic=statistic, threshold=level,
                           pvalue=None if pvalue is None else float(pvalue), n_seen=int(n_seen))

    def run(self, signal: Any) -> Alarms:
        """Process a whole ``(n, d)`` signal; same alarms and final state as a loop of ``update``."""
        x = check_rows(signal, name="signal", n_features=self.n_features_)
        events, _ = self._feed(x, self.reset_on_drift)
        return Alarms(indices=np.array([e[0] for e in events if e[3]], dtype=np.int64),
                      n_seen=int(x.shape[0]))

    def trace(self, signal: Any) -> np.ndarray:
        """The value compared with the threshold at every test row (NaN elsewhere): the
        p-value, or the statistic for threshold detectors; as if no alarm reset the detector.
        The detector's state is left unchanged."""
        x = check_rows(signal, name="signal", n_features=self.n_features_)
        out = np.full(x.shape[0], np.nan)
        snap = self._snapshot()
        try:
            self._feed(x, False, out)
        finally:
            self._restore(snap)
        return out

    def _skip_checks(self) -> dict[str, str]:
        return {}


# --- MMD ---------------------------------------------------------------------------------


def mmd_prepare(reference: np.ndarray, *, sigma: float | None, kernel: str) -> tuple:
    """``(reference, sigma, zero-diagonal reference kernel matrix)`` for windowed MMD tests;
    ``sigma=None`` takes the median heuristic on the reference.

    Examples
    --------
    >>> ref, sigma, k_rr = mmd_prepare(np.eye(3), sigma=None, kernel="rbf")
    >>> round(sigma, 4), k_rr.shape
    (1.0, (3, 3))
    """
    bw = median_heuristic(reference) if sigma is None else float(sigma)
    k_rr = kernel_matrix(reference, reference, bw, kernel)
    np.fill_diagonal(k_rr, 0.0)
    return reference, bw, k_rr


def mmd_window_test(prepared: tuple, window: np.ndarray, rng: np.random.Generator, *,
                    kernel: str, n_permutations: int, backend: str,
                    device: Any = None) -> tuple[float, float]:
    """``(MMD^2_u, permutation p-value)`` of ``window`` against a prepared reference.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> prep = mmd_prepare(rng.normal(size=(60, 2)), sigma=None, kernel="rbf")
    >>> stat, p = mmd_window_test(prep, rng.normal(2.0, 1.0, (30, 2)), rng, kernel="rbf",
    ...                           n_permutations=50, backend="numpy")
    >>> p < 0.05
    True
    """
    ref, bw, k_rr = prepared
    m = ref.shape[0]
    k_rw = kernel_matrix(ref, window, bw, kernel)
    k_ww = kernel_matrix(window, window, bw, kernel)
    np.fill_diagonal(k_ww, 0.0)
    k = np.block([[k_rr, k_rw], [k_rw.T, k_ww]])
    splits = _permutation_indicators(rng, k.shape[0], window.shape[0], n_permutations)
    stats = split_statistics(k, m, splits, backend=_resolve_backend(backend), device=device)
    return float(stats[0]), permutation_pvalue(float(stats[0]), stats[1:])


def _check_sigma_param(owner: Any) -> None:
    sigma = owner.sigma
    if sigma is not None and not sigma > 0:
        raise ValueError(f"{type(owner).__name__}: parameter 'sigma' must be > 0 or None, got {sigma!r}.")


def _check_permutations(owner: Any) -> None:
    """A permutation p-value is at least ``1 / (B + 1)``: refuse an ``alpha`` it cannot reach."""
    smallest = 1.0 / (owner.n_permutations + 1)
    if smallest >= owner.alpha:
        need = math.ceil(1.0 / owner.alpha)
        raise ValueError(
            f"{type(owner).__name__}: with n_permutations={owner.n_permutations} the smallest "
            f"p-value is {smallest:.3g}, not below alpha={owner.alpha}, so the detector could "
            f"never fire; use n_permutations >= {need} or a larger alpha."
        )


@register
class MMD(WindowedRows, BaseDetector):
    """Maximum mean discrepancy permutation test of a window of rows against a reference.

    Each test computes the unbiased squared MMD (:func:`mlmon.stats._mmd.mmd`) between the
    reference rows and the last ``window_size`` rows and its permutation p-value; drift when
    the p-value is below ``alpha``. The reference's kernel matrix and bandwidth are computed
    once, when the reference is fitted or collected.

    Parameters
    ----------
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size
        Rows in the test window (at least 2).
    reference_size
        Rows taken from the stream as reference when the detector is not fitted.
    step
        Rows between tests; None means ``window_size`` (tumbling windows).
    kernel
        ``"rbf"`` (Gaussian) or ``"laplacian"``.
    sigma
        Kernel bandwidth; None: the median heuristic on the reference.
    n_permutations
        Permutations behind each p-value (the smallest p-value is ``1 / (n_permutations + 1)``,
        so ``alpha`` must be above it for the detector to ever fire).
    backend, device
        Where the permutation product runs (see :func:`mlmon.stats._mmd.mmd`); both backends
        give the same p-values.
    reset_on_drift
        After an alarm, go back to the just-fitted state.
    seed
        Seed of the permutations, drawn afresh at every reset.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors._multivariate import MMD
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(300, 3)), rng.normal(1.0, 1.0, (100, 3))])
    >>> det = MMD(alpha=0.01, window_size=50, reference_size=200, n_permutations=100,
    ...           backend="numpy")
    >>> det.run(x).first
    349
    """

    threshold_param = "alpha"
    threshold_direction = "below"

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(2)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        kernel: Literal["rbf", "laplacian"] = "rbf",
        sigma: float | None = None,
        n_permutations: Annotated[int, Ge(1)] = 100,
        backend: Literal["auto", "numpy", "torch"] = "auto",
        device: str | None = None,
        reset_on_drift: bool = True,
        seed: int | None = 0,
    ):
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.kernel = kernel
        self.sigma = sigma
        self.n_permutations = n_permutations
        self.backend = backend
        self.device = device
        self.reset_on_drift = reset_on_drift
        self.seed = seed
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        _check_sigma_param(self)
        _check_permutations(self)

    def _prepare(self, reference: np.ndarray) -> tuple:
        return mmd_prepare(reference, sigma=self.sigma, kernel=self.kernel)

    def _evaluate(self, prepared: tuple, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, float]:
        return mmd_window_test(prepared, window, rng, kernel=self.kernel,
                               n_permutations=self.n_permutations, backend=self.backend,
                               device=self.device)

    @classmethod
    def _test_instances(cls) -> list[MMD]:
        return [cls(window_size=30, reference_size=60, n_permutations=100, backend="numpy"),
                cls(alpha=0.05, window_size=20, reference_size=40, step=7, n_permutations=30,
                    kernel="laplacian", backend="numpy", reset_on_drift=False)]


# --- LSDD --------------------------------------------------------------------------------


@register
class LSDD(WindowedRows, BaseDetector):
    """Least-squares density difference permutation test of a window of rows.

    Each test estimates the LSDD between the reference and the last ``window_size`` rows
    (:func:`mlmon.stats._lsdd.lsdd`: standardised by the reference, Gaussian kernel model
    on ``n_kernel_centers`` reference rows) and its permutation p-value; drift when the
    p-value is below ``alpha``. Standardisation, bandwidth and kernel centers are fixed
    when the reference is fitted or collected, so a test costs ``O(rows x centers)``.

    Parameters
    ----------
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size, reference_size, step
        Windowing, as for :class:`MMD`.
    sigma
        Kernel bandwidth on the standardised data; None: the median heuristic.
    n_kernel_centers
        Reference rows used as kernel centers; None: ``max(1, reference rows // 20)``.
    lambda_rd_max
        Largest relative difference the ridge regularisation may cause.
    n_permutations
        Permutations behind each p-value.
    reset_on_drift
        After an alarm, go back to the just-fitted state.
    seed
        Seed of the kernel centers and of the permutations.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors._multivariate import LSDD
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(300, 3)), rng.normal(1.0, 1.0, (100, 3))])
    >>> LSDD(window_size=50, reference_size=200).run(x).first
    349
    """

    threshold_param = "alpha"
    threshold_direction = "below"
    _min_reference = 3

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(3)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        sigma: float | None = None,
        n_kernel_centers: Annotated[int, Ge(1)] | None = None,
        lambda_rd_max: Annotated[float, Gt(0), Lt(1)] = 0.2,
        n_permutations: Annotated[int, Ge(1)] = 100,
        reset_on_drift: bool = True,
        seed: int | None = 0,
    ):
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.sigma = sigma
        self.n_kernel_centers = n_kernel_centers
        self.lambda_rd_max = lambda_rd_max
        self.n_permutations = n_permutations
        self.reset_on_drift = reset_on_drift
        self.seed = seed
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        _check_sigma_param(self)
        _check_permutations(self)
        if self.n_kernel_centers is not None and self.n_kernel_centers >= self.reference_size:
            raise ValueError(
                f"LSDD: n_kernel_centers={self.n_kernel_centers} must be below reference_size="
                f"{self.reference_size} (the centers are reference rows set aside)."
            )

    def _prepare(self, reference: np.ndarray) -> Any:
        return lsdd_prepare(reference, sigma=self.sigma, n_kernel_centers=self.n_kernel_centers,
                            lambda_rd_max=self.lambda_rd_max,
                            seed=np.random.default_rng(self.seed))

    def _evaluate(self, prepared: Any, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, float]:
        n_total = prepared.k_ref.shape[0] + window.shape[0]
        splits = _permutation_indicators(rng, n_total, window.shape[0], self.n_permutations)
        stats = lsdd_split_statistics(prepared, window, splits)
        return float(stats[0]), permutation_pvalue(float(stats[0]), stats[1:])

    @classmethod
    def _test_instances(cls) -> list[LSDD]:
        return [cls(window_size=30, reference_size=60, n_permutations=100),
                cls(alpha=0.05, window_size=20, reference_size=40, step=7, n_permutations=30,
                    reset_on_drift=False)]


# --- classifier --------------------------------------------------------------------------


@register
class ClassifierTest(WindowedRows, BaseDetector):
    """Classifier two-sample test of a window of rows against the reference.

    Each test cross-fits ``model`` to tell the window's rows from the reference's
    (:func:`mlmon.stats._classifier.classifier_test`); the statistic is the out-of-fold AUC,
    and drift is signalled when the p-value (binomial on out-of-fold correct predictions,
    or permutation of the labels) is below ``alpha``.

    Parameters
    ----------
    alpha
        Significance level of each test: drift when ``pvalue < alpha``.
    window_size, reference_size, step
        Windowing, as for :class:`MMD`. The binomial p-value compares the accuracy with the
        majority-class rate ``max(m, n) / (m + n)``, so it is most powerful when the reference
        and the window have about the same size (the default); with a much larger
        reference prefer ``pvalue="permutation"``.
    model
        Unfitted scikit-learn classifier with ``predict_proba`` (cloned for every fold);
        None: logistic regression on degree-2 polynomial terms
        (:func:`mlmon.stats._classifier.default_classifier`).
    n_folds
        Folds of the cross-fitting.
    pvalue
        ``"binomial"`` or ``"permutation"`` (``n_permutations`` refits per test).
    n_permutations
        Label shuffles for ``pvalue="permutation"``.
    reset_on_drift
        After an alarm, go back to the just-fitted state.
    seed
        Seed of the folds and shuffles, and of a model ``random_state`` left at None.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors._multivariate import ClassifierTest
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(size=(300, 3)), rng.normal(1.0, 1.0, (100, 3))])
    >>> ClassifierTest(window_size=50, reference_size=100, n_folds=3).run(x).first
    349
    """

    threshold_param = "alpha"
    threshold_direction = "below"

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] = 0.01,
        window_size: Annotated[int, Ge(2)] = 100,
        reference_size: Annotated[int, Ge(2)] = 100,
        step: Annotated[int, Ge(1)] | None = None,
        model: Any = None,
        n_folds: Annotated[int, Ge(2)] = 5,
        pvalue: Literal["binomial", "permutation"] = "binomial",
        n_permutations: Annotated[int, Ge(1)] = 100,
        reset_on_drift: bool = True,
        seed: int | None = 0,
    ):
        self.alpha = alpha
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.model = model
        self.n_folds = n_folds
        self.pvalue = pvalue
        self.n_permutations = n_permutations
        self.reset_on_drift = reset_on_drift
        self.seed = seed
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        _check_model(self.model)
        if self.pvalue == "permutation":
            _check_permutations(self)
        if self.n_folds > min(self.window_size, self.reference_size):
            raise ValueError(
                f"ClassifierTest: n_folds={self.n_folds} needs at least that many rows in the "
                f"window and the reference (window_size={self.window_size}, reference_size="
                f"{self.reference_size})."
            )

    def _prepare(self, reference: np.ndarray) -> np.ndarray:
        if reference.shape[0] < self.n_folds:
            raise ValueError(f"ClassifierTest: the reference needs at least n_folds={self.n_folds} "
                             f"rows, got {reference.shape[0]}.")
        return reference

    def _evaluate(self, prepared: np.ndarray, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, float]:
        x = np.concatenate([prepared, window])
        scores, p = classifier_pvalue(x, prepared.shape[0], model=_check_model(self.model),
                                      n_folds=self.n_folds, pvalue=self.pvalue,
                                      n_permutations=self.n_permutations, rng=rng)
        return scores.auc, p

    @classmethod
    def _test_instances(cls) -> list[ClassifierTest]:
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.tree import DecisionTreeClassifier

        # fast models keep the suite quick; the default model is tested in the test suite
        return [cls(window_size=100, reference_size=100, n_folds=2,
                    model=DecisionTreeClassifier(max_depth=3)),
                cls(alpha=0.05, window_size=60, reference_size=120, step=90, n_folds=3,
                    model=KNeighborsClassifier(n_neighbors=10), reset_on_drift=False)]


# --- PCA reconstruction error ------------------------------------------------------------


@register
class PCAReconstruction(WindowedRows, BaseDetector):
    """Mean PCA reconstruction error of a window, relative to the reference's.

    The reference is standardised (per-feature mean and standard deviation) and a PCA keeps
    ``n_components`` principal directions: an int, or a fraction of the variance to explain
    (the fewest components reaching it). At most ``d - 1`` components are kept, so that some
    direction is left to reconstruct. A window's statistic is the mean squared distance of its
    standardised rows to the principal subspace divided by the same mean over the reference
    rows: about 1 while the data keep the reference's correlation structure, larger when rows
    leave the subspace. Drift when it exceeds ``threshold``.

    Parameters
    ----------
    threshold
        Alarm level on the relative reconstruction error.
    n_components
        Components kept: an int ``>= 1``, or a float in ``(0, 1)``, the fraction of variance.
    window_size, reference_size, step
        Windowing, as for :class:`MMD`.
    reset_on_drift
        After an alarm, go back to the just-fitted state.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors._multivariate import PCAReconstruction
    >>> rng = np.random.default_rng(0)
    >>> cov = [[1.0, 0.9], [0.9, 1.0]]
    >>> ref = rng.multivariate_normal([0, 0], cov, 500)
    >>> broken = rng.multivariate_normal([0, 0], [[1.0, -0.9], [-0.9, 1.0]], 100)
    >>> det = PCAReconstruction(n_components=1, window_size=50).fit(ref)
    >>> det.run(broken).first
    49
    """

    threshold_param = "threshold"
    threshold_direction = "above"
    _min_reference = 3

    def __init__(
        self,
        *,
        threshold: Annotated[float, Gt(0)] = 2.0,
        n_components: int | float = 0.9,
        window_size: Annotated[int, Ge(1)] = 100,
        reference_size: Annotated[int, Ge(3)] = 500,
        step: Annotated[int, Ge(1)] | None = None,
        reset_on_drift: bool = True,
    ):
        self.threshold = threshold
        self.n_components = n_components
        self.window_size = window_size
        self.reference_size = reference_size
        self.step = step
        self.reset_on_drift = reset_on_drift
        super().__init__()

    def _check_params(self) -> None:
        self._check_windowing()
        k = self.n_components
        if isinstance(k, numbers.Integral) and not isinstance(k, bool):
            if k < 1:
                raise ValueError(f"PCAReconstruction: parameter 'n_components' must be >= 1 as an "
                                 f"int, got {k!r}.")
        elif not (isinstance(k, float) and 0.0 < k < 1.0):
            raise ValueError(f"PCAReconstruction: parameter 'n_components' must be an int >= 1 "
                             f"or a float in (0, 1) (fraction of variance), got {k!r}.")

    @classmethod
    def _test_invalid_params(cls) -> list[dict[str, Any]]:
        return [{"n_components": 0}, {"n_components": 1.5}, {"n_components": float("nan")}]

    def _prepare(self, reference: np.ndarray) -> tuple:
        d = reference.shape[1]
        mean = reference.mean(axis=0)
        scale = reference.std(axis=0, ddof=1)
        scale = np.where(scale > 0, scale, 1.0)
        z = (reference - mean) / scale
        _, sv, vt = np.linalg.svd(z, full_matrices=False)
        if isinstance(self.n_components, float):
            share = np.cumsum(sv ** 2) / max(float(np.sum(sv ** 2)), 1e-300)
            k = int(np.searchsorted(share, self.n_components - 1e-12) + 1)
        else:
            k = int(self.n_components)
            if k >= d:
                raise ValueError(
                    f"PCAReconstruction: n_components={k} keeps every one of the {d} features, "
                    "leaving nothing to reconstruct; use fewer components."
                )
        k = min(k, d - 1)
        basis = vt[:k].T  # (d, k)
        baseline = float(np.mean(self._errors(z, basis)))
        return mean, scale, basis, max(baseline, 1e-12)

    @staticmethod
    def _errors(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
        resid = z - (z @ basis) @ basis.T
        return np.einsum("ij,ij->i", resid, resid)

    def _evaluate(self, prepared: tuple, window: np.ndarray,
                  rng: np.random.Generator) -> tuple[float, None]:
        mean, scale, basis, baseline = prepared
        z = (window - mean) / scale
        return float(np.mean(self._errors(z, basis)) / baseline), None

    @property
    def n_components_(self) -> int | None:
        """Principal components kept (None before a reference is in place)."""
        return None if self.prepared_ is None else int(self.prepared_[2].shape[1])

    @classmethod
    def _test_instances(cls) -> list[PCAReconstruction]:
        return [cls(window_size=50, reference_size=100),
                cls(threshold=1.5, n_components=1, window_size=30, reference_size=60, step=7,
                    reset_on_drift=False)]
