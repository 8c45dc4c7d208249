"""Windowed KS test: mlmon's KS.run() against a loop of scipy.stats.ks_2samp over the same windows.

Run: .venv/bin/python perf/windowed.py [--n 100000]
Decisions (p < alpha) must agree window for window; the script exits non-zero otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.stats import ks_2samp

from mlmon.detectors import KS


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--reference", type=int, default=500)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    ref = rng.normal(size=args.reference)
    x = rng.normal(size=args.n) + np.repeat(rng.normal(0, 0.3, args.n // 10_000 + 1), 10_000)[: args.n]
    det = KS(alpha=0.01, window_size=args.window, reset_on_drift=False).fit(ref)
    det.run(x[:1000])
    det.reset()
    t = time.perf_counter()
    ours = det.run(x).indices
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = [i + args.window - 1 for i in range(0, args.n - args.window + 1, args.window)
              if ks_2samp(ref, x[i:i + args.window]).pvalue < 0.01]
    t_scipy = time.perf_counter() - t
    same = np.array_equal(ours, np.asarray(theirs, dtype=np.int64))
    n_windows = args.n // args.window
    print(f"KS tumbling {args.window} vs {args.reference}: {n_windows} windows, {len(ours)} alarms; "
          f"mlmon {n_windows / t_ours:,.0f} windows/s, scipy loop {n_windows / t_scipy:,.0f} windows/s, "
          f"ratio {t_scipy / t_ours:.0f}x{'' if same else '  DECISIONS DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
