"""The detector-config JSON Schema, generated from the detectors' constructor signatures.

The constructor is the single source of truth for a detector's parameters: each exportable
registered detector's ``params`` schema is derived from the annotations of its ``__init__``
(``Annotated`` bounds become ``minimum``/``exclusiveMinimum``/..., ``Literal`` an ``enum``,
``X | None`` a nullable type) and from the parameter descriptions in its docstring. The
``state`` schema of each kind comes from :data:`mlmon.runtime._engines.ENGINES`, the runtime
that consumes it.

The generated schema ships as ``mlmon/export/detector_config.schema.json``; after changing a
detector's signature, rewrite it with::

    python -m mlmon.export.schema          # rewrite the shipped file
    python -m mlmon.export.schema --check  # exit 1 if the shipped file is out of date
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import annotated_types as at

from mlmon.runtime._engines import ENGINES
from mlmon.runtime._load import SCHEMA_VERSION
from mlmon.runtime._schema import SCHEMA_FILE

__all__ = ["SCHEMA_PATH", "build_schema", "dumps_schema", "params_schema", "write_schema"]

#: Where the shipped schema lives.
SCHEMA_PATH = Path(__file__).with_name(SCHEMA_FILE)

_BASIC = {bool: "boolean", int: "integer", float: "number", str: "string"}
_BOUNDS = {at.Gt: ("gt", "exclusiveMinimum"), at.Ge: ("ge", "minimum"),
           at.Lt: ("lt", "exclusiveMaximum"), at.Le: ("le", "maximum")}


def _annotation_schema(tp: Any, where: str) -> dict[str, Any]:
    """JSON Schema of one parameter annotation."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        out = _annotation_schema(base, where)
        for m in meta:
            if isinstance(m, at.Interval):
                parts = [cls(getattr(m, attr)) for cls, (attr, _) in _BOUNDS.items()
                         if getattr(m, attr) is not None]
            else:
                parts = [m]
            for part in parts:
                for cls, (attr, keyword) in _BOUNDS.items():
                    if isinstance(part, cls):
                        out[keyword] = getattr(part, attr)
                        break
                else:
                    raise TypeError(f"{where}: constraint {part!r} has no JSON Schema equivalent "
                                    "here; use Gt, Ge, Lt, Le or Interval.")
        return out
    if origin is Literal:
        values = list(get_args(tp))
        if not all(v is None or isinstance(v, (str, int, float, bool)) for v in values):
            raise TypeError(f"{where}: Literal values must be JSON scalars, got {values!r}.")
        return {"enum": values}
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        others = [a for a in args if a is not type(None)]
        if len(others) != 1:
            raise TypeError(f"{where}: only 'X | None' unions can be written as a schema, got {tp!r}.")
        out = _annotation_schema(others[0], where)
        if len(others) == len(args):
            return out
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "enum" in out:
            out["enum"] = [*out["enum"], None]
        else:
            raise TypeError(f"{where}: cannot make {others[0]!r} nullable in a schema.")
        return out
    if tp in _BASIC:
        return {"type": _BASIC[tp]}
    raise TypeError(f"{where}: annotation {tp!r} has no JSON Schema equivalent; annotate with "
                    "bool, int, float, str, Literal[...], Annotated bounds or 'X | None'.")


