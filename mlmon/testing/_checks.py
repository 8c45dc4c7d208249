"""Conformance checks of the detector protocol (API, state and behaviour).

Each check takes a detector instance, works on clones of it (the instance itself is left
as it was), and raises :class:`AssertionError` with a message naming the detector and the
broken rule, or :class:`SkipCheck` when it does not apply.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import numpy as np

from mlmon.base import Alarms, BaseDetector, DriftResult
from mlmon.testing._streams import (
    drifting_stream,
    loop_update,
    null_stream,
    same_result,
    same_value,
    state_size,
)

_METHODS = ("fit", "update", "reset", "run", "get_params", "clone")
_BAD_LITERAL = "__not_an_option__"


class SkipCheck(Exception):
    """Raised by a check that does not apply to a detector; the message says why.

    Examples
    --------
    >>> try:
    ...     raise SkipCheck("needs p-values")
    ... except SkipCheck as err:
    ...     print(err)
    needs p-values
    """


def _name(det: BaseDetector) -> str:
    return repr(det)


def _fresh(det: BaseDetector) -> BaseDetector:
    return det.clone()


#: Length of the reference the checks fit detectors on (rows, for multivariate detectors,
#: whose tests cost O(rows^2): kept short so the suite stays fast).
FIT_LENGTH = {"real": 1000, "binary": 1000, "multivariate": 300}


def _fit_reference(det: BaseDetector, seed: int = 11) -> np.ndarray:
    return null_stream(det.signal_kind, FIT_LENGTH[det.signal_kind], seed)


def _alarms_equal(a: Alarms, b: Alarms, what: str, det: BaseDetector) -> None:
    assert a == b, (
        f"{_name(det)}: {what} differ:\n  {a!r} (warnings {a.warnings[:8].tolist()})\n  "
        f"{b!r} (warnings {b.warnings[:8].tolist()})"
    )


# --- API ----------------------------------------------------------------------------------


def check_api_shape(det: BaseDetector) -> None:
    """Protocol methods exist; parameters are keyword-only and stored verbatim."""
    cls = type(det)
    for method in _METHODS:
        assert callable(getattr(det, method, None)), f"{cls.__name__} has no method {method}()."
    assert det.signal_kind in ("real", "binary", "multivariate"), (
        f"{_name(det)}: signal_kind is {det.signal_kind!r}.")
    assert det.threshold_direction in ("above", "below"), (
        f"{_name(det)}: threshold_direction is {det.threshold_direction!r}.")
    params = det.get_params()
    assert isinstance(params, dict), f"{_name(det)}: get_params() must return a dict."
    if det.threshold_param is not None:
        assert det.threshold_param in params, (
            f"{_name(det)}: threshold_param {det.threshold_param!r} is not one of its parameters "
            f"{sorted(params)}.")
    assert isinstance(det.exportable, bool), f"{_name(det)}: exportable must be a bool."
    positional = set(getattr(cls, "_positional_params", ()))
    sig = inspect.signature(cls.__init__)
    for pname, p in sig.parameters.items():
        if pname == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or pname in positional:
            continue
        assert p.kind == p.KEYWORD_ONLY, (
            f"{cls.__name__}.__init__: parameter {pname!r} must be keyword-only (put it after *).")
    rebuilt = cls(**params)
    for key, value in params.items():
        assert getattr(rebuilt, key, _BAD_LITERAL) is value, (
            f"{cls.__name__}: parameter {key!r} is not stored verbatim as an attribute of the "
            f"same name (got {getattr(rebuilt, key, '<missing>')!r}, given {value!r}).")
        assert rebuilt.get_params()[key] is value, (
            f"{cls.__name__}: get_params()[{key!r}] is not the value given to the constructor.")
    other = det.clone()
    assert other is not det and type(other) is cls, f"{_name(det)}: clone() must return a new {cls.__name__}."
    assert same_value(other.get_params(), params), f"{_name(det)}: clone() changed the parameters."
    if det.threshold_param is not None:
        level = params[det.threshold_param]
        again = det.clone(**{det.threshold_param: level})
        assert same_value(again.get_params(), params), (
            f"{_name(det)}: clone({det.threshold_param}=...) changed other parameters.")
    fresh = _fresh(det)
    assert fresh.reset() is fresh, f"{_name(det)}: reset() must return self."
    assert fresh.fit(_fit_reference(det)) is fresh, f"{_name(det)}: fit() must return self."
    assert isinstance(repr(det), str)


def check_attributes(det: BaseDetector) -> None:
    """Every attribute is a parameter, learnt or running state ending in ``_``, or private."""
    d = _fresh(det)
    d.fit(_fit_reference(d))
    d.run(drifting_stream(d.signal_kind, 1500, seed=1))
    d.update(null_stream(d.signal_kind, 1, seed=2)[0])
    params = set(d.get_params())
    for name in vars(d):
        if name in params or name.endswith("_") or name.startswith("_"):
            continue
        raise AssertionError(
            f"{_name(d)}: attribute {name!r} is neither a parameter nor state ending in '_'; "
            "rename it (state that shares a parameter's name leaks into clone())."
        )


def _invalid_values(tp: Any) -> list[Any]:
    """Values that violate annotation ``tp``."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        out = _invalid_values(base)
        for m in meta:
            for attr, delta in (("gt", 0), ("ge", -1), ("lt", 0), ("le", 1)):
                bound = getattr(m, attr, None)
                if bound is not None and isinstance(bound, numbers.Real):
                    bad = bound + delta
                    out.append(int(bad) if base is int else float(bad))
        return out
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if any(a is object or a is Any for a in args):
            return []
        out: list[Any] = []
        for a in args:
            out.extend(_invalid_values(a))
        return out
    if origin is Literal:
        return [_BAD_LITERAL]
    if tp is bool:
        return ["yes"]
    if tp is int:
        return [1.5, "3"]
    if tp is float:
        return ["0.5", float("nan")]
    return []


