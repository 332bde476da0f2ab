"""Scoring candidates for readers: one code path for one reader and for a batch.

A reader's score for a paper is a weighted sum of parts, each on a known scale:

- ``semantic``: the paper's position along the reader's learned direction in vector
  space, in standard deviations of the collection (linear discriminant: the direction
  from the collection's mean to the reader's positives, whitened by the collection's
  covariance, with "not for me" papers pulling the negative side);
- ``nearest``: cosine to the closest exemplar of the reader's liked papers (several
  interests are not averaged away);
- ``terms``: the paper's tf-idf (words and word pairs) along the reader's term
  discriminant: each term weighted by how much more it occurs in the reader's papers than
  in the collection, over its variance in the collection (a diagonal linear discriminant,
  the closed-form cousin of a linear SVM on tf-idf);
- ``category``: how much more often the reader's papers (and followed categories) are
  in the paper's categories than papers in general (log ratio);
- ``author``: a followed author, or one whose papers the reader chose, wrote it;
- ``topic``: closeness to a followed topic (vector and words);
- ``trend``: the paper's trend, weighted more while the model knows little;
- ``avoid`` (subtracted): closeness to a paper the reader marked "not for me".

The four learned parts (semantic, nearest, terms, category) are each standardised per
reader over the candidates ranked together (mean 0, standard deviation 1) before they
are weighted: their raw scales differ by reader (a broad library spreads its cosines, a
narrow one does not), and measured on the benchmark's development readers the sum of
standardised parts ranks better than the sum of raw ones (decision 0011). The other
parts keep their absolute scale, so that a follow or the trend means the same for every
reader.

``compile_reader`` turns a model into these weights once; ``score_readers`` applies a
batch of compiled readers to the candidates with a few matrix products.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from paperfeed.digest.candidates import author_key, words_of
from paperfeed.personal.background import Background
from paperfeed.personal.model import ReaderModel
from paperfeed.personal.papers import Candidates

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

PARTS = ("semantic", "nearest", "terms", "category", "author", "topic", "trend", "avoid")
STANDARDISED = ("semantic", "nearest", "terms", "category")


@dataclass(frozen=True)
class Blend:
    """Weights of the parts, and the few constants that shape them (tuned on the
    development readers of ``benchmarks/personalization.py``)."""

    semantic: float = 0.5
    nearest: float = 2.0
    terms: float = 1.0
    category: float = 0.6
    author: float = 2.0
    topic: float = 3.0
    trend: float = 1.0
    avoid: float = 6.0
    background_weight: float = 5.0
    """Pseudo-count of the collection in the negative side of the semantic direction."""
    category_prior: float = 1.0
    """Pseudo-count smoothing a reader's category shares towards the collection's."""
    followed_category: float = 3.0
    """A followed category counts as this many papers in it."""
    avoid_floor: float = 0.6
    """Cosine to a "not for me" paper below which nothing is subtracted: only close
    neighbours of a rejected paper are pushed down, not its whole field."""


DEFAULT_BLEND = Blend()
SCORED_TERMS = 300
"""A reader's heaviest terms that take part in scoring (the model keeps more, so that
later signals can promote a term)."""
FOLLOWED_AUTHOR = 1.0
LEARNED_AUTHOR_CAP = 0.6
TOPIC_FLOOR, TOPIC_SPAN = 0.2, 0.4


@dataclass
class CompiledReader:
    """A reader's model as the arrays scoring needs."""

    direction: FloatArray
    bias: float
    exemplars: FloatArray  # (k, dim)
    avoided: FloatArray  # (m, dim)
    terms: dict[str, float]
    category_lift: dict[str, float]
    authors: dict[str, tuple[str, float, bool]]  # key -> (name, weight, followed)
    topics: list[tuple[str, FloatArray | None, tuple[str, ...]]]
    trend_weight: float
    blend: Blend = field(default=DEFAULT_BLEND)


def compile_reader(
    model: ReaderModel, background: Background, blend: Blend = DEFAULT_BLEND
) -> CompiledReader:
    direction, bias = _semantic(model, background, blend)
    exemplars = _stack([e.vector for e in model.exemplars], model.dim)
    avoided = _stack([e.vector for e in model.avoided], model.dim)
    terms = _scored_terms(model, background)
    authors: dict[str, tuple[str, float, bool]] = {}
    for key, (name, weight) in model.authors.items():
        if weight > 0:
            authors[key] = (name, min(LEARNED_AUTHOR_CAP, LEARNED_AUTHOR_CAP * weight / 3), False)
    for name in model.follows.authors:
        key = author_key(name)
        if key:
            authors[key] = (name, FOLLOWED_AUTHOR, True)
    topics = [
        (t.text, t.vector, tuple(sorted(set(words_of(t.text))))) for t in model.follows.topics
    ]
    return CompiledReader(
        direction=direction,
        bias=bias,
        exemplars=exemplars,
        avoided=avoided,
        terms=terms,
        category_lift=_category_lift(model, background, blend),
        authors=authors,
        topics=topics,
        trend_weight=blend.trend / (1.0 + model.evidence / 2.0),
        blend=blend,
    )


