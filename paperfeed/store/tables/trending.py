"""The signal ledger and its snapshot, in SQL (see ``store/trending_ledger.py``).

Writes of signals hold the store's write lock: ledger ids then become visible in the
order they were drawn, which readers catching up rely on, and the write that folds the
ledger into the snapshot cannot miss a row. Reads see one snapshot of the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from paperfeed.store.community import Signal, SignalScorer
from paperfeed.store.database import Database, Transaction
from paperfeed.store.trending import LogPosition, TrendingChanges
from paperfeed.store.trending_ledger import append_to_ledger, read_ledger_changes, rebuild_snapshot
from paperfeed.store.trending_rows import SCORE_COLUMNS, SignalBatch, merged_rows


class TrendingTables:
    """``TrendingStore`` in SQL both engines run (mixed into the store)."""

    _db: Database
    trending_fold_rows = 50_000
    """Ledger rows past the snapshot before a write folds them into ``trending_scores``:
    one batch in fifty of a thousand votes pays for the others, whose pages it rewrites
    once instead of fifty times; a process starting up adds at most this many."""

    def record_signals(self, signals: Sequence[Signal], scorer: SignalScorer) -> None:
        if signals:
            self._db.write(lambda tx: self._apply_signals(tx, signals, scorer), serial=True)

    def _apply_signals(
        self,
        tx: Transaction,
        signals: Sequence[Signal],
        scorer: SignalScorer,
        *,
        from_marks: bool = False,
    ) -> None:
        """The durable step: the signals appended to the ledger, and the snapshot
        brought up to date once ``trending_fold_rows`` piled up past it (the caller
        holds the write lock). ``from_marks``: the signals mirror ``paper_marks``."""
        if signals:
            append_to_ledger(
                tx,
                signals,
                from_marks=from_marks,
                fold_rows=self.trending_fold_rows,
                write=lambda batch: _write_scores(tx, batch, scorer),
            )

    def paper_signals(self, paper_id: str) -> list[Signal]:
        # Upvotes and saves as they stand (a withdrawn one is gone, which is what its
        # ledger entries add up to), then the ledger rows that mirror no mark.
        rows = self._db.all(
            f"SELECT paper_id, kind, CAST(1.0 AS {self._db.dialect.float_type}) AS amount,"
            " created_at AS at FROM paper_marks WHERE paper_id = ?"
            " UNION ALL SELECT paper_id, kind, amount, at FROM trending_signals"
            " WHERE paper_id = ? AND NOT mark ORDER BY 4",
            (paper_id, paper_id),
        )
        return [Signal(r["paper_id"], r["kind"], r["amount"], r["at"]) for r in rows]

    def trending_changes(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        return self._db.read(lambda tx: read_ledger_changes(tx, since, known), snapshot=True)

    def rebuild_trending(self, scorer: SignalScorer, params_json: str) -> int:
        def rebuild(tx: Transaction) -> int:
            tx.execute("DELETE FROM trending_scores")
            papers = rebuild_snapshot(tx, lambda batch: _write_scores(tx, batch, scorer))
            _set_params(tx, params_json)
            tx.execute("UPDATE trending_generation SET n = n + 1")
            return papers

        return self._db.write(rebuild, serial=True)

    def trending_params(self) -> str | None:
        value = self._db.value("SELECT params_json FROM trending_params WHERE id = 1")
        return None if value is None else str(value)

    def set_trending_params(self, params_json: str) -> None:
        self._db.write(lambda tx: _set_params(tx, params_json), serial=True)


def _write_scores(tx: Transaction, signals: SignalBatch, scorer: SignalScorer) -> None:
    """Add signals to their papers' snapshot rows, keys merged."""
    ids = list(dict.fromkeys(signals.paper_ids))
    merged = merged_rows(_score_values(tx, ids), signals, scorer)
    values = ", ".join(["?"] * 9)
    tx.executemany(
        f"UPDATE trending_scores SET ({SCORE_COLUMNS}) = ({values}) WHERE paper_id = ?",
        merged.updates,
    )
    tx.executemany(
        f"INSERT INTO trending_scores ({SCORE_COLUMNS}, paper_id) VALUES ({values}, ?)",
        merged.inserts,
    )


def _score_values(tx: Transaction, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    d = tx.dialect
    rows = tx.tuples(
        f"SELECT paper_id, {SCORE_COLUMNS} FROM trending_scores WHERE {d.member('paper_id')}",
        (d.values(ids),),
    )
    return {row[0]: row[1:] for row in rows}


def _set_params(tx: Transaction, params_json: str) -> None:
    tx.execute(
        "INSERT INTO trending_params (id, params_json) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET params_json = excluded.params_json",
        (params_json,),
    )
