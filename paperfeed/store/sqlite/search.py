"""SQLite implementation of ``SearchStore``: a keyword change log and a table of vectors.

Both indexes live in files beside the database (``paperfeed.search``). Triggers
(migration 0008) append to ``keyword_changes`` on every write of what the keyword index
holds, so any writer of ``papers`` keeps the log right; vectors carry their own ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from paperfeed.store.base import StoreError
from paperfeed.store.search import (
    EmbeddingState,
    Generation,
    KeywordDocument,
    SearchScope,
    SearchStore,
    StoredEmbedding,
)
from paperfeed.store.sqlite.connection import ConnectionPool
from paperfeed.store.sqlite.sql import chunks, marks, now_iso


def scope_sql(scope: SearchScope, alias: str = "p") -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, or ``1``) for ``scope`` on the papers table."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.category is not None:
        clauses.append(f"{alias}.id IN (SELECT paper_id FROM paper_categories WHERE category = ?)")
        params.append(scope.category)
    if scope.since is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) >= ?")
        params.append(scope.since.isoformat())
    if scope.until is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) <= ?")
        params.append(scope.until.isoformat())
    if scope.author is not None:
        clauses.append(f"instr(lower({alias}.authors_text), ?) > 0")
        params.append(scope.author.lower())
    return (" AND ".join(clauses) or "1"), params


_DOCUMENT_COLUMNS = (
    "id, title_text, authors_text, abstract_text, categories_json, coalesce(announced, published)"
)


def _keyword_document(row: Sequence[Any]) -> KeywordDocument:
    day = str(row[5] or "")[:10]
    return KeywordDocument(
        paper_id=row[0],
        title=row[1],
        authors=row[2],
        abstract=row[3],
        categories=tuple(orjson.loads(row[4])),
        day=date.fromisoformat(day) if day else None,
    )


class SQLiteSearchStore(SearchStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""

    _pool: ConnectionPool
    path: Path

    # -- keyword change log (the index itself lives beside the database) --------------

    def latest_keyword_change(self) -> int:
        row = self._pool.get().execute("SELECT max(seq) FROM keyword_changes").fetchone()
        return int(row[0] or 0)

    def keyword_changes(self, *, after_seq: int, limit: int) -> list[tuple[int, str]]:
        rows = self._pool.get().execute(
            "SELECT seq, paper_id FROM keyword_changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [(int(row[0]), str(row[1])) for row in rows]

    def keyword_documents(self, paper_ids: Sequence[str]) -> dict[str, KeywordDocument]:
        found: dict[str, KeywordDocument] = {}
        with self._pool.read() as conn:
            for chunk_items in chunks(paper_ids):
                chunk = list(chunk_items)
                rows = conn.execute(
                    f"SELECT {_DOCUMENT_COLUMNS} FROM papers WHERE id IN ({marks(len(chunk))})",
                    chunk,
                )
                found.update((row[0], _keyword_document(row)) for row in rows)
        return found

    def iter_keyword_documents(self, *, batch_size: int = 5000) -> Iterator[list[KeywordDocument]]:
        after = ""
        while True:
            rows = (
                self._pool.get()
                .execute(
                    f"SELECT {_DOCUMENT_COLUMNS} FROM papers WHERE id > ? ORDER BY id LIMIT ?",
                    (after, batch_size),
                )
                .fetchall()
            )
            if not rows:
                return
            yield [_keyword_document(row) for row in rows]
            after = rows[-1][0]

    def papers_in_scope(self, paper_ids: Iterable[str], scope: SearchScope) -> set[str]:
        ids = list(paper_ids)
        if scope.is_empty:
            return set(ids)
        where, params = scope_sql(scope)
        found: set[str] = set()
        conn = self._pool.get()
        for chunk in chunks(ids):
            in_chunk = marks(len(chunk))
            rows = conn.execute(
                f"SELECT p.id FROM papers p WHERE p.id IN ({in_chunk}) AND {where}",
                [*chunk, *params],
            )
            found.update(row[0] for row in rows)
        return found

    def paper_ids_in_scope(self, scope: SearchScope, *, limit: int) -> list[str]:
        where, params = scope_sql(scope)
        rows = self._pool.get().execute(
            f"SELECT p.id FROM papers p WHERE {where} LIMIT ?", [*params, limit]
        )
        return [row[0] for row in rows]

    def find_papers_by_doi(self, doi: str) -> list[str]:
        # DOIs are case-insensitive; the exact spelling uses the index, others scan.
        conn = self._pool.get()
        rows = conn.execute("SELECT id FROM papers WHERE doi = ? ORDER BY id", (doi,)).fetchall()
        if not rows:
            rows = conn.execute(
                "SELECT id FROM papers WHERE doi IS NOT NULL AND lower(doi) = lower(?) ORDER BY id",
                (doi,),
            ).fetchall()
        return [row[0] for row in rows]

    def texts_for_embedding(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        with self._pool.read() as conn:
            for chunk_items in chunks(paper_ids):
                chunk = list(chunk_items)
                in_chunk = marks(len(chunk))
                for row in conn.execute(
                    f"SELECT id, title_text, abstract_text FROM papers WHERE id IN ({in_chunk})",
                    chunk,
                ):
                    found[row[0]] = (row[1], row[2])
        return found

    # -- embeddings -------------------------------------------------------------------

    def ensure_generation(self, name: str, dim: int) -> None:
        with self._pool.write() as conn:
            row = conn.execute(
                "SELECT dim FROM embedding_generations WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO embedding_generations (name, dim, created_at) VALUES (?, ?, ?)",
                    (name, dim, now_iso()),
                )
            elif row[0] != dim:
                raise StoreError(
                    f"embedding generation {name!r} has {row[0]} dimensions, not {dim}"
                )

    def generations(self) -> list[Generation]:
        rows = self._pool.get().execute(
            "SELECT g.name, g.dim, g.active, g.created_at, g.activated_at,"
            " (SELECT count(*) FROM paper_embeddings e WHERE e.generation = g.name)"
            " FROM embedding_generations g ORDER BY g.created_at, g.name"
        )
        return [
            Generation(
                name=row[0],
                dim=row[1],
                active=bool(row[2]),
                created_at=datetime.fromisoformat(row[3]),
                activated_at=datetime.fromisoformat(row[4]) if row[4] else None,
                embedded=row[5],
            )
            for row in rows
        ]

    def active_generation(self) -> str | None:
        row = (
            self._pool.get()
            .execute("SELECT name FROM embedding_generations WHERE active = 1")
            .fetchone()
        )
        return str(row[0]) if row else None

    def activate_generation(self, name: str) -> None:
        with self._pool.write() as conn:
            if not conn.execute(
                "SELECT 1 FROM embedding_generations WHERE name = ?", (name,)
            ).fetchone():
                raise StoreError(f"no embedding generation {name!r}")
            conn.execute("UPDATE embedding_generations SET active = 0 WHERE active = 1")
            conn.execute(
                "UPDATE embedding_generations SET active = 1, activated_at = ? WHERE name = ?",
                (now_iso(), name),
            )

    def delete_generation(self, name: str) -> None:
        with self._pool.write() as conn:
            row = conn.execute(
                "SELECT active FROM embedding_generations WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0]:
                raise StoreError(f"embedding generation {name!r} is active; activate another first")
            conn.execute("DELETE FROM paper_embeddings WHERE generation = ?", (name,))
            conn.execute("DELETE FROM embedding_generations WHERE name = ?", (name,))

    def papers_missing_embeddings(
        self,
        generation: str,
        paper_ids: Sequence[str] | None = None,
        *,
        after: str = "",
        limit: int,
    ) -> list[str]:
        missing = (
            "NOT EXISTS (SELECT 1 FROM paper_embeddings e"
            " WHERE e.generation = ? AND e.paper_id = p.id)"
        )
        conn = self._pool.get()
        if paper_ids is None:
            rows = conn.execute(
                f"SELECT p.id FROM papers p WHERE p.id > ? AND {missing} ORDER BY p.id LIMIT ?",
                (after, generation, limit),
            )
            return [row[0] for row in rows]
        wanted = sorted({i for i in paper_ids if i > after})
        found: list[str] = []
        for chunk in chunks(wanted):
            in_chunk = marks(len(chunk))
            rows = conn.execute(
                f"SELECT p.id FROM papers p WHERE p.id IN ({in_chunk}) AND {missing} ORDER BY p.id",
                [*chunk, generation],
            )
            found.extend(row[0] for row in rows)
            if len(found) >= limit:
                break
        return found[:limit]

    def count_missing_embeddings(self, generation: str) -> int:
        row = (
            self._pool.get()
            .execute(
                "SELECT count(*) FROM papers p WHERE NOT EXISTS (SELECT 1 FROM paper_embeddings e"
                " WHERE e.generation = ? AND e.paper_id = p.id)",
                (generation,),
            )
            .fetchone()
        )
        return int(row[0])

    def put_embeddings(self, generation: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        if not vectors:
            return
        with self._pool.write() as conn:
            # Delete then insert, so a replaced vector gets a new (higher) seq.
            conn.executemany(
                "DELETE FROM paper_embeddings WHERE generation = ? AND paper_id = ?",
                [(generation, paper_id) for paper_id, _ in vectors],
            )
            conn.executemany(
                "INSERT INTO paper_embeddings (generation, paper_id, vector)"
                " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)",
                [(generation, paper_id, blob, paper_id) for paper_id, blob in vectors],
            )

    def embedding_state(self, generation: str) -> EmbeddingState:
        row = (
            self._pool.get()
            .execute(
                "SELECT count(*), coalesce(max(seq), 0) FROM paper_embeddings WHERE generation = ?",
                (generation,),
            )
            .fetchone()
        )
        return EmbeddingState(int(row[0]), int(row[1]))

    def latest_embedding_seq(self, generation: str) -> int:
        row = (
            self._pool.get()
            .execute("SELECT max(seq) FROM paper_embeddings WHERE generation = ?", (generation,))
            .fetchone()
        )
        return int(row[0] or 0)

    def iter_embeddings(
        self, generation: str, *, after_seq: int = 0, batch_size: int = 5000
    ) -> Iterator[list[StoredEmbedding]]:
        conn = self._pool.get()
        while True:
            rows = conn.execute(
                "SELECT seq, paper_id, vector FROM paper_embeddings"
                " WHERE generation = ? AND seq > ? ORDER BY seq LIMIT ?",
                (generation, after_seq, batch_size),
            ).fetchall()
            if not rows:
                return
            yield [StoredEmbedding(row[0], row[1], bytes(row[2])) for row in rows]
            after_seq = rows[-1][0]

    def get_embedding(self, generation: str, paper_id: str) -> bytes | None:
        row = (
            self._pool.get()
            .execute(
                "SELECT vector FROM paper_embeddings WHERE generation = ? AND paper_id = ?",
                (generation, paper_id),
            )
            .fetchone()
        )
        return bytes(row[0]) if row else None
