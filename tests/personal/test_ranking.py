"""What a reader notices: a few ratings teach a taste, one rating changes the next page,
"not for me" pushes a paper and its neighbours down, many readers rank as one does."""

from __future__ import annotations

import numpy as np

from paperfeed.personal import PaperFacts, ReaderModel, Signal, rank_for_reader, rank_readers
from tests.personal.conftest import DAY, EQUIVARIANT, T0, Corpus


def rated(corpus: Corpus, ids: tuple[str, ...], signal: Signal = Signal.MORE) -> ReaderModel:
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(ids):
        model.learn(corpus.by_id(paper_id), signal, corpus.background, at=T0 + i)
    return model


def test_three_ratings_teach_a_clear_preference(corpus: Corpus) -> None:
    liked, rest = EQUIVARIANT[:3], EQUIVARIANT[3:]
    model = rated(corpus, liked)
    page = rank_for_reader(model, corpus.candidates(exclude=liked), corpus.background, limit=5)
    ids = [p.id for p in page]
    assert set(rest) <= set(ids)
    words = ("equivarian", "invarian", "symmetr", "permutation", "lie group", "graph")
    on_topic = [p for p in page if any(w in p.title.lower() for w in words)]
    assert len(on_topic) >= 3, [p.title for p in page]


def test_one_rating_changes_the_next_page(corpus: Corpus) -> None:
    model = rated(corpus, EQUIVARIANT[:2])
    candidates = corpus.candidates(exclude=EQUIVARIANT[:2])
    before = [p.id for p in rank_for_reader(model, candidates, corpus.background, limit=10)]
    llm = corpus.by_id("2303.05510")  # Planning with Large Language Models for Code Generation
    model.learn(llm, Signal.MORE, corpus.background, at=T0 + DAY)
    after = [p.id for p in rank_for_reader(model, candidates, corpus.background, limit=10)]
    assert after != before
    code = [p for p in corpus.papers if "code" in p.title.lower() and p.id != llm.id]
    assert any(p.id in after[:5] for p in code) or llm.id in after


def closest_pair(corpus: Corpus) -> tuple[PaperFacts, PaperFacts]:
    """The two most similar papers of the demo corpus (a near-duplicate topic)."""
    papers = [p for p in corpus.papers if p.id not in EQUIVARIANT]
    matrix = np.stack([p.vector for p in papers])  # type: ignore[misc]
    cosines = matrix @ matrix.T
    np.fill_diagonal(cosines, -1)
    a, b = np.unravel_index(int(np.argmax(cosines)), cosines.shape)
    return papers[int(a)], papers[int(b)]


def test_not_for_me_drops_the_paper_and_its_near_neighbours(corpus: Corpus) -> None:
    model = rated(corpus, EQUIVARIANT[:2])
    candidates = corpus.candidates(exclude=EQUIVARIANT[:2])
    rejected, neighbour = closest_pair(corpus)
    before = [
        p.id
        for p in rank_for_reader(model, candidates, corpus.background, limit=len(corpus.papers))
    ]
    model.learn(rejected, Signal.LESS, corpus.background, at=T0 + DAY)
    after = [
        p.id
        for p in rank_for_reader(model, candidates, corpus.background, limit=len(corpus.papers))
    ]
    assert after.index(rejected.id) > before.index(rejected.id) + 20
    assert after.index(neighbour.id) > before.index(neighbour.id) + 10


def test_excluded_papers_never_come_back(corpus: Corpus) -> None:
    model = rated(corpus, EQUIVARIANT[:2])
    candidates = corpus.candidates()
    page = rank_for_reader(model, candidates, corpus.background, limit=20, exclude=EQUIVARIANT)
    assert not set(EQUIVARIANT) & {p.id for p in page}
    assert len(page) == 20


def test_a_learned_update_equals_retraining(corpus: Corpus) -> None:
    from paperfeed.personal import Event

    events = [
        Event(corpus.by_id(p), s, T0 + i * DAY)
        for i, (p, s) in enumerate(
            [
                (EQUIVARIANT[0], Signal.SAVE),
                ("2303.05510", Signal.LESS),
                (EQUIVARIANT[1], Signal.MORE),
            ]
        )
    ]
    incremental = ReaderModel(corpus.background.dim)
    for event in events:
        incremental.learn(event.paper, event.signal, corpus.background, at=event.at)
    retrained = ReaderModel.train(corpus.background.dim, reversed(events), corpus.background)
    candidates = corpus.candidates()
    first = rank_for_reader(incremental, candidates, corpus.background, limit=20)
    second = rank_for_reader(retrained, candidates, corpus.background, limit=20)
    assert [p.id for p in first] == [p.id for p in second]


def test_older_signals_count_less(corpus: Corpus) -> None:
    old, new = EQUIVARIANT[0], "2303.05510"
    model = ReaderModel(corpus.background.dim)
    model.learn(corpus.by_id(old), Signal.SAVE, corpus.background, at=T0)
    model.learn(corpus.by_id(new), Signal.SAVE, corpus.background, at=T0 + 3 * 365 * DAY)
    weights = {e.paper_id: e.weight for e in model.exemplars}
    assert weights[old] < 0.5 * weights[new]


def test_many_readers_rank_as_each_alone(corpus: Corpus) -> None:
    models = [
        rated(corpus, EQUIVARIANT[:2]),
        rated(corpus, ("2303.05510",)),
        ReaderModel(corpus.background.dim),
        rated(corpus, ("2502.12918",), Signal.LESS),
    ]
    candidates = corpus.candidates()
    together = rank_readers(models, candidates, corpus.background, limit=10, chunk=3)
    for model, page in zip(models, together, strict=True):
        alone = rank_for_reader(model, candidates, corpus.background, limit=10)
        assert [p.id for p in page] == [p.id for p in alone]
        assert [p.reasons for p in page] == [p.reasons for p in alone]


def test_a_reader_with_two_interests_gets_both(corpus: Corpus) -> None:
    code = [p.id for p in corpus.papers if "code" in p.title.lower()]
    liked = (*EQUIVARIANT[:2], *code[:2])
    model = rated(corpus, liked, Signal.SAVE)
    page = rank_for_reader(model, corpus.candidates(exclude=liked), corpus.background, limit=10)
    titles = [p.title.lower() for p in page]
    assert any(p.id in EQUIVARIANT[2:] for p in page), titles
    assert any("code" in t or "program" in t for t in titles), titles
