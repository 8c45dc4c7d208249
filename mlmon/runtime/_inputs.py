"""Inputs and outputs every detector shares, needing numpy alone: the signal check and
:class:`DriftResult`. Research detectors and the production runtime import them from here."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Callable

import numpy as np

__all__ = ["DriftResult", "check_signal", "check_value", "step_result", "update_batch"]


@dataclass(frozen=True, slots=True)
class DriftResult:
    """What a detector says after one ``update``.

    Attributes
    ----------
    drift
        Whether the detector signals drift at this update.
    statistic
        The value compared with ``threshold`` (NaN while the detector takes no decision,
        e.g. during burn-in or between windows).
    threshold
        The alarm level the statistic is compared with. For tests decided on a p-value it is
        the significance level ``alpha`` and the comparison is ``pvalue < threshold``.
    pvalue
        The p-value of the test behind the decision, where the method has one.
    warning
        Whether the detector is in its warning zone (methods that have one).
    n_seen
        Samples seen since the detector was last reset.

    Examples
    --------
    >>> DriftResult(drift=False, statistic=0.3, threshold=5.0, n_seen=10).drift
    False
    """

    drift: bool
    statistic: float
    threshold: float
    pvalue: float | None = None
    warning: bool = False
    n_seen: int = 0



def check_signal(
    x: Any,
    *,
    name: str = "signal",
    min_length: int = 1,
    binary: bool = False,
    allow_2d: bool = False,
) -> np.ndarray:
    """Return ``x`` as a contiguous float64 array, or raise an error that names the problem.

    Parameters
    ----------
    x
        Array-like of numbers (a list, a numpy array, a pandas Series).
    name
        What the caller calls this input, used in error messages.
    min_length
        Fewest elements accepted.
    binary
        Require every value to be 0 or 1 (error streams).
    allow_2d
        Accept a 2-D (n_samples, n_features) array as well as a 1-D one.

    Examples
    --------
    >>> check_signal([1, 2, 3])
    array([1., 2., 3.])
    >>> try:
    ...     check_signal([1.0, float("nan")])
    ... except ValueError as err:
    ...     print(err)
    signal contains 1 NaN or infinite value (first at index 1); drop or impute them before monitoring.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got a {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind in "USVMm":
        raise TypeError(
            f"{name} must be numeric, got dtype {arr.dtype}; convert it (e.g. pd.to_numeric) "
            "or encode categories before monitoring."
        )
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {arr.dtype}.")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        want = "1-D or 2-D" if allow_2d else "1-D"
        raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}.")
    if arr.shape[0] < min_length:
        raise ValueError(f"{name} needs at least {min_length} samples, got {arr.shape[0]}.")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        n_bad = int(bad.sum())
        first = int(np.argwhere(bad)[0][0])
        plural = "value" if n_bad == 1 else "values"
        raise ValueError(
            f"{name} contains {n_bad} NaN or infinite {plural} (first at index {first}); "
            "drop or impute them before monitoring."
        )
    if binary and not np.all((arr == 0.0) | (arr == 1.0)):
        first = int(np.argwhere((arr != 0.0) & (arr != 1.0)).ravel()[0])
        raise ValueError(
            f"{name} must hold only 0 and 1 (an error stream), got {arr.ravel()[first]!r} at index "
            f"{first}; pass a model's errors (y_pred != y_true) as 0/1."
        )
    return arr



def check_value(x: Any, *, owner: str, binary: bool) -> float:
    """One value for ``update``, as a float, or an error naming the problem.

    Examples
    --------
    >>> check_value(True, owner="DDM", binary=True)
    1.0
    >>> try:
    ...     check_value(float("nan"), owner="CUSUM", binary=False)
    ... except ValueError as err:
    ...     print(err)
    x must be finite, got nan; drop or impute missing values first.
    """
    if isinstance(x, (bool, np.bool_)):
        x = float(x)
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"x must be a number, got {x!r} ({type(x).__name__}).") from None
    if not math.isfinite(value):
        raise ValueError(f"x must be finite, got {value}; drop or impute missing values first.")
    if binary and value not in (0.0, 1.0):
        raise ValueError(f"{owner} monitors a 0/1 error stream; got x={x!r}. "
                         "Pass the model's errors (y_pred != y_true) as 0/1.")
    return value


def update_batch(step: Callable[[float], DriftResult], x: Any, *, owner: str, binary: bool) -> DriftResult:
    """``update`` for one value or a batch: a batch is processed in order, and its result is
    that of the first value that raised drift (with ``n_seen`` counting the whole batch), or
    that of the last value when none did.

    Examples
    --------
    >>> seen = []
    >>> def step(v):
    ...     seen.append(v)
    ...     return DriftResult(drift=v > 5, statistic=v, threshold=5.0, n_seen=len(seen))
    >>> r = update_batch(step, [1.0, 7.0, 2.0], owner="demo", binary=False)
    >>> r.statistic, r.n_seen
    (7.0, 3)
    """
    if np.ndim(x) == 0:
        return step(check_value(x, owner=owner, binary=binary))
    batch = check_signal(x, name="x", binary=binary)
    first = last = None
    for value in batch.tolist():
        last = step(value)
        if last.drift and first is None:
            first = last
    if first is None:
        return last
    return DriftResult(first.drift, first.statistic, first.threshold, first.pvalue, first.warning, last.n_seen)


def step_result(engine: Any, x: float, *, reset_on_drift: bool, threshold: float) -> DriftResult:
    """Step an engine once and say what it found: the one translation from an engine's
    ``(flag, statistic, n_seen)`` (and ``pvalue_`` where it has one) to a :class:`DriftResult`.

    Examples
    --------
    >>> from mlmon.runtime._kernels import Engine
    >>> eng = Engine("cusum", {"threshold": 4.0, "allowance": 0.5, "min_samples": 2,
    ...                        "alternative": "two-sided"}, {"mean": 0.0, "std": 1.0})
    >>> step_result(eng, 5.0, reset_on_drift=True, threshold=4.0).drift
    True
    """
    flag, stat, n_seen = engine.update_one(x, reset_on_drift)
    pvalue = getattr(engine, "pvalue_", None)
    return DriftResult(
        drift=flag == 2,
        statistic=float(stat),
        threshold=float(threshold),
        pvalue=None if pvalue is None or math.isnan(stat) else float(pvalue),  # no test, no p-value
        warning=flag == 1,
        n_seen=int(n_seen),
    )
