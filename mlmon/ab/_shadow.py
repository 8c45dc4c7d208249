"""Shadow deployments: two models scored on the same traffic while only the champion is served.

:func:`shadow` says how often the challenger agrees with the champion (classification) or how
far its predictions move (regression and scores), in which segments the two disagree most
(each segment tested against the rest, corrected for the number of segments), and, on the
samples whose labels have arrived, which of the two was right.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from mlmon.ab._result import ABResult
from mlmon.ab._segments import check_correction, check_level, factorize, per_sample
from mlmon.runtime._multiple import Correction, adjust_pvalues

__all__ = ["ShadowReport", "ShadowSegment", "shadow"]

Kind = Literal["auto", "classification", "regression"]
_KINDS = ("auto", "classification", "regression")
#: Quantiles of the prediction differences a regression report keeps.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The most classes a classification report tabulates (the confusion is classes x classes).
MAX_CLASSES = 1000


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ShadowSegment:
    """How much the two models disagree in one segment, compared with the rest of the traffic.

    Attributes
    ----------
    segment
        The segment value.
    n
        Samples in the segment.
    disagreement
        Classification: the share of samples where the two predictions differ. Regression:
        the mean absolute difference ``|challenger - champion|``.
    rest_disagreement
        The same quantity on all other segments together.
    agreement, agreement_low, agreement_high
        Classification: ``1 - disagreement`` and its Wilson interval (NaN for regression).
    mean_difference
        Regression: the mean of ``challenger - champion`` in the segment (NaN for classification).
    pvalue
        One-sided p-value of "this segment disagrees more than the rest": Fisher's exact test
        (classification) or Welch's t-test on the absolute differences (regression). NaN when
        it cannot be computed (a single segment; a regression segment, or rest, under 2 samples).
    adjusted_pvalue, significant
        The p-value corrected over the segments tested, and whether it is ``<= 1 - confidence``.
    n_labelled
        Samples in the segment whose label has arrived.
    champion_score, challenger_score
        Accuracy (classification) or mean absolute error (regression) on those samples.

    Examples
    --------
    >>> s = ShadowSegment(segment="eu", n=100, disagreement=0.2, rest_disagreement=0.1,
    ...                   agreement=0.8, agreement_low=0.71, agreement_high=0.87,
    ...                   mean_difference=float("nan"), pvalue=0.01, adjusted_pvalue=0.02,
    ...                   significant=True, n_labelled=0, champion_score=float("nan"),
    ...                   challenger_score=float("nan"))
    >>> s.to_dict()["disagreement"]
    0.2
    """

    segment: Any
    n: int
    disagreement: float
    rest_disagreement: float
    agreement: float
    agreement_low: float
    agreement_high: float
    mean_difference: float
    pvalue: float
    adjusted_pvalue: float
    significant: bool
    n_labelled: int
    champion_score: float
    challenger_score: float

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one row of a table)."""
        return asdict(self)


