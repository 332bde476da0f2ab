"""Trending keys from stored rows: the same arithmetic for every engine.

Each engine loads a paper's ``trending_scores`` row as a mapping (column -> value),
and these functions turn it and new signals into the values to write back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from paperfeed.store.community import WINDOWS, Signal, SignalKind, SignalScorer, TrendingRow
from paperfeed.store.logsum import merge_log_terms
from paperfeed.store.rows import to_date, to_datetime

COUNT_COLUMN: dict[SignalKind, str] = {
    "upvote": "upvotes",
    "save": "saves",
    "hf_upvote": "hf_upvotes",
    "star": "stars",
}


def merged_scores(
    row: Mapping[str, Any] | None, signals: Sequence[Signal], scorer: SignalScorer
) -> tuple[tuple[int, ...], float, tuple[float | None, ...]]:
    """A paper's counts, last positive signal time and keys after ``signals``."""
    counts = {
        kind: (int(row[column]) if row is not None else 0) for kind, column in COUNT_COLUMN.items()
    }
    last = float(row["last_signal_at"]) if row is not None else 0.0
    terms: list[list[tuple[int, float]]] = [[] for _ in WINDOWS]
    for signal in signals:
        counts[signal.kind] += round(signal.amount)
        if signal.amount > 0:
            last = max(last, signal.at)
        sign = 1 if signal.amount > 0 else -1
        for index, magnitude in enumerate(
            scorer.log_magnitudes(signal.kind, abs(signal.amount), signal.at)
        ):
            terms[index].append((sign, magnitude))
    keys = tuple(
        merge_log_terms(row[f"k_{window}"] if row is not None else None, terms[index])
        for index, window in enumerate(WINDOWS)
    )
    return tuple(counts[kind] for kind in COUNT_COLUMN), last, keys


def trending_row(row: Mapping[str, Any]) -> TrendingRow:
    return TrendingRow(
        paper_id=row["paper_id"],
        upvotes=row["upvotes"],
        saves=row["saves"],
        hf_upvotes=row["hf_upvotes"],
        stars=row["stars"],
        last_signal_at=row["last_signal_at"],
        keys={window: row[f"k_{window}"] for window in WINDOWS},
    )


def listed_at(announced: str | date | None, first_seen: str | datetime) -> float:
    """When a paper was listed: its announcement day (noon UTC), else first sight."""
    day = to_date(announced)
    if day is not None:
        return datetime.combine(day, time(12), UTC).timestamp()
    seen = to_datetime(first_seen)
    return (seen if seen.tzinfo else seen.replace(tzinfo=UTC)).timestamp()
