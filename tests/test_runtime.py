"""mlmon.runtime: numpy-only loading, validation and bit-identical execution of exported configs."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _numpy_only import LOADED, PRELUDE
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlmon import export, runtime
from mlmon.detectors import (ADWIN, BOCPD, CUSUM, KSWIN, DDM, EDDM, EWMA, HDDM_A, HDDM_W, KS, PSI, REGISTRY, PageHinkley,
                             Shewhart)
from mlmon.runtime import ConfigError, RuntimeDetector, RuntimeResult
from mlmon.runtime._engines import ENGINES
from mlmon.runtime._schema import shipped_schema
from mlmon.tuning import has_trace

# --- streams and detectors ---------------------------------------------------------------


def _real_streams(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shift = np.concatenate([rng.normal(0, 1, 1500), rng.normal(1.0, 1, 1500)])
    down = np.concatenate([rng.standard_t(4, 1200), rng.standard_t(4, 1200) - 1.5])
    scale = np.concatenate([rng.normal(5, 1, 1000), rng.normal(5, 3, 1000)])
    return [shift, down, scale]


def _binary_streams(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    rise = np.concatenate([rng.random(2000) < 0.1, rng.random(1500) < 0.3]).astype(float)
    steady = (rng.random(3000) < 0.2).astype(float)
    return [rise, steady]


def _ref(seed: int = 1, size: int = 400) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, size)


# (id, factory): each factory builds a fresh research detector, fitted where it says so
CASES = [
    ("ph-two-sided", lambda: PageHinkley(threshold=20.0, delta=0.05)),
    ("ph-greater-no-reset", lambda: PageHinkley(threshold=10.0, alternative="greater",
                                                fading_factor=0.99, reset_on_drift=False)),
    ("ph-less", lambda: PageHinkley(threshold=15.0, alternative="less", min_samples=50)),
    ("cusum-fitted", lambda: CUSUM(threshold=5.0).fit(_ref())),
    ("cusum-fitted-no-reset", lambda: CUSUM(threshold=4.0, allowance=0.25,
                                            reset_on_drift=False).fit(_ref(2, 300))),
    ("cusum-burn-in", lambda: CUSUM(threshold=4.0, min_samples=20)),
    ("cusum-given-less", lambda: CUSUM(threshold=6.0, mean=0.0, std=1.0, alternative="less")),
    ("ewma-fitted", lambda: EWMA(threshold=3.0, smoothing=0.1).fit(_ref())),
    ("ewma-burn-in-greater", lambda: EWMA(threshold=2.5, min_samples=40, alternative="greater")),
    ("shewhart-given-no-reset", lambda: Shewhart(threshold=2.5, mean=0.0, std=1.0, reset_on_drift=False)),
    ("shewhart-burn-in", lambda: Shewhart(min_samples=25)),
    ("ddm", lambda: DDM()),
    ("ddm-no-reset", lambda: DDM(threshold=2.5, warning_threshold=1.5, min_samples=50,
                                 reset_on_drift=False)),
    ("eddm", lambda: EDDM()),
    ("eddm-no-reset", lambda: EDDM(threshold=0.8, warning_threshold=0.85, min_samples=10,
                                   reset_on_drift=False)),
    ("hddm-a", lambda: HDDM_A()),
    ("hddm-a-two-sided", lambda: HDDM_A(threshold=0.01, warning_threshold=0.05,
                                        alternative="two-sided")),
    ("hddm-w", lambda: HDDM_W()),
    ("hddm-w-two-sided-no-reset", lambda: HDDM_W(threshold=0.01, smoothing=0.1,
                                                 alternative="two-sided", reset_on_drift=False)),
    ("ks-from-stream", lambda: KS(alpha=0.01, window_size=50, reference_size=200)),
    ("ks-fitted-sliding", lambda: KS(alpha=0.05, window_size=40, step=8).fit(_ref(3, 200))),
    ("ks-fitted-no-reset", lambda: KS(alpha=0.001, window_size=100, reset_on_drift=False).fit(_ref())),
    ("psi-from-stream", lambda: PSI(window_size=100, reference_size=400)),
    ("psi-fitted-no-reset", lambda: PSI(threshold=0.1, n_bins=5, window_size=50, step=5,
                                        reset_on_drift=False).fit(_ref())),
    ("adwin", lambda: ADWIN()),
    ("adwin-clock-1-no-reset", lambda: ADWIN(threshold=0.01, clock=1, max_buckets=3,
                                             min_window_length=8, reset_on_drift=False)),
    ("kswin", lambda: KSWIN(seed=3)),
    ("kswin-set-draws-no-reset", lambda: KSWIN(alpha=0.001, window_size=400, sample_size=50,
                                               seed=11, reset_on_drift=False)),
    ("bocpd-fitted", lambda: BOCPD(max_run_length=200).fit(_ref())),
    ("bocpd-burn-in-no-reset", lambda: BOCPD(threshold=0.6, expected_run_length=300.0, min_run=20,
                                             max_run_length=120, reset_on_drift=False)),
]
IDS = [c[0] for c in CASES]


def _streams_for(det) -> list[np.ndarray]:
    return _binary_streams(7) if det.signal_kind == "binary" else _real_streams(7)


def _as_arrays(results) -> dict[str, np.ndarray]:
    return {
        "drift": np.array([r.drift for r in results]),
        "statistic": np.array([r.statistic for r in results], dtype=np.float64),
        "threshold": np.array([r.threshold for r in results], dtype=np.float64),
        "pvalue": np.array([np.nan if r.pvalue is None else r.pvalue for r in results]),
        "has_pvalue": np.array([r.pvalue is not None for r in results]),
        "warning": np.array([r.warning for r in results]),
        "n_seen": np.array([r.n_seen for r in results]),
    }


def test_every_exportable_registered_detector_is_covered_here():
    exportable = {name for name, cls in REGISTRY.items() if cls.exportable}
    covered = {type(factory()).__name__ for _, factory in CASES}
    assert exportable <= covered


def test_engine_table_agrees_with_the_research_classes():
    for kind, spec in ENGINES.items():
        cls = REGISTRY[kind]
        assert cls.exportable
        assert spec.signal_kind == cls.signal_kind
        assert spec.threshold_param == cls.threshold_param


# --- bit-identical execution -------------------------------------------------------------


@pytest.mark.parametrize("factory", [c[1] for c in CASES], ids=IDS)
def test_runtime_run_and_trace_equal_research_bit_for_bit(factory, tmp_path):
    n_alarms = 0
    for i, x in enumerate(_streams_for(factory())):
        det = factory()
        prod = runtime.load(export.export(det, tmp_path, name=f"d{i}"))
        expected = det.run(x)
        got = prod.run(x)
        assert got.dtype == np.int64
        assert np.array_equal(got, expected.indices)
        n_alarms += len(got)
        if has_trace(det):  # EDDM, HDDM_A and HDDM_W have none
            det.reset()
            prod.reset()
            assert np.array_equal(prod.trace(x), det.trace(x), equal_nan=True)
    assert n_alarms > 0  # the streams hold changes the detectors find


@pytest.mark.parametrize("factory", [c[1] for c in CASES], ids=IDS)
def test_runtime_update_equals_research_update_field_by_field(factory, tmp_path):
    det = factory()
    prod = runtime.load(export.export(det, tmp_path))
    x = _streams_for(det)[0]
    ours = _as_arrays([prod.update(v) for v in x])
    theirs = _as_arrays([det.update(v) for v in x])
    for key in ours:
        assert np.array_equal(ours[key], theirs[key], equal_nan=True), key
    assert ours["drift"].any()
    assert not np.isnan(ours["statistic"]).all()


@pytest.mark.parametrize("factory", [c[1] for c in CASES], ids=IDS)
def test_runtime_batches_and_resumed_runs_equal_research(factory, tmp_path):
    det = factory()
    prod = runtime.load(export.export(det, tmp_path))
    x = _streams_for(det)[0]
    for lo, hi in ((0, 700), (700, 1900)):  # a batch update, then a run from where it left off
        a, b = det.update(x[lo:hi]), prod.update(x[lo:hi])
        assert (a.drift, a.warning, a.n_seen, a.threshold) == (b.drift, b.warning, b.n_seen, b.threshold)
        assert np.array_equal([a.statistic], [b.statistic], equal_nan=True)
    assert np.array_equal(prod.run(x[1900:]), det.run(x[1900:]).indices)
    assert prod.n_seen == det.update(x[-1]).n_seen - 1


def _param_value(prop: dict):
    """A hypothesis strategy for values that satisfy one property of the params schema."""
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    options = [st.none()] if "null" in types else []
    if "boolean" in types:
        options.append(st.booleans())
    if "integer" in types:
        lo = prop.get("minimum", prop.get("exclusiveMinimum", -1) + 1)
        options.append(st.integers(lo, lo + 60))
    if "number" in types:
        # stay clear of denormal scales (a std of 1e-320 overflows every z-score)
        lo = prop["minimum"] if "minimum" in prop else prop.get("exclusiveMinimum", -10.0) + 1e-3
        hi = prop.get("maximum", prop.get("exclusiveMaximum", lo + 60.0))
        options.append(st.floats(lo, min(hi, lo + 60.0), allow_nan=False,
                                 exclude_max="maximum" not in prop))
    return st.one_of(options)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(data=st.data(), kind=st.sampled_from(sorted(ENGINES)), fit=st.booleans(),
       seed=st.integers(0, 2**16))
def test_random_valid_configs_run_identically(tmp_path, data, kind, fit, seed):
    props = shipped_schema()["$defs"][f"{kind}.params"]["properties"]
    params = {name: data.draw(_param_value(prop), label=name) for name, prop in props.items()}
    if kind == "KS":  # keep the p-value lattice small: one size divides the other
        params["reference_size"] = params["window_size"] * data.draw(st.integers(1, 4))
    if kind == "KSWIN" and params["seed"] is None:  # None draws fresh entropy at every reset
        params["seed"] = seed
    try:
        det = REGISTRY[kind](**params)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(seed)
    if fit and kind in ("CUSUM", "KS", "PSI", "BOCPD"):
        det.fit(rng.normal(0, 1, params["reference_size"] if kind in ("KS", "PSI") else 50))
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(rng.uniform(-2, 2), 1, 300)])
    if det.signal_kind == "binary":
        x = (x > 1.0).astype(float)
    prod = runtime.load(export.export(det, tmp_path, name="random"))
    assert prod.params == det.get_params()
    assert np.array_equal(prod.run(x), det.run(x).indices)
    if has_trace(det):
        assert np.array_equal(prod.reset().trace(x), det.reset().trace(x), equal_nan=True)


def test_ddm_warnings_and_pvalues_come_through(tmp_path):
    det = DDM(threshold=3.0, warning_threshold=1.0)
    prod = runtime.load(export.export(det, tmp_path))
    results = [prod.update(v) for v in _binary_streams(3)[0]]
    assert any(r.warning for r in results) and any(r.drift for r in results)
    assert all(r.pvalue is None for r in results)
    ks = runtime.load(export.export(KS(window_size=50, reference_size=200), tmp_path))
    tested = [r for r in (ks.update(v) for v in _real_streams(3)[0]) if r.statistic == r.statistic]
    assert tested and all(0.0 <= r.pvalue <= 1.0 for r in tested)
    assert all(r.threshold == 0.01 for r in tested)


# --- numpy only ----------------------------------------------------------------------------

_ISOLATED = PRELUDE + textwrap.dedent("""
    import numpy as np
    import mlmon.runtime as rt

    args = json.loads(sys.argv[1])
    x = np.load(args["signal"], allow_pickle=False)
    xb = np.load(args["binary"], allow_pickle=False)
    out = {}
    for name, path in args["configs"].items():
        det = rt.load(path)
        sig = xb if name == "DDM" else x
        alarms = det.run(sig)
        det.reset()
        out[name] = {"alarms": alarms.tolist(), "trace": det.trace(sig).tolist(),
                     "stats": [det.update(v).statistic for v in sig[:300].tolist()]}
    loaded = """ + LOADED + """
    print(json.dumps({"attempted": attempted, "loaded": loaded, "out": out}))
