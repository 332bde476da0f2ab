"""A reader's model and the collection statistics survive being stored; damaged state
is refused with a clear error instead of ranking with garbage."""

from __future__ import annotations

import orjson
import pytest

from paperfeed.personal import (
    Background,
    ModelStateError,
    ReaderModel,
    Signal,
    rank_for_reader,
)
from tests.personal.conftest import EQUIVARIANT, T0, Corpus


def trained(corpus: Corpus) -> ReaderModel:
    model = ReaderModel(corpus.background.dim)
    for i, paper_id in enumerate(EQUIVARIANT[:3]):
        model.learn(corpus.by_id(paper_id), Signal.SAVE, corpus.background, at=T0 + i)
    model.learn(corpus.by_id("2303.05510"), Signal.LESS, corpus.background, at=T0 + 9)
    model.follow_author("Yann LeCun")
    model.follow_category("cs.LG")
    model.follow_topic("graph neural networks", corpus.by_id(EQUIVARIANT[0]).vector)
    return model


def test_a_model_round_trips_through_bytes(corpus: Corpus) -> None:
    model = trained(corpus)
    restored = ReaderModel.from_bytes(model.to_bytes(), dim=corpus.background.dim)
    candidates = corpus.candidates()
    first = rank_for_reader(model, candidates, corpus.background, limit=30)
    second = rank_for_reader(restored, candidates, corpus.background, limit=30)
    assert [p.id for p in first] == [p.id for p in second]
    assert [p.reasons for p in first] == [p.reasons for p in second]
    assert [p.score for p in first] == pytest.approx([p.score for p in second], abs=1e-3)
    assert restored.follows.authors == ["Yann LeCun"]
    assert restored.to_bytes() == ReaderModel.from_bytes(restored.to_bytes()).to_bytes()


def test_the_saved_model_is_readable_json(corpus: Corpus) -> None:
    data = orjson.loads(trained(corpus).to_bytes())
    assert data["follows"]["categories"] == ["cs.LG"]
    assert [e["id"] for e in data["exemplars"]] == list(EQUIVARIANT[:3])
    assert data["avoided"][0]["title"].startswith("Planning with Large Language Models")


def test_a_model_keeps_a_bounded_size(corpus: Corpus) -> None:
    model = ReaderModel(corpus.background.dim)
    for i, paper in enumerate(corpus.papers):
        model.learn(paper, Signal.LIBRARY, corpus.background, at=T0 + i)
    assert len(model.exemplars) <= 12
    assert len(model.to_bytes()) < 64 * 1024


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": 99}',
        b'{"format": 1, "dim": 384}',
    ],
)
def test_damaged_state_is_refused(raw: bytes) -> None:
    with pytest.raises(ModelStateError):
        ReaderModel.from_bytes(raw)


def test_tampered_arrays_are_refused(corpus: Corpus) -> None:
    data = orjson.loads(trained(corpus).to_bytes())
    data["pos_sum"]["data"] = data["pos_sum"]["data"][:40]
    with pytest.raises(ModelStateError):
        ReaderModel.from_bytes(orjson.dumps(data))
    data = orjson.loads(trained(corpus).to_bytes())
    data["pos_weight"] = "NaN"
    with pytest.raises(ModelStateError):
        ReaderModel.from_bytes(orjson.dumps(data))


def test_a_model_for_other_vectors_is_refused(corpus: Corpus) -> None:
    raw = trained(corpus).to_bytes()
    with pytest.raises(ModelStateError, match="384-d vectors, not 256-d"):
        ReaderModel.from_bytes(raw, dim=256)


def test_background_round_trips(corpus: Corpus) -> None:
    restored = Background.from_bytes(corpus.background.to_bytes())
    assert restored.idf == corpus.background.idf
    model = trained(corpus)
    first = rank_for_reader(model, corpus.candidates(), corpus.background, limit=20)
    second = rank_for_reader(model, corpus.candidates(), restored, limit=20)
    assert [p.id for p in first] == [p.id for p in second]
    with pytest.raises(ModelStateError):
        Background.from_bytes(b'{"format": 1}')