def check_invalid_params(det: BaseDetector) -> None:
    """Invalid parameter values, and unknown parameters, are rejected at construction."""
    cls = type(det)
    params = det.get_params()
    cases: list[tuple[str, dict[str, Any]]] = []
    hints = get_type_hints(cls.__init__, include_extras=True)
    for name in params:
        if name in hints:
            for bad in _invalid_values(hints[name]):
                cases.append((f"{name}={bad!r}", {**params, name: bad}))
    for kwargs in getattr(cls, "_test_invalid_params", lambda: [])():
        cases.append((", ".join(f"{k}={v!r}" for k, v in kwargs.items()), kwargs))
    cases.append(("no_such_parameter=1", {**params, "no_such_parameter": 1}))
    for label, kwargs in cases:
        try:
            cls(**kwargs)
        except (ValueError, TypeError) as err:
            assert str(err), f"{cls.__name__}({label}) raised {type(err).__name__} without a message."
            continue
        raise AssertionError(f"{cls.__name__}({label}) was accepted; it must raise ValueError or TypeError.")


def check_params_unchanged(det: BaseDetector) -> None:
    """``fit``, ``update``, ``run`` and ``reset`` leave the parameters as given."""
    d = _fresh(det)
    before = copy.deepcopy(d.get_params())
    d.fit(_fit_reference(d))
    x = drifting_stream(d.signal_kind, 2000, seed=3)
    d.run(x)
    for v in x[:300].tolist():
        d.update(v)
    d.reset()
    assert same_value(d.get_params(), before), (
        f"{_name(det)}: parameters changed while running: {before} -> {d.get_params()}.")


# --- behaviour -----------------------------------------------------------------------------


def check_clone_equals_fresh(det: BaseDetector) -> None:
    """A clone of a used detector behaves as a newly built one."""
    kind = det.signal_kind
    used = _fresh(det)
    used.fit(_fit_reference(used))
    used.run(drifting_stream(kind, 2500, seed=4))
    clone = used.clone()
    fresh = type(det)(**det.get_params())
    x = drifting_stream(kind, 3000, seed=5)
    _alarms_equal(clone.run(x), fresh.run(x), "alarms of clone() of a used detector and of a new one", det)


def check_reset_equals_fresh(det: BaseDetector) -> None:
    """``reset()`` returns to the just-fitted state (or the just-built one, unfitted)."""
    kind = det.signal_kind
    x1, x2 = drifting_stream(kind, 2500, seed=6), drifting_stream(kind, 3000, seed=7)
    used = _fresh(det)
    used.run(x1)
    used.reset()
    _alarms_equal(used.run(x2), _fresh(det).run(x2), "alarms after reset() and of a new detector", det)
    ref = _fit_reference(det)
    used = _fresh(det).fit(ref)
    used.run(x1)
    used.reset()
    _alarms_equal(used.run(x2), _fresh(det).fit(ref).run(x2),
                  "alarms of a fitted detector after reset() and of a newly fitted one", det)


