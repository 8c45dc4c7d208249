"""Multiple-testing corrections, numpy only: family-wise error (Bonferroni, Holm) and false
discovery rate (Benjamini-Hochberg). Shared by :mod:`mlmon.stats` and the runtime monitor."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["CORRECTIONS", "adjust_pvalues", "reject"]

Correction = Literal["bonferroni", "holm", "bh", "none"]

#: What each correction controls, for tables and error messages.
CORRECTIONS: dict[str, str] = {
    "bonferroni": "family-wise error rate, any dependence between tests",
    "holm": "family-wise error rate, any dependence (uniformly more powerful than Bonferroni)",
    "bh": "false discovery rate, independent or positively dependent tests (Benjamini-Hochberg)",
    "none": "nothing: each test at its own level",
}


def _check_pvalues(pvalues: Any) -> np.ndarray:
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {p.shape}.")
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))
    if bad.size:
        raise ValueError(
            f"pvalues must lie in [0, 1]; entry {int(bad[0])} is {p[bad[0]]!r}. Drop missing "
            "tests before correcting rather than passing NaN.")
    return p


def _check_method(method: str) -> None:
    if method not in CORRECTIONS:
        raise ValueError(f"method must be one of {sorted(CORRECTIONS)}, got {method!r}.")


def adjust_pvalues(pvalues: Any, *, method: Correction = "holm") -> np.ndarray:
    """Adjusted p-values: reject hypothesis ``i`` at level ``alpha`` when ``adjusted[i] <= alpha``.

    Parameters
    ----------
    pvalues
        One p-value per hypothesis.
    method
        ``"bonferroni"`` (``m p``), ``"holm"`` (step-down Bonferroni), ``"bh"``
        (Benjamini-Hochberg step-up) or ``"none"``. Adjusted values are capped at 1.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="bonferroni").round(3).tolist()
    [0.03, 0.12, 0.09]
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    _check_method(method)
    p = _check_pvalues(pvalues)
    m = p.shape[0]
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    out = np.empty(m)
    if method == "holm":
        # the i-th smallest (0-based) is compared with alpha / (m - i); running max keeps order
        out[order] = np.minimum(np.maximum.accumulate(ranked * (m - np.arange(m))), 1.0)
    else:  # bh: the i-th smallest with alpha * (i + 1) / m; running min from the largest down
        scaled = ranked * m / np.arange(1, m + 1)
        out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def reject(pvalues: Any, *, alpha: float, method: Correction = "holm") -> np.ndarray:
    """Which hypotheses the correction rejects at level ``alpha`` (a boolean array).

    Examples
    --------
    >>> reject([0.001, 0.02, 0.04, 0.3], alpha=0.05, method="holm").tolist()
    [True, False, False, False]
    >>> reject([0.001, 0.02, 0.04, 0.3], alpha=0.05, method="bh").tolist()
    [True, True, False, False]
    """
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    return adjust_pvalues(pvalues, method=method) <= alpha