@dataclass(frozen=True)
class ShadowReport:
    """A champion and a challenger compared on the same traffic.

    Attributes
    ----------
    kind
        ``"classification"`` (predicted classes) or ``"regression"`` (numbers or scores).
    n
        Samples scored by both models.
    n_labelled
        Samples whose label has arrived so far.
    confidence
        Coverage of every interval; segments are flagged at ``alpha = 1 - confidence``.
    correction
        The multiple-testing correction applied across segments.
    agreement, agreement_low, agreement_high
        Classification: the share of samples on which both models predict the same class and
        its Wilson interval (NaN for regression).
    classes, confusion
        Classification: the classes seen, and ``confusion[i, j]``, the number of samples the
        champion put in ``classes[i]`` and the challenger in ``classes[j]`` (empty for
        regression).
    mean_difference, difference_low, difference_high
        Regression: the mean of ``challenger - champion`` and its t interval (NaN for
        classification, and the interval for fewer than 2 samples).
    difference_sd, mean_abs_difference
        Regression: the standard deviation of the differences and the mean absolute difference.
    difference_quantiles
        Regression: quantile -> value of ``challenger - champion`` at :data:`QUANTILES`.
    segments
        One :class:`ShadowSegment` per segment, most disagreeing first (empty without segments).
    comparison
        Which model was right, on the labelled samples, as an :class:`ABResult` with the
        champion as control and the challenger as treatment: classification, the difference
        of accuracies (challenger minus champion, positive when the challenger is better) with
        Newcombe's paired interval and McNemar's exact test; regression, the difference of
        mean absolute errors (negative when the challenger is better) with a paired t-test.
        None until a label has arrived.

    Examples
    --------
    >>> r = shadow([0, 1, 1, 0, 2], [0, 1, 0, 0, 2])
    >>> r.kind, r.agreement, r.confusion.tolist()
    ('classification', 0.8, [[2, 0, 0], [1, 1, 0], [0, 0, 1]])
    """

    kind: str
    n: int
    n_labelled: int
    confidence: float
    correction: str
    agreement: float
    agreement_low: float
    agreement_high: float
    classes: tuple[Any, ...]
    confusion: np.ndarray = field(compare=False, repr=False)
    mean_difference: float
    difference_low: float
    difference_high: float
    difference_sd: float
    mean_abs_difference: float
    difference_quantiles: dict[float, float]
    segments: tuple[ShadowSegment, ...]
    comparison: ABResult | None

    @property
    def disagreeing_segments(self) -> tuple[Any, ...]:
        """Segments that disagree significantly more than the rest, after the correction."""
        return tuple(s.segment for s in self.segments if s.significant)

    def to_dict(self) -> dict[str, Any]:
        """The headline numbers as a flat dict (one row of a table)."""
        out: dict[str, Any] = {
            "kind": self.kind, "n": self.n, "n_labelled": self.n_labelled, "confidence": self.confidence,
            "agreement": self.agreement, "agreement_low": self.agreement_low,
            "agreement_high": self.agreement_high, "mean_difference": self.mean_difference,
            "difference_low": self.difference_low, "difference_high": self.difference_high,
            "difference_sd": self.difference_sd, "mean_abs_difference": self.mean_abs_difference,
        }
        out.update({f"difference_q{q:g}": v for q, v in self.difference_quantiles.items()})
        c = self.comparison
        out.update({"champion_score": c.control if c else math.nan,
                    "challenger_score": c.treatment if c else math.nan,
                    "score_difference": c.estimate if c else math.nan,
                    "score_difference_low": c.ci_low if c else math.nan,
                    "score_difference_high": c.ci_high if c else math.nan,
                    "score_pvalue": c.pvalue if c else math.nan,
                    "n_segments": len(self.segments), "n_disagreeing_segments": len(self.disagreeing_segments)})
        return out

    def to_frame(self):
        """A one-row :class:`pandas.DataFrame` of the headline numbers."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def segments_frame(self):
        """One row per segment (most disagreeing first), as a :class:`pandas.DataFrame`."""
        import pandas as pd

        columns = list(ShadowSegment.__dataclass_fields__)
        return pd.DataFrame([s.to_dict() for s in self.segments], columns=columns)

    def confusion_frame(self):
        """The confusion of the two models' predictions (rows champion, columns challenger)."""
        import pandas as pd

        index = pd.Index(list(self.classes), name="champion")
        columns = pd.Index(list(self.classes), name="challenger")
        return pd.DataFrame(self.confusion, index=index, columns=columns)

    def _headline(self) -> str:
        if self.kind == "classification":
            what = (f"agreement {self.agreement:.2%} [{self.agreement_low:.2%}, {self.agreement_high:.2%}]")
        else:
            what = (f"mean difference {self.mean_difference:.4g} [{self.difference_low:.4g}, "
                    f"{self.difference_high:.4g}], mean |difference| {self.mean_abs_difference:.4g}")
        c = self.comparison
        right = ("no label yet" if c is None else
                 f"{self.n_labelled} labelled: champion {c.control:.4g}, challenger {c.treatment:.4g}, "
                 f"difference {c.estimate:.4g} [{c.ci_low:.4g}, {c.ci_high:.4g}], p = {c.pvalue:.3g}")
        return f"{self.kind}, n = {self.n}: {what} ({self.confidence:.0%}); {right}"

    def _repr_html_(self) -> str:
        head = f"<p><b>Shadow</b>: {html.escape(self._headline())}</p>"
        if self.segments:
            head += (f"<p>Segments ({html.escape(self.correction)} correction), most disagreeing first; "
                     f"significant: {html.escape(', '.join(map(str, self.disagreeing_segments)) or 'none')}</p>")
            head += self.segments_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")
        if self.kind == "classification" and len(self.classes) <= 20:
            head += "<p>Confusion (rows champion, columns challenger)</p>" + self.confusion_frame().to_html()
        return head

    def __repr__(self) -> str:
        return f"ShadowReport({self._headline()}, segments={len(self.segments)})"


