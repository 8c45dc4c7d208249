"""Every conformance check on every registered detector, each as its own test.

Detectors are discovered from ``mlmon.detectors.REGISTRY`` (never listed here); a class can
provide the instances to check through ``_test_instances()`` and declare skipped, expected
to fail, or slow checks through ``_skip_checks()``, ``_xfail_checks()`` and ``_slow_checks()``.
"""

from __future__ import annotations

import pytest

from mlmon.detectors import REGISTRY
from mlmon.testing import (
    CHECKS,
    SkipCheck,
    check_detector,
    detector_instances,
    expected_outcomes,
    slow_checks,
)

CASES = [
    pytest.param(det, check, id=f"{name}[{i}]-{check.name}",
                 marks=[pytest.mark.slow] if check.name in slow_checks(det) else [])
    for name, cls in sorted(REGISTRY.items())
    for i, det in enumerate(detector_instances(cls))
    for check in CHECKS
]


@pytest.mark.parametrize(("detector", "check"), CASES)
def test_conformance(detector, check, request):
    skips, xfails = expected_outcomes(detector)
    if check.name in skips:
        pytest.skip(skips[check.name])
    if check.name in xfails:
        request.applymarker(pytest.mark.xfail(reason=xfails[check.name], strict=True,
                                              raises=AssertionError))
    try:
        check(detector)
    except SkipCheck as why:
        pytest.skip(str(why))


def test_every_registered_class_is_checked():
    checked = {type(param.values[0]).__name__ for param in CASES}
    assert checked == set(REGISTRY)


def test_check_detector_reports_and_raises():
    from mlmon.detectors import KS, River

    report = check_detector(KS(), checks=("api_shape", "trace", "pvalues_valid_under_null"))
    assert report.passed == ("api_shape", "trace", "pvalues_valid_under_null")
    report = check_detector(River("ADWIN"), checks=("trace", "bounded_state"))
    assert report.passed == ()
    assert [name for name, _ in report.skipped] == ["trace", "bounded_state"]
    assert report.to_frame()["outcome"].tolist() == ["skipped", "skipped"]
    with pytest.raises(ValueError, match="unknown check"):
        check_detector(KS(), checks=("no_such_check",))


def test_check_detector_catches_a_broken_detector():
    from mlmon.detectors import PageHinkley

    class Forgetful(PageHinkley):
        """run() that drops its last alarm: differs from a loop of update()."""

        def run(self, signal):
            alarms = super().run(signal)
            return type(alarms)(alarms.indices[:-1], alarms.n_seen)

    with pytest.raises(AssertionError, match=r"\[run_equals_update\]"):
        check_detector(Forgetful(threshold=10.0), checks=("run_equals_update",))


def test_pvalue_check_catches_anticonservative_pvalues():
    from mlmon.detectors import KS

    class Halved(KS):
        """p-values halved: P(p <= alpha) is about 2 alpha under the null."""

        def _update_one(self, x):
            r = super()._update_one(x)
            if r.pvalue is None:
                return r
            return type(r)(r.drift, r.statistic, r.threshold, r.pvalue / 2, r.warning, r.n_seen)

        def trace(self, signal):
            return super().trace(signal) / 2

    with pytest.raises(AssertionError, match="null p-values are <="):
        check_detector(Halved(), checks=("pvalues_valid_under_null",))
