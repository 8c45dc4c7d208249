"""Pipeline faults and prior shift injected into a DataFrame: ground truth, rates, nulls, bad input.

Statistical checks use fixed seeds and a normal-theory bound of ``Z`` standard errors of a
binomial (or a sum of independent Bernoulli) count: two-sided tail probability 6e-5 per check.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon import scenarios
from mlmon.detectors import CUSUM, PageHinkley
from mlmon.monitor import Monitor
from mlmon.scenarios import SCENARIOS, Drift, LabelShift, PipelineFault, Scenario, Stream, load_example_frame
from mlmon.scenarios._synthetic import _ramp

Z = 4.0


def _frame() -> pd.DataFrame:
    """The wine table with two categorical columns: an object/str one and a category one."""
    frame = load_example_frame("wine")
    bands = pd.cut(frame["color_intensity"], [0, 3, 6, np.inf], labels=["light", "medium", "dark"])
    frame["colour"] = bands.astype(str)
    frame["band"] = pd.Categorical(bands.astype(str), categories=["light", "medium", "dark", "unused"])
    frame["cultivar"] = frame["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"}).astype(str)
    return frame


FRAME = _frame()


def _examples() -> dict[str, Scenario]:
    f = FRAME
    return {
        "nulls": PipelineFault(f, ["malic_acid", "ash"], fault="nulls", rate=0.3, n_samples=400),
        "nulls_cat_gradual": PipelineFault(f, ["colour", "band"], fault="nulls", rate=0.5, n_samples=500,
                                           position=200, kind="gradual", width=100),
        "stuck": PipelineFault(f, "ash", fault="stuck", n_samples=400, position=150),
        "stuck_value_incremental": PipelineFault(f, ["ash", "hue"], fault="stuck", value=0.0, rate=0.7,
                                                 n_samples=500, position=100, kind="incremental", width=200),
        "stuck_cat": PipelineFault(f, "band", fault="stuck", value="frozen", kind="gradual", width=50,
                                   n_samples=300, monitor="proline"),
        "unit": PipelineFault(f, "proline", fault="unit", factor=0.001, n_samples=400),
        "unit_affine_incremental": PipelineFault(f, "alcohol", fault="unit", factor=1.8, offset=32.0, rate=0.5,
                                                 n_samples=500, kind="incremental", width=100),
        "new_category": PipelineFault(f, ["colour", "band"], fault="new_category", rate=0.2, n_samples=400),
        "nulls_string_dtype": PipelineFault(f.astype({"colour": "string"}), "colour", fault="nulls", rate=0.5,
                                            n_samples=300),
        "new_category_incremental": PipelineFault(f, "colour", fault="new_category", category="violet",
                                                  n_samples=500, position=100, kind="incremental", width=300),
        "label": LabelShift(f, "target", proportions={0: 0.6, 1: 0.2, 2: 0.2}, n_samples=400),
        "label_gradual": LabelShift(f, "cultivar", proportions={"barolo": 0.1, "grignolino": 0.1, "barbera": 0.8},
                                    monitor="flavanoids", n_samples=500, kind="gradual", width=100),
        "label_incremental": LabelShift(f, "target", proportions={0: 0.0, 1: 0.5, 2: 0.5}, monitor="proline",
                                        n_samples=500, position=150, kind="incremental", width=200),
        "nulls_stationary": PipelineFault(f, "ash", fault="nulls", rate=0.0, n_samples=300),
        "unit_stationary": PipelineFault(f, "ash", fault="unit", factor=1.0, n_samples=300),
        "label_stationary": LabelShift(f, "target", proportions=None, n_samples=300),
    }


EXAMPLES = _examples()
DRIFTING = sorted(k for k, sc in EXAMPLES.items() if not sc.is_stationary)


def _bytes(stream: Stream) -> bytes:
    parts = [stream.signal.tobytes(), pd.util.hash_pandas_object(stream.X).to_numpy().tobytes()]
    if stream.y is not None:
        parts.append(pd.util.hash_pandas_object(pd.Series(stream.y)).to_numpy().tobytes())
    return b"".join(parts)


def _changed(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cells that differ between two columns, missing values equal to each other."""
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    same = (a.astype(object).to_numpy() == b.astype(object).to_numpy()) | (na_a & na_b)
    return ~same


