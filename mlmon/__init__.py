"""mlmon: simulate drift, benchmark detectors, tune thresholds, export for production.

Importing :mod:`mlmon` is cheap: sub-packages load on first attribute access, and no
optional dependency (torch, alibi-detect, jupyter, matplotlib) is imported.

Examples
--------
>>> import mlmon
>>> mlmon.__version__
'0.1.0'
>>> sorted(mlmon.__all__)[:3]
['Alarms', 'DriftResult', 'benchmark']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "benchmark",
    "detectors",
    "experiment",
    "export",
    "monitor",
    "runtime",
    "scenarios",
    "stats",
    "testing",
    "tuning",
    "viz",
)
_ATTRS = {"DriftResult": "mlmon.base", "Alarms": "mlmon.base"}

__all__ = [*_SUBMODULES, *_ATTRS]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"mlmon.{name}")
    if name in _ATTRS:
        return getattr(importlib.import_module(_ATTRS[name]), name)
    raise AttributeError(f"module 'mlmon' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
