"""Adapter that puts any river drift detector behind mlmon's detector protocol."""

from __future__ import annotations

import inspect
import math
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._registry import register

# river detector (name normalised: upper case, no "_") -> (alarm-level parameter, direction).
# "above": a larger value gives fewer alarms; "below": a smaller value gives fewer alarms.
_ALARM_LEVEL: dict[str, tuple[str, str]] = {
    "ADWIN": ("delta", "below"),  # confidence of the cut test
    "PAGEHINKLEY": ("threshold", "above"),
    "KSWIN": ("alpha", "below"),  # drift when the KS p-value <= alpha
    "DDM": ("drift_threshold", "above"),  # in standard deviations
    "EDDM": ("beta", "below"),  # drift when the distance ratio falls below beta
    "HDDMA": ("drift_confidence", "below"),  # Hoeffding bound uses log(1 / confidence)
    "HDDMW": ("drift_confidence", "below"),  # McDiarmid bound uses log(1 / confidence)
    "FHDDM": ("confidence_level", "below"),  # epsilon grows with log(1 / confidence_level)
}

# river detector -> (mlmon class, river parameter -> mlmon parameter, value translations)
_NATIVE: dict[str, tuple[str, dict[str, str], dict[str, dict[Any, Any]]]] = {
    "PAGEHINKLEY": (
        "PageHinkley",
        {"min_instances": "min_samples", "delta": "delta", "threshold": "threshold",
         "alpha": "fading_factor", "mode": "alternative"},
        {"mode": {"up": "greater", "down": "less", "both": "two-sided"}},
    ),
    "DDM": (
        "DDM",
        {"warm_start": "min_samples", "warning_threshold": "warning_threshold",
         "drift_threshold": "threshold"},
        {},
    ),
    "EDDM": (
        "EDDM",
        {"warm_start": "min_samples", "alpha": "warning_threshold", "beta": "threshold"},
        {},
    ),
    "HDDMA": (
        "HDDM_A",
        {"drift_confidence": "threshold", "warning_confidence": "warning_threshold",
         "two_sided_test": "alternative"},
        {"two_sided_test": {True: "two-sided", False: "greater"}},
    ),
    "HDDMW": (
        "HDDM_W",
        {"drift_confidence": "threshold", "warning_confidence": "warning_threshold",
         "lambda_val": "smoothing", "two_sided_test": "alternative"},
        {"two_sided_test": {True: "two-sided", False: "greater"}},
    ),
    "ADWIN": (
        "ADWIN",
        {"delta": "threshold", "clock": "clock", "max_buckets": "max_buckets",
         "min_window_length": "min_window_length", "grace_period": "min_samples"},
        {},
    ),
    "KSWIN": (
        "KSWIN",
        {"alpha": "alpha", "window_size": "window_size", "stat_size": "sample_size",
         "seed": "seed"},
        {},
    ),
}


def _key(name: str) -> str:
    return name.replace("_", "").upper()


@lru_cache(maxsize=1)
def _river_detectors() -> dict[str, type]:
    """Every drift detector class river offers, by normalised name."""
    from river import base, drift

    kinds = tuple(getattr(base, k) for k in ("DriftDetector", "BinaryDriftDetector") if hasattr(base, k))
    found: dict[str, type] = {}
    for module in (drift, getattr(drift, "binary", None)):
        if module is None:
            continue
        for attr in dir(module):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and issubclass(obj, kinds) and not inspect.isabstract(obj):
                found.setdefault(_key(obj.__name__), obj)
    return found


def _is_binary(cls: type) -> bool:
    from river import base

    binary = getattr(base, "BinaryDriftDetector", None)
    if binary is not None:
        return issubclass(cls, binary)
    return ".binary." in cls.__module__ or _key(cls.__name__) in {"DDM", "EDDM", "HDDMA", "HDDMW"}


