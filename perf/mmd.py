"""MMD permutation test: ``mlmon.stats`` ``mmd()`` against alibi-detect's ``MMDDrift`` (PyTorch).

Run in an environment with alibi-detect and torch (alibi-detect 0.13 needs NumPy < 2)::

    .venv-np126/bin/python perf/mmd.py [--rows 1000] [--features 10] [--permutations 100]

``--backends`` compares mlmon's own numpy and torch backends instead (no alibi-detect
needed), at several sizes, on ``--device`` (default: CUDA when available)::

    python perf/mmd.py --backends --device cuda

Both sides get the same data (float64), the same kernel (Gaussian, the same bandwidth: the
median heuristic on the reference, which is what ``MMDDrift`` infers by default) and the same
number of permutations, on the CPU. The script checks, before timing anything:

- that both report the same unbiased MMD^2 (to float64 rounding);
- that their p-values agree in distribution: over independent data sets (null and shifted)
  the two p-values of each data set differ only by the Monte Carlo error of ``B``
  permutations, and a two-sample KS test does not tell the two lists apart.

It exits non-zero when a check fails. Then it times one test on each side (best of 3): mlmon
with the numpy and the torch backend, and alibi-detect's ``score()`` (its reference kernel
matrix is computed at construction, which is not timed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _load_mmd():
    """``mlmon.stats._mmd``; where mlmon's own dependencies are missing (a bare GPU machine),
    the module alone, which needs numpy (and torch for its torch backend)."""
    try:
        import mlmon.stats._mmd as module
    except ImportError:
        import types

        for name, path in (("mlmon", ROOT / "mlmon"), ("mlmon.stats", ROOT / "mlmon" / "stats")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        import mlmon.stats._mmd as module
    return module


_mmd_module = _load_mmd()
median_heuristic, mmd = _mmd_module.median_heuristic, _mmd_module.mmd


def _best(fn, repeat=3):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _alibi(x_ref, sigma, n_permutations):
    from alibi_detect.cd import MMDDrift

    return MMDDrift(x_ref, backend="pytorch", p_val=0.05, sigma=np.array([sigma]),
                    configure_kernel_from_x_ref=False, n_permutations=n_permutations,
                    device="cpu")


def backends(device: str | None, features: int, n_permutations: int) -> int:
    """mlmon numpy against mlmon torch: same statistic and p-value, and their speed."""
    import torch

    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(0) if dev.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__} on {dev} ({name}), numpy {np.__version__}; "
          f"{features} features, {n_permutations} permutations")
    failed = False
    for rows in (1000, 2000, 5000, 10000):
        rng = np.random.default_rng(rows)
        x_ref, x = rng.normal(size=(rows, features)), rng.normal(0.02, 1.0, size=(rows, features))
        sigma = median_heuristic(x_ref)

        def run(backend):
            out = mmd(x_ref, x, sigma=sigma, n_permutations=n_permutations, backend=backend,
                      device=dev, seed=0)
            if backend == "torch" and dev.startswith("cuda"):
                torch.cuda.synchronize()
            return out

        run("torch")  # warm-up (CUDA context, kernels)
        t_torch, r_torch = _best(lambda: run("torch"))
        t_np, r_np = _best(lambda: run("numpy"), repeat=1 if rows > 2000 else 3)
        rel = abs(r_torch.statistic - r_np.statistic) / abs(r_np.statistic)
        same = r_torch.pvalue == r_np.pvalue
        failed |= rel > 1e-8 or not same  # MMD^2 is a small difference of large sums
        print(f"{rows:>6} vs {rows:<6} numpy {t_np * 1e3:9.1f} ms  torch {t_torch * 1e3:8.1f} ms  "
              f"numpy/torch {t_np / t_torch:6.1f}x  statistic rel. diff {rel:.1e}  "
              f"p-values {r_np.pvalue:.4f} / {r_torch.pvalue:.4f} {'same' if same else 'DIFFER'}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--permutations", type=int, default=100)
    parser.add_argument("--datasets", type=int, default=40, help="data sets for the p-value check")
    parser.add_argument("--backends", action="store_true",
                        help="compare mlmon's numpy and torch backends (no alibi-detect)")
    parser.add_argument("--device", default=None, help="torch device for --backends")
    args = parser.parse_args()
    if args.backends:
        return backends(args.device, args.features, args.permutations)
    try:
        import alibi_detect
        import torch
    except ImportError as err:
        print(f"needs alibi-detect and torch ({err}); run it with .venv-np126/bin/python.")
        return 2
    torch.manual_seed(0)  # alibi-detect draws its permutations with torch's global generator
    n, d, b = args.rows, args.features, args.permutations
    print(f"alibi-detect {alibi_detect.__version__}, torch {torch.__version__}, numpy "
          f"{np.__version__}, {torch.get_num_threads()} torch threads; {n} vs {n} rows x {d} "
          f"features, {b} permutations, CPU")

    # 1. same statistic ---------------------------------------------------------------------
    rng = np.random.default_rng(0)
    x_ref = rng.normal(size=(n, d))
    x = rng.normal(0.05, 1.0, size=(n, d))
    sigma = median_heuristic(x_ref)
    ours = mmd(x_ref, x, sigma=sigma, n_permutations=b, backend="numpy", seed=0)
    detector = _alibi(x_ref, sigma, b)
    p_alibi, stat_alibi, _ = detector.score(x)
    rel = abs(ours.statistic - float(stat_alibi)) / abs(float(stat_alibi))
    print(f"MMD^2: mlmon {ours.statistic:.12g}, alibi-detect {float(stat_alibi):.12g} "
          f"(relative difference {rel:.1e})")
    if rel > 1e-9:
        print("FAIL: the statistics differ")
        return 1

    # 2. p-values agree in distribution ----------------------------------------------------
    from scipy import stats

    n_sets = args.datasets
    small = min(n, 300)  # the check needs many data sets: use at most 300 rows a side
    ours_p, alibi_p = np.empty(n_sets), np.empty(n_sets)
    for k, seq in enumerate(np.random.SeedSequence(1).spawn(n_sets)):
        r = np.random.default_rng(seq)
        shift = 0.0 if k % 2 == 0 else 0.06
        ref, cur = r.normal(size=(small, d)), r.normal(shift, 1.0, size=(small, d))
        s = median_heuristic(ref)
        ours_p[k] = mmd(ref, cur, sigma=s, n_permutations=b, backend="numpy", seed=k).pvalue
        alibi_p[k] = _alibi(ref, s, b).score(cur)[0]
    # alibi-detect reports b/B, mlmon (b + 1)/(B + 1); compare on alibi's scale
    ours_on_alibi = (ours_p * (b + 1) - 1) / b
    diff = ours_on_alibi - alibi_p
    # each p-value estimates the same exact permutation p-value with B draws: the difference
    # of two has sd <= sqrt(2 * 0.25 / B); bound the worst of n_sets at a 0.001 family level
    z = stats.norm.isf(0.0005 / n_sets)
    bound = z * np.sqrt(2 * 0.25 / b)
    ks = stats.ks_2samp(ours_on_alibi, alibi_p)
    print(f"p-values over {n_sets} data sets ({small} vs {small} rows, half null, half shifted): "
          f"largest |difference| {np.abs(diff).max():.3f} (bound {bound:.3f}), mean difference "
          f"{diff.mean():+.4f}, KS two-sample p = {ks.pvalue:.3f}")
    print(f"  null sets: mlmon mean p {ours_p[::2].mean():.3f}, alibi-detect {alibi_p[::2].mean():.3f};"
          f" shifted sets: mlmon {ours_p[1::2].mean():.3f}, alibi-detect {alibi_p[1::2].mean():.3f}")
    if np.abs(diff).max() > bound or ks.pvalue < 0.001:
        print("FAIL: the p-values disagree")
        return 1

    # 3. speed -----------------------------------------------------------------------------
    t_np, _ = _best(lambda: mmd(x_ref, x, sigma=sigma, n_permutations=b, backend="numpy", seed=0))
    mmd(x_ref, x, sigma=sigma, n_permutations=b, backend="torch", device="cpu", seed=0)  # warm-up
    t_torch, r_torch = _best(lambda: mmd(x_ref, x, sigma=sigma, n_permutations=b, backend="torch",
                                         device="cpu", seed=0))
    assert r_torch.pvalue == ours.pvalue
    t_alibi, _ = _best(lambda: detector.score(x))
    print(f"one test, best of 3: mlmon numpy {t_np * 1e3:.0f} ms, mlmon torch (CPU) "
          f"{t_torch * 1e3:.0f} ms, alibi-detect MMDDrift.score {t_alibi * 1e3:.0f} ms")
    print(f"ratio alibi-detect / mlmon: numpy backend {t_alibi / t_np:.1f}x, torch backend "
          f"{t_alibi / t_torch:.1f}x; mlmon numpy / torch: {t_np / t_torch:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
