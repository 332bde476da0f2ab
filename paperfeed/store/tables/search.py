"""Scopes, embedding generations and stored vectors, in SQL both engines run.

What differs stays with the engine, as hooks: how a vector is bound and read back
(``BLOB`` on SQLite, pgvector's binary format on PostgreSQL), and what a generation's
vector index needs when it is registered or forgotten (nothing beside SQLite, whose
vector index is files; an HNSW index on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from paperfeed.store.base import StoreError
from paperfeed.store.database import Database, Transaction
from paperfeed.store.dialect import Dialect, moment, stored_moment
from paperfeed.store.search import (
    EmbeddingState,
    Generation,
    SearchScope,
    SearchStore,
    StoredEmbedding,
)

_MISSING = (
    "NOT EXISTS (SELECT 1 FROM paper_embeddings e WHERE e.generation = ? AND e.paper_id = p.id)"
)


def scope_sql(
    scope: SearchScope, dialect: Dialect, alias: str = "p", *, mark: str = "?"
) -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, or ``true``) for ``scope`` on the papers table;
    ``mark`` is the placeholder (``%s`` for engine SQL that psycopg composes)."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.category is not None:
        clauses.append(
            f"{alias}.id IN (SELECT paper_id FROM paper_categories WHERE category = {mark})"
        )
        params.append(scope.category)
    if scope.since is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) >= {mark}")
        params.append(scope.since)
    if scope.until is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) <= {mark}")
        params.append(scope.until)
    if scope.author is not None:
        clauses.append(dialect.contains(f"lower({alias}.authors_text)", mark))
        params.append(scope.author.lower())
    return (" AND ".join(clauses) or "true"), params


def _now() -> datetime:
    return datetime.now(UTC)


class SearchTables(SearchStore):
    """``SearchStore`` in SQL both engines run (mixed into the store, which supplies
    how vectors are bound and read, and its vector index's upkeep)."""

    _db: Database
    _VECTOR_COLUMN = "vector"
    """The expression that reads a stored vector (``vector_send(vector)`` on PostgreSQL)."""

    def _vector_param(self, vector: bytes) -> Any:
        """A float32 vector as a statement parameter."""
        return vector

    def _stored_vector(self, value: Any) -> bytes:
        """A vector read through ``_VECTOR_COLUMN`` as float32 bytes."""
        return bytes(value)

    def _generation_added(self, tx: Transaction, name: str, dim: int) -> None:
        """Called in the transaction that ensures a generation (new or not)."""

    def _generation_removed(self, tx: Transaction, name: str) -> None:
        """Called in the transaction that deletes a generation, before its vectors go."""

    # -- scopes and texts -------------------------------------------------------------

    def papers_in_scope(self, paper_ids: Iterable[str], scope: SearchScope) -> set[str]:
        ids = list(paper_ids)
        if scope.is_empty or not ids:
            return set(ids)
        dialect = self._db.dialect
        where, params = scope_sql(scope, dialect)
        rows = self._db.all(
            f"SELECT p.id FROM papers p WHERE {dialect.member('p.id')} AND {where}",
            [dialect.values(ids), *params],
        )
        return {row["id"] for row in rows}

    def paper_ids_in_scope(self, scope: SearchScope, *, limit: int) -> list[str]:
        where, params = scope_sql(scope, self._db.dialect)
        rows = self._db.all(f"SELECT p.id FROM papers p WHERE {where} LIMIT ?", [*params, limit])
        return [row["id"] for row in rows]

    def texts_for_embedding(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        dialect = self._db.dialect
        rows = self._db.all(
            "SELECT id, title_text, abstract_text FROM papers WHERE " + dialect.member("id"),
            (dialect.values(paper_ids),),
        )
        return {row["id"]: (row["title_text"], row["abstract_text"]) for row in rows}

    # -- generations ------------------------------------------------------------------

    def ensure_generation(self, name: str, dim: int) -> None:
        def ensure(tx: Transaction) -> None:
            stored = tx.value("SELECT dim FROM embedding_generations WHERE name = ?", (name,))
            if stored is None:
                tx.execute(
                    "INSERT INTO embedding_generations (name, dim, created_at)"
                    " VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                    (name, dim, _now()),
                )
            elif stored != dim:
                raise StoreError(
                    f"embedding generation {name!r} has {stored} dimensions, not {dim}"
                )
            self._generation_added(tx, name, dim)

        self._db.write(ensure, serial=True)

    def generations(self) -> list[Generation]:
        rows = self._db.all(
            "SELECT g.name, g.dim, g.active, g.created_at, g.activated_at,"
            " (SELECT count(*) FROM paper_embeddings e WHERE e.generation = g.name)"
            " AS embedded FROM embedding_generations g ORDER BY g.created_at, g.name"
        )
        return [
            Generation(
                name=row["name"],
                dim=row["dim"],
                active=bool(row["active"]),
                created_at=stored_moment(row["created_at"]),
                activated_at=moment(row["activated_at"]),
                embedded=row["embedded"],
            )
            for row in rows
        ]

    def active_generation(self) -> str | None:
        name = self._db.value("SELECT name FROM embedding_generations WHERE active")
        return str(name) if name is not None else None

    def activate_generation(self, name: str) -> None:
        def activate(tx: Transaction) -> None:
            if tx.one("SELECT 1 FROM embedding_generations WHERE name = ?", (name,)) is None:
                raise StoreError(f"no embedding generation {name!r}")
            tx.execute("UPDATE embedding_generations SET active = false WHERE active")
            tx.execute(
                "UPDATE embedding_generations SET active = true, activated_at = ? WHERE name = ?",
                (_now(), name),
            )

        self._db.write(activate, serial=True)

    def delete_generation(self, name: str) -> None:
        def delete(tx: Transaction) -> None:
            active = tx.value("SELECT active FROM embedding_generations WHERE name = ?", (name,))
            if active:
                raise StoreError(f"embedding generation {name!r} is active; activate another first")
            self._generation_removed(tx, name)
            tx.execute("DELETE FROM paper_embeddings WHERE generation = ?", (name,))
            tx.execute("DELETE FROM embedding_generations WHERE name = ?", (name,))

        self._db.write(delete, serial=True)

    # -- embeddings -------------------------------------------------------------------

    def papers_missing_embeddings(
        self,
        generation: str,
        paper_ids: Sequence[str] | None = None,
        *,
        after: str = "",
        limit: int,
    ) -> list[str]:
        dialect = self._db.dialect
        wanted, params = "", [after, generation, limit]
        if paper_ids is not None:
            wanted = f" AND {dialect.member('p.id')}"
            params.insert(1, dialect.values(paper_ids))
        rows = self._db.all(
            f"SELECT p.id FROM papers p WHERE p.id > ?{wanted} AND {_MISSING}"
            " ORDER BY p.id LIMIT ?",
            params,
        )
        return [row["id"] for row in rows]

    def count_missing_embeddings(self, generation: str) -> int:
        return int(self._db.value(f"SELECT count(*) FROM papers p WHERE {_MISSING}", (generation,)))

    def put_embeddings(self, generation: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        if not vectors:
            return
        dialect = self._db.dialect
        ids = dialect.values(paper_id for paper_id, _ in vectors)

        def put(tx: Transaction) -> None:
            # Delete then insert, so a replaced vector gets a new (higher) seq.
            tx.execute(
                "DELETE FROM paper_embeddings WHERE generation = ? AND "
                + dialect.member("paper_id"),
                (generation, ids),
            )
            tx.executemany(
                "INSERT INTO paper_embeddings (generation, paper_id, vector)"
                " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)",
                [(generation, pid, self._vector_param(blob), pid) for pid, blob in vectors],
            )

        self._db.write(put, serial=True)

    def embedding_state(self, generation: str) -> EmbeddingState:
        row = self._db.one(
            "SELECT count(*) AS n, coalesce(max(seq), 0) AS seq FROM paper_embeddings"
            " WHERE generation = ?",
            (generation,),
        )
        return EmbeddingState(int(row["n"]), int(row["seq"])) if row else EmbeddingState(0, 0)

    def latest_embedding_seq(self, generation: str) -> int:
        seq = self._db.value(
            "SELECT max(seq) FROM paper_embeddings WHERE generation = ?", (generation,)
        )
        return int(seq or 0)

    def iter_embeddings(
        self, generation: str, *, after_seq: int = 0, batch_size: int = 5000
    ) -> Iterator[list[StoredEmbedding]]:
        statement = (
            f"SELECT seq, paper_id, {self._VECTOR_COLUMN} AS vector FROM paper_embeddings"
            " WHERE generation = ? AND seq > ? ORDER BY seq LIMIT ?"
        )
        while True:
            rows = self._db.all(statement, (generation, after_seq, batch_size))
            if not rows:
                return
            yield [
                StoredEmbedding(row["seq"], row["paper_id"], self._stored_vector(row["vector"]))
                for row in rows
            ]
            after_seq = rows[-1]["seq"]

    def get_embedding(self, generation: str, paper_id: str) -> bytes | None:
        value = self._db.value(
            f"SELECT {self._VECTOR_COLUMN} FROM paper_embeddings"
            " WHERE generation = ? AND paper_id = ?",
            (generation, paper_id),
        )
        return self._stored_vector(value) if value is not None else None
