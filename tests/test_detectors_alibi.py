"""The alibi-detect adapter: faithful to alibi-detect, windowing, online detectors, benchmarks.

These tests need alibi-detect, which caps NumPy below 2: `make test` runs them in its second
environment (`make test-alibi`); elsewhere they are skipped.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

cd = pytest.importorskip(
    "alibi_detect.cd",
    reason='alibi-detect is not installed (pip install "mlmon[alibi]"); `make test-alibi` runs '
           "these tests in the NumPy 1.26 environment",
)

from scipy import stats  # noqa: E402

from mlmon.detectors import KS, River  # noqa: E402
from mlmon.detectors._alibi import Alibi, _call_seed, _seeded  # noqa: E402
from mlmon.testing._streams import same_result, state_size  # noqa: E402


def _stream(seed, n=1600, shift_at=1000, shift=1.0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, shift_at), rng.normal(shift, 1, n - shift_at)])


def _errors(seed, n=1600, shift_at=1000):
    rng = np.random.default_rng(seed)
    rate = np.where(np.arange(n) < shift_at, 0.1, 0.3)
    return (rng.random(n) < rate).astype(float)


def _alibi_windows_loop(det, ref, x, window, step):
    """alibi-detect's own predict on each window of the schedule, without resets."""
    cls = getattr(cd, det._spec.name)
    kwargs = {n: getattr(det, n) for n in det._alibi_names}
    kwargs.update(det._spec.fixed)
    if det._spec.name == "ClassifierDrift":
        from sklearn.linear_model import LogisticRegression

        kwargs["model"] = LogisticRegression()
        kwargs["seed"] = det.seed
    f32 = det._spec.torch
    prep = (lambda a: a.astype(np.float32)) if f32 else (lambda a: a)
    with _seeded(_call_seed(det.seed, 0, 0), det._spec.torch):
        ours = cls(x_ref=prep(ref.reshape(-1, 1)), **kwargs)
    alarms, pvalues = [], []
    for k, end in enumerate(range(window - 1, x.shape[0], step)):
        with _seeded(_call_seed(det.seed, 1, k), det._spec.torch):
            out = ours.predict(prep(x[end - window + 1: end + 1].reshape(-1, 1)))["data"]
        pvalues.append(float(np.ravel(out["p_val"])[0]))
        if out["is_drift"]:
            alarms.append(end)
    return alarms, pvalues


BATCH = [
    ("KSDrift", {"p_val": 0.01}, False),
    ("CVMDrift", {"p_val": 0.01}, False),
    ("ChiSquareDrift", {"p_val": 0.01}, True),
    ("MMDDrift", {"p_val": 0.05, "n_permutations": 50, "seed": 3}, False),
    ("LSDDDrift", {"p_val": 0.05, "n_permutations": 50, "seed": 4}, False),
    ("ClassifierDrift", {"p_val": 0.01, "seed": 5}, False),
]


@pytest.mark.parametrize(("name", "params", "binary"), BATCH, ids=[b[0] for b in BATCH])
def test_batch_alarms_and_pvalues_equal_alibi_predict_on_the_same_windows(name, params, binary):
    x = _errors(0) if binary else _stream(0)
    ref, rest = x[:400], x[400:]
    det = Alibi(name, window_size=100, reference_size=400, step=50, reset_on_drift=False,
                **params).fit(ref)
    want_alarms, want_p = _alibi_windows_loop(det, ref, rest, 100, 50)
    got = det.run(rest)
    assert len(want_alarms) > 0 and got.indices.tolist() == want_alarms
    tr = det.reset().trace(rest)
    assert np.array_equal(tr[~np.isnan(tr)], np.array(want_p))
    assert np.flatnonzero(~np.isnan(tr)).tolist() == list(range(99, rest.shape[0], 50))


def test_unfitted_ks_collects_reference_then_tests_tumbling_windows_and_resets():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1.5, 1, 1000), rng.normal(0, 1, 1000)])
    det = Alibi("KSDrift", p_val=0.01, window_size=100, reference_size=300)
    got = det.run(x).indices.tolist()
    # the same schedule written out with alibi-detect's KSDrift
    want, pos = [], 0
    while pos + 300 + 100 <= x.shape[0]:
        ks = cd.KSDrift(x[pos: pos + 300].reshape(-1, 1), p_val=0.01)
        pos += 300
        while pos + 100 <= x.shape[0]:
            hit = ks.predict(x[pos: pos + 100].reshape(-1, 1))["data"]["is_drift"]
            pos += 100
            if hit:
                want.append(pos - 1)
                break
    assert len(want) >= 2 and got == want


