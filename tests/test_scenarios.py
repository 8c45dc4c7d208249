"""Scenarios: determinism, ground truth, null counterparts, statistics, bad input, properties.

Statistical checks use fixed seeds and a normal-theory bound of ``Z`` standard errors
(two-sided tail probability 6e-5 per check): a check of an unbiased estimator fails only if
the generator is wrong, or with that probability under the fixed seed's draw.
"""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon import scenarios
from mlmon.scenarios import (
    SCENARIOS,
    Bootstrap,
    Drift,
    ErrorRateShift,
    InjectedShift,
    MeanShift,
    RiverConceptDrift,
    Scenario,
    Stationary,
    Stream,
    VarianceShift,
    load_example_frame,
)
from mlmon.scenarios._synthetic import _ramp

Z = 4.0
KINDS = ("sudden", "gradual", "incremental")


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    return load_example_frame("wine")


def _reference() -> np.ndarray:
    return np.random.default_rng(0).gamma(2.0, size=300)


def _examples() -> dict[str, Scenario]:
    wine = load_example_frame("wine")
    return {
        "stationary": Stationary(n_samples=500, mean=1.0, std=2.0),
        "bootstrap_iid": Bootstrap(_reference(), n_samples=500),
        "bootstrap_block": Bootstrap(_reference(), n_samples=500, block_size=7.5),
        "mean_sudden": MeanShift(n_samples=500, position=200, shift=2.0),
        "mean_gradual": MeanShift(n_samples=500, position=200, shift=2.0, kind="gradual", width=100),
        "mean_incremental": MeanShift(n_samples=500, position=200, shift=2.0, kind="incremental", width=100),
        "variance_gradual": VarianceShift(n_samples=500, position=200, scale=3.0, kind="gradual", width=50),
        "variance_incremental": VarianceShift(n_samples=500, position=200, kind="incremental", width=50),
        "error_rate": ErrorRateShift(n_samples=500, position=250, p0=0.1, p1=0.5, kind="incremental", width=40),
        "injected": InjectedShift(wine, ["alcohol", "hue"], n_samples=500, shift=2.0, scale=1.5),
        "injected_gradual": InjectedShift(
            wine, "proline", monitor="ash", n_samples=600, kind="gradual", width=100, position=300
        ),
        "river_sea": RiverConceptDrift(n_samples=400, position=200),
        "river_stagger": RiverConceptDrift(generator="STAGGER", n_samples=400, position=200, width=30),
    }


EXAMPLES = _examples()


def _bytes(stream: Stream) -> bytes:
    parts = [stream.signal.tobytes()]
    if isinstance(stream.X, pd.DataFrame):
        parts.append(pd.util.hash_pandas_object(stream.X).to_numpy().tobytes())
    elif stream.X is not None:
        parts.append(np.asarray(stream.X).tobytes())
    if stream.y is not None:
        parts.append(np.asarray(stream.y).tobytes())
    return b"".join(parts)


# ----------------------------------------------------------------------------- registry and API


