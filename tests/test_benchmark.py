"""Benchmark grids: common random numbers, determinism, raw records, derived tables, storage."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest

from mlmon import benchmark
from mlmon.benchmark import BenchmarkResult, RunRecord, Skipped, metrics
from mlmon.detectors import CUSUM, DDM, PageHinkley
from mlmon.scenarios import Bootstrap, ErrorRateShift, MeanShift, Stationary

SHIFT = MeanShift(n_samples=3000, position=1500, shift=2.0)
NULL = Stationary(n_samples=3000)


def small_grid(**kw):
    kw.setdefault("seeds", 4)
    kw.setdefault("progress", False)
    return benchmark.run({"cusum": CUSUM(threshold=6.0), "ph": PageHinkley(threshold=30.0)},
                         {"shift": SHIFT, "null": NULL}, **kw)


def test_grid_shape_and_names():
    res = small_grid()
    assert len(res.records) == 2 * 2 * 4
    keys = {(r.detector, r.scenario, r.replicate) for r in res.records}
    assert len(keys) == 16
    assert {r.detector_class for r in res.records} == {"CUSUM", "PageHinkley"}
    frame = res.to_frame()
    assert frame.shape[0] == 16
    assert set(frame["scenario_class"]) == {"MeanShift", "Stationary"}


def test_list_names_are_derived_and_made_unique():
    res = benchmark.run([CUSUM(), CUSUM(threshold=8.0), PageHinkley()], [NULL, Stationary(n_samples=1000)],
                        seeds=1, progress=False)
    assert sorted({r.detector for r in res.records}) == ["CUSUM()", "CUSUM(threshold=8.0)", "PageHinkley"]
    assert len({r.scenario for r in res.records}) == 2


def test_every_detector_sees_the_same_stream_and_it_can_be_regenerated():
    res = small_grid()
    for scen in ("shift", "null"):
        for rep in range(4):
            seeds = {json.dumps(r.seed) for r in res.records if r.scenario == scen and r.replicate == rep}
            assert len(seeds) == 1
    rec = next(r for r in res.records if r.detector == "ph" and r.scenario == "shift" and r.replicate == 2)
    ss = np.random.SeedSequence(rec.seed["entropy"], spawn_key=tuple(rec.seed["spawn_key"]))
    stream = SHIFT.generate(seed=ss)
    assert rec.n_samples == stream.n_samples and rec.drifts == stream.drifts
    assert list(rec.alarms) == PageHinkley(threshold=30.0).run(stream.signal).indices.tolist()
    # the seed scheme is the documented one
    expected = np.random.SeedSequence(0).spawn(2)[0].spawn(4)[2]
    assert tuple(rec.seed["spawn_key"]) == tuple(expected.spawn_key)


def test_serial_and_parallel_give_identical_records():
    serial = small_grid(seed=7)
    parallel = small_grid(seed=7, n_jobs=2)
    assert serial.records == parallel.records
    assert [r.fingerprint() for r in serial.records] == [r.fingerprint() for r in parallel.records]


def test_same_seed_same_records_and_wall_time_not_compared():
    a, b = small_grid(seed=3), small_grid(seed=3)
    assert a.records == b.records
    assert a.records[0].wall_time >= 0
    changed = dataclasses.replace(a.records[0], wall_time=123.0)
    assert changed == a.records[0]
    assert small_grid(seed=4).records != a.records


def test_seed_none_records_its_entropy():
    res = benchmark.run([PageHinkley()], [NULL], seeds=1, seed=None, progress=False)
    rec = res.records[0]
    ss = np.random.SeedSequence(rec.seed["entropy"], spawn_key=tuple(rec.seed["spawn_key"]))
    assert list(rec.alarms) == PageHinkley().run(NULL.generate(seed=ss).signal).indices.tolist()


def test_users_detectors_are_not_changed_and_fit_is_kept():
    rng = np.random.default_rng(0)
    fitted = CUSUM(threshold=5.0).fit(rng.normal(10.0, 1.0, size=500))  # baseline mean 10
    ph = PageHinkley()
    before = (fitted.get_params(), fitted.mean_, fitted.engine_.state_, ph.engine_.state_)
    res = benchmark.run({"fitted": fitted, "ph": ph}, {"null": NULL}, seeds=2, progress=False)
    assert (fitted.get_params(), fitted.mean_, fitted.engine_.state_, ph.engine_.state_) == before
    # fitted to mean 10, the detector alarms almost at once on mean-0 data: the fit was used
    first = [r.alarms[0] for r in res.records if r.detector == "fitted"]
    assert max(first) < 20
    rec = next(r for r in res.records if r.detector == "fitted")
    assert rec.detector_state == {"mean": fitted.mean_, "std": fitted.std_}
    assert next(r for r in res.records if r.detector == "ph").detector_state == {}


def test_binary_detector_on_real_signal_is_skipped_with_a_reason():
    with pytest.warns(UserWarning, match="skipped 1") as caught:
        res = benchmark.run({"ddm": DDM(), "ph": PageHinkley()},
                            {"shift": SHIFT, "errors": ErrorRateShift(n_samples=4000, position=2000, p1=0.4)},
                            seeds=2, progress=False)
    assert len([w for w in caught if "skipped" in str(w.message)]) == 1
    assert res.skipped == (Skipped("ddm", "shift", res.skipped[0].reason),)
    assert "0/1" in res.skipped[0].reason
    ran = {(r.detector, r.scenario) for r in res.records}
    assert ran == {("ph", "shift"), ("ddm", "errors"), ("ph", "errors")}


def test_derived_tables_match_the_metric_functions():
    res = small_grid(tolerance=500)
    frame = res.to_frame()
    for rec, row in zip(res.records, frame.itertuples()):
        assert row.false_alarms == metrics.false_alarms(alarms=rec.alarms, drifts=rec.drifts, tolerance=500)
        assert row.n_alarms == len(rec.alarms)
        assert row.n_detected + row.n_missed == len(rec.drifts)
        assert (row.run_length, row.censored) == metrics.run_length(alarms=rec.alarms, n_samples=rec.n_samples)
    summary = res.summary()
    assert summary.shape[0] == 4
    shift = summary[summary["scenario"] == "shift"]
    pooled = frame[frame["scenario"] == "shift"].groupby("detector")[["n_detected", "n_drifts"]].sum()
    for row in shift.itertuples():
        assert row.detection_rate == pooled.loc[row.detector, "n_detected"] / pooled.loc[row.detector, "n_drifts"]
        assert row.missed_detection_rate == pytest.approx(1 - row.detection_rate)
    assert shift["detection_rate"].max() == 1.0  # a 2-sigma shift is found
    assert shift["arl"].isna().all()  # no ARL on drift scenarios
    null = summary[summary["scenario"] == "null"].iloc[0]
    runs = [r for r in res.records if r.scenario == "null" and r.detector == null["detector"]]
    lengths = [metrics.run_length(alarms=r.alarms, n_samples=r.n_samples) for r in runs]
    est = metrics.average_run_length(lengths=[x[0] for x in lengths], censored=[x[1] for x in lengths])
    assert null["arl_n_runs"] == 4 and null["arl_n_alarms"] == est.n_events
    assert null["arl"] == est.estimate and null["arl_ci_low"] == est.ci_low
    assert np.isnan(null["detection_rate"])
    # a different tolerance can be asked for without rerunning
    assert res.to_frame(tolerance=0)["n_detected"].sum() == 0


def test_summary_on_censored_null_runs_is_honest():
    # a detector that never alarms on short runs: ARL infinite, finite lower bound
    res = benchmark.run([CUSUM(threshold=50.0, mean=0.0, std=1.0)], [Stationary(n_samples=500)], seeds=5,
                        progress=False)
    row = res.summary().iloc[0]
    assert row["arl"] == np.inf and row["arl_n_alarms"] == 0
    assert 0 < row["arl_ci_low"] < np.inf and row["arl_ci_high"] == np.inf
    assert row["false_alarms_per_10k"] == 0.0


def test_parquet_round_trip(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = benchmark.run({"ddm": DDM(), "ph": PageHinkley()}, {"shift": SHIFT, "boot": Bootstrap(
            np.random.default_rng(0).normal(size=200), n_samples=1000)}, seeds=2, tolerance=700, progress=False)
    out = res.to_parquet(tmp_path / "bench")
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "records.parquet", "skipped.parquet"]
    back = BenchmarkResult.from_parquet(out)
    assert back.records == res.records and back.skipped == res.skipped and back.tolerance == 700
    assert [r.wall_time for r in back.records] == [r.wall_time for r in res.records]
    assert back.summary().equals(res.summary())
    # the reference array is recorded by fingerprint, not by value
    boot = next(r for r in back.records if r.scenario == "boot")
    assert set(boot.scenario_params["reference"]) == {"sha256", "shape"}


def test_parquet_refuses_incomplete_or_modified_folders(tmp_path):
    res = small_grid(seeds=1)
    out = res.to_parquet(tmp_path / "bench")
    (out / "records.parquet").write_bytes((out / "records.parquet").read_bytes()[:-10])
    with pytest.raises(ValueError, match="sha256"):
        BenchmarkResult.from_parquet(out)
    (out / "meta.json").unlink()
    with pytest.raises(FileNotFoundError, match="not a complete"):
        BenchmarkResult.from_parquet(out)


def test_concat_and_repr_html():
    a, b = small_grid(seeds=1), small_grid(seeds=1, seed=1)
    both = BenchmarkResult.concat([a, b])
    assert len(both) == len(a) + len(b)
    html = both._repr_html_()
    assert "<table" in html and "BenchmarkResult" in html
    with pytest.raises(ValueError, match="tolerances"):
        BenchmarkResult.concat([a, small_grid(seeds=1, tolerance=10)])
    assert BenchmarkResult.concat([]).records == ()


def test_record_is_frozen_and_round_trips_a_row():
    rec = small_grid(seeds=1).records[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.alarms = ()  # type: ignore[misc]
    assert RunRecord.from_row(rec.to_row()) == rec


def test_progress_bar(capsys):
    benchmark.run([PageHinkley()], [NULL], seeds=2, progress=True)
    assert "benchmark" in capsys.readouterr().err


def test_failing_detector_is_reported_with_context():
    class Broken(PageHinkley):
        def run(self, signal):
            raise ValueError("boom")

    with pytest.raises(RuntimeError, match=r"'b'.*'null', replicate 0.*boom"):
        benchmark.run({"b": Broken()}, {"null": NULL}, seeds=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(detectors=[], scenarios=[NULL]), ValueError, "detectors is empty"),
        (dict(detectors=[PageHinkley()], scenarios=[]), ValueError, "scenarios is empty"),
        (dict(detectors=["PageHinkley"], scenarios=[NULL]), TypeError, "not a detector"),
        (dict(detectors=[PageHinkley()], scenarios=[np.zeros(3)]), TypeError, "not a scenario"),
        (dict(detectors={1: PageHinkley()}, scenarios=[NULL]), TypeError, "names"),
        (dict(detectors=[PageHinkley()], scenarios=[NULL], seeds=0), ValueError, "seeds"),
        (dict(detectors=[PageHinkley()], scenarios=[NULL], n_jobs=0), ValueError, "n_jobs"),
        (dict(detectors=[PageHinkley()], scenarios=[NULL], tolerance=-5), ValueError, "tolerance"),
        (dict(detectors=[PageHinkley()], scenarios=[NULL], seed=-1), ValueError, "seed"),
        (dict(detectors=[PageHinkley()], scenarios=[NULL], seed="a"), TypeError, "seed"),
    ],
)
def test_bad_input(kwargs, error, match):
    kwargs.setdefault("progress", False)
    with pytest.raises(error, match=match):
        benchmark.run(**kwargs)
