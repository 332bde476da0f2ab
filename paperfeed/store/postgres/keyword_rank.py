"""Keyword ranking on PostgreSQL in two stages, so a query costs about the same at a
million papers as at ten thousand.

Scoring reads every candidate's ``tsvector``, so scoring every match of an OR of fairly
common words would cost a large share of a second at a million papers. Instead:

1. **Candidates** come from the GIN index alone, in tiers (``candidate_tiers``): the
   papers with the rarest words, in groups whose summed document frequency stays
   within ``CANDIDATES`` (each such tier holds every paper of its words), rarest group
   first, each without the papers of the groups before. Reading stops when the page
   is full and no paper outside the tiers read can score higher (BM25 of a word never
   exceeds its IDF); a tier of common words (a sample of their papers) is read only
   while the page is short. Each tier scores at most ``CANDIDATES`` papers.
2. **Scoring**: BM25 of every phrase of the query, as the embedded (SQLite) keyword
   index scores: IDF from the phrase's document frequency (a phrase's is the sum of its
   words'), a plain word's occurrences counted from the ``tsvector`` and counted
   ``TITLE_BOOST`` more when it is in the title, a phrase or prefix counted once where
   it matches; the paper's length in words against the average over a sample.

``ts_rank`` (the ranking before) has no IDF: a common word in a paper weighed as much as
a rare one. Document frequencies come from the GIN index (one count per phrase) and,
like the collection's size and average length, are cached per process for
``FREQUENCY_TTL_S``: they move slowly.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from paperfeed.store.postgres.connection import Connection

TEXT_CONFIG = "paperfeed_english"
CANDIDATES = 300  # papers scored per tier at most
MAX_TIERS = 4  # statements per query at most
K1 = 1.2  # BM25 term-frequency saturation
B = 0.75  # BM25 length normalisation
TITLE_BOOST = 2.0  # a title occurrence counts 1 + TITLE_BOOST times
FREQUENCY_TTL_S = 600.0
FREQUENCY_CACHE_SIZE = 50_000
LENGTH_SAMPLE = 2_000  # papers whose lengths give the average
EXACT_COUNT_BELOW = 100_000  # larger collections are sized from the planner's estimate


@dataclass(frozen=True, slots=True)
class RankedPhrase:
    """One phrase of the query as it adds to a paper's score.

    ``word``: the phrase is one plain word, whose occurrences are counted. Otherwise it
    counts once where ``anywhere`` matches and ``title_boost`` more where ``in_title``
    does. ``loose`` is the phrase as the GIN index answers it; ``parts``, its words
    as the index answers them, whose IDFs add up to the phrase's.
    """

    word: str | None
    anywhere: str
    in_title: str
    title_boost: float
    loose: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A keyword query as ``tsquery`` texts, one per phrase, by role; ``loose_*`` hold
    the same phrases as plain ANDs of unweighted words, which the GIN index answers
    without reading any ``tsvector`` (a phrase or a field needs every candidate's
    ``tsvector`` to check positions and weights: costly when its words are common).
    ``ranked``: the phrases that score (should and must)."""

    should: tuple[str, ...]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    loose_should: tuple[str, ...]
    loose_must: tuple[str, ...]
    ranked: tuple[RankedPhrase, ...] = ()

    def whole(self) -> str:
        """The query itself: every must, any should (if any), no must_not."""
        expression = _combine(self.must, self.should, every=False)
        for negative in self.must_not:
            expression = f"({expression}) & !({negative})"
        return expression

    def tier(self, should: Sequence[str], *, every: bool) -> str:
        """Candidates: every loose must, and all or any of ``should`` (loose phrases).
        A superset of what it stands for; the ranking query checks the whole query."""
        return _combine(self.loose_must, should, every=every)


def _combine(must: Sequence[str], should: Sequence[str], *, every: bool) -> str:
    parts = [f"({p})" for p in must]
    if should:
        # A must phrase inside the OR keeps the should phrases optional when musts exist.
        alternatives = list(should) if every else list(should) + list(must[:1])
        parts.append("(" + (" & " if every else " | ").join(f"({p})" for p in alternatives) + ")")
    return " & ".join(parts)


