"""Benchmark grids: run detectors on replicated scenario streams, keep raw facts, derive metrics.

:func:`run` produces a :class:`BenchmarkResult` of :class:`RunRecord` facts (alarm
positions, ground truth, seeds, parameters); :mod:`mlmon.benchmark.metrics` holds the pure
functions every table is derived from.

Examples
--------
>>> from mlmon import benchmark
>>> from mlmon.detectors import PageHinkley
>>> from mlmon.scenarios import Stationary
>>> res = benchmark.run([PageHinkley()], [Stationary(n_samples=2000)], seeds=2, progress=False)
>>> res.to_frame()["n_samples"].tolist()
[2000, 2000]
"""

from mlmon.benchmark import metrics
from mlmon.benchmark._records import RunRecord, Skipped
from mlmon.benchmark._result import BenchmarkResult
from mlmon.benchmark._run import mismatch, run

__all__ = ["BenchmarkResult", "RunRecord", "Skipped", "metrics", "mismatch", "run"]
