"""Export a fitted :class:`mlmon.monitor.Monitor` for :func:`mlmon.runtime.load_monitor`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from mlmon.export._export import _atomic_write, _fsync_dir, _npy_bytes, _provenance

__all__ = ["export_monitor"]


def export_monitor(monitor: Any, directory: str | os.PathLike[str], *,
                   name: str = "monitor") -> Path:
    """Write a fitted portable monitor as ``<name>.json`` plus one ``.npy`` file per column.

    Only a monitor built with ``pvalues="portable"`` can be exported: its statistics,
    p-values, correction and decisions are the numpy-only functions of
    :mod:`mlmon.runtime._monitor`, so production decides exactly as research did. Numeric
    columns ship their sorted reference values, categorical ones their categories and counts.

    Parameters
    ----------
    monitor
        A fitted :class:`mlmon.monitor.Monitor` with ``pvalues="portable"``.
    directory
        Where to write (created when missing).
    name
        File stem of the config and its artefacts.

    Returns
    -------
    Path
        The config's path, for :func:`mlmon.runtime.load_monitor`.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from mlmon.monitor import Monitor
    >>> ref = pd.DataFrame({"x": np.random.default_rng(0).normal(size=100)})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export_monitor(Monitor(pvalues="portable").fit(ref), tmp, name="daily")
    ...     files = sorted(p.name for p in path.parent.iterdir())
    >>> files
    ['daily.0.npy', 'daily.json']
    """
    from mlmon.monitor import Monitor
    from mlmon.runtime._monitor import dumps, monitor_document

    if not isinstance(monitor, Monitor):
        raise TypeError(f"export_monitor takes a mlmon.monitor.Monitor, got {type(monitor).__name__}; "
                        "export single detectors with mlmon.export.export.")
    if monitor.pvalues != "portable":
        raise ValueError(
            "export_monitor: this monitor computes p-values with scipy (pvalues='scipy'), which "
            "production does not have; build it with Monitor(..., pvalues='portable') (KS and "
            "chi-square with numpy-only p-values) and fit it again.")
    state = getattr(monitor, "state_", None)
    if state is None:
        raise ValueError("export_monitor: fit the monitor on its reference data first.")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"name must be a plain file stem such as 'monitor', got {name!r}.")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    refs: dict[str, dict[str, Any]] = {}
    for i, col in enumerate(state):
        arr = col.reference if col.kind == "numeric" else col.counts
        data = _npy_bytes(np.asarray(arr), f"column {col.name!r}")
        file = f"{name}.{i}.npy"
        _atomic_write(out / file, data)
        refs[col.name] = {"artefact": file, "sha256": hashlib.sha256(data).hexdigest(),
                          "dtype": np.asarray(arr).dtype.str, "shape": list(np.shape(arr))}
    provenance = _provenance(None)
    provenance["n_reference"] = int(monitor.reference_.shape[0])
    doc = monitor_document(state, level=monitor.level, correction=monitor.correction,
                           artefacts=refs, provenance=provenance)
    path = out / f"{name}.json"
    _atomic_write(path, dumps(doc).encode("utf-8"))
    _fsync_dir(out)
    return path
