"""Drift detectors behind one protocol (see :mod:`mlmon.base`), and their registry.

Examples
--------
>>> from mlmon import detectors
>>> "PageHinkley" in detectors.REGISTRY
True
"""

from mlmon.detectors._registry import REGISTRY, get, make, register
from mlmon.detectors._page_hinkley import PageHinkley
from mlmon.detectors._cusum import CUSUM
from mlmon.detectors._ddm import DDM

__all__ = ["CUSUM", "DDM", "PageHinkley", "REGISTRY", "get", "make", "register"]
