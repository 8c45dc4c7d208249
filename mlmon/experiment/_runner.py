"""Run an experiment spec: calibrate every detector to the same false-alarm budget, benchmark
them on every scenario, compute operating curves, export the tuned configs, write a report."""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mlmon.experiment._spec import ExperimentSpec, SpecError, load_spec, read_raw

__all__ = ["ExperimentResult", "apply_overrides", "run_experiment"]


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` produced: the results folder and the main objects.

    ``calibrations`` and ``curves`` are keyed by (detector name, null key) and
    (detector name, scenario name); ``timings`` holds seconds per stage.

    Examples
    --------
    >>> sorted(f.name for f in __import__("dataclasses").fields(ExperimentResult))[:3]
    ['benchmark', 'calibrations', 'curves']
    """

    spec: ExperimentSpec
    out_dir: Path
    benchmark: Any
    calibrations: dict[tuple[str, str], Any]
    curves: dict[tuple[str, str], Any]
    exported: list[Path]
    timings: dict[str, float] = field(default_factory=dict)


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides (values parsed as YAML) to a raw spec dict.

    Examples
    --------
    >>> apply_overrides({"budget": {"arl": 10000}}, ["budget.arl=500", "replicates=2"])
    {'budget': {'arl': 500}, 'replicates': 2}
    """
    out = json.loads(json.dumps(raw))
    for item in overrides:
        if "=" not in item:
            raise SpecError(f"override {item!r} must look like key.path=value")
        key, value = item.split("=", 1)
        node = out
        parts = key.strip().split(".")
        for p in parts[:-1]:
            if not isinstance(node.get(p, {}), dict):
                raise SpecError(f"override {item!r}: {p!r} is not a mapping in the spec")
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(value)
    return out


def _resolve_param(value: Any) -> Any:
    """Spec values of the form 'sklearn:<name>' load a dataset that scikit-learn ships."""
    if isinstance(value, str) and value.startswith("sklearn:"):
        from mlmon.scenarios import load_example_frame

        return load_example_frame(value.split(":", 1)[1])
    return value


def _build(kind: str, registry: dict[str, type], name: str, type_: str, params: dict[str, Any]) -> Any:
    cls = registry[type_]
    try:
        return cls(**{k: _resolve_param(v) for k, v in params.items()})
    except (TypeError, ValueError, KeyError) as exc:
        raise SpecError(f"{kind}.{name}.params: {exc}") from None


def _child_seed(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def _calibration_null(scenario: Any, sspec: Any, seed: int) -> tuple[Any, str]:
    """The null (stationary) scenario, or reference sample, a detector is calibrated on."""
    from mlmon.scenarios import Bootstrap

    if sspec.calibrate_on == "null":
        return scenario.null(), f"{scenario.name}.null()"
    stream = scenario.null().generate(seed=seed)
    n_ref = min(sspec.reference_size, stream.n_samples)
    skip = min(stream.n_samples - n_ref, max(0, stream.n_samples // 10))  # skip the learning curve
    reference = stream.signal[skip:skip + n_ref]
    return Bootstrap(reference=reference, n_samples=stream.n_samples), (
        f"bootstrap of {n_ref} samples of {scenario.name}.null()"
    )


class _Memo:
    """A drift scenario whose generated streams are kept, so that detectors evaluated one after
    the other on the same seeds (operating curves) generate each costly stream once."""

    def __init__(self, scenario: Any):
        self._scenario = scenario
        self._streams: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario, name)

    def generate(self, seed: Any = None) -> Any:
        key = (seed.entropy, tuple(seed.spawn_key)) if isinstance(seed, np.random.SeedSequence) else seed
        if key is None:
            return self._scenario.generate(seed=seed)
        if key not in self._streams:
            self._streams[key] = self._scenario.generate(seed=seed)
        return self._streams[key]


def _null_key(null: Any) -> str:
    return json.dumps({"type": type(null).__name__, "params": null.params()}, sort_keys=True, default=str)


def run_experiment(
    spec: ExperimentSpec | str | Path | dict[str, Any],
    *,
    results_dir: str | Path | None = None,
    overrides: list[str] | None = None,
    progress: bool = True,
) -> ExperimentResult:
    """Run an experiment spec end to end and write its results folder.

    Writes ``<results_dir>/<name>/``: ``spec.yaml``, ``manifest.json``, ``records.parquet``,
    ``metrics.csv``, ``calibrations.csv``, ``report.md`` with ``figures/*.png``, and
    ``configs/`` (the exported detectors). Everything is first written to a hidden
    ``.<name>.partial`` folder and renamed when complete, so an interrupted run never leaves a
    folder posing as a finished one.

    Examples
    --------
    >>> import tempfile, warnings
    >>> spec = {"name": "demo", "replicates": 2, "budget": {"arl": 2000, "n_runs": 20},
    ...         "scenarios": {"shift": {"type": "MeanShift",
    ...                                 "params": {"n_samples": 3000, "position": 1500, "shift": 1.0}}},
    ...         "detectors": {"ph": {"type": "PageHinkley"}}, "report": {"curve_points": 5}}
    >>> with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = run_experiment(spec, results_dir=tmp, progress=False)
    ...     print(res.out_dir.name, (res.out_dir / "report.md").is_file(), len(res.exported))
    demo True 1
    """
    from mlmon import benchmark, tuning
    from mlmon.detectors import REGISTRY
    from mlmon.scenarios import SCENARIOS

    t_start = time.perf_counter()
    if not isinstance(spec, ExperimentSpec):
        if overrides:
            raw = spec if isinstance(spec, dict) else read_raw(spec)
            spec = load_spec(apply_overrides(raw, overrides))
        else:
            spec = load_spec(spec)
    results_dir = Path(results_dir) if results_dir is not None else Path("experiments/results")
    timings: dict[str, float] = {}

    scenarios = {n: _build("scenarios", SCENARIOS, n, s.type, s.params) for n, s in spec.scenarios.items()}
    detectors = {n: _build("detectors", REGISTRY, n, d.type, d.params) for n, d in spec.detectors.items()}

    root = np.random.SeedSequence(spec.seed)
    cal_root, bench_root, ref_root, curve_root = root.spawn(4)
    cal_seed, bench_seed, curve_seed = _child_seed(cal_root), _child_seed(bench_root), _child_seed(curve_root)
    ref_seeds = [_child_seed(s) for s in ref_root.spawn(len(scenarios))]

    # 1. calibrate every applicable detector on each distinct null, once
    t0 = time.perf_counter()
    nulls: dict[str, tuple[Any, str]] = {}
    null_of: dict[str, str] = {}
    for (sname, scen), rseed in zip(scenarios.items(), ref_seeds):
        null, how = _calibration_null(scen, spec.scenarios[sname], rseed)
        key = _null_key(null)
        nulls.setdefault(key, (null, how))
        null_of[sname] = key
    null_names = {key: f"null{i}" for i, key in enumerate(nulls)}
    calibrations: dict[tuple[str, str], Any] = {}
    notes: list[dict[str, str]] = []
    uncalibrated: dict[tuple[str, str], str] = {}
    skipped: list[dict[str, str]] = []
    budget = spec.budget
    for key, (null, how) in nulls.items():
        for dname, det in detectors.items():
            if det.signal_kind == "binary" and getattr(null, "signal_kind", "real") != "binary":
                continue
            fast = tuning.has_trace(det)  # one pass is cheap; worker start-up would dominate
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    calibrations[(dname, key)] = tuning.calibrate(
                        det, null, arl=budget.arl, window_fpr=budget.window_fpr,
                        n_runs=spec.detectors[dname].calibration_runs or budget.n_runs,
                        run_length=budget.run_length, seed=cal_seed, confidence=budget.confidence,
                        n_jobs=1 if fast else spec.n_jobs,
                    )
            except ValueError as exc:  # e.g. the budget is out of the detector's reach on this null
                uncalibrated[(dname, key)] = f"not calibrated on {how}: {exc}"
            # kept for the report and manifest rather than printed in the middle of a run
            notes.extend({"detector": dname, "null": how, "note": str(w.message)} for w in caught)
    timings["calibration_s"] = time.perf_counter() - t0

    # 2. benchmark the calibrated detectors on every scenario (same streams for every detector)
    t0 = time.perf_counter()
    parts = []
    for sname, scen in scenarios.items():
        tuned = {d: calibrations[(d, null_of[sname])].detector for d in detectors
                 if (d, null_of[sname]) in calibrations}
        for d in detectors:
            if d not in tuned:
                reason = uncalibrated.get((d, null_of[sname]),
                                          f"{detectors[d].signal_kind} detector on a {scen.signal_kind} signal")
                skipped.append({"detector": d, "scenario": sname, "reason": reason})
        if tuned:
            parts.append(benchmark.run(tuned, {sname: scen}, seeds=spec.replicates, seed=bench_seed,
                                       tolerance=spec.tolerance, n_jobs=spec.n_jobs, progress=progress))
    result = benchmark.BenchmarkResult.concat(parts)
    timings["benchmark_s"] = time.perf_counter() - t0

    # 3. operating curves: false alarms against delay, for every detector and scenario
    t0 = time.perf_counter()
    curves: dict[tuple[str, str], Any] = {}
    for sname, scen in scenarios.items():
        if scen.is_stationary:
            continue
        null, scen = nulls[null_of[sname]][0], _Memo(scen)
        for dname, det in detectors.items():
            cal = calibrations.get((dname, null_of[sname]))
            if cal is None:
                continue
            # around the calibrated value; a detector without trace is simulated per threshold,
            # on as many runs as its calibration used
            curves[(dname, sname)] = tuning.operating_curve(
                cal.detector, null=null, drift=scen, thresholds=spec.report.curve_points,
                n_runs=min(cal.n_runs, 100), run_length=budget.run_length, seed=curve_seed,
                tolerance=spec.tolerance,
            )
    timings["curves_s"] = time.perf_counter() - t0

    # 4. write everything to a partial folder, then rename
    results_dir.mkdir(parents=True, exist_ok=True)
    final = results_dir / spec.name
    partial = results_dir / f".{spec.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    try:
        exported = _write_outputs(partial, spec, scenarios, detectors, result, calibrations, curves,
                                  nulls, null_names, null_of, skipped, notes, timings, t_start,
                                  dict(seed=spec.seed, calibration=cal_seed, benchmark=bench_seed,
                                       curves=curve_seed, references=ref_seeds))
        if final.exists():
            old = results_dir / f".{spec.name}.old-{os.getpid()}"
            final.rename(old)
            shutil.rmtree(old)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    exported = [final / p.relative_to(partial) for p in exported]
    return ExperimentResult(spec, final, result, calibrations, curves, exported, timings)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("mlmon", "numpy", "scipy", "pandas", "scikit-learn", "river", "numba", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _write_outputs(out: Path, spec, scenarios, detectors, result, calibrations, curves, nulls,
                   null_names, null_of, skipped, notes, timings, t_start, seeds) -> list[Path]:
    import pandas as pd

    from mlmon import export
    from mlmon.experiment._report import write_report

    (out / "spec.yaml").write_text(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False))
    result.to_parquet(out / "records")
    summary = result.summary()
    summary.to_csv(out / "metrics.csv", index=False)

    cal_rows = []
    for (dname, key), cal in calibrations.items():
        row = {"detector": dname, "null_id": null_names[key], "null_description": nulls[key][1]}
        row.update({k: v for k, v in cal.to_dict().items() if not isinstance(v, (dict, list))})
        cal_rows.append(row)
    cal_frame = pd.DataFrame(cal_rows)
    cal_frame.to_csv(out / "calibrations.csv", index=False)

    exported: list[Path] = []
    wanted = list(detectors) if spec.export == "all" else ([] if spec.export == "none" else spec.export)
    configs = out / "configs"
    for dname in wanted:
        reason = export.why_not_exportable(detectors[dname])
        if reason:
            skipped.append({"detector": dname, "scenario": "(export)", "reason": reason})
    for (dname, key), cal in calibrations.items():
        if dname in wanted and not export.why_not_exportable(cal.detector):
            exported.append(export.export(cal.detector, configs, name=f"{dname}__{null_names[key]}",
                                          calibration=cal))

    timings["total_s"] = time.perf_counter() - t_start
    figures = write_report(out, spec, scenarios, detectors, result, summary, cal_frame, curves,
                           calibrations, null_of, null_names, skipped, notes, timings, seeds)
    manifest = {
        "name": spec.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "cpu_count": os.cpu_count(),
        "seeds": seeds,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "n_records": len(result.records),
        "skipped": skipped,
        "calibration_notes": notes,
        "nulls": {null_names[k]: v[1] for k, v in nulls.items()},
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) + ["manifest.json"],
        "figures": [str(f.relative_to(out)) for f in figures],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return exported
