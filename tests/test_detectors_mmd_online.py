"""Online MMD: its statistic is the unbiased MMD^2 of each window, and a threshold calibrated on
bootstrapped reference rows keeps its promised average run length on fresh streams."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmon.detectors import MMDOnline
from mlmon.scenarios import Bootstrap
from mlmon.stats._mmd import mmd_statistic
from mlmon.tuning import calibrate
from mlmon.tuning._solvers import first_alarm


def test_statistic_is_the_unbiased_mmd_of_each_window():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(80, 2))
    x = rng.normal(0.5, 1.0, (40, 2))
    det = MMDOnline(window_size=10, sigma=1.3).fit(ref)
    trace = det.trace(x)
    assert np.isnan(trace[:9]).all()
    for t in (9, 20, 39):
        want = mmd_statistic(ref, x[t - 9: t + 1], sigma=1.3)
        assert trace[t] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_unfitted_detector_collects_its_reference_and_refuses_bad_rows():
    rng = np.random.default_rng(1)
    det = MMDOnline(window_size=5, reference_size=50)
    r = det.update(rng.normal(size=(60, 3)))
    assert det.prepared_ is not None and r.n_seen == 60 and not math.isnan(r.statistic)
    with pytest.raises(ValueError):
        det.update(rng.normal(size=(2, 4)))          # a fourth column appeared
    with pytest.raises(ValueError):
        MMDOnline().fit(np.ones((1, 3)))


def test_calibrated_arl_holds_on_fresh_streams():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(400, 3))
    target = 300
    det = MMDOnline(window_size=10).fit(ref)
    cal = calibrate(det, ref, arl=target, n_runs=100, seed=0)
    assert cal.method == "trace" and cal.estimate >= target
    fresh = Bootstrap(ref, n_samples=20 * target)
    lengths = []
    for ss in np.random.SeedSequence(7).spawn(150):
        first = first_alarm(cal.detector, fresh.generate(seed=ss).signal)   # run(), chunk by chunk
        assert first >= 0, "a run longer than 20 ARLs without an alarm"
        lengths.append(first + 1)
    lengths = np.array(lengths, dtype=float)
    se_fresh = lengths.std(ddof=1) / math.sqrt(lengths.size)
    se_cal = cal.estimate * math.sqrt(cal.dispersion / cal.n_alarms)
    assert abs(lengths.mean() - cal.estimate) <= 3.0 * math.hypot(se_fresh, se_cal)


def test_reference_rows_take_precomputed_kernels_bit_for_bit(monkeypatch):
    # null runs bootstrapped from the reference look their kernels up in the reference's kernel
    # matrix; the values must be exactly those computed directly, or calibration would differ
    import mlmon.detectors._mmd_online as module

    rng = np.random.default_rng(3)
    ref = rng.normal(size=(120, 4))
    rows = np.vstack([ref[rng.integers(0, 120, 300)], rng.normal(size=(50, 4))])
    fast = MMDOnline(window_size=8).fit(ref).trace(rows)
    monkeypatch.setattr(module, "_MAX_TABLE_ROWS", 0)
    slow = MMDOnline(window_size=8).fit(ref).trace(rows)
    assert np.array_equal(fast, slow, equal_nan=True)
