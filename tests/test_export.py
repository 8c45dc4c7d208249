"""mlmon.export: configs (JSON + .npy artefacts), the generated JSON Schema, round trips."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Literal, Optional

import jsonschema
import numpy as np
import pytest
from annotated_types import Ge, Gt, Interval, Le, Lt, MultipleOf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmon import export, runtime
from mlmon._validation import _check
from mlmon.base import BaseDetector
from mlmon.detectors import CUSUM, DDM, KS, PSI, REGISTRY, PageHinkley
from mlmon.export import schema as gen
from mlmon.runtime._schema import SchemaError, check_schema, shipped_schema, validate

SHIPPED = Path(export.__file__).with_name("detector_config.schema.json")


def _ref(seed: int = 1, size: int = 400) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, size)


def _fitted_examples() -> list[BaseDetector]:
    return [
        PageHinkley(threshold=25.0, alternative="greater"),
        CUSUM(threshold=5.0).fit(_ref()),
        CUSUM(mean=1.0, std=2.0, reset_on_drift=False),
        CUSUM(min_samples=10),
        DDM(threshold=2.5),
        KS(window_size=50, reference_size=200),
        KS(alpha=0.05, window_size=40, step=10).fit(_ref(2, 200)),
        PSI(window_size=100, reference_size=400),
        PSI(n_bins=5, window_size=50).fit(_ref(3)),
    ]


# --- the shipped schema --------------------------------------------------------------------


def test_shipped_schema_is_the_generated_one():
    assert SHIPPED.read_text(encoding="utf-8") == gen.dumps_schema(), (
        "the shipped schema is out of date; run: python -m mlmon.export.schema"
    )


def test_schema_entry_point_checks_and_rewrites(tmp_path):
    check = subprocess.run([sys.executable, "-m", "mlmon.export.schema", "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    out = tmp_path / "schema.json"
    subprocess.run([sys.executable, "-m", "mlmon.export.schema", "--output", str(out)], check=True,
                   capture_output=True)
    assert out.read_text() == SHIPPED.read_text()
    out.write_text("{}")
    stale = subprocess.run([sys.executable, "-m", "mlmon.export.schema", "--check", "--output", str(out)],
                           capture_output=True, text=True)
    assert stale.returncode == 1 and "out of date" in stale.stderr


def test_shipped_schema_is_valid_draft_2020_12_and_within_the_validators_subset():
    schema = json.loads(SHIPPED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    check_schema(schema)


def _nodes(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    yield from _nodes(sub, (*path, key, name))
            elif key in ("items", "additionalProperties"):
                yield from _nodes(value, (*path, key))
            elif key == "oneOf":
                for i, sub in enumerate(value):
                    yield from _nodes(sub, (*path, key, i))


def test_every_object_in_the_schema_is_closed():
    schema = json.loads(SHIPPED.read_text())
    open_objects = []
    for path, node in _nodes(schema):
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else types
        if "properties" in node:
            assert node.get("additionalProperties") is False, path
        elif "object" in types:
            open_objects.append(path)
    # the document itself is closed by its oneOf branches; the open ones hold another
    # object's parameters (the null scenario's, the calibrated detector's, the drift scenario's)
    assert open_objects == [(), ("$defs", "calibration", "properties", "null_params"),
                            ("$defs", "calibration", "properties", "detector_params"),
                            ("$defs", "calibration", "properties", "operating_point", "properties",
                             "drift_params")]


def test_check_schema_refuses_keywords_the_validator_lacks():
    with pytest.raises(SchemaError, match="'format'"):
        check_schema({"properties": {"t": {"type": "string", "format": "date-time"}}})
    with pytest.raises(SchemaError, match="'anyOf'"):
        check_schema({"$defs": {"x": {"anyOf": [{"type": "string"}]}}})


# --- the params schema comes from the constructor ------------------------------------------


@pytest.mark.parametrize("kind", sorted(k for k, c in REGISTRY.items() if c.exportable))
def test_params_schema_follows_the_constructor(kind):
    import inspect

    cls = REGISTRY[kind]
    s = shipped_schema()["$defs"][f"{kind}.params"]
    sig = inspect.signature(cls.__init__)
    names = cls._param_names()
    assert list(s["properties"]) == names and s["required"] == names
    for name in names:
        prop = s["properties"][name]
        assert prop["default"] == sig.parameters[name].default
        assert prop["description"], f"{kind}.{name} has no description in the docstring"


class _Demo:
    """A demo.

    Parameters
    ----------
    a, b
        Two bounded numbers
        on two lines.
    c : int
        A count.

    Examples
    --------
    >>> 1
    1
    """

    def __init__(
        self,
        *,
        a: Annotated[float, Gt(0), Le(1)] = 0.5,
        b: Annotated[float, Interval(ge=-1, lt=5)] = 0.0,
        c: Annotated[int, Ge(2), Lt(10)] = 3,
        d: Literal["x", "y"] = "x",
        e: Optional[Literal["x", "y"]] = None,
        f: Annotated[float, Gt(0)] | None = None,
        g: bool = True,
        h: str = "s",
        i: float = math.inf,
    ):
        pass


def test_annotations_map_to_json_schema():
    props = gen.params_schema(_Demo)["properties"]
    assert props["a"] == {"description": "Two bounded numbers on two lines.", "type": "number",
                          "exclusiveMinimum": 0, "maximum": 1, "default": 0.5}
    assert props["b"]["minimum"] == -1 and props["b"]["exclusiveMaximum"] == 5
    assert props["c"] == {"description": "A count.", "type": "integer", "minimum": 2,
                          "exclusiveMaximum": 10, "default": 3}
    assert props["d"] == {"enum": ["x", "y"], "default": "x"}
    assert props["e"] == {"enum": ["x", "y", None], "default": None}
    assert props["f"] == {"type": ["number", "null"], "exclusiveMinimum": 0, "default": None}
    assert props["g"] == {"type": "boolean", "default": True}
    assert props["h"] == {"type": "string", "default": "s"}
    assert props["i"] == {"type": "number"}  # no JSON default for inf


@pytest.mark.parametrize("annotation, fragment", [
    (list[int], "has no JSON Schema equivalent"),
    (Annotated[float, MultipleOf(2)], "constraint MultipleOf"),
    (int | str, "only 'X | None' unions"),
])
def test_annotations_without_a_schema_are_refused(annotation, fragment):
    class Bad:
        def __init__(self, *, p=1):
            pass

        __init__.__annotations__ = {"p": annotation}

    with pytest.raises(TypeError, match=fragment):
        gen.params_schema(Bad)


_VALUES = st.one_of(
    st.integers(-5, 2000), st.floats(-5, 5, allow_nan=False), st.sampled_from([0, 1, 2, 0.0, 1.0]),
    st.booleans(), st.none(), st.sampled_from(["two-sided", "greater", "less", "up", ""]),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(k for k, c in REGISTRY.items() if c.exportable)),
       data=st.data(), value=_VALUES)
def test_schema_accepts_exactly_what_the_constructor_accepts(kind, data, value):
    from typing import get_type_hints

    cls = REGISTRY[kind]
    name = data.draw(st.sampled_from(cls._param_names()))
    prop = shipped_schema()["$defs"][f"{kind}.params"]["properties"][name]
    hint = get_type_hints(cls.__init__, include_extras=True)[name]
    schema_ok = not validate(value, prop)
    types = prop.get("type", [])
    if isinstance(value, float) and value.is_integer() and "integer" in types:
        value = int(value)  # the runtime hands an integral float on as an integer
    assert schema_ok == (_check(kind, name, value, hint) is None)


# --- the runtime validator agrees with jsonschema -----------------------------------------


@pytest.fixture(scope="module")
def valid_docs(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("docs")
    return [json.loads(export.export(d, out, name=f"d{i}").read_text())
            for i, d in enumerate(_fitted_examples())]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


_JSON = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
                  st.sampled_from(["", "a", "CUSUM", "two-sided", "<f8", "0" * 64]),
                  st.lists(st.integers(0, 3), max_size=2), st.just({}))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_runtime_validator_agrees_with_jsonschema(valid_docs, data):
    schema = shipped_schema()
    reference = jsonschema.Draft202012Validator(schema)
    doc = copy.deepcopy(data.draw(st.sampled_from(valid_docs)))
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from(list(_paths(doc))[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "set":
            parent[path[-1]] = data.draw(_JSON)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "threshold", "mean", "sha256"]))] = data.draw(_JSON)
    assert (not validate(doc, schema)) == reference.is_valid(doc)


# --- export --------------------------------------------------------------------------------


@pytest.mark.parametrize("det", _fitted_examples(), ids=lambda d: repr(d))
def test_export_writes_a_valid_config_and_load_round_trips(det, tmp_path):
    path = export.export(det, tmp_path, name="cfg")
    assert path == tmp_path / "cfg.json"
    doc = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))
    jsonschema.validate(doc, json.loads(SHIPPED.read_text()))
    assert doc["schema_version"] == 1 and doc["kind"] == type(det).__name__
    assert doc["params"] == det.get_params()
    for key, ref in doc["state"].items():
        if isinstance(ref, dict):
            file = tmp_path / ref["artefact"]
            assert hashlib.sha256(file.read_bytes()).hexdigest() == ref["sha256"]
            assert ref["artefact"] == f"cfg.{key}.{ref['sha256'][:16]}.npy"
            assert np.array_equal(np.load(file, allow_pickle=False), det._export_state()[key])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["cfg.json", *(r["artefact"] for r in doc["state"].values() if isinstance(r, dict))])

    back = export.load(path)
    assert type(back) is type(det) and back.get_params() == det.get_params()
    mine, theirs = back._export_state(), det._export_state()
    assert mine.keys() == theirs.keys()
    assert all(np.array_equal(mine[k], theirs[k]) for k in mine)
    x = np.concatenate([_ref(9, 1500), _ref(10, 1500) + 1.0])
    if det.signal_kind == "binary":
        x = (x > 1.0).astype(float)
    expected = det.reset().run(x)
    assert back.run(x) == expected
    assert np.array_equal(runtime.load(path).run(x), expected.indices)


def test_provenance_and_reference_fingerprint(tmp_path):
    ref = _ref()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    doc = json.loads(export.export(CUSUM().fit(ref), tmp_path, reference=ref).read_text())
    prov = doc["provenance"]
    created = datetime.fromisoformat(prov["created"])
    assert created.utcoffset() == timedelta(0) and before <= created <= datetime.now(timezone.utc)
    assert prov["numpy"] == np.__version__ and prov["python"].startswith(f"{sys.version_info[0]}.")
    import mlmon
    import scipy

    assert prov["mlmon"] == mlmon.__version__ and prov["scipy"] == scipy.__version__
    assert prov["reference"] == export.fingerprint(ref)
    assert json.loads(export.export(PageHinkley(), tmp_path).read_text())["provenance"]["reference"] is None


def test_fingerprint_depends_on_values_and_shape_only():
    a = export.fingerprint([[1, 2], [3, 4]])
    assert a == export.fingerprint(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    assert a["sha256"] != export.fingerprint([1, 2, 3, 4])["sha256"]
    assert a["sha256"] != export.fingerprint([[1, 2], [3, 5]])["sha256"]
    with pytest.raises(TypeError, match="must be numeric"):
        export.fingerprint(["a"])


@pytest.fixture(scope="module")
def calibration():
    from mlmon.scenarios import Stationary
    from mlmon.tuning import calibrate

    return calibrate(CUSUM(mean=0.0, std=1.0), Stationary(), arl=200, n_runs=20, seed=0)


def test_calibration_is_recorded_and_read_back(tmp_path, calibration):
    path = export.export(calibration.detector, tmp_path, calibration=calibration)
    doc = json.loads(path.read_text())
    jsonschema.validate(doc, json.loads(SHIPPED.read_text()))
    assert doc["calibration"] == calibration.to_dict()
    assert doc["params"]["threshold"] == calibration.value
    assert runtime.load(path).calibration == calibration.to_dict()


def test_calibration_dicts_are_made_plain_json(tmp_path, calibration):
    raw = {**calibration.to_dict(), "ci_high": math.inf, "n_runs": np.int64(20),
           "estimate": np.float64(201.5), "conservative": np.bool_(True)}
    raw["seed"] = {**raw["seed"], "spawn_key": (np.int64(1), 2)}
    cal = json.loads(export.export(PageHinkley(), tmp_path, calibration=raw).read_text())["calibration"]
    assert cal["ci_high"] is None and cal["n_runs"] == 20 and cal["estimate"] == 201.5
    assert cal["conservative"] is True and cal["seed"]["spawn_key"] == [1, 2]
    with pytest.raises(runtime.ConfigError, match="calibration.n_runs: must be an integer"):
        export.export(PageHinkley(), tmp_path, calibration={**raw, "n_runs": "many"})
    with pytest.raises(runtime.ConfigError, match="calibration.note: unknown key"):
        export.export(PageHinkley(), tmp_path, calibration={**raw, "note": "x"})
    with pytest.raises(TypeError, match="calibration must be a Calibration"):
        export.export(PageHinkley(), tmp_path, calibration=[1, 2])


class _Wrapped(BaseDetector):
    """Stands in for a peer-library adapter."""

    exportable = False

    def __init__(self, *, threshold: float = 1.0):
        self.threshold = threshold
        super().__init__()

    def reset(self):
        return self

    def native_equivalent(self):
        return PageHinkley(threshold=self.threshold)

    native_param_map = {"lambda_": "threshold", "alpha": "fading_factor"}


def test_non_exportable_detectors_are_refused_with_their_native_twin(tmp_path):
    det = _Wrapped(threshold=7.0)
    with pytest.raises(TypeError) as info:
        export.export(det, tmp_path)
    msg = str(info.value)
    assert "_Wrapped(threshold=7.0) cannot be exported" in msg
    assert "native equivalent is PageHinkley(threshold=7.0)" in msg
    assert "lambda_ -> threshold, alpha -> fading_factor" in msg
    assert export.why_not_exportable(det) == msg
    assert list(tmp_path.iterdir()) == []


def test_river_adapter_names_its_native_equivalent_and_the_mapping(tmp_path):
    import river.drift

    River = REGISTRY["River"]
    with pytest.raises(TypeError) as info:
        export.export(River(river.drift.PageHinkley(threshold=30.0, mode="up")), tmp_path)
    msg = str(info.value)
    assert "cannot be exported" in msg
    assert "native equivalent is PageHinkley(threshold=30.0, alternative='greater')" in msg
    assert "min_instances -> min_samples" in msg and "mode -> alternative" in msg
    msg = export.why_not_exportable(River("ADWIN", delta=0.01))
    assert msg.startswith("River('ADWIN', delta=0.01) cannot be exported")
    assert "native equivalent is ADWIN(threshold=0.01)" in msg and "delta -> threshold" in msg
    msg = export.why_not_exportable(River("FHDDM"))
    assert msg.startswith("River('FHDDM') cannot be exported") and "It has no native equivalent" in msg
    assert list(tmp_path.iterdir()) == []


def test_other_things_that_cannot_be_exported(tmp_path):
    class MyPH(PageHinkley):
        pass

    assert "not a registered detector class" in export.why_not_exportable(MyPH())
    assert "not an mlmon detector" in export.why_not_exportable(object())
    with pytest.raises(TypeError, match="not a registered detector class"):
        export.export(MyPH(), tmp_path)


@pytest.mark.parametrize("name", ["../up", "a/b", "", ".hidden", "sp ace"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="file stem"):
        export.export(PageHinkley(), tmp_path, name=name)


def test_name_defaults_to_the_kind_and_json_suffix_is_dropped(tmp_path):
    assert export.export(DDM(), tmp_path).name == "DDM.json"
    assert export.export(DDM(), tmp_path, name="errors.json").name == "errors.json"
    assert export.export(DDM(), tmp_path / "new" / "dir", name="x").is_file()


def test_export_never_writes_what_the_runtime_would_refuse(tmp_path):
    det = PageHinkley()
    det.threshold = -1.0  # tampered with after validation
    with pytest.raises(runtime.ConfigError, match="params.threshold: must be > 0"):
        export.export(det, tmp_path)
    det = CUSUM().fit(_ref())
    det.mean_ = math.inf
    with pytest.raises(ValueError, match="'mean' is inf"):
        export.export(det, tmp_path)
    det = KS(window_size=50, reference_size=200)
    det._export_state = lambda: {}
    with pytest.raises(ValueError, match="no fitted 'pvalue_table'"):
        export.export(det, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- atomic writes -------------------------------------------------------------------------


def _failing_replace(monkeypatch, suffix: str):
    real = os.replace

    def replace(src, dst):
        if str(dst).endswith(suffix):
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr("mlmon.export._export.os.replace", replace)


def test_interrupted_export_leaves_no_config_and_no_debris(tmp_path, monkeypatch):
    _failing_replace(monkeypatch, ".json")
    with pytest.raises(OSError, match="disk full"):
        export.export(KS(window_size=50).fit(_ref(2, 200)), tmp_path, name="ks")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_reexport_keeps_the_previous_config_working(tmp_path, monkeypatch):
    old = KS(window_size=50).fit(_ref(2, 200))
    path = export.export(old, tmp_path, name="ks")
    before = sorted(p.name for p in tmp_path.iterdir())
    _failing_replace(monkeypatch, ".json")
    with pytest.raises(OSError):
        export.export(KS(window_size=50).fit(_ref(5, 200)), tmp_path, name="ks")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    x = _ref(6, 2000) + np.linspace(0, 2, 2000)
    assert np.array_equal(runtime.load(path).run(x), old.run(x).indices)


def test_reexport_replaces_artefacts_and_removes_the_stale_ones(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    export.export(KS(window_size=50).fit(_ref(2, 200)), tmp_path, name="ks")
    first = {p.name for p in tmp_path.glob("ks.*.npy")}
    new = KS(window_size=50).fit(_ref(3, 200))  # a new reference, the same p-value table
    path = export.export(new, tmp_path, name="ks")
    second = {p.name for p in tmp_path.glob("ks.*.npy")}
    referenced = {r["artefact"] for r in json.loads(path.read_text())["state"].values()}
    assert second == referenced and len(second) == 2
    assert len(first - second) == 1 and len(first & second) == 1  # shared table kept
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    x = _ref(6, 3000) * np.linspace(1, 2, 3000)
    assert np.array_equal(runtime.load(path).run(x), new.run(x).indices)