def test_registry_lists_every_scenario_and_the_package_exports_them():
    expected = {"Stationary", "Bootstrap", "MeanShift", "VarianceShift", "ErrorRateShift", "InjectedShift",
                "RiverConceptDrift"}
    assert expected <= set(SCENARIOS)
    for name in expected:
        cls = SCENARIOS[name]
        assert getattr(scenarios, name) is cls
        assert issubclass(cls, Scenario) and cls.__mro__[1] is Scenario  # one level below the base
        assert "Examples" in (cls.__doc__ or "")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_same_seed_same_bytes_and_different_seeds_differ(name):
    sc = EXAMPLES[name]
    a, b, c = sc.generate(seed=3), sc.generate(seed=3), sc.generate(seed=4)
    assert _bytes(a) == _bytes(b)
    assert _bytes(a) != _bytes(c)
    ss = np.random.SeedSequence(11)
    assert _bytes(sc.generate(seed=ss)) == _bytes(sc.generate(seed=np.random.SeedSequence(11)))
    assert a.meta["scenario"] == type(sc).__name__ and a.meta["seed"] == 3
    assert a.meta["params"] == sc.params()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_stream_contract(name):
    sc = EXAMPLES[name]
    s = sc.generate(seed=0)
    assert s.signal.dtype == np.float64 and s.signal.ndim == 1 and np.isfinite(s.signal).all()
    assert s.signal_kind == sc.signal_kind
    if s.signal_kind == "binary":
        assert set(np.unique(s.signal)) <= {0.0, 1.0}
    if s.X is not None:
        assert len(s.X) == s.n_samples
    for d in s.drifts:
        assert 0 < d.start <= d.end < s.n_samples
    assert s.is_stationary == sc.is_stationary


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_params_are_plain_json_and_the_scenario_pickles(name):
    sc = EXAMPLES[name]
    params = sc.params()
    assert json.loads(json.dumps(params)) == params
    clone = pickle.loads(pickle.dumps(sc))
    assert clone == sc and hash(clone) == hash(sc)
    assert _bytes(clone.generate(seed=5)) == _bytes(sc.generate(seed=5))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_null_is_stationary_with_the_same_pre_drift_samples(name):
    sc = EXAMPLES[name]
    null = sc.null()
    assert null.is_stationary and null.null() is null
    assert type(null).signal_kind == type(sc).signal_kind
    s, n = sc.generate(seed=8), null.generate(seed=8)
    assert n.drifts == () and n.n_samples == s.n_samples
    if sc.is_stationary:
        assert null is sc
        return
    assert len(s.drifts) == 1
    start = s.drifts[0].start
    np.testing.assert_array_equal(n.signal[:start], s.signal[:start])
    if isinstance(s.X, pd.DataFrame):
        pd.testing.assert_frame_equal(n.X.iloc[:start], s.X.iloc[:start])
    elif s.X is not None:
        np.testing.assert_array_equal(n.X[:start], s.X[:start])


def test_zero_magnitude_changes_are_stationary_scenarios(wine):
    for sc in (MeanShift(shift=0.0), VarianceShift(scale=1.0), ErrorRateShift(p0=0.2, p1=0.2),
               InjectedShift(wine, "ash", shift=0.0)):
        assert sc.is_stationary and sc.null() is not None
        assert sc.generate(seed=0).drifts == ()
    assert MeanShift().null() == Stationary()
    assert VarianceShift(std=3.0).null() == Stationary(std=3.0)


def test_equality_and_hash_follow_params():
    assert MeanShift(shift=2.0) == MeanShift(shift=2.0)
    assert hash(MeanShift(shift=2.0)) == hash(MeanShift(shift=2.0))
    assert MeanShift(shift=2.0) != MeanShift(shift=2.5)
    assert MeanShift() != VarianceShift()
    ref = _reference()
    assert Bootstrap(ref) == Bootstrap(list(ref)) and len({Bootstrap(ref), Bootstrap(ref.copy())}) == 1
    assert Bootstrap(ref) != Bootstrap(ref[:-1])


def test_parameters_are_keyword_only_except_the_data():
    with pytest.raises(TypeError):
        MeanShift(10_000)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Bootstrap(_reference(), 100)  # type: ignore[misc]
    assert Bootstrap(reference=_reference(), n_samples=100).n_samples == 100


# ----------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("kind, width", [("sudden", 0), ("gradual", 300), ("incremental", 300)])
@pytest.mark.parametrize(
    "cls, what", [(MeanShift, "mean"), (VarianceShift, "variance"), (ErrorRateShift, "error_rate")]
)
def test_ground_truth_positions(cls, what, kind, width):
    s = cls(n_samples=2000, position=700, kind=kind, width=width).generate(seed=0)
    assert s.drifts == (Drift(start=700, end=700 + width, kind=kind, what=what),)
    assert s.n_samples == 2000


def test_injected_ground_truth_defaults(wine):
    s = InjectedShift(wine, ["alcohol", "hue"]).generate(seed=0)
    assert s.n_samples == len(wine)
    assert s.drifts == (Drift(start=len(wine) // 2, end=len(wine) // 2, kind="sudden", what="covariate",
                              columns=("alcohol", "hue")),)
    assert list(s.X.columns) == list(wine.columns) and isinstance(s.X.index, pd.RangeIndex)
    np.testing.assert_array_equal(s.signal, s.X["alcohol"].to_numpy())


# ----------------------------------------------------------------------------- statistics


def test_stationary_mean_and_variance():
    n, mean, std = 20_000, 3.0, 2.0
    x = Stationary(n_samples=n, mean=mean, std=std).generate(seed=1).signal
    assert abs(x.mean() - mean) < Z * std / np.sqrt(n)
    assert abs(x.var(ddof=1) / std**2 - 1.0) < Z * np.sqrt(2.0 / (n - 1))


