"""The experiment spec: a YAML file declaring scenarios × detectors × seeds, a false-alarm
budget, and what to export. Validated strictly: unknown keys and bad values are reported with
the path of the offending key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["ExperimentSpec", "SpecError", "load_spec", "read_raw"]


class SpecError(ValueError):
    """A malformed experiment spec; the message points at the offending key.

    Examples
    --------
    >>> try:
    ...     load_spec({"name": "x"})
    ... except SpecError as err:
    ...     print(str(err).splitlines()[1])
      - budget: Field required
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BudgetSpec(_Strict):
    """False-alarm budget every detector is calibrated to before comparison."""

    arl: float | None = Field(default=None, gt=1, description="target average run length to the first false alarm")
    window_fpr: float | None = Field(default=None, gt=0, lt=1, description="target per-window false-positive rate")
    n_runs: int = Field(default=200, ge=10, description="null runs behind each calibration")
    run_length: int | None = Field(default=None, ge=100, description="samples per null run")
    confidence: float = Field(default=0.95, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_target(self) -> BudgetSpec:
        if (self.arl is None) == (self.window_fpr is None):
            raise ValueError("give exactly one of 'arl' or 'window_fpr'")
        return self


class ScenarioSpec(_Strict):
    """One scenario: a class from mlmon.scenarios.SCENARIOS and its parameters."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    calibrate_on: Literal["null", "bootstrap"] = Field(
        default="null",
        description="'null': calibrate on the scenario's stationary counterpart; 'bootstrap': on a "
        "bootstrap of the pre-drift part of one stream from it (for scenarios costly to simulate)",
    )
    reference_size: int = Field(default=4000, ge=100, description="pre-drift samples bootstrapped")


class DetectorSpec(_Strict):
    """One detector: a class from mlmon.detectors.REGISTRY and its parameters."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    calibration_runs: int | None = Field(
        default=None, ge=10,
        description="null runs for this detector's calibration, instead of budget.n_runs (for slow "
        "peer detectors calibrated by bisection)",
    )


class ReportSpec(_Strict):
    example_scenario: str | None = None
    curve_points: int = Field(default=40, ge=5, le=500)


class ExperimentSpec(_Strict):
    """A whole experiment, as declared in YAML (see ``experiments/quickstart.yaml``).

    Examples
    --------
    >>> spec = ExperimentSpec.model_validate({
    ...     "name": "demo", "budget": {"arl": 5000},
    ...     "scenarios": {"shift": {"type": "MeanShift", "params": {"shift": 1.0}}},
    ...     "detectors": {"ph": {"type": "PageHinkley"}}})
    >>> spec.replicates, spec.scenarios["shift"].calibrate_on
    (20, 'null')
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = Field(default=0, ge=0)
    replicates: int = Field(default=20, ge=1)
    n_jobs: int = 1
    tolerance: int | None = Field(default=None, ge=1)
    budget: BudgetSpec
    scenarios: dict[str, ScenarioSpec] = Field(min_length=1)
    detectors: dict[str, DetectorSpec] = Field(min_length=1)
    export: Literal["all", "none"] | list[str] = "all"
    report: ReportSpec = Field(default_factory=ReportSpec)

    @field_validator("scenarios")
    @classmethod
    def _known_scenarios(cls, v: dict[str, ScenarioSpec]) -> dict[str, ScenarioSpec]:
        from mlmon.scenarios import SCENARIOS

        for name, s in v.items():
            if s.type not in SCENARIOS:
                raise ValueError(f"scenario {name!r}: unknown type {s.type!r}; known: {sorted(SCENARIOS)}")
        return v

    @field_validator("detectors")
    @classmethod
    def _known_detectors(cls, v: dict[str, DetectorSpec]) -> dict[str, DetectorSpec]:
        from mlmon.detectors import REGISTRY

        for name, d in v.items():
            if d.type not in REGISTRY:
                raise ValueError(f"detector {name!r}: unknown type {d.type!r}; known: {sorted(REGISTRY)}")
        return v

    @model_validator(mode="after")
    def _cross_refs(self) -> ExperimentSpec:
        if isinstance(self.export, list):
            unknown = sorted(set(self.export) - set(self.detectors))
            if unknown:
                raise ValueError(f"export lists unknown detector(s) {unknown}; declared: {sorted(self.detectors)}")
        ex = self.report.example_scenario
        if ex is not None and ex not in self.scenarios:
            raise ValueError(f"report.example_scenario {ex!r} is not a declared scenario: {sorted(self.scenarios)}")
        return self


def _format_errors(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid experiment spec"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see experiments/quickstart.yaml for the keys)"
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def read_raw(path: str | Path) -> dict[str, Any]:
    """The spec file's YAML as a dict, before validation."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such experiment spec file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the spec must be a YAML mapping with keys name, budget, scenarios, detectors")
    return raw


def load_spec(source: str | Path | dict[str, Any]) -> ExperimentSpec:
    """Read and validate an experiment spec from a YAML path or a dict.

    Examples
    --------
    >>> spec = load_spec({"name": "demo", "budget": {"arl": 1000},
    ...                   "scenarios": {"null": {"type": "Stationary"}},
    ...                   "detectors": {"ph": {"type": "PageHinkley"}}})
    >>> spec.budget.arl, list(spec.detectors)
    (1000.0, ['ph'])
    >>> try:
    ...     load_spec({"name": "demo", "budget": {"arl": 1000, "nruns": 5},
    ...                "scenarios": {"null": {"type": "Stationary"}},
    ...                "detectors": {"ph": {"type": "PageHinkley"}}})
    ... except SpecError as err:
    ...     print(str(err).splitlines()[1].split(":")[0])
      - budget.nruns
    """
    label = "spec" if isinstance(source, dict) else str(source)
    raw = source if isinstance(source, dict) else read_raw(source)
    try:
        return ExperimentSpec.model_validate(raw)
    except ValidationError as err:
        raise SpecError(_format_errors(err, label)) from None
