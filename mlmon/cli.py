"""The ``mlmon`` command.

``mlmon run SPEC``       run an experiment spec (see experiments/quickstart.yaml)
``mlmon validate SPEC``  check a spec without running it
``mlmon detectors``      list the registered detectors
``mlmon scenarios``      list the registered scenarios
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlmon", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment spec and write its results folder")
    run.add_argument("spec", type=Path)
    run.add_argument("--results-dir", type=Path, default=None,
                     help="where <name>/ is written (default: experiments/results next to the spec)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a spec value, e.g. --set replicates=5 --set budget.arl=1000")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    val = sub.add_parser("validate", help="check an experiment spec without running it")
    val.add_argument("spec", type=Path)
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    sub.add_parser("detectors", help="list the registered detectors")
    sub.add_parser("scenarios", help="list the registered scenarios")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from mlmon.experiment import SpecError, apply_overrides, load_spec, run_experiment

    try:
        if args.command in ("run", "validate"):
            from mlmon.experiment._spec import read_raw

            spec = (load_spec(apply_overrides(read_raw(args.spec), args.overrides))
                    if args.overrides else load_spec(args.spec))
            if args.command == "validate":
                print(f"{args.spec}: valid ({len(spec.scenarios)} scenarios x {len(spec.detectors)} "
                      f"detectors x {spec.replicates} replicates)")
                return 0
            results_dir = args.results_dir or args.spec.resolve().parent / "results"
            res = run_experiment(spec, results_dir=results_dir, progress=not args.no_progress)
            t = res.timings
            print(f"wrote {res.out_dir} in {t.get('total_s', 0):.1f} s "
                  f"(calibration {t.get('calibration_s', 0):.1f} s, benchmark {t.get('benchmark_s', 0):.1f} s, "
                  f"curves {t.get('curves_s', 0):.1f} s)")
            print(f"  report:  {res.out_dir / 'report.md'}")
            print(f"  metrics: {res.out_dir / 'metrics.csv'}")
            print(f"  configs: {len(res.exported)} in {res.out_dir / 'configs'}")
            return 0
        if args.command == "detectors":
            from mlmon.detectors import REGISTRY

            for name, cls in sorted(REGISTRY.items()):
                doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
                print(f"{name:14s} {doc}")
            return 0
        if args.command == "scenarios":
            from mlmon.scenarios import SCENARIOS

            for name, cls in sorted(SCENARIOS.items()):
                doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
                print(f"{name:18s} {doc}")
            return 0
    except SpecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
