"""Drift scenarios: synthetic streams and drift injected into your data, with ground truth."""

from mlmon.scenarios._base import SCENARIOS, Drift, Scenario, Stream, register_scenario

__all__ = ["Drift", "SCENARIOS", "Scenario", "Stream", "register_scenario"]