def test_results_carry_alibis_distance_pvalue_and_level():
    rng = np.random.default_rng(2)
    ref, window = rng.normal(size=200), rng.normal(0.8, 1.0, 50)
    det = Alibi("KSDrift", p_val=0.05, window_size=50, reference_size=200).fit(ref)
    r = det.update(window)
    out = cd.KSDrift(ref.reshape(-1, 1), p_val=0.05).predict(window.reshape(-1, 1))["data"]
    assert r.drift is True and r.n_seen == 50 and r.threshold == 0.05
    assert r.statistic == float(out["distance"][0]) and r.pvalue == float(out["p_val"][0])
    assert r.statistic == pytest.approx(stats.ks_2samp(ref, window).statistic, rel=1e-6)


ONLINE = [
    ("CVMDriftOnline", {"ert": 100.0, "window_sizes": [10], "n_bootstraps": 500, "seed": 6}),
    ("MMDDriftOnline", {"ert": 100.0, "window_size": 10, "n_bootstraps": 300, "seed": 7}),
    ("LSDDDriftOnline", {"ert": 100.0, "window_size": 10, "n_bootstraps": 300, "seed": 8}),
]


@pytest.mark.parametrize(("name", "params"), ONLINE, ids=[o[0] for o in ONLINE])
def test_online_alarms_equal_alibi_predict_loop(name, params):
    x = _stream(3, n=500, shift_at=300, shift=2.0)
    det = Alibi(name, reference_size=100, reset_on_drift=False, **params).fit(x[:100])
    theirs = copy.deepcopy(det.fitted_)  # calibrated on the same reference, state as after fit
    want = []
    prep = (lambda a: a.astype(np.float32)) if det._spec.torch else (lambda a: a)
    for k, v in enumerate(x[100:]):
        with _seeded(_call_seed(det.seed, 1, k), det._spec.torch):
            out = theirs.predict(prep(np.array([v])))["data"]
        if out["is_drift"]:
            want.append(k)
    got = det.run(x[100:]).indices.tolist()
    assert any(k >= 200 for k in want) and got == want


def test_online_reset_on_drift_calls_reset_state_like_an_alibi_loop():
    x = _stream(4, n=1200, shift_at=600, shift=2.0)
    det = Alibi("CVMDriftOnline", ert=100.0, window_sizes=[10], n_bootstraps=500, seed=1,
                reference_size=200).fit(x[:200])
    theirs = copy.deepcopy(det.fitted_)
    want = []
    for k, v in enumerate(x[200:]):
        if theirs.predict(np.array([v]))["data"]["is_drift"]:
            want.append(k)
            theirs.reset_state()
    assert len(want) >= 2 and det.run(x[200:]).indices.tolist() == want


SLOW = pytest.mark.slow  # seconds of ERT calibration per reference, several references
SHORT = [
    pytest.param("CVMDriftOnline", {"ert": 100.0, "window_sizes": [10], "n_bootstraps": 300,
                                    "seed": 6}, id="CVMDriftOnline"),
    pytest.param("MMDDriftOnline", {"ert": 100.0, "window_size": 10, "n_bootstraps": 150,
                                    "seed": 7}, id="MMDDriftOnline", marks=SLOW),
    pytest.param("LSDDDriftOnline", {"ert": 100.0, "window_size": 10, "n_bootstraps": 150,
                                     "seed": 8}, id="LSDDDriftOnline", marks=SLOW),
    pytest.param("MMDDrift", {"window_size": 50, "n_permutations": 20, "seed": 9}, id="MMDDrift"),
]


@pytest.mark.parametrize(("name", "params"), SHORT)
def test_protocol_on_short_streams(name, params):
    """The conformance contract the suite skips for the slow detectors (its streams are long)."""
    x = _stream(5, n=400, shift_at=250, shift=2.5)
    det = Alibi(name, reference_size=100, **params)
    for fitted in (False, True):
        a, b = det.clone(), det.clone()
        if fitted:
            a.fit(x[:150])
            b.fit(x[:150])
        got = a.run(x)
        results = [b.update(v) for v in x.tolist()]
        assert got.indices.tolist() == [i for i, r in enumerate(results) if r.drift]
        assert len(got) > 0
        nxt = np.random.default_rng(6).normal(size=50)
        assert all(same_result(a.update(v), b.update(v)) for v in nxt.tolist())
        # n_seen counts since the last reset; statistics and thresholds are floats
        prev = 0
        for r in results:
            assert r.n_seen == prev + 1 and isinstance(r.statistic, float)
            assert (r.pvalue is None) == (det._spec.online or np.isnan(r.statistic))
            assert not r.warning
            prev = 0 if r.drift else r.n_seen
        a.reset()
        fresh = det.clone()
        if fitted:
            fresh.fit(x[:150])
        assert a.run(x) == fresh.run(x)  # reset() and determinism under a seed
    used = det.clone()
    used.run(x)
    assert used.clone().run(x) == det.clone().run(x)


def test_online_state_stays_bounded():
    det = Alibi("CVMDriftOnline", ert=100.0, window_sizes=[10], n_bootstraps=500, seed=2,
                reference_size=100, reset_on_drift=False).fit(np.random.default_rng(0).normal(size=100))
    x = np.random.default_rng(1).normal(size=1200)
    det.run(x[:200])
    early = state_size(det)
    det.run(x[200:])
    assert state_size(det) <= early


