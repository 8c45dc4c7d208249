"""Calibrating an online MMD detector to an expected run time: mlmon against alibi-detect.

Both sides are given the same reference (``--rows`` x ``--features`` standard normal rows), the
same window size and the same false-alarm target (alibi-detect's expected run time ``ert``,
mlmon's average run length ``arl``):

- alibi-detect's ``MMDDriftOnline(x_ref, ert, window_size, backend="pytorch",
  n_bootstraps=B)`` configures per-step thresholds at construction by simulating ``B``
  bootstrap streams from the reference (``B`` must exceed ``ert``; its default is 1,000);
  the construction is timed.
- mlmon's ``tuning.calibrate(MMDOnline(window_size).fit(x_ref), x_ref, arl=ert, n_runs=R)``
  traces ``R`` null runs resampled from the reference (each ``4 * ert`` rows long, so 200 runs
  simulate 0.4 million rows at ``ert=500``) and solves for one threshold; the call is timed. It reports the achieved ARL with its interval, which the
  script prints, and then checks it on fresh bootstrap streams.

Run in the environment with alibi-detect and torch (NumPy 1.26)::

    .venv-np126/bin/python perf/mmd_online.py [--ert 500] [--window 20] [--bootstraps 1000] [--runs 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--ert", type=int, default=500)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--bootstraps", type=int, default=1000,
                        help="alibi-detect's n_bootstraps (its default; it needs > 1 / fpr)")
    parser.add_argument("--runs", type=int, default=200, help="mlmon's null runs (its default)")
    parser.add_argument("--fresh", type=int, default=200, help="fresh null runs to check the ARL")
    args = parser.parse_args()
    x_ref = np.random.default_rng(0).normal(size=(args.rows, args.features))

    from mlmon.detectors import MMDOnline
    from mlmon.scenarios import Bootstrap
    from mlmon.tuning import calibrate
    from mlmon.tuning._solvers import first_alarm

    import torch
    from alibi_detect.cd import MMDDriftOnline

    # warm both sides up (imports, first calls) on a small problem; then time
    calibrate(MMDOnline(window_size=args.window).fit(x_ref[:200]), x_ref[:200], arl=50,
              n_runs=20, seed=0)
    MMDDriftOnline(x_ref[:200].astype(np.float32), ert=50, window_size=args.window,
                   backend="pytorch", n_bootstraps=100, verbose=False)

    t0 = time.perf_counter()
    cal = calibrate(MMDOnline(window_size=args.window).fit(x_ref), x_ref, arl=args.ert,
                    n_runs=args.runs, seed=0)
    t_ours = time.perf_counter() - t0
    fresh = Bootstrap(x_ref, n_samples=30 * args.ert)
    lengths = [first_alarm(cal.detector, fresh.generate(seed=s).signal) + 1
               for s in np.random.SeedSequence(1).spawn(args.fresh)]
    lengths = np.array([v for v in lengths if v > 0], dtype=float)

    torch.manual_seed(0)
    t0 = time.perf_counter()
    MMDDriftOnline(x_ref.astype(np.float32), ert=args.ert, window_size=args.window,
                   backend="pytorch", n_bootstraps=args.bootstraps, verbose=False)
    t_alibi = time.perf_counter() - t0

    print(f"reference {args.rows} x {args.features}, window {args.window}, target ERT/ARL "
          f"{args.ert}; mlmon {args.runs} null runs of {cal.run_length} rows, alibi-detect "
          f"{args.bootstraps} bootstraps; torch threads {torch.get_num_threads()}")
    print(f"mlmon calibrate(MMDOnline)     : {t_ours:7.2f} s  threshold {cal.value:.4g}, ARL "
          f"{cal.estimate:.0f} [{cal.ci_low:.0f}, {cal.ci_high:.0f}] on the null runs; "
          f"{lengths.mean():.0f} +- {lengths.std(ddof=1) / np.sqrt(lengths.size):.0f} on "
          f"{lengths.size} fresh runs")
    print(f"alibi-detect MMDDriftOnline()  : {t_alibi:7.2f} s  -> {t_alibi / t_ours:.1f}x mlmon")


if __name__ == "__main__":
    main()
