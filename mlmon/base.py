"""The detector protocol: :class:`DriftResult`, :class:`Alarms` and :class:`BaseDetector`.

Every detector in mlmon, native or adapted from a peer library, follows one protocol:

- ``fit(reference) -> self``: learn what "no drift" looks like (optional for streaming
  detectors, which can also learn it from their first ``min_samples`` values);
- ``update(x) -> DriftResult``: take one value (or a batch, processed in order);
- ``run(signal) -> Alarms``: the fast path over a whole array, giving exactly the alarms a
  loop of ``update`` gives and leaving the detector in the same state;
- ``reset() -> self``: back to the just-fitted state;
- ``get_params()`` and ``clone(**overrides)``.

Parameters are keyword-only, stored verbatim and validated from their annotations. State
created by ``fit`` and ``reset`` lives in attributes whose names end in ``_``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from mlmon._validation import check_signal, validate_params
from mlmon.runtime._inputs import DriftResult, step_result, update_batch

__all__ = ["Alarms", "BaseDetector", "DriftResult", "restore_state", "same_state"]


@dataclass(frozen=True, slots=True, eq=False)
class Alarms:
    """Positions (0-based, within the signal passed to ``run``) where a detector fired.

    Examples
    --------
    >>> a = Alarms(indices=np.array([5, 90]), n_seen=100)
    >>> len(a), a.first, list(a)
    (2, 5, [5, 90])
    """

    indices: np.ndarray
    n_seen: int
    warnings: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __post_init__(self) -> None:
        object.__setattr__(self, "indices", np.asarray(self.indices, dtype=np.int64))
        object.__setattr__(self, "warnings", np.asarray(self.warnings, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __iter__(self):
        return iter(self.indices.tolist())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Alarms):
            return NotImplemented
        return (
            self.n_seen == other.n_seen
            and np.array_equal(self.indices, other.indices)
            and np.array_equal(self.warnings, other.warnings)
        )

    @property
    def first(self) -> int | None:
        """The first alarm position, or None when the detector never fired."""
        return int(self.indices[0]) if len(self) else None

    def __repr__(self) -> str:
        shown = self.indices[:8].tolist()
        more = f", ... ({len(self)} in all)" if len(self) > 8 else ""
        return f"Alarms(indices={shown}{more}, n_seen={self.n_seen})"


class BaseDetector:
    """Base class of every detector: parameters, validation, cloning and batch updates.

    Subclasses assign their keyword-only parameters to attributes of the same name, then call
    ``super().__init__()``, which validates them and calls ``reset()``. Native detectors build
    their engine (:mod:`mlmon.runtime`) into ``engine_`` in ``reset()`` and inherit ``update``
    and ``run``; adapters implement ``_update_one(x) -> DriftResult`` and ``run(signal) ->
    Alarms`` themselves. Either may implement ``fit``, ``trace`` and ``_export_state``.

    Class attributes describe the detector to the rest of mlmon:

    ``signal_kind``
        ``"real"`` for any numeric signal, ``"binary"`` for 0/1 error streams,
        ``"multivariate"`` for streams of rows of several features (2-D signals).
    ``threshold_param``
        Name of the parameter that sets the alarm level (what tuning calibrates).
    ``threshold_direction``
        ``"above"``: alarm when the statistic exceeds the threshold; ``"below"``: alarm when
        the p-value falls below it.
    ``exportable``
        Whether :mod:`mlmon.export` can write the detector for :mod:`mlmon.runtime`.

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> det = PageHinkley(threshold=20.0)
    >>> isinstance(det, BaseDetector), det.threshold_param, det.update(0.5).drift
    (True, 'threshold', False)
    """

    signal_kind: ClassVar[Literal["real", "binary", "multivariate"]] = "real"
    threshold_param: ClassVar[str | None] = "threshold"
    threshold_direction: ClassVar[Literal["above", "below"]] = "above"
    exportable: ClassVar[bool] = True

    def __init__(self) -> None:
        validate_params(self)
        self._check_params()
        self.reset()

    # -- parameters ---------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            n for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def _check_params(self) -> None:
        """Cross-parameter checks; subclasses override. Single parameters are checked from
        their annotations before this runs."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given.

        Examples
        --------
        >>> from mlmon.detectors import PageHinkley
        >>> PageHinkley(threshold=20.0).get_params()["threshold"]
        20.0
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def clone(self, **overrides: Any) -> BaseDetector:
        """A new, unfitted detector with the same parameters, some replaced.

        Examples
        --------
        >>> from mlmon.detectors import PageHinkley
        >>> PageHinkley(threshold=20.0).clone(threshold=5.0)
        PageHinkley(threshold=5.0)
        """
        names = self._param_names()
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.clone() got unknown parameter(s) {unknown}; "
                f"valid parameters are {names}."
            )
        return type(self)(**{**self.get_params(), **overrides})

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig.parameters[name].default
            try:
                same = bool(value == default)
            except Exception:
                same = False
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- protocol -----------------------------------------------------------------------
    def fit(self, reference: Any) -> BaseDetector:
        """Learn the no-drift baseline from ``reference``; then reset. Default: nothing to learn."""
        check_signal(reference, name="reference", binary=self.signal_kind == "binary")
        return self.reset()

    def reset(self) -> BaseDetector:
        """Return to the just-fitted state (fitted values kept, running state cleared)."""
        raise NotImplementedError

    def update(self, x: Any) -> DriftResult:
        """Take one value, or a batch of values processed in order.

        For a batch, the result is that of the first value that raised drift, with
        ``n_seen`` counting the whole batch, or that of the last value when none did.
        """
        return update_batch(self._update_one, x, owner=type(self).__name__,
                            binary=self.signal_kind == "binary")

    # Native detectors keep their arithmetic in an engine from mlmon.runtime (built by reset()
    # into ``engine_``), shared with the production runtime; these defaults drive it. Adapters
    # of other libraries override them.
    def _update_one(self, x: float) -> DriftResult:
        return step_result(self.engine_, x, reset_on_drift=self.reset_on_drift,
                           threshold=getattr(self, self.threshold_param))

    def run(self, signal: Any) -> Alarms:
        """Process a whole signal; same alarms and final state as a loop of ``update``."""
        x = check_signal(signal, binary=self.signal_kind == "binary")
        alarms, warnings = self.engine_.run(x, self.reset_on_drift)
        return Alarms(indices=alarms, n_seen=int(x.shape[0]), warnings=warnings)

    def _engine_trace(self, signal: Any) -> np.ndarray:
        """``trace`` for engine-backed detectors whose statistic before the first alarm does not
        depend on the threshold; they declare it with ``def trace(...)`` returning this."""
        return self.engine_.trace(check_signal(signal, binary=self.signal_kind == "binary"))

    def trace(self, signal: Any) -> np.ndarray:
        """The statistic at every position of ``signal``, as if no alarm ever reset the detector.

        Leaves the detector's state unchanged. Positions where no decision is taken are NaN.
        Tuning uses it to compute a whole operating curve from one pass: before the first
        alarm, the statistic does not depend on the threshold.
        """
        raise NotImplementedError(f"{type(self).__name__} has no threshold-free trace.")

    def _export_state(self) -> dict[str, Any]:
        """Values learnt by ``fit`` that a production runtime needs (scalars or arrays).

        By default: the fitted ``reference`` when ``fit`` kept one in ``reference_`` (so that
        tuning's copies of a fitted detector with another threshold keep it), else nothing.
        """
        ref = getattr(self, "reference_", None)
        return {} if ref is None else {"reference": ref}

    def _import_state(self, state: dict[str, Any]) -> None:
        """Restore what ``_export_state`` returned, then reset. By default a ``reference`` is
        fitted again and each other key goes back to the attribute of the same name plus
        ``_``; detectors that derive more override it."""
        state = dict(state)
        reference = state.pop("reference", None)
        for key, value in state.items():
            setattr(self, f"{key}_", value)
        if reference is not None:
            self.fit(reference)
        else:
            self.reset()