def _binomial_ok(count: float, probs: np.ndarray) -> bool:
    """``count`` is within Z standard deviations of a sum of independent Bernoulli(probs)."""
    probs = np.asarray(probs, dtype=float)
    return abs(count - probs.sum()) < Z * np.sqrt((probs * (1 - probs)).sum())


# ----------------------------------------------------------------------------- registry and contract


def test_registered_exported_and_one_level_below_the_base():
    for name in ("PipelineFault", "LabelShift"):
        cls = SCENARIOS[name]
        assert getattr(scenarios, name) is cls and name in scenarios.__all__
        assert cls.__mro__[1] is Scenario
        assert "Examples" in (cls.__doc__ or "")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_same_seed_same_bytes_and_different_seeds_differ(name):
    sc = EXAMPLES[name]
    a, b, c = sc.generate(seed=3), sc.generate(seed=3), sc.generate(seed=4)
    assert _bytes(a) == _bytes(b) and _bytes(a) != _bytes(c)
    assert _bytes(sc.generate(seed=np.random.SeedSequence(11))) == _bytes(sc.generate(seed=np.random.SeedSequence(11)))
    assert a.meta["scenario"] == type(sc).__name__ and a.meta["params"] == sc.params()
    assert a.meta["data_sha256"] == sc.fingerprint


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_stream_contract_and_ground_truth(name):
    sc = EXAMPLES[name]
    s = sc.generate(seed=0)
    assert s.signal.dtype == np.float64 and s.signal.ndim == 1
    assert s.signal_kind == sc.signal_kind and isinstance(s.X, pd.DataFrame)
    assert len(s.X) == s.n_samples == sc._n_samples and isinstance(s.X.index, pd.RangeIndex)
    assert list(s.X.columns) == list(FRAME.columns)
    assert s.is_stationary == sc.is_stationary
    monitor = s.meta["monitor"]
    if sc.signal_kind == "real":
        np.testing.assert_array_equal(s.signal, s.X[monitor].to_numpy(dtype=float, na_value=np.nan))
    else:
        assert set(np.unique(s.signal)) <= {0.0, 1.0}
    if sc.is_stationary:
        assert s.drifts == ()
        return
    p, w = sc._position, sc.width
    if isinstance(sc, PipelineFault):
        truth = Drift(start=p, end=p + w, kind=sc.kind, what=sc.fault, columns=sc.columns)
    else:
        truth = Drift(start=p, end=p + w, kind=sc.kind, what="prior", columns=(sc.target,))
        np.testing.assert_array_equal(s.y, s.X[sc.target].to_numpy())
    assert s.drifts == (truth,)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_params_are_plain_json_and_the_scenario_pickles(name):
    sc = EXAMPLES[name]
    params = sc.params()
    assert json.loads(json.dumps(params)) == params
    clone = pickle.loads(pickle.dumps(sc))
    assert clone == sc and hash(clone) == hash(sc)
    assert _bytes(clone.generate(seed=5)) == _bytes(sc.generate(seed=5))
    assert "sha256" in repr(sc) and len(repr(sc)) < 400


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_null_is_stationary_and_identical_before_the_change_and_in_untouched_cells(name):
    sc = EXAMPLES[name]
    null = sc.null()
    assert null.is_stationary and null.null() is null and type(null) is type(sc)
    assert null.signal_kind == sc.signal_kind
    if sc.is_stationary:
        assert null is sc
        return
    s, n = sc.generate(seed=8), null.generate(seed=8)
    assert n.drifts == () and n.n_samples == s.n_samples
    start = s.drifts[0].start
    np.testing.assert_array_equal(n.signal[:start], s.signal[:start])  # NaN-aware
    pd.testing.assert_frame_equal(n.X.iloc[:start], s.X.iloc[:start])
    assert dict(n.X.dtypes) == dict(s.X.dtypes)
    if isinstance(sc, PipelineFault):  # the fault touches its columns only
        others = [c for c in FRAME.columns if c not in sc.columns]
        pd.testing.assert_frame_equal(n.X[others], s.X[others])


