"""PostgreSQL implementation of ``SearchStore``: tsvector + GIN, and pgvector HNSW.

Keyword queries are compiled from the ``KeywordQuery`` tree into ``tsquery`` text in
which every word is a quoted lexeme made only of word characters, so no user text is
ever read as query syntax. Ranking is BM25 with the title counted extra, as the
embedded (SQLite) keyword index ranks, over a few hundred candidates chosen tier by tier
from the GIN index (``keyword_rank``).

Vectors live in ``paper_embeddings`` (float32, the source of truth); each generation
has a partial HNSW index over the vectors cast to ``halfvec``, so nearest-neighbour
search happens in SQL and every web process shares one index.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from psycopg import sql

from paperfeed.store.base import StoreError
from paperfeed.store.postgres.connection import Connection, PostgresPool
from paperfeed.store.postgres.keyword_frequencies import (
    TermFrequencies,
    count_papers,
    refresh_lexicon,
)
from paperfeed.store.postgres.keyword_rank import (
    TITLE_BOOST,
    CompiledQuery,
    RankedPhrase,
    candidate_tiers,
    phrase_weights,
    scoring,
)
from paperfeed.store.postgres.vectors import PgVector, from_vector_send
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

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 100
# pgvector refuses a larger ef_search; deeper pages come from its iterative scan.
HNSW_EF_SEARCH_MAX = 1000
_FIELD_WEIGHTS = {"title": "A", "authors": "B", "abstract": "C"}
_WORD = re.compile(r"\w+")


def compile_phrase(phrase: Phrase, *, loose: bool = False) -> str | None:
    """``'w1':A <-> 'w2':A*``; ``None`` when no word has a letter or digit.

    ``loose``: the words ANDed, unweighted (``'w1' & 'w2':*``), which the GIN index
    answers alone: a superset of the phrase's matches.
    """
    words = [piece for w in phrase.words for piece in _WORD.findall(w)]
    words = [w for w in words if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    weight = _FIELD_WEIGHTS[phrase.field] if phrase.field and not loose else ""
    lexemes = [f"'{w}':{weight}" if weight else f"'{w}'" for w in words]
    if phrase.prefix:
        last = lexemes[-1]
        lexemes[-1] = f"{last}*" if weight else f"{last}:*"
    return (" & " if loose else " <-> ").join(lexemes)


def compile_query(query: KeywordQuery) -> CompiledQuery | None:
    """The phrases of ``query`` as tsquery texts; ``None`` when it can match nothing."""
    should = [p for p in query.should if compile_phrase(p)]
    must = [p for p in query.must if compile_phrase(p)]
    if not must and not should:
        return None
    return CompiledQuery(
        should=tuple(_compiled(should)),
        must=tuple(_compiled(must)),
        must_not=tuple(_compiled(query.must_not)),
        loose_should=tuple(_compiled(should, loose=True)),
        loose_must=tuple(_compiled(must, loose=True)),
        ranked=tuple(ranked_phrase(p) for p in [*should, *must]),
    )


def ranked_phrase(phrase: Phrase) -> RankedPhrase:
    """How ``phrase`` (one that compiles) scores: a plain word by its occurrences; a
    phrase anywhere by where it matches, the title boosted; a phrase in a field by
    where it matches in that field."""
    anywhere = compile_phrase(phrase)
    loose = compile_phrase(phrase, loose=True)
    assert anywhere is not None and loose is not None
    words = [piece for w in phrase.words for piece in _WORD.findall(w)]
    parts: tuple[str, ...] = (loose,)
    if len(words) > 1 and not phrase.prefix:
        parts = tuple(e for e in (compile_phrase(Phrase((w,)), loose=True) for w in words) if e)
    if phrase.field is not None:
        return RankedPhrase(None, anywhere, anywhere, 0.0, loose, parts)
    in_title = compile_phrase(Phrase(phrase.words, prefix=phrase.prefix, field="title"))
    assert in_title is not None
    word = words[0] if len(words) == 1 and not phrase.prefix else None
    return RankedPhrase(word, anywhere, in_title, TITLE_BOOST, loose, parts)


def _compiled(phrases: Iterable[Phrase], *, loose: bool = False) -> Iterator[str]:
    for phrase in phrases:
        compiled = compile_phrase(phrase, loose=loose)
        if compiled is not None:
            yield compiled


def scope_sql(scope: SearchScope, alias: str = "p") -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, or ``true``) for ``scope`` on the papers table."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.category is not None:
        clauses.append(f"{alias}.id IN (SELECT paper_id FROM paper_categories WHERE category = %s)")
        params.append(scope.category)
    if scope.since is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) >= %s")
        params.append(scope.since)
    if scope.until is not None:
        clauses.append(f"coalesce({alias}.announced, {alias}.published) <= %s")
        params.append(scope.until)
    if scope.author is not None:
        clauses.append(f"strpos(lower({alias}.authors_text), %s) > 0")
        params.append(scope.author.lower())
    return (" AND ".join(clauses) or "true"), params


def hnsw_index_name(generation: str) -> str:
    """A stable, valid identifier for a generation's HNSW index."""
    return (
        "paper_embeddings_hnsw_" + hashlib.blake2b(generation.encode(), digest_size=6).hexdigest()
    )


