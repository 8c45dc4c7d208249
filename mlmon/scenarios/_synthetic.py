"""Univariate synthetic scenarios: Gaussian noise, a mean or variance change, a 0/1 error stream.

A change starts at ``position`` and, for ``kind="gradual"`` and ``kind="incremental"``, is
complete ``width`` samples later. Write ``a_i`` for the ramp ``clip((i - position) / width, 0,
1)`` (a step at ``position`` for ``kind="sudden"``):

- ``sudden``: every sample from ``position`` on comes from the new distribution;
- ``gradual``: sample ``i`` comes from the new distribution with probability ``a_i``, else
  from the old one (a mixture whose new-concept share ramps linearly from 0 to 1);
- ``incremental``: the parameter itself moves linearly, ``old + a_i * (new - old)``.

The ground truth is ``Drift(start=position, end=position + width)``: ``a_start = 0`` and
``a_end = 1``. Every sample before ``position`` is drawn exactly as the scenario's
:meth:`~mlmon.scenarios.Scenario.null` draws it, so a scenario and its null agree
byte for byte before the change under the same seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

import annotated_types as at
import numpy as np

from mlmon._validation import validate_params
from mlmon.scenarios._base import Drift, Scenario, Stream, register_scenario

__all__ = ["ErrorRateShift", "MeanShift", "Stationary", "VarianceShift"]

ShiftKind = Literal["sudden", "gradual", "incremental"]


def _check_change(owner: str, *, n_samples: int, position: int, width: int, kind: str) -> None:
    """Check that a change of ``kind`` at ``position`` over ``width`` samples fits the stream."""
    if kind == "sudden" and width != 0:
        raise ValueError(
            f"{owner}: parameter 'width' must be 0 for kind='sudden', got {width}; use "
            "kind='gradual' or kind='incremental' for a change spread over width samples."
        )
    if kind != "sudden" and width == 0:
        raise ValueError(
            f"{owner}: parameter 'width' must be > 0 for kind={kind!r} (the number of samples "
            "the change takes), got 0; use kind='sudden' for an abrupt change."
        )
    if position < 1 or position + width > n_samples - 1:
        raise ValueError(
            f"{owner}: the change must lie inside the stream, with at least one sample before it: "
            f"need 1 <= position and position + width <= n_samples - 1, got position={position}, "
            f"width={width}, n_samples={n_samples}; lower position or width, or raise n_samples."
        )


def _ramp(n: int, *, position: int, width: int) -> np.ndarray:
    """The share of the new concept at each index: 0 before ``position``, 1 from ``position + width``."""
    i = np.arange(n, dtype=np.float64)
    if width == 0:
        return (i >= position).astype(np.float64)
    return np.clip((i - position) / width, 0.0, 1.0)


def _change_weights(
    rng: np.random.Generator, n: int, *, position: int, width: int, kind: str
) -> np.ndarray:
    """Per-sample weight of the new parameter: the ramp, or 0/1 draws from it for ``gradual``.

    Draws from ``rng`` only for ``kind="gradual"`` (one uniform per sample).
    """
    ramp = _ramp(n, position=position, width=width)
    if kind == "gradual":
        return (rng.random(n) < ramp).astype(np.float64)
    return ramp


def _drift(*, position: int, width: int, kind: str, what: str, columns: tuple[str, ...] = ()) -> Drift:
    return Drift(start=position, end=position + width, kind=kind, what=what, columns=columns)  # type: ignore[arg-type]


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class Stationary(Scenario):
    """Independent Gaussian noise with no drift: the plainest null scenario.

    Parameters
    ----------
    n_samples
        Length of the stream.
    mean, std
        Mean and standard deviation of every sample.

    Examples
    --------
    >>> s = Stationary(n_samples=1000, mean=5.0, std=2.0).generate(seed=0)
    >>> s.n_samples, s.drifts, round(float(s.signal.mean()), 1)
    (1000, (), 5.0)
    >>> sc = Stationary()
    >>> sc.is_stationary, sc.null() is sc
    (True, True)
    """

    n_samples: Annotated[int, at.Ge(1)] = 10_000
    mean: float = 0.0
    std: Annotated[float, at.Gt(0)] = 1.0

    def __post_init__(self) -> None:
        validate_params(self)

    @property
    def is_stationary(self) -> bool:
        return True

    def _generate(self, rng: np.random.Generator) -> Stream:
        return Stream(signal=self.mean + self.std * rng.standard_normal(self.n_samples))


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class MeanShift(Scenario):
    """Gaussian noise whose mean moves by ``shift`` (sudden, gradual or incremental).

    Parameters
    ----------
    n_samples
        Length of the stream.
    position
        Index of the first sample of the change.
    shift
        Change of the mean, in the signal's units (``shift=0`` makes a stationary scenario).
    kind
        ``"sudden"``, ``"gradual"`` (a mixture of old and new samples whose new share ramps
        linearly over ``width``) or ``"incremental"`` (the mean itself moves linearly).
    width
        Samples the change takes: 0 for ``"sudden"``, > 0 otherwise.
    mean, std
        Mean and standard deviation before the change (``std`` does not change).

    Examples
    --------
    >>> sc = MeanShift(n_samples=2000, position=1000, shift=3.0)
    >>> s = sc.generate(seed=0)
    >>> s.drifts
    (Drift(start=1000, end=1000, kind='sudden', what='mean', columns=()),)
    >>> round(float(s.signal[1000:].mean() - s.signal[:1000].mean()))
    3
    >>> sc.null()
    Stationary(n_samples=2000, mean=0.0, std=1.0)
    >>> MeanShift(n_samples=2000, position=1000, kind="gradual", width=500).generate(seed=0).drifts[0].end
    1500
    """

    n_samples: Annotated[int, at.Ge(2)] = 10_000
    position: Annotated[int, at.Ge(1)] = 5_000
    shift: float = 1.0
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0
    mean: float = 0.0
    std: Annotated[float, at.Gt(0)] = 1.0

    def __post_init__(self) -> None:
        validate_params(self)
        _check_change(self.name, n_samples=self.n_samples, position=self.position, width=self.width, kind=self.kind)

    @property
    def is_stationary(self) -> bool:
        return self.shift == 0

    def null(self) -> Scenario:
        return Stationary(n_samples=self.n_samples, mean=self.mean, std=self.std)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self.n_samples, self.position
        x = self.mean + self.std * rng.standard_normal(n)
        if self.is_stationary:
            return Stream(signal=x)
        w = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)
        x[p:] += self.shift * w[p:]
        return Stream(signal=x, drifts=(_drift(position=p, width=self.width, kind=self.kind, what="mean"),))


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class VarianceShift(Scenario):
    """Gaussian noise whose standard deviation is multiplied by ``scale`` about a fixed mean.

    For ``kind="incremental"`` the standard deviation moves linearly from ``std`` to
    ``std * scale`` over ``width`` samples; ``kind="gradual"`` mixes old and new samples.

    Parameters
    ----------
    n_samples
        Length of the stream.
    position
        Index of the first sample of the change.
    scale
        Ratio of the new to the old standard deviation (``scale=1`` makes a stationary scenario).
    kind
        ``"sudden"``, ``"gradual"`` or ``"incremental"`` (see :class:`MeanShift`).
    width
        Samples the change takes: 0 for ``"sudden"``, > 0 otherwise.
    mean, std
        Mean (unchanged) and standard deviation before the change.

    Examples
    --------
    >>> s = VarianceShift(n_samples=4000, position=2000, scale=3.0).generate(seed=0)
    >>> s.drifts[0].what, round(float(s.signal[2000:].std() / s.signal[:2000].std()))
    ('variance', 3)
    """

    n_samples: Annotated[int, at.Ge(2)] = 10_000
    position: Annotated[int, at.Ge(1)] = 5_000
    scale: Annotated[float, at.Gt(0)] = 2.0
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0
    mean: float = 0.0
    std: Annotated[float, at.Gt(0)] = 1.0

    def __post_init__(self) -> None:
        validate_params(self)
        _check_change(self.name, n_samples=self.n_samples, position=self.position, width=self.width, kind=self.kind)

    @property
    def is_stationary(self) -> bool:
        return self.scale == 1

    def null(self) -> Scenario:
        return Stationary(n_samples=self.n_samples, mean=self.mean, std=self.std)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self.n_samples, self.position
        z = rng.standard_normal(n)
        x = self.mean + self.std * z
        if self.is_stationary:
            return Stream(signal=x)
        w = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)
        factor = np.where(w[p:] == 1.0, self.scale, 1.0 + (self.scale - 1.0) * w[p:])
        x[p:] = self.mean + self.std * factor * z[p:]
        return Stream(signal=x, drifts=(_drift(position=p, width=self.width, kind=self.kind, what="variance"),))


@register_scenario
@dataclass(frozen=True, kw_only=True, eq=False)
class ErrorRateShift(Scenario):
    """A model's 0/1 error stream whose error rate moves from ``p0`` to ``p1``.

    Samples are independent Bernoulli draws (1 = the model erred), the signal that DDM and
    other error-rate detectors monitor.

    Parameters
    ----------
    n_samples
        Length of the stream.
    position
        Index of the first sample of the change.
    p0, p1
        Error rate before and after the change (``p1 == p0`` makes a stationary scenario).
    kind
        ``"sudden"``, ``"gradual"`` or ``"incremental"`` (see :class:`MeanShift`).
    width
        Samples the change takes: 0 for ``"sudden"``, > 0 otherwise.

    Examples
    --------
    >>> s = ErrorRateShift(n_samples=4000, position=2000, p0=0.1, p1=0.4).generate(seed=0)
    >>> s.signal_kind, sorted(set(s.signal.tolist()))
    ('binary', [0.0, 1.0])
    >>> round(float(s.signal[:2000].mean()), 1), round(float(s.signal[2000:].mean()), 1)
    (0.1, 0.4)
    >>> ErrorRateShift(p0=0.1, p1=0.4).null().is_stationary
    True
    """

    signal_kind: ClassVar[Literal["real", "binary"]] = "binary"

    n_samples: Annotated[int, at.Ge(2)] = 10_000
    position: Annotated[int, at.Ge(1)] = 5_000
    p0: Annotated[float, at.Ge(0), at.Le(1)] = 0.1
    p1: Annotated[float, at.Ge(0), at.Le(1)] = 0.3
    kind: ShiftKind = "sudden"
    width: Annotated[int, at.Ge(0)] = 0

    def __post_init__(self) -> None:
        validate_params(self)
        _check_change(self.name, n_samples=self.n_samples, position=self.position, width=self.width, kind=self.kind)

    @property
    def is_stationary(self) -> bool:
        return self.p0 == self.p1

    def null(self) -> Scenario:
        if self.is_stationary:
            return self
        return dataclasses.replace(self, p1=self.p0, kind="sudden", width=0)

    def _generate(self, rng: np.random.Generator) -> Stream:
        n, p = self.n_samples, self.position
        u = rng.random(n)
        if self.is_stationary:
            return Stream(signal=(u < self.p0).astype(np.float64), signal_kind="binary")
        w = _change_weights(rng, n, position=p, width=self.width, kind=self.kind)
        rate = np.full(n, float(self.p0))
        rate[p:] = np.where(w[p:] == 1.0, self.p1, self.p0 + (self.p1 - self.p0) * w[p:])
        drift = _drift(position=p, width=self.width, kind=self.kind, what="error_rate")
        return Stream(signal=(u < rate).astype(np.float64), drifts=(drift,), signal_kind="binary")