def test_mean_shift_sudden_pre_and_post_means():
    n, pos, shift, mean, std = 20_000, 10_000, 0.5, 1.0, 2.0
    x = MeanShift(n_samples=n, position=pos, shift=shift, mean=mean, std=std).generate(seed=2).signal
    assert abs(x[:pos].mean() - mean) < Z * std / np.sqrt(pos)
    assert abs(x[pos:].mean() - (mean + shift)) < Z * std / np.sqrt(n - pos)


def test_mean_shift_incremental_moves_the_mean_linearly():
    n, pos, width, shift = 20_000, 5_000, 10_000, 1.0
    x = MeanShift(n_samples=n, position=pos, shift=shift, kind="incremental", width=width).generate(seed=3).signal
    a = _ramp(n, position=pos, width=width)
    ramp = slice(pos, pos + width)
    # least-squares slope of x on the ramp inside the ramp region: unbiased for `shift`
    ac = a[ramp] - a[ramp].mean()
    slope = float(ac @ x[ramp] / (ac @ ac))
    assert abs(slope - shift) < Z * 1.0 / np.sqrt(ac @ ac)
    assert abs(x[pos + width:].mean() - shift) < Z / np.sqrt(n - pos - width)


def test_mean_shift_gradual_mixture_share_at_mid_ramp():
    n, pos, width, shift = 30_000, 5_000, 20_000, 12.0
    x = MeanShift(n_samples=n, position=pos, shift=shift, kind="gradual", width=width).generate(seed=4).signal
    new = x > shift / 2  # misclassified with probability Phi(-6) ~ 1e-9 either way
    a = _ramp(n, position=pos, width=width)
    mid = slice(pos + 8_000, pos + 12_000)  # mean ramp share 1/2
    expected, var = a[mid].sum(), (a[mid] * (1 - a[mid])).sum()
    assert abs(new[mid].sum() - expected) < Z * np.sqrt(var)
    assert not new[:pos].any() and new[pos + width:].all()
    assert not new[pos]  # share 0 at the start of the ramp


def test_variance_shift_sudden_and_incremental():
    n, pos, scale = 20_000, 10_000, 2.5
    x = VarianceShift(n_samples=n, position=pos, scale=scale, mean=1.0).generate(seed=5).signal
    assert abs(x[:pos].var() - 1.0) < Z * np.sqrt(2.0 / pos) + 1.0 / pos
    assert abs(x[pos:].var() / scale**2 - 1.0) < Z * np.sqrt(2.0 / (n - pos)) + 1.0 / (n - pos)
    assert abs(x[pos:].mean() - 1.0) < Z * scale / np.sqrt(n - pos)

    width = 10_000
    x = VarianceShift(n_samples=n, position=5_000, scale=scale, kind="incremental", width=width).generate(seed=6).signal
    std_i = 1.0 + (scale - 1.0) * _ramp(n, position=5_000, width=width)
    zs = x / std_i  # standard normal if the standard deviation moves linearly
    ramp = slice(5_000, 5_000 + width)
    assert abs(np.mean(zs[ramp] ** 2) - 1.0) < Z * np.sqrt(2.0 / width)


@pytest.mark.parametrize("kind, width", [("sudden", 0), ("gradual", 8_000), ("incremental", 8_000)])
def test_error_rate_within_binomial_bounds(kind, width):
    n, pos, p0, p1 = 30_000, 10_000, 0.1, 0.3
    e = ErrorRateShift(n_samples=n, position=pos, p0=p0, p1=p1, kind=kind, width=width).generate(seed=7).signal
    assert abs(e[:pos].mean() - p0) < Z * np.sqrt(p0 * (1 - p0) / pos)
    after = pos + width
    assert abs(e[after:].mean() - p1) < Z * np.sqrt(p1 * (1 - p1) / (n - after))
    if width:
        # each sample in the ramp is Bernoulli(p0 + (p1 - p0) a_i) for both kinds
        q = p0 + (p1 - p0) * _ramp(n, position=pos, width=width)[pos:after]
        assert abs(e[pos:after].sum() - q.sum()) < Z * np.sqrt((q * (1 - q)).sum())


