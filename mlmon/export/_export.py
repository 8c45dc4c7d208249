"""Writing detectors as configs (JSON + ``.npy`` artefacts) and reading them back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import numbers
import os
import re
import sys
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from mlmon.base import restore_state
from mlmon.runtime._engines import ENGINES
from mlmon.runtime._load import SCHEMA_VERSION, check_document, known_kinds, read_config

__all__ = ["export", "fingerprint", "load", "why_not_exportable"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def why_not_exportable(detector: Any) -> str | None:
    """Why ``detector`` cannot be exported for :mod:`mlmon.runtime`, or None if it can.

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> why_not_exportable(PageHinkley()) is None
    True
    >>> print(why_not_exportable(object()))
    object is not an mlmon detector (it has no get_params()); export a detector from mlmon.detectors.
    """
    kind = type(detector).__name__
    if not (hasattr(detector, "get_params") and hasattr(detector, "_export_state")):
        return (f"{kind} is not an mlmon detector (it has no get_params()); export a detector "
                "from mlmon.detectors.")
    if not getattr(detector, "exportable", False):
        own = getattr(detector, "_not_exportable_reason", None)
        return own() if callable(own) else _native_hint(detector)
    from mlmon.detectors import REGISTRY

    if REGISTRY.get(kind) is not type(detector):
        return (f"{kind} is not a registered detector class, so a config could not say how to "
                "rebuild it; export the registered class it derives from, or register it with "
                "@mlmon.detectors.register and give it a runtime engine.")
    if kind not in ENGINES:
        return (f"mlmon.runtime has no engine for {kind}, so production could not run its "
                f"config; exportable kinds are {', '.join(known_kinds())}.")
    if kind not in known_kinds():
        return (f"the shipped config schema does not describe {kind} yet; regenerate it with "
                "'python -m mlmon.export.schema'.")
    return None


def _native_hint(detector: Any) -> str:
    """The refusal message for a detector that is not exportable, naming its native twin."""
    shown = repr(detector)
    text = (f"{shown} cannot be exported: mlmon.runtime runs only mlmon's own implementations, "
            "so production never needs the library it wraps.")
    native = getattr(detector, "native_equivalent", None)
    try:
        native = native() if callable(native) else None
    except (TypeError, ValueError):  # river parameters with no valid native translation
        native = None
    if native is None:
        return text + (" It has no native equivalent; pick a native detector instead (one of "
                       f"{', '.join(known_kinds())} in mlmon.detectors) and calibrate it.")
    mapping = getattr(detector, "native_param_map", None)
    mapping = mapping() if callable(mapping) else mapping
    text += f" Its native equivalent is {native!r}; export that instead"
    if isinstance(mapping, dict) and mapping:
        pairs = ", ".join(f"{theirs} -> {ours}" for theirs, ours in mapping.items())
        text += f" (parameters map as {pairs})"
    return text + "."


def fingerprint(data: Any) -> dict[str, Any]:
    """SHA-256 fingerprint of a data set, taken on its values as float64.

    Equal values give equal fingerprints whatever container or numeric dtype held them.

    Examples
    --------
    >>> fp = fingerprint([1, 2, 3])
    >>> fp["shape"], fp["dtype"], fp["sha256"] == fingerprint([1.0, 2.0, 3.0])["sha256"]
    ([3], '<f8', True)
    """
    arr = np.asarray(data)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"reference must be numeric to be fingerprinted, got dtype {arr.dtype}.")
    arr = np.ascontiguousarray(arr, dtype="<f8")
    digest = hashlib.sha256()
    digest.update(b"mlmon.fingerprint.v1\0")
    digest.update(json.dumps(list(arr.shape)).encode())
    digest.update(arr.tobytes())
    return {"sha256": digest.hexdigest(), "shape": list(arr.shape), "dtype": "<f8"}


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _provenance(reference: Any) -> dict[str, Any]:
    import mlmon

    return {
        "mlmon": mlmon.__version__,
        "python": ".".join(str(v) for v in sys.version_info[:3]),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "river": _version("river"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reference": None if reference is None else fingerprint(reference),
    }


def _scalar(value: Any, where: str) -> Any:
    """A JSON scalar for ``value``, or an error naming ``where``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}, which a config cannot hold; only finite numbers.")
        return value
    raise TypeError(f"{where} is a {type(value).__name__}, which a config cannot hold; only "
                    "numbers, strings, booleans and None.")


