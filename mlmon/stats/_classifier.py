"""Classifier two-sample test: can a model tell the current sample from the reference?

A classifier learns to separate reference rows (label 0) from current rows (label 1) with
stratified ``n_folds``-fold cross-fitting; every row is scored by a model that did not see
it. When the two samples come from one distribution no model can do better than chance on
held-out rows, so the out-of-fold AUC is near 0.5 and the accuracy near the majority-class
rate (Lopez-Paz and Oquab 2017, "Revisiting classifier two-sample tests").

The default model is a logistic regression on the standardised features, their squares and
their pairwise products (a degree-2 polynomial expansion): it sees shifts of the mean and
changes of the variances and correlations, the latter invisible to any per-feature test,
and it fits in milliseconds. Pass any scikit-learn classifier with ``predict_proba``
(e.g. ``HistGradientBoostingClassifier()``) for more complex differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlmon.stats._mmd import _check_choice, _check_int, check_samples, permutation_pvalue
from mlmon.stats._result import TestResult

__all__ = ["ClassifierScores", "classifier_scores", "classifier_test", "default_classifier"]


def default_classifier() -> Any:
    """The default model: standardise, expand to degree-2 polynomial terms, logistic regression
    (L2 penalty ``C=1``, Newton-Cholesky solver: fast and exact for the few columns of
    tabular monitoring data).

    Examples
    --------
    >>> default_classifier().steps[-1][0]
    'logisticregression'
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(StandardScaler(), PolynomialFeatures(degree=2, include_bias=False),
                         LogisticRegression(solver="newton-cholesky", max_iter=200))


@dataclass(frozen=True, slots=True)
class ClassifierScores:
    """Out-of-fold performance of a classifier separating current rows from reference rows.

    Attributes
    ----------
    auc
        Area under the ROC curve of the out-of-fold probabilities (0.5: no separation).
    accuracy
        Fraction of rows whose out-of-fold prediction (probability > 0.5) is right.
    n_correct
        Rows predicted right.
    majority_rate
        Accuracy of always predicting the larger sample, ``max(m, n) / (m + n)``.

    Examples
    --------
    >>> ClassifierScores(auc=0.5, accuracy=0.6, n_correct=60, majority_rate=0.6).auc
    0.5
    """

    auc: float
    accuracy: float
    n_correct: int
    majority_rate: float


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    pos = labels == 1
    n_pos = int(pos.sum())
    n_neg = labels.shape[0] - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _out_of_fold(model: Any, x: np.ndarray, labels: np.ndarray, n_folds: int,
                 rng: np.random.Generator) -> np.ndarray:
    from sklearn.base import clone

    # stratified folds: each class's rows, in random order, dealt to folds in turn
    fold = np.empty(labels.shape[0], dtype=np.int64)
    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        fold[idx[rng.permutation(idx.shape[0])]] = np.arange(idx.shape[0]) % n_folds
    proba = np.empty(labels.shape[0])
    model_seed = int(rng.integers(2**31 - 1))
    for k in range(n_folds):
        test = fold == k
        est = clone(model)
        params = est.get_params()
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=model_seed)
        est.fit(x[~test], labels[~test])
        proba[test] = est.predict_proba(x[test])[:, list(est.classes_).index(1)]
    return proba


def _scores(labels: np.ndarray, proba: np.ndarray) -> ClassifierScores:
    correct = int(np.count_nonzero((proba > 0.5) == (labels == 1)))
    n = labels.shape[0]
    n_cur = int(labels.sum())
    return ClassifierScores(auc=_auc(labels, proba), accuracy=correct / n, n_correct=correct,
                            majority_rate=max(n_cur, n - n_cur) / n)


def _check_model(model: Any) -> Any:
    if model is None:
        return default_classifier()
    if not (hasattr(model, "fit") and hasattr(model, "predict_proba") and hasattr(model, "get_params")):
        raise TypeError(
            f"model must be a scikit-learn classifier with fit and predict_proba, got "
            f"{type(model).__name__}; e.g. sklearn.linear_model.LogisticRegression()."
        )
    return model


def _check_folds(n_folds: Any, m: int, n: int) -> int:
    k = _check_int(n_folds, "n_folds", 2)
    if k > min(m, n):
        raise ValueError(
            f"n_folds={k} needs at least {k} rows in each sample (reference has {m}, current "
            f"{n}); use fewer folds or more rows."
        )
    return k


