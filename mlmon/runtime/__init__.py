"""numpy-only execution of exported detector configs.

:func:`load` reads a config written by :func:`mlmon.export.export` and returns a
:class:`RuntimeDetector` that raises exactly the alarms of the research detector it came
from. This package imports nothing but numpy and the standard library, so production needs
neither scipy, pandas, river nor numba.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from mlmon.detectors import CUSUM
>>> from mlmon import export, runtime
>>> x = np.random.default_rng(0).normal(0.0, 1.0, 400)
>>> det = CUSUM(threshold=6.0).fit(x[:200])
>>> with tempfile.TemporaryDirectory() as tmp:
...     prod = runtime.load(export.export(det, tmp))
>>> np.array_equal(prod.run(x), det.run(x).indices)
True
"""

from __future__ import annotations

import importlib
from typing import Any

_ATTRS = {
    "load": "mlmon.runtime._load",
    "load_monitor": "mlmon.runtime._monitor",
    "load_trigger": "mlmon.runtime._trigger",
    "load_rollout": "mlmon.runtime._rollout",
    "RuntimeRollout": "mlmon.runtime._rollout",
    "RolloutDecision": "mlmon.runtime._rollout",
    "RuntimeGroupSequential": "mlmon.runtime._rollout",
    "RuntimeTrigger": "mlmon.runtime._trigger",
    "TriggerDecision": "mlmon.runtime._trigger",
    "TriggerRun": "mlmon.runtime._trigger",
    "RuntimeMonitor": "mlmon.runtime._monitor",
    "read_config": "mlmon.runtime._load",
    "ConfigError": "mlmon.runtime._load",
    "DetectorConfig": "mlmon.runtime._load",
    "SCHEMA_VERSION": "mlmon.runtime._load",
    "RuntimeDetector": "mlmon.runtime._engines",
    "RuntimeResult": "mlmon.runtime._engines",
}

__all__ = sorted(_ATTRS)


def __getattr__(name: str) -> Any:
    # Loaded on first use: research detectors import mlmon.runtime._kernels, which runs this
    # file, and should not pay for the config loader.
    if name in _ATTRS:
        return getattr(importlib.import_module(_ATTRS[name]), name)
    raise AttributeError(f"module 'mlmon.runtime' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