@dataclass(frozen=True, slots=True)
class Collection:
    """What BM25 needs of the whole collection."""

    papers: int
    average_length: float


class TermFrequencies:
    """Papers per phrase, words' lexemes, and the collection's size and average length,
    from the database, cached for a while (lexemes for good: stemming never changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lexemes: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._collection: tuple[Collection, float] | None = None

    def get(self, conn: Connection, expressions: Sequence[str]) -> dict[str, int]:
        now = time.monotonic()
        found: dict[str, int] = {}
        with self._lock:
            for expression in expressions:
                cached = self._counts.get(expression)
                if cached is not None and now - cached[1] < FREQUENCY_TTL_S:
                    found[expression] = cached[0]
        for expression in expressions:
            if expression not in found:
                found[expression] = count_matches(conn, expression)
        self.remember(found, now)
        return found

    def remember(self, counts: dict[str, int], now: float | None = None) -> None:
        stamp = time.monotonic() if now is None else now
        with self._lock:
            for expression, count in counts.items():
                self._counts[expression] = (count, stamp)
                self._counts.move_to_end(expression)
            while len(self._counts) > FREQUENCY_CACHE_SIZE:
                self._counts.popitem(last=False)

    def lexemes(self, conn: Connection, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each word's lexemes under the text search configuration (usually one)."""
        with self._lock:
            found = {w: self._lexemes[w] for w in words if w in self._lexemes}
        missing = [w for w in dict.fromkeys(words) if w not in found]
        if missing:
            rows = conn.execute(
                f"SELECT w AS word, tsvector_to_array(to_tsvector('{TEXT_CONFIG}', w)) AS lexemes"
                " FROM unnest(%s::text[]) AS w",
                (missing,),
            ).fetchall()
            fresh = {row["word"]: tuple(row["lexemes"]) for row in rows}
            found.update(fresh)
            with self._lock:
                self._lexemes.update(fresh)
                while len(self._lexemes) > FREQUENCY_CACHE_SIZE:
                    self._lexemes.popitem(last=False)
        return found

    def collection(self, conn: Connection) -> Collection:
        now = time.monotonic()
        with self._lock:
            cached = self._collection
        if cached is not None and now - cached[1] < FREQUENCY_TTL_S:
            return cached[0]
        fresh = measure_collection(conn)
        with self._lock:
            self._collection = (fresh, now)
        return fresh


def count_matches(conn: Connection, expression: str) -> int:
    row = conn.execute(
        f"SELECT count(*) AS n FROM paper_search WHERE document @@ to_tsquery('{TEXT_CONFIG}', %s)",
        (expression,),
    ).fetchone()
    return int(row["n"]) if row else 0


def measure_collection(conn: Connection) -> Collection:
    """The papers searched and their average length in words, over a sample."""
    row = conn.execute(
        "SELECT avg((SELECT sum(cardinality(positions)) FROM unnest(document)))::float8"
        f" AS average FROM (SELECT document FROM paper_search LIMIT {LENGTH_SAMPLE}) sample"
    ).fetchone()
    average = float(row["average"]) if row and row["average"] else 1.0
    return Collection(count_papers(conn), max(average, 1.0))


def count_papers(conn: Connection) -> int:
    """Papers searched: the planner's estimate when large (counting reads the table)."""
    row = conn.execute(
        "SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'paper_search'::regclass"
    ).fetchone()
    papers = int(row["n"]) if row else -1
    if papers < EXACT_COUNT_BELOW:
        row = conn.execute("SELECT count(*) AS n FROM paper_search").fetchone()
        papers = int(row["n"]) if row else 0
    return papers


