"""The river adapter: faithful to river, parameters, alarm levels, native equivalents."""

from __future__ import annotations

import numpy as np
import pytest
from river import drift

from mlmon.detectors import DDM, PageHinkley, River


def _river_loop(det, values):
    alarms = []
    for i, v in enumerate(values):
        det.update(v)
        if det.drift_detected:
            alarms.append(i)
    return alarms


def _mean_shifts(seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, 1500), rng.normal(2, 1, 1000), rng.normal(-1, 1, 1500)])


def _error_stream(seed):
    rng = np.random.default_rng(seed)
    rate = np.r_[np.full(3000, 0.1), np.full(2000, 0.3), np.full(2000, 0.15)]
    return (rng.random(rate.size) < rate).astype(float)


@pytest.mark.parametrize("mode", ["both", "up", "down"])
def test_page_hinkley_alarms_equal_native_with_mapped_params(mode):
    x = _mean_shifts(0)
    adapted = River("PageHinkley", min_instances=20, delta=0.01, threshold=25.0, alpha=0.999, mode=mode)
    native = PageHinkley(min_samples=20, delta=0.01, threshold=25.0, fading_factor=0.999,
                         alternative={"both": "two-sided", "up": "greater", "down": "less"}[mode])
    got, want = adapted.run(x), native.run(x)
    assert len(want) > 0 and got == want
    assert adapted.native_equivalent().get_params() == native.get_params()


def test_ddm_alarms_and_warnings_equal_native_with_mapped_params():
    x = _error_stream(1)
    adapted = River("DDM", warm_start=40, warning_threshold=2.5, drift_threshold=3.5)
    native = DDM(min_samples=40, warning_threshold=2.5, threshold=3.5)
    got, want = adapted.run(x), native.run(x)
    assert len(want) > 0 and len(want.warnings) > 0 and got == want
    assert adapted.native_equivalent().get_params() == native.get_params()
    assert adapted.native_param_map() == {"warm_start": "min_samples",
                                          "warning_threshold": "warning_threshold",
                                          "drift_threshold": "threshold"}


@pytest.mark.parametrize(("name", "params", "binary"), [
    ("ADWIN", {"delta": 0.01}, False),
    ("KSWIN", {"alpha": 0.001, "seed": 7}, False),
    ("EDDM", {}, True),
    ("HDDM_A", {}, True),
    ("HDDM_W", {}, True),
])
def test_adapter_raises_river_own_alarms(name, params, binary):
    x = _error_stream(2) if binary else _mean_shifts(3)
    x = x[:3000] if name == "KSWIN" else x
    cls = River(name).detector_.__class__
    want = _river_loop(cls(**params), [bool(v) for v in x] if binary else x.tolist())
    det = River(name, **params)
    assert want, "the stream must make river alarm for the comparison to mean anything"
    assert det.run(x).indices.tolist() == want
    det.reset()
    assert [i for i, v in enumerate(x.tolist()) if det.update(v).drift] == want


@pytest.mark.parametrize(("name", "param", "direction", "kind"), [
    ("ADWIN", "delta", "below", "real"),
    ("PageHinkley", "threshold", "above", "real"),
    ("KSWIN", "alpha", "below", "real"),
    ("DDM", "drift_threshold", "above", "binary"),
    ("EDDM", "beta", "below", "binary"),
    ("HDDM_A", "drift_confidence", "below", "binary"),
    ("HDDMW", "drift_confidence", "below", "binary"),
    ("FHDDM", "confidence_level", "below", "binary"),
])
def test_alarm_level_parameter_and_direction(name, param, direction, kind):
    det = River(name)
    assert (det.threshold_param, det.threshold_direction, det.signal_kind) == (param, direction, kind)
    assert det.update(0.0).threshold == float(det.get_params()[param])


def test_alarm_level_directions_move_alarms_the_stated_way():
    x = _mean_shifts(4)
    rates = np.r_[np.full(2000, 0.1), np.full(2000, 0.25)]
    errors = (np.random.default_rng(5).random(4000) < rates).astype(float)
    for name, loose, strict, data in [("ADWIN", 0.5, 1e-6, x), ("PageHinkley", 5.0, 100.0, x),
                                      ("DDM", 1.5, 5.0, errors)]:
        det = River(name)
        n_loose = len(det.clone(**{det.threshold_param: loose}).run(data))
        n_strict = len(det.clone(**{det.threshold_param: strict}).run(data))
        assert n_loose > n_strict, name


def test_both_spellings_of_hddm_name_the_same_class():
    # river 0.24 renamed HDDM_A / HDDM_W to HDDMA / HDDMW: whichever this river has
    hddm_a = getattr(drift.binary, "HDDMA", None) or drift.binary.HDDM_A
    hddm_w = getattr(drift.binary, "HDDMW", None) or drift.binary.HDDM_W
    assert type(River("HDDM_A").detector_) is type(River("HDDMA").detector_) is hddm_a
    assert type(River("hddm_w").detector_) is type(River("HDDMW").detector_) is hddm_w


def test_params_clone_and_repr():
    det = River("ADWIN", delta=0.01)
    assert det.get_params() == {"detector": "ADWIN", "delta": 0.01, "clock": 32, "max_buckets": 5,
                                "min_window_length": 5, "grace_period": 10}
    assert det.delta == 0.01
    assert repr(det) == "River('ADWIN', delta=0.01)"
    other = det.clone(clock=16)
    assert other.get_params()["clock"] == 16 and other.get_params()["delta"] == 0.01
    assert det.clone(detector="KSWIN").get_params()["detector"] == "KSWIN"
    assert River(**det.get_params()).get_params() == det.get_params()


def test_instance_is_read_not_kept():
    original = drift.ADWIN(delta=0.05, clock=8)
    det = River(original)
    assert det.get_params()["delta"] == 0.05 and det.get_params()["clock"] == 8
    assert det.detector_ is not original
    kswin = River(drift.KSWIN(alpha=0.01, seed=3, window=[0.0, 1.0]))
    assert kswin.get_params()["window"] is None  # data-valued parameters are not carried


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="available: .*ADWIN"):
        River("NoSuchDetector")
    with pytest.raises(TypeError, match="has no parameter"):
        River("ADWIN", threshold=3.0)
    with pytest.raises(TypeError, match="river drift detector"):
        River(3)
    with pytest.raises(ValueError, match="0/1 error stream"):
        River("DDM").update(0.5)


def test_not_exportable_and_export_names_the_native_equivalent():
    assert River.exportable is False
    assert River("FHDDM").native_equivalent() is None
    assert River("KSWIN", window=[0.0] * 100).native_equivalent() is None
    assert River("KSWIN", seed=3).native_equivalent().get_params()["seed"] == 3
    export = pytest.importorskip("mlmon.export")
    message = export.why_not_exportable(River("PageHinkley", threshold=30.0))
    assert "PageHinkley(threshold=30.0)" in message and "min_instances -> min_samples" in message


def test_n_seen_restarts_after_drift():
    x = _mean_shifts(6)
    det = River("PageHinkley", threshold=20.0)
    results = [det.update(v) for v in x.tolist()]
    after = [results[i + 1].n_seen for i, r in enumerate(results[:-1]) if r.drift]
    assert after and set(after) == {1}
