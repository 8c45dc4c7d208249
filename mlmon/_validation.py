"""Parameter validation from annotations, and input checks shared by every entry point.

Errors name the offending field and say how to fix it.
"""

from __future__ import annotations

import inspect
import math
import numbers
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import annotated_types as at
import numpy as np

# The signal check needs numpy alone, so it lives with the runtime and is shared from there.
from mlmon.runtime._inputs import check_signal

__all__ = ["check_signal", "validate_params", "describe_constraints"]

_CONSTRAINT_TEXT = {
    at.Gt: ("gt", "> {}"),
    at.Ge: ("ge", ">= {}"),
    at.Lt: ("lt", "< {}"),
    at.Le: ("le", "<= {}"),
}


def _constraint_ok(value: Any, c: Any) -> tuple[bool, str]:
    if isinstance(c, at.Interval):
        parts = [p for p in (at.Gt(c.gt) if c.gt is not None else None,
                             at.Ge(c.ge) if c.ge is not None else None,
                             at.Lt(c.lt) if c.lt is not None else None,
                             at.Le(c.le) if c.le is not None else None) if p is not None]
        texts, ok = [], True
        for p in parts:
            good, text = _constraint_ok(value, p)
            ok &= good
            texts.append(text)
        return ok, " and ".join(texts)
    for kind, (attr, fmt) in _CONSTRAINT_TEXT.items():
        if isinstance(c, kind):
            bound = getattr(c, attr)
            ops = {"gt": value > bound, "ge": value >= bound, "lt": value < bound, "le": value <= bound}
            return bool(ops[attr]), fmt.format(bound)
    return True, ""


def describe_constraints(annotation: Any) -> str:
    """Human-readable allowed range of an annotated parameter type.

    Examples
    --------
    >>> from typing import Annotated
    >>> import annotated_types as at
    >>> describe_constraints(Annotated[float, at.Gt(0), at.Le(1)])
    'float > 0 and <= 1'
    """
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        texts = [_constraint_ok(0, m)[1] for m in meta]
        return " and ".join([_type_name(base) + " " + texts[0], *texts[1:]]) if texts else _type_name(base)
    return _type_name(annotation)


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    if origin is Annotated:
        return describe_constraints(tp)
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


def _check(owner: str, name: str, value: Any, tp: Any) -> tuple[type[Exception], str] | None:
    """Check ``value`` against annotation ``tp``; return (exception class, message) or None."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        err = _check(owner, name, value, base)
        if err is not None:
            return err
        if value is None:
            return None
        for m in meta:
            ok, text = _constraint_ok(value, m)
            if not ok:
                return ValueError, f"{owner}: parameter {name!r} must be {text}, got {value!r}."
        return None
    if origin in (Union, types.UnionType):
        errors = [_check(owner, name, value, a) for a in get_args(tp)]
        if any(e is None for e in errors):
            return None
        value_errors = [e for e in errors if e is not None and e[0] is ValueError]
        if len(value_errors) == 1:  # the value has one member's type but breaks its constraint: say which
            return value_errors[0]
        kinds = {e[0] for e in errors if e is not None}
        kind = ValueError if kinds == {ValueError} else TypeError
        return kind, f"{owner}: parameter {name!r} must be {_type_name(tp)}, got {value!r}."
    if origin is Literal:
        if value in get_args(tp) and type(value) in {type(a) for a in get_args(tp)}:
            return None
        return ValueError, f"{owner}: parameter {name!r} must be {_type_name(tp)}, got {value!r}."
    if tp is type(None):
        return None if value is None else (TypeError, f"{owner}: parameter {name!r} must be None, got {value!r}.")
    if tp is bool:
        ok = isinstance(value, (bool, np.bool_))
    elif tp is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    elif tp is float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
        if ok and not math.isfinite(float(value)):
            return ValueError, f"{owner}: parameter {name!r} must be a finite number, got {value!r}."
    elif tp is str:
        ok = isinstance(value, str)
    elif tp is Any or tp is object:
        ok = True
    elif isinstance(tp, type):
        ok = isinstance(value, tp)
    else:  # generic containers and other annotations: not checked here
        ok = True
    if not ok:
        return TypeError, (
            f"{owner}: parameter {name!r} must be {_type_name(tp)}, got {value!r} ({type(value).__name__})."
        )
    return None


def validate_params(obj: Any) -> None:
    """Validate every constructor parameter of ``obj`` against its annotation.

    Parameters are read back from attributes of the same name (scikit-learn style).

    Examples
    --------
    >>> from typing import Annotated
    >>> import annotated_types as at
    >>> class Demo:
    ...     def __init__(self, *, threshold: Annotated[float, at.Gt(0)] = 1.0):
    ...         self.threshold = threshold
    ...         validate_params(self)
    >>> try:
    ...     Demo(threshold=-2)
    ... except ValueError as err:
    ...     print(err)
    Demo: parameter 'threshold' must be > 0, got -2.
    """
    cls = type(obj)
    hints = get_type_hints(cls.__init__, include_extras=True)
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if pname not in hints:
            continue
        err = _check(cls.__name__, pname, getattr(obj, pname), hints[pname])
        if err is not None:
            raise err[0](err[1])
