"""Planning a fixed-horizon A/B test: sample size, power and minimum detectable effect.

All three use one normal approximation of the test :mod:`mlmon.ab` runs, so they agree
with each other: ``power`` at the sample size ``sample_size`` returns is at least the power
asked for, and ``power`` at the effect ``mde`` returns is exactly the power asked for.

- ``kind="proportion"``: the pooled two-proportion z-test of :func:`~mlmon.ab.proportions`.
  With rates ``p_c`` (the baseline) and ``p_t = p_c + delta``, arm sizes ``n_c`` and ``n_t``,
  the pooled rate ``pbar = (n_c p_c + n_t p_t) / (n_c + n_t)``, the null standard error
  ``se0 = sqrt(pbar (1 - pbar) (1/n_c + 1/n_t))`` and the alternative one ``se1 = sqrt(p_c (1 -
  p_c) / n_c + p_t (1 - p_t) / n_t)``, the power to detect an increase is ``Phi((delta - z
  se0) / se1)`` (Fleiss, Levin & Paik 2003, section 4.2, without continuity correction).
- ``kind="mean"``: a z-test of the difference of means with a common standard deviation
  ``sd``, ``se0 = se1 = sd sqrt(1/n_c + 1/n_t)``, the large-sample form of Welch's test
  (:func:`~mlmon.ab.means`); it overstates the power of the t-test by well under a point once
  each arm has 30 or more units.

``z`` is ``Phi^-1(1 - alpha/2)`` two-sided and ``Phi^-1(1 - alpha)`` one-sided. Two-sided
power adds the (tiny) chance of rejecting in the wrong direction. :func:`sample_size` solves
the equation in closed form without that term, so its answer is the textbook one:

``n_c = (z sqrt(pbar (1 - pbar) (1 + 1/r)) + z_power sqrt(p_c (1 - p_c) + p_t (1 - p_t) / r))^2
/ delta^2`` for proportions (``pbar = (p_c + r p_t) / (1 + r)``), and ``n_c = (z + z_power)^2
sd^2 (1 + 1/r) / delta^2`` for means, with ``r = n_t / n_c`` and ``z_power = Phi^-1(power)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

import annotated_types as at

from mlmon.ab._fixed import Alternative, check_params

__all__ = ["SampleSize", "mde", "power", "sample_size"]

Probability = Annotated[float, at.Gt(0), at.Lt(1)]
Kind = Literal["proportion", "mean"]


@dataclass(frozen=True)
class SampleSize:
    """Units an A/B test needs in each arm, and the design they were computed for.

    Attributes
    ----------
    n_control, n_treatment
        Units per arm (rounded up).
    achieved_power
        The power at those rounded sizes (at least ``power``).
    n_exact
        The unrounded control-arm size the formula gives.
    kind, baseline, mde, relative, sd
        The metric and the effect to detect (``mde`` as given: relative to ``baseline`` when
        ``relative``).
    alpha, power, ratio, alternative
        Significance level, target power, ``n_treatment / n_control`` and the test's
        direction.

    Examples
    --------
    >>> from mlmon.ab import sample_size
    >>> s = sample_size(baseline=0.10, mde=0.02)
    >>> s.n_control, s.n_treatment, s.total
    (3841, 3841, 7682)
    """

    n_control: int
    n_treatment: int
    achieved_power: float
    n_exact: float
    kind: str
    baseline: float | None
    mde: float
    relative: bool
    sd: float | None
    alpha: float
    power: float
    ratio: float
    alternative: str

    @property
    def total(self) -> int:
        """Units in both arms together."""
        return self.n_control + self.n_treatment

    def to_dict(self) -> dict[str, Any]:
        """The fields (and ``total``) as a plain dict."""
        return {**asdict(self), "total": self.total}

    def to_frame(self):
        """A one-row :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def __repr__(self) -> str:
        return (f"SampleSize(n_control={self.n_control}, n_treatment={self.n_treatment}, "
                f"achieved_power={self.achieved_power:.4f})")