def test_bootstrap_iid_resamples_the_reference():
    ref = _reference()
    x = Bootstrap(ref, n_samples=20_000).generate(seed=8).signal
    assert np.isin(x, ref).all()
    assert abs(x.mean() - ref.mean()) < Z * ref.std() / np.sqrt(x.size)
    counts = np.bincount(np.searchsorted(np.sort(ref), x), minlength=ref.size)
    # each reference value is drawn with probability 1/m
    m, n = ref.size, x.size
    assert np.abs(counts - n / m).max() < 1.5 * Z * np.sqrt(n / m * (1 - 1 / m))


def test_bootstrap_block_lengths_are_geometric_with_the_mean_block_size():
    m, n, b = 5_000, 40_000, 8.0
    x = Bootstrap(np.arange(m, dtype=float), n_samples=n, block_size=b).generate(seed=9).signal
    cont = np.mod(np.diff(x), m) == 1  # the next sample continues the run (or a new run lands there)
    p_cont = (1 - 1 / b) + (1 / b) / m
    assert abs(cont.mean() - p_cont) < Z * np.sqrt(p_cont * (1 - p_cont) / (n - 1))
    wrapped = np.flatnonzero(np.diff(x) == -(m - 1))
    assert wrapped.size > 0 or n < m  # runs wrap around the end of the reference


def test_bootstrap_keeps_autocorrelation_that_iid_resampling_destroys():
    rng = np.random.default_rng(0)
    ar = np.zeros(4_000)
    for t in range(1, ar.size):
        ar[t] = 0.9 * ar[t - 1] + rng.standard_normal()

    def lag1(v: np.ndarray) -> float:
        v = v - v.mean()
        return float(v[1:] @ v[:-1] / (v @ v))

    n = 20_000
    iid = Bootstrap(ar, n_samples=n).generate(seed=1).signal
    block = Bootstrap(ar, n_samples=n, block_size=50).generate(seed=1).signal
    assert abs(lag1(iid)) < Z / np.sqrt(n)  # i.i.d. draws: lag-1 autocorrelation ~ N(0, 1/n)
    assert lag1(block) > 0.8  # (1 - 1/50) * 0.9 in expectation


def test_bootstrap_reference_is_read_only_fingerprinted_and_survives_pickling():
    ref = _reference()
    sc = Bootstrap(ref, n_samples=10)
    assert sc.reference is not ref and not sc.reference.flags.writeable
    assert sc.fingerprint == hashlib.sha256(ref.astype("<f8").tobytes()).hexdigest()
    assert sc.params()["reference"] == {"sha256": sc.fingerprint, "shape": [300]}
    ref[0] = 99.0  # the scenario holds its own copy
    assert sc.reference[0] != 99.0
    clone = pickle.loads(pickle.dumps(sc))
    assert not clone.reference.flags.writeable and clone.fingerprint == sc.fingerprint
    assert "sha256" in repr(sc) and len(repr(sc)) < 200


def test_bootstrap_runs_in_joblib_workers():
    joblib = pytest.importorskip("joblib")
    sc = Bootstrap(_reference(), n_samples=200, block_size=3)
    out = joblib.Parallel(n_jobs=2)(joblib.delayed(lambda s, k: s.generate(seed=k).signal)(sc, k) for k in range(2))
    for k in range(2):
        np.testing.assert_array_equal(out[k], sc.generate(seed=k).signal)


def test_injected_shift_moves_mean_and_spread_by_the_column_std(wine):
    n, pos, shift, scale = 40_000, 20_000, 0.5, 1.5
    col = "alcohol"
    sc = InjectedShift(wine, [col, "hue"], n_samples=n, position=pos, shift=shift, scale=scale)
    s = sc.generate(seed=10)
    v = wine[col].to_numpy(float)
    m, sd_pop, s_col = v.mean(), v.std(), v.std(ddof=1)  # exact moments of the resampling law
    x = s.X[col].to_numpy()
    assert abs(x[:pos].mean() - m) < Z * sd_pop / np.sqrt(pos)
    assert abs(x[pos:].mean() - (m + shift * s_col)) < Z * scale * sd_pop / np.sqrt(n - pos)
    var, mu4 = scale**2 * sd_pop**2, scale**4 * np.mean((v - m) ** 4)
    assert abs(x[pos:].var() - var) < Z * np.sqrt((mu4 - var**2) / (n - pos)) + var / (n - pos)
    null = sc.null().generate(seed=10)
    untouched = [c for c in wine.columns if c not in (col, "hue")]
    pd.testing.assert_frame_equal(s.X[untouched], null.X[untouched])


