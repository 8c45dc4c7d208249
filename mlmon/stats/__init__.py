"""Two-sample tests and distances, batch: does a current sample differ from a reference?

Every function takes ``(reference, current, *, ...options)`` and returns a frozen
:class:`TestResult` with the statistic, the p-value (None for a distance without
permutations), a scale-free effect size and how the p-value was obtained.

- numeric: :func:`ks`, :func:`cvm`, :func:`anderson_darling`, :func:`welch`,
  :func:`mann_whitney`;
- categorical: :func:`chi_square`, :func:`g_test`;
- distances (numeric or categorical): :func:`psi`, :func:`kl_divergence`,
  :func:`js_divergence`, :func:`hellinger`, and :func:`wasserstein` (numeric);
- multivariate (rows of several features): :func:`mmd`, :func:`lsdd`, :func:`classifier_test`;
- multiple testing: :func:`adjust_pvalues` and :func:`reject` (Bonferroni, Holm,
  Benjamini-Hochberg);
- :data:`TESTS` describes the univariate ones; :func:`two_sample` calls one by name;
  :func:`power` and :func:`min_detectable_effect` size a comparison for an effect that
  matters in practice.

Examples
--------
>>> import numpy as np
>>> from mlmon import stats
>>> rng = np.random.default_rng(0)
>>> r = stats.two_sample(rng.normal(size=1000), rng.normal(0.3, 1.0, 500), test="ks")
>>> r.significant(0.01), r.effect_name
(True, 'ks_distance')
"""

from mlmon.stats._result import TestResult
from mlmon.stats._univariate import TESTS, TestSpec, default_test, two_sample
from mlmon.stats._continuous import anderson_darling, cvm, ks, mann_whitney, welch
from mlmon.stats._categorical import chi_square, g_test
from mlmon.stats._distances import hellinger, js_divergence, kl_divergence, psi, wasserstein
from mlmon.stats._power import min_detectable_effect, power
from mlmon.stats._mmd import mmd
from mlmon.stats._lsdd import lsdd
from mlmon.stats._classifier import classifier_test
from mlmon.stats._multiple import CORRECTIONS, adjust_pvalues, reject

__all__ = ["CORRECTIONS", "TESTS", "TestResult", "TestSpec", "adjust_pvalues", "anderson_darling",
           "chi_square", "classifier_test", "cvm", "lsdd", "mmd", "reject",
           "default_test", "g_test", "hellinger", "js_divergence", "kl_divergence", "ks",
           "mann_whitney", "min_detectable_effect", "power", "psi", "two_sample", "wasserstein",
           "welch"]
