"""The registry of univariate two-sample tests and distances, and :func:`two_sample`.

Each test is a function ``f(reference, current, *, ...) -> TestResult`` with keyword-only
options; :data:`TESTS` describes them and :func:`two_sample` calls one by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from mlmon.stats._categorical import chi_square, g_test
from mlmon.stats._continuous import anderson_darling, cvm, ks, mann_whitney, welch
from mlmon.stats._distances import hellinger, js_divergence, kl_divergence, psi, wasserstein
from mlmon.stats._result import TestResult

__all__ = ["TESTS", "TestSpec", "default_test", "two_sample"]


@dataclass(frozen=True, slots=True)
class TestSpec:
    """What one two-sample test or distance of :data:`TESTS` is.

    Attributes
    ----------
    name
        Its key in :data:`TESTS` (and the ``test`` of its results).
    function
        ``function(reference, current, **options) -> TestResult``.
    data_kind
        ``"numeric"``, ``"categorical"`` or ``"both"``.
    has_pvalue
        Whether it always gives a p-value (distances give one only with ``n_permutations``).
    effect_name
        The ``effect_name`` of its results (for Wasserstein, that of the default
        ``normalize="std"``).
    description
        One line saying what it is.

    Examples
    --------
    >>> from mlmon.stats import TESTS
    >>> spec = TESTS["chi_square"]
    >>> spec.data_kind, spec.has_pvalue, spec.effect_name
    ('categorical', True, 'cramers_v')
    """

    __test__ = False  # not a pytest test class, whatever its name says

    name: str
    function: Callable[..., TestResult]
    data_kind: Literal["numeric", "categorical", "both"]
    has_pvalue: bool
    effect_name: str
    description: str


_SPECS = (
    TestSpec("ks", ks, "numeric", True, "ks_distance",
             "Kolmogorov-Smirnov: largest gap between the two empirical CDFs"),
    TestSpec("cvm", cvm, "numeric", True, "cvm_omega2",
             "Cramér-von Mises: integrated squared gap between the empirical CDFs"),
    TestSpec("anderson_darling", anderson_darling, "numeric", True, "ad_distance",
             "Anderson-Darling: CDF gap weighted towards the tails (p-value capped to [0.001, 0.25] "
             "unless permuted)"),
    TestSpec("welch", welch, "numeric", True, "cohens_d",
             "Welch's t-test: difference of means, unequal variances"),
    TestSpec("mann_whitney", mann_whitney, "numeric", True, "rank_biserial",
             "Mann-Whitney U: one sample tends to larger values (rank test)"),
    TestSpec("chi_square", chi_square, "categorical", True, "cramers_v",
             "Pearson chi-square test of homogeneity of category frequencies"),
    TestSpec("g_test", g_test, "categorical", True, "cramers_v",
             "G-test (log-likelihood ratio) of homogeneity of category frequencies"),
    TestSpec("psi", psi, "both", False, "psi",
             "Population stability index on reference-quantile bins or categories"),
    TestSpec("kl_divergence", kl_divergence, "both", False, "kl_divergence",
             "Kullback-Leibler divergence D(current || reference) on bins or categories"),
    TestSpec("js_divergence", js_divergence, "both", False, "js_distance",
             "Jensen-Shannon distance (base 2) on bins or categories"),
    TestSpec("hellinger", hellinger, "both", False, "hellinger_distance",
             "Hellinger distance on bins or categories"),
    TestSpec("wasserstein", wasserstein, "numeric", False, "wasserstein_std",
             "Wasserstein-1 distance divided by the reference's standard deviation"),
)

#: Every univariate two-sample test and distance, by name.
TESTS: dict[str, TestSpec] = {spec.name: spec for spec in _SPECS}


def two_sample(reference: Any, current: Any, *, test: str = "ks", **options: Any) -> TestResult:
    """Compare ``current`` with ``reference`` by the test or distance named ``test``.

    Parameters
    ----------
    reference, current
        The two samples (see the test's own documentation for what it accepts).
    test
        A key of :data:`TESTS`.
    **options
        The test's keyword options (e.g. ``alternative``, ``n_permutations``, ``seed``).

    Examples
    --------
    >>> import numpy as np
    >>> from mlmon.stats import two_sample
    >>> rng = np.random.default_rng(0)
    >>> r = two_sample(rng.normal(size=500), rng.normal(0.2, 1.0, 500), test="welch")
    >>> r.test, r.pvalue < 0.05
    ('welch', True)
    >>> try:
    ...     two_sample([1.0], [2.0], test="t")
    ... except ValueError as err:
    ...     print(str(err)[:40])
    unknown test 't'; valid tests are anders
    """
    spec = TESTS.get(test) if isinstance(test, str) else None
    if spec is None:
        raise ValueError(f"unknown test {test!r}; valid tests are {', '.join(sorted(TESTS))}.")
    try:
        return spec.function(reference, current, **options)
    except TypeError as err:
        if "unexpected keyword argument" in str(err):
            raise TypeError(f"two_sample(test={test!r}): {err}; see "
                            f"help(mlmon.stats.{spec.function.__name__}) for its options.") from None
        raise


def default_test(kind: str) -> str:
    """The default test for a column of kind ``"numeric"``, ``"categorical"`` or ``"binary"``.

    ``"ks"`` for numeric columns, ``"chi_square"`` for categorical and binary ones.

    Examples
    --------
    >>> from mlmon.stats import default_test
    >>> default_test("numeric"), default_test("binary")
    ('ks', 'chi_square')
    """
    defaults = {"numeric": "ks", "categorical": "chi_square", "binary": "chi_square"}
    if kind not in defaults:
        raise ValueError(f"default_test: kind must be one of {', '.join(map(repr, defaults))}, "
                         f"got {kind!r}.")
    return defaults[kind]