def test_injected_gradual_mixture_share(wine):
    n, pos, width = 12_000, 2_000, 8_000
    sc = InjectedShift(wine, "proline", n_samples=n, position=pos, kind="gradual", width=width, shift=1.0)
    moved = sc.generate(seed=11).X["proline"].to_numpy() != sc.null().generate(seed=11).X["proline"].to_numpy()
    a = _ramp(n, position=pos, width=width)
    mid = slice(pos + 3_000, pos + 5_000)
    assert abs(moved[mid].sum() - a[mid].sum()) < Z * np.sqrt((a[mid] * (1 - a[mid])).sum())
    assert not moved[:pos].any() and moved[pos + width:].all()


def test_injected_incremental_shift_ramps(wine):
    n, pos, width = 1_000, 200, 400
    sc = InjectedShift(wine, "ash", n_samples=n, position=pos, kind="incremental", width=width, shift=2.0)
    delta = sc.generate(seed=12).X["ash"].to_numpy() - sc.null().generate(seed=12).X["ash"].to_numpy()
    np.testing.assert_allclose(delta, 2.0 * wine["ash"].std() * _ramp(n, position=pos, width=width), atol=1e-12)


def test_injected_shift_copies_the_frame_and_reports_a_fingerprint(wine):
    frame = wine.copy()
    sc = InjectedShift(frame, "ash")
    frame.loc[0, "ash"] = 100.0
    assert sc.data.loc[0, "ash"] != 100.0
    p = sc.params()
    assert p["data"] == {"sha256": sc.fingerprint, "shape": [178, 14]} and p["columns"] == ["ash"]
    assert InjectedShift(wine, "ash") == sc and InjectedShift(frame, "ash") != sc
    assert len(repr(sc)) < 300


@pytest.mark.parametrize("name, rows", [("wine", 178), ("breast_cancer", 569), ("diabetes", 442), ("iris", 150)])
def test_load_example_frame(name, rows):
    frame = load_example_frame(name)
    assert frame.shape[0] == rows and "target" in frame.columns
    assert not frame.isna().any().any()


# ----------------------------------------------------------------------------- bad input


def _not_a_frame():
    return InjectedShift(np.zeros((5, 2)), "a")  # type: ignore[arg-type]


BAD = [
    (lambda: MeanShift(width=5), ValueError, "'width' must be 0"),
    (lambda: MeanShift(kind="gradual"), ValueError, "'width' must be > 0"),
    (lambda: MeanShift(n_samples=1000, position=990, kind="gradual", width=20), ValueError, "position + width"),
    (lambda: MeanShift(position=0), ValueError, "'position' must be >= 1"),
    (lambda: MeanShift(n_samples=100, position=100), ValueError, "inside the stream"),
    (lambda: MeanShift(kind="abrupt"), ValueError, "'kind' must be one of"),
    (lambda: MeanShift(std=0.0), ValueError, "'std' must be > 0"),
    (lambda: MeanShift(shift=float("nan")), ValueError, "'shift' must be a finite number"),
    (lambda: MeanShift(n_samples=1e4), TypeError, "'n_samples' must be int"),
    (lambda: Stationary(n_samples=0), ValueError, "'n_samples' must be >= 1"),
    (lambda: VarianceShift(scale=-1.0), ValueError, "'scale' must be > 0"),
    (lambda: ErrorRateShift(p1=1.5), ValueError, "'p1' must be <= 1"),
    (lambda: Bootstrap([1.0, float("nan"), 2.0]), ValueError, "'reference' contains 1 NaN"),
    (lambda: Bootstrap([1.0, float("inf")]), ValueError, "'reference' contains 1 NaN or infinite"),
    (lambda: Bootstrap([1.0]), ValueError, "at least 2 samples"),
    (lambda: Bootstrap(["a", "b"]), TypeError, "must be numeric"),
    (lambda: Bootstrap(np.zeros((4, 2, 2))), ValueError, "must be 1-D or 2-D"),
    (lambda: Bootstrap(np.arange(10.0), block_size=0.5), ValueError, "'block_size' must be >= 1"),
    (lambda: Bootstrap(np.arange(10.0), block_size=11), ValueError, "at most len(reference)=10"),
    (_not_a_frame, TypeError, "must be a pandas DataFrame"),
    (lambda: InjectedShift(pd.DataFrame(), "a"), ValueError, "at least 2 rows"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "b"), ValueError, "available: 'a'"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), []), ValueError, "at least one column"),
    (lambda: InjectedShift(pd.DataFrame({"a": ["x", "y", "z"]}), "a"), TypeError, "must be numeric"),
    (lambda: InjectedShift(pd.DataFrame({"a": [True, False, True]}), "a"), TypeError, "not boolean"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, np.nan, 3.0]}), "a"), ValueError, "1 NaN or infinite"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "a", monitor="b"), ValueError, "'monitor'"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 1.0, 1.0]}), "a"), ValueError, "constant"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "a", position=5), ValueError, "inside the stream"),
    (lambda: InjectedShift(pd.DataFrame({"a": [1.0, 2.0]}), ["a", "a"]), ValueError, "twice"),
    (lambda: InjectedShift(pd.DataFrame({0: [1.0, 2.0]}), 0), TypeError, "'columns' must be a column name"),
    (lambda: load_example_frame("california_housing"), ValueError, "'name' must be one of"),
]