def idf(papers: int, matches: int) -> float:
    """BM25's inverse document frequency (Lucene's, never negative), times ``K1 + 1``
    so that a term's score is ``idf * tf / (tf + k)``, below ``idf`` whatever ``tf``."""
    papers = max(papers, matches)
    return (K1 + 1) * math.log(1 + (papers - matches + 0.5) / (matches + 0.5))


def phrase_weights(
    ranked: Sequence[RankedPhrase], frequencies: dict[str, int], papers: int
) -> dict[RankedPhrase, float]:
    """Each phrase's IDF: the sum of its words' (a phrase of rare words is rarer still)."""
    return {
        phrase: sum(idf(papers, frequencies.get(part, 0)) for part in phrase.parts)
        for phrase in ranked
    }


@dataclass(frozen=True, slots=True)
class Tier:
    """Candidates: papers matching ``query``. ``complete``: it holds every match (no
    more than ``CANDIDATES``). ``bound``: the highest score a paper outside this and
    the earlier tiers can reach."""

    query: str
    complete: bool
    bound: float


def candidate_tiers(
    compiled: CompiledQuery, frequencies: dict[str, int], weights: dict[str, float]
) -> list[Tier]:
    """At most ``MAX_TIERS`` candidate tiers, strictest first (``frequencies`` and
    ``weights``: papers and IDF per loose should phrase).

    Groups of phrases, rarest first, each group's summed frequency within
    ``CANDIDATES`` (so its tier holds every paper of its words), each without the
    papers of the groups before; a phrase commoner than that makes a tier alone, an
    incomplete one (a sample of its papers: worth reading only while the page is
    short). When even the rarest phrase is that common, the papers with every phrase
    come first.
    """
    should = sorted(compiled.loose_should, key=lambda p: (frequencies.get(p, 0), p))
    required = sum(weights.get(p, 0.0) for p in compiled.loose_must)
    total = required + sum(weights.get(p, 0.0) for p in should)
    tiers: list[Tier] = []
    if len(should) > 1 and frequencies.get(should[0], 0) > CANDIDATES:
        tiers.append(Tier(compiled.tier(should, every=True), complete=False, bound=total))
    done: list[str] = []
    while should and len(tiers) < MAX_TIERS:
        group: list[str] = []
        budget = 0
        for phrase in should:
            if group and budget + frequencies.get(phrase, 0) > CANDIDATES:
                break
            budget += frequencies.get(phrase, 0)
            group.append(phrase)
        should = should[len(group) :]
        tiers.append(_group_tier(compiled, group, done, required, should, weights, budget))
        done += group
    if not tiers:  # no should phrase: the must phrases alone
        tiers.append(_group_tier(compiled, [], [], required, [], weights, 0))
    return tiers


def _group_tier(
    compiled: CompiledQuery,
    group: list[str],
    done: list[str],
    required: float,
    rest: list[str],
    weights: dict[str, float],
    papers: int,
) -> Tier:
    query = compiled.tier(group, every=False)
    if done:
        # Papers of earlier tiers were scored already.
        query = f"({query}) & !(" + " | ".join(f"({p})" for p in done) + ")"
    bound = required + sum(weights.get(p, 0.0) for p in rest)
    return Tier(query, complete=papers <= CANDIDATES, bound=bound)


