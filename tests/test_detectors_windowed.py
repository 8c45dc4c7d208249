"""KS and PSI: agreement with scipy and with their formulas, windowing, runtime engines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.detectors import KS, PSI
from mlmon.detectors._ks import LatticePValues, lattice_pvalues, pvalue_table
from mlmon.runtime._windowed import (
    PSI_EPSILON,
    KSEngine,
    PSIEngine,
    ks_numerators,
    psi_edges,
    psi_sum,
    psi_terms,
)


def _tested(det, x):
    """(position, DriftResult) of every update that ran a test."""
    out = []
    for i, v in enumerate(x.tolist()):
        r = det.update(v)
        if not math.isnan(r.statistic):
            out.append((i, r))
    return out


# --- KS against scipy ------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "m", "step"), [(100, 500, None), (30, 45, 7), (20, 50, 1), (7, 11, 3)])
def test_ks_statistic_and_pvalue_equal_scipy_exactly(n, m, step):
    rng = np.random.default_rng(0)
    ref = np.round(rng.normal(size=m), 1)  # rounding makes ties within and across samples
    x = np.round(rng.normal(0.3, 1.0, 1500), 1)
    det = KS(window_size=n, reference_size=m, step=step, reset_on_drift=False).fit(ref)
    tested = _tested(det, x)
    assert len(tested) == (x.shape[0] - n) // det.engine_.step + 1
    for i, r in tested:
        want = stats.ks_2samp(x[i - n + 1: i + 1], ref)
        assert r.statistic == want.statistic
        assert r.pvalue == want.pvalue
        assert r.drift == (want.pvalue < det.alpha)


def test_ks_asymptotic_sizes_agree_with_scipy_to_rounding():
    # above 10,000 values scipy's 'auto' uses the asymptotic distribution of the float D,
    # whose last bits depend on how the samples reach it: agreement to 1e-9, not bit for bit
    rng = np.random.default_rng(1)
    n, m = 100, 10_100
    ref = rng.normal(size=m)
    det = KS(window_size=n, reference_size=m, reset_on_drift=False).fit(ref)
    x = rng.normal(0.1, 1.0, 1000)
    tr = det.trace(x)
    for i in np.flatnonzero(~np.isnan(tr)):
        want = stats.ks_2samp(x[i - n + 1: i + 1], ref)
        assert tr[i] == pytest.approx(want.pvalue, rel=1e-9)


def test_ks_numerators_match_brute_force_ecdf_gaps():
    rng = np.random.default_rng(2)
    for n, m in [(5, 7), (4, 8), (10, 3)]:
        g = math.gcd(n, m)
        lcm = n // g * m
        for _ in range(50):
            w = rng.integers(0, 6, n).astype(float)
            r = np.sort(rng.integers(0, 6, m).astype(float))
            pts = np.concatenate([w, r])
            gaps = [abs(np.sum(w <= p) * (lcm // n) - np.sum(r <= p) * (lcm // m)) for p in pts]
            assert ks_numerators(w[None, :], r, lcm // n, lcm // m)[0] == max(gaps)


def test_pvalue_table_is_scipys_monotone_and_shared():
    table = pvalue_table(12, 18)
    assert table.shape == (37,) and not table.flags.writeable
    assert table[0] == 1.0 and np.all(np.diff(table) <= 0)
    lazy = LatticePValues(12, 18)
    assert np.array_equal(lazy[np.arange(37)], table)
    w = np.r_[np.zeros(9), np.ones(3)]
    r = np.r_[np.zeros(4), np.ones(14)]
    h = round(stats.ks_2samp(w, r).statistic * 36)
    assert table[h] == stats.ks_2samp(w, r).pvalue
    assert lattice_pvalues(12, 18) is lattice_pvalues(12, 18)


def test_ks_decision_is_pvalue_below_alpha_via_critical_numerator():
    det = KS(alpha=0.05, window_size=30, reference_size=45)
    eng = det.engine_
    table = pvalue_table(30, 45)
    assert table[eng.critical_] < 0.05 <= table[eng.critical_ - 1]


def test_ks_rejects_sizes_with_a_huge_lattice():
    with pytest.raises(ValueError, match="lattice of lcm"):
        KS(window_size=1000, reference_size=997)
    with pytest.raises(ValueError, match="multiple of window_size"):
        KS(window_size=1000, reference_size=1000).fit(np.arange(997.0))


# --- PSI against its formula -----------------------------------------------------------------


def _psi_by_hand(window, reference, n_bins):
    ordered = sorted(reference)
    # smallest value whose empirical CDF reaches k / n_bins
    edges = sorted({ordered[math.ceil(k * len(ordered) / n_bins) - 1] for k in range(1, n_bins)})

    def props(sample):
        counts = [0] * (len(edges) + 1)
        for v in sample:
            counts[sum(1 for e in edges if v > e)] += 1
        return [max(c / len(sample), PSI_EPSILON) for c in counts]
    a, e = props(window), props(reference)
    return sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e))


@pytest.mark.parametrize(("shift", "discrete"), [(0.0, False), (0.7, False), (3.0, False), (0.0, True), (1.0, True)])
def test_psi_equals_its_formula(shift, discrete):
    rng = np.random.default_rng(3)
    ref = rng.normal(size=400)
    x = rng.normal(shift, 1.0, 600)
    if discrete:
        ref, x = np.round(ref), np.round(x)
    det = PSI(window_size=100, reference_size=400, reset_on_drift=False).fit(ref)
    tested = _tested(det, x)
    assert [i for i, _ in tested] == [99, 199, 299, 399, 499, 599]
    for i, r in tested:
        want = _psi_by_hand(x[i - 99: i + 1], ref, 10)
        assert r.statistic == pytest.approx(want, rel=1e-12, abs=1e-15)
        assert r.drift == (r.statistic > det.threshold) and r.pvalue is None


def test_psi_discrete_reference_drops_duplicate_edges():
    ref = np.repeat([0.0, 1.0, 2.0], [700, 200, 100])
    edges, expected = psi_edges(ref, 10)
    assert edges.tolist() == [0.0, 1.0]
    assert expected.tolist() == [0.7, 0.2, 0.1]
    det = PSI(window_size=500, reference_size=1000).fit(ref)
    rng = np.random.default_rng(4)
    same = rng.choice([0.0, 1.0, 2.0], p=[0.7, 0.2, 0.1], size=5000)
    assert len(det.run(same)) == 0  # PSI of a 500-window under the null is ~0.005, far below 0.2
    moved = rng.choice([0.0, 1.0, 2.0], p=[0.3, 0.3, 0.4], size=500)
    assert det.reset().run(moved).indices.tolist() == [499]


def test_psi_sum_bits_do_not_depend_on_how_many_windows_are_summed():
    rng = np.random.default_rng(5)
    terms = psi_terms(rng.dirichlet(np.ones(10)), 100)
    counts = rng.multinomial(100, np.ones(10) / 10, size=500)
    together = psi_sum(terms, counts)
    one_by_one = np.array([psi_sum(terms, c[None, :])[0] for c in counts])
    assert np.array_equal(together, one_by_one)


# --- windowing ----------------------------------------------------------------------------------


def test_unfitted_detector_collects_its_reference_then_tests_every_step():
    x = np.random.default_rng(6).normal(size=200)
    det = KS(window_size=10, reference_size=50, step=15)
    positions = np.flatnonzero(~np.isnan(det.trace(x))).tolist()
    assert positions == list(range(59, 200, 15))
    results = [det.update(v) for v in x[:59]]
    assert all(math.isnan(r.statistic) and r.pvalue is None and not r.drift for r in results)
    assert [r.n_seen for r in results][-1] == 59


def test_reset_after_drift_keeps_a_fitted_reference_and_recollects_otherwise():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(size=300), rng.normal(4.0, 1.0, 300)])
    fitted = KS(window_size=50, reference_size=100).fit(x[:100])
    # windows end at 49, 99, ...; the first window past 300 alarms, and, the reference kept,
    # every next window of shifted data alarms too
    assert fitted.run(x).indices.tolist() == [349, 399, 449, 499, 549, 599]
    unfitted = KS(window_size=50, reference_size=100)
    # reference x[:100]; alarm at 349; new reference x[350:450] (shifted): no more alarms
    assert unfitted.run(x).indices.tolist() == [349]


def test_ks_reference_size_and_fitted_length_set_the_lattice():
    det = KS(window_size=10, reference_size=40)
    assert det.engine_.lcm_ == 40
    det.fit(np.arange(25.0))
    assert det.engine_.lcm_ == 50 and det._export_state()["pvalue_table"].shape == (51,)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["KS", "PSI"]),
    window=st.integers(1, 12),
    reference=st.integers(5, 30),
    step=st.one_of(st.none(), st.integers(1, 20)),
    reset=st.booleans(),
    fitted=st.booleans(),
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(0, 300), max_size=4),
)
def test_run_equals_update_loop_for_any_windowing(kind, window, reference, step, reset, fitted, seed, cuts):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=300) + np.where((np.arange(300) // 60) % 2, 2.0, 0.0)
    if kind == "KS":
        det = KS(alpha=0.2, window_size=window, reference_size=reference, step=step, reset_on_drift=reset)
    else:
        det = PSI(threshold=0.3, n_bins=4, window_size=window, reference_size=reference, step=step,
                  reset_on_drift=reset)
    a, b, c = det.clone(), det.clone(), det.clone()
    if fitted:
        for d in (a, b, c):
            d.fit(x[:reference])
    loop = [i for i, v in enumerate(x.tolist()) if b.update(v).drift]
    assert a.run(x).indices.tolist() == loop
    bounds = [0, *sorted(cuts), 300]
    pieces = [i + s for s, e in zip(bounds[:-1], bounds[1:]) if e > s for i in c.run(x[s:e]).indices.tolist()]
    assert pieces == loop
    for v in rng.normal(size=40).tolist():
        ra, rb, rc = a.update(v), b.update(v), c.update(v)
        assert (ra.drift, ra.n_seen, ra.pvalue) == (rb.drift, rb.n_seen, rb.pvalue) == (rc.drift, rc.n_seen, rc.pvalue)
        assert np.array_equal([ra.statistic, rb.statistic], [rc.statistic, rc.statistic], equal_nan=True)


# --- runtime engines ------------------------------------------------------------------------------


@pytest.mark.parametrize("fitted", [True, False])
@pytest.mark.parametrize("make", [
    lambda: KS(window_size=50, reference_size=200, step=10),
    lambda: PSI(window_size=100, reference_size=300, step=25),
])
def test_runtime_engines_reproduce_the_research_detector_bit_for_bit(make, fitted):
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.normal(size=1500), rng.normal(0.8, 1.0, 1500)])
    det = make()
    if fitted:
        det.fit(rng.normal(size=det.reference_size))
    state = det._export_state()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    engine_cls = KSEngine if isinstance(det, KS) else PSIEngine
    eng = engine_cls(det.get_params(), state)
    assert np.array_equal(eng.trace(x), det.trace(x), equal_nan=True)
    alarms, warnings = eng.run(x, det.reset_on_drift)
    assert alarms.tolist() == det.run(x).indices.tolist() and warnings.size == 0
    eng.reset()
    det.reset()
    for v in x[:700].tolist():
        flag, stat, n_seen = eng.update_one(v, True)
        r = det.update(v)
        assert (flag == 2, n_seen) == (r.drift, r.n_seen)
        assert stat == r.statistic or (math.isnan(stat) and math.isnan(r.statistic))
        assert eng.pvalue_ == r.pvalue


def test_runtime_module_imports_only_numpy():
    import ast
    import inspect

    import mlmon.runtime._windowed as mod

    tree = ast.parse(inspect.getsource(mod))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "math", "typing", "numpy"}


def test_engines_reject_inconsistent_fitted_state():
    params = KS(window_size=10, reference_size=20).get_params()
    with pytest.raises(ValueError, match="21 entries"):
        KSEngine(params, {"pvalue_table": np.ones(5)})
    with pytest.raises(ValueError, match="pvalue_table"):
        KSEngine(params, {})
    with pytest.raises(ValueError, match="one entry per bin"):
        PSIEngine(PSI().get_params(), {"edges": np.array([0.0, 1.0]), "expected": np.ones(2)})


def test_export_state_round_trips_through_import_state():
    rng = np.random.default_rng(9)
    for det in (KS(window_size=20, reference_size=60).fit(rng.normal(size=60)),
                PSI(window_size=50, reference_size=100).fit(rng.normal(size=100))):
        back = det.clone()
        back._import_state(det._export_state())
        x = rng.normal(0.5, 1.0, 2000)
        assert back.run(x) == det.run(x)


# --- statistics ---------------------------------------------------------------------------------


def test_ks_false_alarm_rate_per_test_is_at_most_alpha():
    # 400 independent null runs, one test each (fresh reference): alarms ~ Binomial(400, <=0.05);
    # the 0.999 quantile of Binomial(400, 0.05) is 35
    alarms = 0
    for seed in np.random.SeedSequence(5).spawn(400):
        x = np.random.default_rng(seed).normal(size=150)
        alarms += len(KS(alpha=0.05, window_size=50, reference_size=100).run(x))
    assert alarms <= stats.binom.ppf(0.999, 400, 0.05)
    assert alarms >= stats.binom.ppf(0.001, 400, 0.035)  # not vacuous: the exact test is close to alpha
