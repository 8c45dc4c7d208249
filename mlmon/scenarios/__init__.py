"""Drift scenarios: synthetic streams and drift injected into your data, with ground truth.

Every scenario is a frozen dataclass whose fields are its whole config; ``generate(seed=...)``
returns a :class:`Stream` (signal, features, labels) with its true :class:`Drift` list, and
``null()`` the stationary counterpart on which false-alarm rates are measured.

Examples
--------
>>> from mlmon import scenarios
>>> sorted(scenarios.SCENARIOS)
['Bootstrap', 'ErrorRateShift', 'InjectedShift', 'LabelShift', 'MeanShift', 'MultivariateShift', 'PipelineFault', 'RiverConceptDrift', 'Stationary', 'VarianceShift']
>>> stream = scenarios.MeanShift(n_samples=1000, position=500).generate(seed=0)
>>> stream.drifts[0].start, stream.meta["scenario"]
(500, 'MeanShift')
"""

from mlmon.scenarios._base import SCENARIOS, Drift, Scenario, Stream, fingerprint, register_scenario
from mlmon.scenarios._bootstrap import Bootstrap
from mlmon.scenarios._faults import LabelShift, PipelineFault
from mlmon.scenarios._injected import InjectedShift, load_example_frame
from mlmon.scenarios._multivariate import MultivariateShift
from mlmon.scenarios._river import RiverConceptDrift
from mlmon.scenarios._synthetic import ErrorRateShift, MeanShift, Stationary, VarianceShift

__all__ = [
    "Bootstrap",
    "Drift",
    "ErrorRateShift",
    "InjectedShift",
    "LabelShift",
    "MeanShift",
    "MultivariateShift",
    "PipelineFault",
    "RiverConceptDrift",
    "SCENARIOS",
    "Scenario",
    "Stationary",
    "Stream",
    "VarianceShift",
    "fingerprint",
    "load_example_frame",
    "register_scenario",
]
