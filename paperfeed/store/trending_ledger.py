"""The signal ledger and the trending snapshot, in SQL both engines speak.

``trending_signals`` is the append-only ledger (its ids grow in commit order: writers
hold the store's write lock); ``trending_scores`` is a snapshot of it, one row per
paper, holding every ledger row up to the id in ``trending_fold``. Writers append and,
now and then, fold (``append_to_ledger``); readers take the snapshot plus the ledger
past it, or only the ledger past their position (``read_ledger_changes``). Each
function works inside a transaction of either engine; the arithmetic is
``trending_rows``'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from paperfeed.store.community import Signal
from paperfeed.store.database import Transaction
from paperfeed.store.trending import LogPosition, TrendingChanges
from paperfeed.store.trending_rows import SCORE_COLUMNS, SignalBatch

RELOAD_AFTER = 100_000
"""A process this many ledger rows behind a newer snapshot reloads it instead."""

_REBUILD_ROWS = 100_000
"""Ledger rows per batch a rebuild hands to the snapshot's writer (whole papers)."""


_FOLD_STATE = (
    "(SELECT coalesce(max(seq), 0) FROM trending_fold),"
    " (SELECT coalesce(max(id), 0) FROM trending_signals)"
)
"""The last ledger id in the snapshot, and the last one written (two columns)."""


def fold_state(tx: Transaction) -> tuple[int, int]:
    """The last ledger id in the snapshot, and the last one written."""
    folded, seq = tx.tuples(f"SELECT {_FOLD_STATE}")[0]
    return int(folded), int(seq)


def ledger_signals(tx: Transaction, after: int, upto: int) -> SignalBatch:
    """The ledger's signals with ids in ``(after, upto]``, in ledger order."""
    rows = tx.tuples(
        "SELECT paper_id, kind, amount, at FROM trending_signals"
        " WHERE id > ? AND id <= ? ORDER BY id",
        (after, upto),
    )
    return SignalBatch.from_rows(rows)


def append_to_ledger(
    tx: Transaction,
    signals: Sequence[Signal],
    *,
    from_marks: bool,
    fold_rows: int,
    write: Callable[[SignalBatch], None],
) -> None:
    """Append signals to the ledger, then fold the rows past the snapshot into it once
    ``fold_rows`` piled up (``write`` adds a batch to the snapshot's rows). The caller
    holds the store's write lock, so no ledger row can commit between the two."""
    tx.executemany(
        "INSERT INTO trending_signals (paper_id, kind, amount, at, mark) VALUES (?, ?, ?, ?, ?)",
        [(s.paper_id, s.kind, s.amount, s.at, from_marks) for s in signals],
    )
    folded, seq = fold_state(tx)
    if seq - folded >= fold_rows:
        write(ledger_signals(tx, folded, seq))
        record_fold(tx, seq)


def rebuild_snapshot(tx: Transaction, write: Callable[[SignalBatch], None]) -> int:
    """Every ledger row given to ``write`` (which adds them to an emptied snapshot),
    each paper's in ledger order and in one call, then the snapshot marked whole;
    counts papers."""
    rows = tx.tuples(
        "SELECT paper_id, kind, amount, at FROM trending_signals ORDER BY paper_id, id"
    )
    papers = start = 0
    for end in range(1, len(rows) + 1):
        if end < len(rows) and rows[end][0] == rows[end - 1][0]:
            continue  # not the end of a paper's rows
        papers += 1
        if end - start >= _REBUILD_ROWS or end == len(rows):
            write(SignalBatch.from_rows(rows[start:end]))
            start = end
    record_fold(tx, fold_state(tx)[1])
    return papers


def record_fold(tx: Transaction, seq: int) -> None:
    """The snapshot now holds every ledger row up to ``seq``."""
    tx.execute(
        "INSERT INTO trending_fold (id, seq) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
        (seq,),
    )


def read_ledger_changes(
    tx: Transaction, since: LogPosition | None, known: Callable[[str], bool]
) -> TrendingChanges | None:
    """What the ledger gained since ``since``, read in one snapshot of the database
    (``known``: papers the ranking has, whose categories are not read again). A new
    rebuild generation, no position yet, or a position far behind a newer snapshot
    reads the snapshot and the ledger past it."""
    generation, folded, seq = tx.tuples(
        f"SELECT (SELECT n FROM trending_generation), {_FOLD_STATE}"
    )[0]
    position = LogPosition(int(generation), int(seq))
    if position == since:
        return None
    full = (
        since is None
        or since.generation != position.generation
        or since.seq > position.seq  # the ledger's last rows went with their papers
        or (since.seq < folded and position.seq - since.seq > RELOAD_AFTER)
    )
    if not full:
        assert since is not None
        signals = ledger_signals(tx, since.seq, position.seq)
        new = [p for p in dict.fromkeys(signals.paper_ids) if not known(p)]
        return TrendingChanges(position, False, (), signals, categories_of(tx, new))
    rows = tx.tuples(f"SELECT paper_id, {SCORE_COLUMNS} FROM trending_scores")
    categories = tx.tuples(
        "SELECT c.paper_id, c.category FROM trending_scores s"
        " JOIN paper_categories c ON c.paper_id = s.paper_id"
    )
    signals = ledger_signals(tx, int(folded), position.seq)
    snapshot = {row[0] for row in rows}
    new = [p for p in dict.fromkeys(signals.paper_ids) if p not in snapshot]
    return TrendingChanges(position, True, rows, signals, [*categories, *categories_of(tx, new)])


def categories_of(tx: Transaction, paper_ids: list[str]) -> list[tuple[str, str]]:
    """``(paper_id, category)`` of these papers."""
    d = tx.dialect
    return tx.tuples(
        f"SELECT paper_id, category FROM paper_categories WHERE {d.member('paper_id')}",
        (d.values(paper_ids),),
    )
