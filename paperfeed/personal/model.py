"""One reader's model: a fixed-size summary of what they chose and rejected.

Everything is kept as decayed, weighted sums, so a new rating is an exact incremental
update (no retraining) and the model's size does not grow with the reader's history:

- the weighted sums of the vectors of their positive and negative papers, from which the
  semantic direction is derived against the collection (``compile``);
- up to ``MAX_EXEMPLARS`` exemplars: vectors of liked papers (close ones merged), which
  catch interests the single direction averages away and name the paper in a reason;
- up to ``MAX_AVOIDED`` "not for me" papers, whose near neighbours are pushed down;
- term weights (tf-idf), category and author weights;
- what they follow: authors, categories, topics (with the topic's vector).

Weights halve every ``HALF_LIFE_DAYS`` (tastes drift); decay is applied lazily, at the
time of the newest signal, like the trending keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from paperfeed.digest.candidates import author_key
from paperfeed.personal.background import Background
from paperfeed.personal.errors import ModelStateError
from paperfeed.personal.packing import pack_array, unpack_array
from paperfeed.personal.papers import PaperFacts
from paperfeed.personal.signals import WEIGHT, Signal, is_positive

FloatArray = npt.NDArray[np.float32]

FORMAT = 1
HALF_LIFE_DAYS = 730.0
MAX_EXEMPLARS = 12
MAX_AVOIDED = 12
MAX_TERMS = 1000
MAX_AUTHORS = 200
NEGATIVE_TERMS = 0.3
"""A rejected paper shares most of its words with the reader's own field: its terms
count for less, and its categories not at all, so that one "not for me" does not erase
the reader's affinity for their own category."""
DAY = 86_400.0


@dataclass
class Exemplar:
    """A liked (or avoided) paper, or several close ones merged under the heaviest's name."""

    paper_id: str
    title: str
    signal: Signal
    weight: float
    vector: FloatArray


@dataclass(frozen=True, slots=True)
class Topic:
    """A followed free-text topic and its embedding (None until embedded)."""

    text: str
    vector: FloatArray | None = None


@dataclass
class Follows:
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.authors) + len(self.categories) + len(self.topics)


@dataclass
class Event:
    """One signal from a reader about a paper, at a time (unix seconds)."""

    paper: PaperFacts
    signal: Signal
    at: float


