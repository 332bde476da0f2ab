"""Queries that name one paper: an arXiv id or URL, a DOI, or its exact title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.papers.ids import find_arxiv_id

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Pin:
    paper_id: str
    kind: str  # "id" | "url" | "doi" | "title"


def arxiv_reference(query: str) -> Pin | None:
    """The arXiv id (or abs/pdf URL) written in ``query``, if any."""
    found = find_arxiv_id(query)
    if found is None:
        return None
    return Pin(found.id, "url" if "arxiv.org/" in query.lower() else "id")


def doi_reference(query: str) -> str | None:
    """The DOI written in ``query`` (bare, ``doi:`` or a doi.org URL), if any."""
    match = _DOI.search(query)
    return match[1].rstrip(".,;)") if match else None


def normalize_title(text: str) -> str:
    """Case- and whitespace-insensitive form of a title, for exact-title pins."""
    return " ".join(text.casefold().split())