def classifier_scores(reference: Any, current: Any, *, model: Any = None, n_folds: int = 5,
                      seed: int | np.random.SeedSequence | None = None) -> ClassifierScores:
    """Out-of-fold AUC and accuracy of a classifier telling ``current`` from ``reference``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = classifier_scores(rng.normal(size=(100, 2)), rng.normal(2.0, 1.0, (100, 2)), seed=0)
    >>> s.auc > 0.8, s.accuracy > 0.75
    (True, True)
    """
    ref, cur = check_samples(reference, current)
    k = _check_folds(n_folds, ref.shape[0], cur.shape[0])
    est = _check_model(model)
    rng = np.random.default_rng(seed)
    x = np.concatenate([ref, cur])
    labels = np.r_[np.zeros(ref.shape[0]), np.ones(cur.shape[0])].astype(np.int64)
    return _scores(labels, _out_of_fold(est, x, labels, k, rng))


def classifier_pvalue(x: np.ndarray, m: int, *, model: Any, n_folds: int,
                      pvalue: str, n_permutations: int,
                      rng: np.random.Generator) -> tuple[ClassifierScores, float]:
    """Scores and p-value for the pooled rows ``x`` whose first ``m`` are the reference."""
    n_total = x.shape[0]
    labels = np.r_[np.zeros(m), np.ones(n_total - m)].astype(np.int64)
    observed = _scores(labels, _out_of_fold(model, x, labels, n_folds, rng))
    if pvalue == "binomial":
        from scipy.stats import binom

        p = float(binom.sf(observed.n_correct - 1, n_total, observed.majority_rate))
        return observed, min(1.0, max(0.0, p))
    permuted = np.empty(n_permutations)
    for b in range(n_permutations):
        shuffled = labels[rng.permutation(n_total)]
        permuted[b] = _scores(shuffled, _out_of_fold(model, x, shuffled, n_folds, rng)).auc
    return observed, permutation_pvalue(observed.auc, permuted)


def classifier_test(
    reference: Any,
    current: Any,
    *,
    model: Any = None,
    n_folds: int = 5,
    pvalue: Literal["binomial", "permutation"] = "binomial",
    n_permutations: int = 100,
    seed: int | np.random.SeedSequence | None = None,
) -> TestResult:
    """Classifier two-sample test on out-of-fold predictions.

    Parameters
    ----------
    reference, current
        Samples of shape ``(m, d)`` and ``(n, d)`` (arrays or DataFrames of numeric columns).
    model
        An unfitted scikit-learn classifier with ``predict_proba`` (cloned for every fold);
        None: :func:`default_classifier` (logistic regression on degree-2 polynomial terms).
        A ``random_state`` left at None is set from ``seed``.
    n_folds
        Folds of the stratified cross-fitting (each sample needs at least this many rows).
    pvalue
        ``"binomial"``: the number of rows predicted right out of fold against a
        Binomial(m + n, majority rate) null, one-sided; no model beats always predicting the
        larger sample on data it did not see when the samples share a distribution, and the
        p-value is conservative. It is most powerful for samples of similar sizes: with
        unbalanced ones a classifier mostly predicts the larger sample and the accuracy
        moves little. ``"permutation"``: the AUC against ``n_permutations`` refits
        on shuffled labels (``(b + 1) / (B + 1)``), exact but ``n_permutations`` times slower.
    n_permutations
        Shuffles for ``pvalue="permutation"``.
    seed
        Seed of the folds, the shuffles and unset model ``random_state``.

    Returns
    -------
    TestResult
        ``statistic``: the out-of-fold AUC; ``effect_size``: ``max(0, 2 AUC - 1)``
        (``effect_name="auc_gini"``), 0 when the classifier does no better than chance.
        :func:`classifier_scores` gives the accuracy too.

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats._classifier import classifier_test
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> cov = [[1.0, 0.9], [0.9, 1.0]]  # same marginals, different correlation
    >>> r = classifier_test(x, rng.multivariate_normal([0, 0], cov, 200), seed=0)
    >>> r.pvalue < 0.01, r.statistic > 0.6, r.method
    (True, True, 'binomial')
    """
    ref, cur = check_samples(reference, current)
    k = _check_folds(n_folds, ref.shape[0], cur.shape[0])
    _check_choice(pvalue, "pvalue", ("binomial", "permutation"))
    n_perm = _check_int(n_permutations, "n_permutations", 1)
    est = _check_model(model)
    rng = np.random.default_rng(seed)
    scores, p = classifier_pvalue(np.concatenate([ref, cur]), ref.shape[0], model=est, n_folds=k,
                                  pvalue=pvalue, n_permutations=n_perm, rng=rng)
    return TestResult(
        test="classifier",
        statistic=scores.auc,
        pvalue=p,
        effect_size=max(0.0, 2.0 * scores.auc - 1.0),
        effect_name="auc_gini",
        method="binomial" if pvalue == "binomial" else "permutation",
        n_reference=int(ref.shape[0]),
        n_current=int(cur.shape[0]),
    )
