"""The word-level nearest neighbour: a reader with two interests is served both, and its
reason names a liked paper and words the two papers really share."""

from __future__ import annotations

import re

import orjson

from paperfeed.personal import ReaderModel, Signal, rank_for_reader
from paperfeed.personal.background import terms_of
from tests.personal.conftest import EQUIVARIANT, T0, Corpus


def code_papers(corpus: Corpus) -> list[str]:
    return [p.id for p in corpus.papers if "code" in p.title.lower()]


def test_a_reader_with_two_interests_gets_both(corpus: Corpus) -> None:
    code = code_papers(corpus)
    liked = (*EQUIVARIANT[:2], *code[:2])
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(liked):
        model.learn(corpus.by_id(paper_id), Signal.SAVE, corpus.background, at=T0 + i)
    page = rank_for_reader(model, corpus.candidates(exclude=liked), corpus.background, limit=10)
    titles = [p.title.lower() for p in page]
    assert any(p.id in EQUIVARIANT[2:] for p in page), titles
    assert any("code" in t or "program" in t for t in titles), titles


def test_the_shared_words_reason_is_true(corpus: Corpus) -> None:
    liked = EQUIVARIANT[:3]
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(liked):
        model.learn(corpus.by_id(paper_id), Signal.SAVE, corpus.background, at=T0 + i)
    page = rank_for_reader(model, corpus.candidates(exclude=liked), corpus.background, limit=20)
    shared = [(p, r) for p in page for r in p.reasons if r.startswith("shares ")]
    assert shared, [p.reasons for p in page]
    titles = {corpus.by_id(i).title: corpus.by_id(i) for i in liked}
    for paper, reason in shared:
        match = re.fullmatch(r"shares (.+) with '(.+)', which you saved", reason)
        assert match, reason
        words = re.findall(r"'([^']+)'", match.group(1))
        source = next(p for t, p in titles.items() if t.startswith(match.group(2).rstrip("…")))
        for word in words:
            assert word in terms_of(corpus.by_id(paper.id).text), (word, paper.title)
            assert word in terms_of(source.text), (word, source.title)


def test_a_model_saved_without_exemplar_words_still_ranks(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(EQUIVARIANT[:3]):
        model.learn(corpus.by_id(paper_id), Signal.SAVE, corpus.background, at=T0 + i)
    data = orjson.loads(model.to_bytes())
    for exemplar in data["exemplars"]:
        del exemplar["terms"]
    older = ReaderModel.from_bytes(orjson.dumps(data))
    page = rank_for_reader(
        older, corpus.candidates(exclude=EQUIVARIANT[:3]), corpus.background, limit=5
    )
    assert page[0].id == EQUIVARIANT[3]
