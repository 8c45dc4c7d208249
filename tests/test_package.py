"""Packaging contract: a light import, the CLI, and the experiment spec's error messages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlmon import cli
from mlmon.experiment import SpecError, load_spec

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "alibi_detect", "jupyter", "jupyterlab", "ipywidgets", "matplotlib", "tensorflow")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_import_mlmon_loads_no_optional_dependency():
    loaded = _modules_after("import mlmon; mlmon.__version__")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert "scipy" not in loaded and "pandas" not in loaded


def test_detectors_and_scenarios_load_no_plotting_or_torch():
    loaded = _modules_after("import mlmon.detectors, mlmon.scenarios")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_alibi_adapter_imports_alibi_detect_only_when_used():
    loaded = _modules_after("import mlmon.detectors._alibi")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_cli_lists_registered_detectors(capsys):
    assert cli.main(["detectors"]) == 0
    out = capsys.readouterr().out
    for name in ("PageHinkley", "CUSUM", "DDM"):
        assert name in out


def test_quickstart_spec_is_valid(capsys):
    assert cli.main(["validate", str(ROOT / "experiments" / "quickstart.yaml")]) == 0
    assert "valid" in capsys.readouterr().out


def test_quickstart_grid_is_at_least_the_promised_size():
    spec = load_spec(ROOT / "experiments" / "quickstart.yaml")
    assert len(spec.detectors) >= 6 and len(spec.scenarios) >= 4 and spec.replicates >= 20
    assert spec.budget.arl == 10_000


@pytest.mark.parametrize(
    ("yaml_text", "where"),
    [
        ("name: x\nbudget: {arl: 100}\nscenarios: {s: {type: Stationary}}\ndetectors: {d: {type: CUSUM}}\nreplicate: 3\n", "replicate"),
        ("name: x\nbudget: {arl: 100, window_fpr: 0.1}\nscenarios: {s: {type: Stationary}}\ndetectors: {d: {type: CUSUM}}\n", "budget"),
        ("name: x\nbudget: {arl: 100}\nscenarios: {s: {type: Nope}}\ndetectors: {d: {type: CUSUM}}\n", "scenarios"),
        ("name: x\nbudget: {arl: 100}\nscenarios: {s: {type: Stationary}}\ndetectors: {d: {type: CUSUM, param: {}}}\n", "detectors.d.param"),
        ("name: x\nbudget: {arl: -1}\nscenarios: {s: {type: Stationary}}\ndetectors: {d: {type: CUSUM}}\n", "budget.arl"),
        ("- just\n- a list\n", "mapping"),
        ("name: [unclosed\n", "YAML"),
    ],
)
def test_malformed_spec_points_at_the_offending_key(tmp_path, capsys, yaml_text, where):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(yaml_text))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert where in str(err.value)
    assert cli.main(["validate", str(path)]) == 2
    assert where in capsys.readouterr().err


def test_bad_detector_params_in_spec_name_the_key(tmp_path):
    from mlmon.experiment._runner import _build
    from mlmon.detectors import REGISTRY

    with pytest.raises(SpecError, match=r"detectors\.ph\.params: PageHinkley: parameter 'threshold' must be > 0"):
        _build("detectors", REGISTRY, "ph", "PageHinkley", {"threshold": -1.0})
