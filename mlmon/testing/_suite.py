"""The list of conformance checks, the test instances of a class, and :func:`check_detector`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mlmon.base import BaseDetector
from mlmon.testing import _checks, _statistical
from mlmon.testing._checks import SkipCheck


@dataclass(frozen=True, slots=True)
class Check:
    """One conformance check: a name and a function that raises AssertionError on failure.

    Examples
    --------
    >>> from mlmon.testing import CHECKS
    >>> CHECKS[0].name
    'api_shape'
    """

    name: str
    function: Callable[[BaseDetector], None]
    statistical: bool = False

    def __call__(self, detector: BaseDetector) -> None:
        self.function(detector)

    @property
    def description(self) -> str:
        """First line of the check's docstring."""
        return (self.function.__doc__ or "").strip().splitlines()[0]


#: Every conformance check, in the order :func:`check_detector` runs them.
CHECKS: tuple[Check, ...] = (
    Check("api_shape", _checks.check_api_shape),
    Check("attributes", _checks.check_attributes),
    Check("invalid_params", _checks.check_invalid_params),
    Check("params_unchanged", _checks.check_params_unchanged),
    Check("clone_equals_fresh", _checks.check_clone_equals_fresh),
    Check("reset_equals_fresh", _checks.check_reset_equals_fresh),
    Check("run_equals_update", _checks.check_run_equals_update),
    Check("determinism", _checks.check_determinism),
    Check("trace", _checks.check_trace),
    Check("result_contract", _checks.check_result_contract),
    Check("bad_input", _checks.check_bad_input),
    Check("bounded_state", _checks.check_bounded_state),
    Check("threshold_copy_keeps_fit", _checks.check_threshold_copy_keeps_fit),
    Check("pvalues_valid_under_null", _statistical.check_pvalues_valid_under_null, statistical=True),
    Check("detects_large_shift", _statistical.check_detects_large_shift, statistical=True),
    Check("config_roundtrip", _statistical.check_config_roundtrip),
)


def detector_instances(cls: type[BaseDetector]) -> list[BaseDetector]:
    """The instances the conformance suite checks for a detector class.

    A class may provide them with a ``_test_instances()`` classmethod (e.g. an adapter that
    needs constructor arguments, or to cover non-default windowing); otherwise ``[cls()]``.

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> detector_instances(PageHinkley)
    [PageHinkley()]
    """
    provide = getattr(cls, "_test_instances", None)
    return list(provide()) if callable(provide) else [cls()]


def expected_outcomes(detector: BaseDetector) -> tuple[dict[str, str], dict[str, str]]:
    """``(skips, expected failures)`` the detector declares, each as ``{check: reason}``.

    Examples
    --------
    >>> from mlmon.detectors import River
    >>> skips, xfails = expected_outcomes(River("ADWIN"))
    >>> sorted(skips), xfails
    (['bounded_state'], {})
    """
    skips = getattr(detector, "_skip_checks", lambda: {})()
    xfails = getattr(detector, "_xfail_checks", lambda: {})()
    return dict(skips), dict(xfails)


def slow_checks(detector: BaseDetector) -> set[str]:
    """Checks the detector declares as slow (over about 5 s), marked ``slow`` by the test suite.

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> slow_checks(PageHinkley())
    set()
    """
    return set(getattr(detector, "_slow_checks", lambda: set())())


@dataclass(frozen=True, slots=True)
class ConformanceReport:
    """What :func:`check_detector` found: checks passed, skipped and failing as expected.

    Examples
    --------
    >>> r = ConformanceReport(detector="KS()", passed=("api_shape",), skipped=(), xfailed=())
    >>> r.to_frame().shape
    (1, 3)
    """

    detector: str
    passed: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    xfailed: tuple[tuple[str, str], ...]

    def to_frame(self) -> Any:
        """One row per check: ``check``, ``outcome`` and ``reason``."""
        import pandas as pd

        rows = [(c, "passed", "") for c in self.passed]
        rows += [(c, "skipped", r) for c, r in self.skipped]
        rows += [(c, "xfailed", r) for c, r in self.xfailed]
        return pd.DataFrame(rows, columns=["check", "outcome", "reason"])


def check_detector(detector: BaseDetector, *, checks: tuple[str, ...] | None = None) -> ConformanceReport:
    """Run the conformance checks on one detector; raise AssertionError on the first failure.

    The detector itself is left untouched (checks work on clones). Checks the detector
    declares as skipped (``_skip_checks()``) are not run; those it declares as expected
    failures (``_xfail_checks()``) are run and recorded as such when they fail.

    Parameters
    ----------
    detector
        A detector instance, as configured for use.
    checks
        Names of the checks to run (default: all of :data:`CHECKS`).

    Examples
    --------
    >>> from mlmon.detectors import PageHinkley
    >>> from mlmon.testing import check_detector
    >>> report = check_detector(PageHinkley(), checks=("api_shape", "run_equals_update"))
    >>> report.passed
    ('api_shape', 'run_equals_update')
    """
    known = {c.name: c for c in CHECKS}
    if checks is not None:
        unknown = sorted(set(checks) - set(known))
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; available: {list(known)}.")
    selected = [c for c in CHECKS if checks is None or c.name in checks]
    skips, xfails = expected_outcomes(detector)
    passed: list[str] = []
    skipped: list[tuple[str, str]] = []
    xfailed: list[tuple[str, str]] = []
    for check in selected:
        if check.name in skips:
            skipped.append((check.name, skips[check.name]))
            continue
        try:
            check(detector)
        except SkipCheck as why:
            skipped.append((check.name, str(why)))
            continue
        except AssertionError as err:
            if check.name in xfails:
                xfailed.append((check.name, xfails[check.name]))
                continue
            raise AssertionError(f"[{check.name}] {err}") from err
        passed.append(check.name)
    return ConformanceReport(detector=repr(detector), passed=tuple(passed),
                             skipped=tuple(skipped), xfailed=tuple(xfailed))
