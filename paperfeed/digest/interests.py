"""Reading what a person asks for (form fields or JSON) into interests and preferences.

Everything here is untrusted input: lengths and counts are capped, control characters
refused, categories must look like arXiv categories, time zones must be IANA names.
Errors are ``SubscriptionError`` with a sentence for the person who typed the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from paperfeed.digest.errors import SubscriptionError
from paperfeed.digest.settings import MAX_PAPERS
from paperfeed.store.subscriptions import DigestPreferences, Interests

MAX_TOPICS = 10
MAX_CATEGORIES = 20
MAX_AUTHORS = 20
MAX_TEXT = 120
CATEGORY = re.compile(r"[a-z-]{2,16}(?:\.[A-Za-z-]{1,16})?")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clean(text: str, what: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise SubscriptionError(f"The {what} may not contain control characters.")
    cleaned = " ".join(text.split())
    if len(cleaned) > MAX_TEXT:
        raise SubscriptionError(f"Each {what} may be at most {MAX_TEXT} characters long.")
    return cleaned


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


def parse_interests(
    topics: Iterable[str], categories: Iterable[str], authors: Iterable[str]
) -> Interests:
    """Validated, de-duplicated interests (empty strings are ignored)."""
    clean_topics = _unique(_clean(t, "topic") for t in topics)
    clean_authors = _unique(_clean(a, "author name") for a in authors)
    clean_categories = _unique(c.strip() for c in categories)
    for category in clean_categories:
        if not CATEGORY.fullmatch(category):
            raise SubscriptionError(f"{category[:40]!r} is not an arXiv category (like cs.LG).")
    for values, limit, what in (
        (clean_topics, MAX_TOPICS, "topics"),
        (clean_categories, MAX_CATEGORIES, "categories"),
        (clean_authors, MAX_AUTHORS, "authors"),
    ):
        if len(values) > limit:
            raise SubscriptionError(f"Follow at most {limit} {what}.")
    if any(len(t) < 2 for t in clean_topics):
        raise SubscriptionError("A topic needs at least two characters.")
    return Interests(clean_topics, clean_categories, clean_authors)


def split_lines(text: str) -> list[str]:
    """One value per line or comma (form text areas)."""
    return [part for line in text.splitlines() for part in line.split(",")]


def check_timezone(name: str) -> str:
    name = name.strip() or "UTC"
    if len(name) > 64 or name not in _zones():
        raise SubscriptionError(f"{name[:64]!r} is not a known time zone (like Europe/Paris).")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SubscriptionError(f"{name!r} is not a known time zone.") from exc
    return name


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones() | {"UTC"})
    return _ZONES


def parse_weekdays(values: Iterable[str | int]) -> tuple[int, ...]:
    """Weekdays as 0 (Monday) .. 6, from numbers or names (``mon``, ``Tuesday``)."""
    days: set[int] = set()
    for value in values:
        text = str(value).strip().lower()
        if text.isdigit() and int(text) < 7:
            days.add(int(text))
        elif text[:3] in WEEKDAY_NAMES:
            days.add(WEEKDAY_NAMES.index(text[:3]))
        else:
            raise SubscriptionError(f"{text[:20]!r} is not a weekday.")
    if not days:
        raise SubscriptionError("Choose at least one weekday.")
    return tuple(sorted(days))


def parse_preferences(
    base: DigestPreferences,
    *,
    cadence: str | None = None,
    weekdays: Iterable[str | int] | None = None,
    timezone: str | None = None,
    send_hour: int | str | None = None,
    max_papers: int | str | None = None,
    trending_only: bool | None = None,
    send_empty: bool | None = None,
) -> DigestPreferences:
    """``base`` with the given fields changed and checked."""
    changes: dict[str, object] = {}
    if cadence is not None:
        if cadence not in ("daily", "weekly"):
            raise SubscriptionError("The cadence is either daily or weekly.")
        changes["cadence"] = cadence
    if weekdays is not None:
        changes["weekdays"] = parse_weekdays(weekdays)
    if timezone is not None:
        changes["timezone"] = check_timezone(timezone)
    if send_hour is not None:
        changes["send_hour"] = _bounded(send_hour, 0, 23, "The hour")
    if max_papers is not None:
        changes["max_papers"] = _bounded(max_papers, 1, MAX_PAPERS, "The number of papers")
    if trending_only is not None:
        changes["trending_only"] = bool(trending_only)
    if send_empty is not None:
        changes["send_empty"] = bool(send_empty)
    return replace(base, **changes)  # type: ignore[arg-type]


def _bounded(value: int | str, low: int, high: int, what: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SubscriptionError(f"{what} must be a whole number.") from None
    if not low <= number <= high:
        raise SubscriptionError(f"{what} must be between {low} and {high}.")
    return number