def same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two fitted states (``_export_state()`` dicts) hold exactly the same values.

    Examples
    --------
    >>> same_state({"mean": 0.0, "ref": np.arange(3.0)}, {"mean": 0.0, "ref": np.arange(3.0)})
    True
    >>> same_state({"mean": 0.0}, {"mean": 1e-12})
    False
    """
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            x, y = np.asarray(x), np.asarray(y)
            if x.dtype != y.dtype or not np.array_equal(x, y):
                return False
        elif float(x) != float(y):
            return False
    return True


def restore_state(detector: BaseDetector, state: dict[str, Any]) -> BaseDetector:
    """Give ``detector`` the fitted ``state`` of another (same class), and check it took.

    Examples
    --------
    >>> from mlmon.detectors import CUSUM
    >>> fitted = CUSUM().fit(np.random.default_rng(0).normal(size=200))
    >>> copy = restore_state(CUSUM(threshold=8.0), fitted._export_state())
    >>> copy.mean_ == fitted.mean_
    True
    """
    if not same_state(detector._export_state(), state):
        detector._import_state(dict(state))
        if not same_state(detector._export_state(), state):
            raise ValueError(
                f"could not restore the fitted state of {type(detector).__name__} "
                f"(keys {sorted(state)}); fit it on its reference data again."
            )
    return detector
