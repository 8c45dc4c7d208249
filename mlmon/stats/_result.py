"""The result every two-sample test and distance in :mod:`mlmon.stats` returns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

__all__ = ["TestResult"]

Method = Literal["exact", "asymptotic", "permutation", "binomial", "none"]


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of comparing a current sample with a reference sample.

    Attributes
    ----------
    test
        Name of the test or distance (a key of :data:`mlmon.stats.TESTS`).
    statistic
        The test statistic or distance, as the literature (and scipy, where it has the test)
        defines it.
    pvalue
        p-value of the null hypothesis "same distribution", or None for a distance reported
        without a test.
    effect_size
        A scale-free magnitude of the difference, 0 when the samples agree and larger the
        more they differ; what it is is named by ``effect_name``. Rank features by it, not by
        the p-value: with large samples every difference is significant.
    effect_name
        What ``effect_size`` measures (e.g. ``"ks_distance"``, ``"cohens_d"``, ``"cramers_v"``).
    method
        How the p-value was obtained: ``"exact"``, ``"asymptotic"``, ``"permutation"``,
        ``"binomial"``, or ``"none"`` when there is no p-value.
    n_reference, n_current
        Sizes of the two samples.

    Examples
    --------
    >>> r = TestResult(test="ks", statistic=0.3, pvalue=0.002, effect_size=0.3,
    ...                effect_name="ks_distance", method="exact", n_reference=100, n_current=50)
    >>> r.significant(0.01), r.to_dict()["pvalue"]
    (True, 0.002)
    """

    __test__ = False  # not a pytest test class, whatever its name says

    test: str
    statistic: float
    pvalue: float | None
    effect_size: float
    effect_name: str
    method: Method
    n_reference: int
    n_current: int

    def significant(self, alpha: float) -> bool:
        """Whether ``pvalue < alpha`` (False when there is no p-value)."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
        return self.pvalue is not None and self.pvalue < alpha

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (one row of a table)."""
        return asdict(self)

    def to_frame(self):
        """A one-row :class:`pandas.DataFrame` of the fields."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def __repr__(self) -> str:
        p = "None" if self.pvalue is None else f"{self.pvalue:.4g}"
        stat = self.statistic if math.isnan(self.statistic) else float(f"{self.statistic:.6g}")
        return (f"TestResult(test={self.test!r}, statistic={stat}, pvalue={p}, "
                f"{self.effect_name}={self.effect_size:.4g}, method={self.method!r}, "
                f"n_reference={self.n_reference}, n_current={self.n_current})")
