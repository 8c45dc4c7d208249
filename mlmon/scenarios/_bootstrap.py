"""Stationary resampling of a user's own reference sample (i.i.d. or stationary block bootstrap)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any

import annotated_types as at
import numpy as np

from mlmon._validation import check_signal, validate_params
from mlmon.scenarios._base import Scenario, Stream, _rebuild, register_scenario

__all__ = ["Bootstrap"]


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Bootstrap(Scenario):
    """A stationary stream resampled from your own reference sample (values or rows).

    With ``block_size=1`` the samples are drawn i.i.d. (with replacement) from
    ``reference``. With ``block_size > 1`` it is the stationary bootstrap of Politis and
    Romano (1994), which keeps short-range autocorrelation: the stream copies consecutive
    runs of ``reference`` (wrapping around at its end) whose lengths are geometric with mean
    ``block_size``; that is, each next sample starts a new run at a uniformly drawn index with
    probability ``1 / block_size`` and otherwise continues the current run. Either way the
    stream is stationary and its marginal distribution is the empirical distribution of
    ``reference``: use it to measure false alarms on data that looks like yours.

    Parameters
    ----------
    reference
        1-D array-like of finite numbers, at least 2 of them, or a 2-D ``(n, d)`` array of rows
        (a multivariate stream: rows are resampled whole). It is copied into a read-only
        float64 array.
    n_samples
        Length of the stream.
    block_size
        Mean length of the resampled runs (>= 1, at most ``len(reference)``); 1 for i.i.d.

    Attributes
    ----------
    fingerprint : str
        sha256 hex digest of ``reference``'s little-endian float64 bytes; :meth:`params`
        reports it (with the shape) in place of the data.

    References
    ----------
    Politis, D. N. and Romano, J. P. (1994). The stationary bootstrap. *Journal of the
    American Statistical Association* 89(428), 1303-1313.

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.random.default_rng(0).normal(size=500)
    >>> sc = Bootstrap(reference, n_samples=1000, block_size=20)
    >>> s = sc.generate(seed=0)
    >>> s.n_samples, s.is_stationary, bool(np.isin(s.signal, reference).all())
    (1000, True, True)
    >>> sc.params()["reference"]["shape"], sc.null() is sc
    ([500], True)
    """

    reference: np.ndarray = field(kw_only=False)
    n_samples: Annotated[int, at.Ge(1)] = 10_000
    block_size: Annotated[float, at.Ge(1)] = 1

    def __post_init__(self) -> None:
        ref = check_signal(self.reference, name=f"{self.name}: parameter 'reference'", min_length=2,
                           allow_2d=True)
        ref = np.array(ref, dtype=np.float64, copy=True)
        ref.flags.writeable = False
        object.__setattr__(self, "reference", ref)
        validate_params(self)
        if self.block_size > ref.shape[0]:
            raise ValueError(
                f"{self.name}: parameter 'block_size' (the mean run length) must be at most "
                f"len(reference)={ref.shape[0]}, got {self.block_size}; lower block_size or pass "
                "a longer reference."
            )

    @property
    def fingerprint(self) -> str:
        """sha256 hex digest of the reference's float64 bytes."""
        return self._digest("reference", self.reference)

    @property
    def signal_kind(self) -> str:  # type: ignore[override]
        """``"multivariate"`` for rows, ``"binary"`` when the reference holds only 0 and 1 (an
        error stream), else ``"real"``."""
        ref = self.reference
        if ref.ndim == 2:
            return "multivariate"
        return "binary" if bool(np.all((ref == 0.0) | (ref == 1.0))) else "real"

    @property
    def is_stationary(self) -> bool:
        return True

    def __repr__(self) -> str:
        return (
            f"{self.name}(reference=<{self.reference.shape[0]} {'rows' if self.reference.ndim == 2 else 'values'}, sha256 {self.fingerprint[:12]}>, "
            f"n_samples={self.n_samples!r}, block_size={self.block_size!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuild through the constructor so the reference is read-only again after unpickling
        return (_rebuild, (type(self), {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}))

    def _generate(self, rng: np.random.Generator) -> Stream:
        m, n = self.reference.shape[0], self.n_samples
        if self.block_size == 1:
            idx = rng.integers(0, m, size=n)
        else:
            restart = rng.random(n) < 1.0 / self.block_size
            restart[0] = True
            block = np.cumsum(restart) - 1
            block_first = np.flatnonzero(restart)
            starts = rng.integers(0, m, size=block_first.shape[0])
            idx = (starts[block] + (np.arange(n) - block_first[block])) % m
        return Stream(signal=self.reference[idx], signal_kind=self.signal_kind,
                      meta={"reference_sha256": self.fingerprint})
