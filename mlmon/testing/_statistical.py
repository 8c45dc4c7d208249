"""Statistical conformance checks, and the config round-trip check.

Tolerances come from theory: counts of small p-values are compared with binomial quantiles
at a family-wise level of 0.001, with fixed seeds, so a check fails by chance with
probability below 0.001 and fails for sure on a detector whose p-values are too small.
"""

from __future__ import annotations

import importlib
import tempfile

import numpy as np

from mlmon.base import BaseDetector
from mlmon.testing._checks import SkipCheck, _alarms_equal, _fit_reference, _fresh, _name
from mlmon.testing._streams import drifting_stream, null_stream, same_value, shifted_stream

#: Independent null runs behind the p-value check.
N_NULL_RUNS = 300
#: Levels at which ``P(pvalue <= alpha) <= alpha`` is checked.
ALPHAS = (0.01, 0.05, 0.1, 0.25, 0.5)
#: Family-wise probability that the p-value check fails on a valid detector.
FAMILY_LEVEL = 0.001
#: Position of the large shift in the detection check, and the delay allowed after it.
CHANGE_AT, MAX_DELAY = 2000, 1000


_SHIFT_NAMES = {"binary": "0.1 -> 0.5 error-rate", "real": "3-sd mean",
                "multivariate": "3-sd first-feature"}


def _first_pvalue_by_update(det: BaseDetector, x: np.ndarray) -> tuple[int, float] | None:
    for i, v in enumerate(x.tolist()):
        r = det.update(v)
        if r.pvalue is not None:
            return i, r.pvalue
    return None


def check_pvalues_valid_under_null(det: BaseDetector) -> None:
    """p-values are valid under the null: ``P(p <= alpha) <= alpha`` (uniform if continuous).

    Each of ``N_NULL_RUNS`` independent null streams (standard normal values, 0/1 errors
    at rate 0.1, or rows of correlated standard normal features) gives the first p-value a
    new detector reports. For each ``alpha`` in ``ALPHAS`` the number of p-values
    ``<= alpha`` must not exceed the binomial ``1 - FAMILY_LEVEL / len(ALPHAS)`` quantile;
    when all p-values are distinct (continuous), a Kolmogorov-Smirnov test of uniformity
    must also pass at ``FAMILY_LEVEL``.
    """
    from scipy import stats

    kind = det.signal_kind
    probe_x = null_stream(kind, 3000, seed=20)
    first = _first_pvalue_by_update(_fresh(det), probe_x)
    if first is None:
        raise SkipCheck(f"{type(det).__name__} reported no p-value on 3,000 null values")
    length = first[0] + 1
    use_trace = det.threshold_direction == "below"
    if use_trace:
        try:
            tr = _fresh(det).trace(probe_x[:length])
        except NotImplementedError:
            use_trace = False
        else:
            assert same_value(float(tr[-1]), first[1]) and np.isnan(tr[:-1]).all(), (
                f"{_name(det)}: trace() does not give the p-value update() reports "
                f"({tr[-1]} vs {first[1]} at index {first[0]}).")
    pvalues = np.empty(N_NULL_RUNS)
    for k, seed in enumerate(np.random.SeedSequence(20_240_601).spawn(N_NULL_RUNS)):
        x = null_stream(kind, length, seed)
        if use_trace:
            pvalues[k] = _fresh(det).trace(x)[-1]
        else:
            got = _first_pvalue_by_update(_fresh(det), x)
            assert got is not None and got[0] == first[0], (
                f"{_name(det)}: the first p-value comes at a different position on another "
                "null stream; the check needs it at a fixed position.")
            pvalues[k] = got[1]
    per_level = FAMILY_LEVEL / len(ALPHAS)
    for alpha in ALPHAS:
        count = int(np.sum(pvalues <= alpha))
        bound = int(stats.binom.ppf(1.0 - per_level, N_NULL_RUNS, alpha))
        assert count <= bound, (
            f"{_name(det)}: {count} of {N_NULL_RUNS} null p-values are <= {alpha}; a valid "
            f"p-value gives at most {bound} (binomial bound at level {per_level:.1e}).")
    if np.unique(pvalues).size == N_NULL_RUNS:
        ks = stats.kstest(pvalues, "uniform")
        assert ks.pvalue >= FAMILY_LEVEL, (
            f"{_name(det)}: null p-values are not uniform (KS test p = {ks.pvalue:.2e}).")


