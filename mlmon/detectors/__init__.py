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
from mlmon.detectors._alibi import Alibi
from mlmon.detectors._two_sample import Distance, TwoSampleTest
from mlmon.detectors._adwin import ADWIN
from mlmon.detectors._kswin import KSWIN
from mlmon.detectors._bocpd import BOCPD
from mlmon.detectors._multivariate import LSDD, MMD, ClassifierTest, PCAReconstruction
from mlmon.detectors._embedding import Embedding
from mlmon.detectors._mmd_online import MMDOnline
from mlmon.detectors._anomaly import AnomalyRate

__all__ = ["ADWIN", "Alibi", "AnomalyRate", "BOCPD", "CUSUM", "ClassifierTest", "DDM", "Distance", "EDDM",
           "EWMA", "Embedding", "HDDM_A", "HDDM_W", "KS", "KSWIN", "LSDD", "MMD", "MMDOnline", "PCAReconstruction",
           "PSI", "PageHinkley", "REGISTRY", "River", "Shewhart", "TwoSampleTest", "get", "make",
           "register"]
