"""The store's part in trending: the signal ledger, its snapshot, and reading both.

``trending_signals`` is an append-only ledger whose ids grow in commit order (writers of
signals hold the store's write lock); ``trending_scores`` is a snapshot of it, folded in
by a writer once ``trending_fold_rows`` ledger rows piled up past it (the SQL is
``trending_ledger``'s, the arithmetic ``trending_rows``'). Ranking is not the store's:
``paperfeed.community.trending_ranking`` ranks in each process's memory, fed by
``trending_changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from paperfeed.store.community import Signal, SignalScorer
from paperfeed.store.trending_rows import SignalBatch

ScoreRow = Sequence[Any]
"""A snapshot row: ``paper_id`` then ``SCORE_COLUMNS`` (counts, last signal, keys; a key
may be ``None``)."""


@dataclass(frozen=True, slots=True)
class LogPosition:
    """How far into the ledger a reader is: the rebuild generation and the last id."""

    generation: int
    seq: int


@dataclass(frozen=True, slots=True)
class TrendingChanges:
    """What to apply to reach ``position``: with ``full``, the snapshot's rows (every
    scored paper) to start from; then the ledger's signals to add, in ledger order; and
    the categories of the papers the reader did not know."""

    position: LogPosition
    full: bool
    rows: Sequence[ScoreRow]
    signals: SignalBatch
    categories: Sequence[tuple[str, str]]


class TrendingStore(Protocol):
    """The signal ledger and its snapshot: what trending is computed from."""

    trending_fold_rows: int
    """Ledger rows past the snapshot before a write folds them into it."""

    def record_signals(self, signals: Sequence[Signal], scorer: SignalScorer) -> None:
        """Append signals to the ledger, in one transaction (``scorer`` turns them into
        keys when the write folds the ledger into the snapshot)."""
        ...

    def paper_signals(self, paper_id: str) -> list[Signal]:
        """A paper's signals, oldest first (what ``--explain`` breaks a score into):
        its upvotes and saves as they stand, and the other kinds from the ledger."""
        ...

    def trending_changes(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        """What the ledger gained since ``since`` (``None``: nothing), read in one
        snapshot of the database; ``known`` tells papers the reader already has (their
        categories are not read again)."""
        ...

    def rebuild_trending(self, scorer: SignalScorer, params_json: str) -> int:
        """Recompute every key from the ledger (after the weights changed); count papers."""
        ...

    def trending_params(self) -> str | None:
        """The parameters the stored keys were computed with (``None`` until set)."""
        ...

    def set_trending_params(self, params_json: str) -> None: ...