# ---------------------------------------------------------------------------- inputs


def _predictions(x: Any, name: str) -> np.ndarray:
    import pandas as pd

    if isinstance(x, (str, bytes)):
        raise TypeError(f"shadow: {name} must be an array of predictions, got a {type(x).__name__}.")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"shadow: {name} must be a 1-D array of predictions: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"shadow: {name} must be 1-D (one prediction per sample), got shape {arr.shape}; "
                         "pass the predicted class, or the score of the positive class.")
    if arr.shape[0] == 0:
        raise ValueError(f"shadow: {name} is empty; pass at least one prediction.")
    if arr.dtype.kind == "c":
        raise TypeError(f"shadow: {name} must be real-valued, got complex dtype {arr.dtype}.")
    if arr.dtype.kind in "mM":
        raise TypeError(f"shadow: {name} must hold classes or numbers, got dtype {arr.dtype}.")
    missing = ~np.isfinite(arr) if arr.dtype.kind == "f" else np.asarray(pd.isna(arr), dtype=bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"shadow: {name} contains {int(missing.sum())} missing or infinite prediction(s) "
                         f"(first at index {i}); drop those samples from both models.")
    return arr


def _numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "iuf"


def _whole(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "iub" or bool(np.all(arr == np.round(arr)))


def _resolve_kind(kind: str, a: np.ndarray, b: np.ndarray) -> str:
    if kind == "auto":
        if a.dtype.kind in "fiu" and b.dtype.kind in "fiu" and not (_whole(a) and _whole(b)):
            return "regression"
        return "classification"
    if kind == "regression":
        for arr, name in ((a, "champion"), (b, "challenger")):
            if not _numeric(arr):
                raise TypeError(f"shadow: kind='regression' needs numeric predictions; {name} has dtype "
                                f"{arr.dtype}. Pass kind='classification' for class labels.")
    else:
        for arr, name in ((a, "champion"), (b, "challenger")):
            if arr.dtype.kind == "f" and not _whole(arr):
                raise ValueError(f"shadow: kind='classification' needs predicted classes, but {name} holds "
                                 "non-integer numbers (scores?); pass kind='regression' to compare scores, "
                                 "or threshold them into classes first.")
    return kind


def _label_mask(labels: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels as an object array and the mask of those that have arrived."""
    import pandas as pd

    arr = per_sample(labels, owner="shadow", name="labels", n=n, other="the predictions",
                     fix="one label per sample, NaN or None where it has not arrived yet")
    arrived = ~np.asarray(pd.isna(arr), dtype=bool)
    return arr, arrived


def _family(values: Any) -> str:
    return "numbers" if all(isinstance(v, numbers.Number) for v in values) else "text"


# ---------------------------------------------------------------------------- statistics


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` and ``c``.

    Under "both models are equally often right" each discordant pair goes either way with
    probability 1/2, so ``c ~ Binomial(b + c, 1/2)``; the p-value doubles the smaller tail.

    Examples
    --------
    >>> round(mcnemar_exact(2, 9), 6)
    0.06543
    """
    from scipy.stats import binom

    m = b + c
    if m == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), m, 0.5)))


