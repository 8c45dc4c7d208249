"""Data drift check of a 100,000 x 25 table: mlmon's Monitor against Evidently's DataDriftPreset.

Both compare a current table with a reference table of 100,000 rows, 20 numeric and 5
categorical columns (4 numeric and 1 categorical column drifted), and decide per column.
Evidently runs (a) with its defaults (Wasserstein distance for numeric and Jensen-Shannon for
categorical columns above 1,000 rows) and (b) with the same tests as mlmon's defaults
(two-sample KS and chi-square); mlmon's Monitor runs its defaults (KS and chi-square, Holm
correction). Timings are the best of ``--repeat`` runs of the check alone (fitting mlmon's
monitor, which copies the reference, is timed apart); imports are excluded.

Evidently needs pandas < 3, so this runs in its own environment::

    python -m venv .venv-perf
    .venv-perf/bin/pip install "evidently==0.7.23" "pandas<3" -e .
    .venv-perf/bin/python perf/monitor.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def tables(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    cats = np.array(["a", "b", "c", "d", "e", "f"])

    def frame(drift: bool) -> pd.DataFrame:
        data = {}
        for j in range(20):
            shift = 0.1 if drift and j < 4 else 0.0
            data[f"num{j}"] = rng.normal(shift, 1.0 + j / 20, n)
        for j in range(5):
            p = np.full(6, 1 / 6)
            if drift and j == 0:
                p = np.array([0.22, 0.18, 0.15, 0.15, 0.15, 0.15])
            data[f"cat{j}"] = rng.choice(cats, n, p=p)
        return pd.DataFrame(data)

    drifted = [f"num{j}" for j in range(4)] + ["cat0"]
    return frame(False), frame(True), drifted


#: Evidently stattests whose value is a p-value (the others are distances)
_PVALUE_METHODS = {"ks", "chisquare", "z", "anderson", "cramer_von_mises", "mannw", "t_test",
                   "g_test", "fisher_exact", "epps_singleton"}


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ref, cur, drifted = tables(args.rows, seed=0)

    from mlmon.monitor import Monitor

    t_fit, monitor = best_of(args.repeat, lambda: Monitor().fit(ref))
    t_ours, report = best_of(args.repeat, lambda: monitor.check(cur))
    ours = sorted(report.drifted)
    threaded = Monitor(n_jobs=2).fit(ref)
    t_two, report_two = best_of(args.repeat, lambda: threaded.check(cur))
    assert sorted(report_two.drifted) == ours

    from evidently import Dataset, DataDefinition, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=[c for c in ref if c.startswith("num")],
                                categorical_columns=[c for c in ref if c.startswith("cat")])
    ref_ds = Dataset.from_pandas(ref, data_definition=definition)
    cur_ds = Dataset.from_pandas(cur, data_definition=definition)

    def evidently(**options):
        return Report([DataDriftPreset(**options)]).run(cur_ds, ref_ds)

    def evidently_drifted(snapshot) -> list[str]:
        found = []
        for metric in snapshot.dict()["metrics"]:
            name = metric.get("metric_name", "")
            if name.startswith("ValueDrift("):
                column = name.split("column=")[1].split(",")[0].rstrip(")")
                config = metric.get("config", {})
                threshold = config.get("threshold")
                value = metric["value"]
                method = config.get("method", "")
                # p-value tests drift below their threshold, distances above it
                is_pvalue = method in _PVALUE_METHODS
                if (value < threshold) if is_pvalue else (value >= threshold):
                    found.append(column)
        return sorted(found)

    t_default, snap_default = best_of(args.repeat, evidently)
    t_same, snap_same = best_of(args.repeat, lambda: evidently(num_method="ks", cat_method="chisquare"))

    print(f"{args.rows:,} x 25 table (20 numeric, 5 categorical); truly drifted: {drifted}")
    print(f"mlmon Monitor (KS + chi-square, Holm): check {t_ours * 1e3:8.1f} ms "
          f"(fit {t_fit * 1e3:.1f} ms); drifted {ours}")
    print(f"mlmon Monitor(n_jobs=2), two threads   : check {t_two * 1e3:8.1f} ms")
    print(f"Evidently DataDriftPreset, defaults     : {t_default * 1e3:8.1f} ms "
          f"-> {t_default / t_ours:5.1f}x mlmon ({t_default / t_two:5.1f}x with 2 threads); "
          f"drifted {evidently_drifted(snap_default)}")
    print(f"Evidently DataDriftPreset, KS + chi2    : {t_same * 1e3:8.1f} ms "
          f"-> {t_same / t_ours:5.1f}x mlmon ({t_same / t_two:5.1f}x with 2 threads); "
          f"drifted {evidently_drifted(snap_same)}")


if __name__ == "__main__":
    main()
