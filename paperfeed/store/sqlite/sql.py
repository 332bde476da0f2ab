"""Small SQL helpers every SQLite module of the store shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")
CHUNK = 500  # ids per IN (...) query, well below SQLite's variable limit


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``CHUNK``, one ``IN (...)`` query each."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def marks(count: int) -> str:
    """``?,?,...`` for an ``IN (...)`` list of ``count`` values."""
    return ",".join("?" * count)


def now_iso() -> str:
    """The current UTC time as stored: ISO text with microseconds, so it sorts as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
