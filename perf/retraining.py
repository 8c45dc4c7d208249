"""Cost of a retraining replay against river's own ``progressive_val_score``, same stream and model.

Run: .venv/bin/python perf/retraining.py [--n 100000] [--repeats 3]

For each river learner: river's test-then-train loop over the arrays (``stream.iter_array``, what a
river user writes for arrays) and over dicts built beforehand, against ``mlmon.retraining.replay``
with ``policy=Never()``, no label delay and a one-sample warm-up, which makes exactly river's
predictions (the script checks the accuracy is identical, or exits non-zero). The ratio is
replay time / river time: the replay's own bookkeeping (label arrivals, versions, the decision
log, the policy hooks) on top of the model's work.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from river import evaluate, linear_model, metrics, naive_bayes, stream, tree

from mlmon.retraining import replay


def _best(fn, repeats: int):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, 5))
    y = X[:, 0] + 0.5 * X[:, 1] > 0
    y[args.n // 2:] = ~y[args.n // 2:]
    learners = {"LogisticRegression": linear_model.LogisticRegression,
                "GaussianNB": naive_bayes.GaussianNB,
                "HoeffdingTreeClassifier": tree.HoeffdingTreeClassifier}
    dicts = [(dict(enumerate(r)), bool(v)) for r, v in zip(X.tolist(), y.tolist())]
    ok = True
    print(f"{args.n:,} samples, 5 features; best of {args.repeats}")
    for name, make in learners.items():
        t_arr, acc = _best(lambda: evaluate.progressive_val_score(stream.iter_array(X, y), make(),
                                                                  metrics.Accuracy()), args.repeats)
        t_dict, _ = _best(lambda: evaluate.progressive_val_score(dicts, make(), metrics.Accuracy()), args.repeats)
        t_rep, res = _best(lambda: replay(X, y, model=make(), warmup=1), args.repeats)
        # river also scores sample 0 (predicted by an untrained model); the replay trains on it
        river_correct = round(acc.get() * args.n)
        replay_correct = int(round((1 - res.mean_loss) * (args.n - 1)))
        same = abs(river_correct - replay_correct) <= 1
        ok &= same
        print(f"{name:24s} river (iter_array) {t_arr:6.2f} s   river (dicts) {t_dict:6.2f} s   replay {t_rep:6.2f} s"
              f"   ratio {t_rep / t_arr:4.2f} / {t_rep / t_dict:4.2f}   same predictions: {same}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
