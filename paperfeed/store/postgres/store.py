"""``PaperStore`` on PostgreSQL: several processes sharing one database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from typing import Any

import orjson
import psycopg

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
from paperfeed.store.postgres.community import PostgresCommunityStore
from paperfeed.store.postgres.connection import Connection, PostgresPool, lock_key
from paperfeed.store.postgres.outbox import PostgresOutboxStore
from paperfeed.store.postgres.pgvector import require_pgvector
from paperfeed.store.postgres.search import PostgresSearchStore
from paperfeed.store.postgres.subscriptions import PostgresSubscriptionStore
from paperfeed.store.rows import (
    authors_json,
    dumps,
    hf_from_columns,
    paper_from_columns,
    to_date,
)
from paperfeed.store.upsert import changed_since_last_time, freshest_by_id, plan_upsert

MIGRATION_LOCK = 0x6D696772  # "migr": one process migrates at a time
_PAPER_COLUMNS = (
    "version", "title", "abstract", "title_text", "abstract_text", "authors_text",
    "authors_json", "primary_category", "categories_json", "published", "updated",
    "announced", "comments", "journal_ref", "doi", "license", "code_links_json",
    "content_hash",
)  # fmt: skip


# Papers per statement when writing: small enough that the server starts on the first
# chunk while later ones are still being rendered, large enough that per-statement work
# (the search-index trigger, the version bump) stays rare.
WRITE_CHUNK = 500
_COLUMN_LIST = ", ".join(_PAPER_COLUMNS)
_INSERT_PAPERS = (
    f"INSERT INTO papers (id, {_COLUMN_LIST}, first_seen_at, updated_at)"
    f" SELECT id, {_COLUMN_LIST}, %s, %s FROM json_populate_recordset(null::papers, %s::json)"
)
_UPDATE_PAPERS = (
    "UPDATE papers p SET "
    + ", ".join(f"{c} = r.{c}" for c in _PAPER_COLUMNS)
    + ", updated_at = %s FROM json_populate_recordset(null::papers, %s::json) r"
    " WHERE p.id = r.id"
)
_INSERT_CATEGORIES = (
    "INSERT INTO paper_categories (category, paper_id) SELECT category, paper_id"
    " FROM json_populate_recordset(null::paper_categories, %s::json) ON CONFLICT DO NOTHING"
)
_HF_COLUMNS = (
    "upvotes", "featured_on", "submitter", "ai_summary", "ai_keywords_json", "github_repo",
    "github_stars", "project_page", "organization", "num_comments", "thumbnail", "updated_at",
)  # fmt: skip
_UPSERT_HF = (
    f"INSERT INTO hf_papers (paper_id, {', '.join(_HF_COLUMNS)})"
    f" SELECT paper_id, {', '.join(_HF_COLUMNS)}"
    " FROM json_populate_recordset(null::hf_papers, %s::json)"
    " ON CONFLICT (paper_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _HF_COLUMNS)
)
_UPSERT_SOURCES = (
    "INSERT INTO paper_sources (source, paper_id, content_hash, first_seen_at, last_changed_at)"
    " SELECT %s, paper_id, content_hash, %s, %s"
    " FROM json_populate_recordset(null::paper_sources, %s::json)"
    " ON CONFLICT (source, paper_id) DO UPDATE SET content_hash = excluded.content_hash,"
    " last_changed_at = excluded.last_changed_at"
)


def _now() -> datetime:
    return datetime.now(UTC)


_NEWEST_FIRST = "p.announced DESC NULLS LAST, p.first_seen_at DESC, p.id DESC"
_UPVOTED_FIRST = "h.upvotes DESC, " + _NEWEST_FIRST


class PostgresPaperStore(
    PostgresSearchStore,
    PostgresSubscriptionStore,
    PostgresOutboxStore,
    PostgresCommunityStore,
    PaperStore,
):
    """Papers in PostgreSQL; see ``PaperStore`` for the contract of each method."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self._pool = PostgresPool(_libpq_url(url))
        if migrate:
            self.migrate()

    # -- migrations -------------------------------------------------------------------

    def _applied(self, conn: Connection) -> dict[int, datetime]:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"
        )
        rows = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
        return {row["version"]: row["applied_at"] for row in rows}

    def migrations(self) -> list[Migration]:
        applied = self._pool.run(self._applied)
        return [
            Migration(s.version, s.name, applied.get(s.version))
            for s in load_migrations("postgresql")
        ]

    def migrate(self) -> list[Migration]:
        scripts = load_migrations("postgresql")

        def apply(conn: Connection) -> list[Migration]:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            applied = self._applied(conn)
            newest = max(applied, default=0)
            if newest > len(scripts):
                raise StoreError(
                    f"the database has schema version {newest}, newer than this paperfeed"
                    f" ({len(scripts)}): upgrade paperfeed"
                )
            done = []
            for script in scripts:
                if script.version in applied:
                    continue
                if script.sql.strip():
                    conn.execute(script.sql.encode())
                now = _now()
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (script.version, script.name, now),
                )
                done.append(Migration(script.version, script.name, now))
            # Refused here, with the version named, rather than at the first ingest; the
            # migrations above roll back with it.
            require_pgvector(conn)
            return done

        # All pending migrations in one transaction: PostgreSQL has transactional DDL,
        # and a half-migrated schema is never visible to the other processes.
        return self._pool.run(apply)

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
        state = orjson.dumps(dict(checkpoint or {})).decode() if checkpoint_key else None

        def write(conn: Connection) -> UpsertResult:
            result = self._upsert(conn, latest, source)
            if checkpoint_key is not None:
                self._save_checkpoint(conn, checkpoint_key, state or "{}")
            return result

        return self._pool.run(write, write=True)

    def _upsert(self, conn: Connection, papers: dict[str, Paper], source: str) -> UpsertResult:
        rows = conn.execute(
            "SELECT paper_id, content_hash FROM paper_sources"
            " WHERE source = %s AND paper_id = ANY(%s)",
            (source, list(papers)),
        ).fetchall()
        fresh, hashes = changed_since_last_time(
            papers, {r["paper_id"]: r["content_hash"] for r in rows}
        )
        if not fresh:
            return UpsertResult(unchanged=len(papers))
        stored = self._load_papers(conn, [p.id for p in fresh])
        plan = plan_upsert(
            fresh,
            hashes,
            {paper_id: s.paper for paper_id, s in stored.items()},
            already_unchanged=len(papers) - len(fresh),
        )
        now = _now()
        self._write_papers(conn, plan.inserts, now, insert=True)
        self._write_papers(conn, plan.updates, now, insert=False)
        sources = [{"paper_id": i, "content_hash": h} for i, h in plan.source_hashes]
        conn.execute(_UPSERT_SOURCES, (source, now, now, orjson.dumps(sources).decode()))
        return plan.result

    def _write_papers(
        self, conn: Connection, hashed: list[tuple[Paper, str]], now: datetime, *, insert: bool
    ) -> None:
        """Rows go as one JSON document per chunk, expanded by the server: far cheaper
        than psycopg's per-element array dumping, and in pipeline mode the server
        works on one chunk while the next is being rendered."""
        if not hashed:
            return
        with conn.pipeline():
            for start in range(0, len(hashed), WRITE_CHUNK):
                chunk = hashed[start : start + WRITE_CHUNK]
                rows = orjson.dumps([_paper_row(p, content_hash) for p, content_hash in chunk])
                if insert:
                    conn.execute(_INSERT_PAPERS, (now, now, rows.decode()))
                else:
                    ids = [p.id for p, _ in chunk]
                    conn.execute(_UPDATE_PAPERS, (now, rows.decode()))
                    conn.execute("DELETE FROM paper_categories WHERE paper_id = ANY(%s)", (ids,))
                categories = [
                    {"category": c, "paper_id": p.id} for p, _ in chunk for c in p.categories
                ]
                conn.execute(_INSERT_CATEGORIES, (orjson.dumps(categories).decode(),))
                hf_rows = [_hf_row(p.id, p.hf, now) for p, _ in chunk if p.hf is not None]
                if hf_rows:
                    conn.execute(_UPSERT_HF, (orjson.dumps(hf_rows).decode(),))

    # -- checkpoints ------------------------------------------------------------------

    @staticmethod
    def _save_checkpoint(conn: Connection, key: str, state_json: str) -> None:
        conn.execute(
            "INSERT INTO checkpoints (key, state_json, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET state_json = excluded.state_json,"
            " updated_at = excluded.updated_at",
            (key, state_json, _now()),
        )

    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT state_json FROM checkpoints WHERE key = %s", (key,)
            ).fetchone()
        )
        return dict(orjson.loads(row["state_json"])) if row else None

    def reset_checkpoint(self, key: str) -> None:
        self._pool.run(
            lambda conn: conn.execute("DELETE FROM checkpoints WHERE key = %s", (key,)),
            write=True,
        )

    def set_first_seen(self, arrivals: Mapping[str, datetime], *, stored_since: datetime) -> int:
        def update(conn: Connection) -> int:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "UPDATE papers SET first_seen_at = %s WHERE id = %s AND first_seen_at >= %s",
                    [(when, paper_id, stored_since) for paper_id, when in arrivals.items()],
                )
                return max(cursor.rowcount, 0)

        return self._pool.run(update, write=True)

    # -- reads ------------------------------------------------------------------------

    def _load_papers(self, conn: Connection, ids: Sequence[str]) -> dict[str, StoredPaper]:
        ids = list(ids)
        if not ids:
            return {}
        hf_rows = {
            row["paper_id"]: hf_from_columns(row)
            for row in conn.execute("SELECT * FROM hf_papers WHERE paper_id = ANY(%s)", (ids,))
        }
        sources: dict[str, list[SourceRecord]] = {}
        for row in conn.execute(
            "SELECT paper_id, source, first_seen_at, last_changed_at FROM paper_sources"
            " WHERE paper_id = ANY(%s) ORDER BY first_seen_at, source",
            (ids,),
        ):
            sources.setdefault(row["paper_id"], []).append(
                SourceRecord(row["source"], row["first_seen_at"], row["last_changed_at"])
            )
        found = {}
        for row in conn.execute("SELECT * FROM papers WHERE id = ANY(%s)", (ids,)):
            found[row["id"]] = StoredPaper(
                paper=paper_from_columns(row, hf_rows.get(row["id"])),
                title_text=row["title_text"],
                abstract_text=row["abstract_text"],
                authors_text=row["authors_text"],
                first_seen_at=row["first_seen_at"],
                updated_at=row["updated_at"],
                sources=tuple(sources.get(row["id"], ())),
            )
        return found

    def get_paper(self, paper_id: str) -> StoredPaper | None:
        return self.get_papers([paper_id]).get(paper_id)

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]:
        ids = list(paper_ids)
        return self._pool.run(lambda conn: self._load_papers(conn, ids))

    @staticmethod
    def _where(where: PaperFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, op, value in (
            ("p.announced", "=", where.day),
            ("p.announced", ">=", where.since),
            ("p.announced", "<=", where.until),
        ):
            if value is not None:
                clauses.append(f"{column} {op} %s")
                params.append(value)
        if where.category is not None:
            clauses.append("p.id IN (SELECT paper_id FROM paper_categories WHERE category = %s)")
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

        def read(conn: Connection) -> list[StoredPaper]:
            if order == "upvotes":
                ids = self._ids_by_upvotes(conn, sql, params, limit, offset)
            else:
                ids = self._ids(conn, sql, params, _NEWEST_FIRST, limit, offset)
            loaded = self._load_papers(conn, ids)
            return [loaded[i] for i in ids if i in loaded]

        return self._pool.run(read)

    @staticmethod
    def _ids(
        conn: Connection,
        sql: str,
        params: list[Any],
        order_by: str,
        limit: int,
        offset: int,
        join: str = "",
    ) -> list[str]:
        rows = conn.execute(
            f"SELECT p.id FROM papers p{join}{sql} ORDER BY {order_by} LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [row["id"] for row in rows]

    def _ids_by_upvotes(
        self, conn: Connection, sql: str, params: list[Any], limit: int, offset: int
    ) -> list[str]:
        """Upvoted papers (few) by upvotes, then the rest newest first, each part read
        along an index (the same order as sorting everything by upvotes, then date)."""
        glue = " AND " if sql else " WHERE "
        join = " JOIN hf_papers h ON h.paper_id = p.id"
        top = self._ids(
            conn, f"{sql}{glue}h.upvotes > 0", params, _UPVOTED_FIRST, limit, offset, join
        )
        if len(top) == limit:
            return top
        row = conn.execute(
            f"SELECT count(*) AS n FROM papers p{join}{sql}{glue}h.upvotes > 0", params
        ).fetchone()
        upvoted = int(row["n"]) if row else 0
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
        row = self._pool.run(
            lambda conn: conn.execute(f"SELECT count(*) AS n FROM papers p{sql}", params).fetchone()
        )
        return int(row["n"]) if row else 0

    def latest_day(self) -> date | None:
        row = self._pool.run(
            lambda conn: conn.execute("SELECT max(announced) AS day FROM papers").fetchone()
        )
        return to_date(row["day"]) if row else None

    def neighbour_days(self, day: date) -> tuple[date | None, date | None]:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT (SELECT max(announced) FROM papers WHERE announced < %s) AS before,"
                " (SELECT min(announced) FROM papers WHERE announced > %s) AS after",
                (day, day),
            ).fetchone()
        )
        return (to_date(row["before"]), to_date(row["after"])) if row else (None, None)

    def data_version(self) -> int:
        row = self._pool.run(
            lambda conn: conn.execute("SELECT n FROM store_version WHERE id = 1").fetchone()
        )
        return int(row["n"]) if row else 0

    @contextmanager
    def source_lock(self, key: str) -> Iterator[None]:
        # A session-level advisory lock on a connection held for the whole run. If the
        # server restarts meanwhile the lock goes with the connection; upserts stay
        # idempotent, so a second ingester that slips in then duplicates nothing.
        with self._pool.session() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("ingest", key),))
            try:
                yield
            finally:
                with suppress(psycopg.Error):  # a lost connection took the lock with it
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key("ingest", key),))

    def stats(self) -> StoreStats:
        def read(conn: Connection) -> StoreStats:
            papers = conn.execute("SELECT count(*) AS n FROM papers").fetchone()
            by_source = {
                r["source"]: r["n"]
                for r in conn.execute(
                    "SELECT source, count(*) AS n FROM paper_sources"
                    " GROUP BY source ORDER BY source"
                )
            }
            by_category = {
                r["category"]: r["n"]
                for r in conn.execute(
                    "SELECT coalesce(primary_category, '(none)') AS category, count(*) AS n"
                    " FROM papers GROUP BY 1 ORDER BY 2 DESC, 1"
                )
            }
            with_hf = conn.execute("SELECT count(*) AS n FROM hf_papers").fetchone()
            checkpoints = {
                r["key"]: orjson.loads(r["state_json"])
                for r in conn.execute("SELECT key, state_json FROM checkpoints ORDER BY key")
            }
            version = conn.execute(
                "SELECT coalesce(max(version), 0) AS v FROM schema_migrations"
            ).fetchone()
            latest = conn.execute("SELECT max(announced) AS day FROM papers").fetchone()
            return StoreStats(
                papers=papers["n"] if papers else 0,
                by_source=by_source,
                by_category=by_category,
                with_hf=with_hf["n"] if with_hf else 0,
                latest_day=latest["day"] if latest else None,
                checkpoints=checkpoints,
                schema_version=version["v"] if version else 0,
            )

        return self._pool.run(read)

    def close(self) -> None:
        self._pool.close()


