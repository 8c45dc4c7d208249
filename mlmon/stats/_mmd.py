"""Maximum mean discrepancy (MMD) two-sample test with a permutation p-value.

The statistic is the unbiased estimate of the squared MMD (Gretton et al. 2012, Lemma 6),
the estimator alibi-detect's ``MMDDrift`` reports:

.. math::

    \\widehat{\\mathrm{MMD}}^2_u = \\frac{1}{m(m-1)} \\sum_{i \\ne j} k(x_i, x_j)
        + \\frac{1}{n(n-1)} \\sum_{i \\ne j} k(y_i, y_j)
        - \\frac{2}{mn} \\sum_{i, j} k(x_i, y_j)

for a reference sample ``x`` of ``m`` rows and a current sample ``y`` of ``n`` rows. The
kernel matrix of the pooled sample is computed once; every permutation's statistic then comes
from one matrix product of the ``(B, m + n)`` matrix of permutation indicators with it, so
``B`` permutations cost one BLAS call instead of ``B`` re-indexings of the kernel matrix.

The module also holds the input checks shared by the multivariate tests.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

import numpy as np

from mlmon.stats._result import TestResult

__all__ = ["check_rows", "check_samples", "kernel_matrix", "median_heuristic", "mmd", "mmd_statistic",
           "permutation_pvalue", "split_statistics"]

#: Permutation rows handled per matrix product (bounds the memory of the permutation pass).
_PERM_CHUNK_VALUES = 1 << 24


# --- inputs --------------------------------------------------------------------------------


def check_rows(x: Any, *, name: str, n_features: int | None = None, min_rows: int = 1) -> np.ndarray:
    """Return ``x`` as a C-contiguous float64 ``(n, d)`` array, or raise an error naming it.

    Accepts 2-D arrays, nested lists and DataFrames whose columns are all numeric.

    Parameters
    ----------
    x
        The sample, one row per observation.
    name
        What the caller calls this input, used in error messages.
    n_features
        Required number of columns, or None for any.
    min_rows
        Fewest rows accepted.

    Examples
    --------
    >>> check_rows([[1, 2], [3, 4]], name="reference").shape
    (2, 2)
    >>> try:
    ...     check_rows([1.0, 2.0], name="current")
    ... except ValueError as err:
    ...     print(err)
    current must be 2-D (n_samples, n_features), got an array of shape (2,); reshape a single feature with x.reshape(-1, 1).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {type(x).__name__}.")
    if hasattr(x, "dtypes") and hasattr(x, "columns"):  # a DataFrame
        from pandas.api.types import is_numeric_dtype

        bad = [str(c) for c, dt in x.dtypes.items() if not is_numeric_dtype(dt)]
        if bad:
            raise TypeError(
                f"{name} has non-numeric column(s) {bad[:5]}; drop or encode them "
                "(e.g. one-hot) before testing."
            )
        x = x.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a 2-D array of numbers: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind in "USVMm":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}; convert or encode it first.")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got an array of shape {arr.shape}; "
            "reshape a single feature with x.reshape(-1, 1)."
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} has no columns; pass at least one feature.")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} columns, expected {n_features} (the number of features of "
            "the reference); pass the same features in the same order."
        )
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {arr.shape[0]}.")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s) (first at row {row}, "
            f"column {col}); drop or impute them before testing."
        )
    return arr