def _z_alpha(alpha: float, alternative: str) -> float:
    from scipy.special import ndtri

    return float(ndtri(1.0 - alpha / 2.0 if alternative == "two-sided" else 1.0 - alpha))


def _design(owner: str, kind: str, baseline: float | None, sd: float | None,
            relative: bool) -> None:
    if kind == "proportion":
        if baseline is None:
            raise ValueError(f"{owner}: kind='proportion' needs baseline, the control arm's "
                             "conversion rate (e.g. baseline=0.1).")
        if not 0.0 < baseline < 1.0:
            raise ValueError(f"{owner}: baseline is a conversion rate for kind='proportion' and "
                             f"must be in (0, 1), got {baseline!r}.")
        if sd is not None:
            raise ValueError(f"{owner}: sd is for kind='mean'; a proportion's spread follows from "
                             "its rate, so leave sd=None.")
    else:
        if sd is None:
            raise ValueError(f"{owner}: kind='mean' needs sd, the metric's standard deviation per "
                             "unit (estimate it from historical data).")
        if relative and (baseline is None or baseline == 0.0):
            raise ValueError(f"{owner}: relative=True needs a non-zero baseline (the control "
                             f"mean) to turn the relative effect into units, got {baseline!r}.")


def _delta(owner: str, kind: str, baseline: float | None, effect: float, relative: bool,
           alternative: str) -> float:
    """The absolute difference ``treatment - control`` an effect means, checked."""
    if effect == 0.0:
        raise ValueError(f"{owner}: mde must be non-zero: a test cannot be powered to detect no "
                         "difference.")
    delta = effect * baseline if relative else effect
    if (alternative == "greater" and delta < 0) or (alternative == "less" and delta > 0):
        raise ValueError(f"{owner}: alternative={alternative!r} looks for "
                         f"{'an increase' if alternative == 'greater' else 'a decrease'}, but mde "
                         f"gives a change of {delta:+g}; flip the sign of mde or the alternative.")
    if kind == "proportion" and not 0.0 < baseline + delta < 1.0:
        raise ValueError(f"{owner}: baseline + effect = {baseline + delta:g} is not a rate in "
                         "(0, 1); choose a smaller mde.")
    return delta


def _power(kind: str, n_c: float, n_t: float, baseline: float | None, delta: float,
           sd: float | None, alpha: float, alternative: str) -> float:
    from scipy.special import ndtr

    z = _z_alpha(alpha, alternative)
    if kind == "proportion":
        p_c, p_t = baseline, baseline + delta
        pbar = (n_c * p_c + n_t * p_t) / (n_c + n_t)
        se0 = math.sqrt(pbar * (1.0 - pbar) * (1.0 / n_c + 1.0 / n_t))
        se1 = math.sqrt(p_c * (1.0 - p_c) / n_c + p_t * (1.0 - p_t) / n_t)
    else:
        se0 = se1 = sd * math.sqrt(1.0 / n_c + 1.0 / n_t)
    up = float(ndtr((delta - z * se0) / se1))
    down = float(ndtr((-delta - z * se0) / se1))
    return {"greater": up, "less": down, "two-sided": up + down}[alternative]


