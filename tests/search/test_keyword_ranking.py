"""Keyword ranking on either engine: BM25 over whole papers, the title counted twice.

A word's rarity and a paper's length are judged over title, authors and abstract
together. Scored as a field of its own, a short title made an ordinary word in it
("model") outweigh the rare words of the query found in another paper's abstract.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.papers.model import Author
from paperfeed.search import SearchService
from paperfeed.store import PaperStore
from tests.factories import make_paper
from tests.search.conftest import search_settings

# Every abstract says "a model of ..."; one title says only "model".
OTHERS = [
    ("Spin Glasses on Sparse Graphs", "A model of disordered magnets with random couplings."),
    ("Cosmic Rays from Supernova Remnants", "A model of particle acceleration at shocks."),
    ("Phonons in Layered Crystals", "A model of lattice vibrations in stacked materials."),
    ("Epidemics on Networks", "A model of infection spreading over contacts."),
    ("Pricing Options Under Rough Volatility", "A model of asset prices driven by rough noise."),
    ("Learning to Rank Search Results", "Training a ranker from clicks; a model of attention."),
]
MODEL_IN_TITLE = "2401.10000"
TRAFFIC = "2401.20000"


@pytest.fixture
def service(store: PaperStore, tmp_path: Path) -> SearchService:
    author = (Author("Ada Lovelace"),)
    papers = [
        make_paper(f"2401.{n:05d}", title=title, abstract=abstract, authors=author)
        for n, (title, abstract) in enumerate(OTHERS)
    ]
    papers += [
        make_paper(
            MODEL_IN_TITLE,
            title="A Stochastic Model",
            abstract="We study a process on a lattice and its scaling limit.",
            authors=author,
        ),
        make_paper(
            TRAFFIC,
            title="Phantom Jams on Ring Roads",
            abstract="Cars on a circular road form stop-and-go traffic waves with no"
            " bottleneck; a model reproduces them.",
            authors=(Author("Grace Hopper"),),
        ),
    ]
    store.upsert_papers(papers, source="test")
    service = SearchService(store, search_settings(tmp_path))
    service.rebuild_keyword_index()
    return service


def keyword_ids(service: SearchService, query: str) -> list[str]:
    return [h.paper.paper.id for h in service.search(query, mode="keyword").hits]


def test_a_common_word_in_a_short_title_does_not_outrank_a_rare_word(
    service: SearchService,
) -> None:
    assert keyword_ids(service, "traffic model")[:2] == [TRAFFIC, MODEL_IN_TITLE]
    assert keyword_ids(service, "stochastic model of traffic waves")[0] == TRAFFIC


def test_a_title_word_still_counts_more_than_an_abstract_word(service: SearchService) -> None:
    # "stochastic" is in one title, "traffic" in one abstract: the title wins.
    assert keyword_ids(service, "stochastic traffic")[:2] == [MODEL_IN_TITLE, TRAFFIC]


def test_author_terms_still_look_in_the_authors_only(service: SearchService) -> None:
    assert keyword_ids(service, "model author:hopper") == [TRAFFIC]
    assert keyword_ids(service, "author:stochastic") == []
