"""A drift monitor over the columns of a DataFrame, with error control across features and
over a schedule of looks."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
from annotated_types import Ge, Gt, Lt

from mlmon._validation import validate_params
from mlmon.stats._multiple import adjust_pvalues
from mlmon.stats._result import TestResult

__all__ = ["FeatureDrift", "Monitor", "MonitorReport", "Schedule", "column_kind",
           "label_drift", "prediction_drift"]

ColumnKind = Literal["numeric", "categorical", "binary"]
NULL_LABEL = "<null>"
#: Test run on each column kind unless the monitor is told otherwise.
DEFAULT_TESTS: dict[str, str] = {"numeric": "ks", "categorical": "chi_square", "binary": "chi_square"}


@dataclass(frozen=True, slots=True)
class Schedule:
    """How often a monitor looks, and how many false alarms it may raise per period.

    A monitor run ``looks`` times per period (e.g. 365 daily looks a year) tests each look at
    family level ``false_alarms / looks``. Under no drift, each look then raises an alarm with
    probability at most that level (Bonferroni or Holm across features; Benjamini-Hochberg
    too, since under the complete null its false discovery rate is its family-wise rate), so
    the expected number of false alarms per period is at most ``false_alarms``, whatever the
    dependence between looks (overlapping windows included) and between features.

    Examples
    --------
    >>> s = Schedule(looks=365, false_alarms=1.0, period="year")
    >>> round(s.alpha_per_look, 6)
    0.00274
    """

    looks: int
    false_alarms: float = 1.0
    period: str = "period"

    def __post_init__(self) -> None:
        if isinstance(self.looks, bool) or not isinstance(self.looks, (int, np.integer)) or self.looks < 1:
            raise ValueError(f"Schedule: looks must be a positive integer, got {self.looks!r}.")
        fa = self.false_alarms
        if isinstance(fa, bool) or not isinstance(fa, (int, float, np.floating, np.integer)) \
                or not math.isfinite(float(fa)) or not 0 < fa < self.looks:
            raise ValueError(
                f"Schedule: false_alarms must be a number in (0, looks={self.looks}), got {fa!r}; "
                "it is the expected number of false alarms allowed per period.")

    @property
    def alpha_per_look(self) -> float:
        """The family level each look is tested at."""
        return float(self.false_alarms) / int(self.looks)


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """What one monitored feature (or a multivariate test, or a column's null rate) showed.

    Attributes
    ----------
    feature
        Column name; ``"<column> (null rate)"`` for the test of a change in missing values;
        ``"[mmd]"``-style names for multivariate tests over all numeric columns.
    kind
        Column kind the test was chosen for (``"multivariate"`` for joint tests).
    result
        The two-sample test, or None when it could not run (``note`` says why).
    pvalue_adjusted
        p-value after the monitor's correction across all hypotheses of the look.
    significant
        ``pvalue_adjusted <= alpha`` (the look's level).
    min_effect
        Smallest effect that matters (in ``result.effect_name`` units), or None.
    drift
        Significant, and the effect size at least ``min_effect`` when one is set.
    power
        Probability that the test flags an effect of exactly ``min_effect`` at this look's
        sample sizes and per-test level (``alpha / number of hypotheses``, the level
        Bonferroni gives and a lower bound for Holm and BH); None without ``min_effect`` or
        where mlmon has no power formula for the test.
    note
        Why a test could not run, or other facts a reader needs; empty otherwise.
    """

    feature: str
    kind: str
    result: TestResult | None
    pvalue_adjusted: float | None
    significant: bool
    min_effect: float | None
    drift: bool
    power: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """One table row: the feature's decision and its test's fields."""
        r = self.result
        return {
            "feature": self.feature, "kind": self.kind, "drift": self.drift,
            "test": None if r is None else r.test,
            "effect_size": math.nan if r is None else r.effect_size,
            "effect_name": None if r is None else r.effect_name,
            "statistic": math.nan if r is None else r.statistic,
            "pvalue": None if r is None else r.pvalue,
            "pvalue_adjusted": self.pvalue_adjusted, "significant": self.significant,
            "min_effect": self.min_effect, "power": self.power,
            "n_reference": 0 if r is None else r.n_reference,
            "n_current": 0 if r is None else r.n_current, "note": self.note,
        }

    def _repr_html_(self) -> str:
        import pandas as pd

        return pd.DataFrame([self.to_dict()]).to_html(index=False)


@dataclass(frozen=True, slots=True)
class MonitorReport:
    """One look of a :class:`Monitor`: the dataset-level decision and every feature's.

    ``to_frame()`` ranks features: drifted ones first, then by effect size, largest first.
    """

    drift: bool
    features: tuple[FeatureDrift, ...]
    alpha: float
    correction: str
    n_reference: int
    n_current: int
    schedule: Schedule | None = None

    @property
    def drifted(self) -> tuple[str, ...]:
        """Names of the features that drifted, largest effect first."""
        rows = [f for f in self.features if f.drift]
        rows.sort(key=lambda f: -(f.result.effect_size if f.result is not None else math.inf))
        return tuple(f.feature for f in rows)

    def __getitem__(self, feature: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == feature:
                return f
        raise KeyError(f"no feature {feature!r} in this report; features are "
                       f"{[f.feature for f in self.features]}")

    def to_frame(self):
        """One row per hypothesis, ranked: drifted first, then by effect size."""
        import pandas as pd

        frame = pd.DataFrame([f.to_dict() for f in self.features])
        if frame.empty:
            return frame
        order = np.lexsort((-frame["effect_size"].fillna(-np.inf).to_numpy(),
                            ~frame["drift"].to_numpy(dtype=bool)))
        return frame.iloc[order].reset_index(drop=True)

    def _repr_html_(self) -> str:
        head = (f"<p><b>{'Drift' if self.drift else 'No drift'}</b> in {len(self.drifted)} of "
                f"{len(self.features)} hypotheses (correction {self.correction}, level "
                f"{self.alpha:.3g} per look; {self.n_reference} reference and {self.n_current} "
                "current rows)</p>")
        return head + self.to_frame().to_html(index=False)


def column_kind(values: Any, *, max_categories: int = 50) -> ColumnKind:
    """Kind of a column: ``"binary"`` (two values at most), ``"numeric"`` or ``"categorical"``.

    Booleans and numbers with at most two distinct non-missing values are binary; other
    numbers are numeric; strings, categories and objects are categorical (an error names
    a column of objects with more than ``max_categories`` distinct values, which is more
    likely an identifier than a category).

    Examples
    --------
    >>> import pandas as pd
    >>> column_kind(pd.Series([0.1, 2.5, 3.0])), column_kind(pd.Series([0, 1, 1]))
    ('numeric', 'binary')
    >>> column_kind(pd.Series(["a", "b", "c"]))
    'categorical'
    """
    import pandas as pd

    s = pd.Series(values)
    present = s.dropna()
    if pd.api.types.is_bool_dtype(s) or (
            pd.api.types.is_numeric_dtype(s) and present.nunique() <= 2):
        return "binary"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    n_unique = present.nunique()
    if n_unique > max_categories:
        raise ValueError(
            f"column {s.name!r} holds {n_unique} distinct non-numeric values, more than "
            f"max_categories={max_categories}; it looks like an identifier. Leave it out with "
            "columns=[...], raise max_categories, or give its kind in kinds={...}.")
    return "categorical"


def _as_frame(data: Any, name: str):
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        frame = pd.DataFrame(dict(data))
    else:
        raise TypeError(f"{name} must be a pandas DataFrame (or a dict of columns), got "
                        f"{type(data).__name__}; wrap arrays with pandas.DataFrame(...).")
    if frame.shape[0] == 0:
        raise ValueError(f"{name} has no rows.")
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].tolist()
        raise ValueError(f"{name} has duplicated column names {dup}; rename them.")
    return frame


def _labels(series) -> np.ndarray:
    """Categorical values as strings, missing ones as their own category."""
    return series.astype("object").where(series.notna(), NULL_LABEL).astype(str).to_numpy()


class Monitor:
    """Drift monitor over the columns of a DataFrame, with error control across features.

    :meth:`fit` takes the reference data and chooses a two-sample test per column from its
    kind (numeric, categorical, binary); :meth:`check` compares a current batch with it and
    returns a :class:`MonitorReport`: every hypothesis's test, its p-value adjusted across
    all hypotheses of the look, a decision per feature and one for the dataset, and a
    ranking by effect size. The look is tested at family level ``alpha`` or, given a
    :class:`Schedule`, at the level that keeps the expected number of false alarms per
    period at the schedule's budget.

    Missing values: categorical and binary columns treat them as a category of their own;
    numeric columns are tested on their present values, and when either sample has missing
    values a further hypothesis tests whether the missing rate changed (chi-square on the
    2 x 2 table), so a pipeline that starts dropping values is caught, not hidden.

    Parameters
    ----------
    alpha
        Family level of one look: family-wise error rate for ``"bonferroni"`` and
        ``"holm"``, false discovery rate for ``"bh"``. Default 0.05; leave it None when a
        ``schedule`` sets the level.
    correction
        ``"holm"``, ``"bonferroni"``, ``"bh"`` (Benjamini-Hochberg) or ``"none"``.
    schedule
        Looks per period and false alarms allowed per period; sets the level of each look.
    numeric_test, categorical_test, binary_test
        Test (a name in :data:`mlmon.stats.TESTS`) for each column kind.
    tests
        Test per column name, overriding the kind's test.
    kinds
        Column kind per column name, overriding the inferred one.
    columns
        Columns to monitor (default: all columns of the reference).
    min_effect
        Practical significance: a feature drifts only when its effect size is at least this
        (one number for all, or per column name or per test name, in each test's
        ``effect_name`` units; a column name wins over a test name). The report gives the
        power to detect that effect at the look's sample sizes.
    multivariate
        Joint tests over all numeric columns (names of multivariate tests in
        :mod:`mlmon.stats`, e.g. ``"mmd"``), added to the family of hypotheses.
    max_categories
        Largest number of distinct values of a non-numeric column (more looks like an id).
    pvalues
        ``"scipy"``: each test's p-value as :mod:`mlmon.stats` (scipy) computes it.
        ``"portable"``: KS and chi-square computed by the numpy-only functions of
        :mod:`mlmon.runtime` (KS p-values from the Kolmogorov limit law with Stephens'
        correction, chi-square tails exact), so that :func:`mlmon.export.export_monitor`
        can ship the monitor and production decides exactly as research does.
    n_jobs
        Threads testing columns at once (-1: one per core); results do not depend on it.
    seed
        Seed for tests with permutation p-values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"age": rng.normal(40, 10, 2000),
    ...                     "plan": rng.choice(["a", "b", "c"], 2000)})
    >>> cur = pd.DataFrame({"age": rng.normal(45, 10, 500),
    ...                     "plan": rng.choice(["a", "b", "c"], 500)})
    >>> report = Monitor(correction="holm").fit(ref).check(cur)
    >>> report.drift, report.drifted
    (True, ('age',))
    >>> report.to_frame()[["feature", "test", "drift"]].values.tolist()
    [['age', 'ks', True], ['plan', 'chi_square', False]]
    """

    def __init__(
        self,
        *,
        alpha: Annotated[float, Gt(0), Lt(1)] | None = None,
        correction: Literal["holm", "bonferroni", "bh", "none"] = "holm",
        schedule: Schedule | None = None,
        numeric_test: str = "ks",
        categorical_test: str = "chi_square",
        binary_test: str = "chi_square",
        tests: Mapping[str, str] | None = None,
        kinds: Mapping[str, ColumnKind] | None = None,
        columns: Sequence[str] | None = None,
        min_effect: float | Mapping[str, float] | None = None,
        multivariate: Sequence[str] = (),
        max_categories: Annotated[int, Ge(2)] = 50,
        pvalues: Literal["scipy", "portable"] = "scipy",
        n_jobs: int = 1,
        seed: int | None = None,
    ):
        self.alpha = alpha
        self.correction = correction
        self.schedule = schedule
        self.numeric_test = numeric_test
        self.categorical_test = categorical_test
        self.binary_test = binary_test
        self.tests = tests
        self.kinds = kinds
        self.columns = columns
        self.min_effect = min_effect
        self.multivariate = multivariate
        self.max_categories = max_categories
        self.pvalues = pvalues
        self.n_jobs = n_jobs
        self.seed = seed
        validate_params(self)
        self._check_params()

    # -- parameters ---------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.n_jobs != -1 and self.n_jobs < 1:
            raise ValueError(f"Monitor: n_jobs must be -1 (one thread per core) or >= 1, got "
                             f"{self.n_jobs!r}.")
        if self.alpha is not None and self.schedule is not None:
            raise ValueError("Monitor: give either alpha (the level of each look) or a schedule "
                             "(which sets it), not both.")
        for label, name, kind in (("numeric_test", self.numeric_test, "numeric"),
                                  ("categorical_test", self.categorical_test, "categorical"),
                                  ("binary_test", self.binary_test, "categorical")):
            self._check_test(label, name, kind)
        for col, name in (self.tests or {}).items():
            self._check_test(f"tests[{col!r}]", name, None)
        for col, kind in (self.kinds or {}).items():
            if kind not in ("numeric", "categorical", "binary"):
                raise ValueError(f"Monitor: kinds[{col!r}] must be 'numeric', 'categorical' or "
                                 f"'binary', got {kind!r}.")
        if isinstance(self.min_effect, Mapping):
            for key, value in self.min_effect.items():
                self._check_effect(f"min_effect[{key!r}]", value)
        elif self.min_effect is not None:
            self._check_effect("min_effect", self.min_effect)
        if self.pvalues == "portable":
            chosen = {"numeric_test": self.numeric_test, "categorical_test": self.categorical_test,
                      "binary_test": self.binary_test,
                      **{f"tests[{c!r}]": t for c, t in (self.tests or {}).items()}}
            bad = {k: v for k, v in chosen.items() if v not in ("ks", "chi_square")}
            if bad or self.multivariate:
                raise ValueError(
                    "Monitor: pvalues='portable' runs KS on numeric and chi-square on categorical "
                    f"and binary columns only, without multivariate tests; got {bad or ''}"
                    f"{' multivariate=' + repr(list(self.multivariate)) if self.multivariate else ''}.")
        joint = multivariate_tests()
        for name in self.multivariate:
            if name not in joint:
                raise ValueError(f"Monitor: multivariate test {name!r} is unknown; choose from "
                                 f"{sorted(joint)}.")

    @staticmethod
    def _check_test(label: str, name: Any, kind: str | None) -> None:
        from mlmon.stats import TESTS

        spec = TESTS.get(name) if isinstance(name, str) else None
        if spec is None:
            raise ValueError(f"Monitor: {label} must be one of {sorted(TESTS)}, got {name!r}.")
        if not spec.has_pvalue:
            raise ValueError(
                f"Monitor: {label}={name!r} has no p-value, so no error rate can be controlled "
                f"across features; pick a test ({sorted(k for k, s in TESTS.items() if s.has_pvalue)}) "
                f"and use min_effect for a distance-like minimum that matters.")
        if kind is not None and spec.data_kind not in (kind, "both"):
            raise ValueError(f"Monitor: {label}={name!r} is a test for {spec.data_kind} data, not "
                             f"{kind} data.")

    @staticmethod
    def _check_effect(label: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"Monitor: {label} must be a finite number >= 0, got {value!r}.")

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {k: getattr(self, k) for k in (
            "alpha", "correction", "schedule", "numeric_test", "categorical_test", "binary_test",
            "tests", "kinds", "columns", "min_effect", "multivariate", "max_categories", "pvalues",
            "n_jobs", "seed")}

    def __repr__(self) -> str:
        shown = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if v is not None and v != () and not (k, v) in {
                     ("correction", "holm"), ("numeric_test", "ks"), ("categorical_test", "chi_square"),
                     ("binary_test", "chi_square"), ("max_categories", 50), ("pvalues", "scipy"),
                     ("n_jobs", 1)}]
        return f"Monitor({', '.join(shown)})"

    @property
    def level(self) -> float:
        """Family level of each look (``alpha``, the schedule's level, or 0.05)."""
        if self.schedule is not None:
            return self.schedule.alpha_per_look
        return 0.05 if self.alpha is None else float(self.alpha)

    # -- fit ----------------------------------------------------------------------------
    def fit(self, reference: Any) -> Monitor:
        """Learn the reference: column kinds, the test per column, the reference samples."""
        frame = _as_frame(reference, "reference")
        columns = list(frame.columns) if self.columns is None else list(self.columns)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"Monitor: columns {missing} are not in the reference; it has "
                             f"{list(frame.columns)}.")
        for label, given in (("tests", self.tests), ("kinds", self.kinds)):
            extra = sorted(set(given or {}) - set(columns), key=str)
            if extra:
                raise ValueError(f"Monitor: {label} names columns {extra} that are not "
                                 f"monitored; monitored columns are {columns}.")
        if not columns:
            raise ValueError("Monitor: no columns to monitor.")
        kinds, tests = {}, {}
        for col in columns:
            kind = (self.kinds or {}).get(col) or column_kind(frame[col], max_categories=self.max_categories)
            if kind == "numeric" and not _is_numeric(frame[col]):
                raise ValueError(f"Monitor: column {col!r} is declared numeric but holds "
                                 f"{frame[col].dtype} values.")
            kinds[col] = kind
            tests[col] = (self.tests or {}).get(col) or {
                "numeric": self.numeric_test, "categorical": self.categorical_test,
                "binary": self.binary_test}[kind]
            self._check_test(f"the test of column {col!r}", tests[col],
                             "numeric" if kind == "numeric" else "categorical")
            if kind == "numeric" and frame[col].notna().sum() < 2:
                raise ValueError(f"Monitor: numeric column {col!r} has fewer than 2 present "
                                 "values in the reference.")
        numeric = [c for c in columns if kinds[c] == "numeric"]
        if self.multivariate and len(numeric) < 2:
            raise ValueError("Monitor: multivariate tests need at least 2 numeric columns; "
                             f"the monitored numeric columns are {numeric}.")
        self.columns_ = columns
        self.kinds_ = kinds
        self.tests_ = tests
        self.reference_ = frame[columns].copy()
        self.numeric_ref_, self.labels_ref_ = {}, {}
        for col in columns:
            if kinds[col] == "numeric":
                values = frame[col].to_numpy(dtype=float, na_value=np.nan)
                present = values[~np.isnan(values)]
                if not np.all(np.isfinite(present)):
                    raise ValueError(f"Monitor: column {col!r} holds infinite values in the "
                                     "reference; replace them (or map them to NaN) first.")
                self.numeric_ref_[col] = (np.sort(present), int(values.size - present.size))
            else:
                self.labels_ref_[col] = _labels(frame[col])
        self.state_ = None
        if self.pvalues == "portable":
            from mlmon.runtime._monitor import column_state

            self.state_ = [column_state(
                col, kinds[col], _runtime_values(frame[col], kinds[col]),
                min_effect=self._min_effect(col, tests[col]),
                null_min_effect=self._min_effect(f"{col} (null rate)", "chi_square"))
                for col in columns]
        return self

    # -- check --------------------------------------------------------------------------
    def check(self, current: Any) -> MonitorReport:
        """Compare ``current`` with the reference; every monitored column must be present."""
        if not hasattr(self, "columns_"):
            raise RuntimeError("Monitor: call fit(reference) before check(current).")
        frame = _as_frame(current, "current")
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise ValueError(f"Monitor: current lacks monitored columns {missing}; a column "
                             "that disappears is a pipeline fault to fix, not drift to test.")
        if self.state_ is not None:
            return self._check_portable(frame)
        ref = self.reference_
        series = [(col, frame[col]) for col in self.columns_]
        workers = (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs
        if workers == 1 or len(series) == 1:
            per_column = [self._column_rows(col, values) for col, values in series]
        else:  # numpy and scipy release the GIL in the heavy parts: threads share the work
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(workers, len(series))) as pool:
                per_column = list(pool.map(lambda cv: self._column_rows(*cv), series))
        rows: list[_Row] = [row for found in per_column for row in found]
        for name in self.multivariate:
            numeric = [c for c in self.columns_ if self.kinds_[c] == "numeric"]
            x_ref = ref[numeric].dropna().to_numpy(dtype=float)
            x_cur = frame[numeric].dropna().to_numpy(dtype=float)
            func = multivariate_tests()[name]
            rows.append(_Row(f"[{name}]", "multivariate", func(x_ref, x_cur, seed=self.seed),
                             f"joint test of {len(numeric)} numeric columns on complete rows"))
        return self._decide(rows, n_current=int(frame.shape[0]))

    def _column_rows(self, col: str, values) -> list[_Row]:
        """The hypotheses of one column of the current batch (its test, and its missing rate)."""
        import pandas as pd

        from mlmon import stats

        rows: list[_Row] = []
        kind, test = self.kinds_[col], self.tests_[col]
        if kind == "numeric":
            if not _is_numeric(values):
                raise ValueError(f"Monitor: column {col!r} is numeric in the reference but "
                                 f"{values.dtype} in current.")
            r_vals, n_null_r = self.numeric_ref_[col]
            c_all = values.to_numpy(dtype=float, na_value=np.nan)
            c_vals = c_all[~np.isnan(c_all)]
            if not np.all(np.isfinite(c_vals)):
                raise ValueError(f"Monitor: column {col!r} holds infinite values in current; "
                                 "replace them (or map them to NaN) first.")
            if c_vals.size == 0:
                rows.append(_Row(col, kind, None, "no present values in current"))
            else:
                rows.append(_Row(col, kind, stats.two_sample(
                    r_vals, np.sort(c_vals), test=test, **self._options(test))))
            n_null_c = c_all.size - c_vals.size
            if n_null_r or n_null_c:
                n_r = r_vals.size + n_null_r
                null_r = np.repeat([NULL_LABEL, "present"], [n_null_r, r_vals.size])
                null_c = np.where(np.isnan(c_all), NULL_LABEL, "present")
                rows.append(_Row(f"{col} (null rate)", "binary",
                                 stats.two_sample(null_r, null_c, test="chi_square"),
                                 f"missing: {n_null_r / n_r:.2%} in reference, "
                                 f"{n_null_c / c_all.size:.2%} in current", n_categories=2))
        else:
            r_lab, c_lab = self.labels_ref_[col], _labels(values)
            rows.append(_Row(col, kind, stats.two_sample(r_lab, c_lab, test=test,
                                                         **self._options(test)),
                             n_categories=len(pd.unique(np.concatenate([r_lab, c_lab])))))
        return rows

    def _check_portable(self, frame) -> MonitorReport:
        from mlmon.runtime._monitor import hypotheses

        for col in self.columns_:
            if self.kinds_[col] == "numeric" and not _is_numeric(frame[col]):
                raise ValueError(f"Monitor: column {col!r} is numeric in the reference but "
                                 f"{frame[col].dtype} in current.")
        current = {col: _runtime_values(frame[col], self.kinds_[col]) for col in self.columns_}
        rows = []
        for h in hypotheses(self.state_, current):
            result = None if h.pvalue is None else TestResult(
                test=h.test, statistic=h.statistic, pvalue=h.pvalue, effect_size=h.effect_size,
                effect_name=h.effect_name, method="asymptotic", n_reference=h.n_reference,
                n_current=h.n_current)
            rows.append(_Row(h.feature, h.kind, result, h.note, h.n_categories))
        return self._decide(rows, n_current=int(frame.shape[0]))

    def _options(self, test: str) -> dict[str, Any]:
        from mlmon.stats import TESTS

        import inspect

        params = inspect.signature(TESTS[test].function).parameters
        return {"seed": self.seed} if "seed" in params else {}

    def _min_effect(self, feature: str, test: str | None) -> float | None:
        m = self.min_effect
        if m is None or not isinstance(m, Mapping):
            return None if m is None else float(m)
        base = feature.removesuffix(" (null rate)")
        for key in (feature, base, test):
            if key is not None and key in m:
                return float(m[key])
        return None

    def _decide(self, rows: list[_Row], *, n_current: int) -> MonitorReport:
        from mlmon.stats import power as power_of

        level = self.level
        tested = [i for i, row in enumerate(rows) if row.result is not None and row.result.pvalue is not None]
        adjusted = np.full(len(rows), np.nan)
        if tested:
            adjusted[tested] = adjust_pvalues([rows[i].result.pvalue for i in tested],
                                              method=self.correction)
        per_test = level / max(len(tested), 1) if self.correction != "none" else level
        features, powers = [], {}
        for i, (feature, kind, result, note, n_categories) in enumerate(rows):
            if result is None or i not in tested:
                features.append(FeatureDrift(feature=feature, kind=kind, result=result,
                                             pvalue_adjusted=None, significant=False,
                                             min_effect=None, drift=False,
                                             note=note or "no p-value"))
                continue
            significant = bool(adjusted[i] <= level)
            floor = self._min_effect(feature, result.test)
            drift = significant and (floor is None or result.effect_size >= floor)
            pw = None
            if floor is not None:
                key = (result.test, floor, result.n_reference, result.n_current, n_categories)
                if key not in powers:  # columns of one look mostly share sizes: compute once
                    try:
                        powers[key] = float(power_of(
                            result.test, floor, n_reference=result.n_reference,
                            n_current=result.n_current, alpha=per_test,
                            n_categories=n_categories, seed=self.seed))
                    except ValueError:  # a joint test, or an effect beyond the test's scale
                        powers[key] = None
                pw = powers[key]
            features.append(FeatureDrift(feature=feature, kind=kind, result=result,
                                         pvalue_adjusted=float(adjusted[i]), significant=significant,
                                         min_effect=floor, drift=drift, power=pw, note=note))
        return MonitorReport(drift=any(f.drift for f in features), features=tuple(features),
                             alpha=level, correction=self.correction,
                             n_reference=int(self.reference_.shape[0]), n_current=n_current,
                             schedule=self.schedule)