# ----------------------------------------------------------------------------- where the fault is


@pytest.mark.parametrize("fault, kwargs, column", [
    ("nulls", {}, "malic_acid"),
    ("nulls", {}, "colour"),
    ("unit", {"factor": 1000.0}, "proline"),
    ("new_category", {}, "band"),
])
def test_sudden_fault_at_rate_one_hits_every_cell_from_the_start_and_none_before(fault, kwargs, column):
    n, p = 600, 250
    sc = PipelineFault(FRAME, column, fault=fault, n_samples=n, position=p, **kwargs)
    s, null = sc.generate(seed=1), sc.null().generate(seed=1)
    changed = _changed(s.X[column], null.X[column])
    assert not changed[:p].any() and changed[p:].all()


@pytest.mark.parametrize("kind", ["gradual", "incremental"])
@pytest.mark.parametrize("fault, kwargs", [("nulls", {}), ("unit", {"factor": -2.0})])
def test_ramped_fault_stays_inside_the_truth_and_is_complete_at_its_end(kind, fault, kwargs):
    n, p, w = 2_000, 500, 1_000
    sc = PipelineFault(FRAME, "alcohol", fault=fault, n_samples=n, position=p, kind=kind, width=w, **kwargs)
    s, null = sc.generate(seed=2), sc.null().generate(seed=2)
    changed = _changed(s.X["alcohol"], null.X["alcohol"])
    d = s.drifts[0]
    assert (d.start, d.end) == (p, p + w)
    assert not changed[: p + 1].any()  # the ramp's share is 0 at its start
    assert changed[p + w:].all()  # and 1 from its end (rate 1)
    a = _ramp(n, position=p, width=w)[p: p + w]
    if fault == "nulls" or kind == "gradual":  # each ramp cell is hit with probability a_i
        assert _binomial_ok(changed[p: p + w].sum(), a)
    else:  # incremental unit: every cell after the start moves, by the share a_i
        assert changed[p + 1: p + w].all()


@pytest.mark.parametrize("kind, width", [("sudden", 0), ("gradual", 3_000), ("incremental", 3_000)])
@pytest.mark.parametrize("fault, column", [("nulls", "malic_acid"), ("new_category", "colour")])
def test_rate_within_binomial_bounds(fault, column, kind, width):
    n, p, rate = 12_000, 3_000, 0.3
    sc = PipelineFault(FRAME, column, fault=fault, rate=rate, n_samples=n, position=p, kind=kind, width=width)
    s = sc.generate(seed=3)
    hit = s.X[column].isna().to_numpy() if fault == "nulls" else (s.X[column] == "<new>").to_numpy()
    assert not hit[:p].any()
    q = rate * _ramp(n, position=p, width=width)[p:]  # per-cell probability after the start
    assert _binomial_ok(hit[p:].sum(), q)
    if width:
        assert _binomial_ok(hit[p + width:].sum(), np.full(n - p - width, rate))
    if fault == "new_category":  # the monitored categorical column: 1 where the value is new
        np.testing.assert_array_equal(s.signal, hit.astype(float))


def test_nulls_hit_cells_of_several_columns_independently():
    n, p, rate = 20_000, 2_000, 0.4
    s = PipelineFault(FRAME, ["malic_acid", "ash"], fault="nulls", rate=rate, n_samples=n,
                      position=p).generate(seed=4)
    a, b = s.X["malic_acid"].isna().to_numpy()[p:], s.X["ash"].isna().to_numpy()[p:]
    for hit in (a, b):
        assert _binomial_ok(hit.sum(), np.full(n - p, rate))
    assert _binomial_ok((a & b).sum(), np.full(n - p, rate**2))  # independent cells


