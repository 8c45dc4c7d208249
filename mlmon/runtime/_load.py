"""Reading and validating exported detector configs, with numpy and the standard library only.

A config is a JSON file validated against the JSON Schema shipped with mlmon; its numeric
artefacts are ``.npy`` files beside it, checked against their SHA-256 and read with
``allow_pickle=False``. Nothing in a config is ever unpickled, imported or executed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlmon.runtime._engines import ENGINES, RuntimeDetector
from mlmon.runtime._schema import shipped_schema, validate

__all__ = ["SCHEMA_VERSION", "ConfigError", "DetectorConfig", "check_document", "known_kinds", "load",
           "parse", "read_config", "sha256_file"]

#: The newest config format this version of mlmon reads and writes.
SCHEMA_VERSION = 1


class ConfigError(ValueError):
    """An exported config that cannot be used; the message names the key and the fix.

    Examples
    --------
    >>> issubclass(ConfigError, ValueError)
    True
    """


@dataclass(frozen=True, eq=False)
class DetectorConfig:
    """A validated detector config with its artefacts loaded as arrays.

    Attributes
    ----------
    kind
        The research class name (``"PageHinkley"``, ``"CUSUM"``, ...).
    params
        The constructor parameters.
    state
        Fitted values: floats, and numpy arrays read from the artefacts.
    calibration
        How the threshold was calibrated, or None.
    provenance
        Versions, creation time and reference fingerprint recorded at export.
    schema_version
        The config format version.
    path
        Where the config was read from.

    Examples
    --------
    >>> import tempfile
    >>> from mlmon.detectors import DDM
    >>> from mlmon import export, runtime
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cfg = runtime.read_config(export.export(DDM(threshold=3.5), tmp))
    >>> cfg.kind, cfg.params["threshold"], cfg.state
    ('DDM', 3.5, {})
    """

    kind: str
    params: dict[str, Any]
    state: dict[str, Any]
    calibration: dict[str, Any] | None
    provenance: dict[str, Any]
    schema_version: int = SCHEMA_VERSION
    path: Path | None = field(default=None)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "empty"
    ...     _ = p.write_bytes(b"")
    ...     sha256_file(p)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reject_constant(token: str) -> None:
    raise ValueError(f"JSON has {token}, which is not valid JSON; numbers must be finite")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in one object; keep one")
        out[key] = value
    return out


def parse(text: str, *, source: str = "config") -> dict[str, Any]:
    """Parse config JSON text strictly (no NaN/Infinity, no duplicate keys).

    Examples
    --------
    >>> parse('{"kind": "DDM"}')
    {'kind': 'DDM'}
    >>> try:
    ...     parse('{"threshold": Infinity}')
    ... except ConfigError as err:
    ...     print(err)
    config: not a valid config JSON document: JSON has Infinity, which is not valid JSON; numbers must be finite
    """
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        raise ConfigError(f"{source}: not a valid config JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: a config is a JSON object, got {type(doc).__name__}.")
    return doc


def check_document(doc: dict[str, Any], *, source: str = "config") -> None:
    """Validate a parsed config against the shipped schema and the engines' own checks.

    Raises :class:`ConfigError` listing every problem found.

    Examples
    --------
    >>> try:
    ...     check_document({"schema_version": 1, "kind": "DDM", "params": {}}, source="c.json")
    ... except ConfigError as err:
    ...     print(err)
    c.json: 7 problems:
      (config): missing required key 'state'
      (config): missing required key 'calibration'
      (config): missing required key 'provenance'
      params: missing required key 'threshold' (the detector's default is 3.0)
      params: missing required key 'warning_threshold' (the detector's default is 2.0)
      params: missing required key 'min_samples' (the detector's default is 30)
      params: missing required key 'reset_on_drift' (the detector's default is true)
    """
    version = doc.get("schema_version")
    if version is None:
        raise ConfigError(f"{source}: missing 'schema_version'; a config written by mlmon starts "
                          f"with \"schema_version\": {SCHEMA_VERSION}.")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: schema_version {version} is newer than this mlmon reads (up to "
            f"{SCHEMA_VERSION}); upgrade mlmon where the config is loaded, or export it again "
            "with the mlmon version installed here."
        )
    kind = doc.get("kind")
    if kind == "RetrainingTrigger":
        raise ConfigError(f"{source} is a retraining trigger, not a detector config; load it with "
                          "mlmon.runtime.load_trigger.")
    if isinstance(kind, str) and kind not in known_kinds():
        raise ConfigError(f"{source}: kind {kind!r} is not a detector this runtime can run; "
                          f"known kinds: {', '.join(known_kinds())}.")
    issues = validate(doc, shipped_schema())
    if issues:
        lines = "\n  ".join(i.describe() for i in issues)
        plural = "problem" if len(issues) == 1 else "problems"
        raise ConfigError(f"{source}: {len(issues)} {plural}:\n  {lines}")
    message = ENGINES[doc["kind"]].check(doc["params"], doc["state"])
    if message:
        raise ConfigError(f"{source}: {message}")


def known_kinds() -> list[str]:
    """The detector kinds that both the shipped schema describes and an engine runs.

    Examples
    --------
    >>> [k for k in known_kinds() if k in ("ADWIN", "CUSUM", "DDM")]
    ['ADWIN', 'CUSUM', 'DDM']
    """
    described = {branch["$ref"].rsplit("/", 1)[1] for branch in shipped_schema()["oneOf"]}
    return sorted(described & set(ENGINES))


def _artefact_path(directory: Path, relative: str, *, key: str, source: str) -> Path:
    """Resolve an artefact path, refusing anything outside the config's directory."""
    rel = Path(relative)
    base = directory.resolve()
    target = (base / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or (target != base and base not in target.parents):
        raise ConfigError(
            f"{source}: state.{key}.artefact {relative!r} points outside the config's directory; "
            "artefacts must sit beside the config (give a bare file name such as 'x.npy')."
        )
    return target


def _load_artefact(directory: Path, ref: dict[str, Any], *, key: str, source: str) -> np.ndarray:
    """Read one ``.npy`` artefact after checking its place, SHA-256, dtype and shape."""
    path = _artefact_path(directory, ref["artefact"], key=key, source=source)
    if not path.is_file():
        raise ConfigError(
            f"{source}: state.{key}.artefact {ref['artefact']!r} is missing (looked for {path}); "
            "copy the .npy files that were exported with the config into its directory."
        )
    digest = sha256_file(path)
    if digest != ref["sha256"]:
        raise ConfigError(
            f"{source}: state.{key}.artefact {ref['artefact']!r} has SHA-256 {digest}, but the "
            f"config expects {ref['sha256']}; the file was changed or belongs to another export. "
            "Export the detector again, or restore the original file."
        )
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ConfigError(f"{source}: state.{key}.artefact {ref['artefact']!r} is not a plain "
                          f"numeric .npy file ({exc}).") from None
    if not isinstance(arr, np.ndarray):
        raise ConfigError(f"{source}: state.{key}.artefact {ref['artefact']!r} must hold one array.")
    if arr.dtype.str != ref["dtype"] or list(arr.shape) != list(ref["shape"]):
        raise ConfigError(
            f"{source}: state.{key}.artefact {ref['artefact']!r} holds a {arr.dtype.str} array of "
            f"shape {list(arr.shape)}, but the config says {ref['dtype']} of shape {ref['shape']}."
        )
    return arr


def read_config(path: str | os.PathLike[str]) -> DetectorConfig:
    """Read, validate and return an exported config, artefacts loaded.

    Parameters
    ----------
    path
        The config's ``.json`` file, as written by :func:`mlmon.export.export`.

    Raises
    ------
    ConfigError
        When the file is not a valid config: unknown or missing keys, wrong types or values,
        a newer ``schema_version``, or an artefact that is missing, altered or outside the
        config's directory. The message names the key and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mlmon import runtime
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "bad.json"
    ...     _ = p.write_text('{"schema_version": 7, "kind": "CUSUM"}')
    ...     try:
    ...         runtime.read_config(p)
    ...     except runtime.ConfigError as err:
    ...         print(str(err).split(": ", 1)[1][:48])
    schema_version 7 is newer than this mlmon reads
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise ConfigError(f"{source} is a directory; pass the config's .json file inside it.")
    if not path.is_file():
        raise ConfigError(f"{source}: no such config file.")
    doc = parse(path.read_text(encoding="utf-8"), source=source)
    check_document(doc, source=source)
    state: dict[str, Any] = {}
    spec = ENGINES[doc["kind"]]
    for key, value in doc["state"].items():
        if isinstance(value, dict):
            state[key] = _load_artefact(path.parent, value, key=key, source=source)
            message = spec.check_array(key, state[key])
            if message:
                raise ConfigError(f"{source}: state.{key}: {message}")
        else:
            state[key] = float(value)
    return DetectorConfig(
        kind=doc["kind"], params=_normalise_params(doc["params"], doc["kind"]), state=state,
        calibration=doc["calibration"], provenance=doc["provenance"],
        schema_version=doc["schema_version"], path=path,
    )


def _normalise_params(params: dict[str, Any], kind: str) -> dict[str, Any]:
    """JSON Schema accepts ``30.0`` where an integer is due; hand on ``30``."""
    props = shipped_schema()["$defs"][f"{kind}.params"]["properties"]
    out = dict(params)
    for key, value in params.items():
        types = props[key].get("type", ())
        types = [types] if isinstance(types, str) else types
        if "integer" in types and isinstance(value, float) and value.is_integer():
            out[key] = int(value)
    return out


def load(path: str | os.PathLike[str]) -> RuntimeDetector:
    """Load an exported detector config for production, with numpy alone.

    Parameters
    ----------
    path
        The config's ``.json`` file; its ``.npy`` artefacts must sit beside it.

    Returns
    -------
    RuntimeDetector
        ``update(x)``, ``run(signal)``, ``trace(signal)`` and ``reset()``, giving exactly the
        research detector's alarms and statistics.

    Raises
    ------
    ConfigError
        When the config is not valid (see :func:`read_config`).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon import export, runtime
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 500), rng.normal(3, 1, 300)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export.export(PageHinkley(threshold=50.0), tmp, name="ph")
    ...     det = runtime.load(path)
    >>> det.kind
    'PageHinkley'
    >>> alarms = det.run(x)
    >>> alarms.dtype.name, bool(500 <= alarms[0] < 600)
    ('int64', True)
    """
    cfg = read_config(path)
    try:
        return RuntimeDetector(cfg.kind, cfg.params, cfg.state, cfg.calibration, cfg.provenance)
    except ValueError as exc:  # the engine refuses inconsistent state (e.g. a table's length)
        raise ConfigError(f"{cfg.path}: {exc}") from None