def check_samples(reference: Any, current: Any, *, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as float64 ``(n, d)`` arrays with the same number of columns.

    Examples
    --------
    >>> ref, cur = check_samples([[0.0], [1.0]], [[2.0], [3.0], [4.0]])
    >>> ref.shape, cur.shape
    ((2, 1), (3, 1))
    """
    ref = check_rows(reference, name="reference", min_rows=min_rows)
    cur = check_rows(current, name="current", min_rows=min_rows)
    if cur.shape[1] != ref.shape[1]:
        raise ValueError(
            f"current has {cur.shape[1]} columns and reference {ref.shape[1]}; both samples "
            "must have the same features in the same order."
        )
    return ref, cur


def _check_int(value: Any, name: str, low: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int >= {low}, got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    return int(value)


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}.")
    return value


def _check_sigma(sigma: Any) -> float | None:
    if sigma is None:
        return None
    if not isinstance(sigma, numbers.Real) or isinstance(sigma, (bool, np.bool_)):
        raise TypeError(f"sigma must be a positive number or None, got {sigma!r}.")
    if not (math.isfinite(float(sigma)) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0 (or None for the median heuristic), got {sigma!r}.")
    return float(sigma)


# --- kernel --------------------------------------------------------------------------------


def _sq_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)
    return np.maximum(d, 0.0, out=d)


def median_heuristic(x: Any) -> float:
    """Kernel bandwidth by the median heuristic: ``sqrt(median_{i<j} ||x_i - x_j||^2 / 2)``.

    With this ``sigma`` the Gaussian kernel ``exp(-||x - y||^2 / (2 sigma^2))`` is
    ``exp(-1)`` at the median squared distance between distinct rows: the convention of
    alibi-detect's ``sigma_median`` (which takes the lower of the two middle values; numpy's
    median, used here, averages them). Pairs of identical rows count with distance 0. When
    every row is identical the bandwidth is 1.

    Examples
    --------
    >>> round(median_heuristic([[0.0], [1.0], [3.0]]), 4)
    1.4142
    """
    x = check_rows(x, name="x", min_rows=2)
    n = x.shape[0]
    if n > 4000:  # the median of a fixed, evenly spread subset of rows keeps this O(4000^2)
        x = x[np.linspace(0, n - 1, 4000).round().astype(np.int64)]
        n = 4000
    d = _sq_distances(x, x)
    med = float(np.median(d[np.triu_indices(n, k=1)]))
    return math.sqrt(med / 2.0) if med > 0 else 1.0


def _kernel_numpy(z: np.ndarray, sigma: float, kernel: str) -> np.ndarray:
    k = kernel_matrix(z, z, sigma, kernel)
    np.fill_diagonal(k, 0.0)
    return k


def kernel_matrix(x: np.ndarray, y: np.ndarray, sigma: float, kernel: str = "rbf") -> np.ndarray:
    """``k(x_i, y_j)`` for the Gaussian (``"rbf"``) or ``"laplacian"`` kernel.

    Examples
    --------
    >>> kernel_matrix(np.zeros((1, 2)), np.ones((1, 2)), 1.0).round(4).tolist()
    [[0.3679]]
    """
    d = _sq_distances(x, y)
    if kernel == "rbf":
        return np.exp(d * (-0.5 / (sigma * sigma)))
    return np.exp(np.sqrt(d) * (-1.0 / sigma))


def _permutation_indicators(rng: np.random.Generator, n_total: int, n_current: int,
                            n_permutations: int) -> np.ndarray:
    """Row 0: the observed split (current = the last ``n_current`` rows); rows 1..B: random
    splits, each a uniformly drawn subset of ``n_current`` positions."""
    s = np.zeros((n_permutations + 1, n_total))
    s[0, n_total - n_current:] = 1.0
    picks = np.argsort(rng.random((n_permutations, n_total)), axis=1)[:, :n_current]
    np.put_along_axis(s[1:], picks, 1.0, axis=1)
    return s


def _stats_from_quadratic(q: np.ndarray, cb: np.ndarray, total: float, m: int, n: int) -> np.ndarray:
    """MMD^2_u of each split from ``q = b'Kb`` and ``cb = 1'Kb`` (zero-diagonal ``K``)."""
    cross = cb - q                    # a'Kb
    within_ref = total - 2.0 * cb + q  # a'Ka
    return within_ref / (m * (m - 1.0)) + q / (n * (n - 1.0)) - 2.0 * cross / (m * n)


def _split_stats_numpy(k: np.ndarray, m: int, s: np.ndarray) -> np.ndarray:
    """MMD^2_u of every split (rows of ``s``) from a zero-diagonal pooled kernel matrix.

    When one side of the split is small (``min(m, n) <= N / 3``) its quadratic form is summed
    from the gathered ``(min, min)`` blocks of ``K``, ``B min(m, n)^2`` operations; otherwise
    from the product of the indicator matrix with ``K``, ``B N^2`` operations in BLAS.
    """
    big_n = k.shape[0]
    n = big_n - m
    colsum = k.sum(axis=0)
    total = float(colsum.sum())
    out = np.empty(s.shape[0])
    small = min(m, n)
    if 3 * small <= big_n:
        mark = 1.0 if n <= m else 0.0  # gather the current rows, or the reference rows
        idx = np.nonzero(s == mark)[1].reshape(s.shape[0], small)
        chunk = max(1, _PERM_CHUNK_VALUES // (small * small))
        for start in range(0, s.shape[0], chunk):
            rows = idx[start: start + chunk]
            quad = k[rows[:, :, None], rows[:, None, :]].sum(axis=(1, 2))
            lin = colsum[rows].sum(axis=1)
            if n <= m:
                q, cb = quad, lin
            else:  # quad = a'Ka, lin = 1'Ka
                q, cb = total - 2.0 * lin + quad, total - lin
            out[start: start + chunk] = _stats_from_quadratic(q, cb, total, m, n)
        return out
    chunk = max(1, _PERM_CHUNK_VALUES // big_n)
    for start in range(0, s.shape[0], chunk):
        block = s[start: start + chunk]
        q = np.einsum("ij,ij->i", block @ k, block)
        out[start: start + chunk] = _stats_from_quadratic(q, block @ colsum, total, m, n)
    return out


def _torch_device(torch: Any, device: Any) -> Any:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _split_stats_torch(k: Any, m: int, s: np.ndarray, torch: Any) -> np.ndarray:
    """As :func:`_split_stats_numpy`, for a float64 torch kernel matrix on any device."""
    n = k.shape[0] - m
    colsum = k.sum(0)
    total = float(colsum.sum())
    chunk = max(1, _PERM_CHUNK_VALUES // k.shape[0])
    out = np.empty(s.shape[0])
    for start in range(0, s.shape[0], chunk):
        block = torch.as_tensor(s[start: start + chunk], dtype=torch.float64, device=k.device)
        q = ((block @ k) * block).sum(1)
        cb = block @ colsum
        out[start: start + chunk] = _stats_from_quadratic(
            q.cpu().numpy(), cb.cpu().numpy(), total, m, n)
    return out


def split_statistics(k: np.ndarray, m: int, splits: np.ndarray, *, backend: str = "numpy",
                     device: Any = None) -> np.ndarray:
    """MMD^2_u of every split of a pooled sample, from its kernel matrix.

    Parameters
    ----------
    k
        ``(N, N)`` kernel matrix of the pooled sample with a zero diagonal.
    m
        Reference rows in each split (``N - m`` current rows).
    splits
        ``(B, N)`` 0/1 matrix, 1 marking the rows playing "current".
    backend, device
        ``"numpy"`` or ``"torch"`` (float64 on ``device``) for the permutation product.

    Examples
    --------
    >>> k = _kernel_numpy(np.arange(4.0).reshape(-1, 1), 1.0, "rbf")
    >>> s = np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 0.0]])
    >>> bool(split_statistics(k, 2, s)[0] > split_statistics(k, 2, s)[1])
    True
    """
    if backend == "torch":
        from mlmon._optional import require

        torch = require("torch", needed_by="the torch backend of MMD")
        with torch.no_grad():
            kt = torch.as_tensor(k, dtype=torch.float64, device=_torch_device(torch, device))
            return _split_stats_torch(kt, m, splits, torch)
    return _split_stats_numpy(k, m, splits)


def _mmd_numpy(z: np.ndarray, m: int, s: np.ndarray, sigma: float, kernel: str) -> np.ndarray:
    return _split_stats_numpy(_kernel_numpy(z, sigma, kernel), m, s)


def _mmd_torch(z: np.ndarray, m: int, s: np.ndarray, sigma: float, kernel: str,
               device: Any) -> np.ndarray:
    from mlmon._optional import require

    torch = require("torch", needed_by="mmd(backend='torch')")
    dev = _torch_device(torch, device)
    with torch.no_grad():
        zt = torch.as_tensor(z, dtype=torch.float64, device=dev)
        sq = (zt * zt).sum(1)
        d = (sq[:, None] + sq[None, :] - 2.0 * (zt @ zt.T)).clamp_min_(0.0)
        if kernel == "rbf":
            k = torch.exp(d * (-0.5 / (sigma * sigma)))
        else:
            k = torch.exp(torch.sqrt(d) * (-1.0 / sigma))
        k.fill_diagonal_(0.0)
        return _split_stats_torch(k, m, s, torch)


def _resolve_backend(backend: str) -> str:
    if backend == "auto":
        from mlmon._optional import available

        return "torch" if available("torch") else "numpy"
    return backend


def permutation_pvalue(observed: float, permuted: np.ndarray) -> float:
    """``(b + 1) / (B + 1)``, ``b`` the permuted statistics at least as large as ``observed``.

    Statistics within ``1e-12`` (relative) of the observed one count as ties, so that
    rounding differences between backends cannot change the p-value.

    Examples
    --------
    >>> permutation_pvalue(2.0, np.array([1.0, 2.0, 3.0]))
    0.75
    """
    tol = 1e-12 * max(abs(observed), float(np.max(np.abs(permuted))) if permuted.size else 0.0, 1e-300)
    b = int(np.count_nonzero(permuted >= observed - tol))
    return (b + 1) / (permuted.shape[0] + 1)


def mmd_statistic(reference: Any, current: Any, *, kernel: Literal["rbf", "laplacian"] = "rbf",
                  sigma: float | None = None) -> float:
    """The unbiased squared MMD between two samples, without a test.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(100, 2)), rng.normal(1.0, 1.0, size=(100, 2))
    >>> mmd_statistic(x, y, sigma=1.0) > 0.1
    True
    """
    ref, cur = check_samples(reference, current)
    _check_choice(kernel, "kernel", ("rbf", "laplacian"))
    z = np.concatenate([ref, cur])
    bw = _check_sigma(sigma)
    bw = median_heuristic(z) if bw is None else bw
    s = np.zeros((1, z.shape[0]))
    s[0, ref.shape[0]:] = 1.0
    return float(_mmd_numpy(z, ref.shape[0], s, bw, kernel)[0])


def mmd(
    reference: Any,
    current: Any,
    *,
    kernel: Literal["rbf", "laplacian"] = "rbf",
    sigma: float | None = None,
    n_permutations: int = 100,
    backend: Literal["auto", "numpy", "torch"] = "auto",
    device: Any = None,
    seed: int | np.random.SeedSequence | None = None,
) -> TestResult:
    """Kernel two-sample test: unbiased squared MMD with a permutation p-value.

    Parameters
    ----------
    reference, current
        Samples of shape ``(m, d)`` and ``(n, d)`` (arrays or DataFrames of numeric columns),
        each with at least 2 rows.
    kernel
        ``"rbf"``: ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))`` (alibi-detect's
        ``GaussianRBF``); ``"laplacian"``: ``exp(-||x - y|| / sigma)``.
    sigma
        Kernel bandwidth. None: the median heuristic (:func:`median_heuristic`) on the pooled
        sample. (alibi-detect's ``MMDDrift`` takes it from the reference alone; pass the same
        ``sigma`` to both to compare statistics.)
    n_permutations
        Random splits of the pooled sample behind the p-value ``(b + 1) / (B + 1)``, where
        ``b`` counts permuted statistics at least as large as the observed one.
    backend
        ``"numpy"``, ``"torch"`` (float64, on ``device``), or ``"auto"``: torch when it is
        installed. Both give the same statistic to float64 rounding and the same p-value for
        the same seed: the permutations are drawn with numpy in both.
    device
        Torch device (``"cpu"``, ``"cuda"``, ...); None: CUDA when available, else CPU.
    seed
        Seed of the permutations.

    Returns
    -------
    TestResult
        ``statistic``: the unbiased squared MMD (can be slightly negative when the samples
        agree); ``effect_size``: ``sqrt(max(statistic, 0))`` (``effect_name="mmd"``), the MMD
        itself, between 0 and ``sqrt(2)`` for these kernels.

    Notes
    -----
    Time and memory are ``O((m + n)^2)`` for the kernel matrix plus
    ``O(n_permutations (m + n)^2)`` time for the permutations.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats._mmd import mmd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 3))
    >>> same = mmd(x, rng.normal(size=(100, 3)), backend="numpy", seed=0)
    >>> moved = mmd(x, rng.normal(0.5, 1.0, size=(100, 3)), backend="numpy", seed=0)
    >>> same.pvalue > 0.05, moved.pvalue < 0.05, moved.method
    (True, True, 'permutation')
    """
    ref, cur = check_samples(reference, current)
    _check_choice(kernel, "kernel", ("rbf", "laplacian"))
    _check_choice(backend, "backend", ("auto", "numpy", "torch"))
    bw = _check_sigma(sigma)
    n_perm = _check_int(n_permutations, "n_permutations", 1)
    z = np.concatenate([ref, cur])
    bw = median_heuristic(z) if bw is None else bw
    rng = np.random.default_rng(seed)
    s = _permutation_indicators(rng, z.shape[0], cur.shape[0], n_perm)
    if _resolve_backend(backend) == "torch":
        stats = _mmd_torch(z, ref.shape[0], s, bw, kernel, device)
    else:
        stats = _mmd_numpy(z, ref.shape[0], s, bw, kernel)
    observed = float(stats[0])
    return TestResult(
        test="mmd",
        statistic=observed,
        pvalue=permutation_pvalue(observed, stats[1:]),
        effect_size=math.sqrt(max(observed, 0.0)),
        effect_name="mmd",
        method="permutation",
        n_reference=int(ref.shape[0]),
        n_current=int(cur.shape[0]),
    )