def test_unit_change_is_exact_and_incremental_ramps_the_factor():
    n, p = 800, 300
    sc = PipelineFault(FRAME, "proline", fault="unit", factor=0.001, n_samples=n, position=p)
    s, null = sc.generate(seed=5), sc.null().generate(seed=5)
    x, x0 = s.X["proline"].to_numpy(), null.X["proline"].to_numpy()
    assert np.array_equal(x[p:], 0.001 * x0[p:]) and np.array_equal(x[:p], x0[:p])
    ints = PipelineFault(FRAME, "target", fault="unit", factor=10.0, n_samples=50)  # an int64 column
    assert FRAME["target"].dtype == np.int64
    assert ints.generate(seed=0).X["target"].dtype == ints.null().generate(seed=0).X["target"].dtype == np.float64

    w, f, o = 400, 1.8, 32.0
    sc = PipelineFault(FRAME, "alcohol", fault="unit", factor=f, offset=o, n_samples=n, position=p,
                       kind="incremental", width=w)
    x, x0 = sc.generate(seed=6).X["alcohol"].to_numpy(), sc.null().generate(seed=6).X["alcohol"].to_numpy()
    a = _ramp(n, position=p, width=w)
    np.testing.assert_allclose(x, x0 * (1 + (f - 1) * a) + o * a, rtol=1e-12)
    assert np.array_equal(x[p + w:], f * x0[p + w:] + o)


def test_unit_change_at_partial_rate_converts_a_binomial_share_of_rows():
    n, p, rate = 10_000, 1_000, 0.25
    sc = PipelineFault(FRAME, "magnesium", fault="unit", factor=10.0, rate=rate, n_samples=n, position=p)
    x, x0 = sc.generate(seed=7).X["magnesium"].to_numpy(), sc.null().generate(seed=7).X["magnesium"].to_numpy()
    hit = x != x0
    assert not hit[:p].any() and np.array_equal(x[hit], 10.0 * x0[hit])
    assert _binomial_ok(hit[p:].sum(), np.full(n - p, rate))


def test_stuck_freezes_at_the_last_pre_change_value_or_the_given_value():
    n, p = 700, 300
    s = PipelineFault(FRAME, ["ash", "hue"], fault="stuck", n_samples=n, position=p).generate(seed=8)
    null = PipelineFault(FRAME, ["ash", "hue"], fault="stuck", n_samples=n, position=p).null().generate(seed=8)
    for c in ("ash", "hue"):
        x = s.X[c].to_numpy()
        assert s.meta["stuck_at"][c] == x[p - 1] == null.X[c].to_numpy()[p - 1]
        assert (x[p:] == x[p - 1]).all() and np.array_equal(x[:p], null.X[c].to_numpy()[:p])
    assert json.loads(json.dumps(s.meta["stuck_at"])) == s.meta["stuck_at"]

    s = PipelineFault(FRAME, "band", fault="stuck", value="frozen", n_samples=n, position=p,
                      monitor="ash").generate(seed=8)
    assert (s.X["band"].iloc[p:] == "frozen").all() and "frozen" in s.X["band"].cat.categories
    assert s.meta["stuck_at"] == {"band": "frozen"}


def test_stuck_incremental_moves_hit_cells_toward_the_value():
    n, p, w, v, rate = 3_000, 500, 2_000, 0.0, 0.6
    sc = PipelineFault(FRAME, "ash", fault="stuck", value=v, rate=rate, n_samples=n, position=p,
                       kind="incremental", width=w)
    x, x0 = sc.generate(seed=9).X["ash"].to_numpy(), sc.null().generate(seed=9).X["ash"].to_numpy()
    a = _ramp(n, position=p, width=w)
    hit = x != x0
    np.testing.assert_allclose(x[hit], x0[hit] + a[hit] * (v - x0[hit]), rtol=1e-12)
    assert not hit[: p + 1].any() and (x[p + w:][hit[p + w:]] == v).all()
    assert _binomial_ok(hit[p + 1:].sum(), np.full(n - p - 1, rate))


def test_new_category_in_a_category_column_extends_its_categories_in_both_streams():
    sc = PipelineFault(FRAME, "band", fault="new_category", category="ultra", rate=0.5, n_samples=400)
    s, null = sc.generate(seed=10), sc.null().generate(seed=10)
    for stream in (s, null):
        assert list(stream.X["band"].cat.categories) == ["light", "medium", "dark", "unused", "ultra"]
    assert (s.X["band"] == "ultra").any() and not (null.X["band"] == "ultra").any()
    assert s.signal_kind == "binary" and s.signal.sum() == (s.X["band"] == "ultra").sum()


