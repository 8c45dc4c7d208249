"""A small JSON Schema (draft 2020-12) validator, standard library only.

It implements the keywords the detector-config schema uses, and refuses a schema that uses any
other keyword, so that the schema and this validator cannot silently drift apart:

- assertions: ``type``, ``enum``, ``const``, ``minimum``, ``maximum``, ``exclusiveMinimum``,
  ``exclusiveMaximum``, ``minLength``, ``pattern``, ``minItems``, ``maxItems``, ``required``,
  ``dependentRequired``;
- applicators: ``properties``, ``additionalProperties``, ``items``, ``oneOf``, ``$ref``
  (local ``#/$defs/...`` pointers only);
- annotations, ignored: ``$schema``, ``$id``, ``$defs``, ``$comment``, ``title``,
  ``description``, ``default``.

Every problem is reported with the path of the offending value (``params.threshold``) and a
message that says what would be accepted.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["Issue", "SchemaError", "check_schema", "shipped_schema", "validate"]

SCHEMA_FILE = "detector_config.schema.json"

_ASSERTIONS = {
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "pattern", "minItems", "maxItems", "required", "dependentRequired",
}
_APPLICATORS = {"properties", "additionalProperties", "items", "oneOf", "$ref"}
_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "default"}
KEYWORDS = frozenset(_ASSERTIONS | _APPLICATORS | _ANNOTATIONS)

_TYPE_WORDS = {
    "object": "an object", "array": "an array", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "true or false", "null": "null",
}


class SchemaError(RuntimeError):
    """The schema itself uses something this validator does not implement."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One reason an instance does not match its schema.

    Examples
    --------
    >>> Issue(("params", "threshold"), "must be > 0, got -1").describe()
    'params.threshold: must be > 0, got -1'
    """

    path: tuple[Any, ...]
    message: str
    keyword: str = ""

    @property
    def where(self) -> str:
        """The dotted path of the offending value (``(config)`` for the whole document)."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "(config)"

    def describe(self) -> str:
        return f"{self.where}: {self.message}"


