"""SQLite implementation of ``SearchStore``: an FTS5 index and a table of vectors.

The FTS5 table is contentless and kept in step by triggers (migration 0002), so any
writer of ``papers`` keeps it right. Keyword queries are compiled here from the
``KeywordQuery`` tree: every word goes in as a quoted FTS5 string, so no user text is
ever read as FTS5 syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from paperfeed.store.base import StoreError
from paperfeed.store.search import (
    EmbeddingState,
    Generation,
    KeywordMatch,
    KeywordQuery,
    Phrase,
    SearchScope,
    SearchStore,
    StoredEmbedding,
)
from paperfeed.store.sqlite.connection import ConnectionPool
from paperfeed.store.sqlite.sql import chunks, marks, now_iso


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def compile_phrase(phrase: Phrase) -> str | None:
    """``{field} : "w1 w2" *``; ``None`` when no word has a letter or digit."""
    words = [w for w in phrase.words if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    text = _quote(" ".join(words)) + (" *" if phrase.prefix else "")
    return f"{{{phrase.field}}} : {text}" if phrase.field else text


def compile_fts5(query: KeywordQuery) -> str | None:
    """The FTS5 MATCH expression for ``query``; ``None`` when it can match nothing."""
    must = [c for c in map(compile_phrase, query.must) if c]
    should = [c for c in map(compile_phrase, query.should) if c]
    must_not = [c for c in map(compile_phrase, query.must_not) if c]
    if not must and not should:
        return None
    parts = list(must)
    if should:
        # A must phrase inside the OR keeps the should phrases optional when musts exist.
        parts.append("(" + " OR ".join(should + must[:1]) + ")")
    expression = " AND ".join(f"({p})" for p in parts)
    for negative in must_not:
        expression = f"({expression}) NOT ({negative})"
    return expression


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


class SQLiteSearchStore(SearchStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""

    _pool: ConnectionPool
    path: Path

    # -- keyword index ----------------------------------------------------------------

    def keyword_search(
        self,
        query: KeywordQuery,
        scope: SearchScope = SearchScope(),  # noqa: B008 - frozen, never mutated
        *,
        limit: int = 20,
    ) -> list[KeywordMatch]:
        expression = compile_fts5(query)
        if expression is None or limit <= 0:
            return []
        if scope.is_empty:
            sql = (
                "SELECT d.paper_id, f.rank FROM (SELECT rowid, rank FROM papers_fts"
                " WHERE papers_fts MATCH ? ORDER BY rank LIMIT ?) f"
                " JOIN search_docs d ON d.docid = f.rowid ORDER BY f.rank"
            )
            params: list[Any] = [expression, limit]
        else:
            where, scope_params = scope_sql(scope)
            sql = (
                "SELECT d.paper_id, f.rank FROM papers_fts f"
                " JOIN search_docs d ON d.docid = f.rowid JOIN papers p ON p.id = d.paper_id"
                f" WHERE papers_fts MATCH ? AND {where} ORDER BY f.rank LIMIT ?"
            )
            params = [expression, *scope_params, limit]
        rows = self._pool.get().execute(sql, params).fetchall()
        return [KeywordMatch(row[0], -float(row[1])) for row in rows]

    def keyword_document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        conn = self._pool.get()
        counts: dict[str, int] = {}
        for word in words:
            expression = compile_phrase(Phrase((word,)))
            if expression is None:
                counts[word] = 0
                continue
            row = conn.execute(
                "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (expression,)
            ).fetchone()
            counts[word] = int(row[0])
        return counts

    def keyword_document_total(self) -> int:
        return int(self._pool.get().execute("SELECT count(*) FROM search_docs").fetchone()[0])

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
