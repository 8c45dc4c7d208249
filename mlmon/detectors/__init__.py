"""Drift detectors behind one protocol (see :mod:`mlmon.base`), and their registry.

Examples
--------
>>> from mlmon import detectors
>>> "PageHinkley" in detectors.REGISTRY
True
"""

from mlmon.detectors._registry import REGISTRY, get, make, register
from mlmon.detectors._page_hinkley import PageHinkley
from mlmon.detectors._charts import CUSUM, EWMA, Shewhart
from mlmon.detectors._ddm import DDM
from mlmon.detectors._eddm import EDDM
from mlmon.detectors._hddm import HDDM_A, HDDM_W
from mlmon.detectors._ks import KS
from mlmon.detectors._psi import PSI
from mlmon.detectors._river import River

__all__ = ["CUSUM", "DDM", "EDDM", "EWMA", "HDDM_A", "HDDM_W", "KS", "PSI", "PageHinkley",
           "REGISTRY", "River", "Shewhart", "get", "make", "register"]
