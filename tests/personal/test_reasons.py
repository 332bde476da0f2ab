"""Reasons name the paper, author, topic or trend that put a paper on the list."""

from __future__ import annotations

from dataclasses import replace

from paperfeed.personal import Candidates, ReaderModel, Signal, rank_for_reader
from tests.personal.conftest import EQUIVARIANT, T0, Corpus


def test_a_liked_paper_is_named_with_how_it_was_chosen(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    saved = corpus.by_id(EQUIVARIANT[1])  # Lie Group Decompositions for Equivariant ...
    model.learn(saved, Signal.SAVE, corpus.background, at=T0)
    model.learn(corpus.by_id(EQUIVARIANT[0]), Signal.LIBRARY, corpus.background, at=T0)
    page = rank_for_reader(model, corpus.candidates(exclude=EQUIVARIANT[:2]), corpus.background)
    reasons = [r for p in page[:5] for r in p.reasons]
    assert any(
        r.startswith("like 'Lie Group Decompositions") and r.endswith("which you saved")
        for r in reasons
    )


def test_a_followed_author_is_named(corpus: Corpus) -> None:
    paper = corpus.by_id("2401.10216")
    author = paper.authors[-1]
    model = ReaderModel(corpus.background.dim)
    model.follow_author(author)
    page = rank_for_reader(model, corpus.candidates(), corpus.background, limit=3)
    assert paper.id in [p.id for p in page]
    ranked = next(p for p in page if p.id == paper.id)
    assert f"by {author}, whom you follow" in ranked.reasons


def test_an_author_is_matched_by_initial_and_surname(corpus: Corpus) -> None:
    paper = corpus.by_id("2401.10216")
    first, *_, last = paper.authors[0].split()
    model = ReaderModel(corpus.background.dim)
    model.follow_author(f"{first[0]}. {last}")
    page = rank_for_reader(model, corpus.candidates(), corpus.background, limit=3)
    assert page[0].id == paper.id
    assert page[0].reasons[0] == f"by {paper.authors[0]}, whom you follow"


def test_a_followed_topic_is_named(corpus: Corpus) -> None:
    topic_paper = corpus.by_id("2403.20137")  # Accurate Block Quantization in LLMs with Outliers
    model = ReaderModel(corpus.background.dim)
    model.follow_topic("quantization of language models", topic_paper.vector)
    page = rank_for_reader(model, corpus.candidates(), corpus.background, limit=5)
    assert topic_paper.id in [p.id for p in page]
    assert "matches your topic 'quantization of language models'" in page[0].reasons


def test_trending_papers_say_where_they_trend(corpus: Corpus) -> None:
    papers = [replace(p, trend=1.0 if p.id == "2606.12563" else 0.0) for p in corpus.papers]
    candidates = Candidates.build(papers, corpus.background)
    page = rank_for_reader(ReaderModel(corpus.background.dim), candidates, corpus.background)
    assert page[0].id == "2606.12563"
    assert page[0].reasons == ("trending in cs.AI",)
    assert all(p.reasons for p in page)


def test_a_followed_category_is_named(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    model.follow_category("cs.GT")
    page = rank_for_reader(model, corpus.candidates(), corpus.background, limit=5)
    assert all("cs.GT" in corpus.by_id(p.id).categories for p in page)
    assert "in cs.GT, which you follow" in page[0].reasons
