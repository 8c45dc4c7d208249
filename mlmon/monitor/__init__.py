"""Monitoring many features at once: a :class:`Monitor` over a DataFrame with error control
across features and over a schedule of looks, and one-line label and prediction drift checks.

Examples
--------
>>> from mlmon.monitor import Monitor, Schedule
>>> Monitor(schedule=Schedule(looks=365, false_alarms=1)).level < 0.003
True
"""

from mlmon.monitor._monitor import (
    FeatureDrift,
    Monitor,
    MonitorReport,
    Schedule,
    column_kind,
    label_drift,
    multivariate_tests,
    prediction_drift,
)

__all__ = ["FeatureDrift", "Monitor", "MonitorReport", "Schedule", "column_kind", "label_drift",
           "multivariate_tests", "prediction_drift"]
