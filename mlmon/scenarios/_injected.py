"""Drift injected into chosen numeric columns of a user's own DataFrame."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import annotated_types as at
import numpy as np
import pandas as pd

from mlmon._validation import validate_params
from mlmon.scenarios._base import Scenario, Stream, register_scenario
from mlmon.scenarios._synthetic import ShiftKind, _change_weights, _check_change, _drift

__all__ = ["InjectedShift", "load_example_frame"]

_EXAMPLE_FRAMES = ("wine", "breast_cancer", "diabetes", "iris")


def load_example_frame(name: Literal["wine", "breast_cancer", "diabetes", "iris"] = "wine") -> pd.DataFrame:
    """A dataset that ships inside scikit-learn, as one DataFrame (features and ``target``).

    Nothing is downloaded: these are scikit-learn's bundled toy datasets (see
    ``datasets/README.md`` for their provenance).

    Parameters
    ----------
    name
        ``"wine"`` (178 x 13 chemical measurements), ``"breast_cancer"`` (569 x 30),
        ``"diabetes"`` (442 x 10, regression target) or ``"iris"`` (150 x 4).

    Examples
    --------
    >>> frame = load_example_frame("wine")
    >>> frame.shape, frame.columns[0], frame.columns[-1]
    ((178, 14), 'alcohol', 'target')
    """
    if name not in _EXAMPLE_FRAMES:
        raise ValueError(
            f"load_example_frame: parameter 'name' must be one of {', '.join(map(repr, _EXAMPLE_FRAMES))}, "
            f"got {name!r}."
        )
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    return loader(as_frame=True).frame.copy()


# What the scenarios over a user's DataFrame share (as properties): the stream is ``n_samples``
# rows resampled from ``data`` (default: as many as it has), the change at ``position``
# (default: the middle), and ``data``'s fingerprint.
def frame_n_samples(self: Any) -> int:
    return int(self.n_samples) if self.n_samples is not None else int(self.data.shape[0])


def frame_position(self: Any) -> int:
    return int(self.position) if self.position is not None else self._n_samples // 2


def frame_fingerprint(self: Any) -> str:
    """sha256 hex digest of ``data`` (columns, dtypes, index and values)."""
    return self._digest("data", self.data)


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class InjectedShift(Scenario):
    """Covariate drift injected into chosen numeric columns of your own DataFrame.

    Each stream resamples the rows of ``data`` with replacement (seeded) to ``n_samples`` rows,
    then from ``position`` on transforms every chosen column ``c`` as

    ``x -> m_c + (x - m_c) * (1 + (scale - 1) * a) + shift * s_c * a``

    where ``m_c`` and ``s_c`` are the column's mean and standard deviation (``ddof=1``) in
    ``data`` and ``a`` the change's weight: 1 for a sudden change; for a gradual one a row
    is fully transformed (``a = 1``) with a probability that ramps linearly from 0 to 1 over
    ``width`` rows, else left as is; for an incremental one ``a`` itself ramps linearly. So
    the post-change mean is ``m_c + shift * s_c`` and standard deviation ``scale * s_c`` (in
    the resampling distribution). ``shift=0`` and ``scale=1`` make a stationary scenario.

    Parameters
    ----------
    data
        The DataFrame to resample (copied). The chosen columns and ``monitor`` must be
        numeric, non-boolean and free of NaN and infinities; other columns are carried along.
    columns
        Name or names of the columns to drift.
    monitor
        The column returned as ``Stream.signal`` (default: the first of ``columns``). It may
        be a column left undrifted, to measure false alarms on an unaffected feature.
    n_samples
        Rows in the stream (default ``len(data)``).
    position
        Index of the first row of the change (default ``n_samples // 2``).
    shift
        Change of the mean in units of each column's standard deviation.
    kind
        ``"sudden"``, ``"gradual"`` or ``"incremental"``.
    width
        Rows the change takes: 0 for ``"sudden"``, > 0 otherwise.
    scale
        Ratio of the new to the old spread about the column mean.

    Notes
    -----
    ``Stream.X`` is the resampled, drifted DataFrame (with a fresh ``RangeIndex``; the chosen
    columns become float64), ``Stream.signal`` its ``monitor`` column, and the ground truth
    ``Drift(position, position + width, kind, what="covariate", columns=columns)``.
    :meth:`params` reports ``data`` by its sha256 fingerprint and shape.

    Examples
    --------
    >>> frame = load_example_frame("wine")
    >>> sc = InjectedShift(frame, ["alcohol", "hue"], n_samples=2000, shift=2.0)
    >>> s = sc.generate(seed=0)
    >>> s.X.shape, s.drifts[0].start, s.drifts[0].columns
    ((2000, 14), 1000, ('alcohol', 'hue'))
    >>> delta = s.X["alcohol"][1000:].mean() - s.X["alcohol"][:1000].mean()
    >>> round(float(delta / frame["alcohol"].std()))
    2
    >>> sc.null().is_stationary
    True
    """

    data: pd.DataFrame = field(kw_only=False)
    columns: tuple[str, ...] = field(kw_only=False)
    monitor: str | None = None
    n_samples: Annotated[int, at.Ge(2)] | None = None
    position: Annotated[int, at.Ge(1)] | None = None
    shift: float = 1.0
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0
    scale: Annotated[float, at.Gt(0)] = 1.0

    def __post_init__(self) -> None:
        owner = self.name
        data = self.data
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"{owner}: parameter 'data' must be a pandas DataFrame, got {type(data).__name__}; "
                "wrap arrays with pd.DataFrame(array, columns=[...])."
            )
        if data.shape[0] < 2 or data.shape[1] == 0:
            raise ValueError(
                f"{owner}: parameter 'data' needs at least 2 rows and 1 column, got shape {data.shape}."
            )
        columns = self.columns
        if isinstance(columns, str):
            columns = (columns,)
        elif isinstance(columns, (list, tuple, pd.Index)):
            columns = tuple(columns)
        else:
            raise TypeError(
                f"{owner}: parameter 'columns' must be a column name or a list of names, got {columns!r}."
            )
        if not columns:
            raise ValueError(f"{owner}: parameter 'columns' must name at least one column to drift.")
        if len(set(columns)) != len(columns):
            raise ValueError(f"{owner}: parameter 'columns' names a column twice: {list(columns)}.")
        object.__setattr__(self, "columns", columns)
        validate_params(self)
        monitor = self.monitor if self.monitor is not None else columns[0]
        available = list(data.columns)
        for label, role in [*((c, "columns") for c in columns), (monitor, "monitor")]:
            _check_column(owner, data, label, role, available)
        n = self._n_samples
        _check_change(owner, n_samples=n, position=self._position, width=self.width, kind=self.kind)
        frame = data.copy(deep=True)
        stats = {}
        for c in columns:
            values = frame[c].to_numpy(dtype=np.float64)
            s = float(np.std(values, ddof=1))
            if not s > 0:
                raise ValueError(
                    f"{owner}: column {c!r} is constant, so a shift in units of its standard "
                    "deviation is undefined; drift a column that varies."
                )
            stats[c] = (float(np.mean(values)), s)
        object.__setattr__(self, "data", frame)
        object.__setattr__(self, "_stats", stats)

    _n_samples = property(frame_n_samples)
    _position = property(frame_position)
    fingerprint = property(frame_fingerprint)

    @property
    def is_stationary(self) -> bool:
        return self.shift == 0 and self.scale == 1

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        return dataclasses.replace(self, shift=0.0, scale=1.0, kind="sudden", width=0)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.name != "data"
        )
        rows, cols = self.data.shape
        return f"{self.name}(data=<DataFrame {rows}x{cols}, sha256 {self.fingerprint[:12]}>, {shown})"

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self._n_samples, self._position
        rows = rng.integers(0, self.data.shape[0], size=n)
        X = self.data.iloc[rows].reset_index(drop=True)
        drifts: tuple[Any, ...] = ()
        w = None if self.is_stationary else _change_weights(rng, n, position=p, width=self.width, kind=self.kind)
        for c in self.columns:
            x = X[c].to_numpy(dtype=np.float64, copy=True)
            if w is not None:
                m, s = self._stats[c]  # type: ignore[attr-defined]
                wp = w[p:]
                moved = m + (x[p:] - m) * (1.0 + (self.scale - 1.0) * wp) + self.shift * s * wp
                x[p:] = np.where(wp > 0, moved, x[p:])
            X[c] = x
        if w is not None:
            drifts = (_drift(position=p, width=self.width, kind=self.kind, what="covariate", columns=self.columns),)
        monitor = self.monitor if self.monitor is not None else self.columns[0]
        signal = X[monitor].to_numpy(dtype=np.float64)
        return Stream(signal=signal, drifts=drifts, X=X, meta={"data_sha256": self.fingerprint, "monitor": monitor})


def _check_column(owner: str, data: pd.DataFrame, label: Any, role: str, available: list[Any]) -> None:
    if not isinstance(label, str):
        raise TypeError(
            f"{owner}: parameter {role!r} must hold column names (str), got {label!r}; rename "
            "columns with data.columns = data.columns.astype(str)."
        )
    if label not in available:
        shown = ", ".join(map(repr, available[:30])) + (" ..." if len(available) > 30 else "")
        raise ValueError(f"{owner}: parameter {role!r}: no column {label!r} in data; available: {shown}.")
    col = data[label]
    if isinstance(col, pd.DataFrame):
        raise ValueError(f"{owner}: parameter {role!r}: data has several columns named {label!r}; make names unique.")
    if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        raise TypeError(
            f"{owner}: parameter {role!r}: column {label!r} must be numeric (not boolean), got dtype "
            f"{col.dtype}; convert it (pd.to_numeric) or pick a numeric column."
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{owner}: parameter {role!r}: column {label!r} holds {int(bad.sum())} NaN or infinite "
            f"value(s) (first at row {int(np.flatnonzero(bad)[0])}); drop or impute them first."
        )
