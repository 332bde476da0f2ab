"""What differs between SQLite's and PostgreSQL's SQL, in one small object per engine.

Queries are written once, with ``?`` placeholders, in the SQL both engines speak
(``ON CONFLICT ... DO UPDATE``, ``RETURNING``, ``true``/``false``, ``coalesce``). The few
places where the engines spell a thing differently ask the dialect: a list parameter
(``member``), the larger of two values (``greatest``), a substring test (``contains``).
Values cross as Python objects either way: datetimes and dates (stored as ISO text on
SQLite, by the adapters ``store/sqlite/database.py`` registers), bools (0/1 on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Dialect:
    """One engine's spelling of the few things SQL does not standardise."""

    name: str
    greatest: str
    """The function for the larger of two values (SQLite's two-argument ``max``)."""
    position: str
    """The function for where a substring starts, 0 if absent (``instr``/``strpos``)."""
    float_type: str
    """A double-precision float, for casts."""
    json_list: bool
    """List parameters travel as JSON text (SQLite's ``json_each``), not as arrays."""

    def member(self, expression: str) -> str:
        """``expression`` is one of the values of a list parameter (see ``values``)."""
        if self.json_list:
            return f"{expression} IN (SELECT value FROM json_each(?))"
        return f"{expression} = ANY(?)"

    def values(self, items: Iterable[Any]) -> Any:
        """A list parameter for ``member``."""
        listed = list(items)
        return orjson.dumps(listed).decode() if self.json_list else listed

    def contains(self, haystack: str, needle: str) -> str:
        """``haystack`` contains the text ``needle``."""
        return f"{self.position}({haystack}, {needle}) > 0"


SQLITE = Dialect(name="sqlite", greatest="max", position="instr", float_type="REAL", json_list=True)
POSTGRESQL = Dialect(
    name="postgresql",
    greatest="greatest",
    position="strpos",
    float_type="double precision",
    json_list=False,
)


def moment(value: str | datetime | None) -> datetime | None:
    """A stored timestamp as an aware datetime (SQLite hands back ISO text)."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stored_moment(value: str | datetime | None) -> datetime:
    """``moment`` of a column that is never NULL."""
    parsed = moment(value)
    assert parsed is not None
    return parsed


def day(value: str | date | None) -> date | None:
    """A stored date (ISO text on SQLite)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def iso_text(value: str | datetime) -> str:
    """A stored timestamp as the ISO text SQLite keeps (microseconds, UTC offset)."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat(timespec="microseconds")
