"""Keyword search on PostgreSQL ranks a few candidates per tier and still finds the
right papers: rare words first, phrases and exclusions exact, every match reachable; and
it ranks by BM25 as the embedded index does: rare words, repeated words, words in the
title and short papers count more."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from paperfeed.papers.model import Paper
from paperfeed.store import PaperStore
from paperfeed.store.postgres import keyword_frequencies, keyword_rank
from paperfeed.store.postgres.search import compile_query
from paperfeed.store.search import KeywordQuery, Phrase
from tests.factories import make_paper

# Tests of pure functions run once, on whichever backend; the others need PostgreSQL.
needs_postgresql = pytest.mark.postgresql_only


def _ids(store: PaperStore, query: KeywordQuery, limit: int = 20) -> list[str]:
    return [m.paper_id for m in store.keyword_search(query, limit=limit)]


def _fill(store: PaperStore, common: int) -> None:
    papers = [
        make_paper(f"2401.{n:05d}", title=f"Common result number {n}", abstract="Nothing else.")
        for n in range(1, common + 1)
    ]
    papers.append(
        make_paper("2402.00001", title="A rare zeolite common finding", abstract="Zeolite cages.")
    )
    store.upsert_papers(papers, source="jsonl")


@needs_postgresql
def test_rare_words_are_found_when_common_ones_exceed_the_candidates(
    store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_rank, "CANDIDATES", 3)
    _fill(store, common=12)
    query = KeywordQuery(should=(Phrase(("common",)), Phrase(("zeolite",))))
    found = _ids(store, query)
    assert found[0] == "2402.00001"
    assert 1 < len(found) <= 1 + 3  # the rare paper, then one tier of common candidates


@needs_postgresql
def test_every_match_is_reachable_when_nothing_is_truncated(store: PaperStore) -> None:
    _fill(store, common=12)
    query = KeywordQuery(should=(Phrase(("common",)), Phrase(("zeolite",))))
    found = _ids(store, query, limit=50)
    assert len(found) == 13 and found[0] == "2402.00001"


@needs_postgresql
def test_phrases_and_exclusions_stay_exact(store: PaperStore) -> None:
    store.upsert_papers(
        [
            make_paper("2401.00001", title="Graph neural networks", abstract="Message passing."),
            make_paper("2401.00002", title="Neural graph networks", abstract="Words swapped."),
            make_paper("2401.00003", title="Graph neural networks for molecules", abstract="x."),
        ],
        source="jsonl",
    )
    phrase = KeywordQuery(must=(Phrase(("graph", "neural")),))
    assert sorted(_ids(store, phrase)) == ["2401.00001", "2401.00003"]
    excluded = KeywordQuery(should=(Phrase(("networks",)),), must_not=(Phrase(("molecules",)),))
    assert sorted(_ids(store, excluded)) == ["2401.00001", "2401.00002"]
    in_title = KeywordQuery(must=(Phrase(("swapped",), field="title"),))
    assert _ids(store, in_title) == []


@needs_postgresql
def test_document_frequencies_count_papers(store: PaperStore) -> None:
    _fill(store, common=4)
    assert store.keyword_document_frequencies(["common", "zeolite", "absent"]) == {
        "common": 5,
        "zeolite": 1,
        "absent": 0,
    }


def _forty_more_still_counted_as_before(store: PaperStore, store_url: str) -> dict[str, int]:
    """Add 40 papers with "common" and a new word "basalt"; the word counts still say
    40 for "common" (as of the statistics) but count "basalt" (unknown to them).
    Returns the counts of the prefixes 'comm':* and 'zeol':*."""
    later = [make_paper(f"2405.{n:05d}", title="Common basalt", abstract="x") for n in range(40)]
    store.upsert_papers(later, source="jsonl")
    found = store.keyword_document_frequencies(["common", "basalt", "zeolite"])
    assert found == {"common": 40, "basalt": 40, "zeolite": 1}  # 80 "common" by now
    with psycopg.connect(store_url, row_factory=dict_row) as conn:
        counts: dict[str, int] = keyword_frequencies.TermFrequencies().get(
            conn, ["'comm':*", "'zeol':*"]
        )
    return counts


@needs_postgresql
def test_common_words_are_sized_from_the_planner_statistics(
    store: PaperStore, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before its lexicon is first refreshed, a large collection sizes a word the
    planner statistics list from its share at the last ANALYZE times the papers then;
    a word they do not list is counted."""
    monkeypatch.setattr(keyword_frequencies, "STATISTICS_FROM", 1)
    _fill(store, common=39)  # 40 papers, all "common", one "zeolite"
    _analyze(store_url)
    counts = _forty_more_still_counted_as_before(store, store_url)
    assert counts == {"'comm':*": 40, "'zeol':*": 1}  # from the listed words it starts; counted