def test_monitoring_an_untouched_column_gives_a_stationary_signal():
    sc = PipelineFault(FRAME, "proline", fault="unit", factor=1000.0, monitor="ash", n_samples=300)
    s, null = sc.generate(seed=11), sc.null().generate(seed=11)
    np.testing.assert_array_equal(s.signal, null.signal)
    assert s.drifts[0].columns == ("proline",) and s.meta["monitor"] == "ash"


# ----------------------------------------------------------------------------- nulls downstream


def test_streaming_detectors_refuse_the_nan_signal_and_the_monitor_tests_the_missing_rate():
    n, p = 2_000, 1_000
    s = PipelineFault(FRAME, "malic_acid", fault="nulls", rate=0.2, n_samples=n, position=p).generate(seed=12)
    assert np.isnan(s.signal[p:]).any() and not np.isnan(s.signal[:p]).any()
    for det in (CUSUM(), PageHinkley()):
        with pytest.raises(ValueError, match="NaN"):
            det.fit(s.signal[:p]).run(s.signal)
    report = Monitor().fit(s.X.iloc[:p]).check(s.X.iloc[p:])
    assert report["malic_acid (null rate)"].drift
    assert "malic_acid (null rate)" in report.drifted
    # the missingness indicator is a 0/1 stream a rate detector can take
    flags = np.isnan(s.signal).astype(float)
    assert flags[:p].sum() == 0 and _binomial_ok(flags[p:].sum(), np.full(n - p, 0.2))


# ----------------------------------------------------------------------------- label shift


@pytest.mark.parametrize("kind, width", [("sudden", 0), ("gradual", 4_000), ("incremental", 4_000)])
def test_label_shift_class_proportions_within_binomial_bounds(kind, width):
    n, p = 16_000, 4_000
    t = {0: 0.6, 1: 0.1, 2: 0.3}
    sc = LabelShift(FRAME, "target", proportions=t, n_samples=n, position=p, kind=kind, width=width)
    pi = sc.data_proportions
    y = sc.generate(seed=13).y
    a = _ramp(n, position=p, width=width)
    for k in (0, 1, 2):
        q = (1 - a) * pi[k] + a * t[k]  # each row is of class k with probability q_i
        assert _binomial_ok((y[:p] == k).sum(), q[:p])
        assert _binomial_ok((y[p:] == k).sum(), q[p:])
        if width:
            assert _binomial_ok((y[p + width:] == k).sum(), q[p + width:])


def test_label_shift_keeps_each_class_feature_distribution():
    n, p = 20_000, 2_000
    sc = LabelShift(FRAME, "target", proportions={0: 0.1, 1: 0.1, 2: 0.8}, n_samples=n, position=p)
    s = sc.generate(seed=14)
    after = s.X.iloc[p:]
    for k in (0, 1, 2):
        ref = FRAME.loc[FRAME["target"] == k, "flavanoids"].to_numpy()
        got = after.loc[after["target"] == k, "flavanoids"].to_numpy()
        assert np.isin(got, ref).all()  # rows of class k come from class k's rows
        assert abs(got.mean() - ref.mean()) < Z * ref.std() / np.sqrt(got.size)
    # and the feature's marginal moves through the label: a monitor sees it
    assert Monitor().fit(s.X.iloc[:p]).check(after)["flavanoids"].drift


def test_label_shift_changes_only_the_rows_it_must():
    n, p = 20_000, 2_000
    t = {0: 0.6, 1: 0.2, 2: 0.2}
    sc = LabelShift(FRAME, "target", proportions=t, n_samples=n, position=p)
    s, null = sc.generate(seed=15), sc.null().generate(seed=15)
    pi = sc.data_proportions
    differ = (s.X != null.X).any(axis=1).to_numpy()
    assert not differ[:p].any()
    # a row of class k is redrawn with probability max(0, 1 - t_k / pi_k), so a row is redrawn
    # with probability sum_k max(0, pi_k - t_k), the total variation distance; a redraw lands
    # in a class that grows, never in its own (which shrinks), so it always changes the row
    tv = sum(max(0.0, pi[k] - t[k]) for k in t)
    assert np.array_equal(differ[p:], s.y[p:] != null.y[p:])
    assert _binomial_ok(differ[p:].sum(), np.full(n - p, tv))
    growing = [k for k in t if t[k] >= pi[k]]
    kept = np.isin(null.y[p:], growing)
    assert not differ[p:][kept].any()  # rows of classes that grow are never touched


