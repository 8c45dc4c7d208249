"""Multiple-testing corrections: family-wise error (Bonferroni, Holm) and false discovery rate
(Benjamini-Hochberg).

The arithmetic lives in :mod:`mlmon.runtime._multiple` (numpy only), so an exported monitor
corrects its p-values in production exactly as it did in research.
"""

from mlmon.runtime._multiple import CORRECTIONS, Correction, adjust_pvalues, reject

__all__ = ["CORRECTIONS", "Correction", "adjust_pvalues", "reject"]
