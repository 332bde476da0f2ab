"""Keyword ranking on PostgreSQL in two stages, so a query costs about the same at a
million papers as at ten thousand.

Scoring reads every candidate's ``tsvector``, so scoring every match of an OR of fairly
common words would cost a large share of a second at a million papers. Instead:

1. **Candidates** come from the GIN index alone, in tiers (``candidate_tiers``): the
   papers with the rarest words, in groups whose summed document frequency stays
   within ``CANDIDATES`` (each such tier holds every paper of its words), rarest group
   first; then the papers of a commoner word that also hold one of the next words
   (few enough to be read whole, by the words' frequencies); each tier without the
   papers of the tiers before. Reading stops when the page is full and no paper
   outside the tiers read can score higher (BM25 of a word never exceeds its IDF).
   Each tier scores at most ``CANDIDATES`` papers.
2. **Scoring**: BM25 of every phrase of the query, as the embedded (SQLite) keyword
   index scores: IDF from the phrase's document frequency (a phrase's is the sum of its
   words'), a plain word's occurrences counted from the ``tsvector`` and counted
   ``TITLE_BOOST`` more when it is in the title (the embedded index holds the title
   twice), a phrase or prefix counted once where
   it matches; the paper's length in words against the average over a sample.

``ts_rank`` (the ranking before) has no IDF: a common word in a paper weighed as much as
a rare one. Document frequencies and the collection's size come from
``keyword_frequencies``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from paperfeed.store.postgres.keyword_frequencies import TEXT_CONFIG

CANDIDATES = 300  # papers scored per tier at most
MAX_TIERS = 4  # statements per query at most
K1 = 1.2  # BM25 term-frequency saturation
B = 0.75  # BM25 length normalisation
# A word in the title counts once more, as the embedded index holds each title twice in
# the one field it scores (``keyword_index.TITLE_REPEATS``).
TITLE_BOOST = 1.0


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
    """Candidates: papers matching ``query``. ``read_when_full``: worth reading even
    when the page is already full (it holds every paper of its words, or the likeliest
    papers of a common word); otherwise it only fills a short page. ``bound``: the
    highest score a paper outside this and the earlier tiers can reach."""

    query: str
    read_when_full: bool
    bound: float


def candidate_tiers(
    compiled: CompiledQuery,
    frequencies: dict[str, int],
    weights: dict[str, float],
    papers: int,
) -> list[Tier]:
    """At most ``MAX_TIERS`` candidate tiers, strictest first (``frequencies`` and
    ``weights``: papers and IDF per loose should phrase; ``papers``: the collection's).

    Groups of phrases, rarest first, each group's summed frequency within
    ``CANDIDATES``, so its tier holds every paper of its words. A phrase commoner than
    that is *paired*: its tier holds its papers that also have one of the next
    phrases, as many of them as keep the expected number of such papers (words taken
    as independent) within ``CANDIDATES``. A paper with several of a query's words is
    what ranks high, so this finds the papers a sample of the common word's would
    miss. The first paired tier is always read; later ones only fill a short page
    (reading them all gained half a point of MRR on the relevance benchmark's titles
    for 80% more time). A phrase with no partner makes a tier alone, a sample of its
    papers. When even the rarest phrase is common, the papers with every phrase come
    first. Each tier leaves out the papers of the tiers before.
    """
    should = sorted(compiled.loose_should, key=lambda p: (frequencies.get(p, 0), p))
    required = sum(weights.get(p, 0.0) for p in compiled.loose_must)
    total = required + sum(weights.get(p, 0.0) for p in should)
    tiers: list[Tier] = []
    if len(should) > 1 and frequencies.get(should[0], 0) > CANDIDATES:
        tiers.append(Tier(compiled.tier(should, every=True), read_when_full=False, bound=total))
    done: list[str] = []  # the conditions of the tiers so far
    paired = False
    while should and len(tiers) < MAX_TIERS:
        first = should[0]
        if frequencies.get(first, 0) <= CANDIDATES:
            group = _rare_group(should, frequencies)
            should = should[len(group) :]
            condition = compiled.tier(group, every=False)
            bound = required + sum(weights.get(p, 0.0) for p in should)
            tiers.append(Tier(_without(condition, done), read_when_full=True, bound=bound))
            done.append(" | ".join(f"({p})" for p in group))
            continue
        should = should[1:]
        partners = _partners(frequencies.get(first, 0), should, frequencies, papers)
        condition = compiled.tier([first], every=False)
        if partners:
            condition = f"({condition}) & (" + " | ".join(f"({p})" for p in partners) + ")"
        # Left out: papers without ``first``, or with it and none of its partners.
        rest = sum(weights.get(p, 0.0) for p in should)
        unpaired = weights.get(first, 0.0) + rest - sum(weights.get(p, 0.0) for p in partners)
        bound = required + max(rest, unpaired)
        read = bool(partners) and not paired
        tiers.append(Tier(_without(condition, done), read_when_full=read, bound=bound))
        done.append(condition)
        paired = paired or bool(partners)
    if not tiers:  # no should phrase: the must phrases alone
        tiers.append(Tier(compiled.tier([], every=False), read_when_full=True, bound=required))
    return tiers


def _rare_group(should: list[str], frequencies: dict[str, int]) -> list[str]:
    """The rarest phrases whose papers add up to ``CANDIDATES`` at most."""
    group: list[str] = []
    budget = 0
    for phrase in should:
        if group and budget + frequencies.get(phrase, 0) > CANDIDATES:
            break
        budget += frequencies.get(phrase, 0)
        group.append(phrase)
    return group


def _partners(matches: int, rest: list[str], frequencies: dict[str, int], papers: int) -> list[str]:
    """The rarest of ``rest`` such that the expected number of the ``matches`` papers
    holding one of them stays within ``CANDIDATES`` (at least one partner)."""
    partners: list[str] = []
    none_of = 1.0  # the share of papers holding none of the partners
    for phrase in rest:
        share = min(1.0, frequencies.get(phrase, 0) / max(papers, 1))
        if partners and matches * (1.0 - none_of * (1.0 - share)) > CANDIDATES:
            break
        partners.append(phrase)
        none_of *= 1.0 - share
    return partners


def _without(condition: str, done: list[str]) -> str:
    """``condition`` without the papers of earlier tiers (scored already)."""
    if not done:
        return condition
    return f"({condition}) & !(" + " | ".join(f"({d})" for d in done) + ")"


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
