"""``PaperStore`` on SQLite: the embedded default."""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from paperfeed.papers.model import HFInfo, Paper
from paperfeed.papers.text import render_plain
from paperfeed.store.base import (
    ListOrder,
    Migration,
    PaperFilter,
    PaperStore,
    SourceRecord,
    StoredPaper,
    StoreError,
    StoreStats,
    UpsertResult,
)
from paperfeed.store.migrations import load_migrations
from paperfeed.store.rows import (
    authors_json,
    dumps,
    hf_from_columns,
    iso,
    paper_from_columns,
    to_date,
    to_datetime,
)
from paperfeed.store.sqlite.community import SQLiteCommunityStore
from paperfeed.store.sqlite.connection import ConnectionPool, connect
from paperfeed.store.sqlite.outbox import SQLiteOutboxStore
from paperfeed.store.sqlite.search import SQLiteSearchStore
from paperfeed.store.sqlite.sql import chunks, marks, now_iso
from paperfeed.store.sqlite.subscriptions import SQLiteSubscriptionStore
from paperfeed.store.upsert import changed_since_last_time, freshest_by_id, plan_upsert

_PAPER_COLUMNS = (
    "version",
    "title",
    "abstract",
    "title_text",
    "abstract_text",
    "authors_text",
    "authors_json",
    "primary_category",
    "categories_json",
    "published",
    "updated",
    "announced",
    "comments",
    "journal_ref",
    "doi",
    "license",
    "code_links_json",
    "content_hash",
)


_INSERT_PAPERS = (
    f"INSERT INTO papers (id, {', '.join(_PAPER_COLUMNS)}, first_seen_at, updated_at)"
    f" VALUES ({marks(len(_PAPER_COLUMNS) + 3)})"
)
_UPDATE_PAPERS = (
    f"UPDATE papers SET {', '.join(f'{c} = ?' for c in _PAPER_COLUMNS)}, updated_at = ?"
    " WHERE id = ?"
)


def _paper_row(p: Paper, content_hash: str) -> tuple[Any, ...]:
    """``(id, <_PAPER_COLUMNS in order>)`` for one paper."""
    text = render_plain(p)
    return (
        p.id,
        p.version,
        p.title,
        p.abstract,
        text.title,
        text.abstract,
        text.authors,
        authors_json(p),
        p.primary_category,
        dumps(p.categories),
        iso(p.published),
        iso(p.updated),
        iso(p.announced),
        p.comments,
        p.journal_ref,
        p.doi,
        p.license,
        dumps(p.code_links),
        content_hash,
    )


_NEWEST_FIRST = "p.announced DESC, p.first_seen_at DESC, p.id DESC"
_UPVOTED_FIRST = "h.upvotes DESC, " + _NEWEST_FIRST