def multivariate_tests() -> dict[str, Any]:
    """The joint tests a monitor can add, by name (those :mod:`mlmon.stats` provides).

    Examples
    --------
    >>> "mmd" in multivariate_tests()
    True
    """
    from mlmon import stats

    names = {"mmd": "mmd", "lsdd": "lsdd", "classifier": "classifier_test"}
    return {k: getattr(stats, v) for k, v in names.items() if hasattr(stats, v)}


class _Row(NamedTuple):
    feature: str
    kind: str
    result: TestResult | None
    note: str = ""
    n_categories: int | None = None


def _runtime_values(series, kind: str) -> np.ndarray:
    """A column as the runtime takes it: floats with NaN, or objects with None for missing."""
    if kind == "numeric":
        return series.to_numpy(dtype=float, na_value=np.nan)
    return series.astype("object").where(series.notna(), None).to_numpy(dtype=object)


def _is_numeric(series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _one_column(reference: Any, current: Any, what: str, *, alpha: float, test: str | None,
                kind: ColumnKind | None, min_effect: float | None) -> FeatureDrift:
    import pandas as pd

    ref, cur = pd.Series(np.asarray(reference) if not isinstance(reference, pd.Series) else reference.to_numpy(),
                         name=what), \
        pd.Series(np.asarray(current) if not isinstance(current, pd.Series) else current.to_numpy(), name=what)
    if ref.ndim != 1 or len(ref) == 0 or len(cur) == 0:
        raise ValueError(f"{what}: reference and current must be non-empty 1-D samples.")
    monitor = Monitor(alpha=alpha, correction="none", min_effect=min_effect,
                      tests=None if test is None else {what: test},
                      kinds=None if kind is None else {what: kind})
    report = monitor.fit(pd.DataFrame({what: ref})).check(pd.DataFrame({what: cur}))
    return report[what] if len(report.features) == 1 else _merge_null(report, what)


def _merge_null(report: MonitorReport, what: str) -> FeatureDrift:
    # a numeric signal with missing values gets two hypotheses; a one-liner returns the main one
    # with the missing-rate test in its note
    main, null = report[what], report[f"{what} (null rate)"]
    extra = f"{null.note}; missing-rate test p = {null.result.pvalue:.3g}"
    return FeatureDrift(feature=main.feature, kind=main.kind, result=main.result,
                        pvalue_adjusted=main.pvalue_adjusted, significant=main.significant,
                        min_effect=main.min_effect, drift=main.drift or null.drift,
                        power=main.power, note="; ".join(x for x in (main.note, extra) if x))


def label_drift(reference: Any, current: Any, *, alpha: float = 0.05, test: str | None = None,
                kind: ColumnKind | None = None, min_effect: float | None = None) -> FeatureDrift:
    """Label drift in one line: the same tests as features, on the label signal.

    Class labels (strings or up to two numbers) get a chi-square test of homogeneity,
    regression targets a Kolmogorov-Smirnov test; ``test`` and ``kind`` override the choice.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = label_drift(rng.binomial(1, 0.2, 5000), rng.binomial(1, 0.3, 1000))
    >>> r.drift, r.result.test
    (True, 'chi_square')
    """
    return _one_column(reference, current, "label", alpha=alpha, test=test, kind=kind,
                       min_effect=min_effect)


def prediction_drift(reference: Any, current: Any, *, alpha: float = 0.05, test: str | None = None,
                     kind: ColumnKind | None = None, min_effect: float | None = None) -> FeatureDrift:
    """Prediction drift in one line: scores get a KS test, predicted classes chi-square.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> r = prediction_drift(rng.beta(2, 5, 5000), rng.beta(2, 5, 1000))
    >>> r.drift, r.result.test
    (False, 'ks')
    """
    return _one_column(reference, current, "prediction", alpha=alpha, test=test, kind=kind,
                       min_effect=min_effect)
