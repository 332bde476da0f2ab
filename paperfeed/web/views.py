"""What a page shows of a paper, computed once from a ``StoredPaper``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from paperfeed.papers.clean import MAX_ABSTRACT_CHARS, cut_text
from paperfeed.papers.codelinks import repo_url
from paperfeed.papers.latex import latex_to_text
from paperfeed.store.base import StoredPaper
from paperfeed.summaries.shown import ShownSummary, keyword_search_url, shown_summary

NEW_FOR = timedelta(hours=24)
SHORT_ABSTRACT = 320
AUTHORS_SHOWN = 6


@dataclass(frozen=True, slots=True)
class PaperView:
    """Display fields of one paper; templates escape every string."""

    id: str
    title: str
    authors: str
    authors_short: str
    abstract: str
    abstract_short: str
    day: date | None
    published: date | None
    updated: date | None
    categories: tuple[str, ...]
    abs_url: str
    pdf_url: str
    code_urls: tuple[str, ...]
    project_page: str | None
    upvotes: int
    num_comments: int | None
    ai_summary: str | None
    ai_keywords: tuple[str, ...]
    summary: ShownSummary
    """The TL;DR and keywords shown (Hugging Face's where it wrote them, else ours)."""
    comments: str | None
    journal_ref: str | None
    doi: str | None
    is_new: bool
    author_names: tuple[str, ...] = ()
    """Plain author names, in order: each links to its author page."""

    @property
    def author_links(self) -> tuple[tuple[str, str], ...]:
        """Every author with the URL of their page."""
        return tuple((name, author_url(name)) for name in self.author_names)

    @property
    def author_links_short(self) -> tuple[tuple[str, str], ...]:
        """The first authors a card shows, with their pages' URLs."""
        return self.author_links[:AUTHORS_SHOWN]

    @property
    def authors_more(self) -> int:
        """How many authors a card leaves out."""
        return max(0, len(self.author_names) - AUTHORS_SHOWN)

    @property
    def page_url(self) -> str:
        return f"/papers/{self.id}"

    @property
    def code_url(self) -> str | None:
        return self.code_urls[0] if self.code_urls else None

    @property
    def keyword_links(self) -> tuple[tuple[str, str], ...]:
        """Each shown keyword with the URL of a keyword search for it."""
        return tuple((k, keyword_search_url(k)) for k in self.summary.keywords)


def author_url(name: str) -> str:
    """The author page of a name, every character that is not a letter or digit
    percent-encoded (slashes included)."""
    return "/authors/" + quote(name, safe="")


def short_text(text: str, limit: int = SHORT_ABSTRACT) -> str:
    """``text`` cut at a word boundary near ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def code_urls(stored: StoredPaper) -> tuple[str, ...]:
    """Code repositories: Hugging Face's link first, then those the paper itself names."""
    urls: dict[str, None] = {}
    hf = stored.paper.hf
    if hf and hf.github_repo:
        # Stored as a code link (``github.com/owner/name``) by the hf-daily source.
        repo = hf.github_repo.rstrip("/")
        urls[repo if "://" in repo else repo_url(repo)] = None
    for link in stored.paper.code_links:
        urls.setdefault(repo_url(link), None)
    return tuple(urls)


def paper_view(stored: StoredPaper, now: datetime | None = None) -> PaperView:
    paper = stored.paper
    hf = paper.hf
    names = [latex_to_text(a.name) for a in paper.authors]
    shown = ", ".join(names[:AUTHORS_SHOWN])
    if len(names) > AUTHORS_SHOWN:
        shown += f" and {len(names) - AUTHORS_SHOWN} more"
    now = now or datetime.now(UTC)
    first_seen = stored.first_seen_at
    if first_seen.tzinfo is None:
        first_seen = first_seen.replace(tzinfo=UTC)
    return PaperView(
        id=paper.id,
        title=stored.title_text,
        authors=stored.authors_text,
        authors_short=shown,
        abstract=cut_text(stored.abstract_text, MAX_ABSTRACT_CHARS),  # stored before the cap
        abstract_short=short_text(stored.abstract_text),
        day=paper.announced or paper.published,
        published=paper.published,
        updated=paper.updated,
        categories=paper.categories,
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        code_urls=code_urls(stored),
        project_page=hf.project_page if hf else None,
        upvotes=(hf.upvotes or 0) if hf else 0,
        num_comments=hf.num_comments if hf else None,
        ai_summary=hf.ai_summary if hf else None,
        ai_keywords=hf.ai_keywords if hf else (),
        summary=shown_summary(stored),
        comments=paper.comments,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
        is_new=now - first_seen < NEW_FOR,
        author_names=tuple(n for n in names if n.strip()),
    )