def _param_docs(cls: type) -> dict[str, str]:
    """Parameter descriptions from a numpydoc ``Parameters`` section."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    docs: dict[str, list[str]] = {}
    try:
        start = next(i for i in range(len(lines) - 1)
                     if lines[i].strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        return {}
    current: list[str] = []
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
                break  # the next section
            current = [n.strip() for n in line.split(":")[0].split(",")]
            for n in current:
                docs[n] = []
        else:
            for n in current:
                docs[n].append(line.strip())
    return {n: " ".join(text) for n, text in docs.items() if text}


def params_schema(cls: type) -> dict[str, Any]:
    """JSON Schema of a detector class's ``params``, from its constructor signature.

    Every parameter is required in a config, so that a config means the same thing whatever
    the defaults of the mlmon version that reads it.

    Examples
    --------
    >>> from mlmon.detectors import DDM
    >>> s = params_schema(DDM)
    >>> s["properties"]["threshold"]["type"], s["properties"]["threshold"]["exclusiveMinimum"]
    ('number', 0)
    >>> s["additionalProperties"], s["required"]
    (False, ['threshold', 'warning_threshold', 'min_samples', 'reset_on_drift'])
    """
    hints = get_type_hints(cls.__init__, include_extras=True)
    docs = _param_docs(cls)
    props: dict[str, Any] = {}
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        where = f"{cls.__name__}.{pname}"
        if pname not in hints:
            raise TypeError(f"{where} has no annotation; annotate it so its schema can be derived.")
        prop: dict[str, Any] = {}
        if pname in docs:
            prop["description"] = docs[pname]
        prop.update(_annotation_schema(hints[pname], where))
        default = param.default
        if default is not param.empty and (
            default is None or isinstance(default, (str, bool, int))
            or (isinstance(default, float) and math.isfinite(default))
        ):
            prop["default"] = default
        props[pname] = prop
    return {
        "type": "object",
        "description": f"Constructor parameters of mlmon.detectors.{cls.__name__}.",
        "additionalProperties": False,
        "required": list(props),
        "properties": props,
    }


def _provenance_schema() -> dict[str, Any]:
    version = {"type": ["string", "null"]}
    return {
        "type": "object",
        "description": "Where and when the config was made.",
        "additionalProperties": False,
        "required": ["mlmon", "python", "numpy", "scipy", "river", "created", "reference"],
        "properties": {
            "mlmon": {"type": "string"},
            "python": {"type": "string"},
            "numpy": {"type": "string"},
            "scipy": version,
            "river": version,
            "created": {"type": "string", "description": "Creation time, UTC, ISO 8601."},
            "reference": {
                "type": ["object", "null"],
                "description": "SHA-256 fingerprint of the reference data (values as float64).",
                "additionalProperties": False,
                "required": ["sha256", "shape", "dtype"],
                "properties": {
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                    "dtype": {"const": "<f8"},
                },
            },
        },
    }


def _calibration_schema() -> dict[str, Any]:
    number = {"type": ["number", "null"]}
    integer = {"type": "integer", "minimum": 0}
    props: dict[str, Any] = {
        "detector_class": {"type": "string"},
        "param": {"type": "string", "description": "The threshold parameter calibrated."},
        "value": {**number, "description": "The calibrated value."},
        "budget": {"enum": ["arl", "window_fpr"]},
        "target": number,
        "estimate": {**number, "description": "The budget quantity achieved on the null runs."},
        "ci_low": number,
        "ci_high": number,
        "confidence": number,
        "n_runs": integer,
        "run_length": integer,
        "n_alarms": integer,
        "n_windows": {"type": ["integer", "null"], "minimum": 0},
        "dispersion": number,
        "tail_pvalue": number,
        "null": {"type": "string", "description": "The null scenario."},
        "null_params": {"type": "object", "description": "The null scenario's parameters."},
        "fingerprint": {"type": ["string", "null"],
                        "description": "SHA-256 of the reference sample the null bootstraps."},
        "seed": {
            "type": "object",
            "description": "The root SeedSequence and how run seeds are spawned from it.",
            "additionalProperties": False,
            "required": ["entropy", "spawn_key", "scheme"],
            "properties": {
                "entropy": {"type": ["integer", "array"], "items": {"type": "integer", "minimum": 0}},
                "spawn_key": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "scheme": {"type": "string"},
                "drift_scheme": {"type": "string"},
            },
        },
        "method": {"enum": ["trace", "bisection", "operating_curve"],
                   "description": ("How the threshold was found: solved to the budget by "
                                   "mlmon.tuning.calibrate ('trace' or 'bisection'), or chosen "
                                   "as a point of an operating curve ('operating_curve').")},
        "conservative": {"type": "boolean"},
        "elapsed": number,
        "detector_params": {"type": "object", "description": "The calibrated detector's parameters."},
    }
    point = {
        "type": "object",
        "description": ("For a threshold chosen on an operating curve: what it bought on the "
                        "curve's drift runs."),
        "additionalProperties": False,
        "required": ["drift", "drift_params", "drift_run_length", "detection_rate", "n_detected",
                     "mean_delay", "median_delay", "p_false_alarm_before_change", "tolerance"],
        "properties": {
            "drift": {"type": "string"},
            "drift_params": {"type": "object"},
            "drift_run_length": {"type": "integer", "minimum": 0},
            "detection_rate": number,
            "n_detected": {"type": "integer", "minimum": 0},
            "mean_delay": number,
            "median_delay": number,
            "p_false_alarm_before_change": number,
            "tolerance": {"type": ["integer", "null"], "minimum": 0},
        },
    }
    required = list(props)
    props["operating_point"] = point
    return {
        "type": ["object", "null"],
        "description": ("How the threshold was calibrated: mlmon.tuning's Calibration.to_dict() "
                        "(non-finite numbers written as null). Provenance only: the runtime "
                        "never reads it."),
        "additionalProperties": False,
        "required": required,
        "properties": props,
    }


def build_schema() -> dict[str, Any]:
    """Generate the detector-config JSON Schema (draft 2020-12) from the registered detectors.

    Examples
    --------
    >>> s = build_schema()
    >>> s["$schema"], "#/$defs/CUSUM" in [branch["$ref"] for branch in s["oneOf"]]
    ('https://json-schema.org/draft/2020-12/schema', True)
    """
    from mlmon.detectors import REGISTRY

    kinds = sorted(name for name, cls in REGISTRY.items() if getattr(cls, "exportable", False))
    missing = [k for k in kinds if k not in ENGINES]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} exportable but mlmon.runtime has no engine for them; add "
            "them to ENGINES in mlmon/runtime/_engines.py or set exportable = False."
        )
    defs: dict[str, Any] = {}
    for kind in kinds:
        defs[kind] = {
            "type": "object",
            "description": f"A config of mlmon.detectors.{kind}.",
            "additionalProperties": False,
            "required": ["schema_version", "kind", "params", "state", "calibration", "provenance"],
            "properties": {
                "schema_version": {"$ref": "#/$defs/schema_version"},
                "kind": {"const": kind},
                "params": {"$ref": f"#/$defs/{kind}.params"},
                "state": {"$ref": f"#/$defs/{kind}.state"},
                "calibration": {"$ref": "#/$defs/calibration"},
                "provenance": {"$ref": "#/$defs/provenance"},
            },
        }
    for kind in kinds:
        defs[f"{kind}.params"] = params_schema(REGISTRY[kind])
        defs[f"{kind}.state"] = ENGINES[kind].state
    defs["schema_version"] = {"type": "integer", "const": SCHEMA_VERSION,
                              "description": "Version of this config format."}
    defs["calibration"] = _calibration_schema()
    defs["provenance"] = _provenance_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:mlmon:detector-config:{SCHEMA_VERSION}",
        "title": "mlmon detector config",
        "description": (
            "A drift detector exported by mlmon.export.export() for mlmon.runtime.load(): "
            "one alternative per detector kind, told apart by 'kind'. Generated from the "
            "detectors' constructor signatures by 'python -m mlmon.export.schema'; do not "
            "edit by hand."
        ),
        "type": "object",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in kinds],
        "$defs": defs,
    }


def dumps_schema(schema: dict[str, Any] | None = None) -> str:
    """The schema as the text shipped in the package (2-space indent, trailing newline).

    Examples
    --------
    >>> text = dumps_schema()
    >>> text == SCHEMA_PATH.read_text(encoding="utf-8")
    True
    """
    return json.dumps(build_schema() if schema is None else schema, indent=2) + "\n"


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the generated schema to ``path`` (the shipped file by default).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_schema(pathlib.Path(tmp) / "schema.json")
    ...     json.loads(out.read_text())["title"]
    'mlmon detector config'
    """
    path = Path(path)
    path.write_text(dumps_schema(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m mlmon.export.schema [--check] [--output PATH]``; returns the exit status.

    Examples
    --------
    >>> main(["--check"])  # doctest: +ELLIPSIS
    /.../detector_config.schema.json is up to date
    0
    """
    parser = argparse.ArgumentParser(prog="python -m mlmon.export.schema",
                                     description="Regenerate the shipped detector-config JSON Schema.")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the shipped schema differs from the generated one")
    parser.add_argument("--output", type=Path, default=SCHEMA_PATH, help="where to write")
    args = parser.parse_args(argv)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != dumps_schema():
            print(f"{args.output} is out of date; run: python -m mlmon.export.schema", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    print(f"wrote {write_schema(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