@pytest.mark.parametrize("make, exc, fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_gives_a_clear_error(make, exc, fragment):
    with pytest.raises(exc) as info:
        make()
    assert fragment in str(info.value)


# ----------------------------------------------------------------------------- properties


@st.composite
def _change(draw):
    n = draw(st.integers(min_value=2, max_value=400))
    kind = draw(st.sampled_from(KINDS))
    width = 0 if kind == "sudden" else draw(st.integers(min_value=1, max_value=max(1, n - 2)))
    position = draw(st.integers(min_value=1, max_value=max(1, n - 1 - width)))
    return n, position, width, kind


@settings(max_examples=60, deadline=None)
@given(change=_change(), cls=st.sampled_from([MeanShift, VarianceShift, ErrorRateShift]), seed=st.integers(0, 2**32))
def test_property_stream_length_and_drift_bounds(change, cls, seed):
    n, position, width, kind = change
    if position + width > n - 1:
        with pytest.raises(ValueError, match="inside the stream"):
            cls(n_samples=n, position=position, width=width, kind=kind)
        return
    s = cls(n_samples=n, position=position, width=width, kind=kind).generate(seed=seed)
    assert s.n_samples == n and len(s.drifts) == 1
    d = s.drifts[0]
    assert (d.start, d.end, d.kind) == (position, position + width, kind)
    assert 1 <= d.start <= d.end <= n - 1
    assert np.isfinite(s.signal).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), position=st.integers(-5, 305), width=st.integers(-3, 300), kind=st.sampled_from(KINDS))
def test_property_invalid_change_points_are_rejected(n, position, width, kind):
    valid = position >= 1 and width >= 0 and position + width <= n - 1 and ((width == 0) == (kind == "sudden"))
    if valid:
        assert MeanShift(n_samples=n, position=position, width=width, kind=kind).generate(seed=0).n_samples == n
    else:
        with pytest.raises(ValueError):
            MeanShift(n_samples=n, position=position, width=width, kind=kind)


@settings(max_examples=40, deadline=None)
@given(
    ref=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50),
    n=st.integers(1, 300),
    block=st.floats(1.0, 50.0),
    seed=st.integers(0, 2**32),
)
def test_property_bootstrap_draws_only_reference_values(ref, n, block, seed):
    block = min(block, float(len(ref)))
    s = Bootstrap(ref, n_samples=n, block_size=block).generate(seed=seed)
    assert s.n_samples == n and s.is_stationary
    assert np.isin(s.signal, np.asarray(ref)).all()


@settings(max_examples=30, deadline=None)
@given(change=_change(), seed=st.integers(0, 2**32))
def test_property_null_shares_the_pre_drift_signal(change, seed):
    n, position, width, kind = change
    if position + width > n - 1:
        return
    sc = MeanShift(n_samples=n, position=position, width=width, kind=kind, shift=1.0)
    drifted, null = sc.generate(seed=seed).signal, sc.null().generate(seed=seed).signal
    np.testing.assert_array_equal(drifted[:position], null[:position])


def test_bootstrap_of_an_error_stream_is_binary():
    from mlmon.scenarios import Bootstrap

    errors = (np.random.default_rng(0).random(500) < 0.2).astype(float)
    sc = Bootstrap(reference=errors, n_samples=1000)
    stream = sc.generate(seed=1)
    assert sc.signal_kind == stream.signal_kind == "binary"
    assert set(np.unique(stream.signal)) <= {0.0, 1.0}
    assert Bootstrap(reference=errors + 0.5, n_samples=10).signal_kind == "real"
