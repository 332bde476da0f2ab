"""Strict parsing of what arrives in URLs: days, weeks, months, categories, paging.

Every failure is a ``BadRequest`` with a sentence the user can act on; the app turns it
into a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, timedelta

import orjson

CATEGORY_PATTERN = r"^[A-Za-z][A-Za-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,9})?$"
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
WEEK_PATTERN = r"^\d{4}-W\d{2}$"
MONTH_PATTERN = r"^\d{4}-\d{2}$"
_CATEGORY = re.compile(CATEGORY_PATTERN)
MAX_OFFSET = 10_000


class BadRequest(ValueError):
    """A parameter is malformed or out of range."""


@dataclass(frozen=True, slots=True)
class Period:
    """A span of announcement days: one day, an ISO week or a calendar month."""

    kind: str  # "day" | "week" | "month"
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.strftime("%A, %B %-d, %Y")
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"Week {week} of {year}"
        return self.first.strftime("%B %Y")

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first.strftime("%Y-%m")


def parse_day(text: str) -> date:
    if not re.fullmatch(DAY_PATTERN, text):
        raise BadRequest(f"{text[:40]!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{text} is not a real date") from exc


def day_period(day: date) -> Period:
    return Period("day", day, day)


def week_period(text: str) -> Period:
    if not re.fullmatch(WEEK_PATTERN, text):
        raise BadRequest(f"{text[:40]!r} is not an ISO week in the form YYYY-Www")
    try:
        first = date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
        return Period("week", first, first + timedelta(days=6))
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"{text} is not a real ISO week") from exc


def month_period(text: str) -> Period:
    if not re.fullmatch(MONTH_PATTERN, text):
        raise BadRequest(f"{text[:40]!r} is not a month in the form YYYY-MM")
    try:
        first = date(int(text[:4]), int(text[5:]), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    except ValueError as exc:
        raise BadRequest(f"{text} is not a real month") from exc
    return Period("month", first, following - timedelta(days=1))


def shift(period: Period, steps: int) -> Period | None:
    """The period ``steps`` weeks or months away (``None`` past the calendar's ends)."""
    try:
        if period.kind == "week":
            first = period.first + timedelta(weeks=steps)
            return Period("week", first, first + timedelta(days=6))
        index = period.first.year * 12 + period.first.month - 1 + steps
        return month_period(f"{index // 12:04d}-{index % 12 + 1:02d}")
    except (OverflowError, BadRequest):
        return None


def parse_category(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if not _CATEGORY.fullmatch(text):
        raise BadRequest(f"{text[:40]!r} is not an arXiv category such as cs.LG or hep-th")
    return text


def encode_cursor(offset: int) -> str:
    """An opaque position in a listing (clients must not build or parse it)."""
    return base64.urlsafe_b64encode(orjson.dumps({"o": offset})).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset = data["o"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeEncodeError) as exc:
        raise BadRequest("cursor is not one this server handed out") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest("cursor is not one this server handed out")
    return offset
