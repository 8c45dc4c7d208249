"""Windowed multivariate detectors: MMD, LSDD, ClassifierTest, PCAReconstruction, Embedding."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import mlmon.detectors as detectors_pkg
from mlmon.detectors._embedding import Embedding, RandomEncoder
from mlmon.detectors._multivariate import LSDD, MMD, ClassifierTest, PCAReconstruction
from mlmon.stats._mmd import mmd
from mlmon.testing import CHECKS, SkipCheck, detector_instances, slow_checks
from mlmon.testing._streams import null_stream, shifted_stream

CLASSES = [MMD, LSDD, ClassifierTest, PCAReconstruction, Embedding]
P_VALUE_CLASSES = [MMD, LSDD, ClassifierTest, Embedding]


def _corr_rows(rng, n, rho):
    return rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)


# tests/test_conformance.py runs every detector mlmon.detectors registers on import; the
# classes the package does not import (yet) get the same checks here.
def _not_in_package(cls) -> bool:
    return getattr(detectors_pkg, cls.__name__, None) is not cls


CONFORMANCE = [
    pytest.param(det, check, id=f"{cls.__name__}[{i}]-{check.name}",
                 marks=[pytest.mark.slow] if check.name in slow_checks(det) else [])
    for cls in CLASSES if _not_in_package(cls)
    for i, det in enumerate(detector_instances(cls))
    for check in CHECKS
]


@pytest.mark.parametrize(("detector", "check"), CONFORMANCE)
def test_conformance_of_multivariate_detectors(detector, check):
    try:
        check(detector)
    except SkipCheck as why:
        # tests with p-values must go through the p-value check, not around it
        assert not (check.name == "pvalues_valid_under_null" and type(detector) in P_VALUE_CLASSES), why
        pytest.skip(str(why))


def test_signal_kind_and_not_exportable():
    from mlmon.export import why_not_exportable

    for cls in CLASSES:
        det = cls()
        assert det.signal_kind == "multivariate" and det.exportable is False
        assert "multivariate" in why_not_exportable(det)


def test_first_test_matches_the_batch_mmd():
    rng = np.random.default_rng(0)
    ref, x = rng.normal(size=(80, 3)), rng.normal(0.3, 1.0, size=(40, 3))
    det = MMD(alpha=0.05, window_size=40, sigma=1.5, n_permutations=99, backend="numpy",
              seed=5).fit(ref)
    r = det.update(x)
    batch = mmd(ref, x, sigma=1.5, n_permutations=99, backend="numpy", seed=5)
    assert r.pvalue == batch.pvalue
    assert r.statistic == pytest.approx(batch.statistic, rel=1e-10, abs=1e-14)
    p = det.clone().fit(ref).trace(x)
    assert np.isnan(p[:-1]).all() and p[-1] == batch.pvalue


def test_windowing_positions_and_update_forms():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(130, 2))
    det = MMD(window_size=20, reference_size=50, step=15, n_permutations=100, backend="numpy")
    tested = np.flatnonzero(~np.isnan(det.trace(x)))
    assert tested.tolist() == [69, 84, 99, 114, 129]
    # one row (list), a batch (array) and a DataFrame give the same results
    a = det.clone()
    rows = [a.update(list(row)) for row in x[:70]]
    assert rows[-1].pvalue is not None and all(r.pvalue is None for r in rows[:-1])
    assert [r.n_seen for r in rows] == list(range(1, 71))
    b = det.clone()
    batch = b.update(pd.DataFrame(x[:70], columns=["u", "v"]))
    assert batch == rows[-1]


def test_update_reports_the_first_drift_of_a_batch():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(size=(60, 2)), rng.normal(4.0, 1.0, size=(60, 2))])
    det = MMD(window_size=20, reference_size=60, n_permutations=100, backend="numpy",
              reset_on_drift=False)
    r = det.update(x)
    assert r.drift and r.n_seen == 120 and r.pvalue < 0.01
    assert det.clone().run(x).first == 79


@pytest.mark.parametrize("cls", [MMD, LSDD, ClassifierTest, Embedding])
def test_detects_a_shift_of_one_feature(cls):
    det = cls(window_size=50, reference_size=200, **({"n_folds": 3} if cls is ClassifierTest else {}))
    x = shifted_stream("multivariate", 600, seed=3, change=400)
    first = det.run(x).first
    assert first is not None and 400 <= first < 500


def test_classifier_test_sees_a_correlation_change():
    rng = np.random.default_rng(4)
    x = np.concatenate([_corr_rows(rng, 400, 0.0), _corr_rows(rng, 200, 0.9)])
    first = ClassifierTest(window_size=100, reference_size=100, n_folds=3).run(x).first
    assert first is not None and 400 <= first < 600


def test_pca_reconstruction():
    rng = np.random.default_rng(5)
    ref = null_stream("multivariate", 500, seed=5)
    det = PCAReconstruction(window_size=100).fit(ref)
    assert det.n_components_ == 1  # 3 features with correlation 0.9: 93% of the variance
    null = det.trace(null_stream("multivariate", 1000, seed=6))
    values = null[~np.isnan(null)]
    # mean of 100 rows of a 2-dof residual relative to its mean: sd about 0.1
    assert np.all(np.abs(values - 1.0) < 0.5)
    broken = det.trace(rng.normal(size=(100, 3)))  # correlation gone
    assert broken[-1] > 5.0
    assert PCAReconstruction(n_components=2, window_size=10).fit(ref).n_components_ == 2
    with pytest.raises(ValueError, match="keeps every one of the 3 features"):
        PCAReconstruction(n_components=3).fit(ref)
    with pytest.raises(ValueError, match="n_components"):
        PCAReconstruction(n_components=1.5)
    with pytest.raises(ValueError, match="n_components"):
        PCAReconstruction(n_components=0)


def test_embedding_encoders():
    rng = np.random.default_rng(6)
    ref = rng.normal(size=(200, 10))
    x = np.concatenate([rng.normal(size=(100, 10)), rng.normal(1.0, 1.0, (100, 10))])

    def first_two(rows):
        return rows[:, :2]

    det = Embedding(encoder=first_two, window_size=50, backend="numpy").fit(ref)
    assert det.run(x).first == 149
    enc = RandomEncoder(10, 32, 8, mean=np.zeros(10), scale=np.ones(10), seed=0)
    assert np.array_equal(enc(ref), RandomEncoder(10, 32, 8, mean=np.zeros(10),
                                                  scale=np.ones(10), seed=0)(ref))
    bad = Embedding(encoder=lambda rows: rows.sum(axis=1), window_size=50)
    with pytest.raises(ValueError, match=r"map \(n, d\) rows to \(n, k\) codes"):
        bad.fit(ref)
    with pytest.raises(TypeError, match="encoder"):
        Embedding(encoder="not callable")


def test_embedding_with_a_torch_module():
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    layer = torch.nn.Linear(10, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(3, 10, generator=gen))
        layer.bias.zero_()
    rng = np.random.default_rng(7)
    ref = rng.normal(size=(200, 10))
    x = np.concatenate([rng.normal(size=(100, 10)), rng.normal(1.0, 1.0, (100, 10))])
    det = Embedding(encoder=layer.eval(), window_size=50, backend="numpy").fit(ref)
    alarms = det.run(x)
    assert alarms.first is not None and 100 <= alarms.first < 200
    assert det.reset().run(x) == alarms


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"alpha": 0.001, "n_permutations": 100}, "could never fire"),
    ({"sigma": -1.0}, "sigma"),
    ({"backend": "jax"}, "backend"),
    ({"reference_size": 1}, "reference_size"),
])
def test_mmd_bad_params(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MMD(**kwargs)


def test_bad_params_of_the_other_detectors():
    with pytest.raises(ValueError, match="n_kernel_centers=50 must be below"):
        LSDD(reference_size=50, n_kernel_centers=50)
    with pytest.raises(ValueError, match="n_folds=5 needs at least"):
        ClassifierTest(window_size=4)
    with pytest.raises(TypeError, match="model must be a scikit-learn classifier"):
        ClassifierTest(model=object())


def test_bad_rows_name_the_problem():
    det = MMD(window_size=20).fit(np.zeros((50, 3)) + np.arange(150.0).reshape(50, 3))
    with pytest.raises(ValueError, match="x has 2 columns, expected 3"):
        det.update([1.0, 2.0])
    with pytest.raises(ValueError, match="signal has 4 columns, expected 3"):
        det.run(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="got the scalar 1.0"):
        det.update(1.0)
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        det.update([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="signal must be 2-D"):
        det.run(np.zeros(5))


def test_importing_the_detectors_loads_no_torch():
    code = ("import sys, mlmon.detectors._multivariate, mlmon.detectors._embedding, "
            "mlmon.stats._mmd; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mmd_detector_backends_agree():
    pytest.importorskip("torch")
    x = shifted_stream("multivariate", 400, seed=10, change=250)
    kwargs = {"alpha": 0.05, "window_size": 30, "reference_size": 100, "step": 10,
              "n_permutations": 50, "reset_on_drift": False}
    a = MMD(backend="numpy", **kwargs).trace(x)
    b = MMD(backend="torch", **kwargs).trace(x)
    assert np.array_equal(a, b, equal_nan=True)
    assert MMD(backend="numpy", **kwargs).run(x) == MMD(backend="torch", **kwargs).run(x)
