"""Small seeded streams and comparison helpers used by the conformance checks."""

from __future__ import annotations

import collections
import math
import numbers
from types import ModuleType
from typing import Any

import numpy as np

from mlmon.base import BaseDetector, DriftResult

#: Error rate of the null binary stream and after the shift.
BINARY_NULL_RATE, BINARY_SHIFTED_RATE = 0.1, 0.5
#: Mean shift, in standard deviations, of the real-valued shifted stream.
REAL_SHIFT = 3.0
#: Features of the multivariate streams, and the correlation between any two of them.
MULTIVARIATE_FEATURES, MULTIVARIATE_CORRELATION = 3, 0.9


def _correlated_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Standard normal features with pairwise correlation ``MULTIVARIATE_CORRELATION``: one
    strong common factor, the structure PCA-based detectors assume."""
    d, rho = MULTIVARIATE_FEATURES, MULTIVARIATE_CORRELATION
    chol = np.linalg.cholesky(np.full((d, d), rho) + (1.0 - rho) * np.eye(d))
    return rng.normal(0.0, 1.0, (n, d)) @ chol.T


def _first_feature(offsets: np.ndarray) -> np.ndarray:
    out = np.zeros((offsets.shape[0], MULTIVARIATE_FEATURES))
    out[:, 0] = offsets
    return out


def null_stream(kind: str, n: int, seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """Stationary data: standard normal values, 0/1 errors at rate 0.1, or (``"multivariate"``)
    rows of 3 standard normal features with pairwise correlation 0.9.

    Examples
    --------
    >>> null_stream("binary", 8, seed=0).tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    >>> null_stream("multivariate", 5, seed=0).shape
    (5, 3)
    """
    rng = np.random.default_rng(seed)
    if kind == "multivariate":
        return _correlated_normal(rng, n)
    if kind == "binary":
        return (rng.random(n) < BINARY_NULL_RATE).astype(np.float64)
    return rng.normal(0.0, 1.0, n)


def shifted_stream(kind: str, n: int, seed: int | np.random.SeedSequence | None, *,
                   change: int) -> np.ndarray:
    """Null data up to ``change``, then a large shift: +3 sd, an error rate of 0.5, or
    (``"multivariate"``) +3 sd on the first feature alone, which also breaks its correlation
    with the others.

    Examples
    --------
    >>> x = shifted_stream("real", 2000, seed=0, change=1000)
    >>> bool(x[:1000].mean() < 0.5 < 2.5 < x[1000:].mean())
    True
    """
    rng = np.random.default_rng(seed)
    if kind == "multivariate":
        return _correlated_normal(rng, n) + _first_feature(
            np.where(np.arange(n) < change, 0.0, REAL_SHIFT))
    if kind == "binary":
        rate = np.where(np.arange(n) < change, BINARY_NULL_RATE, BINARY_SHIFTED_RATE)
        return (rng.random(n) < rate).astype(np.float64)
    return rng.normal(0.0, 1.0, n) + np.where(np.arange(n) < change, 0.0, REAL_SHIFT)


def drifting_stream(kind: str, n: int, seed: int | None, *, period: int = 700) -> np.ndarray:
    """Data whose level switches every ``period`` values, so that detectors alarm and reset.

    Examples
    --------
    >>> drifting_stream("real", 10, seed=0, period=5).shape
    (10,)
    """
    rng = np.random.default_rng(seed)
    block = (np.arange(n) // period) % 4
    if kind == "multivariate":  # the first feature's level switches
        return _correlated_normal(rng, n) + _first_feature(np.array([0.0, 3.0, 0.0, -2.0])[block])
    if kind == "binary":
        rate = np.array([0.1, 0.5, 0.1, 0.3])[block]
        return (rng.random(n) < rate).astype(np.float64)
    return rng.normal(0.0, 1.0, n) + np.array([0.0, 3.0, 0.0, -2.0])[block]


def same_value(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN and compares arrays element-wise.

    Examples
    --------
    >>> same_value(float("nan"), float("nan")), same_value([1, 2], [1, 2]), same_value(1, 2)
    (True, True, False)
    >>> from sklearn.linear_model import LogisticRegression
    >>> same_value(LogisticRegression(C=2.0), LogisticRegression(C=2.0))
    True
    """
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
        except TypeError:
            return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is type(b) and callable(getattr(a, "get_params", None)) and not isinstance(a, type):
        return a is b or same_value(a.get_params(), b.get_params())  # estimators given as parameters
    try:
        return bool(a == b)
    except Exception:
        return a is b


def same_result(a: DriftResult, b: DriftResult) -> bool:
    """Whether two results agree on every field (NaN statistics count as equal)."""
    return all(same_value(getattr(a, f), getattr(b, f))
               for f in ("drift", "statistic", "threshold", "pvalue", "warning", "n_seen"))


def loop_update(det: BaseDetector, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[DriftResult]]:
    """Alarm and warning positions, and every result, of ``update`` called once per value
    (once per row, as a list of floats, for a 2-D signal)."""
    results = [det.update(v) for v in x.tolist()]
    alarms = [i for i, r in enumerate(results) if r.drift]
    warnings = [i for i, r in enumerate(results) if r.warning]
    return np.asarray(alarms, dtype=np.int64), np.asarray(warnings, dtype=np.int64), results


def state_size(obj: Any, *, depth: int = 5, _seen: set[int] | None = None) -> int:
    """Bytes of arrays plus lengths of containers reachable from ``obj``'s attributes.

    Callables (functions, compiled loops), classes and modules are not followed. Used to
    check that a detector's memory does not grow with the length of the stream.

    Examples
    --------
    >>> class Box:
    ...     def __init__(self):
    ...         self.values_ = np.zeros(4)
    ...         self.seen_ = [1, 2]
    >>> state_size(Box())
    34
    """
    seen = set() if _seen is None else _seen
    if depth < 0 or id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, (str, bytes, numbers.Number, type(None), np.generic, type, ModuleType)) \
            or callable(obj):
        return 0
    if isinstance(obj, dict):
        return len(obj) + sum(state_size(v, depth=depth - 1, _seen=seen) for v in obj.values())
    if isinstance(obj, (list, tuple, set, frozenset, collections.deque)):
        return len(obj) + sum(state_size(v, depth=depth - 1, _seen=seen) for v in obj)
    attrs = list(getattr(obj, "__dict__", {}).values())
    for klass in type(obj).__mro__:
        slots = getattr(klass, "__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if hasattr(obj, name):
                attrs.append(getattr(obj, name))
    return sum(state_size(v, depth=depth - 1, _seen=seen) for v in attrs)
