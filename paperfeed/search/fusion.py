"""Hybrid ranking: keyword and semantic candidates fused into one order by score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from paperfeed.search.highlight import Matcher, light_stem
from paperfeed.search.keyword import STOPWORDS
from paperfeed.search.query import words_of
from paperfeed.store.base import StoredPaper


def is_term_list(text: str) -> bool:
    """Whether ``text`` is a list of terms (``ALICE p-Pb nuclear modification factor``)
    rather than prose: it has words and not one of them is a function word.

    A reader who types bare terms wants papers with those terms; one who writes a
    sentence describes a meaning in words the paper may not use (decision 0003).
    """
    words = words_of(text)
    return bool(words) and not any(w in STOPWORDS for w in words)


def share_of_words_held(text: str, paper: StoredPaper) -> float:
    """The share of the distinct words of ``text`` that ``paper``'s title, authors or
    abstract contain (up to the light stemming highlighting uses); 0 for no words."""
    words = set(words_of(text))
    if not words:
        return 0.0
    written = " ".join((paper.title_text, paper.authors_text, paper.abstract_text))
    found = {light_stem(written[start:end]) for start, end in Matcher(words).spans(written)}
    return sum(1 for word in words if light_stem(word) in found) / len(words)


def score_fusion(
    keyword: Sequence[tuple[str, float]],
    semantic: Sequence[tuple[str, float]],
    *,
    keyword_weight: float,
    semantic_weight: float,
    similarities: Mapping[str, float] | None = None,
) -> list[tuple[str, float]]:
    """Fuse by score: ``keyword_weight`` x BM25 over the best BM25 of the list, plus
    ``semantic_weight`` x cosine similarity.

    BM25 has no fixed scale (it grows with the query's length and rarity), so it is
    divided by the query's best; cosine already has one, so it is kept as it is and a
    clear semantic winner stays clear while a flat semantic list barely moves the keyword
    order. A keyword candidate outside the semantic list counts with its own cosine
    from ``similarities`` (the caller computes it for those few papers), else with the
    lowest similarity of the semantic list (it is at most that similar); a semantic
    candidate outside the keyword list counts as 0 BM25. Ranks alone (reciprocal rank
    fusion) throw away how far apart the candidates are (decision 0003).
    """
    top = keyword[0][1] if keyword and keyword[0][1] > 0 else 1.0
    floor = min((s for _, s in semantic), default=0.0)
    bm25 = {paper_id: s / top for paper_id, s in keyword}
    cosine = {**(similarities or {}), **dict(semantic)}
    order: dict[str, int] = {}
    for paper_id, _ in (*keyword, *semantic):
        order.setdefault(paper_id, len(order))
    scores = {
        p: keyword_weight * bm25.get(p, 0.0) + semantic_weight * cosine.get(p, floor) for p in order
    }
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
