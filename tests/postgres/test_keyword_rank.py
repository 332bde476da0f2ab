"""Keyword search on PostgreSQL ranks a few candidates per tier and still finds the
right papers: rare words first, phrases and exclusions exact, every match reachable."""

from __future__ import annotations

import pytest

from paperfeed.store import PaperStore
from paperfeed.store.postgres import keyword_rank
from paperfeed.store.search import KeywordQuery, Phrase
from tests.factories import make_paper

pytestmark = pytest.mark.postgresql_only


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


def test_rare_words_are_found_when_common_ones_exceed_the_candidates(
    store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_rank, "CANDIDATES", 3)
    _fill(store, common=12)
    query = KeywordQuery(should=(Phrase(("common",)), Phrase(("zeolite",))))
    found = _ids(store, query)
    assert found[0] == "2402.00001"
    assert 1 < len(found) <= 1 + 3  # the rare paper, then one tier of common candidates


def test_every_match_is_reachable_when_nothing_is_truncated(store: PaperStore) -> None:
    _fill(store, common=12)
    query = KeywordQuery(should=(Phrase(("common",)), Phrase(("zeolite",))))
    found = _ids(store, query, limit=50)
    assert len(found) == 13 and found[0] == "2402.00001"


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


def test_document_frequencies_count_papers(store: PaperStore) -> None:
    _fill(store, common=4)
    assert store.keyword_document_frequencies(["common", "zeolite", "absent"]) == {
        "common": 5,
        "zeolite": 1,
        "absent": 0,
    }