class SQLitePaperStore(
    SQLiteSearchStore,
    SQLiteSubscriptionStore,
    SQLiteOutboxStore,
    SQLiteCommunityStore,
    PaperStore,
):
    """Papers in one SQLite file; see ``PaperStore`` for the contract of each method."""

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._pool = ConnectionPool(path)
        self._version_conn: sqlite3.Connection | None = None
        self._version_lock = threading.Lock()
        if migrate:
            self.migrate()

    # -- migrations -------------------------------------------------------------------

    def _ensure_migrations_table(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )

    def _applied(self, conn: sqlite3.Connection) -> dict[int, str]:
        rows = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
        return {row["version"]: row["applied_at"] for row in rows}

    def migrations(self) -> list[Migration]:
        with self._pool.write() as conn:
            self._ensure_migrations_table(conn)
            applied = self._applied(conn)
        return [
            Migration(
                s.version, s.name, to_datetime(applied[s.version]) if s.version in applied else None
            )
            for s in load_migrations("sqlite")
        ]

    def migrate(self) -> list[Migration]:
        done: list[Migration] = []
        for script in load_migrations("sqlite"):
            with self._pool.write() as conn:
                self._ensure_migrations_table(conn)
                if script.version in self._applied(conn):
                    continue
                for statement in _split_sql(script.sql):
                    conn.execute(statement)
                now = now_iso()
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (script.version, script.name, now),
                )
                done.append(Migration(script.version, script.name, to_datetime(now)))
        known = max((s.version for s in load_migrations("sqlite")), default=0)
        with self._pool.read() as conn:
            newest = max(self._applied(conn), default=0)
        if newest > known:
            raise StoreError(
                f"{self.path} has schema version {newest}, newer than this paperfeed ({known}):"
                " upgrade paperfeed"
            )
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
        try:
            with self._pool.write() as conn:
                result = self._upsert(conn, latest, source)
                if checkpoint_key is not None:
                    self._save_checkpoint(conn, checkpoint_key, checkpoint or {})
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store papers in {self.path}: {exc}") from exc
        return result

    def _upsert(
        self, conn: sqlite3.Connection, papers: dict[str, Paper], source: str
    ) -> UpsertResult:
        said_before = self._source_hashes(conn, source, list(papers))
        fresh, hashes = changed_since_last_time(papers, said_before)
        if not fresh:
            return UpsertResult(unchanged=len(papers))
        stored = self._load_papers(conn, [p.id for p in fresh])
        plan = plan_upsert(
            fresh,
            hashes,
            {paper_id: s.paper for paper_id, s in stored.items()},
            already_unchanged=len(papers) - len(fresh),
        )
        now = now_iso()
        self._write_papers(conn, plan.inserts, now, insert=True)
        self._write_papers(conn, plan.updates, now, insert=False)
        conn.executemany(
            "INSERT INTO paper_sources"
            " (source, paper_id, content_hash, first_seen_at, last_changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, paper_id) DO UPDATE SET"
            " content_hash = excluded.content_hash, last_changed_at = excluded.last_changed_at",
            [(source, paper_id, digest, now, now) for paper_id, digest in plan.source_hashes],
        )
        return plan.result

    def _source_hashes(
        self, conn: sqlite3.Connection, source: str, ids: list[str]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(ids):
            rows = conn.execute(
                "SELECT paper_id, content_hash FROM paper_sources"
                f" WHERE source = ? AND paper_id IN ({marks(len(chunk))})",
                (source, *chunk),
            )
            found.update((row[0], row[1]) for row in rows)
        return found

    def _write_papers(
        self, conn: sqlite3.Connection, hashed: list[tuple[Paper, str]], now: str, *, insert: bool
    ) -> None:
        if not hashed:
            return
        papers = [p for p, _ in hashed]
        rows = [_paper_row(p, content_hash) for p, content_hash in hashed]
        if insert:
            conn.executemany(_INSERT_PAPERS, [(*row, now, now) for row in rows])
        else:
            conn.executemany(_UPDATE_PAPERS, [(*row[1:], now, row[0]) for row in rows])
            conn.executemany(
                "DELETE FROM paper_categories WHERE paper_id = ?", [(p.id,) for p in papers]
            )
        conn.executemany(
            "INSERT OR IGNORE INTO paper_categories (category, paper_id) VALUES (?, ?)",
            [(c, p.id) for p in papers for c in p.categories],
        )
        with_hf = [p for p in papers if p.hf is not None]
        if with_hf:
            self._write_hf(conn, with_hf, now)

    def _write_hf(self, conn: sqlite3.Connection, papers: list[Paper], now: str) -> None:
        rows = []
        for p in papers:
            hf: HFInfo = p.hf  # type: ignore[assignment]
            rows.append(
                (
                    p.id,
                    hf.upvotes,
                    iso(hf.featured_on),
                    hf.submitter,
                    hf.ai_summary,
                    dumps(list(hf.ai_keywords)),
                    hf.github_repo,
                    hf.github_stars,
                    hf.project_page,
                    hf.organization,
                    hf.num_comments,
                    hf.thumbnail,
                    now,
                )
            )
        conn.executemany(
            "INSERT OR REPLACE INTO hf_papers (paper_id, upvotes, featured_on, submitter,"
            " ai_summary, ai_keywords_json, github_repo, github_stars, project_page,"
            " organization, num_comments, thumbnail, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    # -- checkpoints ------------------------------------------------------------------

    def _save_checkpoint(
        self, conn: sqlite3.Connection, key: str, state: Mapping[str, Any]
    ) -> None:
        conn.execute(
            "INSERT INTO checkpoints (key, state_json, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET state_json = excluded.state_json,"
            " updated_at = excluded.updated_at",
            (key, orjson.dumps(dict(state)).decode(), now_iso()),
        )

    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        row = (
            self._pool.get()
            .execute("SELECT state_json FROM checkpoints WHERE key = ?", (key,))
            .fetchone()
        )
        return dict(orjson.loads(row[0])) if row else None

    def reset_checkpoint(self, key: str) -> None:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM checkpoints WHERE key = ?", (key,))

    def set_first_seen(self, arrivals: Mapping[str, datetime], *, stored_since: datetime) -> int:
        since = stored_since.astimezone(UTC).isoformat(timespec="microseconds")
        rows = [
            (when.astimezone(UTC).isoformat(timespec="microseconds"), paper_id, since)
            for paper_id, when in arrivals.items()
        ]
        with self._pool.write() as conn:
            before = conn.total_changes
            conn.executemany(
                "UPDATE papers SET first_seen_at = ? WHERE id = ? AND first_seen_at >= ?", rows
            )
            return conn.total_changes - before

    # -- reads ------------------------------------------------------------------------

    def _load_papers(self, conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, StoredPaper]:
        found: dict[str, StoredPaper] = {}
        for chunk in chunks(list(ids)):
            in_chunk = marks(len(chunk))
            hf_rows = {
                row["paper_id"]: hf_from_columns(dict(row))
                for row in conn.execute(
                    f"SELECT * FROM hf_papers WHERE paper_id IN ({in_chunk})", chunk
                )
            }
            sources: dict[str, list[SourceRecord]] = {}
            for row in conn.execute(
                "SELECT paper_id, source, first_seen_at, last_changed_at FROM paper_sources"
                f" WHERE paper_id IN ({in_chunk}) ORDER BY first_seen_at",
                chunk,
            ):
                sources.setdefault(row[0], []).append(
                    SourceRecord(row[1], to_datetime(row[2]), to_datetime(row[3]))
                )
            for row in conn.execute(f"SELECT * FROM papers WHERE id IN ({in_chunk})", chunk):
                found[row["id"]] = self._stored(dict(row), hf_rows.get(row["id"]), sources)
        return found

    @staticmethod
    def _stored(
        row: dict[str, Any], hf: HFInfo | None, sources: Mapping[str, list[SourceRecord]]
    ) -> StoredPaper:
        return StoredPaper(
            paper=paper_from_columns(row, hf),
            title_text=row["title_text"],
            abstract_text=row["abstract_text"],
            authors_text=row["authors_text"],
            first_seen_at=to_datetime(row["first_seen_at"]),
            updated_at=to_datetime(row["updated_at"]),
            sources=tuple(sources.get(row["id"], ())),
        )

    def get_paper(self, paper_id: str) -> StoredPaper | None:
        return self.get_papers([paper_id]).get(paper_id)

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]:
        with self._pool.read() as conn:
            return self._load_papers(conn, list(paper_ids))

    @staticmethod
    def _where(where: PaperFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if where.day is not None:
            clauses.append("p.announced = ?")
            params.append(where.day.isoformat())
        if where.since is not None:
            clauses.append("p.announced >= ?")
            params.append(where.since.isoformat())
        if where.until is not None:
            clauses.append("p.announced <= ?")
            params.append(where.until.isoformat())
        if where.category is not None:
            clauses.append("p.id IN (SELECT paper_id FROM paper_categories WHERE category = ?)")
            params.append(where.category)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def list_papers(
        self,
        where: PaperFilter = PaperFilter(),
        *,
        limit: int = 50,
        offset: int = 0,
        order: ListOrder = "upvotes",
    ) -> list[StoredPaper]:
        sql, params = self._where(where)
        with self._pool.read() as conn:
            if order == "upvotes":
                ids = self._ids_by_upvotes(conn, sql, params, limit, offset)
            else:
                ids = self._ids(conn, sql, params, _NEWEST_FIRST, limit, offset)
            loaded = self._load_papers(conn, ids)
        return [loaded[i] for i in ids if i in loaded]

    @staticmethod
    def _ids(
        conn: sqlite3.Connection,
        sql: str,
        params: list[Any],
        order_by: str,
        limit: int,
        offset: int,
        join: str = "",
    ) -> list[str]:
        rows = conn.execute(
            f"SELECT p.id FROM papers p{join}{sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [row[0] for row in rows]

    def _ids_by_upvotes(
        self, conn: sqlite3.Connection, sql: str, params: list[Any], limit: int, offset: int
    ) -> list[str]:
        """Upvoted papers (few) by upvotes, then the rest newest first.

        The same order as sorting everything by (upvotes, announced, ...), but the long
        tail is read along the ``announced`` index instead of sorting the whole table.
        """
        glue = " AND " if sql else " WHERE "
        top = self._ids(
            conn,
            f"{sql}{glue}h.upvotes > 0",
            params,
            _UPVOTED_FIRST,
            limit,
            offset,
            join=" JOIN hf_papers h ON h.paper_id = p.id",
        )
        if len(top) == limit:
            return top
        upvoted = conn.execute(
            f"SELECT count(*) FROM papers p JOIN hf_papers h ON h.paper_id = p.id"
            f"{sql}{glue}h.upvotes > 0",
            params,
        ).fetchone()[0]
        rest = self._ids(
            conn,
            f"{sql}{glue}NOT EXISTS (SELECT 1 FROM hf_papers h"
            " WHERE h.paper_id = p.id AND h.upvotes > 0)",
            params,
            _NEWEST_FIRST,
            limit - len(top),
            max(0, offset - upvoted),
        )
        return top + rest

    def count_papers(self, where: PaperFilter = PaperFilter()) -> int:
        sql, params = self._where(where)
        row = self._pool.get().execute(f"SELECT count(*) FROM papers p{sql}", params).fetchone()
        return int(row[0])

    def latest_day(self) -> date | None:
        row = self._pool.get().execute("SELECT max(announced) FROM papers").fetchone()
        return to_date(row[0]) if row and row[0] else None

    def neighbour_days(self, day: date) -> tuple[date | None, date | None]:
        row = (
            self._pool.get()
            .execute(
                "SELECT (SELECT max(announced) FROM papers WHERE announced < ?),"
                " (SELECT min(announced) FROM papers WHERE announced > ?)",
                (day.isoformat(), day.isoformat()),
            )
            .fetchone()
        )
        return to_date(row[0]), to_date(row[1])

    def data_version(self) -> int:
        # PRAGMA data_version changes when any *other* connection commits: a connection
        # kept only for asking sees every write, from this process or another one.
        with self._version_lock:
            if self._version_conn is None:
                self._version_conn = connect(self.path)
            return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def source_lock(self, key: str) -> Iterator[None]:
        # Writes are already serialised; this lock file (beside the database) keeps two
        # processes from fetching the same source at once. The OS drops it if we die.
        digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
        lock_path = self.path.with_name(f"{self.path.name}.ingest-{digest}.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stats(self) -> StoreStats:
        with self._pool.read() as conn:
            papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
            by_source = dict(
                conn.execute(
                    "SELECT source, count(*) FROM paper_sources GROUP BY source ORDER BY source"
                )
            )
            by_category = dict(
                conn.execute(
                    "SELECT coalesce(primary_category, '(none)'), count(*) FROM papers"
                    " GROUP BY 1 ORDER BY 2 DESC, 1"
                )
            )
            with_hf = conn.execute("SELECT count(*) FROM hf_papers").fetchone()[0]
            checkpoints = {
                row[0]: orjson.loads(row[1])
                for row in conn.execute("SELECT key, state_json FROM checkpoints ORDER BY key")
            }
            version = conn.execute(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            ).fetchone()[0]
        return StoreStats(
            papers=papers,
            by_source=by_source,
            by_category=by_category,
            with_hf=with_hf,
            latest_day=self.latest_day(),
            checkpoints=checkpoints,
            schema_version=version,
        )

    def close(self) -> None:
        self._pool.close()
        with self._version_lock:
            if self._version_conn is not None:
                self._version_conn.close()
                self._version_conn = None


def _split_sql(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit mid-migration)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                yield statement
            statement = ""
    if statement.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in statement.splitlines()
    ):
        raise StoreError(f"incomplete SQL statement in migration: {statement[:80]!r}")
