"""Trending keys from stored rows: the same arithmetic for every engine.

Each engine loads the ``trending_scores`` rows of the papers a batch of signals touches,
and these functions turn them and the signals into the values to write back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np

from paperfeed.store.community import WINDOWS, Signal, SignalKind, SignalScorer, TrendingRow
from paperfeed.store.logsum import merge_log_terms_many
from paperfeed.store.rows import to_date, to_datetime

COUNT_COLUMN: dict[SignalKind, str] = {
    "upvote": "upvotes",
    "save": "saves",
    "hf_upvote": "hf_upvotes",
    "star": "stars",
}

SCORE_COLUMNS = "upvotes, saves, hf_upvotes, stars, last_signal_at, " + ", ".join(
    f"k_{w}" for w in WINDOWS
)
"""A ``trending_scores`` row after its ``paper_id``, in the order ``merged_rows`` uses."""

_KIND_COLUMN = {kind: index for index, kind in enumerate(COUNT_COLUMN)}


@dataclass(frozen=True, slots=True)
class MergedRow:
    """A paper's ``trending_scores`` values (``SCORE_COLUMNS``) after a batch of signals;
    ``existed``: update the row, else insert it."""

    paper_id: str
    existed: bool
    values: tuple[Any, ...]


def merged_rows(
    current: Mapping[str, Sequence[Any]], signals: Sequence[Signal], scorer: SignalScorer
) -> list[MergedRow]:
    """Each touched paper's counts, last positive signal time and keys after ``signals``.

    ``current`` maps paper ids to their stored ``SCORE_COLUMNS`` (absent: no row yet).
    The keys of the whole batch are merged in one vectorised step.
    """
    papers: dict[str, int] = {}
    for signal in signals:
        papers.setdefault(signal.paper_id, len(papers))
    counts = [[0, 0, 0, 0] for _ in papers]
    last = [0.0] * len(papers)
    keys = np.full((len(papers), len(WINDOWS)), -np.inf)
    for paper_id, row in papers.items():
        stored = current.get(paper_id)
        if stored is not None:
            counts[row] = [int(value) for value in stored[:4]]
            last[row] = float(stored[4])
            keys[row] = [-np.inf if key is None else key for key in stored[5:]]
    rows = np.empty(len(signals), dtype=np.intp)
    signs = np.empty(len(signals))
    magnitudes = np.empty((len(signals), len(WINDOWS)))
    for index, signal in enumerate(signals):
        row = papers[signal.paper_id]
        rows[index] = row
        signs[index] = 1.0 if signal.amount > 0 else -1.0
        magnitudes[index] = scorer.log_magnitudes(signal.kind, abs(signal.amount), signal.at)
        counts[row][_KIND_COLUMN[signal.kind]] += round(signal.amount)
        if signal.amount > 0:
            last[row] = max(last[row], signal.at)
    merged = merge_log_terms_many(keys, rows, signs, magnitudes).tolist()
    return [
        MergedRow(
            paper_id,
            paper_id in current,
            (
                *counts[row],
                last[row],
                *(None if key == -math.inf else key for key in merged[row]),
            ),
        )
        for paper_id, row in papers.items()
    ]


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
