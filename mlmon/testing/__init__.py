"""Conformance checks every mlmon detector passes; run them on your own with :func:`check_detector`.

Examples
--------
>>> from mlmon.detectors import CUSUM
>>> from mlmon.testing import check_detector
>>> report = check_detector(CUSUM(), checks=("api_shape", "determinism"))
>>> report.passed
('api_shape', 'determinism')
"""

from mlmon.testing._checks import SkipCheck
from mlmon.testing._suite import (
    CHECKS,
    Check,
    ConformanceReport,
    check_detector,
    detector_instances,
    expected_outcomes,
    slow_checks,
)

__all__ = ["CHECKS", "Check", "ConformanceReport", "SkipCheck", "check_detector",
           "detector_instances", "expected_outcomes", "slow_checks"]
