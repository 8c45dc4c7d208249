"""Shadow deployments (mlmon.ab._shadow) and segment breakdowns (mlmon.ab._segments).

Closed forms are checked against hand computations and scipy; Monte Carlo checks use fixed
seeds and binomial bounds: a count of rejections out of ``R`` null replicates is compared with
the ``1 - 1e-4`` quantile of Binomial(R, alpha), so each fails by chance with probability
below 1e-4, and a KS test of uniformity is read at level 1e-3.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import special, stats

from mlmon.ab import ABResult, SegmentReport, ShadowReport, by_segment, shadow
from mlmon.ab._segments import cochran_q
from mlmon.ab._shadow import mcnemar_exact, paired_accuracy_interval
from mlmon.stats import adjust_pvalues

BOUND_Q = 1 - 1e-4  # quantile of the binomial count a correct procedure stays under


def welch(control, treatment, *, confidence=0.95, report_se=True):
    """A small Welch t-test returning ABResult (closed form; checked against scipy below)."""
    c = np.asarray(control, dtype=float)
    t = np.asarray(treatment, dtype=float)
    a, b = c.var(ddof=1) / c.size, t.var(ddof=1) / t.size
    se = math.sqrt(a + b)
    df = (a + b) ** 2 / (a ** 2 / (c.size - 1) + b ** 2 / (t.size - 1))
    est = float(t.mean() - c.mean())
    p = float(2 * special.stdtr(df, -abs(est) / se))
    q = float(special.stdtrit(df, 0.5 + confidence / 2))
    return ABResult(test="welch", estimate=est, ci_low=est - q * se, ci_high=est + q * se, pvalue=p,
                    effect_name="difference_of_means", confidence=confidence, alternative="two-sided",
                    n_control=c.size, n_treatment=t.size, control=float(c.mean()), treatment=float(t.mean()),
                    method="normal", details={"standard_error": se} if report_se else {})


def test_local_welch_matches_scipy():
    rng = np.random.default_rng(1)
    c, t = rng.normal(size=40), rng.normal(0.5, 2.0, size=25)
    ours = welch(c, t, confidence=0.9)
    ref = stats.ttest_ind(t, c, equal_var=False)
    lo, hi = ref.confidence_interval(0.9)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((lo, hi), rel=1e-10)


# ---------------------------------------------------------------------------- shadow: closed forms


def _wilson(k, n, conf):
    z = stats.norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def test_agreement_interval_and_confusion_by_hand():
    champion = ["a", "a", "b", "b", "c", "a", "b", "c", "c", "a"]
    challenger = ["a", "b", "b", "b", "c", "a", "c", "c", "a", "a"]
    r = shadow(champion, challenger, confidence=0.9)
    assert r.kind == "classification" and r.n == 10 and r.classes == ("a", "b", "c")
    assert r.agreement == pytest.approx(7 / 10)
    assert (r.agreement_low, r.agreement_high) == pytest.approx(_wilson(7, 10, 0.9), rel=1e-12)
    expected = np.array([[3, 1, 0], [0, 2, 1], [1, 0, 2]])
    np.testing.assert_array_equal(r.confusion, expected)
    assert r.confusion_frame().loc["c", "a"] == 1
    assert math.isnan(r.mean_difference) and r.comparison is None and r.segments == ()


def test_regression_differences_by_hand():
    rng = np.random.default_rng(2)
    a = rng.normal(size=200)
    b = a + rng.normal(0.1, 0.3, size=200)
    r = shadow(a, b, confidence=0.95)
    d = b - a
    q = stats.t.ppf(0.975, d.size - 1)
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert r.kind == "regression"
    assert r.mean_difference == pytest.approx(d.mean())
    assert (r.difference_low, r.difference_high) == pytest.approx((d.mean() - q * se, d.mean() + q * se))
    assert r.difference_sd == pytest.approx(d.std(ddof=1))
    assert r.mean_abs_difference == pytest.approx(np.abs(d).mean())
    assert list(r.difference_quantiles.values()) == pytest.approx(np.quantile(d, [0.05, 0.25, 0.5, 0.75, 0.95]))
    assert math.isnan(r.agreement) and r.confusion.shape == (0, 0)


@pytest.mark.parametrize(("b", "c"), [(0, 0), (0, 1), (1, 0), (3, 3), (2, 9), (9, 2), (0, 12),
                                      (25, 40), (100, 130), (7, 0)])
def test_mcnemar_exact_matches_scipy_binomtest(b, c):
    ref = 1.0 if b + c == 0 else stats.binomtest(c, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(ref, rel=1e-12, abs=1e-300)


def test_shadow_mcnemar_counts_and_pvalue():
    # 40 both right, 5 only champion right, 15 only challenger right, 10 both wrong
    y = np.ones(70, dtype=int)
    champ = np.r_[np.ones(45), np.zeros(25)].astype(int)
    chal = np.r_[np.ones(40), np.zeros(5), np.ones(15), np.zeros(10)].astype(int)
    r = shadow(champ, chal, labels=y)
    c = r.comparison
    assert c.details["only_champion_right"] == 5 and c.details["only_challenger_right"] == 15
    assert c.pvalue == pytest.approx(stats.binomtest(15, 20, 0.5).pvalue, rel=1e-12)
    assert c.control == pytest.approx(45 / 70) and c.treatment == pytest.approx(55 / 70)
    assert c.estimate == pytest.approx(10 / 70)
    assert c.ci_low < c.estimate < c.ci_high


def test_newcombe_paired_interval_published_value():
    # Cavo et al. (2012) table in Fagerland, Lydersen & Laake, "Statistical Analysis of
    # Contingency Tables" (2017), ch. 8: estimate -0.0621, 95% CI -0.1186 to -0.0046.
    lo, hi = paired_accuracy_interval(59, 16, 6, 80, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (-0.1186, -0.0046)
    # swapping the roles of the arms mirrors the interval
    lo2, hi2 = paired_accuracy_interval(59, 6, 16, 80, 0.95)
    assert (lo2, hi2) == pytest.approx((-hi, -lo))


def test_regression_paired_test_matches_scipy_ttest_rel():
    rng = np.random.default_rng(3)
    y = rng.normal(size=300)
    champ = y + rng.normal(0, 1.0, 300)
    chal = y + rng.normal(0, 0.8, 300)
    labels = np.where(rng.random(300) < 0.6, y, np.nan)
    r = shadow(champ, chal, labels=labels, confidence=0.9)
    m = ~np.isnan(labels)
    e_chal, e_champ = np.abs(chal[m] - y[m]), np.abs(champ[m] - y[m])
    ref = stats.ttest_rel(e_chal, e_champ)
    lo, hi = ref.confidence_interval(0.9)
    c = r.comparison
    assert r.n_labelled == int(m.sum()) and c.n_control == int(m.sum())
    assert c.test == "paired_t" and c.pvalue == pytest.approx(ref.pvalue, rel=1e-9)
    assert (c.ci_low, c.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    assert c.control == pytest.approx(e_champ.mean()) and c.treatment == pytest.approx(e_chal.mean())


def test_segment_tests_match_scipy_fisher_and_welch():
    rng = np.random.default_rng(4)
    seg = rng.choice(["a", "b", "c", "d"], size=2000)
    champ = rng.integers(0, 3, size=2000)
    chal = np.where(rng.random(2000) < np.where(seg == "c", 0.3, 0.15), (champ + 1) % 3, champ)
    r = shadow(champ, chal, segments=seg)
    dis = champ != chal
    for row in r.segments:
        s = seg == row.segment
        table = [[dis[s].sum(), (~dis[s]).sum()], [dis[~s].sum(), (~dis[~s]).sum()]]
        assert row.pvalue == pytest.approx(stats.fisher_exact(table, alternative="greater").pvalue, rel=1e-9)
        assert row.n == s.sum() and row.disagreement == pytest.approx(dis[s].mean())
    assert [row.disagreement for row in r.segments] == sorted((row.disagreement for row in r.segments),
                                                               reverse=True)
    raw = {row.segment: row.pvalue for row in r.segments}
    adj = adjust_pvalues(list(raw.values()), method="holm")
    assert [row.adjusted_pvalue for row in r.segments] == pytest.approx(list(adj))
    assert r.disagreeing_segments == ("c",)

    a = rng.normal(size=2000)
    b = a + rng.normal(0, np.where(seg == "b", 0.5, 0.2))
    rr = shadow(a, b, segments=seg, correction="bonferroni")
    absd = np.abs(b - a)
    for row in rr.segments:
        s = seg == row.segment
        ref = stats.ttest_ind(absd[s], absd[~s], equal_var=False, alternative="greater")
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-7)
        assert row.mean_difference == pytest.approx((b - a)[s].mean())
    assert rr.disagreeing_segments == ("b",)
    far = shadow(a, b + 1e6, segments=seg)  # a large offset: the variances must not cancel
    absd = np.abs(b + 1e6 - a)
    for row in far.segments:
        s = seg == row.segment
        ref = stats.ttest_ind(absd[s], absd[~s], equal_var=False, alternative="greater")
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)


def test_shadow_segment_correction_controls_family_wise_error():
    # 10 segments with the same disagreement rate: no segment disagrees more than the rest.
    rng = np.random.default_rng(5)
    reps, k, alpha = 300, 10, 0.05
    seg = np.repeat(np.arange(k), 60)
    any_holm = any_raw = 0
    for _ in range(reps):
        champ = rng.integers(0, 2, size=seg.size)
        chal = np.where(rng.random(seg.size) < 0.2, 1 - champ, champ)
        r = shadow(champ, chal, segments=seg, correction="holm", confidence=1 - alpha)
        any_holm += any(row.significant for row in r.segments)
        any_raw += any(row.pvalue <= alpha for row in r.segments)
    bound = stats.binom.ppf(BOUND_Q, reps, alpha)
    assert any_holm <= bound, (any_holm, bound)
    assert any_raw > bound, (any_raw, bound)  # uncorrected, the family's error is well above alpha


# ---------------------------------------------------------------------------- shadow: labels


def test_labels_arriving_partially():
    rng = np.random.default_rng(6)
    n = 1000
    y = rng.choice(["cat", "dog", "fox"], size=n)
    champ = np.where(rng.random(n) < 0.8, y, "cat")
    chal = np.where(rng.random(n) < 0.7, y, "dog")
    seg = rng.choice(["x", "y"], size=n)
    none = shadow(champ, chal, segments=seg)
    assert none.n_labelled == 0 and none.comparison is None
    assert all(row.n_labelled == 0 and math.isnan(row.champion_score) for row in none.segments)
    for arrived in (1, 300, 1000):
        labels = np.array([v if i < arrived else None for i, v in enumerate(y)], dtype=object)
        r = shadow(champ, chal, labels=labels, segments=seg)
        m = np.arange(n) < arrived
        assert r.n_labelled == arrived
        assert r.comparison.control == pytest.approx(np.mean(champ[m] == y[m]))
        assert r.comparison.treatment == pytest.approx(np.mean(chal[m] == y[m]))
        assert sum(row.n_labelled for row in r.segments) == arrived
        for row in r.segments:
            s = m & (seg == row.segment)
            if s.any():
                assert row.challenger_score == pytest.approx(np.mean(chal[s] == y[s]))
    all_missing = shadow(champ, chal, labels=[None] * n)
    assert all_missing.n_labelled == 0 and all_missing.comparison is None
    # NaN for numeric labels; float labels match integer predictions
    yi = rng.integers(0, 2, size=50)
    lab = np.where(np.arange(50) % 2 == 0, yi, np.nan)
    r = shadow(yi, 1 - yi, labels=lab)
    assert r.n_labelled == 25 and r.comparison.control == 1.0 and r.comparison.treatment == 0.0


# ---------------------------------------------------------------------------- shadow: edge cases


def test_constant_predictions():
    seg = np.repeat(["a", "b", "c"], 20)
    r = shadow(np.zeros(60, dtype=int), np.zeros(60, dtype=int), segments=seg, labels=np.r_[np.zeros(30), np.ones(30)])
    assert r.agreement == 1.0 and r.agreement_high == pytest.approx(1.0)
    assert r.agreement_low == pytest.approx(_wilson(60, 60, 0.95)[0])
    assert r.confusion.tolist() == [[60]]
    assert all(row.pvalue == 1.0 and not row.significant for row in r.segments)
    assert r.comparison.pvalue == 1.0 and r.comparison.estimate == 0.0
    assert r.comparison.ci_low <= 0.0 <= r.comparison.ci_high

    x = np.full(60, 2.5)
    same = shadow(x, x.copy(), segments=seg, labels=np.linspace(0, 1, 60), kind="regression")
    assert (same.mean_difference, same.difference_low, same.difference_high) == (0.0, 0.0, 0.0)
    assert all(row.pvalue == 1.0 for row in same.segments)
    assert same.comparison.pvalue == 1.0
    shifted = shadow(x, x + 1.0, kind="regression")
    assert (shifted.mean_difference, shifted.difference_low, shifted.difference_high) == (1.0, 1.0, 1.0)
    assert shifted.mean_abs_difference == 1.0 and shifted.difference_sd == 0.0


def test_single_segment_and_small_segments_are_not_tested():
    r = shadow([0, 1, 1, 0], [0, 1, 0, 0], segments=["a"] * 4)
    assert math.isnan(r.segments[0].pvalue) and not r.segments[0].significant
    rr = shadow(np.arange(10) + 0.5, np.arange(10) * 1.1 + 0.7,
                segments=["solo"] + ["many"] * 9)
    solo = next(row for row in rr.segments if row.segment == "solo")
    assert math.isnan(solo.pvalue) and math.isnan(solo.adjusted_pvalue)


def test_auto_kind():
    assert shadow([0.0, 1.0, 1.0], [1.0, 1.0, 0.0]).kind == "classification"
    assert shadow([True, False], [True, True]).kind == "classification"
    assert shadow([0.2, 0.9], [0.3, 0.8]).kind == "regression"
    assert shadow([1, 2, 3], [1, 2, 4], kind="regression").kind == "regression"


def test_result_is_frozen_with_frames_and_html():
    rng = np.random.default_rng(7)
    r = shadow(rng.integers(0, 2, 100), rng.integers(0, 2, 100), segments=rng.choice(["u", "v"], 100),
               labels=rng.integers(0, 2, 100))
    assert isinstance(r, ShadowReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.agreement = 1.0
    assert r.to_frame().shape[0] == 1 and r.to_frame().loc[0, "n"] == 100
    assert list(r.segments_frame()["segment"]) == [s.segment for s in r.segments]
    assert "Shadow" in r._repr_html_() and "ShadowReport(" in repr(r)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"champion": [1, 2, 3], "challenger": [1, 2]}, ValueError, "champion has 3 predictions but challenger has 2"),
    ({"champion": [], "challenger": []}, ValueError, "champion is empty"),
    ({"champion": [0.1, np.nan], "challenger": [0.1, 0.2]}, ValueError, "champion contains 1 missing"),
    ({"champion": ["a", None], "challenger": ["a", "b"]}, ValueError, "champion contains 1 missing"),
    ({"champion": np.zeros((3, 2)), "challenger": np.zeros((3, 2))}, ValueError, "must be 1-D"),
    ({"champion": "abc", "challenger": "abc"}, TypeError, "got a str"),
    ({"champion": [1, 0], "challenger": [1, 1], "segments": ["a"]}, ValueError, "segments has 1 values"),
    ({"champion": [1, 0], "challenger": [1, 1], "segments": ["a", None]}, ValueError, "segments contains 1 missing"),
    ({"champion": [1, 0], "challenger": [1, 1], "segments": [1.0, np.nan]}, ValueError, "segments contains 1 missing"),
    ({"champion": [1, 0], "challenger": [1, 1], "labels": [1]}, ValueError, "labels has 1 values"),
    ({"champion": [1, 0, 1], "challenger": [1, 1, 0], "labels": ["cat", "dog", None]}, ValueError,
     "labels share no value"),
    ({"champion": ["Y", "N", "Y"], "challenger": ["Y", "Y", "N"], "labels": ["yes", "no", None]}, ValueError,
     "labels share no value"),
    ({"champion": [0.5, 1.5], "challenger": [0.5, 1.0], "labels": ["a", "b"]}, TypeError,
     "labels must be numeric"),
    ({"champion": [0.5, 1.5], "challenger": [0.5, 1.0], "labels": [np.inf, 1.0]}, ValueError, "infinite"),
    ({"champion": [0.5, 1.5], "challenger": [0.5, 1.0], "kind": "classification"}, ValueError, "scores"),
    ({"champion": ["a", "b"], "challenger": ["a", "a"], "kind": "regression"}, TypeError, "numeric predictions"),
    ({"champion": [1, 0], "challenger": [1, 1], "kind": "binary"}, ValueError, "kind must be one of"),
    ({"champion": [1, 0], "challenger": [1, 1], "confidence": 95}, ValueError, "confidence must be in"),
    ({"champion": [1, 0], "challenger": [1, 1], "confidence": "0.95"}, TypeError, "confidence must be a number"),
    ({"champion": [1, 0], "challenger": [1, 1], "correction": "fdr"}, ValueError, "correction must be one of"),
    ({"champion": np.arange(2000), "challenger": np.arange(2000)}, ValueError, "more than 1000"),
])
def test_shadow_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        shadow(kwargs.pop("champion"), kwargs.pop("challenger"), **kwargs)


def test_labels_of_a_never_predicted_class_are_allowed():
    # both models always say 0 and the three labels so far are all 1: accuracy 0, not an error
    r = shadow([0, 0, 0, 0], [0, 0, 0, 0], labels=[1, 1, 1, None])
    assert r.n_labelled == 3 and r.comparison.control == 0.0 and r.comparison.treatment == 0.0


# ---------------------------------------------------------------------------- by_segment


def _arms(rng, k, n, effects=None):
    effects = np.zeros(k) if effects is None else np.asarray(effects, dtype=float)
    seg_c = np.repeat(np.arange(k), n)
    seg_t = np.repeat(np.arange(k), n)
    control = rng.normal(size=k * n)
    treatment = rng.normal(size=k * n) + effects[seg_t]
    return control, treatment, seg_c, seg_t


def test_by_segment_results_and_adjusted_pvalues():
    rng = np.random.default_rng(8)
    c, t, sc, st = _arms(rng, 4, 150, effects=[0.0, 0.0, 0.5, 0.05])
    labels = np.array(["north", "south", "east", "west"])
    for correction in ("holm", "bonferroni", "bh", "none"):
        r = by_segment(c, t, labels[sc], labels[st], test=welch, correction=correction, alpha=0.05)
        assert isinstance(r, SegmentReport) and r.segments == ("east", "north", "south", "west")
        for s, res in zip(r.segments, r.results):
            i = list(labels).index(s)
            ref = welch(c[sc == i], t[st == i])
            assert res.estimate == ref.estimate and res.pvalue == ref.pvalue
        assert list(r.adjusted_pvalues) == pytest.approx(list(adjust_pvalues(r.pvalues, method=correction)))
        assert r.significant == tuple(a <= 0.05 for a in r.adjusted_pvalues)
        assert "east" in r.significant_segments
        assert r.overall.n_control == c.size and r.result("east").n_treatment == 150
    frame = r.to_frame()
    assert list(frame["segment"]) == list(r.segments) and "adjusted_pvalue" in frame
    assert "By segment" in r._repr_html_() and "SegmentReport(" in repr(r)
    with pytest.raises(KeyError, match="no segment 'up'"):
        r.result("up")


def test_by_segment_family_wise_error_by_simulation():
    rng = np.random.default_rng(9)
    reps, k, n, alpha = 400, 20, 20, 0.05
    counts = dict.fromkeys(("holm", "bonferroni", "bh", "none"), 0)
    for _ in range(reps):
        c, t, sc, st = _arms(rng, k, n)
        holm = by_segment(c, t, sc, st, test=welch, correction="holm", alpha=alpha)
        counts["holm"] += any(holm.significant)
        raw = by_segment(c, t, sc, st, test=welch, correction="none", alpha=alpha)
        counts["none"] += any(raw.significant)
        # the other corrections act on the same p-values (checked equal to adjust_pvalues above)
        for method in ("bonferroni", "bh"):
            counts[method] += bool(np.any(adjust_pvalues(raw.pvalues, method=method) <= alpha))
    bound = stats.binom.ppf(BOUND_Q, reps, alpha)
    for method in ("holm", "bonferroni", "bh"):
        assert counts[method] <= bound, (method, counts, bound)
    assert counts["none"] > bound, (counts, bound)  # 20 uncorrected tests: about 1 - 0.95**20 = 64%


def test_heterogeneity_by_hand():
    h = cochran_q([0.1, 0.4, 0.25], [0.1, 0.2, 0.05], ("a", "b", "c"))
    w = np.array([100.0, 25.0, 400.0])
    est = np.array([0.1, 0.4, 0.25])
    pooled = (w * est).sum() / w.sum()
    q = (w * (est - pooled) ** 2).sum()
    assert h.statistic == pytest.approx(q) and h.df == 2
    assert h.pvalue == pytest.approx(stats.chi2.sf(q, 2))
    assert h.pooled_estimate == pytest.approx(pooled) and h.pooled_se == pytest.approx(1 / math.sqrt(w.sum()))
    assert h.i_squared == pytest.approx(max(0.0, (q - 2) / q))
    # a segment without a usable standard error is left out and said so
    h2 = cochran_q([0.1, 0.4, 0.25], [0.1, float("nan"), 0.05], ("a", "b", "c"))
    assert h2.segments_excluded == ("b",) and h2.df == 1
    assert math.isnan(cochran_q([0.1], [0.1], ("a",)).pvalue)


def test_heterogeneity_standard_error_from_interval():
    rng = np.random.default_rng(10)
    c, t, sc, st = _arms(rng, 3, 100, effects=[0.0, 0.2, 0.4])
    with_se = by_segment(c, t, sc, st, test=welch)
    from_ci = by_segment(c, t, sc, st, test=lambda a, b: welch(a, b, report_se=False))
    z = stats.norm.ppf(0.975)
    se = [(r.ci_high - r.ci_low) / (2 * z) for r in from_ci.results]
    ref = cochran_q([r.estimate for r in from_ci.results], se, from_ci.segments)
    assert from_ci.heterogeneity.statistic == pytest.approx(ref.statistic)
    # the t quantile is a little wider than z: the two standard errors agree to within it
    ratio = with_se.heterogeneity.statistic / from_ci.heterogeneity.statistic
    assert 1.0 < ratio < (stats.t.ppf(0.975, 150) / z) ** 2 * 1.01


def test_heterogeneity_pvalues_uniform_under_the_null_and_power():
    rng = np.random.default_rng(11)
    reps, k, n = 400, 5, 200
    p_null = []
    for _ in range(reps):
        c, t, sc, st = _arms(rng, k, n, effects=np.full(k, 0.2))  # the same effect everywhere
        p_null.append(by_segment(c, t, sc, st, test=welch).heterogeneity.pvalue)
    assert stats.kstest(p_null, "uniform").pvalue > 1e-3
    effects = [0.0, 0.0, 0.0, 0.0, 0.4]
    p_alt = np.array([by_segment(*_arms(rng, k, n, effects=effects), test=welch).heterogeneity.pvalue
                      for _ in range(50)])
    # each estimate has standard error sqrt(2 / n) = 0.1: Q is noncentral chi-square with
    # k - 1 df and noncentrality sum((effect - mean)**2) / 0.1**2 = 12.8, power about 0.83
    nc = np.sum((np.array(effects) - np.mean(effects)) ** 2) / (2 / n)
    power = stats.ncx2.sf(stats.chi2.ppf(0.95, k - 1), k - 1, nc)
    assert np.sum(p_alt < 0.05) >= stats.binom.ppf(1e-4, p_alt.size, power)


def test_by_segment_detects_the_segment_with_an_effect():
    rng = np.random.default_rng(12)
    reps, hits = 30, 0
    for _ in range(reps):
        c, t, sc, st = _arms(rng, 8, 200, effects=[0, 0, 0, 0, 0, 0, 0, 0.5])
        hits += by_segment(c, t, sc, st, test=welch).significant_segments == (7,)
    # Holm's first step at 0.05 / 8 finds a 5-standard-error effect with probability
    # Phi(5 - z_{0.05/16}); the seven null segments add a false one with probability <= 0.05
    exact = stats.norm.cdf(5 - stats.norm.isf(0.05 / 16)) - 0.05
    assert hits >= stats.binom.ppf(1e-4, reps, exact)


def test_by_segment_nan_pvalues_are_left_out_of_the_family():
    def flaky(control, treatment):
        r = welch(control, treatment)
        return dataclasses.replace(r, pvalue=math.nan) if control.size == 30 else r

    rng = np.random.default_rng(13)
    sc = np.r_[np.zeros(30), np.ones(100), np.full(100, 2)].astype(int)
    st = np.r_[np.zeros(40), np.ones(100), np.full(100, 2)].astype(int)
    c, t = rng.normal(size=sc.size), rng.normal(size=st.size) + 0.4 * (st == 2)
    r = by_segment(c, t, sc, st, test=flaky, correction="bonferroni")
    assert math.isnan(r.adjusted_pvalues[0]) and not r.significant[0]
    assert r.adjusted_pvalues[1:] == pytest.approx(tuple(np.minimum(2 * np.array(r.pvalues[1:]), 1.0)))


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (([1.0, 2.0], [1.0, 2.0], ["a", "b"], ["a", "c"]), {}, ValueError, "segment 'b' has 1 control and 0 treatment"),
    (([1.0, 2.0], [1.0, 2.0], ["a"], ["a", "b"]), {}, ValueError, "segments_control has 1 values but control has 2"),
    (([1.0, 2.0], [1.0, 2.0], ["a", "b"], ["a", None]), {}, ValueError, "segments contains 1 missing"),
    (([], [1.0], [], ["a"]), {}, ValueError, "control is empty"),
    (([1.0, 2.0], [1.0, 2.0], "ab", ["a", "b"]), {}, TypeError, "segments_control must be an array"),
    (([1.0, 2.0], [1.0, 2.0], ["a", "a"], ["a", "a"]), {"test": "welch"}, TypeError, "test must be a callable"),
    (([1.0, 2.0], [1.0, 2.0], ["a", "a"], ["a", "a"]), {"test": lambda a, b: 0.5}, TypeError,
     "must return an ABResult"),
    (([1.0, 2.0], [1.0, 2.0], ["a", "a"], ["a", "a"]), {"correction": "sidak"}, ValueError,
     "correction must be one of"),
    (([1.0, 2.0], [1.0, 2.0], ["a", "a"], ["a", "a"]), {"alpha": 1.5}, ValueError, "alpha must be in"),
])
def test_by_segment_bad_input(args, kwargs, error, match):
    kwargs.setdefault("test", welch)
    with pytest.raises(error, match=match):
        by_segment(*args, **kwargs)


def test_by_segment_names_the_segment_whose_test_failed():
    def picky(control, treatment):
        if control.size < 2:
            raise ValueError("control needs at least 2 samples")
        return welch(control, treatment)

    with pytest.raises(ValueError, match=r"segment 'small' \(1 control, 2 treatment samples\): control needs"):
        by_segment([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0], ["big", "big", "big", "small"],
                   ["big", "big", "big", "small", "small"], test=picky)
