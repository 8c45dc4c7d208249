"""The outcome of a benchmark grid: raw records, and the tables derived from them."""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from mlmon.benchmark import metrics as M
from mlmon.benchmark._records import RunRecord, Skipped

__all__ = ["BenchmarkResult"]

_FORMAT = "mlmon.benchmark/1"

_RUN_COLUMNS = [
    "detector", "detector_class", "scenario", "scenario_class", "replicate", "n_samples",
    "n_drifts", "n_alarms", "n_detected", "n_missed", "detection_rate", "missed_detection_rate",
    "mean_delay", "median_delay", "false_alarms", "redundant_alarms", "false_alarm_exposure",
    "false_alarms_per_10k", "first_alarm", "run_length", "censored", "wall_time", "seed",
]

_SUMMARY_COLUMNS = [
    "detector", "scenario", "n_runs", "n_drifts", "detection_rate", "missed_detection_rate",
    "mean_delay", "median_delay", "false_alarms_per_10k", "arl", "arl_ci_low", "arl_ci_high",
    "arl_n_runs", "arl_n_alarms", "mean_wall_time",
]


def _run_row(r: RunRecord, tolerance: int | None) -> dict[str, Any]:
    delays = M.detection_delays(alarms=r.alarms, drifts=r.drifts, tolerance=tolerance)
    detected = delays[~np.isnan(delays)]
    length, censored = M.run_length(alarms=r.alarms, n_samples=r.n_samples)
    return {
        "detector": r.detector,
        "detector_class": r.detector_class,
        "scenario": r.scenario,
        "scenario_class": r.scenario_class,
        "replicate": r.replicate,
        "n_samples": r.n_samples,
        "n_drifts": len(r.drifts),
        "n_alarms": len(r.alarms),
        "n_detected": int(detected.size),
        "n_missed": int(delays.size - detected.size),
        "detection_rate": M.detection_rate(alarms=r.alarms, drifts=r.drifts, tolerance=tolerance),
        "missed_detection_rate": M.missed_detection_rate(alarms=r.alarms, drifts=r.drifts,
                                                         tolerance=tolerance),
        "mean_delay": float(detected.mean()) if detected.size else math.nan,
        "median_delay": float(np.median(detected)) if detected.size else math.nan,
        "false_alarms": M.false_alarms(alarms=r.alarms, drifts=r.drifts, tolerance=tolerance),
        "redundant_alarms": M.redundant_alarms(alarms=r.alarms, drifts=r.drifts, tolerance=tolerance),
        "false_alarm_exposure": M.false_alarm_exposure(drifts=r.drifts, n_samples=r.n_samples,
                                                       tolerance=tolerance),
        "false_alarms_per_10k": M.false_alarm_rate(alarms=r.alarms, drifts=r.drifts,
                                                   n_samples=r.n_samples, tolerance=tolerance),
        "first_alarm": M.first_alarm(alarms=r.alarms),
        "run_length": length,
        "censored": censored,
        "wall_time": r.wall_time,
        "seed": json.dumps(r.seed),
    }