def check_detects_large_shift(det: BaseDetector) -> None:
    """A large shift is detected within ``MAX_DELAY`` samples.

    The detector is fitted on 1,000 null values (300 rows for multivariate detectors), then
    runs on 2,000 null values followed by 2,000 shifted ones: a mean shift of 3 standard
    deviations, an error rate going from 0.1 to 0.5 for binary detectors, or for
    multivariate detectors a shift of 3 standard deviations of the first of three correlated
    features. Its first alarm at or after the change must come less than ``MAX_DELAY``
    (1,000) samples after it.
    """
    kind = det.signal_kind
    d = _fresh(det).fit(_fit_reference(det, seed=21))
    x = shifted_stream(kind, CHANGE_AT + 2000, seed=22, change=CHANGE_AT)
    alarms = d.run(x).indices
    after = alarms[alarms >= CHANGE_AT]
    assert after.size and after[0] - CHANGE_AT < MAX_DELAY, (
        f"{_name(det)}: a {_SHIFT_NAMES[kind]} shift at "
        f"index {CHANGE_AT} was {'detected only at ' + str(after[0]) if after.size else 'not detected'}"
        f"; expected within {MAX_DELAY} samples.")


def check_config_roundtrip(det: BaseDetector) -> None:
    """Export, load back: same class, parameters, fitted state and alarms (runtime included).

    Uses ``mlmon.export.dumps``/``loads`` when they exist, else ``export``/``load`` through a
    temporary directory (and ``mlmon.runtime.load`` on the same files); skipped, with the
    reason, when export is not available or the detector is not exportable.
    """
    try:
        export = importlib.import_module("mlmon.export")
    except ImportError as err:
        raise SkipCheck(f"mlmon.export cannot be imported ({err})") from None
    if not det.exportable:
        raise SkipCheck(f"{type(det).__name__} is not exportable (exportable = False)")
    why = getattr(export, "why_not_exportable", None)
    reason = why(det) if callable(why) else None
    if reason:
        raise SkipCheck(reason)
    ref = _fit_reference(det, seed=23)
    x = drifting_stream(det.signal_kind, 3000, seed=24)
    fitted = _fresh(det).fit(ref)
    rt = None
    if hasattr(export, "dumps") and hasattr(export, "loads"):
        back = export.loads(export.dumps(fitted))
    elif hasattr(export, "export") and hasattr(export, "load"):
        runtime = importlib.import_module("mlmon.runtime")
        with tempfile.TemporaryDirectory() as tmp:
            path = export.export(fitted, tmp)
            back = export.load(path)
            rt = runtime.load(path) if hasattr(runtime, "load") else None
    else:
        raise SkipCheck("mlmon.export offers neither dumps/loads nor export/load")
    assert type(back) is type(det), f"{_name(det)}: loaded back as {type(back).__name__}."
    assert same_value(back.get_params(), fitted.get_params()), (
        f"{_name(det)}: parameters changed in the round trip: {back.get_params()}.")
    assert same_value(back._export_state(), fitted._export_state()), (
        f"{_name(det)}: fitted state changed in the round trip.")
    expected = _fresh(det).fit(ref).run(x)
    _alarms_equal(back.run(x), expected, "alarms after the config round trip and before", det)
    if rt is not None:
        got = np.asarray(rt.run(x), dtype=np.int64)
        assert np.array_equal(got, expected.indices), (
            f"{_name(det)}: mlmon.runtime raised alarms {got[:8].tolist()}, the research detector "
            f"{expected.indices[:8].tolist()}.")
        try:
            want = _fresh(det).fit(ref).trace(x)
        except NotImplementedError:
            return
        assert np.array_equal(rt.reset().trace(x), want, equal_nan=True), (
            f"{_name(det)}: mlmon.runtime's trace differs from the research detector's.")