""")


def test_runtime_runs_with_numpy_alone_and_matches_research(tmp_path):
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(0, 1, 1500), rng.normal(0.8, 1, 1500)])
    xb = np.concatenate([rng.random(1500) < 0.1, rng.random(1500) < 0.3]).astype(float)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "xb.npy", xb)
    dets = {
        "PageHinkley": PageHinkley(threshold=20.0),
        "CUSUM": CUSUM(threshold=5.0).fit(_ref()),
        "DDM": DDM(),
        "KS": KS(window_size=50, step=25).fit(_ref(2, 200)),
        "PSI": PSI(window_size=100).fit(_ref(3, 1000)),
        "ADWIN": ADWIN(),
        "KSWIN": KSWIN(alpha=0.001, seed=5),
    }
    configs = {n: str(export.export(d, tmp_path / "configs", name=n)) for n, d in dets.items()}
    args = json.dumps({"signal": str(tmp_path / "x.npy"), "binary": str(tmp_path / "xb.npy"),
                       "configs": configs})
    proc = subprocess.run([sys.executable, "-c", _ISOLATED, args], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # stdlib modules probe for optional ones (pickle tries Jython's 'org'): only ours matter
    forbidden = {"scipy", "pandas", "sklearn", "river", "numba", "llvmlite", "torch", "pydantic",
                 "jsonschema", "annotated_types", "yaml", "matplotlib", "joblib", "tqdm", "pyarrow"}
    assert not [m for m in report["attempted"]
                if m.split(".")[0] in forbidden or m.startswith("mlmon")], report["attempted"]
    # numpy's compiled modules register '_cython_<version>' and 'cython_runtime' (numpy 1.26)
    assert all(m.split(".")[0] == "numpy" or m == "mlmon" or m.startswith("mlmon.runtime")
               or m.startswith("_cython_") or m == "cython_runtime"
               for m in report["loaded"]), report["loaded"]
    for name, det in dets.items():
        sig = xb if name == "DDM" else x
        got = report["out"][name]
        expected = det.run(sig).indices
        assert len(expected) > 0
        assert got["alarms"] == expected.tolist()
        det.reset()
        assert np.array_equal(np.array(got["trace"], dtype=float), det.trace(sig), equal_nan=True)
        stats = [det.update(v).statistic for v in sig[:300]]
        assert np.array_equal(np.array(got["stats"], dtype=float), stats, equal_nan=True)


# --- validation on load ------------------------------------------------------------------


@pytest.fixture
def ph_config(tmp_path) -> Path:
    return export.export(PageHinkley(threshold=20.0), tmp_path, name="ph")


@pytest.fixture
def ks_config(tmp_path) -> Path:
    return export.export(KS(window_size=50).fit(_ref(2, 200)), tmp_path, name="ks")


def _edit(path: Path, change) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        runtime.load(path)
    return str(info.value)


def test_a_valid_config_loads(ph_config):
    det = runtime.load(ph_config)
    assert isinstance(det, RuntimeDetector)
    assert det.kind == "PageHinkley" and det.params == PageHinkley(threshold=20.0).get_params()
    assert det.calibration is None and det.provenance["mlmon"]


@pytest.mark.parametrize("where", [(), ("params",), ("state",), ("provenance",)])
def test_unknown_keys_fail_anywhere(ph_config, where):
    def change(doc):
        node = doc
        for key in where:
            node = node[key]
        node["surprise"] = 1

    msg = _error(_edit(ph_config, change))
    assert "surprise" in msg and "unknown key" in msg and "remove it" in msg


def test_unknown_key_suggests_the_right_spelling(ph_config):
    msg = _error(_edit(ph_config, lambda d: d["params"].update(threshhold=3.0)))
    assert "params.threshhold" in msg and "did you mean 'threshold'" in msg


def test_unknown_key_inside_an_artefact_reference_fails(ks_config):
    msg = _error(_edit(ks_config, lambda d: d["state"]["reference"].update(mtime=0)))
    assert "state.reference.mtime: unknown key" in msg


def test_newer_schema_version_is_refused_with_the_fix(ph_config):
    msg = _error(_edit(ph_config, lambda d: d.update(schema_version=2)))
    assert "schema_version 2 is newer" in msg and "upgrade mlmon" in msg


@pytest.mark.parametrize("value, fragment", [
    (None, "missing 'schema_version'"),
    ("1", "schema_version: must be an integer"),
    (0, "schema_version: must be 1"),
])
def test_bad_schema_version(ph_config, value, fragment):
    msg = _error(_edit(ph_config, lambda d: d.pop("schema_version") if value is None
                       else d.update(schema_version=value)))
    assert fragment in msg


@pytest.mark.parametrize("key, value, fragment", [
    ("threshold", "20", "params.threshold: must be a number, got string"),
    ("threshold", True, "params.threshold: must be a number, got boolean"),
    ("threshold", 0, "params.threshold: must be > 0, got 0"),
    ("fading_factor", 1.5, "params.fading_factor: must be <= 1, got 1.5"),
    ("min_samples", 2.5, "params.min_samples: must be an integer"),
    ("min_samples", 0, "params.min_samples: must be >= 1"),
    ("alternative", "both", "params.alternative: must be one of \"two-sided\""),
    ("reset_on_drift", 1, "params.reset_on_drift: must be true or false"),
])
def test_wrong_param_types_and_values_name_the_key(ph_config, key, value, fragment):
    msg = _error(_edit(ph_config, lambda d: d["params"].update({key: value})))
    assert fragment in msg


def test_missing_param_names_the_default(ph_config):
    msg = _error(_edit(ph_config, lambda d: d["params"].pop("delta")))
    assert "missing required key 'delta' (the detector's default is 0.005)" in msg


def test_every_problem_is_listed_at_once(ph_config):
    def change(doc):
        doc["params"].update(threshold=-1, alternative="up", extra=1)
        doc["provenance"].pop("numpy")

    msg = _error(_edit(ph_config, change))
    assert "4 problems" in msg
    for fragment in ("params.threshold", "params.alternative", "params.extra", "'numpy'"):
        assert fragment in msg


def test_integral_float_for_an_integer_is_accepted_as_an_integer(ph_config):
    det = runtime.load(_edit(ph_config, lambda d: d["params"].update(min_samples=30.0)))
    assert det.params["min_samples"] == 30 and isinstance(det.params["min_samples"], int)


def test_unknown_kind_lists_the_known_ones(ph_config):
    msg = _error(_edit(ph_config, lambda d: d.update(kind="NoSuchDetector")))
    assert "kind 'NoSuchDetector'" in msg and ", ".join(sorted(ENGINES)) in msg
    assert "CUSUM, DDM, EDDM, EWMA, HDDM_A, HDDM_W, KS" in msg


def test_params_of_another_kind_are_reported_against_the_named_kind(ph_config):
    cusum = CUSUM().get_params()
    msg = _error(_edit(ph_config, lambda d: d.update(kind="CUSUM")))
    assert "params.delta: unknown key" in msg
    assert all(f"missing required key {k!r}" in msg for k in cusum if k not in PageHinkley().get_params())


@pytest.mark.parametrize("text, fragment", [
    ('{"schema_version": 1, "kind": "DDM", "x": NaN}', "NaN, which is not valid JSON"),
    ('{"schema_version": 1, "schema_version": 1}', "key 'schema_version' appears twice"),
    ("[1, 2]", "a config is a JSON object"),
    ("{not json", "not a valid config JSON document"),
])
def test_malformed_json_is_refused(tmp_path, text, fragment):
    path = tmp_path / "c.json"
    path.write_text(text)
    assert fragment in _error(path)


def test_wrong_paths_are_refused(tmp_path):
    assert "is a directory" in _error(tmp_path)
    assert "no such config file" in _error(tmp_path / "nope.json")


def test_cross_parameter_checks(tmp_path):
    c = export.export(CUSUM(mean=0.0, std=1.0), tmp_path, name="c")
    assert "give both 'mean' and 'std'" in _error(_edit(c, lambda d: d["params"].update(std=None)))
    c = export.export(CUSUM(mean=0.0, std=1.0), tmp_path, name="c")
    assert "must repeat params" in _error(_edit(c, lambda d: d["state"].update(mean=0.5)))
    c = export.export(CUSUM().fit(_ref()), tmp_path, name="c")
    assert "key 'std' needs 'mean'" in _error(_edit(c, lambda d: d["state"].pop("mean")))
    d = export.export(DDM(), tmp_path, name="d")
    assert "warning_threshold (4.0) must not exceed" in _error(
        _edit(d, lambda doc: doc["params"].update(warning_threshold=4.0)))
    p = export.export(PSI(), tmp_path, name="p")
    assert "reference_size (5) must be at least" in _error(
        _edit(p, lambda doc: doc["params"].update(reference_size=5)))


# --- artefacts -----------------------------------------------------------------------------


def test_sha256_must_be_exactly_64_hex_digits(ks_config):
    msg = _error(_edit(ks_config, lambda d: d["state"]["reference"].update(
        sha256=d["state"]["reference"]["sha256"] + "\n")))
    assert "state.reference.sha256: must match the pattern" in msg


def test_missing_artefact(ks_config):
    ref = json.loads(ks_config.read_text())["state"]["reference"]["artefact"]
    (ks_config.parent / ref).unlink()
    msg = _error(ks_config)
    assert f"state.reference.artefact {ref!r} is missing" in msg and "copy the .npy files" in msg


def test_altered_artefact_fails_its_sha256(ks_config):
    ref = json.loads(ks_config.read_text())["state"]["reference"]["artefact"]
    arr = np.load(ks_config.parent / ref)
    arr[0] -= 1e-12
    np.save(ks_config.parent / ref, arr)
    msg = _error(ks_config)
    assert "has SHA-256" in msg and "the file was changed" in msg


@pytest.mark.parametrize("rel", ["../outside.npy", "sub/../../outside.npy", "/tmp/outside.npy"])
def test_artefact_paths_may_not_escape_the_config_directory(ks_config, rel):
    outside = ks_config.parent.parent / "outside.npy"
    np.save(outside, np.sort(_ref(2, 200)))
    msg = _error(_edit(ks_config, lambda d: d["state"]["reference"].update(artefact=rel)))
    assert "points outside the config's directory" in msg


def _replace_artefact(config: Path, key: str, arr: np.ndarray, *, allow_pickle=False, **claims):
    doc = json.loads(config.read_text())
    ref = doc["state"][key]
    path = config.parent / ref["artefact"]
    np.save(path, arr, allow_pickle=allow_pickle)
    ref["sha256"] = runtime._load.sha256_file(path)
    ref.update({"dtype": arr.dtype.str, "shape": list(arr.shape)}, **claims)
    config.write_text(json.dumps(doc))


def test_artefact_dtype_and_shape_must_match_the_config(ks_config):
    _replace_artefact(ks_config, "reference", np.sort(_ref(2, 200)), shape=[199])
    assert "but the config says <f8 of shape [199]" in _error(ks_config)


def test_pickled_artefact_is_never_unpickled(ks_config):
    payload = np.array([{"boom": 1}], dtype=object)
    _replace_artefact(ks_config, "reference", payload, allow_pickle=True, dtype="<f8", shape=[1])
    assert "is not a plain numeric .npy file" in _error(ks_config)


def test_artefact_inconsistent_with_params_is_refused(ks_config):
    _replace_artefact(ks_config, "pvalue_table", np.linspace(1.0, 0.0, 11))
    assert "pvalue_table" in _error(ks_config)


def test_artefact_with_nan_is_refused(ks_config):
    arr = np.sort(_ref(2, 200))
    arr[3] = np.nan
    _replace_artefact(ks_config, "reference", arr)
    assert "state.reference: holds NaN values" in _error(ks_config)


# --- the runtime object ------------------------------------------------------------------


def test_result_is_frozen_and_params_are_a_copy(ph_config):
    det = runtime.load(ph_config)
    r = det.update(0.1)
    assert isinstance(r, RuntimeResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.drift = True
    det.params["threshold"] = -5
    assert det.params["threshold"] == 20.0
    assert "PageHinkley" in repr(det)


def test_run_returns_int64_even_without_alarms(ph_config):
    out = runtime.load(ph_config).run(np.zeros(10))
    assert out.dtype == np.int64 and out.shape == (0,)


@pytest.mark.parametrize("x, exc, fragment", [
    (float("nan"), ValueError, "x must be finite"),
    ("a", TypeError, "x must be a number"),
])
def test_bad_values_for_update(ph_config, x, exc, fragment):
    with pytest.raises(exc, match=fragment):
        runtime.load(ph_config).update(x)


@pytest.mark.parametrize("signal, exc, fragment", [
    (np.zeros((3, 2)), ValueError, "must be 1-D"),
    ([], ValueError, "at least 1 samples"),
    ([0.0, np.inf], ValueError, "1 NaN or infinite value"),
    (["a", "b"], TypeError, "must be numeric"),
])
def test_bad_signals_for_run(ph_config, signal, exc, fragment):
    with pytest.raises(exc, match=fragment):
        runtime.load(ph_config).run(signal)


def test_binary_detectors_refuse_non_binary_values(tmp_path):
    det = runtime.load(export.export(DDM(), tmp_path))
    with pytest.raises(ValueError, match="0/1 error stream"):
        det.update(0.5)
    with pytest.raises(ValueError, match="only 0 and 1"):
        det.run([0.0, 1.0, 2.0])
