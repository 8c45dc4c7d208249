"""Planning sequential A/B tests, and what peeking costs.

- :func:`peeking_simulation`: the type-I error (or, under an effect, the power and the time to
  a decision) of "stop at the first p < alpha" against group-sequential designs and the mSPRT,
  by simulating thousands of experiments at once;
- :func:`sequential_sample_size`: the maximum sample size a group-sequential design needs for
  a given power, and its inflation over a fixed-horizon test;
- :func:`expected_time_to_decision`: the expected sample size and hours to a decision at a
  given traffic, under an effect and under "no effect".
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Sequence

import annotated_types as at
import numpy as np
from scipy import optimize, special

from mlmon.ab._always_valid import DEFAULT_MIN_SAMPLES, log_mixture_lr, validate_call
from mlmon.ab._group_sequential import (MAX_LOOKS, GroupSequentialDesign,
                                        exit_probabilities, group_sequential)
from mlmon.benchmark.metrics import proportion_interval
from mlmon.runtime._msprt import arm_variance

__all__ = ["DecisionTime", "PeekingSimulation", "SequentialSampleSize", "expected_time_to_decision",
           "peeking_simulation", "sequential_sample_size"]

_METHODS = ("naive", "pocock", "obrien_fleming", "lan_demets_pocock", "lan_demets_obrien_fleming",
            "msprt")
_CHUNK = 400_000  # simulated (experiment, look) cells held in memory at once


# --- peeking ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PeekingSimulation:
    """Rejection rates of sequential decision rules over simulated experiments.

    Attributes
    ----------
    methods
        The rules, in the order given.
    rejection_rate
        Share of experiments each rule stopped with "effect" (the type-I error when
        ``effect = 0``, the power otherwise).
    ci_low, ci_high
        95% Wilson interval of each rate (``n_sims`` binomial trials).
    mean_stop_look
        Mean look (1-based) at which each rule decided: its first rejection, or the last look.
    expected_n_per_arm
        Mean sample size per arm at that look.
    n_sims, n_looks, n_per_look, alpha, effect, metric, baseline, tau, seed
        The simulation's settings (``tau``: the mSPRT's mixing standard deviation).

    Examples
    --------
    >>> from mlmon.ab import peeking_simulation
    >>> sim = peeking_simulation(n_looks=5, n_sims=500, seed=0, methods=["naive", "pocock"])
    >>> sim.methods, sim.to_frame().shape
    (('naive', 'pocock'), (2, 7))
    """

    methods: tuple[str, ...]
    rejection_rate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    mean_stop_look: np.ndarray
    expected_n_per_arm: np.ndarray
    n_sims: int
    n_looks: int
    n_per_look: tuple[int, ...]
    alpha: float
    effect: float
    metric: str
    baseline: float
    tau: float
    seed: Any

    def rate(self, method: str) -> float:
        """Rejection rate of one rule, by name."""
        if method not in self.methods:
            raise KeyError(f"rate: unknown method {method!r}; simulated: {', '.join(self.methods)}.")
        return float(self.rejection_rate[self.methods.index(method)])

    def to_frame(self):
        """One row per rule."""
        import pandas as pd

        return pd.DataFrame({"method": self.methods, "rejection_rate": self.rejection_rate,
                             "ci_low": self.ci_low, "ci_high": self.ci_high,
                             "controls_alpha": [m != "naive" for m in self.methods],
                             "mean_stop_look": self.mean_stop_look,
                             "expected_n_per_arm": self.expected_n_per_arm})

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        rates = ", ".join(f"{m}={r:.3f}" for m, r in zip(self.methods, self.rejection_rate))
        return (f"PeekingSimulation(n_sims={self.n_sims}, n_looks={self.n_looks}, "
                f"effect={self.effect:g}: {rates})")


def _design_for(method: Any, t: np.ndarray, alpha: float, owner: str) -> tuple[str, np.ndarray]:
    """Label and two-sided z boundaries at fractions ``t`` of a named rule or a design."""
    if isinstance(method, GroupSequentialDesign):
        if method.alternative != "two-sided":
            raise ValueError(f"{owner}: the simulation is two-sided; pass two-sided designs.")
        return method.name, method.boundaries_at(t)
    kind = method.replace("lan_demets_", "")
    design = group_sequential(looks=list(t), alpha=alpha, spending=kind,
                              classical=not method.startswith("lan_demets_"))
    return method, np.asarray(design.boundaries)


def peeking_simulation(*, n_looks: Annotated[int, at.Ge(1), at.Le(MAX_LOOKS)],
                       n_per_look: Annotated[int, at.Ge(2)] | Sequence[int] = 100,
                       n_sims: Annotated[int, at.Ge(1)] = 2000,
                       alpha: Annotated[float, at.Interval(gt=0, lt=0.5)] = 0.05,
                       seed: int | np.random.SeedSequence | None = None,
                       methods: Sequence[str | GroupSequentialDesign] = ("naive", "pocock",
                                                                         "obrien_fleming", "msprt"),
                       effect: float = 0.0, metric: Literal["mean", "proportion"] = "mean",
                       baseline: Annotated[float, at.Interval(gt=0, lt=1)] = 0.5,
                       tau: Annotated[float, at.Gt(0)] | None = None) -> PeekingSimulation:
    """Simulate A/B experiments looked at ``n_looks`` times, and count how often each rule
    declares an effect.

    Each experiment has two arms receiving ``n_per_look`` new observations per look (unit-
    variance normal for ``metric="mean"``, with means 0 and ``effect``; 0/1 with rates
    ``baseline`` and ``baseline + effect`` for proportions). At each look the z statistic of
    all data so far (difference over its unpooled standard error) is computed and each rule
    decides. Sufficient statistics are drawn per look (batch means and chi-square sums of
    squares, or binomial counts), so thousands of experiments take well under a second.

    Rules, with their guarantees under "no effect":

    - ``"naive"``: stop at the first look with a two-sided fixed-horizon p < ``alpha``. No
      guarantee: its error grows with the number of looks (about 0.14 at 5 looks, 0.19 at 10);
    - ``"pocock"``, ``"obrien_fleming"``: the classical boundaries at these looks, exactly
      ``alpha``;
    - ``"lan_demets_pocock"``, ``"lan_demets_obrien_fleming"``: alpha-spending boundaries,
      exactly ``alpha``;
    - ``"msprt"``: the mixture SPRT (:func:`msprt`, ``min_samples`` as its default), at most
      ``alpha``;
    - a :class:`GroupSequentialDesign` (two-sided): its boundaries at these looks' information
      fractions (recomputed by its spending function when they differ from its plan).

    Parameters
    ----------
    n_looks
        Looks per experiment.
    n_per_look
        New observations per arm at each look: one number, or one per look (unequal looks).
    n_sims
        Simulated experiments; a rate's standard error is ``sqrt(p (1 - p) / n_sims)``.
    alpha
        Significance level of every rule (two-sided).
    seed
        Seed of the simulation.
    methods
        The rules (names above, or designs).
    effect
        True difference (treatment minus control), 0 for the type-I error.
    metric
        ``"mean"`` or ``"proportion"``.
    baseline
        Control conversion rate (``metric="proportion"``).
    tau
        Mixing standard deviation of the mSPRT; None takes the effect a fixed-horizon test at
        the final sample size detects with 80% power.

    Returns
    -------
    PeekingSimulation

    Examples
    --------
    >>> from mlmon.ab import peeking_simulation
    >>> sim = peeking_simulation(n_looks=10, n_sims=2000, seed=0)
    >>> sim.rate("naive") > 0.12, sim.rate("pocock") < 0.07, sim.rate("msprt") < 0.07
    (True, True, True)
    """
    owner = "peeking_simulation"
    validate_call(owner, peeking_simulation, {"n_looks": n_looks, "n_sims": n_sims, "alpha": alpha,
                                             "effect": effect, "metric": metric, "baseline": baseline,
                                             "tau": tau})
    if seed is not None and not isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        raise TypeError(f"{owner}: seed must be an int, a SeedSequence or None, got {seed!r}.")
    if isinstance(n_per_look, numbers.Integral) and not isinstance(n_per_look, (bool, np.bool_)):
        if n_per_look < 2:
            raise ValueError(f"{owner}: n_per_look must be >= 2, got {n_per_look!r}.")
        sizes = np.full(n_looks, int(n_per_look))
    else:
        sizes = np.asarray(n_per_look)
        if sizes.ndim != 1 or sizes.shape[0] != n_looks or sizes.dtype.kind not in "iu" or np.any(sizes < 2):
            raise ValueError(f"{owner}: n_per_look must be an int >= 2 or {n_looks} ints >= 2 (one "
                             f"per look), got {n_per_look!r}.")
    if isinstance(methods, (str, GroupSequentialDesign)) or len(methods) == 0:
        raise ValueError(f"{owner}: methods must be a non-empty list of rule names "
                         f"({', '.join(_METHODS)}) or designs, got {methods!r}.")
    for m in methods:
        if not isinstance(m, GroupSequentialDesign) and m not in _METHODS:
            raise ValueError(f"{owner}: unknown method {m!r}; valid names are {', '.join(_METHODS)} "
                             "(or pass a GroupSequentialDesign).")
    if metric == "proportion" and not 0.0 <= baseline + effect <= 1.0:
        raise ValueError(f"{owner}: baseline + effect = {baseline + effect:g} must be a rate in [0, 1].")

    cum_n = np.cumsum(sizes).astype(float)
    t = cum_n / cum_n[-1]
    sd = 1.0 if metric == "mean" else math.sqrt(baseline * (1.0 - baseline))
    if tau is None:
        z_sum = float(special.ndtri(1.0 - alpha / 2.0) + special.ndtri(0.8))
        tau = z_sum * sd * math.sqrt(2.0 / cum_n[-1])
    z_crit = float(special.ndtri(1.0 - alpha / 2.0))
    rules: list[tuple[str, Any]] = []
    for m in methods:
        if isinstance(m, GroupSequentialDesign) or m not in ("naive", "msprt"):
            rules.append(_design_for(m, t, alpha, owner))
        else:
            rules.append((m, None))
    labels = [name for name, _ in rules]
    twice = sorted({n for n in labels if labels.count(n) > 1})
    if twice:
        raise ValueError(f"{owner}: methods {twice} appear twice (a design is labelled with its name, e.g. "
                         "'lan_demets_obrien_fleming'); pass each rule once, or run separate simulations.")

    rng = np.random.default_rng(seed)
    first = np.empty((len(rules), n_sims), dtype=np.int64)  # first rejecting look, or -1
    chunk = max(1, _CHUNK // n_looks)
    for start in range(0, n_sims, chunk):
        m_sims = min(chunk, n_sims - start)
        est, var = _simulate_looks(rng, m_sims, sizes, cum_n, effect, metric, baseline)
        z = est / np.sqrt(var)
        for i, (name, bounds) in enumerate(rules):
            if name == "naive":
                hit = np.abs(z) >= z_crit
            elif name == "msprt":
                hit = (log_mixture_lr(est, var, tau, "two-sided") >= math.log(1.0 / alpha)) \
                    & (cum_n >= DEFAULT_MIN_SAMPLES)[None, :]
            else:
                hit = np.abs(z) >= bounds[None, :]
            any_hit = hit.any(axis=1)
            first[i, start:start + m_sims] = np.where(any_hit, hit.argmax(axis=1), -1)
    rejected = (first >= 0).sum(axis=1)
    stop = np.where(first >= 0, first, n_looks - 1)
    low, high = proportion_interval(successes=rejected, trials=np.full(rejected.shape, n_sims))
    return PeekingSimulation(methods=tuple(name for name, _ in rules),
                             rejection_rate=rejected / n_sims, ci_low=low, ci_high=high,
                             mean_stop_look=(stop + 1).mean(axis=1),
                             expected_n_per_arm=cum_n[stop].mean(axis=1), n_sims=n_sims,
                             n_looks=n_looks, n_per_look=tuple(int(s) for s in sizes), alpha=alpha,
                             effect=float(effect), metric=metric, baseline=baseline, tau=float(tau),
                             seed=seed)


def _simulate_looks(rng: np.random.Generator, n_sims: int, sizes: np.ndarray, cum_n: np.ndarray,
                    effect: float, metric: str, baseline: float) -> tuple[np.ndarray, np.ndarray]:
    """Estimate and its variance at each look (rows: experiments), from per-look sufficient
    statistics of both arms."""
    shape = (n_sims, sizes.shape[0])
    moments = []
    for shift in (0.0, effect):
        if metric == "mean":
            batch_mean = shift + rng.standard_normal(shape) / np.sqrt(sizes)
            batch_ss = rng.chisquare(sizes - 1, size=shape)
            total = np.cumsum(batch_mean * sizes, axis=1)
            raw_sq = np.cumsum(batch_ss + sizes * (batch_mean - shift) ** 2, axis=1)
            # centre at the true mean: sum (x - m)^2 = sum (x - shift)^2 - n (m - shift)^2
            centred = raw_sq - cum_n * (total / cum_n - shift) ** 2
        else:
            total = np.cumsum(rng.binomial(sizes, baseline + shift, size=shape), axis=1).astype(float)
            centred = np.zeros(shape)
        moments.append((total / cum_n, arm_variance(cum_n, total, centred, metric) / cum_n))
    (mean_c, var_c), (mean_t, var_t) = moments
    return mean_t - mean_c, var_c + var_t


# --- sample size and time to a decision ---------------------------------------------------


def _check_design(owner: str, design: Any) -> GroupSequentialDesign:
    if not isinstance(design, GroupSequentialDesign):
        raise TypeError(f"{owner}: design must be a GroupSequentialDesign (build one with "
                        f"group_sequential), got {type(design).__name__}.")
    return design


def _drift_for_power(design: GroupSequentialDesign, power: float) -> float:
    """Mean of the last look's z at which the design rejects with probability ``power``."""
    return float(optimize.brentq(lambda d: design.rejection_probability(d) - power, 0.0, 40.0,
                                 xtol=1e-10))


