"""Adapter that puts alibi-detect's drift detectors behind mlmon's detector protocol.

alibi-detect is licensed under the Business Source License 1.1, which forbids production use
without a commercial licence: its detectors are here to be compared with mlmon's in research
(benchmarks, tuning studies), never exported. Install them with ``pip install "mlmon[alibi]"``.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

import numpy as np

from mlmon._optional import available, require
from mlmon._validation import check_signal
from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.detectors._registry import register


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one alibi-detect class is adapted."""

    name: str
    online: bool
    signal_kind: str = "real"
    #: alibi parameters given a value of ours when the user gives none
    defaults: dict[str, Any] = field(default_factory=dict)
    #: alibi parameters always passed as fixed here (the user may not set them)
    fixed: dict[str, Any] = field(default_factory=dict)
    torch: bool = False


_SPECS: dict[str, _Spec] = {
    s.name.upper(): s for s in (
        _Spec("KSDrift", online=False),
        _Spec("CVMDrift", online=False),
        # categories 0 and 1: a 0/1 error stream (a window missing one of them still works)
        _Spec("ChiSquareDrift", online=False, signal_kind="binary",
              fixed={"categories_per_feature": {0: 2}}),
        _Spec("MMDDrift", online=False, defaults={"backend": "pytorch"}, torch=True),
        _Spec("LSDDDrift", online=False, defaults={"backend": "pytorch"}, torch=True),
        _Spec("ClassifierDrift", online=False, defaults={"backend": "sklearn", "model": None}),
        _Spec("MMDDriftOnline", online=True, torch=True,
              defaults={"backend": "pytorch", "ert": 1000.0, "window_size": 50},
              fixed={"verbose": False}),
        _Spec("LSDDDriftOnline", online=True, torch=True,
              defaults={"backend": "pytorch", "ert": 1000.0, "window_size": 50},
              fixed={"verbose": False}),
        _Spec("CVMDriftOnline", online=True,
              defaults={"ert": 1000.0, "window_sizes": (50,)}, fixed={"verbose": False}),
    )
}

# alibi parameters the adapter owns or that make no sense on a stream of numbers: the reference
# comes from fit() or the stream, predict() must never change it, and the data are raw values.
_FORBIDDEN = {
    "x_ref": "the reference comes from fit() or from the first reference_size values",
    "update_x_ref": "the reference must not change while the detector runs",
    "x_ref_preprocessed": "the adapter passes raw values",
    "preprocess_at_init": "the adapter passes raw values",
    "preprocess_fn": "the adapter passes raw values",
    "preprocess_batch_fn": "the adapter passes raw values",
    "input_shape": "the adapter sets the data's shape",
    "data_type": "the adapter sets the data's type",
    "n_features": "the adapter sets the number of features",
    "verbose": "the adapter keeps alibi-detect quiet",
    "categories_per_feature": "the adapter monitors 0/1 error streams (categories 0 and 1)",
}
# Parameters of the adapter itself (on top of alibi-detect's own).
_BATCH_OWN = ("window_size", "reference_size", "step", "reset_on_drift", "seed")
_ONLINE_OWN = ("reference_size", "reset_on_drift", "seed")
_PROTOCOL = {"detector", "fit", "update", "reset", "run", "trace", "clone", "get_params",
             "signal_kind", "threshold_param", "threshold_direction", "exportable"}


def _key(name: str) -> str:
    return name.replace("_", "").upper()


@lru_cache(maxsize=1)
def _cd() -> Any:
    return require("alibi_detect.cd", needed_by="mlmon.detectors.Alibi")


