"""Tests of homogeneity of two categorical samples: Pearson's chi-square and the G-test.

Both samples are reduced to a 2 x k contingency table over the union of the categories seen
in either sample. Expected counts come from the pooled sample (``E_ij = row_i col_j / N``),
so a category never seen in the reference is handled without special cases: its expected
count in the reference row is positive and its observed count there, zero, counts against
homogeneity.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlmon.stats._result import TestResult

__all__ = ["chi_square", "g_test"]


def check_labels(x: Any, name: str, owner: str) -> np.ndarray:
    """``x`` as a 1-D array of hashable labels without missing values, or a clear error."""
    import pandas as pd

    if isinstance(x, (str, bytes)):
        raise TypeError(f"{owner}: {name} must be a sequence of labels, got a single "
                        f"{type(x).__name__}; wrap it in a list.")
    if isinstance(x, (pd.Series, pd.Index, pd.Categorical)):
        arr = np.asarray(x.astype(object) if isinstance(x, pd.Categorical) else x.to_numpy(object))
    else:
        try:
            # a list keeps its elements (np.asarray would turn ["a", nan] into strings)
            arr = np.asarray(x) if isinstance(x, np.ndarray) else np.array(list(x), dtype=object)
        except Exception as exc:  # ragged input, or not a sequence
            raise TypeError(f"{owner}: {name} must be a 1-D sequence of labels: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D, got an array of shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{owner}: {name} is empty; it needs at least one label.")
    if arr.dtype.kind == "c":
        raise TypeError(f"{owner}: {name} must hold labels (strings or numbers), got complex values.")
    missing = np.asarray(pd.isna(arr), dtype=bool)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{owner}: {name} contains {int(missing.sum())} missing label(s) "
                         f"(None/NaN, first at index {first}); drop them or map them to an "
                         "explicit category such as 'missing'.")
    return arr


def category_counts(reference: np.ndarray, current: np.ndarray,
                    owner: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of both samples over the union of categories, and each sample's counts.

    Returns ``(codes_ref, codes_cur, counts)`` with ``counts`` of shape ``(2, k)``; the
    categories are numbered in order of first appearance, reference first.
    """
    import pandas as pd

    if reference.dtype.kind in "biuf" and current.dtype.kind in "biuf":
        pooled = np.concatenate([reference.astype(np.float64), current.astype(np.float64)])
    else:
        pooled = np.concatenate([reference.astype(object), current.astype(object)])
    try:
        codes, uniques = pd.factorize(pooled)
    except TypeError as err:
        raise TypeError(f"{owner}: labels must be hashable (strings, numbers): {err}") from None
    k = len(uniques)
    n = reference.shape[0]
    counts = np.stack([np.bincount(codes[:n], minlength=k), np.bincount(codes[n:], minlength=k)])
    return codes[:n], codes[n:], counts


def labels_pair(reference: Any, current: Any, owner: str) -> np.ndarray:
    """The ``(2, k)`` count table of two label samples (checked)."""
    ref = check_labels(reference, "reference", owner)
    cur = check_labels(current, "current", owner)
    return category_counts(ref, cur, owner)[2]


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Expected counts of a contingency table under homogeneity: ``row_i col_j / N``."""
    table = np.asarray(table, dtype=np.float64)
    return table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()


def pearson_statistic(table: np.ndarray) -> float:
    """Pearson's chi-square statistic of a contingency table without empty columns."""
    expected = expected_counts(table)
    return float(np.sum((table - expected) ** 2 / expected))


def _homogeneity(name: str, reference: Any, current: Any, log_likelihood: bool) -> TestResult:
    from scipy import stats

    table = labels_pair(reference, current, name)
    total = int(table.sum())
    k = table.shape[1]
    chi2 = pearson_statistic(table)
    if log_likelihood:
        expected = expected_counts(table)
        observed = table.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
        statistic = float(2.0 * terms.sum())
    else:
        statistic = chi2
    pvalue = 1.0 if k < 2 else float(stats.chi2.sf(statistic, k - 1))
    return TestResult(test=name, statistic=statistic, pvalue=pvalue,
                      effect_size=math.sqrt(max(chi2, 0.0) / total), effect_name="cramers_v",
                      method="asymptotic", n_reference=int(table[0].sum()),
                      n_current=int(table[1].sum()))


def chi_square(reference: Any, current: Any) -> TestResult:
    """Pearson's chi-square test of homogeneity of two categorical samples.

    The samples are counted over the union of their categories into a 2 x k table; the
    statistic is ``sum (O - E)^2 / E`` with pooled expected counts ``E``, compared with a
    chi-square distribution on ``k - 1`` degrees of freedom. This is
    ``scipy.stats.chi2_contingency(table, correction=False)``. A category absent from the
    reference needs no special handling (its pooled expected count is positive). With a
    single category in all the test is void: statistic 0, p-value 1.

    Parameters
    ----------
    reference, current
        1-D samples of hashable labels (strings, ints, bools; lists, numpy arrays, pandas
        Series or Categoricals). Missing values (None, NaN) are refused.

    Returns
    -------
    TestResult
        ``effect_size`` is Cramér's V, ``sqrt(chi2 / N)`` for a 2 x k table
        (``"cramers_v"``), between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import chi_square
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.choice(["a", "b", "c"], size=1000, p=[0.5, 0.3, 0.2])
    >>> cur = rng.choice(["a", "b", "c", "d"], size=500, p=[0.4, 0.3, 0.2, 0.1])
    >>> r = chi_square(ref, cur)
    >>> r.pvalue < 1e-10, round(r.effect_size, 2)
    (True, 0.27)
    """
    return _homogeneity("chi_square", reference, current, log_likelihood=False)


def g_test(reference: Any, current: Any) -> TestResult:
    """G-test (log-likelihood ratio) of homogeneity of two categorical samples.

    As :func:`chi_square` but with the statistic ``G = 2 sum O ln(O / E)`` (empty cells add
    nothing), i.e. ``scipy.stats.chi2_contingency(table, correction=False,
    lambda_="log-likelihood")``.

    Parameters
    ----------
    reference, current
        1-D samples of hashable labels; missing values are refused.

    Returns
    -------
    TestResult
        ``effect_size`` is Cramér's V from Pearson's statistic (the same as
        :func:`chi_square` reports), so both tests rank features alike.

    Examples
    --------
    >>> from mlmon.stats import g_test
    >>> r = g_test([1, 1, 2, 2, 3] * 40, [1, 2, 2, 3, 3] * 40)
    >>> r.method, round(r.statistic, 3), r.pvalue < 1e-5
    ('asymptotic', 27.184, True)
    """
    return _homogeneity("g_test", reference, current, log_likelihood=True)
