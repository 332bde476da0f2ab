"""Trending keys from stored rows: the same arithmetic for every engine and process.

A batch of signals is added to papers' counts, last signal time and keys at once, in
arrays: by a writer folding the ledger into ``trending_scores`` (``merged_rows``), and
by each serving process catching its in-memory ranking up (``add_signals``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
import numpy.typing as npt

from paperfeed.store.community import SIGNAL_KINDS, WINDOWS, SignalKind, SignalScorer
from paperfeed.store.logsum import merge_log_terms_many
from paperfeed.store.rows import to_date, to_datetime

COUNT_COLUMN: dict[SignalKind, str] = {
    "upvote": "upvotes",
    "save": "saves",
    "hf_upvote": "hf_upvotes",
    "star": "stars",
}
"""Each kind's count column, in ``SIGNAL_KINDS`` order."""
assert tuple(COUNT_COLUMN) == SIGNAL_KINDS

SCORE_COLUMNS = "upvotes, saves, hf_upvotes, stars, last_signal_at, " + ", ".join(
    f"k_{w}" for w in WINDOWS
)
"""A ``trending_scores`` row after its ``paper_id``, in the order ``merged_rows`` uses."""

_KIND_INDEX = {kind: index for index, kind in enumerate(SIGNAL_KINDS)}


@dataclass(frozen=True, slots=True)
class SignalBatch:
    """Signals as columns (ledger order), so a batch is added in a few array steps."""

    paper_ids: Sequence[str]
    kinds: npt.NDArray[np.intp]
    """Indexes into ``SIGNAL_KINDS``."""
    amounts: npt.NDArray[np.float64]
    ats: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.paper_ids)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> SignalBatch:
        """From ``(paper_id, kind, amount, at)`` rows, as the ledger stores them."""
        count = len(rows)
        return cls(
            [row[0] for row in rows],
            np.fromiter((_KIND_INDEX[row[1]] for row in rows), dtype=np.intp, count=count),
            np.fromiter((row[2] for row in rows), dtype=np.float64, count=count),
            np.fromiter((row[3] for row in rows), dtype=np.float64, count=count),
        )


@dataclass(slots=True)
class ScoreArrays:
    """Some papers' values, one row each: counts per kind, last positive signal time,
    and keys per view (``-inf``: an empty sum)."""

    counts: npt.NDArray[np.int64]
    last: npt.NDArray[np.float64]
    keys: npt.NDArray[np.float64]

    @classmethod
    def empty(cls, papers: int) -> ScoreArrays:
        return cls(
            np.zeros((papers, len(SIGNAL_KINDS)), dtype=np.int64),
            np.zeros(papers),
            np.full((papers, len(WINDOWS)), -np.inf),
        )

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> ScoreArrays:
        """From stored ``SCORE_COLUMNS`` values, one row per paper (a ``None`` key is an
        empty sum)."""
        table = np.array(rows, dtype=np.float64).reshape(len(rows), -1)  # None -> nan
        kinds = len(SIGNAL_KINDS)
        keys = table[:, kinds + 1 :]
        return cls(
            table[:, :kinds].astype(np.int64),
            table[:, kinds].copy(),
            np.where(np.isnan(keys), -np.inf, keys),
        )


def add_signals(
    values: ScoreArrays,
    rows: npt.NDArray[np.intp],
    batch: SignalBatch,
    scorer: SignalScorer,
) -> None:
    """Add ``batch`` to ``values`` in place, signal ``i`` to row ``rows[i]``."""
    if not len(batch):
        return
    np.add.at(values.counts, (rows, batch.kinds), np.rint(batch.amounts).astype(np.int64))
    positive = batch.amounts > 0
    np.maximum.at(values.last, rows[positive], batch.ats[positive])
    magnitudes = scorer.log_magnitudes(batch.kinds, np.abs(batch.amounts), batch.ats)
    signs = np.where(positive, 1.0, -1.0)
    values.keys = merge_log_terms_many(values.keys, rows, signs, magnitudes)


@dataclass(frozen=True, slots=True)
class MergedRows:
    """Statement parameters after a batch: ``SCORE_COLUMNS`` values then ``paper_id``,
    for the papers with a row (``updates``) and for the others (``inserts``)."""

    updates: list[list[Any]]
    inserts: list[list[Any]]


def merged_rows(
    current: Mapping[str, Sequence[Any]], batch: SignalBatch, scorer: SignalScorer
) -> MergedRows:
    """Each touched paper's counts, last positive signal time and keys after ``batch``.

    ``current`` maps paper ids to their stored ``SCORE_COLUMNS`` (absent: no row yet).
    """
    papers: dict[str, int] = {}
    rows = np.fromiter(
        (papers.setdefault(paper_id, len(papers)) for paper_id in batch.paper_ids),
        dtype=np.intp,
        count=len(batch),
    )
    values = ScoreArrays.empty(len(papers))
    stored = [(row, current[paper_id]) for paper_id, row in papers.items() if paper_id in current]
    if stored:
        at = np.fromiter((row for row, _ in stored), dtype=np.intp, count=len(stored))
        found = ScoreArrays.from_rows([row for _, row in stored])
        values.counts[at], values.last[at], values.keys[at] = found.counts, found.last, found.keys
    add_signals(values, rows, batch, scorer)
    # One object table, converted to Python values in one step (an empty sum is NULL).
    kinds = len(SIGNAL_KINDS)
    out = np.empty((len(papers), kinds + 2 + len(WINDOWS)), dtype=object)
    out[:, :kinds] = values.counts
    out[:, kinds] = values.last
    keys = values.keys.astype(object)
    keys[values.keys == -np.inf] = None
    out[:, kinds + 1 : -1] = keys
    names = list(papers)
    out[:, -1] = names
    existed = np.fromiter((paper_id in current for paper_id in names), dtype=bool)
    # In paper id order: the statements then walk the table's B-tree from left to right.
    order = sorted(range(len(names)), key=names.__getitem__)
    out, existed = out[order], existed[order]
    return MergedRows(out[existed].tolist(), out[~existed].tolist())


def listed_at(announced: str | date | None, first_seen: str | datetime) -> float:
    """When a paper was listed: its announcement day (noon UTC), else first sight."""
    day = to_date(announced)
    if day is not None:
        return datetime.combine(day, time(12), UTC).timestamp()
    seen = to_datetime(first_seen)
    return (seen if seen.tzinfo else seen.replace(tzinfo=UTC)).timestamp()
