"""Papers, their sources, checkpoints, listings and the schema's migrations, in SQL.

Upserts are decided in Python (``store/upsert.py``: what changed, what wins) and
written by the engine's bulk path (``_write_papers``): SQLite binds rows one by one in
``executemany``, PostgreSQL sends each chunk as one JSON document. Every migration runs
in a transaction of its own, recorded in ``schema_migrations``; a database whose
schema is newer than the code is refused before anything is applied.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperfeed.papers.model import Paper
from paperfeed.store.base import (
    ListOrder,
    Migration,
    PaperFilter,
    SourceRecord,
    StoredPaper,
    StoreError,
    StoreStats,
    UpsertResult,
)
from paperfeed.store.database import Database, Row, Transaction
from paperfeed.store.dialect import day, moment, stored_moment
from paperfeed.store.migrations import MigrationScript, load_migrations
from paperfeed.store.rows import hf_from_columns, paper_from_columns
from paperfeed.store.tables.summaries import keywords_from_json
from paperfeed.store.upsert import changed_since_last_time, freshest_by_id, plan_upsert

_NEWEST_FIRST = "p.announced DESC NULLS LAST, p.first_seen_at DESC, p.id DESC"
_UPVOTED_FIRST = "h.upvotes DESC, " + _NEWEST_FIRST
_WITH_HF = " JOIN hf_papers h ON h.paper_id = p.id"


def _now() -> datetime:
    return datetime.now(UTC)


def _where(where: PaperFilter) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (or nothing) and its parameters for a listing's filter."""
    clauses: list[str] = []
    params: list[Any] = []
    for condition, value in (
        ("p.announced = ?", where.day),
        ("p.announced >= ?", where.since),
        ("p.announced <= ?", where.until),
        ("p.id IN (SELECT paper_id FROM paper_categories WHERE category = ?)", where.category),
    ):
        if value is not None:
            clauses.append(condition)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _stored(
    row: Row,
    hf: Row | None,
    sources: Mapping[str, list[SourceRecord]],
    summary: Row | None = None,
) -> StoredPaper:
    return StoredPaper(
        paper=paper_from_columns(row, hf_from_columns(hf) if hf is not None else None),
        title_text=row["title_text"],
        abstract_text=row["abstract_text"],
        authors_text=row["authors_text"],
        first_seen_at=stored_moment(row["first_seen_at"]),
        updated_at=stored_moment(row["updated_at"]),
        sources=tuple(sources.get(row["id"], ())),
        tldr=(summary["tldr"] or None) if summary is not None else None,
        keywords=keywords_from_json(summary["keywords_json"]) if summary is not None else (),
    )


