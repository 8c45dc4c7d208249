"""Export a canary rule as a config that :func:`mlmon.runtime.load_rollout` runs with numpy alone."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
import numpy as np

from mlmon.ab._canary import CanaryRule
from mlmon.ab._group_sequential import GroupSequentialDesign

__all__ = ["export_rollout"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def export_rollout(rule: CanaryRule | GroupSequentialDesign, directory: str | os.PathLike[str], *,
                   name: str | None = None) -> Path:
    """Write ``rule`` as ``<directory>/<name>.json`` for :func:`mlmon.runtime.load_rollout` (numpy alone).

    A :class:`~mlmon.ab.CanaryRule` is written with its metrics, roles, margins, levels and
    segments; fed the same traffic, the loaded rule decides exactly as ``rule`` does, look for
    look (both run the same streaming tests and decision function). A
    :class:`~mlmon.ab.GroupSequentialDesign` is written with its planned information fractions
    and z boundaries; the loaded design takes the decisions ``design.monitor`` takes on the
    planned looks.

    Parameters
    ----------
    rule
        The :class:`~mlmon.ab.CanaryRule` (its data, if any, is not exported).
    directory
        Where to write; created if missing.
    name
        File stem (default ``"rollout"``).

    Examples
    --------
    >>> import json, tempfile
    >>> from mlmon.ab import CanaryRule, Metric
    >>> rule = CanaryRule([Metric("conversion", kind="proportion", better="higher", role="primary", tau=0.02)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     doc = json.loads(export_rollout(rule, tmp, name="checkout").read_text())
    >>> doc["kind"], doc["metrics"][0]["role"], doc["alpha"]
    ('RolloutRule', 'primary', 0.05)
    """
    import mlmon
    from mlmon.runtime._rollout import GROUP_SEQUENTIAL_KIND, ROLLOUT_KIND, ROLLOUT_SCHEMA_VERSION

    if not isinstance(rule, (CanaryRule, GroupSequentialDesign)):
        raise TypeError(f"export_rollout: rule must be an mlmon.ab.CanaryRule or GroupSequentialDesign, got "
                        f"{type(rule).__name__}.")
    name = "rollout" if name is None else str(name)
    if name.endswith(".json"):
        name = name[: -len(".json")]
    if not _NAME.match(name):
        raise ValueError(f"export_rollout: name {name!r} must be letters, digits, '_', '-' or '.', starting with a "
                         "letter or digit.")
    provenance = {"mlmon": mlmon.__version__, "numpy": np.__version__,
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if isinstance(rule, GroupSequentialDesign):
        doc = {"schema_version": ROLLOUT_SCHEMA_VERSION, "kind": GROUP_SEQUENTIAL_KIND,
               "information_fractions": [float(v) for v in rule.information_fractions],
               "boundaries": [float(v) for v in rule.boundaries], "alternative": rule.alternative,
               "alpha": float(rule.alpha), "spending": str(rule.spending), "provenance": provenance}
        return _write(doc, directory, name)
    segments = rule.segments
    if segments is not None:
        bad = [s for s in segments if isinstance(s, bool) or not isinstance(s, (str, int, np.integer))]
        if bad:
            raise TypeError(f"export_rollout: segment labels must be strings or integers to be written, got {bad}.")
        segments = [s if isinstance(s, str) else int(s) for s in segments]
    doc = {
        "schema_version": ROLLOUT_SCHEMA_VERSION,
        "kind": ROLLOUT_KIND,
        "metrics": rule.spec(),
        "alpha": rule.alpha,
        "guardrail_alpha": rule.guardrail_alpha,
        "segments": segments,
        "min_samples": rule.min_samples,
        "provenance": provenance,
    }
    return _write(doc, directory, name)


def _write(doc: dict, directory: str | os.PathLike[str], name: str) -> Path:
    from mlmon.runtime._rollout import check_rollout_document, dumps

    check_rollout_document(doc, source=f"export of {name}")  # never write what the runtime would refuse
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
    return path

