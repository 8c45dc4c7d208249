"""The result every A/B comparison in :mod:`mlmon.ab` returns."""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ABResult"]


@dataclass(frozen=True)
class ABResult:
    """A treatment-versus-control comparison: the effect, its interval, its p-value, and how.

    The effect is always *treatment minus control* (or treatment / control for a ratio
    ``effect_name``), so a positive estimate means the treatment's metric is higher.

    Attributes
    ----------
    test
        The test used (e.g. ``"two_proportion_z"``, ``"welch"``, ``"mann_whitney"``).
    estimate
        The effect.
    ci_low, ci_high
        Its confidence interval at ``confidence``.
    pvalue
        p-value of "no effect" (two-sided unless ``alternative`` says otherwise).
    effect_name
        What ``estimate`` is (``"difference_of_proportions"``, ``"difference_of_means"``,
        ``"relative_difference"``, ``"hodges_lehmann_shift"``, ...).
    confidence, alternative
        Interval coverage, and ``"two-sided"``, ``"greater"`` or ``"less"``.
    n_control, n_treatment
        Sample sizes.
    control, treatment
        Each arm's summary (its mean or proportion).
    method
        How the interval and p-value were obtained (``"normal"``, ``"newcombe"``, ``"delta"``,
        ``"bootstrap"``, ``"exact"``, ...).
    details
        Anything else worth keeping (a variance reduction, the bootstrap replicates count, ...).

    Examples
    --------
    >>> r = ABResult(test="welch", estimate=0.3, ci_low=0.1, ci_high=0.5, pvalue=0.004,
    ...              effect_name="difference_of_means", confidence=0.95, alternative="two-sided",
    ...              n_control=100, n_treatment=100, control=1.0, treatment=1.3, method="normal")
    >>> r.significant(0.05), r.contains(0.0)
    (True, False)
    """

    test: str
    estimate: float
    ci_low: float
    ci_high: float
    pvalue: float
    effect_name: str
    confidence: float
    alternative: str
    n_control: int
    n_treatment: int
    control: float
    treatment: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    def significant(self, alpha: float) -> bool:
        """Whether ``pvalue < alpha``."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
        return bool(self.pvalue < alpha)

    def contains(self, value: float) -> bool:
        """Whether the confidence interval contains ``value``."""
        return bool(self.ci_low <= value <= self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (``details`` flattened with a ``details.`` prefix)."""
        out = asdict(self)
        details = out.pop("details")
        out.update({f"details.{k}": v for k, v in details.items()})
        return out

    def to_frame(self):
        """A one-row :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:
        head = (f"<p><b>{html.escape(self.test)}</b>: {html.escape(self.effect_name)} = {self.estimate:.4g} "
                f"[{self.ci_low:.4g}, {self.ci_high:.4g}] ({self.confidence:.0%}), p = {self.pvalue:.3g}</p>")
        return head + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        p = self.pvalue if math.isnan(self.pvalue) else float(f"{self.pvalue:.4g}")
        return (f"ABResult({self.test}: {self.effect_name}={self.estimate:.4g} "
                f"[{self.ci_low:.4g}, {self.ci_high:.4g}], p={p}, n={self.n_control}/{self.n_treatment})")