def sample_size(*, baseline: float | None = None, mde: float, alpha: Probability = 0.05,
                power: Probability = 0.8, kind: Kind = "proportion",
                sd: Annotated[float, at.Gt(0)] | None = None,
                ratio: Annotated[float, at.Gt(0)] = 1.0, alternative: Alternative = "two-sided",
                relative: bool = False) -> SampleSize:
    """Units per arm a fixed-horizon test needs to detect ``mde`` with probability ``power``.

    The closed-form normal approximation given in the module documentation
    (:mod:`mlmon.ab._planning`): for proportions the pooled z-test's, with the null variance
    at the pooled rate and the alternative variance at the two rates; for means the z-test's
    with a common ``sd``.

    Parameters
    ----------
    baseline
        The control arm's conversion rate (``kind="proportion"``), or its mean
        (``kind="mean"``, needed only when ``relative``).
    mde
        Minimum detectable effect: the difference ``treatment - control`` to detect, or the
        relative change ``treatment / control - 1`` when ``relative``. Its sign matters for
        proportions (the variance depends on the rate) and for one-sided tests.
    alpha
        Significance level.
    power
        Probability of detecting ``mde`` (must exceed ``alpha``).
    kind
        ``"proportion"`` or ``"mean"``.
    sd
        Standard deviation of the metric per unit (``kind="mean"`` only).
    ratio
        ``n_treatment / n_control`` (e.g. 0.25 for a 20% canary).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    relative
        ``mde`` is relative to ``baseline``.

    Returns
    -------
    SampleSize
        ``n_control``, ``n_treatment``, the power they achieve, and the design.

    Examples
    --------
    >>> from mlmon.ab import sample_size
    >>> sample_size(kind="mean", mde=0.5, sd=1.0).n_control
    63
    >>> s = sample_size(baseline=0.05, mde=0.10, relative=True, ratio=0.25)
    >>> s.n_control, s.n_treatment
    (77228, 19307)
    """
    owner = "sample_size"
    check_params(owner, sample_size, baseline=baseline, mde=mde, alpha=alpha, power=power,
                 kind=kind, sd=sd, ratio=ratio, alternative=alternative, relative=relative)
    if power <= alpha:
        raise ValueError(f"{owner}: power ({power}) must exceed alpha ({alpha}): a test rejects "
                         "with probability alpha even when there is no effect.")
    _design(owner, kind, baseline, sd, relative)
    delta = _delta(owner, kind, baseline, mde, relative, alternative)
    from scipy.special import ndtri

    z, z_power = _z_alpha(alpha, alternative), float(ndtri(power))
    if kind == "proportion":
        p_c, p_t = baseline, baseline + delta
        pbar = (p_c + ratio * p_t) / (1.0 + ratio)
        root = (z * math.sqrt(pbar * (1.0 - pbar) * (1.0 + 1.0 / ratio))
                + z_power * math.sqrt(p_c * (1.0 - p_c) + p_t * (1.0 - p_t) / ratio))
    else:
        root = (z + z_power) * sd * math.sqrt(1.0 + 1.0 / ratio)
    n_exact = (root / delta) ** 2
    n_c = max(math.ceil(n_exact * (1.0 - 1e-12)), 2)
    n_t = max(math.ceil(ratio * n_exact * (1.0 - 1e-12)), 2)
    achieved = _power(kind, n_c, n_t, baseline, delta, sd, alpha, alternative)
    return SampleSize(n_control=n_c, n_treatment=n_t, achieved_power=achieved, n_exact=n_exact,
                      kind=kind, baseline=baseline, mde=float(mde), relative=relative, sd=sd,
                      alpha=float(alpha), power=float(power), ratio=float(ratio),
                      alternative=alternative)


def _sizes(owner: str, n_control: Any, n_treatment: Any) -> tuple[int, int]:
    from mlmon.ab._fixed import _count

    n_c = _count(owner, "n_control", n_control, 2)
    n_t = n_c if n_treatment is None else _count(owner, "n_treatment", n_treatment, 2)
    return n_c, n_t


