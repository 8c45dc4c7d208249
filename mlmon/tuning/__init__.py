"""Thresholds tuned to a false-alarm budget, and operating curves.

:func:`calibrate` sets a detector's threshold so that it meets a budget (an average run
length to the first false alarm, or a per-window false-positive rate) on a stationary null,
and reports the estimate with its confidence interval and the evidence behind it.
:func:`operating_curve` maps a detector's whole range of thresholds to false-alarm cost
against detection delay on a drift scenario. Both trace each simulated run once: before its
first alarm a detector's statistic does not depend on its threshold.

Examples
--------
>>> from mlmon import tuning
>>> from mlmon.detectors import CUSUM
>>> from mlmon.scenarios import Stationary
>>> cal = tuning.calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=500, n_runs=50)
>>> cal.budget, cal.n_runs
('arl', 50)
"""

from mlmon.tuning._calibrate import Calibration, calibrate, has_trace
from mlmon.tuning._curve import OperatingCurve, OperatingPoint, operating_curve

__all__ = ["Calibration", "OperatingCurve", "OperatingPoint", "calibrate", "has_trace", "operating_curve"]
