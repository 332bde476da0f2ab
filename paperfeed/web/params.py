"""Strict parsing of what arrives in URLs: days, weeks, months, categories, paging.

Every failure is a ``BadRequest`` with a sentence the user can act on; the app turns it
into a 400, never a 500.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id

# The patterns are declared in the OpenAPI document, so they say exactly what is
# accepted: a value that matches is served (an ISO week that its year lacks, 2026-W53,
# is the one case a pattern cannot rule out: it is a 404, like any missing thing).
CATEGORY_PATTERN = r"^[A-Za-z][A-Za-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,9})?$"
_YEAR = r"([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
DAY_PATTERN = rf"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
WEEK_PATTERN = rf"^{_YEAR}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
MONTH_PATTERN = rf"^{_YEAR}-(0[1-9]|1[0-2])$"
# An arXiv id as the API takes it: new style (0704.0001 to 1412.9999, then five digits)
# or old style (hep-th/9108028), an optional version, an optional "arXiv:" prefix.
_OLD_ARCHIVES = (
    "acc-phys|adap-org|alg-geom|ao-sci|astro-ph|atom-ph|bayes-an|chao-dyn|chem-ph|cmp-lg|"
    "comp-gas|cond-mat|cs|dg-ga|funct-an|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math|math-ph|"
    "mtrl-th|nlin|nucl-ex|nucl-th|patt-sol|physics|plasm-ph|q-alg|q-bio|q-fin|quant-ph|"
    "solv-int|stat|supr-con"
)
_MONTH = "(0[1-9]|1[0-2])"
PAPER_ID_PATTERN = (
    "^(arXiv:|arxiv:)?("
    rf"(07(0[4-9]|1[0-2])|0[89]{_MONTH}|1[0-4]{_MONTH})\.[0-9]{{4}}"
    rf"|(1[5-9]|[2-9][0-9]){_MONTH}\.[0-9]{{5}}"
    rf"|({_OLD_ARCHIVES})(\.[A-Za-z]{{2}})?/[0-9]{{2}}{_MONTH}[0-9]{{3}}"
    ")(v([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))?$"
)
MAX_OFFSET = 10_000
# "o" and an offset of at most MAX_OFFSET. Opaque to clients: pass it back as it came.
CURSOR_PATTERN = r"^o(0|[1-9][0-9]{0,3}|10000)$"
_CATEGORY = re.compile(CATEGORY_PATTERN)
_CURSOR = re.compile(CURSOR_PATTERN)


class BadRequest(ValueError):
    """A parameter is malformed or out of range."""


class NoSuchPeriod(BadRequest):
    """A well-formed period that the calendar does not have (week 53 of a 52-week year)."""


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
    except ValueError as exc:
        raise NoSuchPeriod(f"{text[:4]} has no ISO week {text[6:]}") from exc
    last = first + timedelta(days=6) if first < date.max - timedelta(days=6) else date.max
    return Period("week", first, last)


def month_period(text: str) -> Period:
    if not re.fullmatch(MONTH_PATTERN, text):
        raise BadRequest(f"{text[:40]!r} is not a month in the form YYYY-MM")
    year, month = int(text[:4]), int(text[5:])
    first = date(year, month, 1)
    return Period("month", first, date(year, month, calendar.monthrange(year, month)[1]))


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
    """A position in a listing (clients must not build or parse it)."""
    return f"o{offset}"


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not _CURSOR.fullmatch(cursor):
        raise BadRequest("cursor is not one this server handed out")
    return int(cursor[1:])


def canonical_paper_id(paper_id: str) -> str:
    """The canonical arXiv id of ``paper_id`` as a URL gives it; a 400 otherwise."""
    try:
        return parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise BadRequest(f"{paper_id[:60]!r} is not an arXiv identifier") from exc