def _paper_row(paper: Paper, content_hash: str) -> dict[str, Any]:
    """The ``papers`` columns of ``paper``, keyed as ``json_populate_recordset`` reads them."""
    text = render_plain(paper)
    return {
        "id": paper.id, "version": paper.version, "title": paper.title,
        "abstract": paper.abstract, "title_text": text.title,
        "abstract_text": text.abstract, "authors_text": text.authors,
        "authors_json": authors_json(paper), "primary_category": paper.primary_category,
        "categories_json": dumps(list(paper.categories)), "published": paper.published,
        "updated": paper.updated, "announced": paper.announced, "comments": paper.comments,
        "journal_ref": paper.journal_ref, "doi": paper.doi, "license": paper.license,
        "code_links_json": dumps(list(paper.code_links)), "content_hash": content_hash,
    }  # fmt: skip


def _hf_row(paper_id: str, hf: HFInfo | None, now: datetime) -> dict[str, Any]:
    assert hf is not None
    return {
        "paper_id": paper_id, "upvotes": hf.upvotes, "featured_on": hf.featured_on,
        "submitter": hf.submitter, "ai_summary": hf.ai_summary,
        "ai_keywords_json": dumps(list(hf.ai_keywords)), "github_repo": hf.github_repo,
        "github_stars": hf.github_stars, "project_page": hf.project_page,
        "organization": hf.organization, "num_comments": hf.num_comments,
        "thumbnail": hf.thumbnail, "updated_at": now,
    }  # fmt: skip


def _libpq_url(url: str) -> str:
    """psycopg wants ``postgresql://``; accept the SQLAlchemy-style spelling too."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url
