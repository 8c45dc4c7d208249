"""Safe model rollouts: A/B tests, sequential tests that hold under peeking, canary and shadow analyses.

Every comparison returns an :class:`ABResult` (treatment minus control, its interval, its
p-value, the test used).
"""

from mlmon.ab._always_valid import AlwaysValid, AlwaysValidResult, msprt
from mlmon.ab._group_sequential import GroupSequentialDesign, GroupSequentialResult, group_sequential
from mlmon.ab._sequential import (DecisionTime, PeekingSimulation, SequentialSampleSize,
                                  expected_time_to_decision, peeking_simulation, sequential_sample_size)
from mlmon.ab._fixed import cuped, means, proportions, ratio
from mlmon.ab._nonparametric import bootstrap, mann_whitney
from mlmon.ab._planning import SampleSize, mde, power, sample_size
from mlmon.ab._canary import CanaryDecision, CanaryRule, Metric, RolloutSimulation, simulate_rollout
from mlmon.ab._export import export_rollout
from mlmon.ab._result import ABResult
from mlmon.ab._segments import Heterogeneity, SegmentReport, by_segment
from mlmon.ab._shadow import ShadowReport, ShadowSegment, shadow

__all__ = ["ABResult", "SampleSize", "bootstrap", "cuped", "mann_whitney", "mde", "means", "power", "proportions",
           "ratio", "sample_size"]
__all__ += ["Heterogeneity", "SegmentReport", "ShadowReport", "ShadowSegment", "by_segment", "shadow"]
__all__ += ["AlwaysValid", "AlwaysValidResult", "DecisionTime", "GroupSequentialDesign", "GroupSequentialResult",
            "PeekingSimulation", "SequentialSampleSize", "expected_time_to_decision", "group_sequential", "msprt",
            "peeking_simulation", "sequential_sample_size"]
__all__ += ["CanaryDecision", "CanaryRule", "Metric", "RolloutSimulation", "simulate_rollout"]
__all__ += ["export_rollout"]
