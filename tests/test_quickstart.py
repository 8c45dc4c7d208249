"""The main job end to end, on the quickstart spec shrunk to test size."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlmon import cli, export, runtime
from mlmon.experiment import load_spec, run_experiment
from mlmon.experiment import _runner

ROOT = Path(__file__).resolve().parents[1]


def small_quickstart() -> dict:
    raw = yaml.safe_load((ROOT / "experiments" / "quickstart.yaml").read_text())
    raw["replicates"] = 2
    raw["n_jobs"] = 1
    raw["tolerance"] = 500
    raw["budget"].update(arl=5000, n_runs=20, run_length=20000)
    for s in raw["scenarios"].values():
        p = s["params"]
        p.update(n_samples=4000, position=2000)
        if p.get("width", 0) > 1:
            p["width"] = 200
        if s.get("calibrate_on") == "bootstrap":
            s["reference_size"] = 1500
    for d in raw["detectors"].values():
        if "calibration_runs" in d:
            d["calibration_runs"] = 10
    raw["report"]["curve_points"] = 8
    return raw


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    spec_path = out / "quickstart.yaml"
    spec_path.write_text(yaml.safe_dump(small_quickstart()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # calibration warnings about short runs are expected here
        assert cli.main(["run", str(spec_path), "--results-dir", str(out), "--no-progress"]) == 0
    return out / "quickstart"


def test_writes_every_promised_file(quickstart):
    for name in ("spec.yaml", "manifest.json", "metrics.csv", "calibrations.csv", "report.md",
                 "records/records.parquet"):
        assert (quickstart / name).is_file(), name
    manifest = json.loads((quickstart / "manifest.json").read_text())
    for rel in manifest["files"]:
        assert (quickstart / rel).is_file(), rel
    assert manifest["versions"]["numpy"] == np.__version__
    assert set(manifest["timings_s"]) >= {"calibration_s", "benchmark_s", "curves_s", "total_s"}
    assert manifest["seeds"]["seed"] == 0
    assert not list(quickstart.parent.glob(".quickstart.*")), "no partial folder is left behind"


def test_metrics_cover_the_grid_and_skips_are_explained(quickstart):
    spec = load_spec(quickstart / "spec.yaml")
    metrics = pd.read_csv(quickstart / "metrics.csv")
    manifest = json.loads((quickstart / "manifest.json").read_text())
    ran = {(r.detector, r.scenario) for r in metrics.itertuples()}
    skipped = {(s["detector"], s["scenario"]) for s in manifest["skipped"]}
    for d in spec.detectors:
        for s in spec.scenarios:
            assert ((d, s) in ran) != ((d, s) in skipped), (d, s)
    # the binary detector is not run on real-valued signals, and the report says why; on the
    # error stream it runs unless its calibration honestly fails at this small size
    reasons = {(s["detector"], s["scenario"]): s["reason"] for s in manifest["skipped"]}
    assert reasons[("ddm", "mean_shift_sudden")] == "binary detector on a real signal"
    assert ("ddm", "sea_concept_drift") in ran or reasons[("ddm", "sea_concept_drift")].startswith("not calibrated")
    assert (metrics["n_runs"] == spec.replicates).all()


def test_report_shows_each_scenario_and_its_figures(quickstart):
    text = (quickstart / "report.md").read_text()
    spec = load_spec(quickstart / "spec.yaml")
    for s in spec.scenarios:
        assert s in text
    for rel in __import__("re").findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (quickstart / rel).is_file() and (quickstart / rel).stat().st_size > 5000, rel
    assert "Which detector for which signal" in text


def test_every_calibration_hits_the_budget_or_says_it_cannot(quickstart):
    cal = pd.read_csv(quickstart / "calibrations.csv")
    assert {"estimate", "ci_low", "ci_high", "n_runs", "value"} <= set(cal.columns)
    assert (cal["ci_low"] <= cal["estimate"]).all() and (cal["estimate"] <= cal["ci_high"]).all()
    assert (cal["target"] == 5000).all()


def test_exported_configs_run_identically_in_the_runtime(quickstart):
    configs = sorted((quickstart / "configs").glob("*.json"))
    assert len(configs) >= 5
    rng = np.random.default_rng(123)
    for path in configs:
        research = export.load(path)
        prod = runtime.load(path)
        if research.signal_kind == "binary":
            x = (rng.random(3000) < np.r_[np.full(1500, 0.05), np.full(1500, 0.3)]).astype(float)
        else:
            x = np.r_[rng.normal(0, 1, 1500), rng.normal(1.5, 1, 1500)]
        assert np.array_equal(research.run(x).indices, prod.run(x)), path.name
        assert prod.calibration is not None and prod.calibration["target"] == 5000


def test_an_interrupted_run_leaves_no_results_folder(tmp_path, monkeypatch):
    raw = small_quickstart()
    raw["scenarios"] = {"mean_shift_sudden": raw["scenarios"]["mean_shift_sudden"]}
    raw["detectors"] = {"cusum": raw["detectors"]["cusum"]}
    raw["report"]["example_scenario"] = "mean_shift_sudden"

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("mlmon.experiment._report.write_report", boom)
    with pytest.raises(KeyboardInterrupt), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_experiment(raw, results_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_overrides_reach_the_spec():
    raw = _runner.apply_overrides(small_quickstart(), ["budget.arl=250", "scenarios.sea_concept_drift.params.width=5"])
    spec = load_spec(raw)
    assert spec.budget.arl == 250 and spec.scenarios["sea_concept_drift"].params["width"] == 5