def _fixed_drift(alpha: float, power: float, two_sided: bool) -> float:
    crit = float(special.ndtri(1.0 - (alpha / 2.0 if two_sided else alpha)))
    if not two_sided:
        return crit + float(special.ndtri(power))
    return float(optimize.brentq(lambda d: special.ndtr(d - crit) + special.ndtr(-d - crit) - power,
                                 0.0, 40.0, xtol=1e-12))


def _stop_profile(design: GroupSequentialDesign, drift: float) -> tuple[np.ndarray, float]:
    """P(decision at each look) (the last look takes all that is left) and P(reject)."""
    upper = np.asarray(design.boundaries)
    up, low = exit_probabilities(np.asarray(design.information_fractions), upper,
                                 design._lower(upper), drift)
    stop = up + low
    reject = float(stop.sum())
    stop[-1] = 1.0 - float(stop[:-1].sum())
    return stop, reject


@dataclass(frozen=True)
class SequentialSampleSize:
    """Sample size of a group-sequential design for a given power.

    Attributes
    ----------
    design, effect, sd, power
        As given to :func:`sequential_sample_size`.
    max_n_per_arm
        Maximum sample size per arm (at information fraction 1), rounded up.
    fixed_n_per_arm
        Sample size per arm of the fixed-horizon test with the same ``alpha`` and power.
    inflation
        ``max_n / fixed_n`` before rounding (Jennison & Turnbull's inflation factor ``R``).
    drift
        Mean of the z statistic at the last look under ``effect``.
    n_per_arm_at_looks
        Per-arm sample size at each planned look.
    expected_n_per_arm, expected_n_per_arm_null
        Expected per-arm sample size at the decision under ``effect`` and under "no effect"
        (exact, by the same recursion as the boundaries).

    Examples
    --------
    >>> from mlmon.ab import group_sequential, sequential_sample_size
    >>> s = sequential_sample_size(group_sequential(looks=2), effect=0.2)
    >>> s.fixed_n_per_arm, s.max_n_per_arm, s.n_per_arm_at_looks
    (393, 394, (197, 394))
    """

    design: GroupSequentialDesign
    effect: float
    sd: float
    power: float
    max_n_per_arm: int
    fixed_n_per_arm: int
    inflation: float
    drift: float
    n_per_arm_at_looks: tuple[int, ...]
    expected_n_per_arm: float
    expected_n_per_arm_null: float

    def __repr__(self) -> str:
        return (f"SequentialSampleSize({self.design.name}, looks={self.design.n_looks}: "
                f"max_n_per_arm={self.max_n_per_arm}, fixed_n_per_arm={self.fixed_n_per_arm}, "
                f"inflation={self.inflation:.4f}, expected_n_per_arm={self.expected_n_per_arm:.1f})")

    def to_frame(self):
        """A one-row table."""
        import pandas as pd

        return pd.DataFrame([{"design": self.design.name, "looks": self.design.n_looks,
                              "effect": self.effect, "sd": self.sd, "power": self.power,
                              "max_n_per_arm": self.max_n_per_arm, "fixed_n_per_arm": self.fixed_n_per_arm,
                              "inflation": self.inflation, "expected_n_per_arm": self.expected_n_per_arm,
                              "expected_n_per_arm_null": self.expected_n_per_arm_null}])


