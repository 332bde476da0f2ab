"""What every reader's model is measured against: statistics of the whole collection.

A reader's interests are what sets their papers apart from papers in general, so each
model is learned relative to one shared ``Background``: the mean and covariance of the
paper vectors (the semantic direction is whitened by them, as in linear discriminant
analysis), the document frequencies behind tf-idf, and how common each category is.
It is fitted from a sample of the store's papers (tens of thousands are plenty), kept
beside the store, and refitted when the embedding generation changes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import orjson

from paperfeed.digest.candidates import words_of
from paperfeed.personal.errors import ModelStateError
from paperfeed.personal.packing import pack_array, unpack_array

FloatArray = npt.NDArray[np.float32]

FORMAT = 2
MIN_DF = 3
VOCABULARY = 50_000
"""The most frequent terms kept (words and pairs), as arxiv-sanity-lite caps its own."""
MAX_DF_SHARE = 0.1
"""Terms in more than this share of papers say little about a taste and make every
term list long: left out, as arxiv-sanity-lite does."""
TERM_RIDGE = 1e-4
"""Added to each term's variance: rare terms weigh more, but not without bound (chosen on
the benchmark's development readers, 1e-4 to 1e-2 within 1%)."""
SHRINK = 0.1
"""Ridge added to the covariance, as a share of its mean variance, before inverting."""


TFIDF_MEMO = 20_000
"""Texts whose tf-idf a background remembers (a day's papers and the readers' own)."""


@dataclass(frozen=True)
class Background:
    """Collection statistics: vector mean, covariance and its regularised inverse;
    inverse document frequencies; category shares."""

    dim: int
    mean: FloatArray
    covariance: FloatArray
    precision: FloatArray
    idf: dict[str, float]
    category_share: dict[str, float]
    papers: int
    term_mean: dict[str, float] = field(default_factory=dict)
    """Mean tf-idf weight of each term over the sample (zeros included)."""
    term_var: dict[str, float] = field(default_factory=dict)
    """Its variance: the term part of a reader's score is a diagonal linear discriminant,
    each term weighted by (reader's mean - collection's mean) / collection's variance."""
    _tfidf: dict[str, dict[str, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def term_scale(self, term: str) -> float:
        """1 / (variance + ridge): how much a unit of difference in this term counts."""
        return 1.0 / (self.term_var.get(term, 0.0) + TERM_RIDGE)

    def tfidf(self, text: str) -> dict[str, float]:
        """The text's known terms, weighted by (1 + log tf) * idf, L2-normalised; the
        result is shared, never to be changed. A paper rated by many readers (a digest
        batch trains them together) is weighed once."""
        known = self._tfidf.get(text)
        if known is None:
            if len(self._tfidf) >= TFIDF_MEMO:
                self._tfidf.clear()
            known = _weights(Counter(w for w in terms_of(text) if w in self.idf), self.idf)
            self._tfidf[text] = known
        return known

    def share(self, category: str) -> float:
        """How common a category is (a small floor for unseen ones)."""
        return self.category_share.get(category, 0.5 / max(self.papers, 1))

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "dim": self.dim,
                "papers": self.papers,
                "mean": pack_array(self.mean),
                "covariance": pack_array(self.covariance),
                "idf": self.idf,
                "category_share": self.category_share,
                "term_mean": self.term_mean,
                "term_var": self.term_var,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Background:
        try:
            data = orjson.loads(raw)
            if data.get("format") != FORMAT:
                raise ModelStateError(f"background format {data.get('format')!r} is not {FORMAT}")
            dim = int(data["dim"])
            mean = unpack_array(data["mean"], (dim,))
            covariance = unpack_array(data["covariance"], (dim, dim))
            idf = {str(k): float(v) for k, v in data["idf"].items()}
            shares = {str(k): float(v) for k, v in data["category_share"].items()}
            term_mean = {str(k): float(v) for k, v in data["term_mean"].items()}
            term_var = {str(k): float(v) for k, v in data["term_var"].items()}
            return cls(
                dim,
                mean,
                covariance,
                _precision(covariance),
                idf,
                shares,
                int(data["papers"]),
                term_mean,
                term_var,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelStateError(f"unreadable background statistics: {exc}") from exc


def _weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm > 0 else {}


def terms_of(text: str) -> list[str]:
    """Content words and pairs of consecutive content words: a pair ("graph neural",
    "neural operator") names a method or an object that its words alone do not."""
    words = words_of(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _precision(covariance: FloatArray) -> FloatArray:
    dim = covariance.shape[0]
    ridge = SHRINK * float(np.trace(covariance)) / max(dim, 1) or 1.0
    inverse = np.linalg.inv(covariance.astype(np.float64) + ridge * np.eye(dim))
    return inverse.astype(np.float32)


def fit_background(
    vectors: FloatArray,
    texts: Iterable[str],
    categories: Iterable[Sequence[str]],
    *,
    dim: int | None = None,
) -> Background:
    """Statistics of a sample of papers: ``vectors`` (rows L2-normalised, may be empty
    when nothing is embedded yet; then ``dim`` says the model's dimension), their texts
    and their categories."""
    dim = int(vectors.shape[1]) if vectors.ndim == 2 and len(vectors) else int(dim or 0)
    if dim <= 0:
        raise ValueError("fit_background needs vectors or a dimension")
    rows = np.nan_to_num(np.asarray(vectors, dtype=np.float64).reshape(-1, dim))
    if len(rows) >= 2:
        mean = rows.mean(axis=0)
        covariance = np.cov(rows, rowvar=False)
    else:
        mean = rows[0] if len(rows) else np.zeros(dim)
        covariance = np.eye(dim) / dim
    df: Counter[str] = Counter()
    papers = 0
    listed_terms = []
    for text in texts:
        papers += 1
        terms = terms_of(text)
        listed_terms.append(terms)
        df.update(set(terms))
    ceiling = max(MAX_DF_SHARE * papers, MIN_DF)
    kept = [(t, n) for t, n in df.items() if MIN_DF <= n <= ceiling]
    kept = sorted(kept, key=lambda tn: (-tn[1], tn[0]))[:VOCABULARY]
    idf = {t: round(math.log((1 + papers) / (1 + n)) + 1.0, 4) for t, n in kept}
    shares: Counter[str] = Counter()
    listed = 0
    for cats in categories:
        listed += 1
        shares.update(set(cats))
    category_share = {c: n / listed for c, n in shares.items()} if listed else {}
    cov32 = covariance.astype(np.float32)
    background = Background(
        dim,
        mean.astype(np.float32),
        cov32,
        _precision(cov32),
        idf,
        category_share,
        max(papers, len(rows)),
    )
    total: defaultdict[str, float] = defaultdict(float)
    squares: defaultdict[str, float] = defaultdict(float)
    for terms in listed_terms:
        for term, weight in _weights(Counter(t for t in terms if t in idf), idf).items():
            total[term] += weight
            squares[term] += weight * weight
    count = max(papers, 1)
    background.term_mean.update({t: round(w / count, 8) for t, w in total.items()})
    background.term_var.update(
        {t: round(max(squares[t] / count - (w / count) ** 2, 0.0), 8) for t, w in total.items()}
    )
    return background