def check_run_equals_update(det: BaseDetector) -> None:
    """``run`` gives the alarms of a loop of ``update`` and leaves the same state behind."""
    kind = det.signal_kind
    x = drifting_stream(kind, 4000, seed=8)
    after = drifting_stream(kind, 1500, seed=9)
    ref = _fit_reference(det)
    for fitted in (False, True):
        a, b = _fresh(det), _fresh(det)
        if fitted:
            a.fit(ref)
            b.fit(ref)
        how = "fitted" if fitted else "unfitted"
        got = a.run(x)
        alarms, warnings, _ = loop_update(b, x)
        _alarms_equal(got, Alarms(alarms, int(x.shape[0]), warnings),
                      f"run() and a loop of update() ({how})", det)
        for i, v in enumerate(after.tolist()):
            ra, rb = a.update(v), b.update(v)
            assert same_result(ra, rb), (
                f"{_name(det)}: after run() and after a loop of update() ({how}) the detector "
                f"behaves differently at the {i}-th next value:\n  {ra}\n  {rb}")
        pieces = _fresh(det)
        if fitted:
            pieces.fit(ref)
        cut = [0, 1, 37, 1200, 1201, 2999, int(x.shape[0])]
        found = [pieces.run(x[s:e]).indices + s for s, e in zip(cut[:-1], cut[1:])]
        _alarms_equal(Alarms(np.concatenate(found), int(x.shape[0])),
                      Alarms(got.indices, int(x.shape[0])),
                      f"run() over pieces of a signal and over the whole ({how})", det)


def check_determinism(det: BaseDetector) -> None:
    """The same detector on the same data raises the same alarms, every time."""
    x = drifting_stream(det.signal_kind, 3000, seed=10)
    first = _fresh(det).run(x)
    _alarms_equal(first, _fresh(det).run(x), "alarms of two identical detectors", det)
    again = _fresh(det)
    again.run(x)
    _alarms_equal(first, again.reset().run(x), "alarms before and after reset()", det)


def check_trace(det: BaseDetector) -> None:
    """``trace`` gives what ``update`` compares with the threshold, and leaves the state alone."""
    d = _fresh(det)
    x = drifting_stream(det.signal_kind, 3000, seed=12)
    try:
        tr = d.trace(x)
    except NotImplementedError:
        raise SkipCheck(f"{type(det).__name__} has no threshold-free trace") from None
    assert isinstance(tr, np.ndarray) and tr.shape == x.shape[:1] and tr.dtype == np.float64, (
        f"{_name(det)}: trace() must return a 1-D float64 array, one value per position of the "
        "signal.")
    _alarms_equal(d.run(x), _fresh(det).run(x), "alarms after trace() and of a new detector", det)
    below = det.threshold_direction == "below"
    params = det.get_params()
    no_reset = det.clone(reset_on_drift=False) if "reset_on_drift" in params else _fresh(det)
    _, _, results = loop_update(no_reset, x)
    looked = np.array([
        (math.nan if r.pvalue is None else r.pvalue) if below else r.statistic for r in results
    ])
    stop = len(results)
    if "reset_on_drift" not in params:
        first = next((i for i, r in enumerate(results) if r.drift), None)
        stop = stop if first is None else first + 1
    differ = ~((tr[:stop] == looked[:stop]) | (np.isnan(tr[:stop]) & np.isnan(looked[:stop])))
    assert not differ.any(), (
        f"{_name(det)}: trace() and the values update() compared with the threshold differ, "
        f"first at index {int(np.flatnonzero(differ)[0])}.")
    level = float(params[det.threshold_param])
    crossed = (tr < level) if below else (tr > level)
    drifts = np.array([r.drift for r in results])
    assert np.array_equal(crossed[:stop], drifts[:stop]), (
        f"{_name(det)}: alarms without reset are not where trace() crosses the threshold.")


