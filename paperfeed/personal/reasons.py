"""Reasons a paper is ranked for a reader, in words they recognise.

Each reason comes from one part of the score (see ``ranking``), strongest first:
"like 'Attention Is All You Need', which you saved", "by Yann LeCun, whom you follow",
"matches your topic 'equivariant GNNs'", "trending in cs.LG". A paper always gets at
least one reason.
"""

from __future__ import annotations

from paperfeed.digest.candidates import author_key
from paperfeed.personal.model import ReaderModel
from paperfeed.personal.papers import Candidates
from paperfeed.personal.ranking import CompiledReader, topic_match
from paperfeed.personal.signals import PHRASE

MAX_REASONS = 3
TITLE_CHARS = 70
NEAR = 0.45
"""Cosine to a liked paper from which "like '<title>'" is worth saying."""
TRENDING = 0.3
MIN_CONTRIBUTION = 0.05


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def nearest_liked(
    rows: list[int], reader: CompiledReader, candidates: Candidates
) -> list[tuple[int, float]]:
    """For each row, the closest exemplar of the reader's liked papers and its cosine
    ((-1, 0.0) when the reader has none)."""
    if not len(reader.exemplars) or not rows:
        return [(-1, 0.0)] * len(rows)
    cosines = reader.exemplars @ candidates.vectors[rows].T  # (exemplars, rows)
    best = cosines.argmax(axis=0)
    return [(int(b), float(cosines[b, i])) for i, b in enumerate(best)]


def reasons_for(
    row: int,
    parts: dict[str, float],
    model: ReaderModel,
    reader: CompiledReader,
    candidates: Candidates,
    liked: tuple[int, float],
) -> list[str]:
    """Up to ``MAX_REASONS`` reasons for candidate ``row``, given its part scores and its
    closest liked exemplar (see ``nearest_liked``)."""
    reasons: list[str] = []
    paper = candidates.papers[row]
    for part, contribution in sorted(parts.items(), key=lambda kv: -kv[1]):
        if len(reasons) >= MAX_REASONS:
            break
        if contribution < MIN_CONTRIBUTION and part != "trend":
            continue
        text = None
        if part == "nearest" or (part == "semantic" and contribution > 0.5):
            text = _liked(model, liked)
        elif part == "author":
            text = _author(row, reader, candidates)
        elif part == "topic":
            text = _topic(row, reader, candidates)
        elif part == "category":
            text = _category(row, model, reader, candidates)
        elif part == "terms":
            text = _terms(row, reader, candidates)
        elif part == "trend" and candidates.trend[row] >= TRENDING:
            where = paper.categories[0] if paper.categories else "your feed"
            text = f"trending in {where}"
        if text and text not in reasons:
            reasons.append(text)
    if not reasons:
        where = paper.categories[0] if paper.categories else "arXiv"
        reasons.append(f"new in {where}")
    return reasons


def _liked(model: ReaderModel, liked: tuple[int, float]) -> str | None:
    best, cosine = liked
    if best < 0 or cosine < NEAR or best >= len(model.exemplars):
        return None
    exemplar = model.exemplars[best]
    return f"like '{shorten(exemplar.title)}', {PHRASE.get(exemplar.signal, 'which you liked')}"


def _author(row: int, reader: CompiledReader, candidates: Candidates) -> str | None:
    best: tuple[float, str, bool] | None = None
    for name in candidates.papers[row].authors:
        entry = reader.authors.get(author_key(name))
        if entry is not None and (best is None or entry[1] > best[0]):
            best = (entry[1], name, entry[2])
    if best is None:
        return None
    _, name, followed = best
    return f"by {name}, whom you follow" if followed else f"by {name}, whose papers you chose"


def _topic(row: int, reader: CompiledReader, candidates: Candidates) -> str | None:
    scored = [
        (float(topic_match(vector, words, candidates)[row]), text)
        for text, vector, words in reader.topics
    ]
    if not scored:
        return None
    score, text = max(scored)
    return f"matches your topic '{shorten(text, 60)}'" if score > 0 else None


def _category(
    row: int, model: ReaderModel, reader: CompiledReader, candidates: Candidates
) -> str | None:
    categories = candidates.papers[row].categories
    followed = [c for c in categories if c in model.follows.categories]
    if followed:
        return f"in {followed[0]}, which you follow"
    lifted = [c for c in categories if reader.category_lift.get(c, 0.0) > 0]
    if lifted:
        best = max(lifted, key=lambda c: reader.category_lift[c])
        return f"in {best}, like many papers you chose"
    return None


def _terms(row: int, reader: CompiledReader, candidates: Candidates) -> str | None:
    paper_terms = candidates.row_terms[row]
    shared = paper_terms.keys() & reader.terms.keys()
    contributions = sorted(((paper_terms[t] * reader.terms[t], t) for t in shared), reverse=True)
    top = [term for weight, term in contributions[:3] if weight > 0]
    if not top:
        return None
    return "mentions " + ", ".join(f"'{t}'" for t in top) + ", as papers you chose do"