def _json_value(value: Any, where: str) -> Any:
    """``value`` made JSON-ready for the calibration record (non-finite floats as None)."""
    if isinstance(value, dict):
        return {str(k): _json_value(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(v, f"{where}[{i}]") for i, v in enumerate(list(value))]
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None  # JSON has no inf or nan; mlmon.tuning writes them as null too
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return _scalar(value, where)


def _calibration(calibration: Any) -> dict[str, Any] | None:
    if calibration is None:
        return None
    if hasattr(calibration, "to_dict"):
        calibration = calibration.to_dict()
    if not isinstance(calibration, dict):
        raise TypeError("calibration must be a Calibration (from mlmon.tuning.calibrate), its "
                        f"to_dict(), or None; got {type(calibration).__name__}.")
    return _json_value(calibration, "calibration")


def _npy_bytes(arr: np.ndarray, where: str) -> bytes:
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{where} has dtype {arr.dtype}; configs hold numeric arrays only.")
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _old_artefacts(config: Path, name: str) -> set[str]:
    """Artefacts referenced by a config already at ``config`` (best effort)."""
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
        refs = {v["artefact"] for v in doc["state"].values() if isinstance(v, dict)}
    except Exception:
        return set()
    return {r for r in refs if isinstance(r, str) and "/" not in r and "\\" not in r
            and r.startswith(f"{name}.") and r.endswith(".npy")}


def export(detector: Any, directory: str | os.PathLike[str], *, name: str | None = None,
           calibration: Any = None, reference: Any = None) -> Path:
    """Write ``detector`` as a config that :func:`mlmon.runtime.load` runs with numpy alone.

    Writes ``<directory>/<name>.json`` and, for each fitted array, a ``.npy`` file beside it
    named ``<name>.<key>.<hash>.npy`` and referenced by relative path and SHA-256. Every file
    is written under a temporary name and renamed into place, the config last, so an
    interrupted export never leaves a config that looks complete; exporting again under the
    same name replaces the config atomically and removes the old artefacts it no longer uses.

    Parameters
    ----------
    detector
        An exportable mlmon detector (fitted, if it needs a reference).
    directory
        Where to write; created if missing.
    name
        File stem of the config; defaults to the detector's class name.
    calibration
        The :class:`~mlmon.tuning.Calibration` behind the threshold (or its ``to_dict()``),
        recorded in the config.
    reference
        The reference data the detector was fitted on, recorded as a SHA-256 fingerprint
        (the data itself is not written).

    Returns
    -------
    Path
        The config file.

    Examples
    --------
    >>> import json, tempfile
    >>> import numpy as np
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon import export
    >>> ref = np.random.default_rng(0).normal(10.0, 2.0, 500)
    >>> det = CUSUM(threshold=6.0).fit(ref)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export.export(det, tmp, name="latency", reference=ref)
    ...     doc = json.loads(path.read_text())
    ...     back = export.load(path)
    >>> path.name, doc["kind"], doc["schema_version"], sorted(doc["state"])
    ('latency.json', 'CUSUM', 1, ['mean', 'std'])
    >>> back.get_params() == det.get_params(), back.mean_ == det.mean_
    (True, True)
    """
    reason = why_not_exportable(detector)
    if reason is not None:
        raise TypeError(reason)
    kind = type(detector).__name__
    spec = ENGINES[kind]
    name = kind if name is None else str(name)
    if name.endswith(".json"):
        name = name[: -len(".json")]
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be a file stem of letters, digits, '.', '_' and '-' "
                         "(no directories), e.g. 'latency_ph'.")
    params = {k: _scalar(v, f"{kind} parameter {k!r}") for k, v in detector.get_params().items()}

    fitted = detector._export_state()
    missing = [k for k in spec.state.get("required", ()) if fitted.get(k) is None]
    if missing:
        raise ValueError(f"{kind} has no fitted {', '.join(map(repr, missing))} to export; "
                         "call fit(reference) before exporting it.")
    state: dict[str, Any] = {}
    blobs: dict[str, bytes] = {}
    for key, value in fitted.items():
        if value is None:  # not learnt (e.g. taken from the stream at run time)
            continue
        if isinstance(value, np.ndarray) and value.ndim > 0:
            message = spec.check_array(key, value)
            if message:
                raise ValueError(f"{kind} fitted state {key!r} {message}.")
            data = _npy_bytes(value, f"{kind} fitted state {key!r}")
            digest = hashlib.sha256(data).hexdigest()
            filename = f"{name}.{key}.{digest[:16]}.npy"
            blobs[filename] = data
            state[key] = {"artefact": filename, "sha256": digest, "dtype": value.dtype.str,
                          "shape": list(value.shape)}
        else:
            state[key] = _scalar(value.item() if isinstance(value, np.ndarray) else value,
                                 f"{kind} fitted state {key!r}")
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "params": params,
        "state": state,
        "calibration": _calibration(calibration),
        "provenance": _provenance(reference),
    }
    check_document(doc, source=f"export of {kind}")  # never write what the runtime would refuse
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / f"{name}.json"
    stale = _old_artefacts(config, name) - set(blobs)
    created: list[Path] = []
    try:
        for filename, data in blobs.items():
            target = directory / filename
            if not target.exists():
                created.append(target)
            _atomic_write(target, data)
        _fsync_dir(directory)
        _atomic_write(config, text.encode("utf-8"))
        _fsync_dir(directory)
    except BaseException:
        for target in created:
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    for filename in stale:
        with contextlib.suppress(OSError):
            (directory / filename).unlink()
    return config


def load(path: str | os.PathLike[str]) -> Any:
    """Rebuild the research detector from an exported config: same class, parameters and fit.

    Parameters
    ----------
    path
        The config's ``.json`` file.

    Examples
    --------
    >>> import tempfile
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon import export
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     det = export.load(export.export(PageHinkley(threshold=25.0, delta=0.1), tmp))
    >>> det
    PageHinkley(threshold=25.0, delta=0.1)
    """
    from mlmon.detectors import get

    cfg = read_config(path)
    det = get(cfg.kind)(**cfg.params)
    try:
        return restore_state(det, cfg.state)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