def test_native_ks_decides_as_alibi_ksdrift_except_where_exact_and_asymptotic_pvalues_straddle_alpha():
    # alibi-detect's KSDrift takes scipy's asymptotic p-value, mlmon's KS scipy's default
    # (exact at these sizes): decisions agree wherever both p-values fall on the same side.
    alpha, n, m = 0.05, 50, 200
    rng = np.random.default_rng(7)
    ref = rng.normal(size=m)
    x = np.concatenate([rng.normal(size=3000), rng.normal(0.3, 1.0, 3000)])
    adapted = Alibi("KSDrift", p_val=alpha, window_size=n, reference_size=m,
                    reset_on_drift=False).fit(ref)
    native = adapted.native_equivalent().fit(ref)
    assert native.get_params() == KS(alpha=alpha, window_size=n, reference_size=m,
                                     reset_on_drift=False).get_params()
    got, want = set(adapted.run(x).indices.tolist()), set(native.run(x).indices.tolist())
    straddle = set()
    for end in range(n - 1, x.shape[0], n):
        w = x[end - n + 1: end + 1]
        exact = stats.ks_2samp(ref, w).pvalue
        asymp = np.float32(stats.ks_2samp(ref, w, method="asymp").pvalue)
        if (exact < alpha) != (asymp < alpha):
            straddle.add(end)
    assert len(want) > 10 and got ^ want == straddle
    assert len(straddle) <= len(want) // 5


def test_not_exportable_and_the_refusal_names_the_native_equivalent():
    from mlmon.export import why_not_exportable

    why = why_not_exportable(Alibi("KSDrift", p_val=0.01, window_size=50, reference_size=200))
    assert "KS(window_size=50, reference_size=200)" in why and "p_val -> alpha" in why
    assert "no native equivalent" in why_not_exportable(Alibi("MMDDrift"))
    assert Alibi("KSDrift", alternative="less").native_equivalent() is None


def test_adapted_detectors_are_benchmarkable_beside_native_and_river():
    from mlmon.benchmark import run
    from mlmon.scenarios import MeanShift

    dets = {"ks": KS(alpha=0.01, window_size=50, reference_size=200),
            "adwin": River("ADWIN"),
            "alibi_ks": Alibi("KSDrift", p_val=0.01, window_size=50, reference_size=200)}
    scen = MeanShift(n_samples=1500, position=800, shift=1.5)
    res = run(dets, [scen], seeds=3, seed=0, progress=False)
    table = res.summary()
    assert sorted(table["detector"]) == ["adwin", "alibi_ks", "ks"]
    streams = [scen.generate(seed=ss) for ss in np.random.SeedSequence(0).spawn(1)[0].spawn(3)]
    for rec in (r for r in res.records if r.detector == "alibi_ks"):
        want = dets["alibi_ks"].clone().run(streams[rec.replicate].signal).indices.tolist()
        assert list(rec.alarms) == want and len(want) > 0
    assert table.set_index("detector").loc["alibi_ks", "detection_rate"] == 1.0


@pytest.mark.parametrize(("params", "match", "error"), [
    ({"detector": "NoSuchDrift"}, "must name one of", ValueError),
    ({"detector": "KSDrift", "update_x_ref": {"last": 10}}, "must not change", ValueError),
    ({"detector": "KSDrift", "no_such": 1}, "has no parameter", TypeError),
    ({"detector": "KSDrift", "p_val": 0.0}, "'p_val' must be a number in", ValueError),
    ({"detector": "MMDDriftOnline", "ert": 0.5}, "'ert'", ValueError),
    ({"detector": "CVMDriftOnline", "window_sizes": []}, "'window_sizes'", ValueError),
    ({"detector": "ClassifierDrift", "backend": "pytorch"}, "needs a model", ValueError),
])
def test_bad_parameters_are_named(params, match, error):
    with pytest.raises(error, match=match):
        Alibi(**params)


def test_alibi_rejections_at_calibration_say_which_detector():
    det = Alibi("MMDDriftOnline", ert=1000.0, window_size=5, n_bootstraps=10, reference_size=50)
    with pytest.raises(ValueError, match="MMDDriftOnline rejected"):
        det.fit(np.random.default_rng(0).normal(size=50))


def test_seeded_runs_leave_the_global_generators_alone():
    import torch

    np.random.seed(123)
    torch.manual_seed(123)
    want_np, want_torch = np.random.random(), torch.rand(1).item()
    np.random.seed(123)
    torch.manual_seed(123)
    Alibi("MMDDrift", window_size=50, reference_size=100, n_permutations=20, seed=0).run(
        _stream(8, n=400, shift_at=200))
    assert np.random.random() == want_np and torch.rand(1).item() == want_torch