@dataclass
class ReaderModel:
    """The state kept per reader; see the module docstring."""

    dim: int
    as_of: float = 0.0
    pos_sum: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    pos_weight: float = 0.0
    neg_sum: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    neg_weight: float = 0.0
    exemplars: list[Exemplar] = field(default_factory=list)
    avoided: list[Exemplar] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    categories: dict[str, float] = field(default_factory=dict)
    authors: dict[str, tuple[str, float]] = field(default_factory=dict)
    follows: Follows = field(default_factory=Follows)
    signals: int = 0

    def __post_init__(self) -> None:
        if self.dim <= 0:
            raise ValueError("a reader model needs the vector dimension")
        if self.pos_sum.shape != (self.dim,):
            self.pos_sum = np.zeros(self.dim, np.float32)
        if self.neg_sum.shape != (self.dim,):
            self.neg_sum = np.zeros(self.dim, np.float32)

    @classmethod
    def train(
        cls,
        dim: int,
        events: Iterable[Event],
        background: Background,
        follows: Follows | None = None,
    ) -> ReaderModel:
        """A model from scratch (e.g. after a withdrawn rating or a new background)."""
        model = cls(dim, follows=follows or Follows())
        for event in sorted(events, key=lambda e: e.at):
            model.learn(event.paper, event.signal, background, at=event.at)
        return model

    @property
    def evidence(self) -> float:
        """How much the model has to go on: decayed positive weight plus follows."""
        return self.pos_weight + self.follows.count

    # -- learning ---------------------------------------------------------------------

    def learn(
        self, paper: PaperFacts, signal: Signal, background: Background, *, at: float
    ) -> None:
        """Fold one signal into the model (an exact, constant-time update)."""
        weight = WEIGHT[Signal(signal)] * self._decay_to(at)
        vector = _unit(paper.vector, self.dim)
        if vector is not None:
            if weight > 0:
                self.pos_sum += weight * vector
                self.pos_weight += weight
                self._add_exemplar(self.exemplars, paper, signal, weight, vector, MAX_EXEMPLARS)
            else:
                self.neg_sum -= weight * vector
                self.neg_weight -= weight
                if signal == Signal.LESS:
                    self._add_exemplar(self.avoided, paper, signal, -weight, vector, MAX_AVOIDED)
        term_weight = weight if weight > 0 else NEGATIVE_TERMS * weight
        for term, value in background.tfidf(paper.text).items():
            self.terms[term] = self.terms.get(term, 0.0) + term_weight * value
        self.terms = _top(self.terms, MAX_TERMS)
        if is_positive(signal):
            for category in set(paper.categories):
                self.categories[category] = self.categories.get(category, 0.0) + weight
            for name in paper.authors:
                key = author_key(name)
                if key:
                    _, old = self.authors.get(key, (name, 0.0))
                    self.authors[key] = (name, old + weight)
            if len(self.authors) > MAX_AUTHORS:
                keep = sorted(self.authors.items(), key=lambda kv: -kv[1][1])[:MAX_AUTHORS]
                self.authors = dict(keep)
        self.signals += 1

    def _decay_to(self, at: float) -> float:
        """Bring every weight to time ``at``; returns the factor for a signal at ``at``."""
        if at <= self.as_of or self.as_of == 0.0:
            if self.as_of == 0.0:
                self.as_of = at
                return 1.0
            return _halving(self.as_of - at)
        factor = _halving(at - self.as_of)
        self.as_of = at
        self.pos_sum *= factor
        self.neg_sum *= factor
        self.pos_weight *= factor
        self.neg_weight *= factor
        for group in (self.exemplars, self.avoided):
            for exemplar in group:
                exemplar.weight *= factor
        self.terms = {t: w * factor for t, w in self.terms.items()}
        self.categories = {c: w * factor for c, w in self.categories.items()}
        self.authors = {k: (n, w * factor) for k, (n, w) in self.authors.items()}
        return 1.0

    @staticmethod
    def _add_exemplar(
        group: list[Exemplar],
        paper: PaperFacts,
        signal: Signal,
        weight: float,
        vector: FloatArray,
        limit: int,
    ) -> None:
        for exemplar in group:
            if exemplar.paper_id == paper.id:
                exemplar.weight += weight
                return
        if len(group) >= limit:
            _merge_closest(group)
        group.append(Exemplar(paper.id, paper.title, Signal(signal), weight, vector.copy()))

    # -- follows ----------------------------------------------------------------------

    def follow_author(self, name: str) -> None:
        if author_key(name) not in {author_key(a) for a in self.follows.authors}:
            self.follows.authors.append(" ".join(name.split()))

    def follow_category(self, category: str) -> None:
        if category not in self.follows.categories:
            self.follows.categories.append(category)

    def follow_topic(self, text: str, vector: FloatArray | None) -> None:
        key = " ".join(text.casefold().split())
        self.follows.topics = [t for t in self.follows.topics if t.text.casefold() != key]
        self.follows.topics.append(Topic(" ".join(text.split()), _unit(vector, self.dim)))

    def unfollow(
        self, *, author: str | None = None, category: str | None = None, topic: str | None = None
    ) -> None:
        if author is not None:
            key = author_key(author)
            self.follows.authors = [a for a in self.follows.authors if author_key(a) != key]
        if category is not None:
            self.follows.categories = [c for c in self.follows.categories if c != category]
        if topic is not None:
            key = " ".join(topic.casefold().split())
            self.follows.topics = [t for t in self.follows.topics if t.text.casefold() != key]

    # -- state ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Everything the model holds, as JSON (also what a reader downloads)."""
        return {
            "format": FORMAT,
            "dim": self.dim,
            "as_of": self.as_of,
            "signals": self.signals,
            "pos_sum": pack_array(self.pos_sum),
            "pos_weight": self.pos_weight,
            "neg_sum": pack_array(self.neg_sum),
            "neg_weight": self.neg_weight,
            "exemplars": [_exemplar_json(e) for e in self.exemplars],
            "avoided": [_exemplar_json(e) for e in self.avoided],
            "terms": self.terms,
            "categories": self.categories,
            "authors": {k: [n, w] for k, (n, w) in self.authors.items()},
            "follows": {
                "authors": self.follows.authors,
                "categories": self.follows.categories,
                "topics": [
                    {"text": t.text, "vector": None if t.vector is None else pack_array(t.vector)}
                    for t in self.follows.topics
                ],
            },
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())

    @classmethod
    def from_bytes(cls, raw: bytes, *, dim: int | None = None) -> ReaderModel:
        """The saved model; ``ModelStateError`` when it is damaged or, if ``dim`` is
        given, made for vectors of another dimension."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ModelStateError(f"reader model is not JSON: {exc}") from exc
        return cls.from_json(data, dim=dim)

    @classmethod
    def from_json(cls, data: Any, *, dim: int | None = None) -> ReaderModel:
        try:
            if data.get("format") != FORMAT:
                raise ModelStateError(f"reader model format {data.get('format')!r} is not {FORMAT}")
            size = int(data["dim"])
            if dim is not None and size != dim:
                raise ModelStateError(f"reader model is for {size}-d vectors, not {dim}-d")
            follows = data["follows"]
            model = cls(
                size,
                as_of=_finite(data["as_of"]),
                pos_sum=unpack_array(data["pos_sum"], (size,)),
                pos_weight=_finite(data["pos_weight"]),
                neg_sum=unpack_array(data["neg_sum"], (size,)),
                neg_weight=_finite(data["neg_weight"]),
                exemplars=[_exemplar_from(e, size) for e in data["exemplars"]],
                avoided=[_exemplar_from(e, size) for e in data["avoided"]],
                terms={str(t): _finite(w) for t, w in data["terms"].items()},
                categories={str(c): _finite(w) for c, w in data["categories"].items()},
                authors={str(k): (str(n), _finite(w)) for k, (n, w) in data["authors"].items()},
                follows=Follows(
                    [str(a) for a in follows["authors"]],
                    [str(c) for c in follows["categories"]],
                    [
                        Topic(
                            str(t["text"]),
                            None if t["vector"] is None else unpack_array(t["vector"], (size,)),
                        )
                        for t in follows["topics"]
                    ],
                ),
                signals=int(data["signals"]),
            )
        except ModelStateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelStateError(f"reader model is damaged: {exc!r}") from exc
        return model


def _halving(seconds: float) -> float:
    return float(0.5 ** (max(seconds, 0.0) / (HALF_LIFE_DAYS * DAY)))


def _unit(vector: FloatArray | None, dim: int) -> FloatArray | None:
    """The vector, L2-normalised, or None when missing, of another size, or all zero."""
    if vector is None:
        return None
    v = np.nan_to_num(np.asarray(vector, dtype=np.float32).reshape(-1))
    norm = float(np.linalg.norm(v))
    if v.shape != (dim,) or norm == 0.0 or not math.isfinite(norm):
        return None
    out: FloatArray = v / norm
    return out


def _top(weights: dict[str, float], limit: int) -> dict[str, float]:
    if len(weights) <= limit:
        return weights
    return dict(sorted(weights.items(), key=lambda kv: -abs(kv[1]))[:limit])


def _merge_closest(group: list[Exemplar]) -> None:
    """Merge the two most similar exemplars into one (named after the heavier)."""
    matrix = np.stack([e.vector for e in group])
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, -np.inf)
    i, j = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
    a, b = group[int(i)], group[int(j)]
    heavy, light = (a, b) if a.weight >= b.weight else (b, a)
    merged = heavy.weight * heavy.vector + light.weight * light.vector
    norm = float(np.linalg.norm(merged))
    heavy.vector = (merged / norm).astype(np.float32) if norm > 0 else heavy.vector
    heavy.weight += light.weight
    group.remove(light)


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _exemplar_json(exemplar: Exemplar) -> dict[str, Any]:
    return {
        "id": exemplar.paper_id,
        "title": exemplar.title,
        "signal": exemplar.signal.value,
        "weight": exemplar.weight,
        "vector": pack_array(exemplar.vector, "<f2"),
    }


def _exemplar_from(data: Any, dim: int) -> Exemplar:
    return Exemplar(
        str(data["id"]),
        str(data["title"]),
        Signal(data["signal"]),
        _finite(data["weight"]),
        unpack_array(data["vector"], (dim,)),
    )


def learn_many(
    model: ReaderModel,
    papers: Sequence[PaperFacts],
    signal: Signal,
    background: Background,
    at: float,
) -> None:
    """Fold a batch of same-kind signals (a library import) into the model."""
    for paper in papers:
        model.learn(paper, signal, background, at=at)