def power(*, n_control: int, n_treatment: int | None = None, baseline: float | None = None,
          mde: float, alpha: Probability = 0.05, kind: Kind = "proportion",
          sd: Annotated[float, at.Gt(0)] | None = None, alternative: Alternative = "two-sided",
          relative: bool = False) -> float:
    """Probability that a fixed-horizon test with these arm sizes detects ``mde``.

    The normal approximation of the module documentation (:mod:`mlmon.ab._planning`);
    two-sided, it counts rejections in either direction.

    Parameters
    ----------
    n_control, n_treatment
        Units per arm (``n_treatment`` defaults to ``n_control``).
    baseline, mde, alpha, kind, sd, alternative, relative
        As in :func:`sample_size`.

    Returns
    -------
    float
        The power, in ``(0, 1)``.

    Examples
    --------
    >>> from mlmon.ab import power
    >>> round(power(n_control=3841, baseline=0.10, mde=0.02), 3)
    0.8
    >>> round(power(n_control=100, n_treatment=50, kind="mean", mde=0.3, sd=1.0), 3)
    0.41
    """
    owner = "power"
    check_params(owner, power, baseline=baseline, mde=mde, alpha=alpha, kind=kind, sd=sd,
                 alternative=alternative, relative=relative)
    n_c, n_t = _sizes(owner, n_control, n_treatment)
    _design(owner, kind, baseline, sd, relative)
    delta = _delta(owner, kind, baseline, mde, relative, alternative)
    return _power(kind, n_c, n_t, baseline, delta, sd, alpha, alternative)


def mde(*, n_control: int, n_treatment: int | None = None, baseline: float | None = None,
        alpha: Probability = 0.05, power: Probability = 0.8, kind: Kind = "proportion",
        sd: Annotated[float, at.Gt(0)] | None = None, alternative: Alternative = "two-sided",
        relative: bool = False) -> float:
    """The smallest effect a fixed-horizon test with these arm sizes detects with ``power``.

    The root of :func:`power` (``power(..., mde=mde(...)) == power``). It is an increase for
    ``"two-sided"`` and ``"greater"``, a decrease (negative) for ``"less"``; for proportions a
    decrease of the same size is detected with a slightly different power, since the
    variance depends on the rate.

    Parameters
    ----------
    n_control, n_treatment
        Units per arm (``n_treatment`` defaults to ``n_control``).
    baseline, alpha, power, kind, sd, alternative, relative
        As in :func:`sample_size`; with ``relative`` the effect is returned relative to
        ``baseline``.

    Returns
    -------
    float
        The minimum detectable effect.

    Examples
    --------
    >>> from mlmon.ab import mde
    >>> round(mde(n_control=3841, baseline=0.10), 4)
    0.02
    >>> round(mde(n_control=63, kind="mean", sd=1.0), 2)
    0.5
    """
    owner = "mde"
    check_params(owner, mde, baseline=baseline, alpha=alpha, power=power, kind=kind, sd=sd,
                 alternative=alternative, relative=relative)
    if power <= alpha:
        raise ValueError(f"{owner}: power ({power}) must exceed alpha ({alpha}): a test rejects "
                         "with probability alpha even when there is no effect.")
    n_c, n_t = _sizes(owner, n_control, n_treatment)
    _design(owner, kind, baseline, sd, relative)
    from scipy.optimize import brentq
    from scipy.special import ndtri

    sign = -1.0 if alternative == "less" else 1.0

    def gap(size: float) -> float:
        return _power(kind, n_c, n_t, baseline, sign * size, sd, alpha, alternative) - power

    if kind == "proportion":
        top = (baseline if sign < 0 else 1.0 - baseline) * (1.0 - 1e-9)
        if gap(top) < 0:
            raise ValueError(f"{owner}: even a change of the rate to "
                             f"{baseline + sign * top:.3g} is detected with probability below "
                             f"{power} at these sizes; add units.")
    else:
        # the closed form without the wrong-direction term: its power is at least the target
        top = (_z_alpha(alpha, alternative) + float(ndtri(power))) * sd * math.sqrt(
            1.0 / n_c + 1.0 / n_t) * (1.0 + 1e-6)
    size = brentq(gap, top * 1e-12, top, xtol=1e-14 * top, rtol=1e-15, maxiter=200)
    delta = sign * size
    return float(delta / baseline if relative else delta)
