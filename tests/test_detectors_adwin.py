"""ADWIN: the cut statistic, the window, the no-reset variant and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from mlmon.detectors import ADWIN
from mlmon.runtime._adwin import ADWINEngine


def _shift(seed: int, n: int = 3000, at: int = 1500, size: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    x[at:] += size
    return x


def test_statistic_is_below_the_threshold_exactly_where_update_alarms():
    det = ADWIN(threshold=0.01, clock=4, reset_on_drift=False)
    results = [det.update(v) for v in _shift(0)]
    stats = np.array([r.statistic for r in results])
    drifts = np.array([r.drift for r in results])
    tested = ~np.isnan(stats)
    assert tested.sum() == len(results) // 4 - 2  # every 4th value once the window exceeds 10
    assert np.array_equal(drifts, tested & (stats < 0.01))
    assert drifts.sum() >= 2
    assert all(r.pvalue == r.statistic for r in results if r.pvalue is not None)


def test_trace_before_the_first_alarm_does_not_depend_on_the_threshold():
    x = _shift(1)
    loose, strict = ADWIN(threshold=0.2).trace(x), ADWIN(threshold=1e-6).trace(x)
    first = ADWIN(threshold=0.2).run(x).first
    assert first is not None and first > 1500
    assert np.array_equal(loose[: first + 1], strict[: first + 1], equal_nan=True)
    assert not np.array_equal(loose, strict, equal_nan=True)  # the window shrinks at the cut


def test_window_shrinks_after_a_cut_without_reset_and_empties_with_reset():
    x = _shift(2, size=3.0)
    keep = ADWIN(reset_on_drift=False)
    alarms = keep.run(x)
    assert 1500 <= alarms.first < 1600
    assert keep.width_ < 3000 - 1400  # the values before the change are gone
    forget = ADWIN()
    first = forget.run(x[: alarms.first + 1])
    assert first.first == alarms.first and forget.width_ == 0


def test_no_change_keeps_the_whole_window_with_few_buckets():
    det = ADWIN()
    det.run(np.zeros(100_000))
    eng = det.engine_
    assert det.width_ == 100_000
    rows = int(eng.s_[5])
    assert rows <= 17 and eng.cnt_[:rows].max() <= 5
    assert eng.tot_[:rows].sum() == 0.0 and eng.tot_.shape == (64, 6)


def test_null_false_alarms_are_rare():
    # ADWIN's bound is conservative: at threshold 0.002, far fewer than 0.002 x 32 tests
    n_alarms = sum(len(ADWIN().run(np.random.default_rng(s).normal(size=20_000)))
                   for s in range(5))
    assert n_alarms <= 2


def test_engine_runs_in_plain_python_with_the_same_alarms():
    x = _shift(3, n=4000, at=2000, size=0.6)
    det = ADWIN(clock=8)
    eng = ADWINEngine(det.get_params(), {})
    alarms, _ = eng.run(x, reset_on_drift=True)
    assert alarms.tolist() == det.run(x).indices.tolist() and len(alarms) > 0


@pytest.mark.parametrize("params, fragment", [
    ({"threshold": 0.0}, "threshold"),
    ({"threshold": 1.0}, "threshold"),
    ({"max_buckets": 1}, "max_buckets"),
    ({"clock": 0}, "clock"),
    ({"min_window_length": 0}, "min_window_length"),
])
def test_invalid_parameters_name_the_field(params, fragment):
    with pytest.raises(ValueError, match=fragment):
        ADWIN(**params)
