"""When a subscriber's digest is due, which period it is, and which window it covers.

A digest is due once per local day (in the subscriber's time zone) on a chosen weekday,
from the chosen hour on: a run that comes late (the server was down at 7:00) still
sends that day's digest. The period is that local date, which with the subscriber id
makes the Message-ID. The window runs from the end of the previous digest's window to
now; after an absence longer than ``catchup_days`` it is cut to the last
``catchup_days`` days (a capped catch-up, which the digest says).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from paperfeed.store.subscriptions import Subscriber

SETTLE = timedelta(seconds=30)
"""Papers stamped in the last seconds may belong to a transaction not yet committed:
they wait for the next window rather than being missed."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    capped: bool


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def send_days(subscriber: Subscriber) -> tuple[int, ...]:
    prefs = subscriber.preferences
    days = prefs.weekdays or (0,)
    return days if prefs.cadence == "daily" else days[:1]


def due_period(subscriber: Subscriber, now: datetime) -> str | None:
    """The period (local date) whose digest is due now, or ``None``."""
    prefs = subscriber.preferences
    zone = _zone(prefs.timezone)
    local = now.astimezone(zone)
    if local.weekday() not in send_days(subscriber) or local.hour < prefs.send_hour:
        return None
    last = subscriber.last_digest_at
    if last is not None and last.astimezone(zone).date() >= local.date():
        return None  # today's digest is done (or was composed ahead)
    return local.date().isoformat()


def usual_gap(subscriber: Subscriber) -> timedelta:
    """The longest regular gap between two digests (Friday to Monday is three days)."""
    days = send_days(subscriber)
    if len(days) == 1:
        return timedelta(days=7)
    gaps = [(b - a) for a, b in zip(days, (*days[1:], days[0] + 7), strict=True)]
    return timedelta(days=max(gaps))


def digest_window(
    subscriber: Subscriber, now: datetime, catchup_days: int, settle: timedelta = SETTLE
) -> Window:
    """From the previous digest's end (or one usual gap back) to now, capped."""
    end = now - settle
    start = subscriber.last_digest_at or end - usual_gap(subscriber)
    limit = end - timedelta(days=catchup_days)
    if start < limit:
        return Window(limit, end, capped=True)
    return Window(min(start, end), end, capped=False)