class PaperTables(ABC):
    """Papers, sources, checkpoints and migrations in SQL both engines run (mixed into
    the store, which supplies the engine's bulk write path and migration runner)."""

    _db: Database
    _engine: str
    """The migrations folder: ``sqlite`` or ``postgresql``."""
    _label: str
    """How errors name the database."""

    @abstractmethod
    def _write_papers(
        self, tx: Transaction, hashed: list[tuple[Paper, str]], now: datetime, *, insert: bool
    ) -> None:
        """Insert (or update) papers with their categories and Hugging Face rows."""

    def _lock_migrations(self, tx: Transaction) -> None:  # noqa: B027 - optional hook
        """Keep other processes from migrating while this transaction runs."""

    @abstractmethod
    def _run_script(self, tx: Transaction, script: str) -> None:
        """Run one migration script (several statements, no parameters)."""

    def _check_server(self, tx: Transaction) -> None:  # noqa: B027 - optional hook
        """Raise ``StoreError`` if the server lacks what the schema needs, before any
        migration is applied (so a refusal leaves nothing half-migrated)."""

    # -- migrations -------------------------------------------------------------------

    def _applied(self, tx: Transaction) -> dict[int, datetime | None]:
        stamp = "TEXT" if self._engine == "sqlite" else "timestamptz"
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            f" name TEXT NOT NULL, applied_at {stamp} NOT NULL)"
        )
        rows = tx.all("SELECT version, applied_at FROM schema_migrations")
        return {row["version"]: moment(row["applied_at"]) for row in rows}

    def migrations(self) -> list[Migration]:
        applied = self._db.write(self._applied)
        scripts = load_migrations(self._engine)
        return [Migration(s.version, s.name, applied.get(s.version)) for s in scripts]

    def migrate(self) -> list[Migration]:
        scripts = load_migrations(self._engine)
        known = max((s.version for s in scripts), default=0)
        self._db.read(self._check_server)
        done: list[Migration] = []
        for script in scripts:

            def apply(tx: Transaction, script: MigrationScript = script) -> Migration | None:
                self._lock_migrations(tx)
                applied = self._applied(tx)
                newest = max(applied, default=0)
                if newest > known:
                    raise StoreError(
                        f"{self._label} has schema version {newest}, newer than this"
                        f" paperfeed ({known}): upgrade paperfeed"
                    )
                if script.version in applied:
                    return None
                self._run_script(tx, script.sql)
                now = _now()
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (script.version, script.name, now),
                )
                return Migration(script.version, script.name, now)

            migration = self._db.write(apply, serial=True)
            if migration is not None:
                done.append(migration)
        return done

    # -- writes -----------------------------------------------------------------------

    def upsert_papers(
        self,
        papers: Sequence[Paper],
        *,
        source: str,
        checkpoint_key: str | None = None,
        checkpoint: Mapping[str, Any] | None = None,
    ) -> UpsertResult:
        latest = freshest_by_id(papers)
        state = orjson.dumps(dict(checkpoint or {})).decode()

        def write(tx: Transaction) -> UpsertResult:
            result = self._upsert(tx, latest, source)
            if checkpoint_key is not None:
                _save_checkpoint(tx, checkpoint_key, state)
            return result

        return self._db.write(write, serial=True)

    def _upsert(self, tx: Transaction, papers: dict[str, Paper], source: str) -> UpsertResult:
        d = tx.dialect
        said_before = tx.tuples(
            "SELECT paper_id, content_hash FROM paper_sources"
            f" WHERE source = ? AND {d.member('paper_id')}",
            (source, d.values(papers)),
        )
        fresh, hashes = changed_since_last_time(papers, dict(said_before))
        if not fresh:
            return UpsertResult(unchanged=len(papers))
        stored = self._load_papers(tx, [p.id for p in fresh])
        plan = plan_upsert(
            fresh,
            hashes,
            {paper_id: s.paper for paper_id, s in stored.items()},
            already_unchanged=len(papers) - len(fresh),
        )
        now = _now()
        self._write_papers(tx, plan.inserts, now, insert=True)
        self._write_papers(tx, plan.updates, now, insert=False)
        tx.executemany(
            "INSERT INTO paper_sources"
            " (source, paper_id, content_hash, first_seen_at, last_changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, paper_id) DO UPDATE SET"
            " content_hash = excluded.content_hash, last_changed_at = excluded.last_changed_at",
            [(source, paper_id, digest, now, now) for paper_id, digest in plan.source_hashes],
        )
        return plan.result

    # -- checkpoints ------------------------------------------------------------------

    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        state = self._db.value("SELECT state_json FROM checkpoints WHERE key = ?", (key,))
        return dict(orjson.loads(state)) if state is not None else None

    def reset_checkpoint(self, key: str) -> None:
        sql = "DELETE FROM checkpoints WHERE key = ?"
        self._db.write(lambda tx: tx.execute(sql, (key,)), serial=True)

    def set_first_seen(self, arrivals: Mapping[str, datetime], *, stored_since: datetime) -> int:
        rows = [(when, paper_id, stored_since) for paper_id, when in arrivals.items()]
        sql = "UPDATE papers SET first_seen_at = ? WHERE id = ? AND first_seen_at >= ?"
        return self._db.write(lambda tx: max(tx.executemany(sql, rows).rowcount, 0), serial=True)

    # -- reads ------------------------------------------------------------------------

    def _load_papers(self, tx: Transaction, ids: Sequence[str]) -> dict[str, StoredPaper]:
        if not ids:
            return {}
        d = tx.dialect
        listed = (d.values(ids),)
        hf_rows = {
            row["paper_id"]: row
            for row in tx.all(f"SELECT * FROM hf_papers WHERE {d.member('paper_id')}", listed)
        }
        sources: dict[str, list[SourceRecord]] = {}
        for row in tx.all(
            "SELECT paper_id, source, first_seen_at, last_changed_at FROM paper_sources"
            f" WHERE {d.member('paper_id')} ORDER BY first_seen_at, source",
            listed,
        ):
            sources.setdefault(row["paper_id"], []).append(
                SourceRecord(
                    row["source"],
                    stored_moment(row["first_seen_at"]),
                    stored_moment(row["last_changed_at"]),
                )
            )
        summaries = {
            row["paper_id"]: row
            for row in tx.all(
                "SELECT paper_id, tldr, keywords_json FROM paper_summaries"
                f" WHERE {d.member('paper_id')}",
                listed,
            )
        }
        return {
            row["id"]: _stored(row, hf_rows.get(row["id"]), sources, summaries.get(row["id"]))
            for row in tx.all(f"SELECT * FROM papers WHERE {d.member('id')}", listed)
        }

    def get_paper(self, paper_id: str) -> StoredPaper | None:
        return self.get_papers([paper_id]).get(paper_id)

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]:
        ids = list(paper_ids)
        return self._db.read(lambda tx: self._load_papers(tx, ids))

    def list_papers(
        self,
        where: PaperFilter = PaperFilter(),
        *,
        limit: int = 50,
        offset: int = 0,
        order: ListOrder = "upvotes",
    ) -> list[StoredPaper]:
        sql, params = _where(where)

        def read(tx: Transaction) -> list[StoredPaper]:
            if order == "upvotes":
                ids = _ids_by_upvotes(tx, sql, params, limit, offset)
            else:
                ids = _ids(tx, sql, params, _NEWEST_FIRST, limit, offset)
            loaded = self._load_papers(tx, ids)
            return [loaded[i] for i in ids if i in loaded]

        return self._db.read(read)

    def count_papers(self, where: PaperFilter = PaperFilter()) -> int:
        sql, params = _where(where)
        return int(self._db.value(f"SELECT count(*) FROM papers p{sql}", params))

    def latest_day(self) -> date | None:
        return day(self._db.value("SELECT max(announced) FROM papers"))

    def neighbour_days(self, day_: date) -> tuple[date | None, date | None]:
        row = self._db.one(
            "SELECT (SELECT max(announced) FROM papers WHERE announced < ?) AS before,"
            " (SELECT min(announced) FROM papers WHERE announced > ?) AS after",
            (day_, day_),
        )
        return (day(row["before"]), day(row["after"])) if row else (None, None)

    def stats(self) -> StoreStats:
        def read(tx: Transaction) -> StoreStats:
            by_source = tx.tuples(
                "SELECT source, count(*) FROM paper_sources GROUP BY source ORDER BY source"
            )
            by_category = tx.tuples(
                "SELECT coalesce(primary_category, '(none)'), count(*) FROM papers"
                " GROUP BY 1 ORDER BY 2 DESC, 1"
            )
            checkpoints = tx.tuples("SELECT key, state_json FROM checkpoints ORDER BY key")
            return StoreStats(
                papers=int(tx.value("SELECT count(*) FROM papers")),
                by_source=dict(by_source),
                by_category=dict(by_category),
                with_hf=int(tx.value("SELECT count(*) FROM hf_papers")),
                latest_day=day(tx.value("SELECT max(announced) FROM papers")),
                checkpoints={key: orjson.loads(state) for key, state in checkpoints},
                schema_version=int(
                    tx.value("SELECT coalesce(max(version), 0) FROM schema_migrations")
                ),
            )

        return self._db.read(read)


