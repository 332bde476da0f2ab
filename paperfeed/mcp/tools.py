"""What the MCP tools do, over the services the web pages and the JSON API use.

``PaperTools`` knows nothing of MCP: each method takes plain arguments, asks the search
service, the period and trending listings or the citation writer, and returns a
pydantic model (whose JSON schema becomes the tool's output schema). A request it
cannot answer raises ``ToolInputError`` with a sentence a model can act on. Every
method only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from paperfeed.citations import CitationError, cite, papers_to_cite
from paperfeed.community.ranking import explain_paper
from paperfeed.community.scoring import TrendingModel
from paperfeed.errors import PaperfeedError
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.store.base import PaperStore, StoredPaper
from paperfeed.store.community import WINDOWS, Window
from paperfeed.summaries.shown import shown_summary
from paperfeed.web.params import BadRequest, Period, day_period, month_period, week_period
from paperfeed.web.routes.listing import latest_period, list_period, trending
from paperfeed.web.search_port import SearchServiceLike, search_filters
from paperfeed.web.views import code_urls, short_text

SUMMARY_CHARS = 300
AUTHORS_LISTED = 10


class ToolInputError(PaperfeedError):
    """A tool was asked for something paperfeed cannot give (unknown paper, bad period)."""


class Links(BaseModel):
    abs: str = Field(description="The paper's arXiv abstract page.")
    pdf: str = Field(description="The PDF of its latest version.")
    page: str | None = Field(None, description="Its page on this paperfeed site, if public.")
    code: list[str] = Field(default_factory=list, description="Code repositories.")
    project_page: str | None = None


class PaperCard(BaseModel):
    """A paper in a list: enough to decide whether to look closer with get_paper."""

    id: str = Field(description="Canonical arXiv id; pass it to get_paper, cite, ...")
    title: str
    authors: str = Field(description="The first authors, comma-separated.")
    published: date | None = Field(None, description="Date of the first version.")
    listed: date | None = Field(None, description="Day the paper was announced.")
    categories: list[str]
    summary: str = Field(description="A one-sentence TL;DR when known, else the abstract's start.")
    upvotes: int = Field(description="Hugging Face upvotes.")
    score: float | None = Field(None, description="Relevance or trending score in this list.")
    url: str = Field(description="The arXiv abstract page.")


class Trend(BaseModel):
    scores: dict[str, float] = Field(description="Trending score per window (today ... all).")
    upvotes: int = Field(description="Upvotes on this paperfeed.")
    hf_upvotes: int = Field(description="Upvotes on Hugging Face.")
    saves: int
    stars: int = Field(description="GitHub stars gained by its code.")


class PaperDetail(BaseModel):
    """One paper in full."""

    id: str
    version: int | None = None
    title: str
    authors: list[str]
    abstract: str
    primary_category: str | None = None
    categories: list[str]
    published: date | None = None
    updated: date | None = None
    listed: date | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    tldr: str | None = Field(None, description="A one-sentence summary, when there is one.")
    tldr_source: Literal["paperfeed", "huggingface"] | None = None
    keywords: list[str] = Field(default_factory=list)
    links: Links
    trend: Trend | None = Field(None, description="Community signals, when it has any.")


class SearchResults(BaseModel):
    query: str
    mode_used: str = Field(description="hybrid, keyword or semantic (after any fallback).")
    fallback: str | None = Field(None, description="Why semantic search was not used, if so.")
    papers: list[PaperCard]


class PaperList(BaseModel):
    papers: list[PaperCard]


class Listing(BaseModel):
    period: str = Field(description="The day (YYYY-MM-DD), ISO week (YYYY-Www) or month.")
    kind: Literal["day", "week", "month"]
    total: int = Field(description="Papers in the period (and category).")
    previous: str | None = Field(None, description="The period before, to page back.")
    next: str | None = Field(None, description="The period after.")
    papers: list[PaperCard]


class TrendingList(BaseModel):
    window: str
    ranking: str = Field(description="'trending', or 'newest' while nothing has trended yet.")
    papers: list[PaperCard]


class Citation(BaseModel):
    format: str
    citation: str = Field(description="The references, ready to paste or save.")


def paper_summary(stored: StoredPaper) -> tuple[str | None, str | None, list[str]]:
    """The TL;DR, whose it is, and keywords, as pages show them: Hugging Face's where it
    wrote them, else paperfeed's own."""
    shown = shown_summary(stored)
    return shown.tldr, shown.tldr_source, list(shown.keywords)


def _card(stored: StoredPaper, score: float | None = None) -> PaperCard:
    paper = stored.paper
    tldr, _, _ = paper_summary(stored)
    names = stored.authors_text.split(", ")
    authors = ", ".join(names[:AUTHORS_LISTED])
    if len(names) > AUTHORS_LISTED:
        authors += f" and {len(names) - AUTHORS_LISTED} more"
    return PaperCard(
        id=paper.id,
        title=stored.title_text,
        authors=authors,
        published=paper.published,
        listed=paper.announced,
        categories=list(paper.categories),
        summary=tldr or short_text(stored.abstract_text, SUMMARY_CHARS),
        upvotes=(paper.hf.upvotes or 0) if paper.hf else 0,
        score=None if score is None else round(score, 6),
        url=paper.abs_url,
    )


