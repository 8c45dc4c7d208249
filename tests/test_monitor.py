"""The Monitor: error control across features and over a schedule, practical significance,
missing values, ranking, bad input; the one-line label and prediction checks."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.monitor import Monitor, Schedule, column_kind, label_drift, prediction_drift
from mlmon.stats._multiple import adjust_pvalues, reject

#: probability that a statistical check below fails by chance on a correct implementation
LEVEL = 1e-3


def _frame(rng, n, *, shift=0.0, n_numeric=6, n_categorical=2, drifted=()):
    data = {}
    for j in range(n_numeric):
        data[f"x{j}"] = rng.normal(shift if f"x{j}" in drifted else 0.0, 1.0, n)
    for j in range(n_categorical):
        p = [0.5, 0.3, 0.2] if f"c{j}" not in drifted else [0.3, 0.3, 0.4]
        data[f"c{j}"] = rng.choice(["a", "b", "c"], n, p=p)
    return pd.DataFrame(data)


def _null_looks(monitor, n_looks, seed, *, n_ref=400, n_cur=150):
    rng = np.random.default_rng(seed)
    monitor.fit(_frame(rng, n_ref))
    return np.array([monitor.check(_frame(rng, n_cur)).drift for _ in range(n_looks)])


# --- the corrections themselves ------------------------------------------------------------


def _holm_by_definition(p, alpha):
    order = np.argsort(p, kind="stable")
    out = np.zeros(len(p), dtype=bool)
    for rank, i in enumerate(order):
        if p[i] > alpha / (len(p) - rank):
            break
        out[i] = True
    return out


def _bh_by_definition(p, alpha):
    m = len(p)
    ranked = np.sort(p)
    ok = np.flatnonzero(ranked <= alpha * np.arange(1, m + 1) / m)
    return p <= ranked[ok[-1]] if ok.size else np.zeros(m, dtype=bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), st.sampled_from([0.01, 0.05, 0.2]))
def test_corrections_reject_what_their_definitions_reject(p, alpha):
    p = np.array(p)
    assert np.array_equal(reject(p, alpha=alpha, method="holm"), _holm_by_definition(p, alpha))
    assert np.array_equal(reject(p, alpha=alpha, method="bh"), _bh_by_definition(p, alpha))
    assert np.array_equal(reject(p, alpha=alpha, method="bonferroni"), p * len(p) <= alpha)
    # Holm rejects everything Bonferroni does, BH everything Holm does
    bonf, holm, bh = (reject(p, alpha=alpha, method=m) for m in ("bonferroni", "holm", "bh"))
    assert np.all(holm >= bonf) and np.all(bh >= holm)


def test_corrections_refuse_bad_pvalues_and_methods():
    with pytest.raises(ValueError, match="entry 1"):
        adjust_pvalues([0.1, np.nan])
    with pytest.raises(ValueError, match="method must be one of"):
        adjust_pvalues([0.1], method="sidak")
    with pytest.raises(ValueError, match="1-D"):
        adjust_pvalues([[0.1]])


# --- error control -------------------------------------------------------------------------


@pytest.mark.parametrize("correction", ["bonferroni", "holm", "bh"])
def test_family_level_holds_per_look_under_the_null(correction):
    # 8 hypotheses per look (6 KS, 2 chi-square), independent null looks: the number of looks
    # with any alarm is binomial with rate at most alpha
    n_looks, alpha = 300, 0.1
    alarms = _null_looks(Monitor(alpha=alpha, correction=correction), n_looks, seed=1)
    upper = stats.binom.ppf(1 - LEVEL, n_looks, alpha)
    assert alarms.sum() <= upper
    # and the control is not bought by never alarming: with independent tests the family
    # rate is 1 - (1 - alpha/8)^8 = 0.096, the discrete tests make it a little smaller
    assert alarms.sum() >= stats.binom.ppf(LEVEL, n_looks, alpha / 2)


def test_without_correction_the_family_level_is_exceeded():
    # the reason corrections exist: 8 tests at 0.1 each alarm on most null looks
    alarms = _null_looks(Monitor(alpha=0.1, correction="none"), 100, seed=2)
    assert alarms.sum() > stats.binom.ppf(1 - LEVEL, 100, 0.1)


def test_bh_controls_the_false_discovery_rate_with_true_drifts():
    rng = np.random.default_rng(3)
    monitor = Monitor(alpha=0.2, correction="bh").fit(_frame(rng, 400, n_numeric=10))
    drifted = {"x0", "x1", "x2"}
    fdp = []
    for _ in range(200):
        report = monitor.check(_frame(rng, 150, shift=0.35, n_numeric=10, drifted=drifted))
        found = set(report.drifted)
        fdp.append(len(found - drifted) / max(len(found), 1))
    fdp = np.array(fdp)
    # mean of 200 bounded proportions: its standard error is at most sd / sqrt(200)
    bound = 0.2 + stats.norm.ppf(1 - LEVEL) * fdp.std(ddof=1) / np.sqrt(len(fdp))
    assert fdp.mean() <= bound


def test_schedule_keeps_the_false_alarms_per_period():
    # 100 looks a period, 2 false alarms allowed: over 400 null looks at most 8 expected
    schedule = Schedule(looks=100, false_alarms=2.0)
    monitor = Monitor(schedule=schedule, correction="holm")
    assert monitor.level == 0.02
    alarms = _null_looks(monitor, 400, seed=4, n_cur=100)
    assert alarms.sum() <= stats.binom.ppf(1 - LEVEL, 400, 0.02)


def test_schedule_and_alpha_are_exclusive_and_checked():
    with pytest.raises(ValueError, match="either alpha"):
        Monitor(alpha=0.05, schedule=Schedule(looks=10))
    with pytest.raises(ValueError, match="false_alarms"):
        Schedule(looks=10, false_alarms=10)
    with pytest.raises(ValueError, match="looks"):
        Schedule(looks=0)


# --- decisions, ranking, practical significance ------------------------------------------------


def test_ranking_puts_drifted_features_first_by_effect_size():
    rng = np.random.default_rng(5)
    ref = _frame(rng, 2000)
    cur = _frame(rng, 1000)
    cur["x1"] += 0.3
    cur["x4"] += 1.0
    report = Monitor().fit(ref).check(cur)
    assert report.drifted == ("x4", "x1")
    table = report.to_frame()
    assert table["feature"].tolist()[:2] == ["x4", "x1"]
    assert table["drift"].tolist() == [True, True] + [False] * (len(table) - 2)
    assert report["x4"].result.effect_size > report["x1"].result.effect_size


def test_min_effect_silences_tiny_but_significant_shifts_and_reports_power():
    rng = np.random.default_rng(6)
    n = 200_000
    ref = pd.DataFrame({"x": rng.normal(0, 1, n)})
    cur = pd.DataFrame({"x": rng.normal(0.05, 1, n)})   # KS distance about 0.02
    plain = Monitor().fit(ref).check(cur)
    assert plain["x"].drift and plain["x"].power is None
    practical = Monitor(min_effect=0.1).fit(ref).check(cur)
    assert practical["x"].significant and not practical["x"].drift
    assert practical["x"].power is not None and practical["x"].power > 0.99
    # with small windows the same minimum effect may be missed, and the report says so
    small = Monitor(min_effect=0.1).fit(ref.iloc[:200]).check(cur.iloc[:50])
    assert small["x"].power < 0.5


def test_min_effect_per_column_and_per_test():
    m = Monitor(min_effect={"x0": 0.5, "chi_square": 0.2})
    rng = np.random.default_rng(7)
    report = m.fit(_frame(rng, 500)).check(_frame(rng, 200))
    assert report["x0"].min_effect == 0.5 and report["c0"].min_effect == 0.2
    assert report["x1"].min_effect is None


def test_missing_values_are_tested_not_dropped():
    rng = np.random.default_rng(8)
    ref = _frame(rng, 1000)
    cur = _frame(rng, 500)
    cur.loc[: 99, "x2"] = np.nan          # a pipeline starts dropping 20% of a column
    cur.loc[: 49, "c1"] = None
    report = Monitor().fit(ref).check(cur)
    assert "x2 (null rate)" in report.drifted
    assert "c1" in report.drifted          # missing is a category of its own
    assert "20.00% in current" in report["x2 (null rate)"].note
    assert not report["x2"].drift          # the values that remain did not move


def test_column_kinds_and_tests_are_chosen_by_type():
    ref = pd.DataFrame({"num": np.arange(100.0), "flag": [True, False] * 50,
                        "zero_one": [0, 1] * 50, "cat": list("abcd") * 25})
    m = Monitor().fit(ref)
    assert m.kinds_ == {"num": "numeric", "flag": "binary", "zero_one": "binary", "cat": "categorical"}
    assert m.tests_ == {"num": "ks", "flag": "chi_square", "zero_one": "chi_square", "cat": "chi_square"}
    m = Monitor(tests={"num": "mann_whitney"}, kinds={"zero_one": "numeric"}).fit(ref)
    assert m.tests_["num"] == "mann_whitney" and m.tests_["zero_one"] == "ks"
    assert column_kind(pd.Series([1.5, np.nan, 2.5, 3.5])) == "numeric"


def test_bad_input_gets_clear_errors():
    rng = np.random.default_rng(9)
    ref = _frame(rng, 100)
    with pytest.raises(ValueError, match="numeric_test"):
        Monitor(numeric_test="nope")
    with pytest.raises(ValueError, match="no p-value"):
        Monitor(numeric_test="psi")
    with pytest.raises(ValueError, match="categorical"):
        Monitor(categorical_test="ks")
    with pytest.raises(ValueError, match="correction"):
        Monitor(correction="fdr")
    with pytest.raises(ValueError, match="min_effect"):
        Monitor(min_effect=-1.0)
    with pytest.raises(RuntimeError, match="fit"):
        Monitor().check(ref)
    with pytest.raises(TypeError, match="DataFrame"):
        Monitor().fit(ref.to_numpy())
    with pytest.raises(ValueError, match="not in the reference"):
        Monitor(columns=["x0", "zz"]).fit(ref)
    with pytest.raises(ValueError, match="not monitored"):
        Monitor(columns=["x0"], tests={"x1": "ks"}).fit(ref)
    with pytest.raises(ValueError, match="lacks monitored columns"):
        Monitor().fit(ref).check(ref.drop(columns=["x3"]))
    with pytest.raises(ValueError, match="numeric in the reference"):
        Monitor().fit(ref).check(ref.assign(x0="text"))
    with pytest.raises(ValueError, match="infinite"):
        Monitor().fit(ref).check(ref.assign(x0=np.inf))
    with pytest.raises(ValueError, match="identifier"):
        Monitor().fit(pd.DataFrame({"id": [f"u{i}" for i in range(100)]}))
    with pytest.raises(ValueError, match="no rows"):
        Monitor().fit(ref.iloc[:0])


def test_a_column_empty_in_current_is_reported_not_skipped():
    rng = np.random.default_rng(10)
    ref = _frame(rng, 300)
    cur = _frame(rng, 100)
    cur["x0"] = np.nan
    report = Monitor().fit(ref).check(cur)
    assert report["x0"].result is None and "no present values" in report["x0"].note
    assert report["x0 (null rate)"].drift


# --- one-liners -------------------------------------------------------------------------------


def test_label_and_prediction_drift_one_liners():
    rng = np.random.default_rng(11)
    same = label_drift(rng.choice(["cat", "dog"], 3000), rng.choice(["cat", "dog"], 800))
    assert same.result.test == "chi_square" and 0 <= same.result.pvalue <= 1
    moved = prediction_drift(rng.normal(0, 1, 3000), rng.normal(0.5, 1, 800))
    assert moved.drift and moved.result.test == "ks"
    regression = label_drift(rng.gamma(2.0, size=3000), rng.gamma(2.0, size=800), test="mann_whitney")
    assert regression.result.test == "mann_whitney"
    with pytest.raises(ValueError, match="non-empty"):
        label_drift([], [1, 2])


def test_one_liner_calibration_under_the_null():
    # each one-liner is a single test at alpha: its rejection rate is binomial at most alpha
    rng = np.random.default_rng(12)
    hits = sum(prediction_drift(rng.normal(size=300), rng.normal(size=100), alpha=0.1).drift
               for _ in range(300))
    assert hits <= stats.binom.ppf(1 - LEVEL, 300, 0.1)


def test_report_renders_in_notebooks():
    rng = np.random.default_rng(13)
    report = Monitor().fit(_frame(rng, 300)).check(_frame(rng, 100))
    html = report._repr_html_()
    assert "<table" in html and "hypotheses" in html
    assert list(itertools.islice(report.to_frame().columns, 3)) == ["feature", "kind", "drift"]


def test_multivariate_tests_join_the_family_and_catch_joint_drift():
    # correlation flips, every marginal stays standard normal: only a joint test sees it
    rng = np.random.default_rng(14)
    cov = [[1.0, 0.8], [0.8, 1.0]]
    ref = pd.DataFrame(rng.multivariate_normal([0, 0], cov, 400), columns=["a", "b"])
    cur = pd.DataFrame(rng.multivariate_normal([0, 0], [[1.0, -0.8], [-0.8, 1.0]], 200),
                       columns=["a", "b"])
    report = Monitor(multivariate=["mmd"], seed=0).fit(ref).check(cur)
    assert report.drifted == ("[mmd]",)
    assert report["[mmd]"].kind == "multivariate" and len(report.features) == 3
    with pytest.raises(ValueError, match="unknown"):
        Monitor(multivariate=["nope"])
    with pytest.raises(ValueError, match="at least 2 numeric"):
        Monitor(multivariate=["mmd"]).fit(ref[["a"]])


def test_threads_give_the_same_report():
    rng = np.random.default_rng(15)
    ref, cur = _frame(rng, 2000), _frame(rng, 800, shift=0.2, drifted={"x1", "c0"})
    cur.loc[:30, "x3"] = np.nan
    one = Monitor(min_effect=0.01, seed=0).fit(ref).check(cur).to_frame()   # seeded power
    two = Monitor(min_effect=0.01, seed=0, n_jobs=2).fit(ref).check(cur).to_frame()
    pd.testing.assert_frame_equal(one, two)
    with pytest.raises(ValueError, match="n_jobs"):
        Monitor(n_jobs=0)


def test_one_liner_result_renders_in_notebooks():
    rng = np.random.default_rng(16)
    html = label_drift(rng.binomial(1, 0.2, 500), rng.binomial(1, 0.2, 200))._repr_html_()
    assert "<table" in html and "chi_square" in html and "pvalue_adjusted" in html
