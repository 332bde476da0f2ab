"""Rate limits per address and per IP, counted in the store so every worker shares them."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.community.errors import RateLimited
from paperfeed.community.settings import RateLimit
from paperfeed.store.community import CommunityStore, RateCheck


@dataclass(frozen=True, slots=True)
class Limit:
    """One counter to take: ``what`` names it for the person who hits it."""

    name: str
    limit: RateLimit
    subject: str
    what: str


def subject_digest(subject: str) -> str:
    """Counters are keyed by a digest: the store never holds the address or IP itself."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]


def take(store: CommunityStore, limits: Sequence[Limit], now: float | None = None) -> None:
    """Count one action against every limit, or raise ``RateLimited`` counting none."""
    now = time.time() if now is None else now
    checks = {}
    for limit in limits:
        start = int(now) // limit.limit.period * limit.limit.period
        key = f"{limit.name}:{limit.limit.period}:{subject_digest(limit.subject)}"
        checks[key] = (RateCheck(key, start, limit.limit.count), limit)
    full = store.take_rate_limit([check for check, _ in checks.values()], now)
    if full is None:
        return
    limit = checks[full.key][1]
    retry_after = max(1, full.window_start + limit.limit.period - int(now))
    raise RateLimited(
        f"Too many {limit.what} (at most {limit.limit.describe()}):"
        f" try again in {_duration(retry_after)}.",
        retry_after,
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"
