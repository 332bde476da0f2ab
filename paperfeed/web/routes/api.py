"""paperfeed's own JSON API (``/api/v1``): papers by period, trending, search, similar.

Listings return ``{"papers": [...], "next_cursor": ...}``; pass ``cursor`` back for the
next page until it is ``null``. Papers use the shape of ``paperfeed.paper_json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from paperfeed.paper_json import paper_json
from paperfeed.store.base import PaperFilter, StoredPaper
from paperfeed.store.community import WINDOWS
from paperfeed.web.api_schema import error_answers
from paperfeed.web.cache import Rendered
from paperfeed.web.community import community_web
from paperfeed.web.params import (
    CATEGORY_PATTERN,
    CURSOR_PATTERN,
    DAY_PATTERN,
    MONTH_PATTERN,
    PAPER_ID_PATTERN,
    WEEK_PATTERN,
    canonical_paper_id,
    day_period,
    decode_cursor,
    encode_cursor,
    month_period,
    parse_category,
    parse_day,
    week_period,
)
from paperfeed.web.responses import API_CACHE, cached, json_rendered
from paperfeed.web.routes.listing import period_filter, trending
from paperfeed.web.search_port import SearchServiceLike, search_filters
from paperfeed.web.state import WebState, web_state

router = APIRouter(prefix="/api/v1", tags=["paperfeed API"], responses=error_answers(400, 404, 503))

Limit = Annotated[int, Query(ge=1, le=100, description="Papers per page (1-100).")]
Cursor = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page."),
]
Day = Annotated[
    str | None,
    Query(pattern=DAY_PATTERN, description="YYYY-MM-DD", json_schema_extra={"format": "date"}),
]
PaperId = Annotated[
    str,
    Path(
        pattern=PAPER_ID_PATTERN,
        description="An arXiv id: 2503.14603, 2503.14603v2, arXiv:2503.14603, hep-th/9108028.",
    ),
]
Category = Annotated[
    str | None,
    Query(max_length=40, pattern=CATEGORY_PATTERN, description="arXiv category, e.g. cs.LG."),
]


def _page(papers: list[StoredPaper], limit: int, offset: int) -> dict[str, Any]:
    """A page of a listing fetched with ``limit + 1`` rows (the extra one says "more")."""
    more = len(papers) > limit
    return {
        "papers": [paper_json(p) for p in papers[:limit]],
        "next_cursor": encode_cursor(offset + limit) if more else None,
    }


def _listing_filter(
    date: str | None, week: str | None, month: str | None, category: str | None
) -> PaperFilter:
    # One period: the day, else the week, else the month (a client that sends more
    # than one gets the narrowest).
    if date:
        return period_filter(day_period(parse_day(date)), category)
    if week:
        return period_filter(week_period(week), category)
    if month:
        return period_filter(month_period(month), category)
    return PaperFilter(category=category)


@router.get("/papers", summary="Papers by day, week or month")
async def list_papers(
    request: Request,
    date: Day = None,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN, description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    category: Category = None,
    order: Literal["upvotes", "newest"] = "upvotes",
    limit: Limit = 30,
    cursor: Cursor = None,
) -> Response:
    """Most upvoted (or newest) first; without a period, across all days. Given more than
    one of `date`, `week` and `month`, the narrowest counts."""
    state = web_state(request)
    where = _listing_filter(date, week, month, parse_category(category))
    offset = decode_cursor(cursor)

    def render() -> Rendered:
        rows = state.store.list_papers(where, limit=limit + 1, offset=offset, order=order)
        return json_rendered(_page(rows, limit, offset))

    return await cached(request, ("api-papers", where, order, limit, offset), render, API_CACHE)


@router.get("/trending", summary="Trending papers")
async def trending_papers(
    request: Request,
    category: Category = None,
    window: Annotated[
        Literal["today", "week", "month", "all"] | None,
        Query(description="today, week, month or all (default: the server's setting)."),
    ] = None,
    limit: Limit = 30,
    cursor: Cursor = None,
) -> Response:
    """A trending view; `ranking` is `trending`, or `newest` while nothing has trended.

    Each paper carries its `score` in the view (docs/community.md has the formula)."""
    state = web_state(request)
    community = community_web(request)
    view = window or community.settings.default_window
    assert view in WINDOWS
    offset = decode_cursor(cursor)

    def render() -> Rendered:
        listing = trending(
            state.store,
            community.model,
            window=view,
            category=category,
            limit=limit + 1,
            offset=offset,
        )
        page = _page(listing.papers, limit, offset)
        for item in page["papers"]:
            item["score"] = listing.scores.get(item["id"])
        return json_rendered({**page, "ranking": listing.ranking, "window": view})

    key = ("api-trending", view, category, limit, offset)
    return await cached(request, key, render, API_CACHE)


def _search_service(state: WebState) -> SearchServiceLike:
    if state.search is None:
        raise HTTPException(503, "search is not available on this server")
    return state.search


@router.get("/search", summary="Search papers")
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=300, description="The query.")],
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    category: Category = None,
    since: Day = None,
    until: Day = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    """Keyword, semantic or hybrid search; an exact arXiv id or title is `pinned` first."""
    state = web_state(request)
    service = _search_service(state)
    offset = decode_cursor(cursor)
    first = parse_day(since) if since else None
    last = parse_day(until) if until else None
    filters = search_filters(category, first, last)

    def render() -> Rendered:
        results = service.search(q, mode=mode, filters=filters, limit=limit + 1, offset=offset)
        hits = list(results.hits)
        return json_rendered(
            {
                "query": results.query,
                "mode_used": results.mode_used,
                "fallback": results.fallback,
                "pinned": results.pinned,
                "results": [{"score": h.score, "paper": paper_json(h.paper)} for h in hits[:limit]],
                "next_cursor": encode_cursor(offset + limit) if len(hits) > limit else None,
            }
        )

    key = ("api-search", q, mode, category, first, last, limit, offset)
    return await cached(request, key, render, API_CACHE)


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper")
async def similar(request: Request, paper_id: PaperId, limit: Limit = 10) -> Response:
    state = web_state(request)
    service = _search_service(state)
    canonical = canonical_paper_id(paper_id)

    def render() -> Rendered:
        if state.store.get_paper(canonical) is None:
            return json_rendered({"detail": f"no paper {canonical}"}, 404)
        hits = service.similar(canonical, limit=limit)
        return json_rendered({"papers": [paper_json(h.paper) for h in hits]})

    return await cached(request, ("api-similar", canonical, limit), render, API_CACHE)


@router.get("/papers/{paper_id:path}", summary="One paper")
async def get_paper(request: Request, paper_id: PaperId) -> Response:
    """The id may carry a version or an `arXiv:` prefix."""
    state = web_state(request)
    canonical = canonical_paper_id(paper_id)

    def render() -> Rendered:
        stored = state.store.get_paper(canonical)
        if stored is None:
            return json_rendered({"detail": f"no paper {canonical}"}, 404)
        return json_rendered(paper_json(stored))

    return await cached(request, ("api-paper", canonical), render, API_CACHE)