def test_label_shift_with_string_labels_and_its_null():
    sc = LabelShift(FRAME, "cultivar", proportions={"barolo": 0.0, "grignolino": 0.5, "barbera": 0.5},
                    monitor="proline", n_samples=1_000, position=400)
    s = sc.generate(seed=16)
    assert (s.y[400:] != "barolo").all() and (s.y[:400] == "barolo").any()
    assert sc.signal_kind == "real" and s.drifts[0].columns == ("cultivar",)
    null = sc.null()
    assert null.proportions is None and null.is_stationary and null.generate(seed=16).drifts == ()
    same = LabelShift(FRAME, "cultivar", proportions=sc.data_proportions, monitor="proline")
    assert same.is_stationary and same.null() is same


def test_label_shift_copies_its_inputs():
    frame, t = FRAME.copy(), {0: 0.5, 1: 0.25, 2: 0.25}
    sc = LabelShift(frame, "target", proportions=t)
    frame.loc[0, "target"], t[0] = 2, 0.9
    assert sc.data.loc[0, "target"] == 0 and sc.proportions[0] == 0.5


# ----------------------------------------------------------------------------- bad input


BAD = [
    (lambda: PipelineFault(np.zeros((3, 2)), "a", fault="nulls"), TypeError, "must be a pandas DataFrame"),
    (lambda: PipelineFault(FRAME, "ash"), TypeError, "fault"),
    (lambda: PipelineFault(FRAME, "ash", fault="drop"), ValueError, "'fault' must be one of"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", rate=1.5), ValueError, "'rate' must be <= 1"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", rate=-0.1), ValueError, "'rate' must be >= 0"),
    (lambda: PipelineFault(FRAME, "nope", fault="nulls"), ValueError, "no column 'nope'"),
    (lambda: PipelineFault(FRAME, [], fault="nulls"), ValueError, "at least one column"),
    (lambda: PipelineFault(FRAME, ["ash", "ash"], fault="nulls"), ValueError, "twice"),
    (lambda: PipelineFault(FRAME, "ash", fault="unit"), ValueError, "needs parameter 'factor'"),
    (lambda: PipelineFault(FRAME, "ash", fault="unit", factor=0.0), ValueError, "non-zero"),
    (lambda: PipelineFault(FRAME, "ash", fault="unit", factor=float("inf")), ValueError, "'factor' must be a finite"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", factor=2.0), ValueError, "'factor' applies to fault='unit'"),
    (lambda: PipelineFault(FRAME, "ash", fault="stuck", offset=1.0), ValueError, "'offset' applies to fault='unit'"),
    (lambda: PipelineFault(FRAME, "ash", fault="unit", factor=2.0, value=1.0), ValueError, "'value' applies"),
    (lambda: PipelineFault(FRAME, "colour", fault="nulls", category="x"), ValueError, "'category' applies"),
    (lambda: PipelineFault(FRAME, "colour", fault="unit", factor=2.0), TypeError, "multiplies numbers"),
    (lambda: PipelineFault(FRAME, "ash", fault="new_category"), TypeError, "astype(str)"),
    (lambda: PipelineFault(FRAME, "colour", fault="new_category", category="dark"), ValueError, "already occurs"),
    (lambda: PipelineFault(FRAME, "colour", fault="new_category", category=""), ValueError, "non-empty"),
    (lambda: PipelineFault(FRAME, "ash", fault="stuck", value="high"), TypeError, "'value' must be a finite number"),
    (lambda: PipelineFault(FRAME, "ash", fault="stuck", value=float("nan")), TypeError, "finite number"),
    (lambda: PipelineFault(FRAME.astype({"colour": "string"}), "colour", fault="stuck", value=3), TypeError,
     "must be a str for the string column"),
    (lambda: PipelineFault(FRAME, "band", fault="stuck", kind="incremental", width=10), ValueError,
     "use kind='gradual'"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", kind="gradual"), ValueError, "'width' must be > 0"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", position=178), ValueError, "inside the stream"),
    (lambda: PipelineFault(FRAME, "ash", fault="nulls", monitor="nope"), ValueError, "'monitor'"),
    (lambda: PipelineFault(pd.DataFrame({"a": [True, False]}), "a", fault="nulls"), TypeError, "boolean"),
    (lambda: PipelineFault(pd.DataFrame({"a": [1.0, np.nan, 2.0]}), "a", fault="nulls"), ValueError,
     "1 NaN or infinite"),
    (lambda: PipelineFault(pd.DataFrame({"a": ["x", None, "y"]}), "a", fault="stuck"), ValueError, "fillna"),
    (lambda: PipelineFault(pd.DataFrame({"a": pd.to_datetime(["2020", "2021"])}), "a", fault="nulls"), TypeError,
     "neither numeric nor categorical"),
    (lambda: PipelineFault(pd.DataFrame({0: [1.0, 2.0]}), 0, fault="nulls"), TypeError,
     "'columns' must be a column name"),
    (lambda: LabelShift(FRAME, "target", proportions={0: 0.5, 1: 0.5}), ValueError, "no share for class(es) [2]"),
    (lambda: LabelShift(FRAME, "target", proportions={0: 0.5, 1: 0.25, 2: 0.25, 3: 0.0}), ValueError,
     "names [3], not classes"),
    (lambda: LabelShift(FRAME, "target", proportions={0: 0.5, 1: 0.5, 2: 0.5}), ValueError, "must sum to 1"),
    (lambda: LabelShift(FRAME, "target", proportions={0: 1.2, 1: -0.2, 2: 0.0}), ValueError, "finite number >= 0"),
    (lambda: LabelShift(FRAME, "target", proportions=[0.2, 0.3, 0.5]), TypeError, "must be a mapping"),
    (lambda: LabelShift(FRAME, "target"), TypeError, "proportions"),
    (lambda: LabelShift(FRAME, "cultivar", proportions=None), TypeError, "name a numeric column with monitor"),
    (lambda: LabelShift(FRAME, "target", proportions=None, monitor="colour"), TypeError, "is not numeric"),
    (lambda: LabelShift(FRAME, "label", proportions=None), ValueError, "no column 'label'"),
    (lambda: LabelShift(FRAME, 3, proportions=None), TypeError, "'target' must hold column names"),
    (lambda: LabelShift(pd.DataFrame({"y": [0, 1, None]}), "y", proportions=None), ValueError, "missing label"),
    (lambda: LabelShift(FRAME, "target", proportions=None, kind="incremental"), ValueError, "'width' must be > 0"),
]


