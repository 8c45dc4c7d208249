"""Retraining policies: when a replay retrains its model, and why.

A policy sees what production would see, in time order: every served sample (its features and
the prediction made), and each label when it arrives (with the 0/1 error, or the loss, of the
prediction made for it). It answers with a :class:`Request` when it wants a retrain. Every
policy takes ``cooldown`` (no retrain within that many samples of the previous one) and
``max_retrains`` per ``period`` samples; a request refused by either is recorded with its
reason, not silently dropped.

Policies hold state during a replay; the replay works on a deep copy, so one policy object
can be replayed many times.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["DriftTriggered", "HumanInTheLoop", "Never", "Oracle", "Periodic", "PerformanceTriggered", "Policy",
           "RandomMatched", "Request"]


@dataclass(frozen=True)
class Request:
    """A policy's request to retrain now.

    Attributes
    ----------
    reason
        Why, in words (kept in the replay's decision log).
    since
        Train only on samples from this index on (the oracle's "since the drift"); None: the
        model's usual window.
    """

    reason: str
    since: int | None = None


@dataclass(frozen=True)
class Context:
    """What a policy knows when a replay starts."""

    n_samples: int
    warmup: int
    label_delay: int
    drifts: tuple[Any, ...]
    seed: np.random.SeedSequence


class Policy:
    """Base class: no retrain ever, plus the cooldown and cap every policy shares.

    Parameters
    ----------
    cooldown
        Samples after a retrain during which requests are refused.
    max_retrains, period
        At most ``max_retrains`` retrains in any ``period`` consecutive samples (both or
        neither).
    """

    name = "policy"

    def __init__(self, *, cooldown: int = 0, max_retrains: int | None = None, period: int | None = None) -> None:
        if isinstance(cooldown, bool) or not isinstance(cooldown, (int, np.integer)) or cooldown < 0:
            raise ValueError(f"{type(self).__name__}: cooldown must be an integer >= 0 (samples), got {cooldown!r}.")
        if (max_retrains is None) != (period is None):
            raise ValueError(f"{type(self).__name__}: give both max_retrains and period (at most max_retrains "
                             "retrains in any period samples), or neither.")
        if max_retrains is not None and (not isinstance(max_retrains, (int, np.integer)) or max_retrains < 1
                                         or not isinstance(period, (int, np.integer)) or period < 1):
            raise ValueError(f"{type(self).__name__}: max_retrains and period must be positive integers, "
                             f"got {max_retrains!r} and {period!r}.")
        self.cooldown, self.max_retrains, self.period = int(cooldown), max_retrains, period

    # --- the replay calls these ---------------------------------------------------------------
    def start(self, ctx: Context) -> None:
        """Called once before the first served sample."""
        self.ctx = ctx
        #: (t, action, reason) entries the policy adds to the replay's decision log
        self.events: list[tuple[int, str, str]] = []

    @property
    def watches_samples(self) -> bool:
        """Whether :meth:`on_sample` does anything (the replay skips the call when not)."""
        return type(self).on_sample is not Policy.on_sample

    @property
    def watches_labels(self) -> bool:
        """Whether :meth:`on_label` does anything (the replay skips the call when not)."""
        return type(self).on_label is not Policy.on_label

    def on_sample(self, t: int, x: np.ndarray, prediction: Any) -> Request | None:
        """Sample ``t`` was served (``x`` its features, ``prediction`` the model's)."""
        return None

    def on_label(self, t: int, s: int, error: float) -> Request | None:
        """At time ``t``, the label of sample ``s`` arrived; ``error`` is its prediction's loss."""
        return None

    def on_retrain(self, t: int) -> None:
        """A retrain was decided at ``t`` (reset whatever watches the old model)."""

    def params(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in ("ctx", "events", "reviews")}
        return {k: (repr(v) if not isinstance(v, (int, float, str, bool, type(None))) else v) for k, v in out.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


class Never(Policy):
    """Never retrain: the baseline every policy must beat.

    Examples
    --------
    >>> Never().on_label(10, 5, 1.0) is None
    True
    """

    name = "never"


class Periodic(Policy):
    """Retrain every ``every`` samples after the warm-up, whatever happens.

    Examples
    --------
    >>> p = Periodic(every=100)
    >>> p.start(Context(n_samples=1000, warmup=0, label_delay=0, drifts=(), seed=np.random.SeedSequence(0)))
    >>> [t for t in range(1, 400) if p.on_sample(t, None, None)]
    [100, 200, 300]
    """

    name = "periodic"

    def __init__(self, *, every: int, **limits: Any) -> None:
        super().__init__(**limits)
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"Periodic: every must be a positive number of samples, got {every!r}.")
        self.every = int(every)

    def on_sample(self, t: int, x: Any, prediction: Any) -> Request | None:
        since = t - self.ctx.warmup
        if since > 0 and since % self.every == 0:
            return Request(f"every {self.every} samples")
        return None


class DriftTriggered(Policy):
    """Retrain when an mlmon drift detector alarms on the error stream, a feature or the predictions.

    Parameters
    ----------
    detector
        Any mlmon detector (calibrate it first: its threshold is the policy's false-alarm
        rate). The policy runs a copy, reset to its just-fitted state at the start and after
        each retrain: a fitted reference is kept, running statistics start again.
    signal
        ``"error"``: the 0/1 errors (or losses) of predictions, in the order their labels arrive
        (needs labels; late labels mean late alarms); ``"feature"``: column ``feature`` of the
        served rows, every sample (unsupervised: no label needed); ``"prediction"``: the
        served predictions (unsupervised).
    feature
        Column index for ``signal="feature"``.
    lookback
        Train the new model only on samples from ``lookback`` samples before the alarm on
        (None: the replay's usual window). An alarm comes after the change, so a short
        lookback keeps the old concept out of the training rows.
    wait
        After an alarm, wait until the labels of ``wait`` samples served from the alarm on
        have arrived, then retrain on them (and the ``lookback`` before): a model of the new
        concept needs data of it. 0 retrains at the alarm itself. On the error stream the
        alarm's sample is the one whose label raised it (labels arrive late: the samples served
        since are counted too). Alarms while waiting are folded into the pending one.

    Examples
    --------
    >>> from mlmon.detectors import DDM
    >>> p = DriftTriggered(DDM(), signal="error")
    >>> p.signal
    'error'
    """

    name = "drift"

    def __init__(self, detector: Any, *, signal: str = "error", feature: int | None = None,
                 lookback: int | None = None, wait: int = 0, **limits: Any) -> None:
        super().__init__(**limits)
        if isinstance(wait, bool) or not isinstance(wait, (int, np.integer)) or wait < 0:
            raise ValueError(f"DriftTriggered: wait must be an integer >= 0 (labels), got {wait!r}.")
        self.wait = int(wait)
        if lookback is not None and (isinstance(lookback, bool) or not isinstance(lookback, (int, np.integer))
                                     or lookback < 1):
            raise ValueError(f"DriftTriggered: lookback must be a positive number of samples or None, got {lookback!r}.")
        self.lookback = lookback
        if not hasattr(detector, "update") or not hasattr(detector, "clone"):
            raise TypeError(f"DriftTriggered: detector must be an mlmon detector, got {type(detector).__name__}.")
        if signal not in ("error", "feature", "prediction"):
            raise ValueError(f"DriftTriggered: signal must be 'error', 'feature' or 'prediction', got {signal!r}.")
        if signal == "feature" and (isinstance(feature, bool) or not isinstance(feature, (int, np.integer))
                                    or feature < 0):
            raise ValueError("DriftTriggered: signal='feature' needs feature=<column index>, a non-negative integer.")
        self.detector, self.signal, self.feature = detector, signal, feature

    def _fresh_detector(self) -> Any:
        # a copy in its just-fitted state: a fitted reference (a baseline mean, a reference
        # window) is kept across retrains, the running statistics start again
        det = copy.deepcopy(self.detector)
        det.reset()
        return det

    def start(self, ctx: Context) -> None:
        super().start(ctx)
        self._det = self._fresh_detector()
        self._alarm: tuple[int, str] | None = None
        self._fresh = 0

    def _request(self, t: int, at: int, why: str) -> Request:
        # with wait, training starts at the alarm's sample (for errors, the sample whose label
        # alarmed); lookback counts back from there, or from now without wait
        since = at if self.wait else None
        if self.lookback is not None:
            since = max(0, (at if self.wait else t) - self.lookback)
        return Request(why, since=since)

    def _feed(self, t: int, at: int, value: float, where: str) -> Request | None:
        """``value`` belongs to sample ``at`` (the labelled sample for errors, else ``t``)."""
        if self._det.update(float(value)).drift and self._alarm is None:
            why = f"{type(self.detector).__name__} alarm on {where}"
            if not self.wait:
                return self._request(t, at, why)
            self._alarm, self._fresh = (at, why), 0
            self.events.append((t, "alarm", f"{why} (sample {at}); waiting for {self.wait} labels"))
        return None

    def on_sample(self, t: int, x: Any, prediction: Any) -> Request | None:
        if self.signal == "feature":
            return self._feed(t, t, x[self.feature], f"feature {self.feature}")
        if self.signal == "prediction":
            return self._feed(t, t, prediction, "predictions")
        return None

    def on_label(self, t: int, s: int, error: float) -> Request | None:
        req = self._feed(t, s, error, "errors") if self.signal == "error" else None
        if self._alarm is not None and s >= self._alarm[0]:
            self._fresh += 1
            if self._fresh >= self.wait:
                at, why = self._alarm
                self._alarm = None
                return self._request(t, at, f"{why} at {at}, {self.wait} labels since")
        return req

    def on_retrain(self, t: int) -> None:
        self._det = self._fresh_detector()
        self._alarm = None

    @property
    def watches_samples(self) -> bool:
        return self.signal != "error"

    @property
    def watches_labels(self) -> bool:
        return self.signal == "error" or self.wait > 0

    def params(self) -> dict[str, Any]:
        return {"detector": repr(self.detector), "signal": self.signal, "feature": self.feature,
                "lookback": self.lookback, "wait": self.wait, "cooldown": self.cooldown, "max_retrains": self.max_retrains, "period": self.period}


class PerformanceTriggered(Policy):
    """Retrain when the windowed error rate is credibly above ``max_error``.

    Over the last ``window`` arrived labels, the error rate's one-sided Wilson lower bound at
    ``confidence`` must exceed ``max_error``: the window's uncertainty is part of the rule,
    so a small window does not fire on noise. For losses that are not 0/1 the mean loss is
    compared with a normal lower bound. With ``wait``, the rule firing on the label of sample
    ``s`` starts a wait for the labels of ``wait`` samples from ``s`` on, and the retrain
    trains on those only (as :class:`DriftTriggered`'s ``wait``).

    Examples
    --------
    >>> p = PerformanceTriggered(window=50, max_error=0.2)
    >>> p.start(Context(n_samples=1000, warmup=0, label_delay=0, drifts=(), seed=np.random.SeedSequence(0)))
    >>> fired = [s for s in range(200) if p.on_label(s, s, float(s >= 100 and s % 2 == 0))]
    >>> 100 < fired[0] < 150
    True
    """

    name = "performance"

    def __init__(self, *, window: int = 200, max_error: float, confidence: float = 0.95, wait: int = 0,
                 **limits: Any) -> None:
        super().__init__(**limits)
        if isinstance(wait, bool) or not isinstance(wait, (int, np.integer)) or wait < 0:
            raise ValueError(f"PerformanceTriggered: wait must be an integer >= 0 (labels), got {wait!r}.")
        self.wait = int(wait)
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 10:
            raise ValueError(f"PerformanceTriggered: window must be an integer >= 10 (labels), got {window!r}.")
        if not (isinstance(max_error, (int, float)) and math.isfinite(max_error) and max_error >= 0):
            raise ValueError(f"PerformanceTriggered: max_error must be a finite number >= 0, got {max_error!r}.")
        if not 0.5 <= confidence < 1:
            raise ValueError(f"PerformanceTriggered: confidence must be in [0.5, 1), got {confidence!r}.")
        from scipy.stats import norm

        self.window, self.max_error, self.confidence = int(window), float(max_error), float(confidence)
        self._z = float(norm.ppf(confidence))

    def start(self, ctx: Context) -> None:
        from mlmon.runtime._trigger import WindowedErrorRule

        super().start(ctx)
        # the rule production runs (mlmon.runtime), so an exported trigger decides identically
        self._window_rule = WindowedErrorRule(self.window, self.max_error, self._z)
        self._alarm: tuple[int, str] | None = None
        self._fresh = 0

    def on_label(self, t: int, s: int, error: float) -> Request | None:
        if self._alarm is None:
            req = self._rule(s, error)
            if req is None or not self.wait:
                return req
            self._alarm, self._fresh = (s, req.reason), 0
            self.events.append((t, "alarm", f"{req.reason} (sample {s}); waiting for {self.wait} labels"))
        at, why = self._alarm
        if s >= at:  # the alarming label counts, as in DriftTriggered
            self._fresh += 1
            if self._fresh >= self.wait:
                self._alarm = None
                return Request(f"{why} (sample {at}), {self.wait} labels since", since=at)
        return None

    def _rule(self, s: int, error: float) -> Request | None:
        reason = self._window_rule.label(error)
        return None if reason is None else Request(reason)

    def on_retrain(self, t: int) -> None:
        self._window_rule.retrained()
        self._alarm = None


class Oracle(Policy):
    """Retrain right after each true drift, on post-drift data only: an upper bound, not a policy.

    It knows the stream's ground truth. For each drift it retrains as soon as ``after`` labels
    of samples from the drift's end on have arrived, training only on those (``since`` the
    drift's end): the earliest moment a model of the new concept can exist.

    Examples
    --------
    >>> from mlmon.scenarios import Drift
    >>> p = Oracle(after=3)
    >>> p.start(Context(n_samples=100, warmup=0, label_delay=0, drifts=(Drift(start=50, end=50, kind='sudden'),),
    ...                 seed=np.random.SeedSequence(0)))
    >>> [t for t in range(100) if p.on_label(t, t, 0.0)]
    [52]
    """

    name = "oracle"

    def __init__(self, *, after: int = 200, **limits: Any) -> None:
        super().__init__(**limits)
        if isinstance(after, bool) or not isinstance(after, (int, np.integer)) or after < 1:
            raise ValueError(f"Oracle: after must be a positive number of labels, got {after!r}.")
        self.after = int(after)

    def start(self, ctx: Context) -> None:
        super().start(ctx)
        self._ends = [int(d.end) for d in ctx.drifts]
        self._counts = [0] * len(self._ends)
        self._done = [False] * len(self._ends)

    def on_label(self, t: int, s: int, error: float) -> Request | None:
        for i, end in enumerate(self._ends):
            nxt = self._ends[i + 1] if i + 1 < len(self._ends) else math.inf
            if not self._done[i] and end <= s < nxt:
                self._counts[i] += 1
                if self._counts[i] >= self.after:
                    self._done[i] = True
                    return Request(f"{self.after} labels after the drift ending at {end}", since=end)
        return None


class RandomMatched(Policy):
    """Retrain at ``n_retrains`` times drawn uniformly after the warm-up: the control for a trigger.

    With the same number of retrains as a drift-triggered policy, it shows whether the
    trigger's *timing* matters or only how often it retrains. :meth:`like` takes the count
    from a replay.

    Examples
    --------
    >>> p = RandomMatched(n_retrains=3, seed=0)
    >>> p.start(Context(n_samples=1000, warmup=100, label_delay=0, drifts=(), seed=np.random.SeedSequence(1)))
    >>> times = [t for t in range(1000) if p.on_sample(t, None, None)]
    >>> len(times), all(100 < t < 1000 for t in times)
    (3, True)
    """

    name = "random"

    def __init__(self, *, n_retrains: int, seed: int | None = None, **limits: Any) -> None:
        super().__init__(**limits)
        if isinstance(n_retrains, bool) or not isinstance(n_retrains, (int, np.integer)) or n_retrains < 0:
            raise ValueError(f"RandomMatched: n_retrains must be an integer >= 0, got {n_retrains!r}.")
        self.n_retrains, self.seed = int(n_retrains), seed

    @classmethod
    def like(cls, result: Any, *, seed: int | None = None, **limits: Any) -> RandomMatched:
        """A control with as many retrains as ``result`` (a :class:`ReplayResult`) made."""
        return cls(n_retrains=len(result.retrains), seed=seed, **limits)

    def start(self, ctx: Context) -> None:
        super().start(ctx)
        lo, hi = ctx.warmup + 1, ctx.n_samples
        if self.n_retrains > hi - lo:
            raise ValueError(f"RandomMatched: {self.n_retrains} retrains do not fit in the {hi - lo} samples after "
                             "the warm-up.")
        rng = np.random.default_rng(self.seed if self.seed is not None else ctx.seed)
        self._times = set(int(t) for t in rng.choice(np.arange(lo, hi), size=self.n_retrains, replace=False))

    def on_sample(self, t: int, x: Any, prediction: Any) -> Request | None:
        return Request("random time") if t in self._times else None


class HumanInTheLoop(Policy):
    """Another policy's requests go to a person, who confirms or rejects each after a delay.

    An alarm opens a review (one at a time; alarms during a review are folded into it).
    After ``review_delay`` samples the reviewer confirms it with probability
    ``confirm_rate`` if the alarm was true and ``false_confirm_rate`` if it was not; a
    confirmed review retrains. An alarm is true when a drift started after the serving
    model's training data ended (the warm-up, or the last retrain) and by the alarm: the
    model is stale, however long ago the drift began.

    Examples
    --------
    >>> p = HumanInTheLoop(Periodic(every=100), review_delay=10, confirm_rate=1.0, false_confirm_rate=1.0)
    >>> p.start(Context(n_samples=1000, warmup=0, label_delay=0, drifts=(), seed=np.random.SeedSequence(0)))
    >>> [(t, r.reason[:9]) for t in range(300) if (r := p.on_sample(t, None, None))]
    [(110, 'confirmed'), (210, 'confirmed')]
    """

    name = "human"

    def __init__(self, policy: Policy, *, review_delay: int, confirm_rate: float = 0.9,
                 false_confirm_rate: float = 0.1, **limits: Any) -> None:
        super().__init__(**limits)
        if not isinstance(policy, Policy):
            raise TypeError(f"HumanInTheLoop: policy must be an mlmon retraining policy, got {type(policy).__name__}.")
        if isinstance(review_delay, bool) or not isinstance(review_delay, (int, np.integer)) or review_delay < 0:
            raise ValueError(f"HumanInTheLoop: review_delay must be an integer >= 0, got {review_delay!r}.")
        for name, rate in (("confirm_rate", confirm_rate), ("false_confirm_rate", false_confirm_rate)):
            if not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
                raise ValueError(f"HumanInTheLoop: {name} must be a probability in [0, 1], got {rate!r}.")
        self.policy, self.review_delay = policy, int(review_delay)
        self.confirm_rate, self.false_confirm_rate = float(confirm_rate), float(false_confirm_rate)

    def start(self, ctx: Context) -> None:
        super().start(ctx)
        self.policy.start(ctx)
        self.policy.events = self.events  # the inner policy's events go to the same log
        self._starts = np.array([d.start for d in ctx.drifts], dtype=np.int64)
        self._trained_until = ctx.warmup
        self._rng = np.random.default_rng(ctx.seed.spawn(1)[0])
        self._open: tuple[int, Request] | None = None
        self.reviews: list[tuple[int, int, bool, bool]] = []  # opened, closed, true alarm, confirmed

    def _true(self, t: int) -> bool:
        return bool(np.any((self._starts >= self._trained_until) & (self._starts <= t)))

    def _request(self, t: int, req: Request | None) -> None:
        if req is not None and self._open is None:
            self._open = (t, req)
            self.events.append((t, "review opened", req.reason))

    def _close(self, t: int) -> Request | None:
        if self._open is None or t < self._open[0] + self.review_delay:
            return None
        opened, req = self._open
        self._open = None
        true = self._true(opened)
        confirmed = bool(self._rng.random() < (self.confirm_rate if true else self.false_confirm_rate))
        self.reviews.append((opened, t, true, confirmed))
        self.events.append((t, "review confirmed" if confirmed else "review rejected",
                            f"alarm of {opened} ({'true' if true else 'false'} alarm)"))
        if confirmed:
            return Request(f"confirmed after review: {req.reason}", since=req.since)
        return None

    def on_sample(self, t: int, x: Any, prediction: Any) -> Request | None:
        self._request(t, self.policy.on_sample(t, x, prediction))
        return self._close(t)

    def on_label(self, t: int, s: int, error: float) -> Request | None:
        self._request(t, self.policy.on_label(t, s, error))
        return None

    def on_retrain(self, t: int) -> None:
        self.policy.on_retrain(t)
        self._trained_until = t

    @property
    def watches_labels(self) -> bool:
        return self.policy.watches_labels


def _check_policies(policies: Sequence[Any]) -> None:
    for p in policies:
        if not isinstance(p, Policy):
            raise TypeError(f"expected mlmon.retraining policies, got {type(p).__name__}.")
