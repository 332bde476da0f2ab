"""What the ranker knows about a paper, and the day's candidates as one set of matrices.

``PaperFacts`` is the narrow view of a stored paper the ranker needs: its vector, its
plain text (for keyword statistics), categories, authors and trend. ``Candidates`` turns
the papers of a period into arrays once, so ranking them for one reader or for a batch of
readers is a few matrix products (see ``ranking``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from paperfeed.digest.candidates import author_key
from paperfeed.personal.background import Background

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """One paper as the ranker sees it.

    ``vector`` is the paper's L2-normalised embedding of the active generation (None when
    it has none yet); ``text`` is its plain title and abstract; ``trend`` its trending
    score scaled to 0..1 among the papers ranked together.
    """

    id: str
    title: str
    vector: FloatArray | None = None
    text: str = ""
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    trend: float = 0.0


@dataclass
class Candidates:
    """Papers to rank; row ``i`` of every array is ``papers[i]``."""

    papers: tuple[PaperFacts, ...]
    vectors: FloatArray  # (n, dim); zero rows for papers without a vector
    trend: FloatArray  # (n,)
    has_vector: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    term_ids: dict[str, int] = field(default_factory=dict)
    term_start: IntArray = field(default_factory=lambda: np.zeros(1, np.int64))
    term_rows: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    term_weights: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    by_category: dict[str, IntArray] = field(default_factory=dict)
    by_author: dict[str, IntArray] = field(default_factory=dict)
    row_terms: list[dict[str, float]] = field(default_factory=list)
    term_offset: FloatArray = field(default_factory=lambda: np.zeros(0, np.float32))
    """Per paper, the collection's side of the term discriminant: sum over its terms of
    weight * collection mean / collection variance (see ``Background.term_scale``)."""
    category_ids: dict[str, int] = field(default_factory=dict)
    category_matrix: FloatArray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    """(n, categories): 1/k in the columns of a paper's k categories."""

    def __len__(self) -> int:
        return len(self.papers)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.papers]

    @classmethod
    def build(cls, papers: Sequence[PaperFacts], background: Background) -> Candidates:
        """Arrays over ``papers``; vectors of another dimension than the background's are
        treated as missing."""
        n, dim = len(papers), background.dim
        vectors = np.zeros((n, dim), dtype=np.float32)
        for row, paper in enumerate(papers):
            if paper.vector is not None and paper.vector.shape == (dim,):
                vectors[row] = np.nan_to_num(paper.vector)
        trend = np.asarray([p.trend for p in papers], dtype=np.float32).reshape(n)
        trend = np.nan_to_num(np.clip(trend, 0.0, 1.0))
        candidates = cls(tuple(papers), vectors, trend, np.any(vectors != 0, axis=1))
        candidates._index(background)
        return candidates

    def _index(self, background: Background) -> None:
        rows: dict[str, list[int]] = defaultdict(list)
        weights: dict[str, list[float]] = defaultdict(list)
        categories: dict[str, list[int]] = defaultdict(list)
        authors: dict[str, list[int]] = defaultdict(list)
        offset = np.zeros(len(self.papers), dtype=np.float32)
        for row, paper in enumerate(self.papers):
            self.row_terms.append(background.tfidf(paper.text))
            for term, weight in self.row_terms[row].items():
                rows[term].append(row)
                weights[term].append(weight)
                offset[row] += (
                    weight * background.term_mean.get(term, 0.0) * background.term_scale(term)
                )
            for category in set(paper.categories):
                categories[category].append(row)
            for key in {author_key(a) for a in paper.authors} - {""}:
                authors[key].append(row)
        self.term_offset = offset
        # Postings of term i are term_rows[term_start[i]:term_start[i + 1]] (CSR layout).
        self.term_ids = {t: i for i, t in enumerate(rows)}
        lengths = np.asarray([len(r) for r in rows.values()], dtype=np.int64)
        self.term_start = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        self.term_rows = np.asarray([r for rs in rows.values() for r in rs], dtype=np.int64)
        self.term_weights = np.asarray([w for t in rows for w in weights[t]], dtype=np.float32)
        self.by_category = {c: np.asarray(r, dtype=np.int64) for c, r in categories.items()}
        self.category_ids = {c: i for i, c in enumerate(categories)}
        self.category_matrix = np.zeros((len(self.papers), len(categories)), dtype=np.float32)
        for row, paper in enumerate(self.papers):
            own = set(paper.categories)
            for category in own:
                self.category_matrix[row, self.category_ids[category]] = 1.0 / len(own)
        self.by_author = {a: np.asarray(r, dtype=np.int64) for a, r in authors.items()}
