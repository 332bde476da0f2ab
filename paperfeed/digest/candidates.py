"""The candidate pool: every paper new in the run's widest window, prepared once.

Composing 100,000 digests must not search 100,000 times. The papers of a period are
few (about 2,000 a day), so everything a ranking needs is computed once per run over
them: their vectors as one matrix, an inverted index of their words, who wrote them,
their categories, and their trend. Each subscriber's ranking is then a handful of numpy
operations over this pool (see ``ranking``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.digest.trending import trending_of
from paperfeed.search.keyword import STOPWORDS
from paperfeed.store.base import PaperRecords, StoredPaper
from paperfeed.store.community import TrendingRow
from paperfeed.store.search import SearchStore
from paperfeed.store.subscriptions import SubscriptionStore
from paperfeed.store.trending import TrendingStore

WORD = re.compile(r"[a-z0-9]+")
ANNOUNCED_GRACE = timedelta(days=3)
"""A paper counts as new if announced at most this long before its window starts
(ingestion lags announcement); older papers arriving now are a back-fill, not news."""
NO_DAY = 1 << 30

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def words_of(text: str) -> list[str]:
    """Lower-cased content words, plural ``s`` dropped (networks ~ network)."""
    found = []
    for word in WORD.findall(text.lower()):
        if len(word) < 2 or word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(word)
    return found


@lru_cache(maxsize=200_000)
def author_key(name: str) -> str:
    """First initial and last name, accents and case folded: ``Yann LeCun`` ~ ``Y. LeCun``."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    parts = [p for p in re.split(r"[\s.]+", plain) if p]
    if not parts:
        return ""
    return f"{parts[0][0]} {parts[-1]}" if len(parts) > 1 else parts[0]


def _index(groups: dict[str, list[int]]) -> dict[str, IntArray]:
    return {key: np.asarray(rows, dtype=np.int64) for key, rows in groups.items()}


@dataclass
class CandidatePool:
    """Papers new since ``start``; row ``i`` of every array is ``papers[i]``."""

    papers: list[StoredPaper]
    arrived: npt.NDArray[np.float64]  # unix seconds
    announced: IntArray  # day ordinal (NO_DAY when unknown: always new)
    vectors: FloatArray | None  # (n, dim), L2-normalised; zero rows when missing
    generation: str | None
    trend: FloatArray  # 0..1
    upvotes: IntArray
    trend_order: IntArray  # rows, most trending first (then newest)
    words: dict[str, IntArray] = field(default_factory=dict)
    title_words: dict[str, IntArray] = field(default_factory=dict)
    by_author: dict[str, IntArray] = field(default_factory=dict)
    by_category: dict[str, IntArray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.papers)

    @property
    def ids(self) -> list[str]:
        return [p.paper.id for p in self.papers]

    def in_window(self, start: datetime) -> npt.NDArray[np.bool_]:
        """Rows that arrived after ``start`` and are not an old paper back-filled."""
        floor = (start - ANNOUNCED_GRACE).date().toordinal()
        return (self.arrived > start.timestamp()) & (self.announced >= floor)


def build_pool(
    papers: Sequence[tuple[StoredPaper, datetime]],
    *,
    now: datetime,
    model: TrendingModel,
    community: Mapping[str, TrendingRow] | None = None,
    vectors: dict[str, bytes] | None = None,
    generation: str | None = None,
    dim: int = 0,
) -> CandidatePool:
    """The pool over ``papers`` (with when each arrived), their stored vectors and
    their community trending rows (``model``: the trending weights and half-lives)."""
    stored = [p for p, _ in papers]
    n = len(stored)
    matrix: FloatArray | None = None
    if vectors and dim:
        matrix = np.zeros((n, dim), dtype=np.float32)
        for row, paper in enumerate(stored):
            raw = vectors.get(paper.paper.id)
            if raw is not None and len(raw) == dim * 4:
                matrix[row] = np.frombuffer(raw, dtype=np.float32)
    trends = trending_of(stored, now, model, community or {})
    trend = np.asarray([t.score for t in trends], dtype=np.float32)
    top = float(trend.max()) if n else 0.0
    if top > 0:
        trend = trend / top
    arrived = np.asarray([a.timestamp() for _, a in papers], dtype=np.float64)
    day = [(p.paper.announced or p.paper.published) for p in stored]
    announced = np.asarray([d.toordinal() if d else NO_DAY for d in day], dtype=np.int64)
    order = np.lexsort((-arrived, -trend)).astype(np.int64)
    pool = CandidatePool(
        papers=stored,
        arrived=arrived,
        announced=announced,
        vectors=matrix,
        generation=generation if matrix is not None else None,
        trend=trend,
        upvotes=np.asarray([t.upvotes for t in trends], dtype=np.int64),
        trend_order=order,
    )
    _index_text(pool)
    return pool


def _index_text(pool: CandidatePool) -> None:
    words: dict[str, list[int]] = defaultdict(list)
    title_words: dict[str, list[int]] = defaultdict(list)
    authors: dict[str, list[int]] = defaultdict(list)
    categories: dict[str, list[int]] = defaultdict(list)
    for row, stored in enumerate(pool.papers):
        title = set(words_of(stored.title_text))
        for word in title | set(words_of(stored.abstract_text)):
            words[word].append(row)
        for word in title:
            title_words[word].append(row)
        for key in {author_key(a.name) for a in stored.paper.authors}:
            authors[key].append(row)
        for category in set(stored.paper.categories) | {stored.paper.primary_category or ""}:
            if category:
                categories[category].append(row)
    pool.words = _index(words)
    pool.title_words = _index(title_words)
    pool.by_author = _index(authors)
    pool.by_category = _index(categories)


class PoolStore(PaperRecords, SubscriptionStore, SearchStore, TrendingStore, Protocol):
    """What composing digests reads: new papers, their vectors and trending counts,
    and the subscribers' interests, feedback and sent-log."""


def load_pool(
    store: PoolStore, start: datetime, end: datetime, model: TrendingModel
) -> CandidatePool:
    """Every paper that arrived in ``(start, end]`` (not a back-fill), from the store."""
    arrived = store.papers_arrived(start, end, announced_since=start - ANNOUNCED_GRACE)
    loaded = store.get_papers([paper_id for paper_id, _ in arrived])
    papers = [(loaded[pid], at) for pid, at in arrived if pid in loaded]
    generation = store.active_generation()
    vectors: dict[str, bytes] = {}
    dim = 0
    if generation is not None:
        dim = next((g.dim for g in store.generations() if g.name == generation), 0)
        vectors = stored_vectors(store, generation, (p.paper.id for p, _ in papers))
    community = trending_rows(store, [p.paper.id for p, _ in papers], model)
    return build_pool(
        papers,
        now=end,
        model=model,
        community=community,
        vectors=vectors,
        generation=generation,
        dim=dim,
    )


def stored_vectors(
    store: SearchStore, generation: str, paper_ids: Iterable[str]
) -> dict[str, bytes]:
    """The stored embeddings of papers (those without one are absent)."""
    found: dict[str, bytes] = {}
    for paper_id in paper_ids:
        raw = store.get_embedding(generation, paper_id)
        if raw is not None:
            found[paper_id] = raw
    return found
