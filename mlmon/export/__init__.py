"""Export detectors as configs that :mod:`mlmon.runtime` runs in production with numpy alone.

A config is ``<name>.json``, validated by the JSON Schema shipped beside this module
(``detector_config.schema.json``, generated from the detectors' constructor signatures by
:mod:`mlmon.export.schema`), plus one ``.npy`` file per fitted array, referenced by relative
path and SHA-256. It records ``schema_version``, ``kind``, ``params``, ``state``,
``calibration`` and ``provenance`` (versions, creation time, reference fingerprint).

Examples
--------
>>> import tempfile
>>> from mlmon.detectors import DDM
>>> from mlmon import export
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = export.export(DDM(threshold=3.5), tmp, name="errors")
...     cfg = export.read_config(path)
>>> path.name, cfg.kind, cfg.params["threshold"]
('errors.json', 'DDM', 3.5)
"""

from __future__ import annotations

import importlib
from typing import Any

from mlmon.export._export import export, fingerprint, load, why_not_exportable
from mlmon.export._monitor import export_monitor
from mlmon.runtime._load import SCHEMA_VERSION, ConfigError, DetectorConfig, read_config

__all__ = [
    "SCHEMA_VERSION",
    "ConfigError",
    "DetectorConfig",
    "export",
    "export_monitor",
    "fingerprint",
    "load",
    "read_config",
    "schema",
    "why_not_exportable",
]


def __getattr__(name: str) -> Any:
    # imported on first use, so that ``python -m mlmon.export.schema`` runs it only once
    if name == "schema":
        return importlib.import_module("mlmon.export.schema")
    raise AttributeError(f"module 'mlmon.export' has no attribute {name!r}")
