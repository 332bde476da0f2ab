"""Keyword statistics a reader notices: a phrase their papers share brings papers that use
it, words every paper uses do not, and a new reader's follows are mixed with the trend."""

from __future__ import annotations

from dataclasses import replace

from paperfeed.personal import Candidates, ReaderModel, Signal, rank_for_reader
from paperfeed.personal.background import terms_of
from tests.personal.conftest import EQUIVARIANT, T0, Corpus


def test_terms_are_words_and_pairs_of_neighbouring_words() -> None:
    terms = terms_of("Graph neural networks for the equivariant case")
    assert "graph neural" in terms
    assert "neural network" in terms
    assert "network equivariant" in terms  # stop words between do not break a pair


def test_the_collection_knows_how_common_each_term_is(corpus: Corpus) -> None:
    background = corpus.background
    assert any(" " in term for term in background.idf)
    common = max(background.term_mean, key=lambda t: background.term_mean[t])
    rare = min(background.term_mean, key=lambda t: background.term_mean[t])
    assert background.term_scale(common) < background.term_scale(rare)


def test_a_reader_who_liked_a_topic_gets_its_words_as_reasons(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(EQUIVARIANT[:3]):
        model.learn(corpus.by_id(paper_id), Signal.SAVE, corpus.background, at=T0 + i)
    candidates = corpus.candidates(exclude=EQUIVARIANT[:3])
    page = rank_for_reader(model, candidates, corpus.background, limit=5)
    assert page[0].id == EQUIVARIANT[3]
    mentions = [r for p in page for r in p.reasons if r.startswith("mentions")]
    assert mentions, [p.reasons for p in page]


def test_a_new_reader_with_a_follow_gets_its_trending_papers_first(corpus: Corpus) -> None:
    followed = "cs.CV"
    in_it = [p for p in corpus.papers if followed in p.categories]
    hot = {p.id for p in in_it[::3]}
    papers = [replace(p, trend=1.0 if p.id in hot else 0.0) for p in corpus.papers]
    candidates = Candidates.build(papers, corpus.background)
    model = ReaderModel(corpus.background.dim)
    model.follow_category(followed)
    page = rank_for_reader(model, candidates, corpus.background, limit=len(hot) + 5)
    top = [p.id for p in page[: len(hot)]]
    assert sum(i in hot for i in top) >= 0.5 * len(hot)  # a third of the category trends
    assert all(followed in corpus.by_id(p.id).categories for p in page)