def sequential_sample_size(design: GroupSequentialDesign, *, effect: float,
                           sd: Annotated[float, at.Gt(0)] = 1.0,
                           power: Annotated[float, at.Interval(gt=0, lt=1)] = 0.8) -> SequentialSampleSize:
    """Maximum sample size per arm for ``design`` to detect ``effect`` with probability ``power``.

    A difference of means with per-observation standard deviation ``sd`` (for proportions,
    ``sd = sqrt(p (1 - p))`` at the expected rate) and ``n`` per arm has a z statistic with mean
    ``effect sqrt(n / 2) / sd`` at the last look; the drift giving ``power`` is solved on the
    design's exact rejection probability, and its square over that of the fixed-horizon test
    is the inflation factor (Jennison & Turnbull 2000, tables 2.2 and 2.4: 1.110 for two
    Pocock looks, 1.008 for two O'Brien-Fleming looks at 80% power).

    Parameters
    ----------
    design
        A design from :func:`group_sequential`.
    effect
        The difference to detect (treatment minus control; positive for a one-sided design).
    sd
        Standard deviation of one observation.
    power
        Probability of rejecting when the difference is ``effect``.

    Returns
    -------
    SequentialSampleSize

    Examples
    --------
    >>> from mlmon.ab import group_sequential, sequential_sample_size
    >>> s = sequential_sample_size(group_sequential(looks=5, spending="pocock", classical=True),
    ...                            effect=0.1)
    >>> s.fixed_n_per_arm, s.max_n_per_arm, round(s.inflation, 3)
    (1570, 1929, 1.228)
    """
    owner = "sequential_sample_size"
    design = _check_design(owner, design)
    validate_call(owner, sequential_sample_size, {"effect": effect, "sd": sd, "power": power})
    two_sided = design.alternative == "two-sided"
    if effect == 0 or (not two_sided and effect < 0):
        want = "non-zero" if two_sided else "positive (the design is one-sided: greater)"
        raise ValueError(f"{owner}: effect must be {want}, got {effect!r}.")
    if power <= design.alpha:
        raise ValueError(f"{owner}: power must exceed the design's alpha={design.alpha}, got {power!r}.")
    drift = _drift_for_power(design, power)
    fixed = _fixed_drift(design.alpha, power, two_sided)
    n_max = 2.0 * (sd * drift / effect) ** 2
    n_fixed = 2.0 * (sd * fixed / effect) ** 2
    t = np.asarray(design.information_fractions)
    stop, _ = _stop_profile(design, drift)
    stop0, _ = _stop_profile(design, 0.0)
    return SequentialSampleSize(design=design, effect=float(effect), sd=float(sd), power=float(power),
                                max_n_per_arm=math.ceil(n_max - 1e-9),
                                fixed_n_per_arm=math.ceil(n_fixed - 1e-9),
                                inflation=(drift / fixed) ** 2, drift=drift,
                                n_per_arm_at_looks=tuple(math.ceil(v - 1e-9) for v in t * n_max),
                                expected_n_per_arm=float(stop @ (t * n_max)),
                                expected_n_per_arm_null=float(stop0 @ (t * n_max)))