def paired_accuracy_interval(both: int, control_only: int, treatment_only: int, neither: int,
                             confidence: float) -> tuple[float, float]:
    """Newcombe's (1998) interval for the difference of two paired proportions.

    The difference is ``p_treatment - p_control`` with ``p_treatment = (both + treatment_only)
    / n`` and ``p_control = (both + control_only) / n``: each proportion's Wilson interval,
    combined by square-and-add with the correlation between the paired outcomes (corrected
    for continuity as Newcombe does).

    Examples
    --------
    >>> lo, hi = paired_accuracy_interval(59, 16, 6, 80, 0.95)
    >>> round(lo, 4), round(hi, 4)
    (-0.1186, -0.0046)
    """
    from mlmon.benchmark.metrics import proportion_interval

    n = both + control_only + treatment_only + neither
    if n == 0:
        return math.nan, math.nan
    p_t = (both + treatment_only) / n
    p_c = (both + control_only) / n
    (l_t, l_c), (u_t, u_c) = proportion_interval(successes=[both + treatment_only, both + control_only],
                                                 trials=[n, n], confidence=confidence)
    margins = [(both + treatment_only), (control_only + neither), (both + control_only), (treatment_only + neither)]
    cross = both * neither - control_only * treatment_only
    if min(margins) == 0:
        phi = 0.0
    else:
        denom = math.sqrt(float(np.prod(np.asarray(margins, dtype=float))))
        phi = (cross - n / 2) / denom if cross > n / 2 else (0.0 if cross >= 0 else cross / denom)
    d = p_t - p_c
    lo = d - math.sqrt(max((p_t - l_t) ** 2 - 2 * phi * (p_t - l_t) * (u_c - p_c) + (u_c - p_c) ** 2, 0.0))
    hi = d + math.sqrt(max((u_t - p_t) ** 2 - 2 * phi * (u_t - p_t) * (p_c - l_c) + (p_c - l_c) ** 2, 0.0))
    return max(lo, -1.0), min(hi, 1.0)


def _mean_interval(x: np.ndarray, confidence: float) -> tuple[float, float, float, float, float]:
    """Mean, t interval, two-sided p-value of mean 0, standard error (NaN below 2 samples).

    With no spread the mean is known exactly: the interval is the point and the p-value is
    1 when the mean is 0 and 0 otherwise.
    """
    from scipy.stats import t as student

    n = x.shape[0]
    mean = float(np.mean(x)) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan, math.nan, math.nan
    se = float(np.std(x, ddof=1)) / math.sqrt(n)
    if se == 0.0:
        return mean, mean, mean, (1.0 if mean == 0.0 else 0.0), 0.0
    q = float(student.ppf(0.5 + confidence / 2, n - 1))
    p = float(2.0 * student.sf(abs(mean) / se, n - 1))
    return mean, mean - q * se, mean + q * se, p, se