def _scored_terms(model: ReaderModel, background: Background) -> dict[str, float]:
    """The ``SCORED_TERMS`` heaviest terms of the reader's side of the term discriminant:
    their mean tf-idf in the reader's papers over the collection's variance (the
    collection's side is ``Candidates.term_offset``); empty without positives."""
    if model.pos_weight <= 0 or not model.terms:
        return {}
    keys = list(model.terms)
    scale = np.fromiter((background.term_scale(t) for t in keys), np.float64, len(keys))
    values = np.fromiter(model.terms.values(), np.float64, len(keys)) * scale / model.pos_weight
    if len(keys) > SCORED_TERMS:
        keep = np.argpartition(-np.abs(values), SCORED_TERMS - 1)[:SCORED_TERMS]
        keys, values = [keys[i] for i in keep], values[keep]
    if not np.isfinite(values).all():
        return {}
    return dict(zip(keys, values.tolist(), strict=True))


def _stack(vectors: Sequence[FloatArray], dim: int) -> FloatArray:
    if not vectors:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack(vectors).astype(np.float32)


def _semantic(model: ReaderModel, background: Background, blend: Blend) -> tuple[FloatArray, float]:
    """Unit-variance discriminant direction and its offset (zero without evidence)."""
    if model.pos_weight <= 0 and model.neg_weight <= 0:
        return np.zeros(model.dim, np.float32), 0.0
    mean = background.mean
    positive = model.pos_sum / np.float32(model.pos_weight) if model.pos_weight > 0 else mean
    prior = np.float32(blend.background_weight)
    negative = (prior * mean + model.neg_sum) / (prior + np.float32(model.neg_weight))
    w = background.precision @ (positive - negative).astype(np.float32)
    spread = float(w @ (background.covariance @ w))
    if not math.isfinite(spread) or spread <= 1e-12:
        return np.zeros(model.dim, np.float32), 0.0
    w = (w / np.float32(math.sqrt(spread))).astype(np.float32)
    return w, float(-(w @ mean))


def _category_lift(model: ReaderModel, background: Background, blend: Blend) -> dict[str, float]:
    """log(reader's smoothed share / collection share), minus the value of an unseen one."""
    counts = {c: max(w, 0.0) for c, w in model.categories.items()}
    for category in model.follows.categories:
        counts[category] = counts.get(category, 0.0) + blend.followed_category
    total = max(model.pos_weight, 0.0) + blend.followed_category * len(model.follows.categories)
    alpha = blend.category_prior
    unseen = math.log(alpha / (total + alpha))
    lifts = {}
    for category, count in counts.items():
        if count > 0:
            share = background.share(category)
            lift = math.log((count + alpha * share) / (total + alpha) / share) - unseen
            lifts[category] = max(lift, 0.0)
    return lifts


# -- scoring ---------------------------------------------------------------------------


