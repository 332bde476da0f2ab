"""``PaperStore`` on PostgreSQL: several processes sharing one database.

What only PostgreSQL does: a pool whose transactions are retried whole
(``connection.py``), bulk writes as JSON documents in pipeline mode, advisory locks
(paper writes, ingest sources, migrations), ``FOR UPDATE SKIP LOCKED`` claims, a change
counter kept by triggers, and search in SQL (``search.py``). Every other query is the
shared layer's (``paperfeed.store.tables``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, cast

import orjson
import psycopg

from paperfeed.papers.model import HFInfo, Paper
from paperfeed.papers.text import render_plain
from paperfeed.store.base import PaperStore
from paperfeed.store.community import MarkKind, NewMark
from paperfeed.store.database import Transaction
from paperfeed.store.postgres.connection import PostgresPool, lock_key
from paperfeed.store.postgres.database import PostgresDatabase, PostgresTransaction
from paperfeed.store.postgres.pgvector import require_pgvector
from paperfeed.store.postgres.search import PostgresSearch
from paperfeed.store.rows import authors_json, dumps
from paperfeed.store.tables.collections import CollectionTables
from paperfeed.store.tables.community import CommunityTables
from paperfeed.store.tables.outbox import OutboxTables
from paperfeed.store.tables.papers import PaperTables
from paperfeed.store.tables.personal import PersonalTables
from paperfeed.store.tables.subscriptions import SubscriptionTables
from paperfeed.store.tables.summaries import SummaryTables

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


# The outbox's due rows, locked so that concurrent senders skip each other's claims.
CLAIM_DUE = (
    "SELECT o.id, o.transactional, EXISTS (SELECT 1 FROM suppressed_addresses s"
    " WHERE s.address = lower(o.recipient)) AS suppressed FROM outbox o"
    " WHERE (o.state = 'pending' AND o.next_attempt_at <= ?)"
    " OR (o.state = 'sending' AND o.lease_expires_at <= ?)"
    " ORDER BY o.id LIMIT ? FOR UPDATE OF o SKIP LOCKED"
)


class PostgresPaperStore(
    PostgresSearch,
    PaperTables,
    SubscriptionTables,
    OutboxTables,
    CommunityTables,
    PersonalTables,
    SummaryTables,
    CollectionTables,
    PaperStore,
):
    """Papers in PostgreSQL; see ``PaperStore`` for the contract of each method."""

    _engine = "postgresql"
    _label = "the database"
    _claim_due = CLAIM_DUE

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self._pool = PostgresPool(_libpq_url(url))
        self._db = PostgresDatabase(self._pool)
        if migrate:
            self.migrate()

    def _lock_migrations(self, tx: Transaction) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def _run_script(self, tx: Transaction, script: str) -> None:
        if script.strip():  # bytes: run as written, no placeholders
            cast(PostgresTransaction, tx).conn.execute(script.encode())

    def _check_server(self, tx: Transaction) -> None:
        # Refused by name before anything is applied, rather than at the first ingest.
        require_pgvector(tx)

    def _insert_marks(
        self, tx: Transaction, kind: MarkKind, marks: Sequence[NewMark]
    ) -> list[tuple[Any, ...]]:
        return tx.tuples(
            "INSERT INTO paper_marks (kind, account_id, paper_id, created_at)"
            " SELECT ?, m.account_id, m.paper_id, m.at FROM unnest("
            "?::bigint[], ?::text[], ?::double precision[]"
            ") WITH ORDINALITY AS m (account_id, paper_id, at, n) ORDER BY m.n"
            " ON CONFLICT DO NOTHING RETURNING account_id, paper_id, created_at",
            (
                kind,
                [m.account_id for m in marks],
                [m.paper_id for m in marks],
                [m.at for m in marks],
            ),
        )

    def _write_papers(
        self, tx: Transaction, hashed: list[tuple[Paper, str]], now: datetime, *, insert: bool
    ) -> None:
        """Rows go as one JSON document per chunk, expanded by the server: far cheaper
        than psycopg's per-element array dumping, and in pipeline mode the server
        works on one chunk while the next is being rendered."""
        if not hashed:
            return
        conn = cast(PostgresTransaction, tx).conn
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
