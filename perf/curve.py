"""Time to compute a full operating curve (threshold -> ARL, delay) from 1,000 null runs.

Run: .venv/bin/python perf/curve.py [--n-runs 1000]
The curve comes from one pass over the null runs (the detector's threshold-free trace), so its
cost is one simulation per run, whatever the number of thresholds. For contrast it also times
the naive way — one full simulation per threshold — on a few thresholds and extrapolates.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from mlmon.detectors import CUSUM, PageHinkley
from mlmon.scenarios import MeanShift
from mlmon.tuning import operating_curve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-runs", type=int, default=1000)
    ap.add_argument("--thresholds", type=int, default=50)
    args = ap.parse_args()
    drift = MeanShift(n_samples=10_000, position=5_000, shift=0.5)
    warnings.simplefilter("ignore")
    print(f"{'detector':12s} {'runs':>5s} {'thresholds':>10s} {'curve s':>8s} {'naive s (est.)':>15s} {'ratio':>6s}")
    for name, det in (("PageHinkley", PageHinkley()), ("CUSUM", CUSUM(allowance=0.25, mean=0.0, std=1.0))):
        operating_curve(det, null=drift.null(), drift=drift, thresholds=5, n_runs=5, run_length=10_000, seed=0)
        t = time.perf_counter()
        curve = operating_curve(det, null=drift.null(), drift=drift, thresholds=args.thresholds,
                                n_runs=args.n_runs, run_length=10_000, seed=0)
        t_curve = time.perf_counter() - t
        # naive: simulate every run again for each threshold (3 thresholds timed, scaled up)
        t = time.perf_counter()
        for th in np.asarray(curve.thresholds)[:: max(1, len(curve) // 3)][:3]:
            d = det.clone(threshold=float(th))
            for i in range(args.n_runs):
                d.reset()
                d.run(drift.null().generate(seed=i).signal)
                d.reset()
                d.run(drift.generate(seed=i).signal)
        t_naive = (time.perf_counter() - t) / 3 * len(curve)
        print(f"{name:12s} {args.n_runs:5d} {len(curve):10d} {t_curve:8.2f} {t_naive:15.1f} {t_naive / t_curve:5.0f}x")


if __name__ == "__main__":
    main()