def _halfvec(column: sql.Composable, dim: int) -> sql.Composed:
    return sql.SQL("({}::halfvec({}))").format(column, sql.Literal(dim))


def _now() -> datetime:
    return datetime.now(UTC)


class PostgresSearchStore(SearchStore):
    """Mixed into ``PostgresPaperStore``; uses its pool (``self._pool``)."""

    _pool: PostgresPool

    # -- keyword index ----------------------------------------------------------------

    def keyword_search(
        self,
        query: KeywordQuery,
        scope: SearchScope = SearchScope(),  # noqa: B008 - frozen, never mutated
        *,
        limit: int = 20,
    ) -> list[KeywordMatch]:
        """Two stages (see ``keyword_rank``): candidates tier by tier from the GIN
        index, then at most a few hundred of them ranked per tier."""
        compiled = compile_query(query)
        if compiled is None or limit <= 0:
            return []
        join, where, scope_params = "", "", list[Any]()
        if not scope.is_empty:
            condition, scope_params = scope_sql(scope)
            join, where = " JOIN papers p ON p.id = s.paper_id", f" AND {condition}"
        whole = compiled.whole()
        frequencies = self._term_frequencies()
        counted = [*compiled.loose_should, *(e for p in compiled.ranked for e in p.parts)]
        words = [p.word for p in compiled.ranked if p.word is not None]

        def search(conn: Connection) -> list[KeywordMatch]:
            counts = frequencies.get(conn, list(dict.fromkeys(counted)))
            collection = frequencies.collection(conn)
            weights = phrase_weights(compiled.ranked, counts, collection.papers)
            score = scoring(weights, frequencies.lexemes(conn, words))
            statement = score.statement(join, where, collection.average_length)
            by_loose = {p.loose: w for p, w in weights.items()}
            # With LIMIT, the planner may walk the whole table hoping to find enough
            # matches early; for rare words that reads every paper. Candidates always
            # come from the GIN index.
            conn.execute("SET LOCAL enable_seqscan = off")
            found: dict[str, float] = {}
            for tier in candidate_tiers(compiled, counts, by_loose, collection.papers):
                if not tier.read_when_full and len(found) >= limit:
                    continue  # only to fill a short page (see candidate_tiers)
                params = score.params(tier.query, scope_params, whole, limit)
                rows = conn.execute(statement, params).fetchall()
                found.update((row["paper_id"], float(row["score"])) for row in rows)
                if len(found) >= limit and sorted(found.values())[-limit] >= tier.bound:
                    break  # no paper outside the tiers so far can score higher
            best = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]
            return [KeywordMatch(paper_id, score) for paper_id, score in best]

        return self._pool.run(search)

    def _term_frequencies(self) -> TermFrequencies:
        """This store's cache of document frequencies (made on first use)."""
        cached = self.__dict__.get("_keyword_frequencies")
        if cached is None:
            cached = self.__dict__.setdefault("_keyword_frequencies", TermFrequencies())
        return cached  # type: ignore[no-any-return]

    def keyword_document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        compiled = {word: compile_phrase(Phrase((word,))) for word in words}
        expressions = [e for e in compiled.values() if e is not None]
        counts = self._pool.run(lambda conn: self._term_frequencies().get(conn, expressions))
        return {word: counts[e] if e is not None else 0 for word, e in compiled.items()}

    def keyword_document_total(self) -> int:
        return self._pool.run(count_papers)

    def refresh_keyword_statistics(self, *, force: bool = False) -> int:
        written = self._pool.run(partial(refresh_lexicon, force=force))
        if written is None:
            return 0
        self._term_frequencies().forget()
        return written

    def _scalar(self, statement: str, params: Sequence[Any] = ()) -> int:
        row = self._pool.run(lambda conn: conn.execute(statement, params).fetchone())
        return int(row["n"] or 0) if row else 0

    def papers_in_scope(self, paper_ids: Iterable[str], scope: SearchScope) -> set[str]:
        ids = list(paper_ids)
        if scope.is_empty or not ids:
            return set(ids)
        where, params = scope_sql(scope)
        rows = self._pool.run(
            lambda conn: conn.execute(
                f"SELECT p.id FROM papers p WHERE p.id = ANY(%s) AND {where}", [ids, *params]
            ).fetchall()
        )
        return {row["id"] for row in rows}

    def paper_ids_in_scope(self, scope: SearchScope, *, limit: int) -> list[str]:
        where, params = scope_sql(scope)
        rows = self._pool.run(
            lambda conn: conn.execute(
                f"SELECT p.id FROM papers p WHERE {where} LIMIT %s", [*params, limit]
            ).fetchall()
        )
        return [row["id"] for row in rows]

    def find_papers_by_doi(self, doi: str) -> list[str]:
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT id FROM papers WHERE doi IS NOT NULL AND lower(doi) = lower(%s)"
                " ORDER BY id",
                (doi,),
            ).fetchall()
        )
        return [row["id"] for row in rows]

    def texts_for_embedding(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        ids = list(paper_ids)
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT id, title_text, abstract_text FROM papers WHERE id = ANY(%s)", (ids,)
            ).fetchall()
        )
        return {row["id"]: (row["title_text"], row["abstract_text"]) for row in rows}

    # -- embeddings -------------------------------------------------------------------

    def ensure_generation(self, name: str, dim: int) -> None:
        def ensure(conn: Connection) -> None:
            row = conn.execute(
                "SELECT dim FROM embedding_generations WHERE name = %s", (name,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO embedding_generations (name, dim, created_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (name) DO NOTHING",
                    (name, dim, _now()),
                )
            elif row["dim"] != dim:
                raise StoreError(
                    f"embedding generation {name!r} has {row['dim']} dimensions, not {dim}"
                )
            create_vector_index(conn, name, dim)

        self._pool.run(ensure, write=True)

    def build_vector_indexes(self) -> list[str]:
        """Create the HNSW index of every generation that lacks one (after a bulk load:
        building once is far faster than growing the graph row by row)."""

        def build(conn: Connection) -> list[str]:
            conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            built = []
            for row in conn.execute("SELECT name, dim FROM embedding_generations").fetchall():
                if create_vector_index(conn, row["name"], row["dim"]):
                    built.append(row["name"])
            return built

        return self._pool.run(build, write=True)

    def generations(self) -> list[Generation]:
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT g.name, g.dim, g.active, g.created_at, g.activated_at,"
                " (SELECT count(*) FROM paper_embeddings e WHERE e.generation = g.name)"
                " AS embedded FROM embedding_generations g ORDER BY g.created_at, g.name"
            ).fetchall()
        )
        return [
            Generation(
                name=row["name"],
                dim=row["dim"],
                active=row["active"],
                created_at=row["created_at"],
                activated_at=row["activated_at"],
                embedded=row["embedded"],
            )
            for row in rows
        ]

    def active_generation(self) -> str | None:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT name FROM embedding_generations WHERE active"
            ).fetchone()
        )
        return str(row["name"]) if row else None

    def activate_generation(self, name: str) -> None:
        def activate(conn: Connection) -> None:
            if not conn.execute(
                "SELECT 1 FROM embedding_generations WHERE name = %s", (name,)
            ).fetchone():
                raise StoreError(f"no embedding generation {name!r}")
            conn.execute("UPDATE embedding_generations SET active = false WHERE active")
            conn.execute(
                "UPDATE embedding_generations SET active = true, activated_at = %s WHERE name = %s",
                (_now(), name),
            )

        self._pool.run(activate, write=True)

    def delete_generation(self, name: str) -> None:
        def delete(conn: Connection) -> None:
            row = conn.execute(
                "SELECT active FROM embedding_generations WHERE name = %s", (name,)
            ).fetchone()
            if row is not None and row["active"]:
                raise StoreError(f"embedding generation {name!r} is active; activate another first")
            conn.execute(
                sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(hnsw_index_name(name)))
            )
            conn.execute("DELETE FROM paper_embeddings WHERE generation = %s", (name,))
            conn.execute("DELETE FROM embedding_generations WHERE name = %s", (name,))

        self._pool.run(delete, write=True)

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
            " WHERE e.generation = %s AND e.paper_id = p.id)"
        )
        if paper_ids is None:
            statement = f"SELECT p.id FROM papers p WHERE p.id > %s AND {missing} ORDER BY p.id"
            params: list[Any] = [after, generation]
        else:
            statement = (
                f"SELECT p.id FROM papers p WHERE p.id = ANY(%s) AND p.id > %s AND {missing}"
                " ORDER BY p.id"
            )
            params = [list(paper_ids), after, generation]
        rows = self._pool.run(
            lambda conn: conn.execute(statement + " LIMIT %s", [*params, limit]).fetchall()
        )
        return [row["id"] for row in rows]

    def count_missing_embeddings(self, generation: str) -> int:
        return self._scalar(
            "SELECT count(*) AS n FROM papers p WHERE NOT EXISTS (SELECT 1 FROM"
            " paper_embeddings e WHERE e.generation = %s AND e.paper_id = p.id)",
            (generation,),
        )

    def put_embeddings(self, generation: str, vectors: Sequence[tuple[str, bytes]]) -> None:
        if not vectors:
            return
        ids = [paper_id for paper_id, _ in vectors]

        def put(conn: Connection) -> None:
            # Delete then insert, so a replaced vector gets a new (higher) seq.
            conn.execute(
                "DELETE FROM paper_embeddings WHERE generation = %s AND paper_id = ANY(%s)",
                (generation, ids),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO paper_embeddings (generation, paper_id, vector)"
                    " SELECT %s, %s, %b WHERE EXISTS (SELECT 1 FROM papers WHERE id = %s)",
                    [(generation, pid, PgVector(blob), pid) for pid, blob in vectors],
                )

        self._pool.run(put, write=True)

    def embedding_state(self, generation: str) -> EmbeddingState:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT count(*) AS n, coalesce(max(seq), 0) AS seq FROM paper_embeddings"
                " WHERE generation = %s",
                (generation,),
            ).fetchone()
        )
        return EmbeddingState(int(row["n"]), int(row["seq"])) if row else EmbeddingState(0, 0)

    def latest_embedding_seq(self, generation: str) -> int:
        return self._scalar(
            "SELECT max(seq) AS n FROM paper_embeddings WHERE generation = %s", (generation,)
        )

    def iter_embeddings(
        self, generation: str, *, after_seq: int = 0, batch_size: int = 5000
    ) -> Iterator[list[StoredEmbedding]]:
        statement = (
            "SELECT seq, paper_id, vector_send(vector) AS vector FROM paper_embeddings"
            " WHERE generation = %s AND seq > %s ORDER BY seq LIMIT %s"
        )
        while True:
            rows = self._pool.run(
                partial(_fetch_all, statement=statement, params=(generation, after_seq, batch_size))
            )
            if not rows:
                return
            yield [
                StoredEmbedding(row["seq"], row["paper_id"], from_vector_send(row["vector"]))
                for row in rows
            ]
            after_seq = rows[-1]["seq"]

    def get_embedding(self, generation: str, paper_id: str) -> bytes | None:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT vector_send(vector) AS vector FROM paper_embeddings"
                " WHERE generation = %s AND paper_id = %s",
                (generation, paper_id),
            ).fetchone()
        )
        return from_vector_send(row["vector"]) if row else None

    # -- nearest neighbours in SQL ----------------------------------------------------

    def searches_vectors(self) -> bool:
        return True

    def searches_keywords(self) -> bool:
        return True

    def nearest_papers(
        self,
        generation: str,
        vector: bytes,
        scope: SearchScope,
        *,
        limit: int,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]] | None:
        """HNSW search (iterative, so filters still fill ``limit``); exact search over
        the papers in scope when a selective filter leaves the graph walk short."""
        if limit <= 0:
            return []

        def search(conn: Connection) -> list[tuple[str, float]]:
            row = conn.execute(
                "SELECT dim FROM embedding_generations WHERE name = %s", (generation,)
            ).fetchone()
            if row is None or row["dim"] * 4 != len(vector):
                return []
            ef_search = min(HNSW_EF_SEARCH_MAX, max(HNSW_EF_SEARCH, limit))
            conn.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            found = _nearest(conn, generation, row["dim"], vector, scope, limit, exclude, True)
            if len(found) < limit and not scope.is_empty:
                found = _nearest(conn, generation, row["dim"], vector, scope, limit, exclude, False)
            return found

        return self._pool.run(search)

    def paper_similarities(
        self, generation: str, vector: bytes, paper_ids: Sequence[str]
    ) -> dict[str, float] | None:
        """Computed as the HNSW search computes them (half precision), so a paper scores
        the same whichever way it was found."""
        if not paper_ids:
            return {}

        def similarities(conn: Connection) -> dict[str, float]:
            row = conn.execute(
                "SELECT dim FROM embedding_generations WHERE name = %s", (generation,)
            ).fetchone()
            if row is None or row["dim"] * 4 != len(vector):
                return {}
            distance = sql.SQL("{} <=> {}").format(
                _halfvec(sql.SQL("vector"), row["dim"]), _halfvec(sql.SQL("%b::vector"), row["dim"])
            )
            statement = sql.SQL(
                "SELECT paper_id, 1 - ({}) AS score FROM paper_embeddings"
                " WHERE generation = %s AND paper_id = ANY(%s)"
            ).format(distance)
            rows = conn.execute(
                statement, [PgVector(vector), generation, list(paper_ids)]
            ).fetchall()
            return {r["paper_id"]: float(r["score"]) for r in rows}

        return self._pool.run(similarities)


