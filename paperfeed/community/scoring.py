"""The trending score: a time-decayed, weighted sum of signals, one half-life per view.

For a view with half-life h (lambda = ln 2 / h) a paper's score at time ``now`` is

    S(now) = sum over its signals i of  w_kind(i) * a_i * 2^(-(now - t_i) / h)

Every term shrinks by the same factor as time passes, so the order of papers never
changes between signals: it is the order of ``ln(sum w * a * e^(lambda * (t - t0)))``,
a key fixed at signal time (t0 is a constant epoch). The store keeps that key per paper
and per view, updated incrementally (``paperfeed.store.logsum``); the all-time view has
no decay (lambda = 0) and is a plain weighted sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import orjson

from paperfeed.store.community import SIGNAL_KINDS, WINDOWS, Signal, SignalKind, Window

EPOCH = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
"""t0 of every key: any constant works; keys only need to share it."""

ACTIVE_FOR: dict[Window, float | None] = {
    "today": 86_400.0,
    "week": 7 * 86_400.0,
    "month": 30 * 86_400.0,
    "all": None,
}
"""A view lists papers with a signal in its span (the decay then orders them)."""


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """One view's score of a paper, and the part each kind of signal contributes."""

    window: Window
    total: float
    parts: dict[SignalKind, float]
    amounts: dict[SignalKind, float]


class TrendingModel:
    """Weights and half-lives; turns signals into keys and keys back into scores."""

    def __init__(self, weights: dict[str, float], half_lives: dict[Window, float | None]) -> None:
        self.weights = {kind: float(weights[kind]) for kind in SIGNAL_KINDS}
        self.half_lives = dict(half_lives)
        self.rates = {
            w: (math.log(2) / (h * 3600.0) if h is not None else 0.0)
            for w, h in self.half_lives.items()
        }
        self._rates = np.array([self.rates[w] for w in WINDOWS])
        self._weights = np.array([self.weights[kind] for kind in SIGNAL_KINDS])

    def log_magnitudes(
        self,
        kinds: npt.NDArray[np.intp],
        amounts: npt.NDArray[np.float64],
        ats: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        weighted = self._weights[kinds] * amounts
        with np.errstate(divide="ignore", invalid="ignore"):
            base = np.where(weighted > 0, np.log(weighted), -np.inf)
        magnitudes: npt.NDArray[np.float64] = base[:, None] + (ats - EPOCH)[:, None] * self._rates
        return magnitudes

    def score(self, key: float | None, window: Window, now: float) -> float:
        """The score at ``now`` of a stored key."""
        if key is None:
            return 0.0
        return math.exp(key - self.rates[window] * (now - EPOCH))

    def decay(self, window: Window, age_seconds: float) -> float:
        """How much of its weight a signal this old still counts for in ``window``."""
        return math.exp(-self.rates[window] * age_seconds)

    def explain(self, signals: list[Signal], window: Window, now: float) -> ScoreParts:
        """The score recomputed from the ledger, split by kind of signal."""
        parts = dict.fromkeys(SIGNAL_KINDS, 0.0)
        amounts = dict.fromkeys(SIGNAL_KINDS, 0.0)
        for signal in signals:
            amounts[signal.kind] += signal.amount
            parts[signal.kind] += (
                self.weights[signal.kind] * signal.amount * self.decay(window, now - signal.at)
            )
        total = sum(parts.values())
        return ScoreParts(window, max(total, 0.0), parts, amounts)

    def params_json(self) -> str:
        """What the stored keys depend on: a change means ``trending rebuild``."""
        return orjson.dumps(
            {"weights": self.weights, "half_lives": self.half_lives},
            option=orjson.OPT_SORT_KEYS,
        ).decode()
