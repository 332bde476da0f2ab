"""Plain-text renderings of a paper, for display and for full-text search."""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.papers.latex import latex_to_text
from paperfeed.papers.model import Paper


@dataclass(frozen=True, slots=True)
class PlainText:
    title: str
    abstract: str
    authors: str


def render_plain(paper: Paper) -> PlainText:
    """Render title and abstract from LaTeX to Unicode text; join author names."""
    return PlainText(
        title=latex_to_text(paper.title),
        abstract=latex_to_text(paper.abstract),
        authors=", ".join(latex_to_text(a.name) for a in paper.authors),
    )
