"""Pipeline faults and prior (label) shift injected into a user's own DataFrame.

Two scenarios complete :class:`~mlmon.scenarios.InjectedShift` (a covariate shift):

- :class:`PipelineFault` corrupts the values of chosen columns the way broken pipelines do:
  missing values (``"nulls"``), a frozen value (``"stuck"``), a unit change (``"unit"``) or
  a category never seen before (``"new_category"``).
- :class:`LabelShift` moves the class proportions of a label column (prior shift) by
  resampling whole rows, so every class keeps its own feature distribution.

Why one class for four faults and another for the label: the four faults act on the values
of chosen columns and share every parameter but their magnitude, so one class with a
``fault`` switch keeps a grid over faults one list comprehension and an experiment spec one
type (as scikit-learn keeps one estimator with a ``solver`` switch rather than a class per
solver). A prior shift changes which rows are drawn, not what they hold, and takes a label
column and class proportions in place of columns and a magnitude, so it is a class of its own.

Both follow :class:`~mlmon.scenarios.InjectedShift`: the rows of ``data`` are resampled with
replacement (seeded) to ``n_samples`` rows, the change starts at ``position`` and takes
``width`` rows (``kind`` ``"sudden"``, ``"gradual"`` or ``"incremental"``, see
:mod:`mlmon.scenarios`), ``Stream.X`` is the faulty frame and ``Stream.signal`` its
``monitor`` column. The stationary counterpart (:meth:`null`) draws the same rows with the
same seed, so a scenario and its null agree byte for byte before the change, and after it in
every cell the fault did not touch.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import annotated_types as at
import numpy as np
import pandas as pd

from mlmon._validation import validate_params
from mlmon.scenarios._base import Scenario, Stream, register_scenario
from mlmon.scenarios._injected import _check_column, frame_fingerprint, frame_n_samples, frame_position
from mlmon.scenarios._synthetic import ShiftKind, _change_weights, _check_change, _drift

__all__ = ["LabelShift", "PipelineFault"]

FaultName = Literal["nulls", "stuck", "unit", "new_category"]
_RATE_FAULTS = ("nulls", "new_category")  # faults without a magnitude: their probability ramps
_APPLIES_TO = {"factor": "unit", "offset": "unit", "value": "stuck", "category": "new_category"}
_NEW = "<new>"


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PipelineFault(Scenario):
    """A pipeline fault in chosen columns of your own DataFrame: nulls, stuck, unit, new category.

    Each stream resamples the rows of ``data`` with replacement (seeded) to ``n_samples``
    rows. From ``position`` on, every cell of the chosen columns is hit by the fault
    independently with probability ``rate`` (1: every row), and a hit cell becomes:

    - ``"nulls"``: missing (NaN in numeric columns, the column's missing value otherwise);
    - ``"stuck"``: ``value``, or when ``value`` is None the column's last value before the
      change (a frozen sensor or upstream feature; with ``rate < 1``, a default value that
      failed lookups fill in);
    - ``"unit"``: ``factor * x + offset`` (``factor=1000`` for kg -> g, ``factor=1.8,
      offset=32`` for Celsius -> Fahrenheit; with ``rate < 1``, one source of several
      switched units);
    - ``"new_category"``: ``category``, a value never seen in the column.

    For ``kind="gradual"`` a row is in the faulty regime with a probability that ramps
    linearly from 0 to 1 over ``width`` rows (then each of its cells is hit with probability
    ``rate``); for ``kind="incremental"`` the fault itself ramps: ``"unit"`` and ``"stuck"``
    move a hit cell the share ``a`` of the way from ``x`` to its faulty value (``x + a (f(x)
    - x)``), and ``"nulls"`` and ``"new_category"``, which have no magnitude, hit with
    probability ``rate * a``, the same law as ``"gradual"``.

    Parameters
    ----------
    data
        The DataFrame to resample (copied). The chosen columns and ``monitor`` must be free
        of missing values; numeric ones also of infinities. Other columns are carried along.
    columns
        Name or names of the columns to corrupt: numeric for ``"unit"``, categorical
        (object, category or string dtype) for ``"new_category"``, either for ``"nulls"``
        and ``"stuck"``.
    fault
        ``"nulls"``, ``"stuck"``, ``"unit"`` or ``"new_category"``.
    rate
        Probability that the fault hits a cell once the change is in place (0 makes a
        stationary scenario).
    factor, offset
        ``"unit"`` only: a hit value ``x`` becomes ``factor * x + offset`` (``factor`` is
        required and non-zero; ``factor=1, offset=0`` makes a stationary scenario).
    value
        ``"stuck"`` only: the value the columns freeze at (default: each column's last value
        before the change, in the stream).
    category
        ``"new_category"`` only: the name of the new category; it must not occur in ``data``.
    monitor
        The column returned as ``Stream.signal`` (default: the first of ``columns``): a
        numeric column as float64 values (NaN where missing), a categorical one as the 0/1
        signal "value missing or never seen in ``data``" (``signal_kind == "binary"``).
    n_samples
        Rows in the stream (default ``len(data)``).
    position
        Index of the first row of the change (default ``n_samples // 2``).
    kind
        ``"sudden"``, ``"gradual"`` or ``"incremental"``.
    width
        Rows the change takes: 0 for ``"sudden"``, > 0 otherwise.

    Notes
    -----
    ``Stream.X`` is the resampled, faulty DataFrame (fresh ``RangeIndex``; chosen numeric
    columns become float64, a chosen ``category`` column gains the new value as a category),
    ``Stream.signal`` its ``monitor`` column, and the ground truth ``Drift(position, position
    + width, kind, what=fault, columns=columns)``. For ``"stuck"``, ``Stream.meta["stuck_at"]``
    gives the value each column froze at.

    Missing values: mlmon's streaming detectors refuse a signal with NaN (the error says to
    drop or impute them), because a silently imputed signal hides this very fault. Use
    :class:`mlmon.monitor.Monitor` for it: for a numeric column with missing values it adds a
    hypothesis that the missing rate changed (``"<column> (null rate)"``). To watch
    missingness row by row, stream ``np.isnan(stream.signal)`` as a 0/1 signal.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"weight_kg": rng.normal(70, 10, 500),
    ...                       "plan": rng.choice(["basic", "pro"], 500)})
    >>> sc = PipelineFault(frame, "weight_kg", fault="unit", factor=1000.0, n_samples=1000)
    >>> s, null = sc.generate(seed=0), sc.null().generate(seed=0)
    >>> s.drifts
    (Drift(start=500, end=500, kind='sudden', what='unit', columns=('weight_kg',)),)
    >>> bool((s.signal[500:] == 1000.0 * null.signal[500:]).all())
    True
    >>> s = PipelineFault(frame, "weight_kg", fault="nulls", rate=0.2, n_samples=1000).generate(seed=0)
    >>> int(np.isnan(s.signal[:500]).sum()), round(float(np.isnan(s.signal[500:]).mean()), 1)
    (0, 0.2)
    >>> s = PipelineFault(frame, "plan", fault="new_category", rate=0.3).generate(seed=0)
    >>> sorted(s.X["plan"].unique()), s.signal_kind
    (['<new>', 'basic', 'pro'], 'binary')
    >>> PipelineFault(frame, "weight_kg", fault="stuck").generate(seed=0).X["weight_kg"][250:].nunique()
    1
    """

    data: pd.DataFrame = field(kw_only=False)
    columns: tuple[str, ...] = field(kw_only=False)
    fault: FaultName
    rate: Annotated[float, at.Ge(0), at.Le(1)] = 1.0
    factor: float | None = None
    offset: float = 0.0
    value: Any = None
    category: str = _NEW
    monitor: str | None = None
    n_samples: Annotated[int, at.Ge(2)] | None = None
    position: Annotated[int, at.Ge(1)] | None = None
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0

    def __post_init__(self) -> None:
        owner = self.name
        _check_frame(owner, self.data)
        columns = _as_columns(owner, self.columns)
        object.__setattr__(self, "columns", columns)
        for name in ("factor", "offset"):  # a clearer message than the annotation's union gives
            given = getattr(self, name)
            if isinstance(given, numbers.Real) and not math.isfinite(float(given)):
                raise ValueError(f"{owner}: parameter {name!r} must be a finite number, got {given!r}.")
        validate_params(self)
        self._check_fault_params()
        data = self.data
        kinds = {c: _column_kind(owner, data, c, "columns") for c in columns}
        monitor = self.monitor if self.monitor is not None else columns[0]
        monitor_kind = kinds[monitor] if monitor in kinds else _column_kind(owner, data, monitor, "monitor")
        for c, k in kinds.items():
            self._check_column_fits(c, k, data[c])
        _check_change(owner, n_samples=self._n_samples, position=self._position, width=self.width,
                      kind=self.kind)
        object.__setattr__(self, "data", data.copy(deep=True))
        object.__setattr__(self, "_kinds", kinds)
        object.__setattr__(self, "_monitor", monitor)
        object.__setattr__(self, "_monitor_kind", monitor_kind)

    def _check_fault_params(self) -> None:
        owner, fault = self.name, self.fault
        given = {"factor": self.factor is not None, "offset": self.offset != 0,
                 "value": self.value is not None, "category": self.category != _NEW}
        for name, is_set in given.items():
            if _APPLIES_TO[name] != fault and is_set:
                raise ValueError(
                    f"{owner}: parameter {name!r} applies to fault={_APPLIES_TO[name]!r} only, got "
                    f"{name}={getattr(self, name)!r} with fault={fault!r}; remove it."
                )
        if fault == "unit":
            if self.factor is None:
                raise ValueError(
                    f"{owner}: fault='unit' needs parameter 'factor', the multiplier of the new unit "
                    "(e.g. factor=1000.0 for kg -> g, factor=2.54 for inches -> cm)."
                )
            if self.factor == 0:
                raise ValueError(
                    f"{owner}: parameter 'factor' must be non-zero, got 0; for a column that reads "
                    "one constant use fault='stuck' with value=..."
                )
        if fault == "new_category" and not self.category:
            raise ValueError(f"{owner}: parameter 'category' must be a non-empty name, got {self.category!r}.")

    def _check_column_fits(self, c: str, kind: str, col: pd.Series) -> None:
        owner, fault = self.name, self.fault
        if fault == "unit" and kind != "numeric":
            raise TypeError(
                f"{owner}: parameter 'columns': fault='unit' multiplies numbers, but column {c!r} is "
                f"categorical (dtype {col.dtype}); drop it from columns, or use fault='stuck' or "
                "fault='new_category' for a categorical column."
            )
        if fault == "new_category" and kind != "categorical":
            raise TypeError(
                f"{owner}: parameter 'columns': fault='new_category' needs a categorical column "
                f"(object, category or string dtype), but column {c!r} is numeric (dtype {col.dtype}); "
                f"if its numbers are codes, convert them first (data[{c!r}].astype(str) or "
                ".astype('category'))."
            )
        if fault == "new_category" and bool((col == self.category).any()):
            raise ValueError(
                f"{owner}: parameter 'category': {self.category!r} already occurs in column {c!r}; "
                "name a category never seen in data."
            )
        if fault == "stuck" and kind == "categorical" and self.kind == "incremental":
            raise ValueError(
                f"{owner}: parameter 'kind': a categorical column ({c!r}) cannot move part of the way "
                "to a stuck value, so kind='incremental' is undefined; use kind='gradual'."
            )
        if fault == "stuck" and isinstance(col.dtype, pd.StringDtype) and self.value is not None \
                and not isinstance(self.value, str):
            raise TypeError(
                f"{owner}: parameter 'value' must be a str for the string column {c!r}, got {self.value!r}; "
                f"pass value={str(self.value)!r}."
            )
        if fault == "stuck" and kind == "numeric" and self.value is not None:
            v = self.value
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
                raise TypeError(
                    f"{owner}: parameter 'value' must be a finite number for the numeric column {c!r}, "
                    f"got {v!r}; or leave it None to freeze each column at its last value."
                )

    _n_samples = property(frame_n_samples)
    _position = property(frame_position)
    fingerprint = property(frame_fingerprint)

    @property
    def signal_kind(self) -> str:  # type: ignore[override]
        """``"binary"`` for a categorical ``monitor`` column (missing or unseen values), else ``"real"``."""
        return "binary" if self._monitor_kind == "categorical" else "real"  # type: ignore[attr-defined]

    @property
    def is_stationary(self) -> bool:
        return self.rate == 0 or (self.fault == "unit" and self.factor == 1 and self.offset == 0)

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        return dataclasses.replace(self, rate=0.0, kind="sudden", width=0)

    def __repr__(self) -> str:
        return _frame_repr(self)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self._n_samples, self._position
        rows = rng.integers(0, self.data.shape[0], size=n)
        X = self.data.iloc[rows].reset_index(drop=True)
        a = np.zeros(n)
        hits = np.zeros((n, len(self.columns)), dtype=bool)
        if not self.is_stationary:
            a[p:] = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)[p:]
            share = a[p:] if self.fault in _RATE_FAULTS else (a[p:] > 0).astype(np.float64)
            hits[p:] = rng.random((n - p, len(self.columns))) < self.rate * share[:, None]
        stuck_at = {}
        for j, c in enumerate(self.columns):
            if self._kinds[c] == "numeric":  # type: ignore[attr-defined]
                x = X[c].to_numpy(dtype=np.float64, copy=True)
                stuck_at[c] = float(x[p - 1]) if self.value is None else float(self.value)
                X[c] = self._numeric(x, hits[:, j], a, stuck_at[c])
            else:
                stuck_at[c] = X[c].iloc[p - 1] if self.value is None else self.value
                X[c] = self._categorical(X[c], hits[:, j], stuck_at[c])
        monitor = self._monitor  # type: ignore[attr-defined]
        if self._monitor_kind == "numeric":  # type: ignore[attr-defined]
            signal = X[monitor].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            seen = X[monitor].isin(pd.unique(self.data[monitor])).to_numpy(dtype=bool)
            signal = (~seen | X[monitor].isna().to_numpy(dtype=bool)).astype(np.float64)
        meta: dict[str, Any] = {"data_sha256": self.fingerprint, "monitor": monitor}
        if self.fault == "stuck":
            meta["stuck_at"] = {c: (v.item() if isinstance(v, np.generic) else v) for c, v in stuck_at.items()}
        drifts: tuple[Any, ...] = ()
        if not self.is_stationary:
            drifts = (_drift(position=p, width=self.width, kind=self.kind, what=self.fault, columns=self.columns),)
        return Stream(signal=signal, drifts=drifts, signal_kind=self.signal_kind, X=X, meta=meta)  # type: ignore[arg-type]

    def _numeric(self, x: np.ndarray, hit: np.ndarray, a: np.ndarray, stuck: float) -> np.ndarray:
        if not hit.any():
            return x
        if self.fault == "nulls":
            x[hit] = np.nan
            return x
        old, w = x[hit], a[hit]
        new = self.factor * old + self.offset if self.fault == "unit" else np.full_like(old, stuck)  # type: ignore[operator]
        x[hit] = np.where(w == 1.0, new, old + w * (new - old))  # exact at full weight
        return x

    def _categorical(self, s: pd.Series, hit: np.ndarray, stuck: Any) -> pd.Series:
        if self.fault == "nulls":
            return s.mask(hit) if hit.any() else s
        new = self.category if self.fault == "new_category" else stuck
        if isinstance(s.dtype, pd.CategoricalDtype) and new not in s.cat.categories:
            s = s.cat.add_categories([new])  # in the null stream too: same dtype before the change
        return s.where(~hit, new) if hit.any() else s


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class LabelShift(Scenario):
    """Prior (label) shift in your own DataFrame: the class proportions of a label column move.

    Each stream resamples the rows of ``data`` with replacement (seeded) to ``n_samples``
    rows, so before ``position`` the classes of ``target`` appear in their proportions in
    ``data``, ``pi``. From the change on they appear in the given ``proportions``, ``t``,
    and each row of class ``k`` is still drawn uniformly among the rows of class ``k`` in
    ``data``: ``P(y)`` changes, ``P(x | y)`` does not, and the features' marginals move only
    through the label (prior shift, also called label shift).

    The shift changes as few rows of the null stream as it can (a maximal coupling): a row of
    class ``k`` is redrawn with probability ``max(0, 1 - t_k / pi_k)``, from a class drawn
    with probability proportional to ``max(0, t_j - pi_j)``, so an expected share ``sum_k
    max(0, t_k - pi_k)`` of the rows (the total variation distance) differs from the null.
    For ``kind="gradual"`` and ``kind="incremental"`` a row is redrawn with that probability
    times the ramp's share ``a``, so the proportions move linearly, ``(1 - a) pi + a t``
    (both kinds give the same law row by row).

    Parameters
    ----------
    data
        The DataFrame to resample (copied). ``target`` and ``monitor`` must be free of
        missing values; other columns are carried along.
    target
        The label column: class labels of any type (numbers, strings, categories).
    proportions
        Class -> share after the change, one entry for every class of ``target`` in
        ``data`` (0 removes a class), shares >= 0 summing to 1. None keeps ``data``'s own
        proportions (a stationary scenario, the :meth:`null`).
    monitor
        The numeric (or boolean) column returned as ``Stream.signal`` (default ``target``,
        which must then be numeric).
    n_samples
        Rows in the stream (default ``len(data)``).
    position
        Index of the first row of the change (default ``n_samples // 2``).
    kind
        ``"sudden"``, ``"gradual"`` or ``"incremental"``.
    width
        Rows the change takes: 0 for ``"sudden"``, > 0 otherwise.

    Notes
    -----
    ``Stream.X`` is the resampled DataFrame (fresh ``RangeIndex``), ``Stream.y`` its
    ``target`` column, ``Stream.signal`` its ``monitor`` column (``signal_kind`` is
    ``"binary"`` when it holds only 0 and 1) and the ground truth ``Drift(position, position
    + width, kind, what="prior", columns=(target,))``. The truth names the label only:
    features that depend on it drift too, by construction, so a monitor flagging them sees
    the prior shift's footprint, not a false alarm.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"y": rng.integers(0, 2, 1000)})
    >>> frame["x"] = rng.normal(size=1000) + 2.0 * frame["y"]
    >>> sc = LabelShift(frame, "y", proportions={0: 0.2, 1: 0.8}, n_samples=4000)
    >>> s = sc.generate(seed=0)
    >>> s.drifts
    (Drift(start=2000, end=2000, kind='sudden', what='prior', columns=('y',)),)
    >>> round(float(s.y[:2000].mean()), 1), round(float(s.y[2000:].mean()), 1)
    (0.5, 0.8)
    >>> after = s.X.iloc[2000:]
    >>> round(float(after.loc[after["y"] == 1, "x"].mean()))  # P(x | y) intact
    2
    >>> sc.null().is_stationary, s.signal_kind
    (True, 'binary')
    """

    data: pd.DataFrame = field(kw_only=False)
    target: str = field(kw_only=False)
    proportions: Mapping[Any, float] | None
    monitor: str | None = None
    n_samples: Annotated[int, at.Ge(2)] | None = None
    position: Annotated[int, at.Ge(1)] | None = None
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0

    def __post_init__(self) -> None:
        owner = self.name
        data = self.data
        _check_frame(owner, data)
        _check_label(owner, data, self.target, "target")
        if self.proportions is not None and not isinstance(self.proportions, Mapping):
            raise TypeError(
                f"{owner}: parameter 'proportions' must be a mapping class -> share (e.g. "
                f"{{0: 0.6, 1: 0.4}}) or None, got {type(self.proportions).__name__}."
            )
        validate_params(self)
        labels = data[self.target]
        if labels.isna().any():
            raise ValueError(
                f"{owner}: parameter 'target': column {self.target!r} holds {int(labels.isna().sum())} "
                "missing label(s); drop those rows first."
            )
        try:
            codes, classes = pd.factorize(labels, sort=True)
        except TypeError:  # labels of mixed types do not sort
            codes, classes = pd.factorize(labels, sort=False)
        counts = np.bincount(codes, minlength=len(classes))
        pi = counts / counts.sum()
        t = pi.copy() if self.proportions is None else self._target_shares(list(classes))
        monitor = self.monitor if self.monitor is not None else self.target
        _check_label(owner, data, monitor, "monitor")
        col = data[monitor]
        if not (pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype)):
            hint = "name a numeric column with monitor=..." if self.monitor is None else "pick a numeric column"
            raise TypeError(
                f"{owner}: parameter 'monitor': column {monitor!r} (dtype {col.dtype}) is not numeric, "
                f"so it cannot be the signal; {hint}."
            )
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"{owner}: parameter 'monitor': column {monitor!r} holds {int(bad.sum())} NaN or infinite "
                f"value(s) (first at row {int(np.flatnonzero(bad)[0])}); drop or impute them first."
            )
        _check_change(owner, n_samples=self._n_samples, position=self._position, width=self.width,
                      kind=self.kind)
        object.__setattr__(self, "data", data.copy(deep=True))
        if self.proportions is not None:
            object.__setattr__(self, "proportions", dict(self.proportions))
        object.__setattr__(self, "_classes", list(classes))
        object.__setattr__(self, "_codes", codes.astype(np.intp))
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_order", np.argsort(codes, kind="stable"))
        object.__setattr__(self, "_starts", np.concatenate([[0], np.cumsum(counts)[:-1]]))
        object.__setattr__(self, "_pi", pi)
        object.__setattr__(self, "_t", t)
        object.__setattr__(self, "_monitor", monitor)
        object.__setattr__(self, "_binary", bool(np.all((values == 0.0) | (values == 1.0))))

    def _target_shares(self, classes: list[Any]) -> np.ndarray:
        owner, given = self.name, self.proportions
        index = {c: i for i, c in enumerate(classes)}
        shown = ", ".join(map(repr, classes[:20])) + (" ..." if len(classes) > 20 else "")
        unknown = [k for k in given if k not in index]  # type: ignore[union-attr]
        if unknown:
            raise ValueError(
                f"{owner}: parameter 'proportions' names {unknown!r}, not classes of column "
                f"{self.target!r}; its classes are {shown}."
            )
        t = np.full(len(classes), np.nan)
        for k, share in given.items():  # type: ignore[union-attr]
            if isinstance(share, (bool, np.bool_)) or not isinstance(share, numbers.Real) \
                    or not math.isfinite(float(share)) or share < 0:
                raise ValueError(
                    f"{owner}: parameter 'proportions': the share of class {k!r} must be a finite "
                    f"number >= 0, got {share!r}."
                )
            t[index[k]] = float(share)
        absent = [classes[i] for i in np.flatnonzero(np.isnan(t))]
        if absent:
            raise ValueError(
                f"{owner}: parameter 'proportions' gives no share for class(es) {absent[:20]!r} of "
                f"column {self.target!r} ({len(classes)} classes); give every class a share (0 to "
                "remove one). A prior shift needs class labels, not a continuous target."
            )
        total = float(t.sum())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"{owner}: parameter 'proportions' must sum to 1, got {total:.6g}; divide each share "
                "by their sum."
            )
        return t / total

    _n_samples = property(frame_n_samples)
    _position = property(frame_position)
    fingerprint = property(frame_fingerprint)

    @property
    def data_proportions(self) -> dict[Any, float]:
        """The class proportions of ``target`` in ``data``: those of every row before the change."""
        return {_item(c): float(v) for c, v in zip(self._classes, self._pi)}  # type: ignore[attr-defined]

    @property
    def signal_kind(self) -> str:  # type: ignore[override]
        """``"binary"`` when the ``monitor`` column holds only 0 and 1 (or booleans), else ``"real"``."""
        return "binary" if self._binary else "real"  # type: ignore[attr-defined]

    @property
    def is_stationary(self) -> bool:
        return bool(np.max(np.abs(self._t - self._pi)) <= 1e-12)  # type: ignore[attr-defined]

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        return dataclasses.replace(self, proportions=None, kind="sudden", width=0)

    def __repr__(self) -> str:
        return _frame_repr(self)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self._n_samples, self._position
        rows = rng.integers(0, self.data.shape[0], size=n)
        drifts: tuple[Any, ...] = ()
        if not self.is_stationary:
            pi, t = self._pi, self._t  # type: ignore[attr-defined]
            a = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)[p:]
            leave = np.clip(1.0 - t / pi, 0.0, 1.0)
            gain = np.clip(t - pi, 0.0, None)
            post = rows[p:]
            redraw = rng.random(n - p) < a * leave[self._codes[post]]  # type: ignore[attr-defined]
            k = int(redraw.sum())
            if k:
                new = rng.choice(len(pi), size=k, p=gain / gain.sum())
                within = rng.integers(0, self._counts[new])  # type: ignore[attr-defined]
                post[redraw] = self._order[self._starts[new] + within]  # type: ignore[attr-defined]
            drifts = (_drift(position=p, width=self.width, kind=self.kind, what="prior", columns=(self.target,)),)
        X = self.data.iloc[rows].reset_index(drop=True)
        monitor = self._monitor  # type: ignore[attr-defined]
        signal = X[monitor].to_numpy(dtype=np.float64)
        kind = "binary" if self._binary else "real"  # type: ignore[attr-defined]
        return Stream(signal=signal, drifts=drifts, signal_kind=kind, X=X, y=X[self.target].to_numpy(),
                      meta={"data_sha256": self.fingerprint, "monitor": monitor})


def _check_frame(owner: str, data: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{owner}: parameter 'data' must be a pandas DataFrame, got {type(data).__name__}; "
            "wrap arrays with pd.DataFrame(array, columns=[...])."
        )
    if data.shape[0] < 2 or data.shape[1] == 0:
        raise ValueError(f"{owner}: parameter 'data' needs at least 2 rows and 1 column, got shape {data.shape}.")


def _as_columns(owner: str, columns: Any) -> tuple[str, ...]:
    if isinstance(columns, str):
        columns = (columns,)
    elif isinstance(columns, (list, tuple, pd.Index)):
        columns = tuple(columns)
    else:
        raise TypeError(f"{owner}: parameter 'columns' must be a column name or a list of names, got {columns!r}.")
    if not columns:
        raise ValueError(f"{owner}: parameter 'columns' must name at least one column to corrupt.")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{owner}: parameter 'columns' names a column twice: {list(columns)}.")
    return columns


def _check_label(owner: str, data: pd.DataFrame, label: Any, role: str) -> None:
    """``label`` names exactly one column of ``data``."""
    if not isinstance(label, str):
        raise TypeError(
            f"{owner}: parameter {role!r} must hold column names (str), got {label!r}; rename "
            "columns with data.columns = data.columns.astype(str)."
        )
    available = list(data.columns)
    if label not in available:
        shown = ", ".join(map(repr, available[:30])) + (" ..." if len(available) > 30 else "")
        raise ValueError(f"{owner}: parameter {role!r}: no column {label!r} in data; available: {shown}.")
    if isinstance(data[label], pd.DataFrame):
        raise ValueError(f"{owner}: parameter {role!r}: data has several columns named {label!r}; make names unique.")


def _column_kind(owner: str, data: pd.DataFrame, label: Any, role: str) -> str:
    """``"numeric"`` or ``"categorical"``, after checking the column exists and is complete."""
    _check_label(owner, data, label, role)
    col = data[label]
    if pd.api.types.is_bool_dtype(col.dtype):
        raise TypeError(
            f"{owner}: parameter {role!r}: column {label!r} is boolean; convert it to numbers "
            f"(data[{label!r}].astype(float)) or to a category (.astype('category')) first."
        )
    if pd.api.types.is_numeric_dtype(col.dtype):
        _check_column(owner, data, label, role, list(data.columns))
        return "numeric"
    if not (isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(col.dtype)
            or pd.api.types.is_string_dtype(col.dtype)):
        raise TypeError(
            f"{owner}: parameter {role!r}: column {label!r} has dtype {col.dtype}, neither numeric nor "
            "categorical (object, category or string); convert it first."
        )
    missing = col.isna().to_numpy(dtype=bool)
    if missing.any():
        raise ValueError(
            f"{owner}: parameter {role!r}: column {label!r} holds {int(missing.sum())} missing value(s) "
            f"(first at row {int(np.flatnonzero(missing)[0])}); fill them first "
            f"(e.g. data[{label!r}].fillna('<missing>'))."
        )
    return "categorical"


def _frame_repr(sc: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(sc, f.name)!r}" for f in dataclasses.fields(sc) if f.name != "data")
    rows, cols = sc.data.shape
    return f"{sc.name}(data=<DataFrame {rows}x{cols}, sha256 {sc.fingerprint[:12]}>, {shown})"


def _item(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
