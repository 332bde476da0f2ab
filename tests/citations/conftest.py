"""Stored papers for citation tests, built without a database (citations only read)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperfeed.papers.model import Author, Paper
from paperfeed.papers.text import render_plain
from paperfeed.store.base import StoredPaper
from tests.factories import make_paper


def stored(paper: Paper) -> StoredPaper:
    """A paper as the store would hand it back (plain text rendered the same way)."""
    text = render_plain(paper)
    now = datetime(2026, 3, 12, tzinfo=UTC)
    return StoredPaper(paper, text.title, text.abstract, text.authors, now, now)


def stored_paper(paper_id: str = "2112.12345", **changes: Any) -> StoredPaper:
    return stored(make_paper(paper_id, **changes))


HOSTILE_TITLES = [
    r"{Unbalanced braces} in {a title",
    r"Closing too early} and {again",
    r"100% of # and & in \emph{one} title_with_underscores^and carets",
    r"A lone backslash at the end \\",
    r"Math $\mathbb{R}^{n}$ and $\{x : x > 0\}$ and an unclosed $ dollar",
    r"\'Ecole, na\"ive, Schr\"odinger and Erd\H{o}s",
    "Ünïcödé accents: Gödel, Ångström, Łódź, façade",
    "中文标题：深度学习 and a Hebrew one: למידה עמוקה",
    r"Display math $$E = mc^2$$ and \(x_i\) and \[y\] forms",
    r"BERT, GPT-4 and ImageNet: 3D SO(3) acronyms",
    r"Stray \1 control and \{escaped braces\} and \\ breaks",
]
HOSTILE_AUTHORS = (
    Author(r"Patrick Forr\'e"),
    Author("Johannes van der Waals Jr."),
    Author("The ATLAS Collaboration"),
    Author("张伟"),
    Author("Smith, Jr., John"),
    Author("Ana {de la} Cruz & Co"),
    Author("O'Brien, Seán"),
)
