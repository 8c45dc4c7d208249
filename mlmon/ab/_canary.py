"""Canary analysis: promote, keep waiting, or roll back, from several metrics at every look.

A :class:`CanaryRule` watches one **primary** metric (which decides promotion) and any number
of **guardrails** (which trigger rollback), each with an always-valid test (:class:`AlwaysValid`,
a mixture SPRT) so that looking at every batch of traffic keeps the error rates:

* **rollback** as soon as a guardrail's confidence sequence lies entirely on the harmful side
  of its ``margin`` (on the whole traffic, or on one segment when ``segments`` are given);
* **promote** once the primary's confidence sequence lies entirely on the better side of 0
  *and* every guardrail's lies entirely on the safe side of its margin (non-inferiority
  shown);
* otherwise **continue** (and, at the end of the traffic, stop undecided).

Error control: the primary's sequence is at level ``alpha``, the guardrails share
``guardrail_alpha`` (Bonferroni over guardrails and segments). So, whatever the number of looks,
a treatment that is not better is promoted with probability at most ``alpha``, and a
treatment that harms no guardrail beyond its margin is rolled back with probability at most
``guardrail_alpha`` (asymptotically, the tests' variance being estimated).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from mlmon.ab._always_valid import AlwaysValid
from mlmon.runtime._rollout import arm_values, decide, segment_labels

__all__ = ["CanaryDecision", "CanaryRule", "Metric", "RolloutSimulation", "simulate_rollout"]

_ROLES = ("primary", "guardrail")


@dataclass(frozen=True)
class Metric:
    """One metric a canary watches.

    Parameters
    ----------
    name
        Key of the metric in the data given to :meth:`CanaryRule.update`.
    kind
        ``"proportion"`` (0/1 per request: an error, a conversion) or ``"mean"`` (a value per
        request: latency, revenue, a quality score).
    better
        ``"higher"`` or ``"lower"``.
    role
        ``"primary"`` (decides promotion; exactly one) or ``"guardrail"`` (triggers rollback).
    margin
        For a guardrail, the harm tolerated, in the metric's units (absolute difference):
        rollback needs harm beyond it, promotion needs harm shown to be below it.
    tau
        The mixture's scale: the size of effect the test is tuned to find (about the smallest
        effect that matters, in the metric's units).

    Examples
    --------
    >>> Metric("latency_ms", kind="mean", better="lower", role="guardrail", margin=5.0, tau=5.0).harmful(8.0)
    True
    """

    name: str
    kind: Literal["proportion", "mean"]
    better: Literal["higher", "lower"]
    role: Literal["primary", "guardrail"]
    tau: float
    margin: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Metric: name must be a non-empty string, got {self.name!r}.")
        if self.kind not in ("proportion", "mean"):
            raise ValueError(f"Metric {self.name!r}: kind must be 'proportion' or 'mean', got {self.kind!r}.")
        if self.better not in ("higher", "lower"):
            raise ValueError(f"Metric {self.name!r}: better must be 'higher' or 'lower', got {self.better!r}.")
        if self.role not in _ROLES:
            raise ValueError(f"Metric {self.name!r}: role must be 'primary' or 'guardrail', got {self.role!r}.")
        for what, v in (("tau", self.tau), ("margin", self.margin)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (
                    v <= 0 if what == "tau" else v < 0):
                raise ValueError(f"Metric {self.name!r}: {what} must be a finite number "
                                 f"{'> 0' if what == 'tau' else '>= 0'}, got {v!r}.")

    def harmful(self, effect: float) -> bool:
        """Whether ``effect`` (treatment minus control) is harm beyond the margin."""
        return effect < -self.margin if self.better == "higher" else effect > self.margin


@dataclass(frozen=True)
class CanaryDecision:
    """A canary's decision at one look, and the evidence behind it.

    Attributes
    ----------
    decision
        ``"promote"``, ``"rollback"`` or ``"continue"``.
    reason
        In words.
    look
        Looks so far (1-based).
    results
        ``{(metric, segment): ABResult}`` (segment None for all traffic): the always-valid
        p-value and confidence sequence of each test at this look.
    n_control, n_treatment
        Requests seen per arm so far.
    """

    decision: str
    reason: str
    look: int
    results: Mapping[tuple[str, Any], Any] = field(default_factory=dict)
    n_control: int = 0
    n_treatment: int = 0

    def to_frame(self):
        """One row per test: metric, segment, estimate, confidence sequence, p-value."""
        import pandas as pd

        return pd.DataFrame([{"metric": m, "segment": s, "estimate": r.estimate, "ci_low": r.ci_low,
                              "ci_high": r.ci_high, "pvalue": r.pvalue, "n_control": r.n_control,
                              "n_treatment": r.n_treatment} for (m, s), r in self.results.items()])

    def _repr_html_(self) -> str:
        return (f"<p><b>{html.escape(self.decision)}</b> at look {self.look}: {html.escape(self.reason)}</p>"
                + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}"))


class CanaryRule:
    """Decide a rollout from a primary metric and guardrails, look after look (see the module).

    Parameters
    ----------
    metrics
        The :class:`Metric` list: one primary, any guardrails.
    alpha
        Error level of the promotion (the primary's confidence sequence).
    guardrail_alpha
        Error level of a wrong rollback, shared by all guardrail tests (Bonferroni).
    segments
        Segment labels whose guardrails are also tested separately (a regression confined to
        one segment is caught there); None: whole traffic only.
    min_samples
        Requests per arm before a test may decide.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rule = CanaryRule([Metric("conversion", kind="proportion", better="higher", role="primary", tau=0.02),
    ...                    Metric("error", kind="proportion", better="lower", role="guardrail", margin=0.005,
    ...                           tau=0.01)])
    >>> for hour in range(48):
    ...     d = rule.update({"conversion": rng.random(2000) < 0.10, "error": rng.random(2000) < 0.01},
    ...                     {"conversion": rng.random(2000) < 0.12, "error": rng.random(2000) < 0.01})
    ...     if d.decision != "continue":
    ...         break
    >>> d.decision
    'promote'
    """

    def __init__(self, metrics: Sequence[Metric], *, alpha: float = 0.05, guardrail_alpha: float = 0.05,
                 segments: Sequence[Any] | None = None, min_samples: int = 100) -> None:
        metrics = list(metrics)
        if not metrics or not all(isinstance(m, Metric) for m in metrics):
            raise TypeError("CanaryRule: metrics must be a non-empty list of mlmon.ab.Metric.")
        primary = [m for m in metrics if m.role == "primary"]
        if len(primary) != 1:
            raise ValueError(f"CanaryRule: exactly one metric must have role='primary' (it decides promotion); "
                             f"got {len(primary)}.")
        names = [m.name for m in metrics]
        if len(set(names)) != len(names):
            raise ValueError(f"CanaryRule: metric names must be unique, got {names}.")
        for what, a in (("alpha", alpha), ("guardrail_alpha", guardrail_alpha)):
            if not (isinstance(a, (int, float)) and 0 < a < 1):
                raise ValueError(f"CanaryRule: {what} must be in (0, 1), got {a!r}.")
        if isinstance(min_samples, bool) or not isinstance(min_samples, (int, np.integer)) or min_samples < 2:
            raise ValueError(f"CanaryRule: min_samples must be an integer >= 2, got {min_samples!r}.")
        self.metrics, self.primary = metrics, primary[0]
        self.guardrails = [m for m in metrics if m.role == "guardrail"]
        self.alpha, self.guardrail_alpha = float(alpha), float(guardrail_alpha)
        self.segments = None if segments is None else list(dict.fromkeys(segments))
        if self.segments is not None and not self.segments:
            raise ValueError("CanaryRule: segments, when given, must name at least one segment.")
        self.min_samples = int(min_samples)
        self.reset()

    @property
    def n_guardrail_tests(self) -> int:
        """Guardrail tests sharing ``guardrail_alpha``: each guardrail on all traffic and per segment."""
        return len(self.guardrails) * (1 + (len(self.segments) if self.segments else 0))

    def reset(self) -> CanaryRule:
        """Forget all data: a new rollout."""
        level = self.guardrail_alpha / max(self.n_guardrail_tests, 1)
        self._tests: dict[tuple[str, Any], AlwaysValid] = {
            (self.primary.name, None): AlwaysValid(tau=self.primary.tau, alpha=self.alpha, metric=self.primary.kind,
                                                   min_samples=self.min_samples)}
        for g in self.guardrails:
            for seg in [None] + (self.segments or []):
                self._tests[(g.name, seg)] = AlwaysValid(tau=g.tau, alpha=level, metric=g.kind,
                                                         min_samples=self.min_samples)
        self.looks_ = 0
        self.n_control_ = self.n_treatment_ = 0
        self.decision_: CanaryDecision | None = None
        return self

    def spec(self) -> list[dict[str, Any]]:
        """The metrics as plain dicts (what an exported rule holds)."""
        return [{"name": m.name, "kind": m.kind, "better": m.better, "role": m.role, "tau": float(m.tau),
                 "margin": float(m.margin)} for m in self.metrics]

    def update(self, control: Mapping[str, Any], treatment: Mapping[str, Any], *,
               segments_control: Any = None, segments_treatment: Any = None) -> CanaryDecision:
        """Add one look's requests per arm and decide.

        Parameters
        ----------
        control, treatment
            ``{metric name: this look's values}``, one value per request (may be empty).
        segments_control, segments_treatment
            Each request's segment, when the rule has ``segments``.

        Returns
        -------
        CanaryDecision
            Once the decision is promote or rollback it stays so (further looks are refused
            until :meth:`reset`).
        """
        if self.decision_ is not None and self.decision_.decision != "continue":
            raise RuntimeError(f"CanaryRule.update: the rollout is decided ({self.decision_.decision}); "
                               "call reset() for a new one.")
        owner = "CanaryRule.update"
        spec = self.spec()
        c, n_c = arm_values(spec, control, "control", owner)
        t, n_t = arm_values(spec, treatment, "treatment", owner)
        seg_c = seg_t = None
        if self.segments is not None:
            seg_c = segment_labels(segments_control, n_c, "control", owner)
            seg_t = segment_labels(segments_treatment, n_t, "treatment", owner)
        self.looks_ += 1
        self.n_control_ += n_c
        self.n_treatment_ += n_t
        results = {}
        for (name, seg), test in self._tests.items():
            if seg is None:
                results[(name, seg)] = test.update(c[name], t[name])
            else:
                results[(name, seg)] = test.update(c[name][seg_c == seg], t[name][seg_t == seg])
        self.decision_ = self._decide(results)
        return self.decision_

    def _decide(self, results: dict[tuple[str, Any], Any]) -> CanaryDecision:
        decision, reason = decide(self.spec(), self.segments, results)  # the rule production runs
        return CanaryDecision(decision, reason, self.looks_, dict(results), self.n_control_, self.n_treatment_)


@dataclass(frozen=True, eq=False)
class RolloutSimulation:
    """How often a canary rule decided right, and how fast, over simulated rollouts.

    Attributes
    ----------
    expected
        The right decision for the simulated truth.
    decisions
        Each rollout's final decision (``"undecided"`` when the ramp ended first).
    looks, treatment_requests
        Per rollout: looks taken, and requests the treatment served, until the decision.
    reasons
        Per rollout: the decision's reason.
    """

    expected: str
    decisions: tuple[str, ...]
    looks: np.ndarray
    treatment_requests: np.ndarray
    reasons: tuple[str, ...]

    @property
    def correct_rate(self) -> float:
        """Share of rollouts that reached the expected decision."""
        return float(np.mean([d == self.expected for d in self.decisions]))

    def rates(self) -> dict[str, float]:
        """Share of rollouts per final decision (``"undecided"``: the ramp ended first)."""
        n = len(self.decisions)
        return {k: sum(d == k for d in self.decisions) / n for k in ("promote", "rollback", "undecided")}

    def rate_interval(self, decision: str, *, confidence: float = 0.95) -> tuple[float, float]:
        """Wilson interval of the share of rollouts that ended in ``decision``."""
        from mlmon.benchmark.metrics import proportion_interval

        if decision not in ("promote", "rollback", "undecided"):
            raise ValueError(f"decision must be 'promote', 'rollback' or 'undecided', got {decision!r}.")
        k = sum(d == decision for d in self.decisions)
        lo, hi = proportion_interval(successes=[k], trials=[len(self.decisions)], confidence=confidence)
        return float(lo[0]), float(hi[0])

    def to_frame(self):
        """One row per simulated rollout."""
        import pandas as pd

        return pd.DataFrame({"decision": self.decisions, "looks": self.looks,
                             "treatment_requests": self.treatment_requests, "reason": self.reasons})

    def summary(self) -> dict[str, float]:
        """Decision rates, the share right, and the mean looks and treatment exposure to a decision."""
        decided = np.array([d in ("promote", "rollback") for d in self.decisions])
        return {**self.rates(), "correct": self.correct_rate,
                "mean_looks_to_decision": float(self.looks[decided].mean()) if decided.any() else math.nan,
                "mean_treatment_requests": float(self.treatment_requests.mean())}

    def __repr__(self) -> str:
        return (f"RolloutSimulation(expected={self.expected}, n={len(self.decisions)}, "
                f"correct={self.correct_rate:.3f}, rates={ {k: round(v, 3) for k, v in self.rates().items()} })")


def _draw(rng: np.random.Generator, metric: Metric, param: Any, n: int) -> np.ndarray:
    if metric.kind == "proportion":
        return (rng.random(n) < float(param)).astype(float)
    mean, sd = param
    return rng.normal(float(mean), float(sd), n)


def simulate_rollout(rule: CanaryRule, *, control: Mapping[str, Any], treatment: Mapping[str, Any],
                     expected: str, ramp: Sequence[float] = (0.01, 0.05, 0.2, 0.5), looks_per_step: int = 6,
                     requests_per_look: int = 10_000, segments: Mapping[Any, float] | None = None,
                     treatment_by_segment: Mapping[Any, Mapping[str, Any]] | None = None,
                     n_sims: int = 200, seed: int | None = 0) -> RolloutSimulation:
    """Replay a traffic ramp many times and count the rule's decisions.

    Each look has ``requests_per_look`` requests, each sent to the treatment with the current
    ramp share (``looks_per_step`` looks per share); every request draws each metric from its
    arm's truth: a rate for a proportion, ``(mean, sd)`` (normal) for a mean. With
    ``segments`` (segment -> share of requests), requests also draw a segment, and
    ``treatment_by_segment`` overrides the treatment's truth in some segments (a model worse
    only on one segment). A rollout stops at the rule's first promote or rollback.

    Parameters
    ----------
    rule
        The :class:`CanaryRule` (reset for every rollout).
    control, treatment
        ``{metric name: truth}``.
    expected
        The right decision for this truth: ``"promote"``, ``"rollback"`` or ``"continue"``.
    n_sims, seed
        Rollouts, and the seed of all draws.

    Examples
    --------
    >>> rule = CanaryRule([Metric("conversion", kind="proportion", better="higher", role="primary", tau=0.02),
    ...                    Metric("error", kind="proportion", better="lower", role="guardrail", margin=0.005,
    ...                           tau=0.01)])
    >>> sim = simulate_rollout(rule, control={"conversion": 0.10, "error": 0.01},
    ...                        treatment={"conversion": 0.10, "error": 0.03}, expected="rollback",
    ...                        n_sims=20, seed=1)
    >>> sim.correct_rate
    1.0
    """
    if expected not in ("promote", "rollback", "continue"):
        raise ValueError(f"simulate_rollout: expected must be 'promote', 'rollback' or 'continue', got {expected!r}.")
    names = [m.name for m in rule.metrics]
    for who, truth in (("control", control), ("treatment", treatment)):
        missing = [n for n in names if n not in truth]
        if missing:
            raise ValueError(f"simulate_rollout: {who} lacks the truth of metrics {missing}.")
    ramp = [float(s) for s in ramp]
    if not ramp or any(not 0 < s <= 1 for s in ramp):
        raise ValueError(f"simulate_rollout: ramp must be treatment shares in (0, 1], got {ramp!r}.")
    for what, v in (("looks_per_step", looks_per_step), ("requests_per_look", requests_per_look), ("n_sims", n_sims)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"simulate_rollout: {what} must be a positive integer, got {v!r}.")
    seg_names = seg_p = None
    if segments is not None:
        seg_names = list(segments)
        seg_p = np.array([float(segments[s]) for s in seg_names])
        if np.any(seg_p < 0) or not math.isclose(seg_p.sum(), 1.0, rel_tol=1e-9):
            raise ValueError("simulate_rollout: segments must map each segment to its share, shares summing to 1.")
    overrides = dict(treatment_by_segment or {})
    if overrides and seg_names is None:
        raise ValueError("simulate_rollout: treatment_by_segment needs segments (each segment's share).")
    rng = np.random.default_rng(seed)
    decisions, looks, exposure, reasons = [], [], [], []
    for _ in range(n_sims):
        rule.reset()
        served_t, final = 0, None
        for share in ramp:
            for _ in range(looks_per_step):
                n_t = int(rng.binomial(requests_per_look, share))
                n_c = requests_per_look - n_t
                c = {m.name: _draw(rng, m, control[m.name], n_c) for m in rule.metrics}
                kw = {}
                if seg_names is None:
                    t = {m.name: _draw(rng, m, treatment[m.name], n_t) for m in rule.metrics}
                else:
                    sc = np.asarray(seg_names, dtype=object)[rng.choice(len(seg_names), n_c, p=seg_p)]
                    st = np.asarray(seg_names, dtype=object)[rng.choice(len(seg_names), n_t, p=seg_p)]
                    t = {}
                    for m in rule.metrics:
                        vals = _draw(rng, m, treatment[m.name], n_t)
                        for seg, truth in overrides.items():
                            if m.name in truth:
                                hit = st == seg
                                vals[hit] = _draw(rng, m, truth[m.name], int(hit.sum()))
                        t[m.name] = vals
                    kw = {"segments_control": sc, "segments_treatment": st} if rule.segments is not None else {}
                served_t += n_t
                final = rule.update(c, t, **kw)
                if final.decision != "continue":
                    break
            if final.decision != "continue":
                break
        decisions.append(final.decision if final.decision != "continue" else "undecided")
        looks.append(final.look)
        exposure.append(served_t)
        reasons.append(final.reason)
    return RolloutSimulation(expected=expected if expected != "continue" else "undecided", decisions=tuple(decisions),
                             looks=np.asarray(looks), treatment_requests=np.asarray(exposure), reasons=tuple(reasons))
