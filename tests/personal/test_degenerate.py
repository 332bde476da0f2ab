"""Empty and odd inputs rank sensibly and never produce NaN."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from paperfeed.personal import (
    Candidates,
    PaperFacts,
    ReaderModel,
    Signal,
    fit_background,
    rank_for_reader,
    rank_readers,
)
from paperfeed.personal.ranking import compile_reader, score_readers
from tests.personal.conftest import EQUIVARIANT, T0, Corpus


def all_scores(model: ReaderModel, candidates: Candidates, corpus: Corpus) -> np.ndarray:
    scores, _ = score_readers([compile_reader(model, corpus.background)], candidates)
    first: np.ndarray = scores[0]
    return first


def test_a_new_reader_gets_trending_papers(corpus: Corpus) -> None:
    trend = {p.id: (i % 7) / 6 for i, p in enumerate(corpus.papers)}
    candidates = Candidates.build(
        [replace(p, trend=trend[p.id]) for p in corpus.papers], corpus.background
    )
    page = rank_for_reader(
        ReaderModel(corpus.background.dim), candidates, corpus.background, limit=10
    )
    assert all(trend[p.id] == 1.0 for p in page)
    assert all(p.reasons for p in page)


def test_only_negatives_push_away_without_nan(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    rejected = corpus.by_id("2303.05510")
    model.learn(rejected, Signal.LESS, corpus.background, at=T0)
    candidates = corpus.candidates()
    scores = all_scores(model, candidates, corpus)
    assert np.isfinite(scores).all()
    page = rank_for_reader(model, candidates, corpus.background, limit=len(corpus.papers))
    assert [p.id for p in page][-1] == rejected.id


def test_one_candidate_and_no_candidates(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    model.learn(corpus.by_id(EQUIVARIANT[0]), Signal.MORE, corpus.background, at=T0)
    one = Candidates.build([corpus.by_id(EQUIVARIANT[1])], corpus.background)
    page = rank_for_reader(model, one, corpus.background)
    assert [p.id for p in page] == [EQUIVARIANT[1]]
    assert rank_for_reader(model, Candidates.build([], corpus.background), corpus.background) == []
    assert rank_readers([], one, corpus.background) == []


def test_papers_without_usable_vectors_still_rank(corpus: Corpus) -> None:
    odd = [
        PaperFacts("x1", "No vector at all", None, "equivariant networks symmetry group"),
        PaperFacts("x2", "Vector full of NaN", np.full(384, np.nan, np.float32)),
        PaperFacts("x3", "Zero vector", np.zeros(384, np.float32)),
        PaperFacts("x4", "Wrong size", np.ones(10, np.float32)),
        PaperFacts("x5", "", None, ""),
    ]
    model = ReaderModel(corpus.background.dim)
    for paper in odd:  # learning from them is harmless too
        model.learn(paper, Signal.SAVE, corpus.background, at=T0)
    model.learn(corpus.by_id(EQUIVARIANT[0]), Signal.SAVE, corpus.background, at=T0)
    candidates = Candidates.build([*odd, *corpus.papers[:20]], corpus.background)
    scores = all_scores(model, candidates, corpus)
    assert np.isfinite(scores).all()
    page = rank_for_reader(model, candidates, corpus.background, limit=100)
    assert len(page) == 25
    assert all(p.reasons for p in page)


def test_a_background_from_nothing(corpus: Corpus) -> None:
    background = fit_background(np.zeros((0, 384), np.float32), [], [], dim=384)
    model = ReaderModel(384)
    model.learn(corpus.by_id(EQUIVARIANT[0]), Signal.SAVE, background, at=T0)
    candidates = Candidates.build(corpus.papers, background)
    page = rank_for_reader(model, candidates, background, limit=5)
    assert len(page) == 5
    assert np.isfinite([p.score for p in page]).all()
    with pytest.raises(ValueError, match="dimension"):
        fit_background(np.zeros((0, 384), np.float32), [], [])


def test_follows_are_idempotent_and_undone(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    model.follow_author("Yann LeCun")
    model.follow_author("Y. LeCun")
    model.follow_topic("Graph  Networks", None)
    model.follow_topic("graph networks", None)
    model.follow_category("cs.LG")
    model.follow_category("cs.LG")
    assert model.follows.authors == ["Yann LeCun"]
    assert len(model.follows.topics) == 1
    assert model.follows.categories == ["cs.LG"]
    model.unfollow(author="y. lecun", topic="GRAPH NETWORKS", category="cs.LG")
    assert model.follows.count == 0
