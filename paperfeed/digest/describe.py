"""A subscription's digest in words: what it brings and when, as the person set it.

Shown once the address is confirmed, so that someone who asked for their topics, or a
weekly digest, reads back exactly that rather than a generic promise.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.digest.schedule import send_days
from paperfeed.store.subscriptions import Interests, Subscriber

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WORKING_DAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class DigestDescription:
    """Sentences and lists a page shows as they are (templates escape them)."""

    brings: str  # what the digest holds
    topics: tuple[str, ...]
    categories: tuple[str, ...]
    authors: tuple[str, ...]
    when: str  # cadence, days, hour and time zone
    size: str  # how many papers, and what an empty day does


def describe_digest(subscriber: Subscriber, interests: Interests) -> DigestDescription:
    prefs = subscriber.preferences
    personal = not prefs.trending_only and not interests.is_empty
    if personal:
        brings = "New papers that match what you follow, blended with what is trending."
    else:
        brings = "The most trending new papers (upvotes here and on Hugging Face, GitHub stars)."
    empty = "a note" if prefs.send_empty else "no mail"
    return DigestDescription(
        brings=brings,
        topics=interests.topics if personal else (),
        categories=interests.categories if personal else (),
        authors=interests.authors if personal else (),
        when=f"{_days(subscriber)} at {prefs.send_hour:02d}:00 ({prefs.timezone} time)",
        size=f"Up to {prefs.max_papers} papers; {empty} on days with nothing new.",
    )


def _days(subscriber: Subscriber) -> str:
    days = send_days(subscriber)
    if subscriber.preferences.cadence == "weekly":
        return f"Weekly, on {DAY_NAMES[days[0]]}s"
    if tuple(days) == WORKING_DAYS:
        return "Daily, Monday to Friday"
    if len(days) == 7:
        return "Every day"
    names = [DAY_NAMES[d] for d in days]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Daily, on {listed}"