@dataclass(frozen=True)
class BenchmarkResult:
    """Every run of a benchmark grid (raw :class:`RunRecord` facts) and what was skipped.

    Tables are derived on demand: :meth:`to_frame` (one row per run) and :meth:`summary`
    (one row per detector and scenario), with the definitions of
    :mod:`mlmon.benchmark.metrics`.

    Attributes
    ----------
    records
        One record per (detector, scenario, replicate) that ran.
    skipped
        The (detector, scenario) pairs that did not run, with the reason.
    tolerance
        Detection tolerance, in samples, used by the derived tables (``None``: the default
        of :mod:`mlmon.benchmark.metrics`, per drift).

    Examples
    --------
    >>> from mlmon.benchmark import run
    >>> from mlmon.detectors import CUSUM
    >>> from mlmon.scenarios import MeanShift
    >>> res = run({"cusum": CUSUM(threshold=8.0, mean=0.0, std=1.0)},
    ...           {"shift": MeanShift(n_samples=2000, position=1000, shift=2.0)},
    ...           seeds=3, progress=False)
    >>> len(res.records), res.summary()["detection_rate"].tolist()
    (3, [1.0])
    """

    records: tuple[RunRecord, ...]
    skipped: tuple[Skipped, ...] = ()
    tolerance: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "records", tuple(self.records))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        M._check_tolerance(self.tolerance)

    def __len__(self) -> int:
        return len(self.records)

    @classmethod
    def concat(cls, results: Iterable[BenchmarkResult]) -> BenchmarkResult:
        """One result holding the records and skipped pairs of several, in order.

        All must share the same ``tolerance``.

        Examples
        --------
        >>> BenchmarkResult.concat([BenchmarkResult(records=()), BenchmarkResult(records=())]).records
        ()
        """
        parts = list(results)
        tolerances = {p.tolerance for p in parts}
        if len(tolerances) > 1:
            raise ValueError(
                f"cannot concat results computed with different tolerances {sorted(tolerances, key=str)}; "
                "rerun them with the same tolerance."
            )
        return cls(
            records=tuple(r for p in parts for r in p.records),
            skipped=tuple(s for p in parts for s in p.skipped),
            tolerance=tolerances.pop() if tolerances else None,
        )

    def select(self, *, detectors: Iterable[str] | None = None,
               scenarios: Iterable[str] | None = None) -> BenchmarkResult:
        """The records (and skipped pairs) of some detectors and scenarios, by name.

        None keeps all. A name the result does not hold is an error, so a typo never
        filters silently to nothing.

        Examples
        --------
        >>> from mlmon.benchmark import run
        >>> from mlmon.detectors import CUSUM, PageHinkley
        >>> from mlmon.scenarios import MeanShift
        >>> res = run({"cusum": CUSUM(mean=0.0, std=1.0), "ph": PageHinkley()},
        ...           {"shift": MeanShift(n_samples=1000, position=500)}, seeds=2, progress=False)
        >>> sorted({r.detector for r in res.select(detectors=["ph"]).records})
        ['ph']
        """
        def names(given: Iterable[str] | None, held: set[str], what: str) -> set[str] | None:
            if given is None:
                return None
            if isinstance(given, str):
                given = [given]
            wanted = set(given)
            unknown = sorted(wanted - held)
            if unknown:
                raise ValueError(f"select: no {what} named {unknown} in this result; it holds {sorted(held)}.")
            return wanted

        dets = names(detectors, {r.detector for r in self.records} | {s.detector for s in self.skipped}, "detector")
        scens = names(scenarios, {r.scenario for r in self.records} | {s.scenario for s in self.skipped}, "scenario")

        def keep(det: str, scen: str) -> bool:
            return (dets is None or det in dets) and (scens is None or scen in scens)

        return BenchmarkResult(records=tuple(r for r in self.records if keep(r.detector, r.scenario)),
                               skipped=tuple(s for s in self.skipped if keep(s.detector, s.scenario)),
                               tolerance=self.tolerance)

    # -- tables ---------------------------------------------------------------------------
    def to_frame(self, *, tolerance: int | None | str = "result"):
        """One row per run: the record's identity and every per-run metric.

        Parameters
        ----------
        tolerance
            Detection tolerance in samples; by default the result's own.

        Returns
        -------
        pandas.DataFrame
            Columns: detector, detector_class, scenario, scenario_class, replicate,
            n_samples, n_drifts, n_alarms, n_detected, n_missed, detection_rate,
            missed_detection_rate, mean_delay, median_delay, false_alarms, redundant_alarms,
            false_alarm_exposure, false_alarms_per_10k, first_alarm, run_length, censored,
            wall_time, seed (JSON text).

        Examples
        --------
        >>> BenchmarkResult(records=()).to_frame().shape
        (0, 23)
        """
        import pandas as pd

        tol = self.tolerance if tolerance == "result" else M._check_tolerance(tolerance)
        rows = [_run_row(r, tol) for r in self.records]
        return pd.DataFrame(rows, columns=_RUN_COLUMNS)

    def summary(self, *, confidence: float = 0.95, tolerance: int | None | str = "result"):
        """One row per (detector, scenario), pooled over replicates.

        Columns: ``n_runs``; ``n_drifts`` (true drifts in all runs); ``detection_rate`` and
        ``missed_detection_rate`` (over all drifts); ``mean_delay`` and ``median_delay``
        (over detected drifts); ``false_alarms_per_10k`` (all false alarms over all exposure);
        on stationary runs only, ``arl`` with ``arl_ci_low``/``arl_ci_high`` (the censored
        estimate of :func:`~mlmon.benchmark.metrics.average_run_length`: runs without any
        alarm count as censored, not dropped), ``arl_n_runs`` and ``arl_n_alarms`` (runs that
        ended in a false alarm); and ``mean_wall_time`` in seconds. Undefined values are NaN.

        Examples
        --------
        >>> list(BenchmarkResult(records=()).summary().columns)[:4]
        ['detector', 'scenario', 'n_runs', 'n_drifts']
        """
        import pandas as pd

        M._check_confidence(confidence)
        tol = self.tolerance if tolerance == "result" else M._check_tolerance(tolerance)
        groups: dict[tuple[str, str], list[RunRecord]] = {}
        for r in self.records:
            groups.setdefault((r.detector, r.scenario), []).append(r)
        rows = []
        for (det, scen), recs in groups.items():
            delays = [d for r in recs for d in M.detection_delays(alarms=r.alarms, drifts=r.drifts,
                                                                   tolerance=tol)]
            delays_arr = np.asarray(delays, dtype=np.float64)
            detected = delays_arr[~np.isnan(delays_arr)]
            n_false = sum(M.false_alarms(alarms=r.alarms, drifts=r.drifts, tolerance=tol) for r in recs)
            exposure = sum(M.false_alarm_exposure(drifts=r.drifts, n_samples=r.n_samples, tolerance=tol)
                           for r in recs)
            null_runs = [M.run_length(alarms=r.alarms, n_samples=r.n_samples) for r in recs if not r.drifts]
            arl = M.average_run_length(lengths=[x[0] for x in null_runs], censored=[x[1] for x in null_runs],
                                       confidence=confidence)
            rate = detected.size / delays_arr.size if delays_arr.size else math.nan
            rows.append({
                "detector": det,
                "scenario": scen,
                "n_runs": len(recs),
                "n_drifts": int(delays_arr.size),
                "detection_rate": rate,
                "missed_detection_rate": 1.0 - rate if rate == rate else math.nan,
                "mean_delay": float(detected.mean()) if detected.size else math.nan,
                "median_delay": float(np.median(detected)) if detected.size else math.nan,
                "false_alarms_per_10k": n_false * 10_000 / exposure if exposure > 0 else math.nan,
                "arl": arl.estimate,
                "arl_ci_low": arl.ci_low,
                "arl_ci_high": arl.ci_high,
                "arl_n_runs": arl.n_runs,
                "arl_n_alarms": arl.n_events,
                "mean_wall_time": float(np.nanmean([r.wall_time for r in recs]))
                if any(r.wall_time == r.wall_time for r in recs) else math.nan,
            })
        return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)

    def _repr_html_(self) -> str:
        head = (f"<p><b>BenchmarkResult</b>: {len(self.records)} runs, "
                f"{len(self.skipped)} skipped pair(s), tolerance={html.escape(repr(self.tolerance))}</p>")
        body = self.summary().to_html(index=False, float_format=lambda v: f"{v:.4g}") if self.records else ""
        if self.skipped:
            rows = "".join(f"<li>{html.escape(s.detector)} on {html.escape(s.scenario)}: "
                           f"{html.escape(s.reason)}</li>" for s in self.skipped)
            body += f"<p>Skipped:</p><ul>{rows}</ul>"
        return head + body

    def __repr__(self) -> str:
        dets = sorted({r.detector for r in self.records})
        scens = sorted({r.scenario for r in self.records})
        return (f"BenchmarkResult({len(self.records)} runs: detectors={dets}, scenarios={scens}, "
                f"skipped={len(self.skipped)}, tolerance={self.tolerance!r})")

    # -- storage --------------------------------------------------------------------------
    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write the records to a folder: ``records.parquet``, ``skipped.parquet``, ``meta.json``.

        Each file is written under a temporary name and renamed when complete; ``meta.json``,
        written last, holds the sha256 of the two others, so :meth:`from_parquet` never takes
        an interrupted write for a complete one.

        Examples
        --------
        >>> import tempfile
        >>> res = BenchmarkResult(records=(), tolerance=500)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     BenchmarkResult.from_parquet(res.to_parquet(tmp)).tolerance
        500
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        rows = [r.to_row() for r in self.records]
        schema = pa.schema([
            ("detector", pa.string()), ("detector_class", pa.string()), ("detector_params", pa.string()),
            ("scenario", pa.string()), ("scenario_class", pa.string()), ("scenario_params", pa.string()),
            ("replicate", pa.int64()), ("seed", pa.string()), ("n_samples", pa.int64()),
            ("alarms", pa.list_(pa.int64())), ("warnings", pa.list_(pa.int64())),
            ("drifts", pa.string()), ("detector_state", pa.string()), ("wall_time", pa.float64()),
        ])
        records = pa.Table.from_pylist(rows, schema=schema)
        skipped = pa.Table.from_pylist(
            [{"detector": s.detector, "scenario": s.scenario, "reason": s.reason} for s in self.skipped],
            schema=pa.schema([("detector", pa.string()), ("scenario", pa.string()), ("reason", pa.string())]),
        )
        digests = {}
        for name, table in (("records.parquet", records), ("skipped.parquet", skipped)):
            tmp = out / f".{name}.tmp-{os.getpid()}"
            try:
                pq.write_table(table, tmp)
                digests[name] = _sha256(tmp)
                os.replace(tmp, out / name)
            finally:
                if tmp.exists():
                    tmp.unlink()
        meta = {"format": _FORMAT, "tolerance": self.tolerance, "n_records": len(self.records),
                "sha256": digests}
        tmp = out / f".meta.json.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, out / "meta.json")
        return out

    @classmethod
    def from_parquet(cls, path: str | os.PathLike[str]) -> BenchmarkResult:
        """Read a folder written by :meth:`to_parquet` (checking it is complete and intact)."""
        import pyarrow.parquet as pq

        src = Path(path)
        meta_path = src / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"{meta_path} not found: {src} is not a complete BenchmarkResult folder (written by "
                "BenchmarkResult.to_parquet); the write may have been interrupted."
            )
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{src}: unsupported format {meta.get('format')!r}; expected {_FORMAT!r}.")
        for name, digest in meta["sha256"].items():
            if not (src / name).is_file() or _sha256(src / name) != digest:
                raise ValueError(
                    f"{src / name} is missing or does not match meta.json's sha256: the folder was "
                    "modified or a write was interrupted; rerun the benchmark or restore the folder."
                )
        records = tuple(RunRecord.from_row(row) for row in pq.read_table(src / "records.parquet").to_pylist())
        skipped = tuple(Skipped(**row) for row in pq.read_table(src / "skipped.parquet").to_pylist())
        return cls(records=records, skipped=skipped, tolerance=meta["tolerance"])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
