"""Declarative experiments: a YAML spec in, a results folder with a report and configs out."""

from mlmon.experiment._runner import ExperimentResult, apply_overrides, run_experiment
from mlmon.experiment._spec import ExperimentSpec, SpecError, load_spec

__all__ = ["ExperimentResult", "ExperimentSpec", "SpecError", "apply_overrides", "load_spec", "run_experiment"]
