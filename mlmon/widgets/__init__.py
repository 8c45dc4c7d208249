"""Notebook apps (ipywidgets) over mlmon's results: explore scenarios, tune thresholds, browse benchmarks.

Each app is a plain Python object whose controls are ipywidgets attributes (so code and tests
drive it as a user would) and which displays as its ``widget`` in a notebook. Figures are
matplotlib, rendered off-screen to PNG, so the apps work with any backend and redraw only what
changed. Importing this module needs ipywidgets: ``pip install "mlmon[notebooks]"``.
"""

from mlmon.widgets._browser import BenchmarkBrowser
from mlmon.widgets._calculator import SampleSizeCalculator
from mlmon.widgets._explorer import ScenarioExplorer
from mlmon.widgets._ranking import PolicyRanking
from mlmon.widgets._tuner import ThresholdTuner

__all__ = ["BenchmarkBrowser", "PolicyRanking", "SampleSizeCalculator", "ScenarioExplorer", "ThresholdTuner"]