def check_result_contract(det: BaseDetector) -> None:
    """``update`` returns well-typed DriftResults; ``run`` returns well-formed Alarms."""
    d = _fresh(det)
    x = drifting_stream(det.signal_kind, 3000, seed=13)
    resets = bool(d.get_params().get("reset_on_drift", True))
    level = getattr(d, d.threshold_param) if d.threshold_param else math.nan
    prev = 0
    for i, v in enumerate(x.tolist()):
        r = d.update(v)
        assert isinstance(r, DriftResult), f"{_name(det)}: update() returned {type(r).__name__}."
        assert type(r.drift) is bool and type(r.warning) is bool, (
            f"{_name(det)}: drift and warning must be Python bools, got {r}.")
        assert isinstance(r.statistic, float) and isinstance(r.threshold, float), (
            f"{_name(det)}: statistic and threshold must be floats, got {r}.")
        assert type(r.n_seen) is int, f"{_name(det)}: n_seen must be an int, got {r}."
        assert not (r.drift and r.warning), f"{_name(det)}: drift and warning both set: {r}."
        if r.pvalue is not None:
            assert isinstance(r.pvalue, float) and 0.0 <= r.pvalue <= 1.0, (
                f"{_name(det)}: pvalue must be a float in [0, 1], got {r}.")
            if r.drift and det.threshold_direction == "below":
                assert r.pvalue < r.threshold, f"{_name(det)}: drift with pvalue >= alpha: {r}."
        if isinstance(level, (int, float)) and not isinstance(level, bool):
            assert same_value(r.threshold, float(level)), (
                f"{_name(det)}: result threshold {r.threshold} is not {det.threshold_param}={level}.")
        assert r.n_seen == prev + 1, (
            f"{_name(det)}: n_seen went from {prev} to {r.n_seen} at index {i} (expected +1).")
        prev = 0 if (r.drift and resets) else r.n_seen
    batch = _fresh(det)
    batch_result = batch.update(x[:500])
    single = _fresh(det)
    *_, singles = loop_update(single, x[:500])
    first = next((s for s in singles if s.drift), singles[-1])
    assert batch_result.drift == first.drift and batch_result.n_seen == singles[-1].n_seen, (
        f"{_name(det)}: update(batch) must report the first drift of the batch (or the last "
        f"result) with n_seen of the whole batch: {batch_result} vs {first}.")
    alarms = _fresh(det).run(x)
    assert isinstance(alarms, Alarms), f"{_name(det)}: run() returned {type(alarms).__name__}."
    for arr, what in ((alarms.indices, "alarm"), (alarms.warnings, "warning")):
        assert arr.dtype == np.int64 and arr.ndim == 1, f"{_name(det)}: {what} indices must be 1-D int64."
        assert np.all(np.diff(arr) > 0) and (arr.size == 0 or 0 <= arr[0] and arr[-1] < x.shape[0]), (
            f"{_name(det)}: {what} indices must be increasing positions within the signal.")
    assert alarms.n_seen == x.shape[0], f"{_name(det)}: Alarms.n_seen must be the signal length."


def _expect_error(det: BaseDetector, call: Any, label: str, kinds: tuple[type, ...]) -> None:
    try:
        call()
    except kinds as err:
        assert str(err), f"{_name(det)}: {label} raised {type(err).__name__} without a message."
        return
    except Exception as err:  # noqa: BLE001 - report the wrong kind of error
        raise AssertionError(
            f"{_name(det)}: {label} raised {type(err).__name__} ({err}); expected "
            f"{' or '.join(k.__name__ for k in kinds)}.") from err
    raise AssertionError(f"{_name(det)}: {label} was accepted; it must raise "
                         f"{' or '.join(k.__name__ for k in kinds)}.")