@pytest.mark.parametrize("make, exc, fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_gives_a_clear_error(make, exc, fragment):
    with pytest.raises(exc) as info:
        make()
    assert fragment in str(info.value)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    fault=st.sampled_from(["nulls", "stuck", "unit", "new_category"]),
    kind=st.sampled_from(["sudden", "gradual", "incremental"]),
    rate=st.floats(0.0, 1.0),
    n=st.integers(10, 300),
    data=st.data(),
)
def test_property_no_fault_before_the_start_and_untouched_cells_equal_the_null(fault, kind, rate, n, data):
    width = 0 if kind == "sudden" else data.draw(st.integers(1, n - 2))
    position = data.draw(st.integers(1, n - 1 - width))
    column = {"nulls": "ash", "stuck": "ash", "unit": "ash", "new_category": "colour"}[fault]
    extra = {"factor": 3.0} if fault == "unit" else {}
    sc = PipelineFault(FRAME, column, fault=fault, rate=rate, n_samples=n, position=position, kind=kind,
                       width=width, **extra)
    seed = data.draw(st.integers(0, 2**32))
    s, null = sc.generate(seed=seed), sc.null().generate(seed=seed)
    changed = _changed(s.X[column], null.X[column])
    assert not changed[: position + (kind != "sudden")].any()
    assert s.is_stationary == (rate == 0)
    others = [c for c in FRAME.columns if c != column]
    pd.testing.assert_frame_equal(s.X[others], null.X[others])