def _welch_greater(m1: np.ndarray, v1: np.ndarray, n1: np.ndarray,
                   m2: np.ndarray, v2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """One-sided Welch p-values of "group 1 has the larger mean", vectorised; NaN below 2 per group."""
    from scipy.stats import t as student

    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / n1, v2 / n2
        se2 = a + b
        df = se2 ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        p = student.sf((m1 - m2) / np.sqrt(se2), df)
    degenerate = se2 == 0
    p = np.where(degenerate, np.where(m1 > m2, 0.0, 1.0), p)
    return np.where((n1 < 2) | (n2 < 2), math.nan, p)


def _segment_table(disagree: np.ndarray, seg_codes: np.ndarray, names: tuple[Any, ...], *, kind: str,
                   diff: np.ndarray | None, arrived: np.ndarray, champ_score: np.ndarray,
                   chal_score: np.ndarray, confidence: float, correction: str) -> tuple[ShadowSegment, ...]:
    """Per-segment disagreement, its test against the rest, corrected, most disagreeing first.

    ``disagree`` is 0/1 (classification) or ``|difference|`` (regression); ``champ_score`` and
    ``chal_score`` are per-sample correctness or absolute error (read where ``arrived``).
    """
    from scipy.stats import hypergeom

    from mlmon.benchmark.metrics import proportion_interval

    k = len(names)
    n_seg = np.bincount(seg_codes, minlength=k).astype(float)
    total_n = float(disagree.shape[0])
    s1 = np.bincount(seg_codes, weights=disagree, minlength=k)
    rate = s1 / n_seg
    n_rest = total_n - n_seg
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = (float(disagree.sum()) - s1) / n_rest
    rest = np.where(n_rest > 0, rest, math.nan)
    if kind == "classification":
        dis = np.rint(s1).astype(np.int64)
        pvals = hypergeom.sf(dis - 1, int(total_n), int(round(float(disagree.sum()))), n_seg.astype(np.int64))
        pvals = np.where(n_rest > 0, np.clip(pvals, 0.0, 1.0), math.nan)
        lo, hi = proportion_interval(successes=n_seg - dis, trials=n_seg, confidence=confidence)
        agreement = 1.0 - rate
        mean_diff = np.full(k, math.nan)
    else:
        # sums of squares about each segment's mean (two passes, no cancellation); the rest's
        # is the others' within-segment sums plus their spread about the rest's mean
        within = np.bincount(seg_codes, weights=(disagree - rate[seg_codes]) ** 2, minlength=k)
        others = ~np.eye(k, dtype=bool)
        between = np.sum(others * n_seg[None, :] * (rate[None, :] - rest[:, None]) ** 2, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            v1 = within / (n_seg - 1)
            v2 = (within.sum() - within + between) / (n_rest - 1)
        pvals = _welch_greater(rate, v1, n_seg, rest, v2, n_rest)
        lo = hi = agreement = np.full(k, math.nan)
        mean_diff = np.bincount(seg_codes, weights=diff, minlength=k) / n_seg
    tested = np.isfinite(pvals)
    adjusted = np.full(k, math.nan)
    if tested.any():
        adjusted[tested] = adjust_pvalues(pvals[tested], method=correction)
    alpha = 1.0 - confidence
    lab_codes = seg_codes[arrived]
    n_lab = np.bincount(lab_codes, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        champ = np.bincount(lab_codes, weights=champ_score[arrived], minlength=k) / n_lab
        chal = np.bincount(lab_codes, weights=chal_score[arrived], minlength=k) / n_lab
    rows = [ShadowSegment(segment=names[i], n=int(n_seg[i]), disagreement=float(rate[i]),
                          rest_disagreement=float(rest[i]), agreement=float(agreement[i]),
                          agreement_low=float(lo[i]), agreement_high=float(hi[i]),
                          mean_difference=float(mean_diff[i]), pvalue=float(pvals[i]),
                          adjusted_pvalue=float(adjusted[i]), significant=bool(tested[i] and adjusted[i] <= alpha),
                          n_labelled=int(n_lab[i]), champion_score=float(champ[i]), challenger_score=float(chal[i]))
            for i in range(k)]
    rows.sort(key=lambda r: (-r.disagreement, r.pvalue if math.isfinite(r.pvalue) else 2.0, -r.n))
    return tuple(rows)


def _classification(a: np.ndarray, b: np.ndarray, lab: np.ndarray | None, arrived: np.ndarray,
                    confidence: float) -> tuple[dict[str, Any], np.ndarray, None, tuple[np.ndarray, np.ndarray],
                                                ABResult | None]:
    """Agreement, confusion and (on labelled samples) McNemar's comparison of predicted classes."""
    import pandas as pd

    from mlmon.benchmark.metrics import proportion_interval

    n = a.shape[0]
    n_labelled = int(arrived.sum())
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        uniq, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
        classes = tuple(v.item() for v in uniq)
    else:
        classes, codes = factorize(np.concatenate([a.astype(object), b.astype(object)]),
                                   name="predictions", owner="shadow")
    codes = codes.reshape(-1)
    k = len(classes)
    if k > MAX_CLASSES:
        raise ValueError(f"shadow: the predictions hold {k} distinct classes, more than {MAX_CLASSES}; "
                         "pass kind='regression' if they are numbers, or group rare classes.")
    ca, cb = codes[:n], codes[n:]
    same = ca == cb
    agree = int(same.sum())
    lo, hi = proportion_interval(successes=[agree], trials=[n], confidence=confidence)
    confusion = np.bincount(ca * k + cb, minlength=k * k).reshape(k, k)
    confusion.setflags(write=False)
    champ_score, chal_score = np.zeros(n), np.zeros(n)
    comparison = None
    if n_labelled:
        labelled = lab[arrived]
        both = np.concatenate([np.asarray(classes, dtype=object), labelled])
        lab_codes = np.asarray(pd.factorize(both, sort=False)[0][k:], dtype=np.intp)
        if not np.any(lab_codes < k):
            distinct = list(dict.fromkeys(labelled.tolist()))
            if _family(distinct) != _family(classes) or len(distinct) >= 2:
                raise ValueError(
                    f"shadow: labels share no value with the predictions (labels hold e.g. {distinct[:3]!r}, "
                    f"the models predict e.g. {list(classes[:3])!r}); encode labels and predictions the same way.")
        champ_right = ca[arrived] == lab_codes
        chal_right = cb[arrived] == lab_codes
        champ_score[arrived] = champ_right
        chal_score[arrived] = chal_right
        n11 = int(np.sum(champ_right & chal_right))
        n10 = int(np.sum(champ_right & ~chal_right))
        n01 = int(np.sum(~champ_right & chal_right))
        n00 = n_labelled - n11 - n10 - n01
        c_lo, c_hi = paired_accuracy_interval(n11, n10, n01, n00, confidence)
        acc_champ, acc_chal = (n11 + n10) / n_labelled, (n11 + n01) / n_labelled
        comparison = ABResult(
            test="mcnemar_exact", estimate=acc_chal - acc_champ, ci_low=c_lo, ci_high=c_hi,
            pvalue=mcnemar_exact(n10, n01), effect_name="difference_of_accuracies", confidence=confidence,
            alternative="two-sided", n_control=n_labelled, n_treatment=n_labelled, control=acc_champ,
            treatment=acc_chal, method="exact",
            details={"interval": "newcombe_paired", "both_right": n11, "only_champion_right": n10,
                     "only_challenger_right": n01, "both_wrong": n00, "discordant": n10 + n01})
    nan = math.nan
    report = dict(agreement=agree / n, agreement_low=float(lo[0]), agreement_high=float(hi[0]), classes=classes,
                  confusion=confusion, mean_difference=nan, difference_low=nan, difference_high=nan,
                  difference_sd=nan, mean_abs_difference=nan, difference_quantiles={})
    return report, (~same).astype(float), None, (champ_score, chal_score), comparison


def _regression(a: np.ndarray, b: np.ndarray, lab: np.ndarray | None, arrived: np.ndarray,
                confidence: float) -> tuple[dict[str, Any], np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray],
                                            ABResult | None]:
    """Distribution of the differences and (on labelled samples) the paired test of absolute errors."""
    n = a.shape[0]
    n_labelled = int(arrived.sum())
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    diff = fb - fa
    mean, d_lo, d_hi, _, _ = _mean_interval(diff, confidence)
    champ_score, chal_score = np.zeros(n), np.zeros(n)
    comparison = None
    if n_labelled:
        try:
            y = lab[arrived].astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("shadow: labels must be numeric for kind='regression' (NaN or None where not "
                            "arrived yet).") from None
        if not np.all(np.isfinite(y)):
            i = int(np.flatnonzero(arrived)[np.flatnonzero(~np.isfinite(y))[0]])
            raise ValueError(f"shadow: labels contains an infinite value at index {i}; drop or fix it.")
        champ_score[arrived] = np.abs(fa[arrived] - y)
        chal_score[arrived] = np.abs(fb[arrived] - y)
        est, e_lo, e_hi, p, se = _mean_interval(chal_score[arrived] - champ_score[arrived], confidence)
        comparison = ABResult(
            test="paired_t", estimate=est, ci_low=e_lo, ci_high=e_hi, pvalue=p,
            effect_name="difference_of_mean_absolute_errors", confidence=confidence, alternative="two-sided",
            n_control=n_labelled, n_treatment=n_labelled, control=float(champ_score[arrived].mean()),
            treatment=float(chal_score[arrived].mean()), method="t",
            details={"standard_error": se, "df": n_labelled - 1})
    nan = math.nan
    report = dict(agreement=nan, agreement_low=nan, agreement_high=nan, classes=(),
                  confusion=np.zeros((0, 0), dtype=np.int64), mean_difference=mean, difference_low=d_lo,
                  difference_high=d_hi, difference_sd=float(np.std(diff, ddof=1)) if n > 1 else nan,
                  mean_abs_difference=float(np.abs(diff).mean()),
                  difference_quantiles={q: float(v) for q, v in zip(QUANTILES, np.quantile(diff, QUANTILES))})
    return report, np.abs(diff), diff, (champ_score, chal_score), comparison


# ---------------------------------------------------------------------------- entry point


def shadow(champion: Any, challenger: Any, *, labels: Any = None, segments: Any = None, kind: Kind = "auto",
           confidence: float = 0.95, correction: Correction = "holm") -> ShadowReport:
    """Compare a served champion with a shadowed challenger on the same traffic.

    Parameters
    ----------
    champion, challenger
        Each model's prediction for the same samples, in the same order: predicted classes
        (integers, strings, booleans) or numbers (regression outputs, scores).
    labels
        The true outcome of each sample, NaN or None where it has not arrived yet; None when
        no label has arrived at all.
    segments
        The segment of each sample (a country, a device, ...), to find where the two models
        disagree most; None for no breakdown.
    kind
        ``"classification"`` compares predicted classes (agreement, confusion, accuracy and
        McNemar's test); ``"regression"`` compares numbers (distribution of the differences,
        mean absolute error and a paired t-test). ``"auto"`` picks regression when both
        predictions are numeric and some are not whole numbers, classification otherwise
        (booleans, strings, integers and whole-valued floats, as scikit-learn's
        ``type_of_target`` does); pass ``kind="regression"`` for integer-valued outputs.
    confidence
        Coverage of every interval; segments are flagged at ``alpha = 1 - confidence``.
    correction
        Correction across segments: ``"holm"``, ``"bonferroni"`` (family-wise error), ``"bh"``
        (false discovery rate) or ``"none"``.

    Returns
    -------
    ShadowReport
        Agreement (classification) or the differences ``challenger - champion`` (regression),
        segments ranked by disagreement, and which model was right on the labelled samples.

    Raises
    ------
    ValueError
        Predictions of unequal lengths, empty, missing or infinite; segments or labels of the
        wrong length; missing segment values; labels that share no value with either model's
        predictions when they are of another kind (text against numbers) or hold several
        values none of which is ever predicted (labels encoded differently); more than
        :data:`MAX_CLASSES` classes; non-integer numbers with ``kind="classification"``.
    TypeError
        Non-numeric predictions or labels with ``kind="regression"``; parameters of the wrong type.

    Notes
    -----
    McNemar's exact test uses only the discordant labelled samples (one model right, the
    other wrong): under "equally accurate" the challenger wins each with probability 1/2.
    The interval for the difference of accuracies is Newcombe's paired score interval. For
    regression the paired t-test is on ``|challenger - label| - |champion - label|``. A segment
    "disagrees more than the rest" by Fisher's exact one-sided test (classification) or
    Welch's one-sided t-test on the absolute differences (regression); segments with no test
    (too small, or a single segment) are left out of the correction.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, size=2000)
    >>> device = rng.choice(["ios", "android", "web"], size=2000)
    >>> champion = np.where(rng.random(2000) < 0.80, y, 1 - y)
    >>> flip = rng.random(2000) < np.where(device == "web", 0.30, 0.05)
    >>> challenger = np.where(flip, 1 - champion, champion)
    >>> labels = np.where(rng.random(2000) < 0.5, y, np.nan)       # half the labels arrived
    >>> report = shadow(champion, challenger, labels=labels, segments=device)
    >>> round(report.agreement, 3), report.n_labelled
    (0.872, 1003)
    >>> report.disagreeing_segments
    ('web',)
    >>> report.comparison.test, report.comparison.significant(0.05)
    ('mcnemar_exact', True)
    """
    correction = check_correction("shadow", correction)
    confidence = check_level("shadow", confidence, "confidence", "0.95")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"shadow: kind must be one of {', '.join(map(repr, _KINDS))}, got {kind!r}.")
    a = _predictions(champion, "champion")
    b = _predictions(challenger, "challenger")
    n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError(f"shadow: champion has {n} predictions but challenger has {b.shape[0]}; score the "
                         "same samples with both models, in the same order.")
    kind = _resolve_kind(kind, a, b)
    if segments is not None:
        names, seg_codes = factorize(segments, name="segments", owner="shadow")
        if seg_codes.shape[0] != n:
            raise ValueError(f"shadow: segments has {seg_codes.shape[0]} values but the predictions have {n}; "
                             "pass one segment per sample.")
    if labels is not None:
        lab, arrived = _label_mask(labels, n)
    else:
        lab, arrived = None, np.zeros(n, dtype=bool)
    n_labelled = int(arrived.sum())
    if kind == "classification":
        report, disagree, diff, scores, comparison = _classification(a, b, lab, arrived, confidence)
    else:
        report, disagree, diff, scores, comparison = _regression(a, b, lab, arrived, confidence)
    rows: tuple[ShadowSegment, ...] = ()
    if segments is not None:
        rows = _segment_table(disagree, seg_codes, names, kind=kind, diff=diff, arrived=arrived,
                              champ_score=scores[0], chal_score=scores[1], confidence=confidence,
                              correction=correction)
    return ShadowReport(kind=kind, n=n, n_labelled=n_labelled, confidence=confidence, correction=correction,
                        segments=rows, comparison=comparison, **report)