def _river_params(cls: type) -> dict[str, Any]:
    """Constructor parameters of a river class with their defaults."""
    sig = inspect.signature(cls.__init__)
    return {
        n: p.default for n, p in sig.parameters.items()
        if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


_RESERVED = {"detector", "fit", "update", "reset", "run", "trace", "clone", "get_params",
             "signal_kind", "threshold_param", "threshold_direction", "exportable"}


@register
class River(BaseDetector):
    """Any river drift detector (``river.drift`` and ``river.drift.binary``) as an mlmon detector.

    Lets river's detectors run side by side with mlmon's in one benchmark. ``run`` loops
    river's own ``update`` (river's speed). river resets a detector by itself after each
    drift, so the adapter always behaves as ``reset_on_drift=True``. Adapted detectors are
    not exportable (production must not need river); where mlmon has a native equivalent,
    :meth:`native_equivalent` builds it with the parameters translated.

    Parameters
    ----------
    detector
        A river class name (``"ADWIN"``, ``"PageHinkley"``, ``"KSWIN"``, ``"DDM"``,
        ``"EDDM"``, ``"HDDM_A"`` or ``"HDDMA"``, ``"HDDM_W"`` or ``"HDDMW"``, ``"FHDDM"``,
        ...; spellings of all river versions are accepted), or a river detector instance,
        whose class and scalar parameters are read (the instance itself is not kept).
    **params
        The river detector's own parameters, under river's names.

    Attributes
    ----------
    threshold_param
        river's alarm-level parameter (``"delta"`` for ADWIN, ``"threshold"`` for
        Page-Hinkley, ``"alpha"`` for KSWIN, ``"drift_threshold"`` for DDM, ...), None when it
        has none.
    threshold_direction
        ``"above"`` when a larger value gives fewer alarms, ``"below"`` when a smaller one does.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.detectors import River
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(3, 1, 500)])
    >>> det = River("ADWIN", delta=0.002)
    >>> det.threshold_param, det.threshold_direction, det.signal_kind
    ('delta', 'below', 'real')
    >>> 1000 <= det.run(x).first < 1100
    True
    >>> River("PageHinkley", threshold=30.0).native_equivalent()
    PageHinkley(threshold=30.0)
    """

    exportable = False
    _positional_params = ("detector",)  # River("ADWIN", ...) reads naturally
    #: river detectors with a native mlmon equivalent: mlmon class and parameter names.
    NATIVE_EQUIVALENTS: ClassVar[dict[str, tuple[str, dict[str, str]]]] = {
        key: (cls, mapping) for key, (cls, mapping, _) in _NATIVE.items()
    }

    def __init__(self, detector: str | object, **params: Any):
        if isinstance(detector, str):
            self.detector = detector
            given = dict(params)
        else:
            cls = type(detector)
            if not (cls.__module__.startswith("river.") and hasattr(detector, "update")
                    and hasattr(detector, "drift_detected")):
                raise TypeError(
                    f"River: parameter 'detector' must be a river drift detector class name "
                    f"(e.g. 'ADWIN') or a river drift detector instance, got {detector!r}."
                )
            self.detector = cls.__name__
            scalar = (int, float, str, bool, type(None))
            given = {n: getattr(detector, n) for n in _river_params(cls)
                     if isinstance(getattr(detector, n, None), scalar)}
            given.update(params)
        self._river_cls = self._resolve(self.detector)
        self._binary = _is_binary(self._river_cls)
        defaults = _river_params(self._river_cls)
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise TypeError(
                f"River: {self._river_cls.__name__} has no parameter(s) {unknown}; its "
                f"parameters are {sorted(defaults)}."
            )
        clash = sorted(set(defaults) & _RESERVED)
        if clash:  # pragma: no cover - no river detector has such parameters today
            raise TypeError(f"River: cannot adapt {self._river_cls.__name__}: parameter(s) {clash} "
                            "clash with the detector protocol.")
        self._given = given
        self._river_params = {**{k: v for k, v in defaults.items()
                                 if v is not inspect.Parameter.empty}, **given}
        for name, value in self._river_params.items():
            setattr(self, name, value)
        super().__init__()

    @staticmethod
    def _resolve(name: str) -> type:
        known = _river_detectors()
        cls = known.get(_key(name))
        if cls is None:
            raise ValueError(
                f"River: parameter 'detector' must name a river drift detector, got {name!r}; "
                f"available: {sorted(c.__name__ for c in known.values())}."
            )
        return cls

    # -- description ----------------------------------------------------------------------
    @property
    def signal_kind(self) -> str:  # type: ignore[override]
        return "binary" if self._binary else "real"

    @property
    def threshold_param(self) -> str | None:  # type: ignore[override]
        return _ALARM_LEVEL.get(_key(self._river_cls.__name__), (None, "above"))[0]

    @property
    def threshold_direction(self) -> str:  # type: ignore[override]
        return _ALARM_LEVEL.get(_key(self._river_cls.__name__), (None, "above"))[1]

    # -- parameters -----------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """``{"detector": name, **river parameters}``, river's defaults filled in.

        Examples
        --------
        >>> from mlmon.detectors import River
        >>> River("DDM", drift_threshold=4.0).get_params()
        {'detector': 'DDM', 'warm_start': 30, 'warning_threshold': 2.0, 'drift_threshold': 4.0}
        """
        return {"detector": self.detector, **self._river_params}

    def clone(self, **overrides: Any) -> River:
        """A new adapter with the same river detector and parameters, some replaced.

        Examples
        --------
        >>> from mlmon.detectors import River
        >>> River("ADWIN").clone(delta=0.01)
        River('ADWIN', delta=0.01)
        """
        detector = overrides.pop("detector", self.detector)
        base = self._given if _key(str(detector)) == _key(self.detector) else {}
        return River(detector, **{**base, **overrides})

    def __repr__(self) -> str:
        shown = "".join(f", {k}={v!r}" for k, v in self._given.items())
        return f"River({self.detector!r}{shown})"

    def native_equivalent(self) -> BaseDetector | None:
        """The native mlmon detector raising the same alarms, or None when there is none.

        Examples
        --------
        >>> from mlmon.detectors import River
        >>> River("DDM", warm_start=50, drift_threshold=3.5).native_equivalent()
        DDM(threshold=3.5, min_samples=50)
        >>> River("ADWIN", delta=0.01).native_equivalent()
        ADWIN(threshold=0.01)
        >>> River("FHDDM").native_equivalent() is None
        True
        """
        entry = _NATIVE.get(_key(self._river_cls.__name__))
        if entry is None or self._river_params.get("window") is not None:
            return None  # no twin, or KSWIN started from a given window, which ours does not take
        from mlmon.detectors._registry import get

        name, mapping, values = entry
        params = {ours: values.get(theirs, {}).get(self._river_params[theirs],
                                                   self._river_params[theirs])
                  for theirs, ours in mapping.items()}
        return get(name)(**params)

    def native_param_map(self) -> dict[str, str]:
        """river parameter name -> native mlmon parameter name (empty without a native twin).

        Examples
        --------
        >>> from mlmon.detectors import River
        >>> River("DDM").native_param_map()["warm_start"]
        'min_samples'
        """
        entry = _NATIVE.get(_key(self._river_cls.__name__))
        return {} if entry is None else dict(entry[1])

    # -- protocol -------------------------------------------------------------------------
    def reset(self) -> River:
        self.detector_ = self._river_cls(**self._river_params)
        self.n_seen_ = 0
        return self

    def _step(self, value: float) -> tuple[bool, bool]:
        det = self.detector_
        det.update(bool(value) if self._binary else value)
        drift = bool(det.drift_detected)
        return drift, (not drift) and bool(getattr(det, "warning_detected", False))

    def _update_one(self, x: float) -> DriftResult:
        self.n_seen_ += 1
        n_seen = self.n_seen_
        drift, warning = self._step(x)
        if drift:
            self.n_seen_ = 0  # river starts afresh at its next update
        level = getattr(self, self.threshold_param) if self.threshold_param else math.nan
        return DriftResult(drift=drift, statistic=math.nan,
                           threshold=float(level) if isinstance(level, (int, float)) else math.nan,
                           warning=warning, n_seen=n_seen)

    def run(self, signal: Any) -> Alarms:
        x = check_signal(signal, binary=self._binary)
        alarms: list[int] = []
        warnings: list[int] = []
        for i, value in enumerate(x.tolist()):
            self.n_seen_ += 1
            drift, warning = self._step(value)
            if drift:
                alarms.append(i)
                self.n_seen_ = 0
            elif warning:
                warnings.append(i)
        return Alarms(indices=np.asarray(alarms, dtype=np.int64), n_seen=int(x.shape[0]),
                      warnings=np.asarray(warnings, dtype=np.int64))

    # -- conformance hooks ----------------------------------------------------------------
    @classmethod
    def _test_instances(cls) -> list[River]:
        return [
            cls("ADWIN"), cls("PageHinkley", threshold=30.0), cls("KSWIN", seed=42),
            cls("DDM"), cls("EDDM"), cls("HDDM_A"), cls("HDDM_W"), cls("FHDDM"),
        ]

    @classmethod
    def _test_invalid_params(cls) -> list[dict[str, Any]]:
        return [{"detector": "NoSuchDetector"}, {"detector": 3},
                {"detector": "ADWIN", "no_such_parameter": 1}]

    def _skip_checks(self) -> dict[str, str]:
        skips = {"bounded_state": "the state of river's objects is river's to bound (ADWIN keeps "
                                  "a logarithmic number of buckets)"}
        if _key(self._river_cls.__name__) == "FHDDM":
            skips["detects_large_shift"] = (
                "river's FHDDM expects 1 for a correct prediction and alarms on a drop in their "
                "rate, so a rising error rate is not what it watches for")
        return skips

    def _slow_checks(self) -> set[str]:
        # KSWIN runs scipy's ks_2samp at every update
        return {"run_equals_update"} if _key(self._river_cls.__name__) == "KSWIN" else set()