def _alibi_params(cls: type) -> dict[str, Any]:
    sig = inspect.signature(cls.__init__)
    return {n: p.default for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _call_seed(seed: int | None, stream: int, k: int) -> int | None:
    """The seed of the ``k``-th call of kind ``stream`` since the last ``reset()``."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, stream, k]).generate_state(1)[0])


@contextlib.contextmanager
def _seeded(seed: int | None, torch: bool) -> Iterator[None]:
    """Run alibi-detect code with its global RNGs (numpy's, torch's) seeded, then restore them.

    alibi-detect draws permutations and bootstrap samples from the global generators; seeding
    them only for the call, and putting their state back afterwards, makes the adapter
    deterministic under ``seed`` without touching the caller's randomness.
    """
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        if torch:
            import torch as _torch

            with _torch.random.fork_rng(devices=[]):
                _torch.manual_seed(seed)
                yield
        else:
            yield
    finally:
        np.random.set_state(state)


@register
class Alibi(BaseDetector):
    """An alibi-detect drift detector as an mlmon detector, for side-by-side comparison.

    alibi-detect's batch detectors (``KSDrift``, ``CVMDrift``, ``ChiSquareDrift``,
    ``MMDDrift``, ``LSDDDrift``, ``ClassifierDrift``) become streaming detectors through
    mlmon's windowing, as :class:`~mlmon.detectors.KS` does: the reference is the sample
    passed to :meth:`fit` or, unfitted, the first ``reference_size`` values of the stream
    (collected afresh after each reset); then the last ``window_size`` values are tested with
    alibi-detect's ``predict`` every ``step`` values, and an alarm is placed at the window's
    last value. The online detectors (``MMDDriftOnline``, ``LSDDDriftOnline``,
    ``CVMDriftOnline``) take one value at a time; alibi-detect calibrates their thresholds to
    an expected run time ``ert`` when they are built, by simulation on the reference, which
    costs time once per reference (and again after each reset of an unfitted detector).

    Results: for batch detectors ``statistic`` is alibi-detect's ``distance``, ``pvalue`` its
    ``p_val`` and ``threshold`` the level ``p_val`` (drift when the p-value is below it). The
    signals are one feature, so no multiple-testing correction applies; with several
    features the p-value reported would be the smallest one adjusted by the correction
    (Bonferroni: times the number of features; FDR: the smallest Benjamini-Hochberg adjusted
    p-value), which is below ``p_val`` exactly when alibi-detect reports drift. For online
    detectors ``statistic`` is ``test_stat``, ``threshold`` the ERT-calibrated threshold at
    that time (for ``CVMDriftOnline`` with several window sizes: those of the window whose
    statistic exceeds its threshold by most) and there is no p-value.

    Adapted detectors are not exportable (alibi-detect's licence forbids production use
    without a commercial licence); :meth:`native_equivalent` gives the native detector to
    export instead where mlmon has one.

    Parameters
    ----------
    detector
        The alibi-detect class name (``"KSDrift"``, ``"MMDDriftOnline"``, ...; case and
        underscores are ignored).
    window_size
        Batch detectors: length of the test window (default 100). Online MMD and LSDD: their
        own ``window_size`` (default 50).
    reference_size
        Values taken from the stream as reference when the detector is not fitted (default
        500).
    step
        Batch detectors: values between tests; None means ``window_size`` (tumbling windows).
    reset_on_drift
        After an alarm, go back to the just-fitted state (default True): a fitted reference
        is kept (online detectors keep their calibrated thresholds and call
        ``reset_state()``); an unfitted detector collects a new reference.
    seed
        Seeds alibi-detect's random draws (permutations, bootstrap calibration, the
        classifier's folds; default 0): the ``k``-th call into alibi-detect since the last
        reset runs with numpy's and torch's global generators seeded from ``(seed, k)``,
        and their previous states are put back afterwards. None leaves the draws to
        alibi-detect's global generators, so runs are not repeatable. For
        ``ClassifierDrift`` it is also alibi-detect's own ``seed``.
    **params
        alibi-detect's own parameters under its names (``p_val``, ``correction``,
        ``alternative``, ``n_permutations``, ``ert``, ``window_sizes``, ``n_bootstraps``,
        ``model``, ...). Defaults differing from alibi-detect's: ``backend="pytorch"``
        (``"sklearn"`` for ``ClassifierDrift``, whose ``model`` defaults to a scikit-learn
        ``LogisticRegression``), ``ert=1000.0`` and a window of 50 for online detectors.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
    >>> import numpy as np
    >>> from mlmon.detectors import Alibi
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 500)])
    >>> det = Alibi("KSDrift", p_val=0.001, window_size=100, reference_size=500)
    >>> det.threshold_param, det.threshold_direction, det.exportable
    ('p_val', 'below', False)
    >>> det.run(x).first
    1099
    >>> det.native_equivalent()
    KS(alpha=0.001)
    """

    exportable = False
    _positional_params = ("detector",)

    def __init__(self, detector: str, **params: Any):
        if not isinstance(detector, str):
            raise TypeError(f"Alibi: parameter 'detector' must be an alibi-detect class name such "
                            f"as 'KSDrift', got {detector!r}.")
        spec = _SPECS.get(_key(detector))
        if spec is None:
            raise ValueError(f"Alibi: parameter 'detector' must name one of the adapted "
                             f"alibi-detect detectors {sorted(s.name for s in _SPECS.values())}, "
                             f"got {detector!r}.")
        self.detector = detector
        self._spec = spec
        own = _ONLINE_OWN if spec.online else _BATCH_OWN
        values: dict[str, Any] = {}
        if not spec.online:
            values.update(window_size=100, reference_size=500, step=None, reset_on_drift=True,
                          seed=0)
        else:
            values.update(reference_size=500, reset_on_drift=True, seed=0)
        bad = sorted(set(params) & set(_FORBIDDEN))
        if bad:
            raise ValueError(f"Alibi: parameter {bad[0]!r} cannot be set: "
                             f"{_FORBIDDEN[bad[0]]}.")
        if available("alibi_detect"):
            alibi_defaults = _alibi_params(getattr(_cd(), spec.name))
            known = set(alibi_defaults) | set(own)
            unknown = sorted(set(params) - known)
            if unknown:
                raise TypeError(f"Alibi: {spec.name} has no parameter(s) {unknown}; its "
                                f"parameters are {sorted(known - set(_FORBIDDEN) - {'x_ref'})}.")
            for name, default in alibi_defaults.items():
                if name in _FORBIDDEN or name in values or default is inspect.Parameter.empty:
                    continue
                values[name] = default
            alibi_names = [n for n in alibi_defaults if n not in _FORBIDDEN and n != "x_ref"]
        else:  # built without alibi-detect: parameters as given, checked when it is installed
            alibi_names = [n for n in {**spec.defaults, **params} if n not in own]
        values.update(spec.defaults)
        values.update(params)
        self._given = dict(params)
        self._alibi_names = alibi_names
        self._names = list(own) + [n for n in alibi_names if n not in own]
        for name in self._names:
            setattr(self, name, values[name])
        self.reference_ = None
        self.fitted_ = None
        super().__init__()

    # -- parameters -----------------------------------------------------------------------
    def _check_params(self) -> None:
        name = self._spec.name
        ints = ["reference_size"] + ([] if self._spec.online and name == "CVMDriftOnline"
                                     else ["window_size"])
        for p in ints:
            v = getattr(self, p)
            if not _is_int(v) or v < 2:
                raise ValueError(f"Alibi: parameter {p!r} must be an integer >= 2, got {v!r}.")
        if not self._spec.online:
            if self.step is not None and (not _is_int(self.step) or self.step < 1):
                raise ValueError(f"Alibi: parameter 'step' must be None or an integer >= 1, "
                                 f"got {self.step!r}.")
        if not isinstance(self.reset_on_drift, bool):
            raise TypeError(f"Alibi: parameter 'reset_on_drift' must be a bool, got "
                            f"{self.reset_on_drift!r}.")
        if self.seed is not None and (not _is_int(self.seed) or self.seed < 0):
            raise ValueError(f"Alibi: parameter 'seed' must be None or a non-negative integer, "
                             f"got {self.seed!r}.")
        if "p_val" in self._names:
            if not _is_real(self.p_val) or not 0.0 < self.p_val < 1.0:
                raise ValueError(f"Alibi: parameter 'p_val' must be a number in (0, 1), got "
                                 f"{self.p_val!r}.")
        if "ert" in self._names and (not _is_real(self.ert) or self.ert <= 1):
            raise ValueError(f"Alibi: parameter 'ert' (expected run time) must be a number > 1, "
                             f"got {self.ert!r}.")
        for p in ("n_permutations", "n_bootstraps"):
            if p in self._names:
                v = getattr(self, p)
                if not _is_int(v) or v < 1:
                    raise ValueError(f"Alibi: parameter {p!r} must be an integer >= 1, got {v!r}.")
        if name == "CVMDriftOnline":
            ws = self.window_sizes
            if (not isinstance(ws, (list, tuple)) or not ws
                    or not all(_is_int(w) and w >= 1 for w in ws)):
                raise ValueError(f"Alibi: parameter 'window_sizes' must be a non-empty list of "
                                 f"positive integers, got {ws!r}.")
        if name == "ClassifierDrift" and self.backend != "sklearn" and self.model is None:
            raise ValueError("Alibi: ClassifierDrift with backend "
                             f"{self.backend!r} needs a model; pass model=...")

    @property
    def signal_kind(self) -> str:  # type: ignore[override]
        return self._spec.signal_kind

    @property
    def threshold_param(self) -> str | None:  # type: ignore[override]
        # Online detectors compare with a threshold alibi-detect calibrates to ``ert``; the
        # result carries that threshold, not ``ert``, so there is no parameter to tune it.
        return None if self._spec.online else "p_val"

    @property
    def threshold_direction(self) -> str:  # type: ignore[override]
        return "above" if self._spec.online else "below"

    def get_params(self) -> dict[str, Any]:
        """``{"detector": name, **adapter parameters, **alibi-detect parameters}``.

        alibi-detect's defaults are filled in (and the adapter's own, where they differ).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> from mlmon.detectors import Alibi
        >>> p = Alibi("CVMDrift", p_val=0.01).get_params()
        >>> p["detector"], p["p_val"], p["window_size"], p["correction"]
        ('CVMDrift', 0.01, 100, 'bonferroni')
        """
        return {"detector": self.detector, **{n: getattr(self, n) for n in self._names}}

    def clone(self, **overrides: Any) -> Alibi:
        """A new, unfitted adapter with the same detector and parameters, some replaced.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> from mlmon.detectors import Alibi
        >>> Alibi("KSDrift", p_val=0.01).clone(window_size=50)
        Alibi('KSDrift', p_val=0.01, window_size=50)
        """
        detector = overrides.pop("detector", self.detector)
        if _key(str(detector)) == _key(self.detector):
            return Alibi(detector, **{**self.get_params_given(), **overrides})
        return Alibi(detector, **overrides)

    def get_params_given(self) -> dict[str, Any]:
        """The parameters given to the constructor (without the defaults filled in).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> from mlmon.detectors import Alibi
        >>> Alibi("KSDrift", p_val=0.01).get_params_given()
        {'p_val': 0.01}
        """
        return dict(self._given)

    def __repr__(self) -> str:
        shown = "".join(f", {k}={v!r}" for k, v in self._given.items())
        return f"Alibi({self.detector!r}{shown})"

    def native_equivalent(self) -> BaseDetector | None:
        """The native mlmon detector to export instead, or None when there is none.

        ``KSDrift`` (two-sided) maps to :class:`~mlmon.detectors.KS` with the same level and
        windows. Both compute the same statistic; alibi-detect takes scipy's asymptotic
        p-value (in float32) where mlmon takes scipy's exact one for small samples, so a
        window whose p-values fall on either side of the level is decided differently.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> from mlmon.detectors import Alibi
        >>> Alibi("KSDrift", p_val=0.01, window_size=50, reference_size=200).native_equivalent()
        KS(window_size=50, reference_size=200)
        >>> Alibi("MMDDrift").native_equivalent() is None
        True
        """
        if self._spec.name != "KSDrift" or self.alternative != "two-sided":
            return None
        from mlmon.detectors._ks import KS

        return KS(alpha=self.p_val, window_size=self.window_size,
                  reference_size=self.reference_size, step=self.step,
                  reset_on_drift=self.reset_on_drift)

    def native_param_map(self) -> dict[str, str]:
        """Adapter parameter name -> native parameter name (empty without a native twin).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> from mlmon.detectors import Alibi
        >>> Alibi("KSDrift").native_param_map()["p_val"]
        'alpha'
        """
        if self._spec.name != "KSDrift":
            return {}
        return {"p_val": "alpha", "window_size": "window_size",
                "reference_size": "reference_size", "step": "step",
                "reset_on_drift": "reset_on_drift"}

    # -- alibi-detect objects ---------------------------------------------------------------
    def _build(self, reference: np.ndarray) -> Any:
        """An alibi-detect detector on ``reference`` (online ones calibrate their thresholds)."""
        cls = getattr(_cd(), self._spec.name)
        kwargs = {n: getattr(self, n) for n in self._alibi_names}
        kwargs.update(self._spec.fixed)
        if self._spec.name == "CVMDriftOnline":
            kwargs["window_sizes"] = [int(w) for w in self.window_sizes]
        if self._spec.name == "ClassifierDrift":
            if kwargs["model"] is None:
                from sklearn.linear_model import LogisticRegression

                kwargs["model"] = LogisticRegression()
            if self.seed is not None:
                kwargs["seed"] = self.seed
        ref = np.asarray(reference, dtype=np.float64).reshape(-1, 1)
        if self._spec.name in ("MMDDrift", "LSDDDrift", "MMDDriftOnline", "LSDDDriftOnline"):
            ref = ref.astype(np.float32)  # torch kernels work in float32
        with _seeded(_call_seed(self.seed, 0, self.n_builds_), self._spec.torch):
            self.n_builds_ += 1
            try:
                return cls(x_ref=ref, **kwargs)
            except (TypeError, ValueError, NotImplementedError) as err:
                raise ValueError(f"Alibi: alibi-detect's {self._spec.name} rejected the "
                                 f"parameters {self._given}: {err}") from err

    def _predict(self, values: np.ndarray) -> DriftResult:
        """alibi-detect's verdict on one window (batch) or one value (online)."""
        det = self.current_
        seed = _call_seed(self.seed, 1, self.n_calls_)
        self.n_calls_ += 1
        if self._spec.name in ("MMDDrift", "LSDDDrift", "MMDDriftOnline", "LSDDDriftOnline"):
            values = values.astype(np.float32)
        with _seeded(seed, self._spec.torch):
            if self._spec.online:
                out = det.predict(values.reshape(1), return_test_stat=True)["data"]
            elif self._spec.name == "ClassifierDrift":
                out = det.predict(values.reshape(-1, 1), return_probs=False,
                                  return_model=False)["data"]
            else:
                out = det.predict(values.reshape(-1, 1))["data"]
        if self._spec.online:
            self._trim(det)
            return self._online_result(out)
        return self._batch_result(out)

    def _batch_result(self, out: dict[str, Any]) -> DriftResult:
        pvals = np.atleast_1d(np.asarray(out["p_val"], dtype=np.float64))
        dist = np.atleast_1d(np.asarray(out["distance"], dtype=np.float64))
        n = pvals.shape[0]
        if n == 1:
            pvalue, stat = float(pvals[0]), float(dist[0])
        elif self.correction == "fdr":  # smallest Benjamini-Hochberg adjusted p-value
            order = np.sort(pvals)
            pvalue = float(min(1.0, np.min(order * n / np.arange(1, n + 1))))
            stat = float(dist[int(np.argmin(pvals))])
        else:  # Bonferroni
            pvalue = float(min(1.0, n * float(pvals.min())))
            stat = float(dist[int(np.argmin(pvals))])
        return DriftResult(drift=bool(out["is_drift"]), statistic=stat,
                           threshold=float(self.p_val), pvalue=pvalue)

    def _online_result(self, out: dict[str, Any]) -> DriftResult:
        stat = np.asarray(out["test_stat"], dtype=np.float64).ravel()
        thr = np.asarray(out["threshold"], dtype=np.float64).ravel()
        if stat.size > 1:  # CVMDriftOnline: one statistic per window size
            thr = np.broadcast_to(thr, stat.shape)
            excess = np.where(np.isnan(stat), -np.inf, stat - thr)
            k = int(np.argmax(excess))
            stat, thr = stat[k:k + 1], thr[k:k + 1]
        return DriftResult(drift=bool(out["is_drift"]), statistic=float(stat[0]),
                           threshold=float(thr[0]))

    def _trim(self, det: Any) -> None:
        """Drop the history alibi-detect's online detectors keep (every statistic, and every
        value for CVMDriftOnline) beyond what their next predictions read, so memory and time
        per value stay constant on long streams."""
        det = getattr(det, "_detector", det)  # the backend object behind a wrapper
        det.test_stats = det.test_stats[-1:]
        det.drift_preds = det.drift_preds[-1:]
        if self._spec.name == "CVMDriftOnline" and det.xs.shape[0] > det.max_ws:
            det.xs = det.xs[-det.max_ws:]

    # -- protocol -------------------------------------------------------------------------
    def fit(self, reference: Any) -> Alibi:
        """Use ``reference`` (all of it) as the reference sample; then reset.

        Online detectors calibrate their thresholds here, once.
        """
        ref = check_signal(reference, name="reference", min_length=2,
                           binary=self.signal_kind == "binary")
        self.n_builds_ = 0
        self.fitted_ = self._build(ref)
        self.reference_ = ref
        return self.reset()

    def reset(self) -> Alibi:
        self.n_builds_ = 0
        self.n_calls_ = 0
        self._restart()
        return self

    def _restart(self) -> None:
        """Back to the just-fitted state, keeping the call counters that seed alibi-detect."""
        self.current_ = self.fitted_
        self.collect_ = np.zeros(self.reference_size) if self.fitted_ is None else None
        self.n_collected_ = 0
        self.n_seen_ = 0
        self.t_ = 0
        if not self._spec.online:
            self.window_ = np.zeros(self.window_size)
        elif self.current_ is not None:
            self._reset_online(self.current_)

    def _reset_online(self, det: Any) -> None:
        with _seeded(_call_seed(self.seed, 2, self.n_calls_), self._spec.torch):
            det.reset_state()

    def _collect(self, values: np.ndarray) -> None:
        k = values.shape[0]
        self.collect_[self.n_collected_: self.n_collected_ + k] = values
        self.n_collected_ += k
        self.n_seen_ += k
        if self.n_collected_ == self.reference_size:
            self.current_ = self._build(self.collect_)
            self.collect_ = None
            if self._spec.online:
                self._reset_online(self.current_)

    def _absorb(self, values: np.ndarray) -> None:
        k, n = values.shape[0], self.window_size
        if k >= n:
            self.window_[:] = values[k - n:]
        elif k:
            self.window_[: n - k] = self.window_[k:].copy()
            self.window_[n - k:] = values
        self.t_ += k
        self.n_seen_ += k

    def _until_test(self) -> int:
        """Values to take before (and including) the next tested one."""
        n = self.window_size
        step = n if self.step is None else self.step
        if self.t_ < n:
            return n - self.t_
        return step - (self.t_ - n) % step

    def _nothing(self) -> DriftResult:
        level = math.nan if self._spec.online else float(self.p_val)
        return DriftResult(drift=False, statistic=math.nan, threshold=level, n_seen=self.n_seen_)

    def _after(self, r: DriftResult) -> DriftResult:
        n_seen = self.n_seen_
        if r.drift and self.reset_on_drift:
            self._restart()
        return DriftResult(r.drift, r.statistic, r.threshold, r.pvalue, False, n_seen)

    def _update_one(self, x: float) -> DriftResult:
        value = np.array([float(x)])
        if self.current_ is None:
            self._collect(value)
            return self._nothing()
        if self._spec.online:
            self.n_seen_ += 1
            return self._after(self._predict(value))
        tested = self._until_test() == 1
        self._absorb(value)
        if not tested:
            return self._nothing()
        return self._after(self._predict(self.window_))

    def run(self, signal: Any) -> Alarms:
        x = check_signal(signal, binary=self.signal_kind == "binary")
        alarms: list[int] = []
        pos, size = 0, x.shape[0]
        while pos < size:
            if self.current_ is None:
                k = min(self.reference_size - self.n_collected_, size - pos)
                self._collect(x[pos: pos + k])
                pos += k
                continue
            if self._spec.online:
                self.n_seen_ += 1
                r = self._after(self._predict(x[pos: pos + 1]))
                pos += 1
            else:
                k = self._until_test()
                if k > size - pos:
                    self._absorb(x[pos:])
                    break
                self._absorb(x[pos: pos + k])
                pos += k
                r = self._after(self._predict(self.window_))
            if r.drift:
                alarms.append(pos - 1)
        return Alarms(indices=np.asarray(alarms, dtype=np.int64), n_seen=int(size))

    def trace(self, signal: Any) -> np.ndarray:
        """Batch detectors: the p-value at every test position (NaN elsewhere), as if no alarm
        reset the detector; the state is left unchanged.

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("alibi_detect", reason="needs mlmon[alibi]")
        >>> import numpy as np
        >>> from mlmon.detectors import Alibi
        >>> x = np.random.default_rng(0).normal(size=700)
        >>> p = Alibi("KSDrift", window_size=100, reference_size=500).trace(x)
        >>> np.flatnonzero(~np.isnan(p)).tolist()
        [599, 699]
        """
        if self._spec.online:
            raise NotImplementedError(f"Alibi({self.detector!r}) has no threshold-free trace: "
                                      "its threshold changes with time.")
        x = check_signal(signal, binary=self.signal_kind == "binary")
        saved = dict(vars(self))
        saved["window_"] = self.window_.copy()
        if self.collect_ is not None:
            saved["collect_"] = self.collect_.copy()
        out = np.full(x.shape[0], np.nan)
        try:
            for i, v in enumerate(x.tolist()):
                value = np.array([v])
                if self.current_ is None:
                    self._collect(value)
                    continue
                tested = self._until_test() == 1
                self._absorb(value)
                if tested:
                    out[i] = self._predict(self.window_).pvalue
        finally:
            vars(self).clear()
            vars(self).update(saved)
        return out

    # -- conformance hooks ----------------------------------------------------------------
    @classmethod
    def _test_instances(cls) -> list[Alibi]:
        return [
            cls("KSDrift", p_val=0.01, window_size=50, reference_size=100),
            cls("CVMDrift", p_val=0.01, window_size=50, reference_size=100, step=25),
            cls("ChiSquareDrift", p_val=0.01, window_size=100, reference_size=200),
            cls("MMDDrift", p_val=0.01, window_size=50, reference_size=100, n_permutations=50,
                seed=1),
            cls("LSDDDrift", p_val=0.01, window_size=50, reference_size=100, n_permutations=50,
                seed=2),
            cls("ClassifierDrift", p_val=0.01, window_size=100, reference_size=200, seed=3),
            cls("MMDDriftOnline", ert=100.0, window_size=10, reference_size=100,
                n_bootstraps=500, seed=4),
            cls("LSDDDriftOnline", ert=100.0, window_size=10, reference_size=100,
                n_bootstraps=500, seed=5),
            cls("CVMDriftOnline", ert=100.0, window_sizes=[10], reference_size=100,
                n_bootstraps=500, seed=6),
        ]

    @classmethod
    def _test_invalid_params(cls) -> list[dict[str, Any]]:
        return [{"detector": "NoSuchDrift"}, {"detector": 3},
                {"detector": "KSDrift", "p_val": 1.5}, {"detector": "KSDrift", "window_size": 0},
                {"detector": "KSDrift", "update_x_ref": {"last": 100}},
                {"detector": "MMDDriftOnline", "ert": -1.0}]

    def _skip_checks(self) -> dict[str, str]:
        from mlmon.testing import CHECKS

        if not available("alibi_detect"):
            why = ('alibi-detect is not installed (pip install "mlmon[alibi]"; `make test-alibi` '
                   "runs these checks)")
            return {c.name: why for c in CHECKS}
        skips: dict[str, str] = {}
        if self._spec.online:
            skips["pvalues_valid_under_null"] = "alibi-detect's online detectors report no p-value"
            slow = ("alibi-detect's online detectors take about 0.5-3 ms per value and calibrate "
                    "their thresholds by simulation (seconds) for each reference; the check's "
                    "long streams would take minutes, so tests/test_detectors_alibi.py checks "
                    "the same contract on short streams")
            names = ["attributes", "params_unchanged", "clone_equals_fresh", "reset_equals_fresh",
                     "run_equals_update", "determinism", "result_contract", "bad_input",
                     "bounded_state", "detects_large_shift"]
            if self._spec.torch:
                names.append("api_shape")  # fits a 1,000-value reference: seconds of calibration
            skips.update(dict.fromkeys(names, slow))
        elif self._spec.name == "MMDDrift":
            slow = ("alibi-detect's MMD permutation test on the suite's 1,000-value fitted "
                    "reference takes about 1 s per window, so this check would take minutes; "
                    "tests/test_detectors_alibi.py checks the same contract on short streams")
            skips.update(dict.fromkeys(
                ["attributes", "params_unchanged", "clone_equals_fresh", "reset_equals_fresh",
                 "run_equals_update", "detects_large_shift"], slow))
        return skips

    def _slow_checks(self) -> set[str]:
        slow = {"LSDDDrift": {"run_equals_update", "bounded_state"},
                "MMDDrift": {"bounded_state"}}
        return slow.get(self._spec.name, set())