def score_readers(
    readers: Sequence[CompiledReader], candidates: Candidates, *, parts: bool = False
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Scores of every candidate for every reader, shape (readers, candidates); with
    ``parts``, also each part's weighted contribution (same shape), for reasons."""
    b, n = len(readers), len(candidates)
    split: dict[str, FloatArray] = {}
    if b == 0 or n == 0:
        empty = np.zeros((b, n), dtype=np.float32)
        return empty, (dict.fromkeys(PARTS, empty) if parts else {})
    x = candidates.vectors
    has_vector = candidates.has_vector
    blends = [r.blend for r in readers]
    directions = np.stack([r.direction for r in readers])
    biases = np.asarray([r.bias for r in readers], dtype=np.float32)
    semantic = (directions @ x.T + biases[:, None]) * has_vector[None, :]
    split["semantic"] = _weighted(_standardised(semantic), [bl.semantic for bl in blends])
    split["nearest"] = _weighted(
        _standardised(_best_cosine([r.exemplars for r in readers], x)),
        [bl.nearest for bl in blends],
    )
    avoid = np.zeros((b, n), dtype=np.float32)
    for i, reader in enumerate(readers):
        if len(reader.avoided):
            floor = reader.blend.avoid_floor
            closest = _best_cosine([reader.avoided], x)[0]
            avoid[i] = np.clip((closest - floor) / (1 - floor), 0, None)
    split["avoid"] = -_weighted(avoid, [bl.avoid for bl in blends])
    split["terms"] = _weighted(
        _standardised(_term_scores(readers, candidates)), [bl.terms for bl in blends]
    )
    split["category"] = _weighted(
        _standardised(_category_scores(readers, candidates)), [bl.category for bl in blends]
    )
    split["author"] = _weighted(_author_scores(readers, candidates), [bl.author for bl in blends])
    split["topic"] = _weighted(_topic_scores(readers, candidates), [bl.topic for bl in blends])
    split["trend"] = (
        np.asarray([r.trend_weight for r in readers], np.float32)[:, None]
        * candidates.trend[None, :]
    )
    total = np.zeros((b, n), dtype=np.float32)
    for part in PARTS:
        total += split[part]
    return np.nan_to_num(total), (split if parts else {})


def _standardised(values: FloatArray) -> FloatArray:
    """Each reader's row in standard deviations from its mean (zeros where it is flat)."""
    mean = values.mean(axis=1, keepdims=True)
    spread = values.std(axis=1, keepdims=True)
    out: FloatArray = np.where(spread > 1e-9, (values - mean) / np.maximum(spread, 1e-9), 0.0)
    return out.astype(np.float32)


def _weighted(values: FloatArray, weights: Sequence[float]) -> FloatArray:
    out: FloatArray = values * np.asarray(weights, dtype=np.float32)[:, None]
    return out


def _best_cosine(groups: Sequence[FloatArray], x: FloatArray) -> FloatArray:
    """Per reader, each candidate's highest cosine to the reader's group (0 if empty)."""
    out = np.zeros((len(groups), len(x)), dtype=np.float32)
    sizes = [len(g) for g in groups]
    if not any(sizes):
        return out
    stacked = np.concatenate([g for g in groups if len(g)])
    cosines = x @ stacked.T  # (n, total)
    start = 0
    for i, size in enumerate(sizes):
        if size:
            out[i] = cosines[:, start : start + size].max(axis=1)
            start += size
    return out


def _term_scores(readers: Sequence[CompiledReader], candidates: Candidates) -> FloatArray:
    """Each candidate's tf-idf along each reader's term discriminant (sparse product)."""
    n = len(candidates)
    out = np.zeros(len(readers) * n, dtype=np.float32)
    ids = candidates.term_ids
    starts, rows, weights = candidates.term_start, candidates.term_rows, candidates.term_weights
    reader_of: list[IntArray] = []
    term_of: list[IntArray] = []
    value_of: list[FloatArray] = []
    for i, reader in enumerate(readers):
        shared = [(ids[t], w) for t, w in reader.terms.items() if t in ids]
        if shared:
            term_of.append(np.asarray([t for t, _ in shared], np.int64))
            value_of.append(np.asarray([w for _, w in shared], np.float32))
            reader_of.append(np.full(len(shared), i, np.int64))
    with_terms = np.asarray([bool(r.terms) for r in readers], dtype=np.float32)
    if term_of:
        terms = np.concatenate(term_of)
        lengths = starts[terms + 1] - starts[terms]
        first = np.repeat(starts[terms], lengths)
        offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        postings = first + offset
        slot = np.repeat(np.concatenate(reader_of), lengths) * n + rows[postings]
        value = np.repeat(np.concatenate(value_of), lengths) * weights[postings]
        out = np.bincount(slot, weights=value, minlength=len(readers) * n).astype(np.float32)
    offset = with_terms[:, None] * candidates.term_offset[None, :]
    scores: FloatArray = out.reshape(len(readers), n) - offset
    return scores


def _category_scores(readers: Sequence[CompiledReader], candidates: Candidates) -> FloatArray:
    """Mean lift of each candidate's categories, for every reader (one matrix product)."""
    index = candidates.category_ids
    lifts = np.zeros((len(readers), len(index)), dtype=np.float32)
    for i, reader in enumerate(readers):
        for category, lift in reader.category_lift.items():
            column = index.get(category)
            if column is not None:
                lifts[i, column] = lift
    out: FloatArray = lifts @ candidates.category_matrix.T
    return out


def _author_scores(readers: Sequence[CompiledReader], candidates: Candidates) -> FloatArray:
    """Highest weight among each candidate's authors, for every reader."""
    out = np.zeros((len(readers), len(candidates)), dtype=np.float32)
    index = candidates.by_author
    for i, reader in enumerate(readers):
        for key in reader.authors.keys() & index.keys():
            rows = index[key]
            out[i, rows] = np.maximum(out[i, rows], reader.authors[key][1])
    return out


def _topic_scores(readers: Sequence[CompiledReader], candidates: Candidates) -> FloatArray:
    out = np.zeros((len(readers), len(candidates)), dtype=np.float32)
    for i, reader in enumerate(readers):
        for _, vector, words in reader.topics:
            out[i] = np.maximum(out[i], topic_match(vector, words, candidates))
    return out


def topic_match(
    vector: FloatArray | None, words: tuple[str, ...], candidates: Candidates
) -> FloatArray:
    """0..1 per candidate: 0.7 of the scaled cosine to the topic plus 0.3 of the share
    of its words in the paper (all of it when the topic has no vector)."""
    n = len(candidates)
    keyword = np.zeros(n, dtype=np.float32)
    known = [w for w in words if w in candidates.term_ids]
    for word in known:
        t = candidates.term_ids[word]
        keyword[candidates.term_rows[candidates.term_start[t] : candidates.term_start[t + 1]]] += (
            1.0
        )
    if words:
        keyword /= len(words)
    if vector is None:
        return keyword
    cosine = candidates.vectors @ vector
    semantic = np.clip((cosine - TOPIC_FLOOR) / TOPIC_SPAN, 0.0, 1.0).astype(np.float32)
    out: FloatArray = 0.7 * semantic + 0.3 * keyword
    return out