@dataclass(frozen=True, slots=True)
class Scoring:
    """How candidates are scored: BM25 of the query's plain words (``lexemes``, their
    IDF ``weights`` and the ``titles`` tsquery texts that find them in a title), plus
    an SQL expression for its phrases, with its parameters. ``words``: a tsquery text
    that any paper matching the query matches, for its length."""

    lexemes: list[str]
    weights: list[float]
    titles: list[str]
    words: str
    matched: str
    matched_params: list[Any]

    def statement(self, join: str, where: str, average_length: float) -> str:
        """Score the first ``CANDIDATES`` papers of a tier; parameters from ``params``.

        A paper's length is its number of words, as BM25 means it. PostgreSQL only
        exposes it through ``ts_rank``'s normalisation by length (rank without it over
        rank with it); unpacking the ``tsvector`` to count costs ten times more. Only
        the query's lexemes are unpacked: marked with the weight D (no document uses
        it) and filtered on it.
        """
        length = (
            f"coalesce({_rank(0)} / nullif({_rank(2)}, 0), length(i.document))"
            f" / {float(average_length)!r}"
        )
        candidates = (
            f"SELECT s.paper_id, s.document FROM paper_search s{join}"
            f" WHERE s.document @@ to_tsquery('{TEXT_CONFIG}', %s){where} LIMIT {CANDIDATES}"
        )
        matching = (
            f"SELECT i.paper_id, i.document, {K1} * ({1 - B} + {B} * {length}) AS k"
            f" FROM ({candidates}) i, t WHERE i.document @@ t.whole OFFSET 0"
        )
        counted = (
            "(SELECT coalesce(sum(w.idf * w.n / (w.n + j.k)), 0) FROM"
            " (SELECT (%s::float8[])[array_position(%s::text[], a.lexeme)] AS idf,"
            f" cardinality(a.positions) + {TITLE_BOOST}::float8"
            " * (j.document @@ t.titles[array_position(%s::text[], a.lexeme)])::int AS n"
            " FROM unnest(ts_filter(setweight(j.document, 'D', %s::text[]), '{d}')) a) w)"
        )
        return (
            f"WITH t AS MATERIALIZED (SELECT to_tsquery('{TEXT_CONFIG}', %s) AS whole,"
            f" to_tsquery('{TEXT_CONFIG}', %s) AS words,"
            f" ARRAY(SELECT to_tsquery('{TEXT_CONFIG}', x) FROM unnest(%s::text[])"
            " WITH ORDINALITY AS u(x, o) ORDER BY o) AS titles)"
            f" SELECT j.paper_id, {counted} + {self.matched} AS score"
            f" FROM ({matching}) j, t ORDER BY score DESC, j.paper_id LIMIT %s"
        )

    def params(self, tier: str, scope_params: Sequence[Any], whole: str, limit: int) -> list[Any]:
        """The parameters of ``statement`` for one tier."""
        lexemes = [self.weights, self.lexemes, self.lexemes, self.lexemes]
        return [
            whole,
            self.words,
            self.titles,
            *lexemes,
            *self.matched_params,
            tier,
            *scope_params,
            limit,
        ]


def _rank(normalisation: int) -> str:
    return f"ts_rank('{{1, 1, 1, 1}}', i.document, t.words, {normalisation})"


def scoring(weights: dict[RankedPhrase, float], lexemes: dict[str, tuple[str, ...]]) -> Scoring:
    """BM25 of the query's phrases (with their IDF ``weights``; ``lexemes`` of words)."""
    counted: dict[str, tuple[float, str]] = {}
    matched: list[str] = []
    params: list[Any] = []
    for phrase, weight in weights.items():
        found = lexemes.get(phrase.word, ()) if phrase.word is not None else ()
        if len(found) == 1:
            # Two words with one stem count twice, as two query terms do in BM25.
            earlier = counted.get(found[0], (0.0, phrase.in_title))
            counted[found[0]] = (earlier[0] + weight, earlier[1])
            continue
        presence = (
            f"((j.document @@ to_tsquery('{TEXT_CONFIG}', %s))::int"
            f" + %s::float8 * (j.document @@ to_tsquery('{TEXT_CONFIG}', %s))::int)"
        )
        matched.append(f"%s::float8 * {presence} / ({presence} + j.k)")
        single = [phrase.anywhere, phrase.title_boost, phrase.in_title]
        params += [weight, *single, *single]
    every_word = (phrase.loose.replace(" & ", " | ") for phrase in weights)
    return Scoring(
        lexemes=list(counted),
        weights=[weight for weight, _ in counted.values()],
        titles=[title for _, title in counted.values()],
        words=" | ".join(f"({w})" for w in every_word),
        matched=" + ".join(matched) or "0",
        matched_params=params,
    )
