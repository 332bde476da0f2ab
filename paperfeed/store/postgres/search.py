"""What only PostgreSQL does for search: keyword ranking over tsvector + GIN
(``FullTextSearch``), and vectors in pgvector with HNSW indexes.

Keyword queries are compiled from the ``KeywordQuery`` tree into ``tsquery`` text in
which every word is a quoted lexeme made only of word characters, so no user text is
ever read as query syntax. Ranking is BM25 with the title counted extra, as the
embedded (SQLite) keyword index ranks, over a few hundred candidates chosen tier by tier
from the GIN index (``keyword_rank``).

Vectors live in ``paper_embeddings`` (float32, the source of truth); each generation
has a partial HNSW index over the vectors cast to ``halfvec``, so nearest-neighbour
search happens in SQL and every web process shares one index. Generations and the
vectors' reads and writes are the shared layer's (``store/tables/search.py``), with the
binding, reading and index upkeep given here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any, cast

from psycopg import sql

from paperfeed.store.database import Transaction
from paperfeed.store.dialect import POSTGRESQL
from paperfeed.store.postgres.connection import Connection, PostgresPool
from paperfeed.store.postgres.database import PostgresTransaction
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
    FullTextSearch,
    KeywordMatch,
    KeywordQuery,
    Phrase,
    SearchScope,
    VectorSearch,
)
from paperfeed.store.tables.search import SearchTables, scope_sql

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


def hnsw_index_name(generation: str) -> str:
    """A stable, valid identifier for a generation's HNSW index."""
    return (
        "paper_embeddings_hnsw_" + hashlib.blake2b(generation.encode(), digest_size=6).hexdigest()
    )


def _halfvec(column: sql.Composable, dim: int) -> sql.Composed:
    return sql.SQL("({}::halfvec({}))").format(column, sql.Literal(dim))


class PostgresSearch(SearchTables, FullTextSearch, VectorSearch):
    """Mixed into ``PostgresPaperStore``: its full-text keyword search, and the
    pgvector side of the shared search tables; uses its pool (``self._pool``)."""

    _pool: PostgresPool
    _VECTOR_COLUMN = "vector_send(vector)"

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
            condition, scope_params = scope_sql(scope, POSTGRESQL, mark="%s")
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

    def find_papers_by_doi(self, doi: str) -> list[str]:
        rows = self._db.all(
            "SELECT id FROM papers WHERE doi IS NOT NULL AND lower(doi) = lower(?) ORDER BY id",
            (doi,),
        )
        return [row["id"] for row in rows]

    # -- vectors in pgvector ----------------------------------------------------------

    def _vector_param(self, vector: bytes) -> Any:
        return PgVector(vector)

    def _stored_vector(self, value: Any) -> bytes:
        return from_vector_send(value)

    def _generation_added(self, tx: Transaction, name: str, dim: int) -> None:
        create_vector_index(cast(PostgresTransaction, tx).conn, name, dim)

    def _generation_removed(self, tx: Transaction, name: str) -> None:
        cast(PostgresTransaction, tx).conn.execute(
            sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(hnsw_index_name(name)))
        )

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

    # -- nearest neighbours in SQL ----------------------------------------------------

    def nearest_papers(
        self,
        generation: str,
        vector: bytes,
        scope: SearchScope,
        *,
        limit: int,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
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
    ) -> dict[str, float]:
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
    condition, params = scope_sql(scope, POSTGRESQL, mark="%s")
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