def json_type(value: Any) -> str:
    """The JSON type name of a value parsed by :mod:`json`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    actual = json_type(value)
    if name == "number":
        return actual in ("integer", "number")
    if name == "integer":  # JSON Schema counts 3.0 as an integer
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == name


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema defines it (``true`` is not ``1``; ``1`` is ``1.0``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _show(value: Any) -> str:
    text = json.dumps(value) if json_type(value) in _TYPE_WORDS else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _python_pattern(pattern: str) -> str:
    """An ECMA-262 pattern for :mod:`re`: a final ``$`` must not match before a newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise SchemaError(f"only local '#/...' references are supported, got $ref {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SchemaError(f"$ref {ref!r} points nowhere in the schema")
        node = node[part]
    return node


def check_schema(schema: Any, *, _where: str = "#") -> None:
    """Raise :class:`SchemaError` if ``schema`` uses a keyword this validator lacks.

    Examples
    --------
    >>> check_schema({"type": "object", "properties": {"a": {"type": "integer"}}})
    >>> try:
    ...     check_schema({"type": "string", "format": "email"})
    ... except SchemaError as err:
    ...     print(err)
    schema keyword 'format' at # is not implemented by mlmon's runtime validator
    """
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError(f"schema at {_where} must be an object or a boolean")
    for key, value in schema.items():
        if key not in KEYWORDS:
            raise SchemaError(
                f"schema keyword {key!r} at {_where} is not implemented by mlmon's runtime validator"
            )
        if key in ("properties", "$defs"):
            for name, sub in value.items():
                check_schema(sub, _where=f"{_where}/{key}/{name}")
        elif key in ("additionalProperties", "items"):
            check_schema(value, _where=f"{_where}/{key}")
        elif key == "oneOf":
            for i, sub in enumerate(value):
                check_schema(sub, _where=f"{_where}/oneOf/{i}")


def validate(instance: Any, schema: dict[str, Any], *, root: dict[str, Any] | None = None,
             path: tuple[Any, ...] = ()) -> list[Issue]:
    """Every way ``instance`` fails ``schema``, as a list of :class:`Issue` (empty if valid).

    Examples
    --------
    >>> schema = {"type": "object", "additionalProperties": False, "required": ["alpha"],
    ...           "properties": {"alpha": {"type": "number", "exclusiveMinimum": 0}}}
    >>> validate({"alpha": 0.05}, schema)
    []
    >>> [i.describe() for i in validate({"alpah": 0.05}, schema)]
    ["(config): missing required key 'alpha'", "alpah: unknown key (did you mean 'alpha'?); remove it or correct its spelling. Allowed keys: 'alpha'"]
    """
    root = schema if root is None else root
    if schema is True:
        return []
    if schema is False:
        return [Issue(path, "no value is allowed here")]
    issues: list[Issue] = []
    if "$ref" in schema:
        issues += validate(instance, _resolve(schema["$ref"], root), root=root, path=path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(instance, n) for n in names):
            want = " or ".join(_TYPE_WORDS[n] for n in names)
            issues.append(Issue(path, f"must be {want}, got {json_type(instance)} {_show(instance)}", "type"))
            return issues  # further checks would only repeat the type problem
    if "const" in schema and not _json_equal(instance, schema["const"]):
        issues.append(Issue(path, f"must be {_show(schema['const'])}, got {_show(instance)}", "const"))
    if "enum" in schema and not any(_json_equal(instance, e) for e in schema["enum"]):
        allowed = ", ".join(_show(e) for e in schema["enum"])
        issues.append(Issue(path, f"must be one of {allowed}; got {_show(instance)}"))
    if json_type(instance) in ("integer", "number"):
        for key, op, ok in (
            ("minimum", ">=", lambda v, b: v >= b),
            ("exclusiveMinimum", ">", lambda v, b: v > b),
            ("maximum", "<=", lambda v, b: v <= b),
            ("exclusiveMaximum", "<", lambda v, b: v < b),
        ):
            if key in schema and not ok(instance, schema[key]):
                issues.append(Issue(path, f"must be {op} {schema[key]}, got {_show(instance)}"))
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            issues.append(Issue(path, f"must have at least {schema['minLength']} character(s)"))
        if "pattern" in schema and re.search(_python_pattern(schema["pattern"]), instance) is None:
            issues.append(Issue(path, f"must match the pattern {schema['pattern']!r}, got {_show(instance)}"))
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            issues.append(Issue(path, f"must have at least {schema['minItems']} item(s), got {len(instance)}"))
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            issues.append(Issue(path, f"must have at most {schema['maxItems']} item(s), got {len(instance)}"))
        if "items" in schema:
            for i, item in enumerate(instance):
                issues += validate(item, schema["items"], root=root, path=(*path, i))
    if isinstance(instance, dict):
        issues += _validate_object(instance, schema, root, path)
    if "oneOf" in schema:
        issues += _one_of(instance, schema["oneOf"], root, path)
    return issues


def _one_of(instance: Any, branches: list[Any], root: dict[str, Any],
            path: tuple[Any, ...]) -> list[Issue]:
    results = [validate(instance, b, root=root, path=path) for b in branches]
    n_valid = sum(not r for r in results)
    if n_valid == 1:
        return []
    if n_valid > 1:
        return [Issue(path, f"matches {n_valid} of the alternatives where exactly one must match", "oneOf")]
    # None matches: report the alternative meant, i.e. the one whose constants (such as
    # "kind") all agree, and among those the one with the fewest problems.
    best = min(results, key=lambda r: (sum(i.keyword == "const" for i in r), len(r)))
    return best


def _validate_object(instance: dict[str, Any], schema: dict[str, Any], root: dict[str, Any],
                     path: tuple[Any, ...]) -> list[Issue]:
    issues: list[Issue] = []
    props = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in instance:
            default = props.get(key, {}).get("default", _MISSING) if isinstance(props.get(key), dict) else _MISSING
            hint = "" if default is _MISSING else f" (the detector's default is {_show(default)})"
            issues.append(Issue(path, f"missing required key {key!r}{hint}"))
    for key, needs in schema.get("dependentRequired", {}).items():
        if key in instance:
            for other in needs:
                if other not in instance:
                    issues.append(Issue(path, f"key {key!r} needs {other!r} too; give both or neither"))
    for key, value in instance.items():
        if key in props:
            issues += validate(value, props[key], root=root, path=(*path, key))
        elif "additionalProperties" in schema:
            extra = schema["additionalProperties"]
            if extra is False:
                close = difflib.get_close_matches(key, list(props), n=1)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                allowed = ", ".join(repr(k) for k in props) or "none"
                issues.append(Issue(
                    (*path, key),
                    f"unknown key{guess}; remove it or correct its spelling. Allowed keys: {allowed}",
                ))
            else:
                issues += validate(value, extra, root=root, path=(*path, key))
    return issues


_MISSING = object()


@lru_cache(maxsize=1)
def shipped_schema() -> dict[str, Any]:
    """The detector-config JSON Schema shipped with mlmon (``mlmon/export/...schema.json``).

    Read as a data file, without importing :mod:`mlmon.export`.

    Examples
    --------
    >>> shipped_schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    text = (resources.files("mlmon") / "export" / SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    check_schema(schema)
    return schema