@dataclass(frozen=True, eq=False)
class DecisionTime:
    """When a group-sequential experiment is expected to end, at a given traffic.

    Attributes
    ----------
    design, effect, traffic_per_hour, max_n_per_arm
        The design and the setting.
    hours_at_looks
        Hours from the start to each planned look.
    stop_probability, stop_probability_null
        Probability that the decision is taken at each look, under ``effect`` and under "no
        effect" (a rejection, or the last look).
    rejection_probability, rejection_probability_null
        Power at ``effect``, and the type-I error (``alpha``).
    expected_hours, expected_hours_null
        Expected hours to the decision.
    expected_n_per_arm, expected_n_per_arm_null
        Expected per-arm sample size at the decision.
    max_hours
        Hours to the last look.
    method
        ``"recursive_integration"``: exact stopping probabilities from the same recursion as
        the boundaries (no simulation error).

    Examples
    --------
    >>> from mlmon.ab import group_sequential, expected_time_to_decision
    >>> t = expected_time_to_decision(group_sequential(looks=4), effect=0.0,
    ...                               traffic_per_hour=200, max_n_per_arm=1000)
    >>> t.max_hours, round(t.rejection_probability, 4), t.to_frame().shape
    (10.0, 0.05, (4, 5))
    """

    design: GroupSequentialDesign
    effect: float
    traffic_per_hour: float
    max_n_per_arm: int
    hours_at_looks: np.ndarray
    stop_probability: np.ndarray
    stop_probability_null: np.ndarray
    rejection_probability: float
    rejection_probability_null: float
    expected_hours: float
    expected_hours_null: float
    expected_n_per_arm: float
    expected_n_per_arm_null: float
    max_hours: float
    method: str = "recursive_integration"

    def to_frame(self):
        """One row per look: hours, and the chance of deciding there under each hypothesis."""
        import pandas as pd

        return pd.DataFrame({"look": np.arange(1, self.design.n_looks + 1),
                             "hours": self.hours_at_looks,
                             "n_per_arm": np.asarray(self.design.information_fractions) * self.max_n_per_arm,
                             "stop_probability": self.stop_probability,
                             "stop_probability_null": self.stop_probability_null})

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return (f"DecisionTime({self.design.name}: expected {self.expected_hours:.1f} h under the "
                f"effect, {self.expected_hours_null:.1f} h under no effect, at most {self.max_hours:.1f} h; "
                f"power {self.rejection_probability:.3f})")