def _fetch_all(conn: Connection, *, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    return conn.execute(statement, params).fetchall()


def create_vector_index(conn: Connection, generation: str, dim: int) -> bool:
    """The generation's HNSW index, if missing; True when it was created now."""
    name = hnsw_index_name(generation)
    if conn.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (name,)).fetchone()["found"]:  # type: ignore[index]
        return False
    # Minutes over a million vectors: the pool's per-statement limit is meant for queries.
    conn.execute("SET LOCAL statement_timeout = 0")
    conn.execute(
        sql.SQL(
            "CREATE INDEX {} ON paper_embeddings USING hnsw ({} halfvec_cosine_ops)"
            " WITH (m = {}, ef_construction = {}) WHERE generation = {}"
        ).format(
            sql.Identifier(name),
            _halfvec(sql.Identifier("vector"), dim),
            sql.Literal(HNSW_M),
            sql.Literal(HNSW_EF_CONSTRUCTION),
            sql.Literal(generation),
        )
    )
    return True


def _nearest(
    conn: Connection,
    generation: str,
    dim: int,
    vector: bytes,
    scope: SearchScope,
    limit: int,
    exclude: Sequence[str],
    use_index: bool,
) -> list[tuple[str, float]]:
    """One nearest-neighbour query: through the HNSW index, or exact (no index)."""
    column = _halfvec(sql.SQL("e.vector"), dim) if use_index else sql.SQL("e.vector")
    target = _halfvec(sql.SQL("%b::vector"), dim) if use_index else sql.SQL("%b::vector")
    distance = sql.SQL("{} <=> {}").format(column, target)
    condition, params = scope_sql(scope)
    join = "" if scope.is_empty else " JOIN papers p ON p.id = e.paper_id"
    statement = sql.SQL(
        "SELECT paper_id, 1 - distance AS score FROM (SELECT e.paper_id, {} AS distance"
        " FROM paper_embeddings e{} WHERE e.generation = {} AND {} AND NOT"
        " (e.paper_id = ANY(%s)) ORDER BY {} LIMIT %s) hits ORDER BY distance, paper_id"
    ).format(
        distance,
        sql.SQL(join),
        sql.Literal(generation),
        sql.SQL(condition),
        distance,
    )
    query = PgVector(vector)
    rows = conn.execute(statement, [query, *params, list(exclude), query, limit]).fetchall()
    return [(row["paper_id"], float(row["score"])) for row in rows]