@needs_postgresql
def test_a_large_collection_takes_word_counts_from_its_lexicon(
    store: PaperStore, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts come from the lexicon as of its refresh; a word it lacks (new since) is
    counted; the lexicon is refreshed again once the papers grew by a tenth."""
    monkeypatch.setattr(keyword_frequencies, "STATISTICS_FROM", 1)
    _fill(store, common=39)  # 40 papers, all "common", one "zeolite"
    _analyze(store_url)
    assert store.refresh_keyword_statistics() > 0
    assert store.refresh_keyword_statistics() == 0  # nothing moved: not due
    counts = _forty_more_still_counted_as_before(store, store_url)
    assert counts == {"'comm':*": 40, "'zeol':*": 1}
    _analyze(store_url)
    assert store.refresh_keyword_statistics() > 0  # 40 -> 80 papers: due again
    assert store.keyword_document_frequencies(["common"]) == {"common": 80}


def _analyze(store_url: str) -> None:
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute("ANALYZE paper_search")


def _words(*words: str) -> KeywordQuery:
    return KeywordQuery(should=tuple(Phrase((w,)) for w in words))


def _filler(count: int) -> list[Paper]:
    """Papers with none of the queries' words, so that those words are rare."""
    return [
        make_paper(f"2403.{n:05d}", title=f"Filler {n}", abstract="Plain text on other matters.")
        for n in range(1, count + 1)
    ]


@needs_postgresql
def test_a_word_in_the_title_counts_more_than_in_the_abstract(store: PaperStore) -> None:
    store.upsert_papers(
        [
            make_paper("2401.00001", title="Cages grown slowly", abstract="Zeolite in water."),
            make_paper("2401.00002", title="Zeolite cages", abstract="Grown slowly in water."),
            *_filler(5),
        ],
        source="jsonl",
    )
    assert _ids(store, _words("zeolite")) == ["2401.00002", "2401.00001"]


@needs_postgresql
def test_repeated_words_count_more_and_long_papers_less(store: PaperStore) -> None:
    store.upsert_papers(
        [
            make_paper("2401.00001", title="Report", abstract="Zeolite study, other things."),
            make_paper("2401.00002", title="Report", abstract="Zeolite " + "and more " * 40),
            make_paper("2401.00003", title="Report", abstract="Zeolite zeolite zeolite study."),
            *_filler(5),
        ],
        source="jsonl",
    )
    assert _ids(store, _words("zeolite")) == ["2401.00003", "2401.00001", "2401.00002"]


@needs_postgresql
def test_a_better_paper_in_a_later_tier_beats_a_full_page(
    store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rarest word alone fills the page, but a paper with a commoner word many
    times, in its title too, scores higher: the next tier is read for it."""
    monkeypatch.setattr(keyword_rank, "CANDIDATES", 3)
    store.upsert_papers(
        [
            make_paper("2401.00001", title="Unrelated", abstract="Zeolite " + "and more " * 30),
            make_paper("2401.00002", title="Beta results", abstract="Beta beta."),
            make_paper("2401.00003", title="Other", abstract="One beta among many words here."),
            make_paper("2401.00004", title="Another", abstract="A beta among many words here."),
            *_filler(40),
        ],
        source="jsonl",
    )
    assert _ids(store, _words("zeolite", "beta"), limit=1) == ["2401.00002"]


@needs_postgresql
def test_phrases_and_prefixes_add_to_the_score(store: PaperStore) -> None:
    store.upsert_papers(
        [
            make_paper("2401.00001", title="Supervised transformers", abstract="Self-made."),
            make_paper("2401.00002", title="Self-supervised transformers", abstract="Text."),
            make_paper("2401.00003", title="Self-supervised models", abstract="Text."),
            *_filler(5),
        ],
        source="jsonl",
    )
    query = KeywordQuery(should=(Phrase(("self", "supervised")), Phrase(("transf",), prefix=True)))
    assert _ids(store, query) == ["2401.00002", "2401.00003", "2401.00001"]


def test_tiers_go_from_rare_words_to_common_ones() -> None:
    compiled = compile_query(_words("aa", "bb", "cc", "dd"))
    assert compiled is not None
    frequencies = {"'aa'": 1, "'bb'": 2, "'cc'": 500, "'dd'": 5000}
    weights = {"'aa'": 8.0, "'bb'": 7.0, "'cc'": 3.0, "'dd'": 1.0}
    tiers = keyword_rank.candidate_tiers(compiled, frequencies, weights, 10_000)
    assert [(t.query, t.read_when_full, t.bound) for t in tiers] == [
        ("(('aa') | ('bb'))", True, 4.0),  # every paper with the rare words
        # The common word's papers that also have a later word, then the rest of them
        # at most "cc" alone (3.0) or "dd" alone (1.0).
        ("(((('cc'))) & (('dd'))) & !((('aa') | ('bb')))", True, 3.0),
        ("((('dd'))) & !((('aa') | ('bb')) | (((('cc'))) & (('dd'))))", False, 1.0),
    ]
    common = {"'aa'": 400, "'bb'": 500, "'cc'": 600, "'dd'": 5000}
    tiers = keyword_rank.candidate_tiers(compiled, common, weights, 10_000)
    assert tiers[0] == keyword_rank.Tier("(('aa') & ('bb') & ('cc') & ('dd'))", False, 19.0)
    # "aa" in 400 papers: with "bb", "cc" or "dd" in about 221 of them (taken as
    # independent), within the 300 candidates; "bb" then pairs with the rest.
    assert tiers[1].query == "((('aa'))) & (('bb') | ('cc') | ('dd'))"
    assert [t.read_when_full for t in tiers] == [False, True, False, False]
    assert len(tiers) == keyword_rank.MAX_TIERS


def test_a_common_word_pairs_with_the_rarest_partners_that_fit() -> None:
    compiled = compile_query(_words("aa", "bb", "cc"))
    assert compiled is not None
    frequencies = {"'aa'": 2000, "'bb'": 1000, "'cc'": 9000}  # of 10,000 papers
    weights = {"'aa'": 2.0, "'bb'": 3.0, "'cc'": 0.5}
    tiers = keyword_rank.candidate_tiers(compiled, frequencies, weights, 10_000)
    # "bb" (1,000 papers) with "aa": ~200 expected; adding "cc" would make ~920.
    assert tiers[1].query == "((('bb'))) & (('aa'))"
    assert tiers[1].bound == max(2.0 + 0.5, 3.0 + 0.5)  # without bb, or bb without aa


def test_idf_is_positive_and_falls_with_frequency() -> None:
    weights = [keyword_rank.idf(1000, n) for n in (1, 10, 100, 999, 1000, 2000)]
    assert all(w > 0 for w in weights)
    assert weights == sorted(weights, reverse=True)