def expected_time_to_decision(design: GroupSequentialDesign, *, effect: float,
                              traffic_per_hour: Annotated[float, at.Gt(0)],
                              sd: Annotated[float, at.Gt(0)] = 1.0,
                              max_n_per_arm: Annotated[int, at.Ge(2)] | None = None,
                              power: Annotated[float, at.Interval(gt=0, lt=1)] = 0.8) -> DecisionTime:
    """Expected sample size and hours until a group-sequential design decides.

    Traffic is split evenly between the arms, so look ``k`` (information fraction ``t_k``)
    comes after ``2 t_k max_n_per_arm / traffic_per_hour`` hours. The probability of stopping
    at each look, under ``effect`` and under "no effect", comes from the same recursive
    integration as the boundaries, so the expectations are exact for normal z statistics.

    Parameters
    ----------
    design
        A design from :func:`group_sequential`.
    effect
        The true difference (treatment minus control) the expectation is taken under.
    traffic_per_hour
        Units entering the experiment per hour, both arms together.
    sd
        Standard deviation of one observation (``sqrt(p (1 - p))`` for a proportion).
    max_n_per_arm
        Maximum sample size per arm; None sizes the design for ``power`` at ``effect``
        (:func:`sequential_sample_size`).
    power
        Power used to size the design when ``max_n_per_arm`` is None.

    Returns
    -------
    DecisionTime

    Examples
    --------
    >>> from mlmon.ab import group_sequential, expected_time_to_decision
    >>> d = group_sequential(looks=10, spending="obrien_fleming")
    >>> t = expected_time_to_decision(d, effect=0.05, traffic_per_hour=1000)
    >>> round(t.max_hours), round(t.expected_hours), round(t.expected_hours_null)
    (13, 10, 13)
    """
    owner = "expected_time_to_decision"
    design = _check_design(owner, design)
    validate_call(owner, expected_time_to_decision, {"effect": effect, "traffic_per_hour": traffic_per_hour,
                                                     "sd": sd, "max_n_per_arm": max_n_per_arm,
                                                     "power": power})
    if max_n_per_arm is None:
        if effect == 0:
            raise ValueError(f"{owner}: with effect=0 give max_n_per_arm (there is no power to "
                             "size the design for).")
        max_n_per_arm = sequential_sample_size(design, effect=abs(effect) if design.alternative == "two-sided"
                                               else effect, sd=sd, power=power).max_n_per_arm
    drift = effect * math.sqrt(max_n_per_arm / 2.0) / sd
    t = np.asarray(design.information_fractions)
    n_at = t * max_n_per_arm
    hours = 2.0 * n_at / traffic_per_hour
    stop, reject = _stop_profile(design, drift)
    stop0, reject0 = _stop_profile(design, 0.0)
    return DecisionTime(design=design, effect=float(effect), traffic_per_hour=float(traffic_per_hour),
                        max_n_per_arm=int(max_n_per_arm), hours_at_looks=hours, stop_probability=stop,
                        stop_probability_null=stop0, rejection_probability=reject,
                        rejection_probability_null=reject0, expected_hours=float(stop @ hours),
                        expected_hours_null=float(stop0 @ hours), expected_n_per_arm=float(stop @ n_at),
                        expected_n_per_arm_null=float(stop0 @ n_at), max_hours=float(hours[-1]))