def _bad_input_cases(det: BaseDetector, d: BaseDetector) -> list[tuple[str, Any, tuple[type, ...]]]:
    v, t = ValueError, TypeError
    if det.signal_kind == "multivariate":
        width = null_stream("multivariate", 1, seed=0).shape[1]
        row = [0.0] * width
        return [
            ("update(nan)", lambda: d.update(float("nan")), (v,)),
            ("update(1.0) (a scalar, not a row)", lambda: d.update(1.0), (v,)),
            ("update(row with nan)", lambda: d.update([float("nan")] + row[1:]), (v,)),
            ("update(row with inf)", lambda: d.update([float("inf")] + row[1:]), (v,)),
            ("update('a')", lambda: d.update("a"), (t,)),
            ("update(None)", lambda: d.update(None), (t,)),
            ("update(3-D array)", lambda: d.update(np.zeros((3, 2, width))), (v,)),
            ("update([])", lambda: d.update([]), (v,)),
            ("run(rows with nan)", lambda: d.run([row, [float("nan")] + row[1:]]), (v,)),
            ("run('abc')", lambda: d.run("abc"), (t,)),
            ("run([['a', 'b']])", lambda: d.run([["a", "b"]]), (t,)),
            ("run(1-D array)", lambda: d.run(np.zeros(5)), (v,)),
            ("run([])", lambda: d.run([]), (v,)),
            ("fit(rows with nan)", lambda: d.fit([row, [float("nan")] + row[1:]] * 50), (v,)),
            ("fit(1-D array)", lambda: d.fit(np.zeros(100)), (v,)),
            ("fit('abc')", lambda: d.fit("abc"), (t,)),
            ("run(rows of another width) after fit",
             lambda: d.fit(_fit_reference(det)).run(np.zeros((10, width + 1))), (v,)),
            ("update(row of another width) after fit",
             lambda: d.fit(_fit_reference(det)).update(np.zeros(width + 1)), (v,)),
        ]
    cases = [
        ("update(nan)", lambda: d.update(float("nan")), (v,)),
        ("update(inf)", lambda: d.update(float("inf")), (v,)),
        ("update('a')", lambda: d.update("a"), (t,)),
        ("update(None)", lambda: d.update(None), (t,)),
        ("update(2-D array)", lambda: d.update(np.zeros((3, 2))), (v,)),
        ("update([])", lambda: d.update([]), (v,)),
        ("run([0, nan])", lambda: d.run([0.0, float("nan")]), (v,)),
        ("run('abc')", lambda: d.run("abc"), (t,)),
        ("run(['a', 'b'])", lambda: d.run(["a", "b"]), (t,)),
        ("run(2-D array)", lambda: d.run(np.zeros((3, 2))), (v,)),
        ("run([])", lambda: d.run([]), (v,)),
        ("fit([0, nan])", lambda: d.fit([0.0, float("nan")] * 50), (v,)),
        ("fit(2-D array)", lambda: d.fit(np.zeros((100, 2))), (v,)),
        ("fit('abc')", lambda: d.fit("abc"), (t,)),
    ]
    if det.signal_kind == "binary":
        cases += [("update(0.5)", lambda: d.update(0.5), (v,)),
                  ("run([0, 2])", lambda: d.run([0.0, 2.0]), (v,))]
    return cases


def check_bad_input(det: BaseDetector) -> None:
    """NaN, infinities, strings, wrongly shaped and empty signals are rejected with clear errors.

    One-dimensional detectors reject 2-D arrays; multivariate ones reject scalars, 1-D
    signals for ``run`` and ``fit``, 3-D arrays, and rows whose width differs from the
    reference's.
    """
    d = _fresh(det)
    for label, call, kinds in _bad_input_cases(det, d):
        if "after fit" not in label:
            _expect_error(det, call, label, kinds)
    x = drifting_stream(det.signal_kind, 2000, seed=15)
    _alarms_equal(d.reset().run(x), _fresh(det).run(x), "alarms after rejected inputs and of a new detector", det)
    fitted = _fresh(det)
    for label, call, kinds in _bad_input_cases(det, fitted):
        if "after fit" in label:
            _expect_error(det, call, label, kinds)


def check_bounded_state(det: BaseDetector) -> None:
    """Memory does not grow with the stream length.

    40,000 null values (10,000 rows for multivariate detectors) are run in 20 pieces; the
    largest state seen after the pieces of the second half must not exceed the largest seen
    in the first half (comparing maxima lets a detector alternate between phases, e.g.
    collecting a reference and testing).
    """
    d = _fresh(det)
    piece = 500 if det.signal_kind == "multivariate" else 2000
    x = null_stream(det.signal_kind, 20 * piece, seed=16)
    sizes = []
    for start in range(0, x.shape[0], piece):
        d.run(x[start: start + piece])
        sizes.append(state_size(d))
    half = len(sizes) // 2
    assert max(sizes[half:]) <= max(sizes[:half]), (
        f"{_name(det)}: state grew with the stream length (at most {max(sizes[:half])} over the "
        f"first half of {x.shape[0]:,} values, {max(sizes[half:])} over the second); keep "
        "buffers of a fixed size.")


def check_threshold_copy_keeps_fit(det: BaseDetector) -> None:
    """A copy with its threshold set anew (as tuning makes) keeps what ``fit`` learnt.

    Tuning builds each candidate with ``clone`` and carries the fitted state over through
    ``_export_state``/``_import_state``; a detector whose fit is lost there would be
    calibrated on a reference collected from the null stream instead of the one it was given.
    """
    param = det.threshold_param
    if param is None:
        raise SkipCheck(f"{type(det).__name__} has no threshold parameter to tune")
    from mlmon.tuning._simulate import with_param

    ref = _fit_reference(det, seed=25)
    copy = with_param(_fresh(det).fit(ref), param, getattr(det, param))
    x = drifting_stream(det.signal_kind, 1500, seed=26)
    _alarms_equal(copy.run(x), _fresh(det).fit(ref).run(x),
                  "alarms of a fitted detector and of tuning's copy of it", det)
