"""``PaperStore`` on SQLite: the embedded default.

What only SQLite does: connections and WAL checkpointing (``connection.py``), rows bound
one by one in ``executemany`` for bulk writes, lock files for ingest sources, ``PRAGMA
data_version`` as the change counter, the outbox claim inside the single writer's
transaction, and search beside the database (``search.py``). Every other query is the
shared layer's (``paperfeed.store.tables``).
"""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from paperfeed.papers.model import HFInfo, Paper
from paperfeed.papers.text import render_plain
from paperfeed.store.base import PaperStore, StoreError, UpsertResult
from paperfeed.store.community import MarkKind, NewMark
from paperfeed.store.database import Transaction
from paperfeed.store.rows import authors_json, dumps, iso
from paperfeed.store.sqlite.connection import ConnectionPool, connect
from paperfeed.store.sqlite.database import SQLiteDatabase
from paperfeed.store.sqlite.search import SQLiteSearch
from paperfeed.store.sqlite.sql import marks
from paperfeed.store.tables.collections import CollectionTables
from paperfeed.store.tables.community import CommunityTables
from paperfeed.store.tables.outbox import OutboxTables
from paperfeed.store.tables.papers import PaperTables
from paperfeed.store.tables.personal import PersonalTables
from paperfeed.store.tables.subscriptions import SubscriptionTables
from paperfeed.store.tables.summaries import SummaryTables

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


# The outbox's due rows: two index walks (pending by due time, sending by expired
# lease); the write transaction already keeps a second sender out.
CLAIM_DUE = (
    "SELECT id, transactional, lower(recipient) IN (SELECT address"
    " FROM suppressed_addresses) AS suppressed FROM outbox"
    " WHERE state = 'pending' AND next_attempt_at <= ?"
    " UNION ALL SELECT id, transactional, lower(recipient) IN (SELECT address"
    " FROM suppressed_addresses) FROM outbox"
    " WHERE state = 'sending' AND lease_expires_at <= ?"
    " ORDER BY id LIMIT ?"
)


class SQLitePaperStore(
    SQLiteSearch,
    PaperTables,
    SubscriptionTables,
    OutboxTables,
    CommunityTables,
    PersonalTables,
    SummaryTables,
    CollectionTables,
    PaperStore,
):
    """Papers in one SQLite file; see ``PaperStore`` for the contract of each method."""

    _engine = "sqlite"
    _claim_due = CLAIM_DUE

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._label = str(path)
        self._pool = ConnectionPool(path)
        self._db = SQLiteDatabase(self._pool)
        self._version_conn: sqlite3.Connection | None = None
        self._version_lock = threading.Lock()
        if migrate:
            self.migrate()

    def _run_script(self, tx: Transaction, script: str) -> None:
        for statement in _split_sql(script):
            tx.execute(statement)

    def _insert_marks(
        self, tx: Transaction, kind: MarkKind, marks: Sequence[NewMark]
    ) -> list[tuple[Any, ...]]:
        batch = orjson.dumps([(m.account_id, m.paper_id, m.at) for m in marks]).decode()
        return tx.tuples(
            "INSERT INTO paper_marks (kind, account_id, paper_id, created_at)"
            " SELECT ?, value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)"
            " WHERE true ON CONFLICT DO NOTHING RETURNING account_id, paper_id, created_at",
            (kind, batch),
        )

    def upsert_papers(
        self,
        papers: Sequence[Paper],
        *,
        source: str,
        checkpoint_key: str | None = None,
        checkpoint: Mapping[str, Any] | None = None,
    ) -> UpsertResult:
        try:
            return super().upsert_papers(
                papers, source=source, checkpoint_key=checkpoint_key, checkpoint=checkpoint
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store papers in {self.path}: {exc}") from exc

    def _write_papers(
        self, tx: Transaction, hashed: list[tuple[Paper, str]], now: datetime, *, insert: bool
    ) -> None:
        if not hashed:
            return
        papers = [p for p, _ in hashed]
        rows = [_paper_row(p, content_hash) for p, content_hash in hashed]
        if insert:
            tx.executemany(_INSERT_PAPERS, [(*row, now, now) for row in rows])
        else:
            tx.executemany(_UPDATE_PAPERS, [(*row[1:], now, row[0]) for row in rows])
            tx.executemany(
                "DELETE FROM paper_categories WHERE paper_id = ?", [(p.id,) for p in papers]
            )
        tx.executemany(
            "INSERT OR IGNORE INTO paper_categories (category, paper_id) VALUES (?, ?)",
            [(c, p.id) for p in papers for c in p.categories],
        )
        with_hf = [p for p in papers if p.hf is not None]
        if with_hf:
            self._write_hf(tx, with_hf, now)

    def _write_hf(self, tx: Transaction, papers: list[Paper], now: datetime) -> None:
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
        tx.executemany(
            "INSERT OR REPLACE INTO hf_papers (paper_id, upvotes, featured_on, submitter,"
            " ai_summary, ai_keywords_json, github_repo, github_stars, project_page,"
            " organization, num_comments, thumbnail, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

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