def _save_checkpoint(tx: Transaction, key: str, state_json: str) -> None:
    tx.execute(
        "INSERT INTO checkpoints (key, state_json, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET state_json = excluded.state_json,"
        " updated_at = excluded.updated_at",
        (key, state_json, _now()),
    )


def _ids(
    tx: Transaction,
    sql: str,
    params: list[Any],
    order_by: str,
    limit: int,
    offset: int,
    join: str = "",
) -> list[str]:
    rows = tx.tuples(
        f"SELECT p.id FROM papers p{join}{sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [row[0] for row in rows]


def _ids_by_upvotes(
    tx: Transaction, sql: str, params: list[Any], limit: int, offset: int
) -> list[str]:
    """Upvoted papers (few) by upvotes, then the rest newest first.

    The same order as sorting everything by (upvotes, announced, ...), but each part is
    read along an index instead of sorting the whole table.
    """
    glue = " AND " if sql else " WHERE "
    top = _ids(tx, f"{sql}{glue}h.upvotes > 0", params, _UPVOTED_FIRST, limit, offset, _WITH_HF)
    if len(top) == limit:
        return top
    upvoted = int(
        tx.value(f"SELECT count(*) FROM papers p{_WITH_HF}{sql}{glue}h.upvotes > 0", params)
    )
    rest = _ids(
        tx,
        f"{sql}{glue}NOT EXISTS (SELECT 1 FROM hf_papers h"
        " WHERE h.paper_id = p.id AND h.upvotes > 0)",
        params,
        _NEWEST_FIRST,
        limit - len(top),
        max(0, offset - upvoted),
    )
    return top + rest
