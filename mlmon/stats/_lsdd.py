"""Least-squares density difference (LSDD) two-sample test with a permutation p-value.

The LSDD (Sugiyama et al. 2013; as a drift test, Bu et al. 2016) is the integrated squared
difference of two densities, ``int (p(x) - q(x))^2 dx``, estimated by fitting a Gaussian
kernel model of ``p - q`` by regularised least squares. The estimate here follows the
construction of alibi-detect's ``LSDDDrift``:

1. both samples are standardised with the reference's per-feature mean and standard
   deviation (``ddof=1``);
2. ``n_kernel_centers`` reference rows, drawn at random, become the kernel centers
   ``c_1..c_L`` and leave the reference (the remaining rows are the *effective* reference);
3. ``k(x, c) = exp(-||x - c||^2 / (2 sigma^2))``, ``sigma`` by the median heuristic on the
   standardised reference; ``H_{ij} = exp(-||c_i - c_j||^2 / (4 sigma^2))`` (the
   ``(pi sigma^2)^{d/2}`` factor of the exact integral is dropped for numerical stability: it
   scales every statistic alike and leaves p-values unchanged);
4. ``h = mean_x k(x, c) - mean_y k(y, c)``, and for a ridge ``lambda``,
   ``A = (H + lambda I)^{-1}`` and ``LSDD = h' (2A - A H A) h`` (Bu et al. 2016, Eq. 11);
5. ``lambda`` is the largest of ``4^{-i}`` (``i = 0..9``) whose mean relative difference
   ``1 - (w' H w) / (h' w)``, ``w = A h``, over the observed and permuted splits is below
   ``lambda_rd_max`` (their Appendix A).

Every split of the pooled sample reuses the one ``(rows, L)`` kernel matrix to the centers:
the ``B`` permutations cost one matrix product.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmon.stats._mmd import (
    _check_int,
    _permutation_indicators,
    _sq_distances,
    check_samples,
    median_heuristic,
    permutation_pvalue,
)
from mlmon.stats._result import TestResult

__all__ = ["LSDDReference", "lsdd", "lsdd_prepare", "lsdd_split_statistics"]

_LAMBDAS = 0.25 ** np.arange(10)


@dataclass(frozen=True, slots=True)
class LSDDReference:
    """What LSDD learns from a reference sample (see :func:`lsdd_prepare`).

    Examples
    --------
    >>> ref = lsdd_prepare(np.random.default_rng(0).normal(size=(100, 2)), seed=0)
    >>> ref.centers.shape, ref.k_ref.shape
    ((5, 2), (95, 5))
    """

    mean: np.ndarray
    scale: np.ndarray
    sigma: float
    centers: np.ndarray
    h_matrix: np.ndarray
    k_ref: np.ndarray
    lambda_rd_max: float

    def kernel_to_centers(self, x: np.ndarray) -> np.ndarray:
        """``k(x, c)`` for standardised rows of ``x``, shape ``(len(x), L)``."""
        z = (x - self.mean) / self.scale
        return np.exp(_sq_distances(z, self.centers) * (-0.5 / (self.sigma * self.sigma)))


def _check_lambda_rd(value: Any) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"lambda_rd_max must be a number in (0, 1), got {value!r}.")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"lambda_rd_max must be in (0, 1), got {value!r}.")
    return float(value)


def lsdd_prepare(reference: np.ndarray, *, sigma: float | None = None,
                 n_kernel_centers: int | None = None, lambda_rd_max: float = 0.2,
                 seed: int | np.random.SeedSequence | np.random.Generator | None = None) -> LSDDReference:
    """Standardisation, bandwidth, kernel centers and ``H`` from a ``(m, d)`` reference.

    ``n_kernel_centers`` defaults to ``max(1, m // 20)`` (alibi-detect's default, a
    twentieth of the reference); at least one reference row must remain besides them.

    Examples
    --------
    >>> ref = lsdd_prepare(np.random.default_rng(0).normal(size=(40, 3)), n_kernel_centers=4, seed=1)
    >>> ref.h_matrix.shape, bool(np.allclose(np.diag(ref.h_matrix), 1.0))
    ((4, 4), True)
    """
    m = reference.shape[0]
    n_centers = max(1, m // 20) if n_kernel_centers is None else _check_int(
        n_kernel_centers, "n_kernel_centers", 1)
    if n_centers > m - 1:
        raise ValueError(
            f"n_kernel_centers={n_centers} leaves no reference row besides the centers (the "
            f"reference has {m} rows); use fewer centers or a longer reference."
        )
    lam_rd = _check_lambda_rd(lambda_rd_max)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    mean = reference.mean(axis=0)
    scale = reference.std(axis=0, ddof=1) + 1e-12
    z = (reference - mean) / scale
    if sigma is None:
        bw = median_heuristic(z)
    else:
        if not (isinstance(sigma, numbers.Real) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a finite number > 0 or None, got {sigma!r}.")
        bw = float(sigma)
    order = rng.permutation(m)
    centers = z[order[:n_centers]]
    if np.unique(centers, axis=0).shape[0] < n_centers:  # repeated rows: separate the centers
        centers = centers + rng.normal(0.0, 1e-6, centers.shape)
    h = np.exp(_sq_distances(centers, centers) * (-0.25 / (bw * bw)))
    k_ref = np.exp(_sq_distances(z[np.sort(order[n_centers:])], centers) * (-0.5 / (bw * bw)))
    return LSDDReference(mean=mean, scale=scale, sigma=bw, centers=centers, h_matrix=h,
                         k_ref=k_ref, lambda_rd_max=lam_rd)


def lsdd_split_statistics(ref: LSDDReference, current: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """LSDD of each split of the pooled (effective reference, current) sample.

    ``splits`` is a ``(B, m_eff + n)`` 0/1 matrix marking the rows playing "current".

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> prep = lsdd_prepare(rng.normal(size=(100, 2)), seed=0)
    >>> s = np.zeros((1, 95 + 50)); s[0, 95:] = 1.0
    >>> float(lsdd_split_statistics(prep, rng.normal(2.0, 1.0, (50, 2)), s)[0]) > 0.05
    True
    """
    k_all = np.concatenate([ref.k_ref, ref.kernel_to_centers(current)])
    n = int(round(splits[0].sum()))
    m = k_all.shape[0] - n
    colsum = k_all.sum(axis=0)
    cur_sum = splits @ k_all
    h = (colsum - cur_sum) / m - cur_sum / n  # (B, L)
    hm = ref.h_matrix
    eye = np.eye(hm.shape[0])
    chosen = None
    for lam in _LAMBDAS:
        a = np.linalg.inv(hm + lam * eye)
        w = h @ a  # a is symmetric
        rd = float(np.mean(1.0 - np.einsum("bj,jk,bk->b", w, hm, w) / np.einsum("bj,bj->b", h, w)))
        if rd < ref.lambda_rd_max:
            chosen = a
            break
    if chosen is None:
        raise ValueError(
            "LSDD found no regularisation meeting lambda_rd_max (usually many repeated rows); "
            "raise lambda_rd_max or use the MMD test instead."
        )
    a = chosen
    h_lam_inv = 2.0 * a - a @ hm @ a
    return np.einsum("bj,jk,bk->b", h, h_lam_inv, h)


def lsdd(
    reference: Any,
    current: Any,
    *,
    sigma: float | None = None,
    n_kernel_centers: int | None = None,
    lambda_rd_max: float = 0.2,
    n_permutations: int = 100,
    seed: int | np.random.SeedSequence | None = None,
) -> TestResult:
    """Least-squares density difference test with a permutation p-value.

    Parameters
    ----------
    reference, current
        Samples of shape ``(m, d)`` and ``(n, d)`` (arrays or DataFrames of numeric columns).
    sigma
        Bandwidth of the Gaussian kernel on the standardised data; None: the median heuristic
        on the standardised reference.
    n_kernel_centers
        Reference rows used as kernel centers (and left out of the effective reference);
        None: ``max(1, m // 20)``.
    lambda_rd_max
        Largest relative difference the ridge may cause (0.2 in Bu et al. 2016).
    n_permutations
        Random splits behind the p-value ``(b + 1) / (B + 1)``.
    seed
        Seed of the choice of kernel centers and of the permutations.

    Returns
    -------
    TestResult
        ``statistic``: the LSDD estimate (scaled by ``(pi sigma^2)^{d/2}``, see the module
        notes); ``effect_size``: its square root (``effect_name="sqrt_lsdd"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats._lsdd import lsdd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 2))
    >>> lsdd(x, rng.normal(size=(100, 2)), seed=0).pvalue > 0.05
    True
    >>> lsdd(x, rng.normal(0.7, 1.0, size=(100, 2)), seed=0).pvalue < 0.05
    True
    """
    ref, cur = check_samples(reference, current)
    n_perm = _check_int(n_permutations, "n_permutations", 1)
    rng = np.random.default_rng(seed)
    prep = lsdd_prepare(ref, sigma=sigma, n_kernel_centers=n_kernel_centers,
                        lambda_rd_max=lambda_rd_max, seed=rng)
    n_total = prep.k_ref.shape[0] + cur.shape[0]
    splits = _permutation_indicators(rng, n_total, cur.shape[0], n_perm)
    stats = lsdd_split_statistics(prep, cur, splits)
    observed = float(stats[0])
    return TestResult(
        test="lsdd",
        statistic=observed,
        pvalue=permutation_pvalue(observed, stats[1:]),
        effect_size=math.sqrt(max(observed, 0.0)),
        effect_name="sqrt_lsdd",
        method="permutation",
        n_reference=int(ref.shape[0]),
        n_current=int(cur.shape[0]),
    )
