"""An author's page: the papers under a name, matched as digests match names
("Y. LeCun" = "Yann LeCun"), with their frequent co-authors and categories."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from paperfeed.digest.candidates import author_key
from paperfeed.papers.latex import latex_to_text
from paperfeed.store import PaperStore, StoredPaper
from paperfeed.web.views import author_url

MAX_SCANNED = 2_000
"""Newest papers whose author list holds the surname, matched by name in Python: the
page and its feed show at most this window of a very common surname."""
MAX_NAME_CHARS = 300
CO_AUTHORS_SHOWN = 12
CATEGORIES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class NameCount:
    name: str
    count: int

    @property
    def url(self) -> str:
        """The author page of this name (for co-authors)."""
        return author_url(self.name)


@dataclass(frozen=True, slots=True)
class AuthorPage:
    """One page of an author's papers, newest first, and what the whole list shows."""

    name: str
    """The spelling the author's papers use most."""
    key: str
    papers: list[StoredPaper]
    total: int
    has_more: bool
    co_authors: list[NameCount]
    categories: list[NameCount]


def surname_fragment(name: str) -> str:
    """The LIKE fragment that finds the name's surname in stored author lists, however
    accented: lower case, each non-ASCII letter standing for any one letter."""
    parts = [p for p in re.split(r"[\s.,]+", name.lower()) if p]
    if not parts:
        return ""
    return "".join(ch if ch.isascii() else "_" for ch in parts[-1])


def author_papers(store: PaperStore, name: str) -> tuple[str, list[StoredPaper]]:
    """The name's key and its papers, newest first (none for an empty or overlong
    name)."""
    key = author_key(name)
    fragment = surname_fragment(name)
    if not key or not fragment or len(name) > MAX_NAME_CHARS or not name.isprintable():
        return "", []  # no stored name holds a control character (nor may a query)
    ids = store.papers_by_author_text(fragment, MAX_SCANNED)
    found = store.get_papers(ids)
    papers = [found[i] for i in ids if i in found]
    return key, [p for p in papers if key in _keys(p)]


def _names(paper: StoredPaper) -> list[str]:
    return [latex_to_text(a.name) for a in paper.paper.authors]


def _keys(paper: StoredPaper) -> set[str]:
    return {author_key(n) for n in _names(paper)}


def author_page(store: PaperStore, name: str, *, limit: int, offset: int) -> AuthorPage | None:
    """A page of the author's papers, or None when no paper is under the name."""
    key, papers = author_papers(store, name)
    if not papers:
        return None
    spellings: Counter[str] = Counter()
    co_authors: dict[str, Counter[str]] = {}
    categories: Counter[str] = Counter()
    for paper in papers:
        categories.update(paper.paper.categories)
        for shown in _names(paper):
            other = author_key(shown)
            if other == key:
                spellings[shown] += 1
            elif other:
                co_authors.setdefault(other, Counter())[shown] += 1
    frequent = sorted(co_authors.values(), key=lambda c: (-c.total(), _spelling(c)))
    return AuthorPage(
        name=_spelling(spellings) or name,
        key=key,
        papers=papers[offset : offset + limit],
        total=len(papers),
        has_more=len(papers) > offset + limit,
        co_authors=[NameCount(_spelling(c), c.total()) for c in frequent[:CO_AUTHORS_SHOWN]],
        categories=[NameCount(c, n) for c, n in categories.most_common(CATEGORIES_SHOWN)],
    )


def _spelling(counts: Counter[str]) -> str:
    """The most used spelling; among equals the fullest ("Yann LeCun" over "Y. LeCun")."""
    if not counts:
        return ""
    return min(counts, key=lambda n: (-counts[n], -len(n), n))
