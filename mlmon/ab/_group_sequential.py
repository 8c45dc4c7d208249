"""Group-sequential designs: boundaries that keep the type-I error at ``alpha`` over planned
(or, with an alpha-spending function, unplanned) looks.

A z statistic looked at ``K`` times crosses 1.96 far more often than 5% of the time under
"no effect". A group-sequential design raises the bar at each look just enough that the
probability of crossing it at *any* look is ``alpha``: the constant Pocock bar, the
O'Brien-Fleming bar that is very high early and near 1.96 at the end, or bars derived from an
alpha-spending function (Lan & DeMets 1983), which spends ``alpha(t)`` of the error by
information fraction ``t`` and so allows looks that were not planned.

Boundaries come from the exact joint law of the z statistics at the looks (those of a
Brownian motion observed at the information fractions): the recursive numerical integration
of Armitage, McPherson & Rowe (1969), as in Jennison & Turnbull (2000, ch. 19), on a Simpson
grid fine enough that boundaries are accurate to about 1e-6.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Sequence

import annotated_types as at
import numpy as np
from scipy import optimize, special

from mlmon._validation import check_signal
from mlmon.ab._always_valid import check_arm, validate_call
from mlmon.ab._result import ABResult
from mlmon.runtime._msprt import arm_variance

__all__ = ["GroupSequentialDesign", "GroupSequentialResult", "group_sequential"]

#: Most looks a design may have (computing boundaries takes about 0.5 s at 336 looks, a
#: fortnight of hourly looks, and 9 s at 2000).
MAX_LOOKS = 2000

_POINTS_PER_SD = 6  # grid points per standard deviation of the narrowest increment
_MAX_GRID = 2001
_TAIL = 9.0  # the grid covers the mean +- 9 sd (mass outside below 1e-18)
_FRACTION_TOL = 1e-9


# --- the recursion ------------------------------------------------------------------------


class _Recursion:
    """Sub-density of the B-value ``B(t) = Z(t) sqrt(t)`` (a Brownian motion with drift
    ``drift``, so ``Z`` at ``t = 1`` has mean ``drift``) on the continuation region, look by
    look."""

    def __init__(self, fractions: np.ndarray, drift: float = 0.0) -> None:
        self.t = fractions
        self.drift = drift
        self.k = 0
        self.t_prev = 0.0
        self.x = np.zeros(1)  # B(0) = 0: a point mass
        self.wg = np.ones(1)  # quadrature weight x density at each node

    def _moments(self) -> tuple[np.ndarray, float]:
        d = self.t[self.k] - self.t_prev
        return self.x + self.drift * d, math.sqrt(d)

    def log_exit(self, upper: float, lower: float) -> tuple[float, float]:
        """log P(no earlier exit, B_k >= upper) and log P(no earlier exit, B_k <= lower)."""
        m, s = self._moments()
        up = low = -math.inf
        if upper < math.inf:
            up = _log_weighted_sum(special.log_ndtr((m - upper) / s), self.wg)
        if lower > -math.inf:
            low = _log_weighted_sum(special.log_ndtr((lower - m) / s), self.wg)
        return up, low

    def exit(self, upper: float, lower: float) -> tuple[float, float]:
        up, low = self.log_exit(upper, lower)
        return math.exp(up), math.exp(low)

    def advance(self, upper: float, lower: float) -> None:
        """Move to the next look, keeping the paths that stayed inside ``(lower, upper)``."""
        m, s = self._moments()
        t = self.t[self.k]
        centre, spread = self.drift * t, _TAIL * math.sqrt(t)
        lo, hi = max(lower, centre - spread), min(upper, centre + spread)
        s_next = math.sqrt(self.t[self.k + 1] - t) if self.k + 1 < self.t.shape[0] else s
        if hi <= lo or not np.any(self.wg > 0):
            self.x, self.wg = np.zeros(1), np.zeros(1)
        else:
            n = max(int(math.ceil((hi - lo) * _POINTS_PER_SD / min(s, s_next))), 2)
            n = min(n + n % 2, _MAX_GRID - 1)
            y = np.linspace(lo, hi, n + 1)
            w = np.full(n + 1, 2.0)
            w[1::2] = 4.0
            w[0] = w[-1] = 1.0
            w *= (hi - lo) / (3.0 * n)
            self.x, self.wg = y, w * _smooth(y, m, self.wg, s) / (s * math.sqrt(2.0 * math.pi))
        self.t_prev = t
        self.k += 1


def _smooth(y: np.ndarray, m: np.ndarray, wg: np.ndarray, s: float) -> np.ndarray:
    """``sum_i wg_i exp(-(y_j - m_i)^2 / (2 s^2))`` for each ``y_j`` (``m`` evenly spaced).

    Only nodes within ``_TAIL`` kernel standard deviations of ``y_j`` matter (the rest add
    below 1e-17 relative), so when that band is narrower than the grid the sum runs over it
    alone: the cost is then linear, not quadratic, in the number of nodes.
    """
    n_x = m.shape[0]
    step = (m[-1] - m[0]) / (n_x - 1) if n_x > 1 else math.inf
    band = int(math.ceil(2.0 * _TAIL * s / step)) + 2 if n_x > 1 else n_x
    out = np.empty(y.shape[0])
    rows = max(1, 2_000_000 // min(band, n_x))  # bound the kernel block's memory
    for start in range(0, y.shape[0], rows):
        yy = y[start:start + rows]
        if 2 * band < n_x:
            first = np.clip(np.searchsorted(m, yy - _TAIL * s), 0, n_x - band)
            idx = first[:, None] + np.arange(band)[None, :]
            z = (yy[:, None] - m[idx]) / s
            out[start:start + rows] = (np.exp(-0.5 * z * z) * wg[idx]).sum(axis=1)
        else:
            z = (yy[:, None] - m[None, :]) / s
            out[start:start + rows] = np.exp(-0.5 * z * z) @ wg
    return out


def _log_weighted_sum(log_values: np.ndarray, weights: np.ndarray) -> float:
    """``log(sum(weights * exp(log_values)))``, safe from underflow."""
    top = float(log_values.max())
    if top == -math.inf:
        return -math.inf
    total = float(weights @ np.exp(log_values - top))
    return top + math.log(total) if total > 0.0 else -math.inf


def _scaled(fractions: np.ndarray, k: int, z: float) -> float:
    return z * math.sqrt(fractions[k]) if math.isfinite(z) else z


def exit_probabilities(fractions: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                       drift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """P(first crossing at look k is of the upper / lower z boundary) for each look."""
    rec = _Recursion(fractions, drift)
    p_up, p_low = np.zeros(fractions.shape[0]), np.zeros(fractions.shape[0])
    for k in range(fractions.shape[0]):
        u, lo = _scaled(fractions, k, upper[k]), _scaled(fractions, k, lower[k])
        p_up[k], p_low[k] = rec.exit(u, lo)
        if k + 1 < fractions.shape[0]:
            rec.advance(u, lo)
    return p_up, p_low


def _spending_boundaries(fractions: np.ndarray, cumulative: np.ndarray,
                         two_sided: bool) -> tuple[np.ndarray, np.ndarray]:
    """z boundaries whose exit probability under "no effect" at each look is the increment
    of ``cumulative`` (the spent type-I error, both sides together when two-sided), and the
    exit probabilities they achieve."""
    increments = np.diff(np.concatenate([[0.0], cumulative]))
    rec = _Recursion(fractions)
    out, exits = np.empty(fractions.shape[0]), np.empty(fractions.shape[0])
    for k, target in enumerate(increments):
        st = math.sqrt(fractions[k])
        if target <= 0.0:
            c = math.inf
        else:
            log_target = math.log(target)

            def excess(c: float) -> float:
                up, low = rec.log_exit(c * st, -c * st if two_sided else -math.inf)
                return float(np.logaddexp(up, low)) - log_target

            hi = 8.0
            while excess(hi) > 0.0 and hi < 1e4:
                hi *= 2.0
            c = optimize.brentq(excess, 0.0 if two_sided else -12.0, hi, xtol=1e-12) \
                if excess(hi) <= 0.0 else math.inf
        out[k] = c
        u, lo = _scaled(fractions, k, c), -_scaled(fractions, k, c) if two_sided else -math.inf
        exits[k] = sum(rec.exit(u, lo))
        if k + 1 < fractions.shape[0]:
            rec.advance(u, lo)
    return out, exits


def spent_alpha(kind: str | float, alpha: float, t: Any, two_sided: bool) -> np.ndarray:
    """Cumulative type-I error spent by information fraction ``t`` (both sides together)."""
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    side = alpha / 2.0 if two_sided else alpha
    if kind == "obrien_fleming":
        with np.errstate(divide="ignore"):
            per_side = 2.0 * special.ndtr(-special.ndtri(1.0 - side / 2.0) / np.sqrt(t))
    elif kind == "pocock":
        per_side = side * np.log1p((math.e - 1.0) * t)
    else:
        per_side = side * t ** float(kind)
    return per_side * (2.0 if two_sided else 1.0)


def _classical_boundaries(fractions: np.ndarray, alpha: float, kind: str,
                          two_sided: bool) -> np.ndarray:
    shape = np.ones_like(fractions) if kind == "pocock" else 1.0 / np.sqrt(fractions)
    side = alpha / 2.0 if two_sided else alpha

    def excess(c: float) -> float:
        up, low = exit_probabilities(fractions, c * shape, -c * shape if two_sided
                                     else np.full_like(shape, -math.inf))
        return float(up.sum() + low.sum()) - alpha

    # shape is 1 at the last look: below the one-look critical value the last look alone
    # spends more than alpha; at Bonferroni's value every look is at or above it
    lo = 0.999 * float(special.ndtri(1.0 - side))
    hi = float(special.ndtri(1.0 - side / fractions.shape[0])) + 1e-6
    c = optimize.brentq(excess, lo, hi, xtol=1e-12)
    return c * shape


# --- inputs -------------------------------------------------------------------------------


def _check_fractions(owner: str, name: str, values: Any, *, must_end_at_one: bool) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a sequence of numbers, got {values!r}.") from None
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{owner}: {name} must be a non-empty 1-D sequence of information "
                         f"fractions, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or arr[0] <= 0.0 or arr[-1] > 1.0 + _FRACTION_TOL:
        raise ValueError(f"{owner}: {name} must lie in (0, 1] (the share of the planned maximum "
                         f"information at each look), got {arr.tolist()}; if the experiment ran "
                         "past its planned maximum, pass 1.0 for its final look.")
    if np.any(np.diff(arr) <= 0.0):
        k = int(np.flatnonzero(np.diff(arr) <= 0.0)[0])
        raise ValueError(f"{owner}: {name} must be strictly increasing (looks in time order), "
                         f"but look {k + 2} ({arr[k + 1]}) does not come after look {k + 1} "
                         f"({arr[k]}).")
    if arr.shape[0] > MAX_LOOKS:
        raise ValueError(f"{owner}: at most {MAX_LOOKS} looks, got {arr.shape[0]}; for "
                         "continuous monitoring use msprt / AlwaysValid.")
    if must_end_at_one and abs(arr[-1] - 1.0) > _FRACTION_TOL:
        raise ValueError(f"{owner}: the last of {name} must be 1.0 (the planned maximum "
                         f"information), got {arr[-1]}.")
    return np.minimum(arr, 1.0)


# --- the design ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSequentialDesign:
    """Critical values of a group-sequential test at each look (build with
    :func:`group_sequential`).

    Attributes
    ----------
    information_fractions
        Planned looks, as fractions of the maximum information (of the maximum sample size,
        for a difference of means or proportions with a stable variance).
    boundaries
        z critical value at each look: reject "no effect" at the first look where
        ``z >= boundary`` (or ``|z| >= boundary`` when two-sided).
    alpha_spent
        Cumulative type-I error spent through each look (the chance, under "no effect", of
        having crossed by then); the last value is ``alpha``.
    alpha, spending, alternative, classical
        As given to :func:`group_sequential`.

    Examples
    --------
    >>> from mlmon.ab import group_sequential
    >>> d = group_sequential(looks=[0.25, 0.5, 1.0], spending="pocock")
    >>> d.name, d.n_looks, round(d.alpha_spent[-1], 6)
    ('lan_demets_pocock', 3, 0.05)
    """

    information_fractions: tuple[float, ...]
    boundaries: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    alpha: float
    spending: str | float
    alternative: str
    classical: bool

    @property
    def n_looks(self) -> int:
        """Number of planned looks."""
        return len(self.information_fractions)

    @property
    def name(self) -> str:
        """A short label, e.g. ``"pocock"`` (classical) or ``"lan_demets_obrien_fleming"``."""
        kind = self.spending if isinstance(self.spending, str) else f"power_{self.spending:g}"
        return kind if self.classical else f"lan_demets_{kind}"

    def spending_function(self, t: Any) -> np.ndarray:
        """Cumulative type-I error to spend by information fraction ``t`` (spending designs).

        Examples
        --------
        >>> from mlmon.ab import group_sequential
        >>> d = group_sequential(looks=4, spending="pocock")
        >>> [round(float(a), 4) for a in d.spending_function([0.5, 1.0])]
        [0.0310, 0.05]
        """
        if self.classical:
            raise ValueError("spending_function: a classical design has no spending function; "
                             "its spent error at the planned looks is alpha_spent.")
        return spent_alpha(self.spending, self.alpha, t, self.alternative == "two-sided")

    def boundaries_at(self, information_fractions: Sequence[float]) -> np.ndarray:
        """Critical values for looks at ``information_fractions`` (unplanned looks allowed).

        A spending design recomputes its boundaries so that the error spent by each look is
        ``spending_function(t)`` (Lan & DeMets): the overall type-I error stays ``alpha`` if
        the experiment ends at fraction 1, whatever the number and timing of the looks, as
        long as they are not chosen by looking at the z statistics. A classical design only
        has boundaries at its planned looks.

        Examples
        --------
        >>> from mlmon.ab import group_sequential
        >>> d = group_sequential(looks=4)
        >>> [round(float(b), 3) for b in d.boundaries_at([0.3, 0.55, 1.0])]
        [3.929, 2.808, 1.974]
        """
        t = _check_fractions("boundaries_at", "information_fractions", information_fractions,
                             must_end_at_one=False)
        return self._at(t, "boundaries_at")[0]

    def _at(self, t: np.ndarray, owner: str) -> tuple[np.ndarray, np.ndarray]:
        """Boundaries at checked fractions ``t`` and the cumulative error they spend."""
        planned = np.asarray(self.information_fractions)
        if t.shape[0] <= planned.shape[0] and np.allclose(t, planned[: t.shape[0]], atol=_FRACTION_TOL):
            return (np.asarray(self.boundaries[: t.shape[0]]),
                    np.asarray(self.alpha_spent[: t.shape[0]]))
        if self.classical:
            raise ValueError(f"{owner}: a classical {self.spending} design has boundaries only at "
                             f"its planned looks {list(self.information_fractions)}; for unplanned "
                             "looks build it with classical=False (Lan-DeMets alpha spending).")
        two_sided = self.alternative == "two-sided"
        bounds, exits = _spending_boundaries(t, spent_alpha(self.spending, self.alpha, t, two_sided),
                                             two_sided)
        return bounds, np.cumsum(exits)

    def _lower(self, upper: np.ndarray) -> np.ndarray:
        return -upper if self.alternative == "two-sided" else np.full_like(upper, -math.inf)

    def rejection_probability(self, drift: float) -> float:
        """Probability of rejecting "no effect" at some look when the z statistic at the last
        look has mean ``drift`` (``alpha`` at ``drift = 0``).

        Examples
        --------
        >>> from mlmon.ab import group_sequential
        >>> round(group_sequential(looks=3, spending="pocock").rejection_probability(0.0), 4)
        0.05
        """
        upper = np.asarray(self.boundaries)
        up, low = exit_probabilities(np.asarray(self.information_fractions), upper,
                                     self._lower(upper), float(drift))
        return float(up.sum() + low.sum())

    def to_frame(self):
        """One row per look: fraction, boundary, nominal p-value of the boundary, spent error."""
        import pandas as pd

        b = np.asarray(self.boundaries)
        sides = 2.0 if self.alternative == "two-sided" else 1.0
        spent = np.asarray(self.alpha_spent)
        return pd.DataFrame({"look": np.arange(1, self.n_looks + 1),
                             "information_fraction": self.information_fractions,
                             "boundary": b, "nominal_pvalue": sides * special.ndtr(-b),
                             "alpha_spent": spent,
                             "alpha_increment": np.diff(np.concatenate([[0.0], spent]))})

    def _repr_html_(self) -> str:
        return f"<p><b>{self.name}</b> ({self.alternative}, alpha={self.alpha:g})</p>" + \
            self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        b = ", ".join(f"{v:.3f}" for v in self.boundaries[:6]) + (", ..." if self.n_looks > 6 else "")
        return (f"GroupSequentialDesign({self.name}, {self.alternative}, alpha={self.alpha:g}, "
                f"looks={self.n_looks}, boundaries=[{b}])")

    # -- monitoring ----------------------------------------------------------------------
    def monitor(self, z: Any, *, information_fractions: Sequence[float] | None = None,
                standard_errors: Any = None, final: bool = False) -> GroupSequentialResult:
        """Apply the design to the z statistics observed so far.

        Parameters
        ----------
        z
            z statistic of treatment minus control at each look so far (cumulative data).
        information_fractions
            Information fraction of each look; None takes the planned ones. Unplanned looks
            (a different number, or other times) get boundaries recomputed from the spending
            function (see :meth:`boundaries_at`).
        standard_errors
            Standard error of the effect estimate at each look; with them the result also
            gives the estimate and its repeated confidence interval on the effect's scale.
        final
            Treat the last look as the final analysis (its fraction is set to 1, spending all
            the remaining error), e.g. when the experiment stops short of its planned size.

        Returns
        -------
        GroupSequentialResult
            The decision, the look it was taken at, the boundary crossed, the stage-wise
            adjusted p-value and (with ``standard_errors``) the repeated confidence interval.

        Examples
        --------
        >>> from mlmon.ab import group_sequential
        >>> d = group_sequential(looks=5, spending="obrien_fleming")
        >>> r = d.monitor([1.1, 2.2, 2.9])
        >>> r.decision, r.look, round(r.boundary_crossed, 3), round(r.pvalue, 4)
        ('reject', 3, 2.68, 0.0041)
        """
        owner = "GroupSequentialDesign.monitor"
        try:
            zs = check_signal(z, name="z")
        except (TypeError, ValueError) as err:
            raise type(err)(f"{owner}: {err}") from None
        if not isinstance(final, (bool, np.bool_)):
            raise TypeError(f"{owner}: final must be a bool, got {final!r}.")
        if information_fractions is None:
            if zs.shape[0] > self.n_looks:
                raise ValueError(f"{owner}: z has {zs.shape[0]} looks but the design plans "
                                 f"{self.n_looks}; pass information_fractions for unplanned looks.")
            t = np.asarray(self.information_fractions[: zs.shape[0]])
        else:
            t = _check_fractions(owner, "information_fractions", information_fractions,
                                 must_end_at_one=False)
            if t.shape[0] != zs.shape[0]:
                raise ValueError(f"{owner}: z has {zs.shape[0]} looks and information_fractions "
                                 f"{t.shape[0]}; give one fraction per look.")
        if final:
            if self.classical and t.shape[0] != self.n_looks:
                raise ValueError(f"{owner}: a classical design's final look is its planned look "
                                 f"{self.n_looks}; use a spending design to stop early.")
            t = t.copy()
            t[-1] = 1.0
            if t.shape[0] > 1 and t[-2] >= 1.0:
                raise ValueError(f"{owner}: with final=True the looks before the last must have "
                                 "fractions below 1.")
        se = None
        if standard_errors is not None:
            try:
                se = check_signal(standard_errors, name="standard_errors")
            except (TypeError, ValueError) as err:
                raise type(err)(f"{owner}: {err}") from None
            if se.shape != zs.shape or np.any(se <= 0):
                raise ValueError(f"{owner}: standard_errors must be positive, one per look "
                                 f"({zs.shape[0]}), got {se.tolist()}.")
        return _monitor(self, zs, t, se)

    def monitor_data(self, control: Sequence[Any], treatment: Sequence[Any], *,
                     max_n_per_arm: Annotated[int, at.Ge(2)], metric: Literal["mean", "proportion"] = "mean",
                     final: bool = False) -> GroupSequentialResult:
        """Apply the design to per-look batches of raw data.

        The z statistic at look ``k`` compares all data up to that look (difference of means
        or proportions over its unpooled standard error); the information fraction is the
        effective sample size ``1 / (1/n_c + 1/n_t)`` over that of ``max_n_per_arm`` a side.

        Parameters
        ----------
        control, treatment
            One batch (1-D array) per look for each arm, the same number of looks.
        max_n_per_arm
            Planned maximum sample size per arm (the information fraction 1).
        metric
            ``"mean"`` or ``"proportion"`` (0/1 conversions).
        final
            As in :meth:`monitor`; a look that reaches ``max_n_per_arm`` is final anyway.

        Examples
        --------
        >>> import numpy as np
        >>> from mlmon.ab import group_sequential
        >>> rng = np.random.default_rng(0)
        >>> d = group_sequential(looks=4, spending="pocock")
        >>> ctrl = [rng.normal(0.0, 1.0, 250) for _ in range(4)]
        >>> trt = [rng.normal(0.25, 1.0, 250) for _ in range(4)]
        >>> r = d.monitor_data(ctrl, trt, max_n_per_arm=1000)
        >>> r.decision, r.look, bool(r.final.ci_low > 0)
        ('reject', 1, True)
        """
        owner = "GroupSequentialDesign.monitor_data"
        validate_call(owner, GroupSequentialDesign.monitor_data,
                      {"max_n_per_arm": max_n_per_arm, "metric": metric})
        for name, arm in (("control", control), ("treatment", treatment)):
            if isinstance(arm, np.ndarray) or not isinstance(arm, Sequence) or isinstance(arm, str):
                raise TypeError(f"{owner}: {name} must be a list with one batch (array) per look, "
                                f"got {type(arm).__name__}.")
        if len(control) != len(treatment) or len(control) == 0:
            raise ValueError(f"{owner}: control has {len(control)} looks and treatment "
                             f"{len(treatment)}; give each arm one batch per look (at least one).")
        stats = []
        for name, arm in (("control", control), ("treatment", treatment)):
            n, q, mean = 0, 0.0, 0.0
            rows = []
            for k, batch in enumerate(arm):
                x = check_arm(batch, owner=owner, name=f"{name}[{k}]", metric=metric)
                nb, mb = x.shape[0], float(x.mean())
                delta = mb - mean
                q += float(((x - mb) ** 2).sum()) + delta * delta * n * nb / (n + nb)
                n += nb
                mean += delta * nb / n
                rows.append((n, mean, q))
            stats.append(np.asarray(rows, dtype=float))
        (n_c, m_c, q_c), (n_t, m_t, q_t) = stats[0].T, stats[1].T
        var = (arm_variance(n_c, m_c * n_c, q_c, metric) / n_c
               + arm_variance(n_t, m_t * n_t, q_t, metric) / n_t)
        if not np.all(np.isfinite(var) & (var > 0)):
            raise ValueError(f"{owner}: the first look needs at least 2 observations per arm and "
                             "some variation to estimate a standard error.")
        se = np.sqrt(var)
        estimate = m_t - m_c
        t = (1.0 / (1.0 / n_c + 1.0 / n_t)) / (max_n_per_arm / 2.0)
        if np.any(t[:-1] >= 1.0 - _FRACTION_TOL):
            k = int(np.flatnonzero(t >= 1.0 - _FRACTION_TOL)[0])
            raise ValueError(f"{owner}: look {k + 1} already reaches max_n_per_arm={max_n_per_arm}; "
                             "the design ends there, so later looks are not part of it.")
        result = self.monitor(estimate / se, information_fractions=np.minimum(t, 1.0),
                              standard_errors=se, final=final)
        k = result.look - 1
        ab = ABResult(test="group_sequential", estimate=float(estimate[k]), ci_low=result.ci_low,
                      ci_high=result.ci_high, pvalue=result.pvalue,
                      effect_name="difference_of_means" if metric == "mean" else "difference_of_proportions",
                      confidence=1.0 - self.alpha, alternative=self.alternative,
                      n_control=int(n_c[k]), n_treatment=int(n_t[k]), control=float(m_c[k]),
                      treatment=float(m_t[k]), method="repeated_ci",
                      details={"design": self.name, "look": result.look, "decision": result.decision,
                               "pvalue_method": "stagewise_ordering"})
        return replace(result, final=ab)


@dataclass(frozen=True, eq=False)
class GroupSequentialResult:
    """What a group-sequential design says about the looks so far.

    Attributes
    ----------
    design
        The design applied, with boundaries at the observed information fractions.
    z, information_fractions, boundaries
        Per look so far.
    decision
        ``"reject"`` (a boundary was crossed: stop), ``"continue"`` (no crossing, looks
        remain) or ``"fail_to_reject"`` (the final look was reached without a crossing).
    look
        The look (1-based) the decision was taken at: the crossing, or the last look given.
    direction
        ``"greater"`` or ``"less"`` (side of the crossing), or None.
    boundary_crossed
        The critical value crossed (NaN without a crossing).
    pvalue
        Stage-wise adjusted p-value (ordering of the outcomes by stopping look, then by z;
        Jennison & Turnbull 2000, 8.4): the probability under "no effect" of stopping earlier,
        or at the same look with a z at least as extreme. It is below ``alpha`` exactly when
        the design rejects. NaN while the decision is ``"continue"``.
    estimate, ci_low, ci_high
        Effect estimate at ``look`` and its repeated confidence interval
        (``estimate +- boundary * standard_error``; Jennison & Turnbull 1989), which covers
        the effect at all looks at once with probability ``1 - alpha``; NaN unless standard
        errors were given.
    final
        An :class:`~mlmon.ab.ABResult` at ``look`` when the design ran on raw data
        (:meth:`GroupSequentialDesign.monitor_data`), else None.

    Examples
    --------
    >>> from mlmon.ab import group_sequential
    >>> r = group_sequential(looks=3, spending="pocock").monitor([0.8, 1.4])
    >>> r.decision, r.stopped, r.look
    ('continue', False, 2)
    """

    design: GroupSequentialDesign
    z: np.ndarray
    information_fractions: np.ndarray
    boundaries: np.ndarray
    decision: str
    look: int
    direction: str | None
    boundary_crossed: float
    pvalue: float
    estimate: float
    ci_low: float
    ci_high: float
    final: ABResult | None = None

    @property
    def stopped(self) -> bool:
        """Whether the experiment is over (rejected, or final look reached)."""
        return self.decision != "continue"

    def to_frame(self):
        """One row per look: fraction, z, boundary and whether it was crossed."""
        import pandas as pd

        crossed = (np.abs(self.z) if self.design.alternative == "two-sided" else self.z) >= self.boundaries
        return pd.DataFrame({"look": np.arange(1, self.z.shape[0] + 1),
                             "information_fraction": self.information_fractions, "z": self.z,
                             "boundary": self.boundaries, "crossed": crossed})

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.to_frame().to_html(index=False)

    def __repr__(self) -> str:
        return (f"GroupSequentialResult({self.decision} at look {self.look}, "
                f"z={self.z[self.look - 1]:.3f}, boundary={self.boundaries[self.look - 1]:.3f}, "
                f"p={self.pvalue:.4g})")


def _monitor(design: GroupSequentialDesign, z: np.ndarray, t: np.ndarray,
             se: np.ndarray | None) -> GroupSequentialResult:
    two_sided = design.alternative == "two-sided"
    bounds, spent = design._at(t, "GroupSequentialDesign.monitor")
    seen = np.abs(z) if two_sided else z
    crossed = np.flatnonzero(seen >= bounds)
    if crossed.size:
        k = int(crossed[0])
        decision, direction = "reject", "greater" if z[k] > 0 else "less"
    else:
        k = z.shape[0] - 1
        decision = "fail_to_reject" if t[-1] >= 1.0 - _FRACTION_TOL else "continue"
        direction = None
    pvalue = math.nan
    if decision != "continue":
        upper = bounds[: k + 1].copy()
        upper[k] = seen[k]
        lower = -upper if two_sided else np.full_like(upper, -math.inf)
        up, low = exit_probabilities(t[: k + 1], upper, lower)
        pvalue = float(min(1.0, up.sum() + low.sum()))
    estimate = ci_low = ci_high = math.nan
    if se is not None:
        estimate = float(z[k] * se[k])
        half = float(bounds[k] * se[k])
        ci_low = estimate - half
        ci_high = estimate + half if two_sided else math.inf
    used = GroupSequentialDesign(
        information_fractions=tuple(float(v) for v in t), boundaries=tuple(float(b) for b in bounds),
        alpha_spent=tuple(float(a) for a in spent),
        alpha=design.alpha, spending=design.spending, alternative=design.alternative,
        classical=design.classical)
    return GroupSequentialResult(design=used, z=z, information_fractions=t, boundaries=bounds,
                                 decision=decision, look=k + 1, direction=direction,
                                 boundary_crossed=float(bounds[k]) if decision == "reject" else math.nan,
                                 pvalue=pvalue, estimate=estimate, ci_low=ci_low, ci_high=ci_high)


def group_sequential(*, looks: Annotated[int, at.Ge(1)] | Sequence[float],
                     alpha: Annotated[float, at.Interval(gt=0, lt=0.5)] = 0.05,
                     spending: Literal["obrien_fleming", "pocock"]
                     | Annotated[float, at.Gt(0)] = "obrien_fleming",
                     alternative: Literal["two-sided", "greater"] = "two-sided",
                     classical: bool = False) -> GroupSequentialDesign:
    """A group-sequential design: z critical values per look that keep the type-I error at
    ``alpha`` however many of the looks are taken.

    **Guarantee.** Under "no effect", the probability of crossing a boundary at any look is
    ``alpha`` (up to about 1e-6 of numerical error), computed exactly for z statistics with the
    joint law of a Brownian motion at the information fractions (``corr(Z_j, Z_k) =
    sqrt(t_j / t_k)``): true asymptotically for differences of means or proportions computed
    on all data so far. With ``classical=False`` (alpha spending) this holds for any number
    and timing of looks (:meth:`~GroupSequentialDesign.boundaries_at`), provided the look times
    are not chosen from the z statistics and the experiment ends at fraction 1.

    Parameters
    ----------
    looks
        Number of equally spaced looks, or the information fraction of each planned look
        (strictly increasing, the last 1.0).
    alpha
        Overall type-I error (both sides together when two-sided).
    spending
        Alpha-spending function of Lan & DeMets (1983), spent per side at level ``alpha / 2``
        when two-sided (the convention of the Lan-DeMets programs of Reboussin et al. 2000):

        - ``"obrien_fleming"``: ``a(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))``, spending almost
          nothing early and keeping the final boundary near the fixed-sample one;
        - ``"pocock"``: ``a(t) = a log(1 + (e - 1) t)``, nearly constant boundaries;
        - a float ``rho``: the power family ``a(t) = a t^rho`` (Kim & DeMets 1987; ``rho = 1``
          is Pocock-like, ``rho = 3`` O'Brien-Fleming-like).

        With ``classical=True``, the shape of the classical boundaries instead.
    alternative
        ``"two-sided"`` (stop on a crossing of either ``+b`` or ``-b``) or ``"greater"``
        (treatment better; upper boundary only).
    classical
        The classical boundaries for the planned looks instead of a spending function: Pocock
        (1977), a constant ``c``, or O'Brien & Fleming (1979), ``c / sqrt(t_k)``
        (``c sqrt(K / k)`` for equal looks), with ``c`` solved for an overall error of exactly
        ``alpha``. They hold only at the planned looks.

    Returns
    -------
    GroupSequentialDesign

    Examples
    --------
    >>> from mlmon.ab import group_sequential
    >>> d = group_sequential(looks=5, spending="pocock", classical=True)
    >>> round(d.boundaries[0], 3), round(d.alpha_spent[-1], 4)
    (2.413, 0.05)
    >>> [round(b, 3) for b in group_sequential(looks=5).boundaries]
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    owner = "group_sequential"
    validate_call(owner, group_sequential, {"alpha": alpha, "spending": spending,
                                            "alternative": alternative, "classical": classical})
    if isinstance(looks, (bool, np.bool_)):
        raise TypeError(f"{owner}: looks must be an int or a sequence of information fractions, "
                        f"got {looks!r}.")
    if isinstance(looks, numbers.Integral):
        if not 1 <= looks <= MAX_LOOKS:
            raise ValueError(f"{owner}: looks must be between 1 and {MAX_LOOKS}, got {looks!r}.")
        t = np.arange(1, int(looks) + 1) / int(looks)
    elif isinstance(looks, (str, bytes)) or not isinstance(looks, (Sequence, np.ndarray)):
        raise TypeError(f"{owner}: looks must be an int or a sequence of information fractions, "
                        f"got {looks!r}.")
    else:
        t = _check_fractions(owner, "looks", looks, must_end_at_one=True)
        t[-1] = 1.0
    two_sided = alternative == "two-sided"
    if classical:
        if not isinstance(spending, str):
            raise ValueError(f"{owner}: classical boundaries exist for spending='pocock' and "
                             f"'obrien_fleming' only, got {spending!r}; use classical=False for "
                             "the power family.")
        bounds = _classical_boundaries(t, alpha, spending, two_sided)
        up, low = exit_probabilities(t, bounds, -bounds if two_sided else np.full_like(bounds, -math.inf))
        exits = up + low
    else:
        bounds, exits = _spending_boundaries(t, spent_alpha(spending, alpha, t, two_sided), two_sided)
    return GroupSequentialDesign(information_fractions=tuple(float(v) for v in t),
                                 boundaries=tuple(float(b) for b in bounds),
                                 alpha_spent=tuple(float(a) for a in np.cumsum(exits)),
                                 alpha=alpha, spending=spending, alternative=alternative,
                                 classical=classical)

