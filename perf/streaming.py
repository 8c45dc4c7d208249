"""Speed of mlmon's streaming detectors against river's per-element loop, same data, same alarms.

Run: .venv/bin/python perf/streaming.py [--n 1000000] [--repeats 3] [--n-kswin 100000] [--only ADWIN ...]
Prints one line per detector: elements/second for both and the ratio. Alarms must be identical,
or the script exits non-zero (a fast wrong answer is not a result).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from river import drift

from mlmon.detectors import ADWIN, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, PageHinkley


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _river_class(*names: str):
    """river >= 0.24 spells HDDM_A/HDDM_W as HDDMA/HDDMW."""
    return next(getattr(drift.binary, n) for n in names if hasattr(drift.binary, n))


def _river_loop(det_factory, x: list[float]) -> list[int]:
    det = det_factory()
    alarms = []
    for i, v in enumerate(x):
        det.update(v)
        if det.drift_detected:
            alarms.append(i)
    return alarms


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-kswin", type=int, default=100_000,
                    help="stream length for KSWIN (river runs scipy's ks_2samp at every value)")
    ap.add_argument("--only", nargs="*", default=None, help="detectors to measure (default: all)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.n
    # a signal with a mean shift every 100,000 samples, so both raise many alarms
    levels = np.repeat(rng.normal(0, 1, n // 100_000 + 1), 100_000)[:n]
    x = levels + rng.normal(0, 1, n)
    errors = (rng.random(n) < np.repeat(rng.uniform(0.05, 0.4, n // 100_000 + 1), 100_000)[:n]).astype(float)

    cases = [
        ("PageHinkley", x, lambda: PageHinkley(), lambda: drift.PageHinkley()),
        ("DDM", errors, lambda: DDM(), lambda: drift.binary.DDM()),
        ("EDDM", errors, lambda: EDDM(), lambda: drift.binary.EDDM()),
        ("HDDM_A", errors, lambda: HDDM_A(), lambda: _river_class("HDDMA", "HDDM_A")()),
        ("HDDM_W", errors, lambda: HDDM_W(), lambda: _river_class("HDDMW", "HDDM_W")()),
        ("ADWIN", x, lambda: ADWIN(), lambda: drift.ADWIN()),
        ("ADWIN-01", errors, lambda: ADWIN(), lambda: drift.ADWIN()),
        ("KSWIN", x[: args.n_kswin], lambda: KSWIN(seed=42), lambda: drift.KSWIN(seed=42)),
    ]
    ok = True
    print(f"{'detector':12s} {'n':>9s} {'alarms':>7s} {'mlmon run() el/s':>17s} {'river loop el/s':>16s} {'ratio':>7s}")
    for name, data, ours, theirs in cases:
        if args.only and name not in args.only:
            continue
        ours().run(data[:1000])  # compile outside the timing
        t_ours, a_ours = _best(lambda: ours().run(data), args.repeats)
        as_list = data.tolist()
        t_theirs, a_theirs = _best(lambda: _river_loop(theirs, as_list), args.repeats)
        same = np.array_equal(a_ours.indices, np.asarray(a_theirs, dtype=np.int64))
        ok &= same
        n = data.shape[0]
        print(f"{name:12s} {n:9d} {len(a_ours):7d} {n / t_ours:17.3g} {n / t_theirs:16.3g} "
              f"{t_theirs / t_ours:6.1f}x{'' if same else '  ALARMS DIFFER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
