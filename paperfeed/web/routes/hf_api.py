"""Hugging Face compatible endpoints: the paths, parameters and JSON of huggingface.co.

``HfApi(endpoint="http://this-server").list_daily_papers()``, ``paper_info()`` and
``list_papers()`` work against paperfeed unchanged.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.store.base import ListOrder, PaperFilter
from paperfeed.web.api_schema import hf_error_answers
from paperfeed.web.cache import Rendered
from paperfeed.web.hf_json import hf_daily_item, hf_paper
from paperfeed.web.params import (
    DAY_PATTERN,
    MONTH_PATTERN,
    PAPER_ID_PATTERN,
    WEEK_PATTERN,
    day_period,
    month_period,
    parse_day,
    week_period,
)
from paperfeed.web.responses import API_CACHE, cached, json_rendered
from paperfeed.web.routes.listing import period_filter
from paperfeed.web.search_port import search_filters
from paperfeed.web.state import web_state

router = APIRouter(
    prefix="/api", tags=["Hugging Face compatible API"], responses=hf_error_answers()
)

MAX_PAGE = 1000
HFLimit = Annotated[int, Query(ge=1, le=100, description="Papers per page (default 50).")]
HFPage = Annotated[int, Query(ge=0, le=MAX_PAGE, description="Page number, from 0.")]
# Hugging Face's "publishedAt" sort is by the day a paper was featured, newest first;
# "trending" is paperfeed's trending ranking (most upvoted first, until trending lands).
_SORTS: dict[str, ListOrder] = {"publishedAt": "newest", "trending": "upvotes"}


def _period_filter(date: str | None, week: str | None, month: str | None) -> PaperFilter:
    # One period: the day, else the week, else the month (a client that sends more
    # than one gets the narrowest).
    if date:
        return period_filter(day_period(parse_day(date)))
    if week:
        return period_filter(week_period(week))
    if month:
        return period_filter(month_period(month))
    return PaperFilter()


@router.get("/daily_papers", summary="Daily papers (Hugging Face compatible)")
async def daily_papers(
    request: Request,
    date: Annotated[
        str | None,
        Query(pattern=DAY_PATTERN, description="YYYY-MM-DD", json_schema_extra={"format": "date"}),
    ] = None,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN, description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    submitter: Annotated[str | None, Query(max_length=100)] = None,
    sort: Literal["publishedAt", "trending"] = "publishedAt",
    p: HFPage = 0,
    limit: HFLimit = 50,
) -> Response:
    """A day's, week's or month's papers (else the most recent), as huggingface.co lists them.
    Given more than one of `date`, `week` and `month`, the narrowest counts."""
    state = web_state(request)
    where = _period_filter(date, week, month)
    order = _SORTS[sort]

    def render() -> Rendered:
        if submitter:  # paperfeed keeps submitters only for Hugging Face papers
            rows = [
                s
                for s in state.store.list_papers(where, limit=limit, offset=p * limit, order=order)
                if s.paper.hf and s.paper.hf.submitter == submitter
            ]
        else:
            rows = state.store.list_papers(where, limit=limit, offset=p * limit, order=order)
        return json_rendered([hf_daily_item(s) for s in rows])

    key = ("hf-daily", where, submitter, order, p, limit)
    return await cached(request, key, render, API_CACHE)


@router.get("/papers/search", summary="Search papers (Hugging Face compatible)")
async def search_papers(
    request: Request,
    q: Annotated[str, Query(max_length=300, description="The query.")] = "",
    limit: HFLimit = 50,
) -> Response:
    state = web_state(request)
    if state.search is None:
        raise HTTPException(503, "search is not available on this server")
    service = state.search
    query = q.strip()

    def render() -> Rendered:
        if not query:
            return json_rendered([])
        filters = search_filters(None, None, None)
        results = service.search(query, filters=filters, limit=limit)
        return json_rendered([hf_daily_item(hit.paper) for hit in results.hits])

    return await cached(request, ("hf-search", query, limit), render, API_CACHE)


@router.get("/papers", summary="All papers, newest first (Hugging Face compatible)")
async def all_papers(request: Request, p: HFPage = 0, limit: HFLimit = 50) -> Response:
    state = web_state(request)

    def render() -> Rendered:
        rows = state.store.list_papers(limit=limit, offset=p * limit, order="newest")
        return json_rendered([hf_daily_item(s) for s in rows])

    return await cached(request, ("hf-papers", p, limit), render, API_CACHE)


@router.get("/papers/{paper_id:path}", summary="One paper (Hugging Face compatible)")
async def paper(
    request: Request,
    paper_id: Annotated[str, Path(pattern=PAPER_ID_PATTERN, description="An arXiv id.")],
) -> Response:
    state = web_state(request)
    try:
        canonical = parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise HTTPException(404, f"{paper_id[:60]!r} is not an arXiv paper") from exc

    def render() -> Rendered:
        stored = state.store.get_paper(canonical)
        if stored is None:
            return json_rendered({"error": f"Paper {canonical} not found"}, 404)
        return json_rendered(hf_paper(stored))

    return await cached(request, ("hf-paper", canonical), render, API_CACHE)