def _canonical(paper_id: str) -> str:
    try:
        return parse_arxiv_id(paper_id).id
    except InvalidArxivId:
        raise ToolInputError(
            f"{paper_id[:60]!r} is not an arXiv identifier (e.g. 2112.12345 or hep-th/9108028)"
        ) from None


def _period(day: date | None, week: str | None, month: str | None) -> Period | None:
    given = [v for v in (day, week, month) if v]
    if len(given) > 1:
        raise ToolInputError("give at most one of date, week and month")
    try:
        if day:
            return day_period(day)
        if week:
            return week_period(week)
        if month:
            return month_period(month)
    except BadRequest as exc:
        raise ToolInputError(str(exc)) from exc
    return None


@dataclass(slots=True)
class PaperTools:
    """The tools' shared collaborators: the store, search (``None``: not installed), the
    trending model and, for page links, the site's public URL."""

    store: PaperStore
    search: SearchServiceLike | None
    model: TrendingModel
    default_window: Window = "week"
    public_url: str = ""

    def _search(self) -> SearchServiceLike:
        if self.search is None:
            raise ToolInputError("search is not available on this paperfeed server")
        return self.search

    def _stored(self, paper_id: str) -> StoredPaper:
        canonical = _canonical(paper_id)
        stored = self.store.get_paper(canonical)
        if stored is None:
            raise ToolInputError(f"paperfeed has no paper {canonical}; try search_papers")
        return stored

    def search_papers(
        self,
        query: str,
        mode: str = "hybrid",
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        author: str | None = None,
        limit: int = 10,
    ) -> SearchResults:
        if since and until and since > until:
            raise ToolInputError("since is after until")
        filters = search_filters(category, since, until, author)
        results = self._search().search(query, mode=mode, filters=filters, limit=limit)
        return SearchResults(
            query=results.query,
            mode_used=results.mode_used,
            fallback=results.fallback,
            papers=[_card(hit.paper, hit.score) for hit in results.hits[:limit]],
        )

    def get_paper(self, paper_id: str) -> PaperDetail:
        stored = self._stored(paper_id)
        paper = stored.paper
        tldr, tldr_source, keywords = paper_summary(stored)
        why = explain_paper(self.store, self.model, paper.id)
        trend = None
        if why.row is not None:
            trend = Trend(
                scores={w: round(why.views[w].total, 6) for w in WINDOWS},
                upvotes=why.row.upvotes,
                hf_upvotes=why.row.hf_upvotes,
                saves=why.row.saves,
                stars=why.row.stars,
            )
        base = self.public_url.rstrip("/")
        return PaperDetail(
            id=paper.id,
            version=paper.version,
            title=stored.title_text,
            authors=[a for a in stored.authors_text.split(", ") if a],
            abstract=stored.abstract_text,
            primary_category=paper.primary_category,
            categories=list(paper.categories),
            published=paper.published,
            updated=paper.updated,
            listed=paper.announced,
            comments=paper.comments,
            journal_ref=paper.journal_ref,
            doi=paper.doi,
            license=paper.license,
            tldr=tldr,
            tldr_source=tldr_source,  # type: ignore[arg-type]
            keywords=keywords,
            links=Links(
                abs=paper.abs_url,
                pdf=paper.pdf_url,
                page=f"{base}/papers/{paper.id}" if base else None,
                code=list(code_urls(stored)),
                project_page=paper.hf.project_page if paper.hf else None,
            ),
            trend=trend,
        )

    def similar_papers(self, paper_id: str, limit: int = 10) -> PaperList:
        stored = self._stored(paper_id)
        hits = self._search().similar(stored.paper.id, limit=limit)
        return PaperList(papers=[_card(hit.paper, hit.score) for hit in hits])

    def daily_papers(
        self,
        day: date | None = None,
        week: str | None = None,
        month: str | None = None,
        category: str | None = None,
        order: Literal["upvotes", "newest"] = "upvotes",
        limit: int = 30,
        offset: int = 0,
    ) -> Listing:
        period = _period(day, week, month) or latest_period(self.store)
        if period is None:
            raise ToolInputError("paperfeed has no papers yet")
        listing = list_period(
            self.store, period, limit=limit, offset=offset, order=order, category=category
        )
        return Listing(
            period=period.slug,
            kind=period.kind,  # type: ignore[arg-type]
            total=listing.total,
            previous=listing.previous.slug if listing.previous else None,
            next=listing.following.slug if listing.following else None,
            papers=[_card(s) for s in listing.papers],
        )

    def trending(
        self, window: Window | None = None, category: str | None = None, limit: int = 20
    ) -> TrendingList:
        view = window or self.default_window
        listing = trending(
            self.store, self.model, window=view, category=category, limit=limit, offset=0
        )
        return TrendingList(
            window=view,
            ranking=listing.ranking,
            papers=[_card(s, listing.scores.get(s.paper.id)) for s in listing.papers],
        )

    def cite(self, paper_ids: Sequence[str], format_name: str = "bibtex") -> Citation:
        try:
            papers = papers_to_cite(self.store, paper_ids)
            return Citation(format=format_name, citation=cite(papers, format_name))
        except CitationError as exc:
            raise ToolInputError(str(exc)) from exc
