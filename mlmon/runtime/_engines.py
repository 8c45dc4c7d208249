"""Which engine runs which detector kind, and :class:`RuntimeDetector`, the production object.

:data:`ENGINES` maps a config's ``kind`` (the research class name) to an :class:`EngineSpec`:
how to build the numpy-only engine from ``params`` and the fitted ``state``, what signal the
detector takes, which parameter is its threshold, and the JSON Schema of its ``state``. The
schema generator in :mod:`mlmon.export.schema` reads the ``state`` schemas from here, so the
runtime that consumes the state is also what declares it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from mlmon.runtime._kernels import Engine
from mlmon.runtime._inputs import DriftResult, check_signal, step_result, update_batch

__all__ = ["ENGINES", "EngineSpec", "RuntimeDetector", "RuntimeResult", "artefact_schema"]


def artefact_schema(*, ndim: int, dtypes: tuple[str, ...] = ("<f8",), description: str = "") -> dict[str, Any]:
    """JSON Schema of a reference to a ``.npy`` artefact holding an ``ndim``-D array.

    Examples
    --------
    >>> sorted(artefact_schema(ndim=1)["required"])
    ['artefact', 'dtype', 'sha256', 'shape']
    """
    out: dict[str, Any] = {"description": description} if description else {}
    out.update({
        "type": "object",
        "additionalProperties": False,
        "required": ["artefact", "sha256", "dtype", "shape"],
        "properties": {
            "artefact": {"type": "string", "minLength": 1,
                         "description": "Path of the .npy file, relative to the config's directory."},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                       "description": "SHA-256 of the .npy file's bytes."},
            "dtype": {"enum": list(dtypes)},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0},
                      "minItems": ndim, "maxItems": ndim},
        },
    })
    return out


def _no_state(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, "additionalProperties": False,
            "properties": {}}


@dataclass(frozen=True)
class EngineSpec:
    """How the runtime runs one detector kind.

    Attributes
    ----------
    build
        ``build(params, fitted) -> engine``; the engine has ``reset()``,
        ``update_one(x, reset_on_drift) -> (flag, statistic, n_seen)``,
        ``run(x, reset_on_drift) -> (alarms, warnings)`` and ``trace(x)``, and may expose the
        p-value of its last decision as ``pvalue_``.
    signal_kind
        ``"real"`` or ``"binary"`` (a 0/1 error stream).
    threshold_param
        The parameter reported as ``threshold`` in each result.
    state
        JSON Schema of the config's ``state`` object for this kind.
    check
        Cross-parameter checks the schema cannot express; returns an error message or None.
    infinite_ok
        State arrays that may hold -inf or +inf (e.g. outer bin edges); no array may hold NaN.

    Examples
    --------
    >>> spec = ENGINES["CUSUM"]
    >>> spec.signal_kind, spec.threshold_param, sorted(spec.state["properties"])
    ('real', 'threshold', ['mean', 'std'])
    >>> engine = spec.build({"threshold": 4.0, "allowance": 0.5, "min_samples": 2,
    ...                      "alternative": "two-sided"}, {"mean": 0.0, "std": 1.0})
    >>> engine.update_one(3.0, True)
    (0, 2.5, 1)
    """

    build: Callable[[dict[str, Any], dict[str, Any]], Any]
    signal_kind: str
    threshold_param: str
    state: dict[str, Any]
    check: Callable[[dict[str, Any], dict[str, Any]], str | None] = field(default=lambda p, s: None)
    infinite_ok: frozenset[str] = frozenset()

    def check_array(self, key: str, arr: np.ndarray) -> str | None:
        """Why the state array ``key`` is unusable (non-finite values), or None."""
        if arr.dtype.kind != "f":
            return None
        if np.isnan(arr).any():
            return "holds NaN values; fit the detector on data without missing values"
        if key not in self.infinite_ok and np.isinf(arr).any():
            return "holds infinite values; fit the detector on finite data"
        return None


def _kernel(name: str) -> Callable[[dict[str, Any], dict[str, Any]], Engine]:
    def build(params: dict[str, Any], fitted: dict[str, Any]) -> Engine:
        return Engine(name, params, fitted)

    build.__name__ = f"build_{name}"
    return build


def _check_mean_std(params: dict[str, Any], state: dict[str, Any]) -> str | None:
    if (params["mean"] is None) != (params["std"] is None):
        return ("params: give both 'mean' and 'std' as numbers, or both as null (then the "
                "in-control values come from 'state' or from a burn-in)")
    if params["mean"] is not None and (
        state.get("mean") != params["mean"] or state.get("std") != params["std"]
    ):
        return ("state: 'mean' and 'std' must repeat params 'mean' and 'std' when those are set; "
                "re-export the detector rather than editing one of them")
    return None


def _check_ddm(params: dict[str, Any], state: dict[str, Any]) -> str | None:
    if not params["warning_threshold"] <= params["threshold"]:
        return (f"params.warning_threshold ({params['warning_threshold']}) must not exceed "
                f"params.threshold ({params['threshold']}); lower it or raise the threshold")
    return None


def _check_eddm(params: dict[str, Any], state: dict[str, Any]) -> str | None:
    if not params["warning_threshold"] >= params["threshold"]:
        return (f"params.warning_threshold ({params['warning_threshold']}) must not be below "
                f"params.threshold ({params['threshold']}); raise it or lower the threshold")
    return None


# CUSUM, EWMA and Shewhart: the chart's in-control values
_MEAN_STD_STATE: dict[str, Any] = {
    "type": "object",
    "description": ("In-control mean and standard deviation (from the parameters or from "
                    "fit()); absent when they are estimated from a burn-in."),
    "additionalProperties": False,
    "properties": {"mean": {"type": "number"},
                   "std": {"type": "number", "exclusiveMinimum": 0}},
    "dependentRequired": {"mean": ["std"], "std": ["mean"]},
}

ENGINES: dict[str, EngineSpec] = {
    "PageHinkley": EngineSpec(
        build=_kernel("page_hinkley"), signal_kind="real", threshold_param="threshold",
        state=_no_state("Page-Hinkley learns nothing ahead of the stream."),
    ),
    "CUSUM": EngineSpec(
        build=_kernel("cusum"), signal_kind="real", threshold_param="threshold",
        state=_MEAN_STD_STATE,
        check=_check_mean_std,
    ),
    "EWMA": EngineSpec(
        build=_kernel("ewma"), signal_kind="real", threshold_param="threshold",
        state=_MEAN_STD_STATE, check=_check_mean_std,
    ),
    "Shewhart": EngineSpec(
        build=_kernel("shewhart"), signal_kind="real", threshold_param="threshold",
        state=_MEAN_STD_STATE, check=_check_mean_std,
    ),
    "DDM": EngineSpec(
        build=_kernel("ddm"), signal_kind="binary", threshold_param="threshold",
        state=_no_state("DDM learns nothing ahead of the stream."),
        check=_check_ddm,
    ),
    "EDDM": EngineSpec(
        build=_kernel("eddm"), signal_kind="binary", threshold_param="threshold",
        state=_no_state("EDDM learns nothing ahead of the stream."),
        check=_check_eddm,
    ),
    "HDDM_A": EngineSpec(
        build=_kernel("hddm_a"), signal_kind="binary", threshold_param="threshold",
        state=_no_state("HDDM_A learns nothing ahead of the stream."),
    ),
    "HDDM_W": EngineSpec(
        build=_kernel("hddm_w"), signal_kind="binary", threshold_param="threshold",
        state=_no_state("HDDM_W learns nothing ahead of the stream."),
    ),
}

if importlib.util.find_spec("mlmon.runtime._windowed") is not None:  # windowed two-sample tests
    from mlmon.runtime._windowed import KSEngine, PSIEngine

    ENGINES["KS"] = EngineSpec(
        build=KSEngine, signal_kind="real", threshold_param="alpha",
        state={
            "type": "object",
            "description": ("The p-value table of the KS statistic on its lattice and, when fitted "
                            "ahead of the stream, the sorted reference sample."),
            "additionalProperties": False,
            "required": ["pvalue_table"],
            "properties": {
                "pvalue_table": artefact_schema(ndim=1, description=(
                    "p-value of D = h / lcm(window_size, m) for h = 0 .. lcm, m the reference "
                    "length.")),
                "reference": artefact_schema(ndim=1, description=(
                    "The sorted reference sample; absent when the reference is taken from the "
                    "first reference_size values of the stream.")),
            },
        },
    )
    def _check_psi(params: dict[str, Any], state: dict[str, Any]) -> str | None:
        if params["reference_size"] < params["n_bins"]:
            return (f"params.reference_size ({params['reference_size']}) must be at least "
                    f"params.n_bins ({params['n_bins']}) so that every bin can hold reference values")
        return None

    ENGINES["PSI"] = EngineSpec(
        build=PSIEngine, signal_kind="real", threshold_param="threshold", check=_check_psi,
        state={
            "type": "object",
            "description": ("Interior bin edges and the reference's proportion per bin; absent "
                            "when the reference is taken from the stream."),
            "additionalProperties": False,
            "properties": {
                "edges": artefact_schema(ndim=1, description="Interior bin edges, increasing."),
                "expected": artefact_schema(ndim=1, description=(
                    "The reference's proportion per bin (len(edges) + 1 entries).")),
                "terms": artefact_schema(ndim=2, description=(
                    "Per-bin PSI term for every window count, shape (bins, window_size + 1), "
                    "computed where the detector was fitted so that production takes no logarithm "
                    "and reproduces its PSI values bit for bit.")),
            },
            "dependentRequired": {"edges": ["expected"], "expected": ["edges"], "terms": ["edges"]},
        },
    )


def _adwin_engine(params: dict[str, Any], fitted: dict[str, Any]) -> Any:
    from mlmon.runtime._adwin import ADWINEngine

    return ADWINEngine(params, fitted)


ENGINES["ADWIN"] = EngineSpec(
    build=_adwin_engine, signal_kind="real", threshold_param="threshold",
    state=_no_state("ADWIN learns nothing ahead of the stream."),
)


def _kswin_engine(params: dict[str, Any], fitted: dict[str, Any]) -> Any:
    from mlmon.runtime._kswin import KSWINEngine

    return KSWINEngine(params, fitted)


def _check_kswin(params: dict[str, Any], state: dict[str, Any]) -> str | None:
    if 2 * params["sample_size"] > params["window_size"]:
        return (f"params.sample_size ({params['sample_size']}) must be at most half of "
                f"params.window_size ({params['window_size']}); lower it or raise window_size")
    return None


ENGINES["KSWIN"] = EngineSpec(
    build=_kswin_engine, signal_kind="real", threshold_param="alpha", check=_check_kswin,
    state={
        "type": "object",
        "description": "The p-value table of the KS statistic of two samples of sample_size values.",
        "additionalProperties": False,
        "required": ["pvalue_table"],
        "properties": {
            "pvalue_table": artefact_schema(ndim=1, description=(
                "scipy's two-sided ks_2samp p-value of D = h / sample_size for h = 0 .. "
                "sample_size.")),
        },
    },
)


def _bocpd_engine(params: dict[str, Any], fitted: dict[str, Any]) -> Any:
    from mlmon.runtime._bocpd import BOCPDEngine

    return BOCPDEngine(params, fitted)


def _check_bocpd(params: dict[str, Any], state: dict[str, Any]) -> str | None:
    if not params["min_run"] < params["max_run_length"]:
        return (f"params.min_run ({params['min_run']}) must be below params.max_run_length "
                f"({params['max_run_length']}); lower it or raise max_run_length")
    return _check_mean_std(params, state)


ENGINES["BOCPD"] = EngineSpec(
    build=_bocpd_engine, signal_kind="real", threshold_param="threshold",
    state=_MEAN_STD_STATE, check=_check_bocpd,
)


# --- the production object -----------------------------------------------------------------


#: What a :class:`RuntimeDetector` says after one ``update``: the research side's own type.
RuntimeResult = DriftResult


class RuntimeDetector:
    """An exported detector, running on numpy alone; build it with :func:`mlmon.runtime.load`.

    It raises exactly the alarms the research detector it was exported from raises, with the
    same statistics, bit for bit.

    Attributes
    ----------
    kind
        The research class the config was exported from (``"CUSUM"``, ...).
    params
        The detector's parameters (a copy).
    calibration
        How the threshold was calibrated (a dict), or None.
    provenance
        Versions, creation time and reference fingerprint recorded at export.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon import export, runtime
    >>> x = np.random.default_rng(0).normal(0.0, 1.0, 300)
    >>> x[200:] += 2.0
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     det = runtime.load(export.export(CUSUM(threshold=8.0, mean=0.0, std=1.0), tmp))
    >>> det.kind, det.params["threshold"]
    ('CUSUM', 8.0)
    >>> alarms = det.run(x)
    >>> bool(200 <= alarms[0] < 230)
    True
    >>> r = det.reset().update(0.5)
    >>> r.drift, r.statistic, r.n_seen
    (False, 0.0, 1)
    """

    __slots__ = ("kind", "_params", "_state", "_calibration", "provenance", "_spec", "_engine",
                 "_threshold", "_reset_on_drift")

    def __init__(self, kind: str, params: dict[str, Any], state: dict[str, Any],
                 calibration: dict[str, Any] | None = None, provenance: dict[str, Any] | None = None):
        if kind not in ENGINES:
            raise ValueError(f"kind {kind!r} has no runtime engine; known kinds: {sorted(ENGINES)}.")
        self.kind = kind
        self._spec = ENGINES[kind]
        self._params = dict(params)
        self._state = dict(state)
        self._calibration = calibration
        self.provenance = provenance or {}
        self._threshold = float(params[self._spec.threshold_param])
        self._reset_on_drift = bool(params.get("reset_on_drift", True))
        self._engine = self._spec.build(self._params, self._state)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def calibration(self) -> dict[str, Any] | None:
        return None if self._calibration is None else _copy(self._calibration)

    @property
    def n_seen(self) -> int:
        """Samples seen since the last reset."""
        return int(self._engine.n_seen)

    def reset(self) -> RuntimeDetector:
        """Back to the state just after loading (fitted values kept)."""
        self._engine.reset()
        return self

    def _step(self, value: float) -> RuntimeResult:
        return step_result(self._engine, value, reset_on_drift=self._reset_on_drift, threshold=self._threshold)

    def update(self, x: Any) -> RuntimeResult:
        """Take one value, or a batch processed in order.

        For a batch, the result is that of the first value that raised drift (with
        ``n_seen`` counting the whole batch), or that of the last value when none did.
        """
        return update_batch(self._step, x, owner=self.kind, binary=self._spec.signal_kind == "binary")

    def run(self, signal: Any) -> np.ndarray:
        """Process a whole signal; return the alarm positions (int64, 0-based, within ``signal``).

        Same alarms, and same final state, as a loop of :meth:`update`.
        """
        x = check_signal(signal, binary=self._spec.signal_kind == "binary")
        alarms, _ = self._engine.run(x, self._reset_on_drift)
        return np.asarray(alarms, dtype=np.int64)

    def trace(self, signal: Any) -> np.ndarray:
        """The statistic at every position of ``signal`` as if no alarm reset the detector.

        Leaves the detector's state unchanged; NaN where no decision is taken.
        """
        x = check_signal(signal, binary=self._spec.signal_kind == "binary")
        return np.asarray(self._engine.trace(x), dtype=np.float64)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"RuntimeDetector({self.kind}: {shown})"


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
