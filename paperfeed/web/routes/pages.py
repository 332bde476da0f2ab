"""The HTML pages: days, weeks and months of papers, trending, search, a paper, subscribe."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.community.ranking import explain_paper
from paperfeed.errors import PaperfeedError
from paperfeed.store.community import WINDOWS, SignalScorer
from paperfeed.web.cache import Freshness, Rendered
from paperfeed.web.community import (
    PRIVATE,
    Viewer,
    card_signals,
    community_web,
    current_viewer,
    page_context,
    personal_page,
)
from paperfeed.web.highlight import highlighted
from paperfeed.web.params import (
    CATEGORY_PATTERN,
    BadRequest,
    Period,
    canonical_paper_id,
    day_period,
    month_period,
    parse_category,
    parse_day,
    week_period,
)
from paperfeed.web.responses import PAGE_CACHE, in_background, send
from paperfeed.web.routes.cite import cite_section
from paperfeed.web.routes.listing import latest_period, list_period, trending
from paperfeed.web.search_port import search_filters
from paperfeed.web.state import WebState, web_state
from paperfeed.web.views import paper_view

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
MAX_PAGE = 300
SEARCH_PAGE_SIZE = 20
SIMILAR_COUNT = 6
UPVOTERS_SHOWN = 12

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]


def _pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _render_period(
    request: Request,
    state: WebState,
    period: Period | None,
    page: int,
    viewer: Viewer | None,
    *,
    home: bool,
) -> Rendered:
    if period is None:
        return state.render_html("empty.html", home=home)
    listing = list_period(state.store, period, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return state.render_html(
        "listing.html",
        **page_context(request, state.store, listing.papers, viewer),
        listing=listing,
        papers=[paper_view(p) for p in listing.papers],
        page=page,
        pages=_pages(listing.total, PAGE_SIZE),
        home=home,
        feed="/feeds/today" if home else None,
    )


@router.get("/")
async def home(request: Request, p: PageNumber = 1) -> Response:
    state = web_state(request)
    return await personal_page(
        request,
        ("home", p),
        lambda viewer: _render_period(
            request, state, latest_period(state.store), p, viewer, home=True
        ),
    )


async def _period_page(request: Request, period: Period, page: int) -> Response:
    state = web_state(request)
    return await personal_page(
        request,
        ("period", period.kind, period.first, page),
        lambda viewer: _render_period(request, state, period, page, viewer, home=False),
    )


@router.get("/papers/date")
async def jump_to_day(d: Annotated[str, Query(max_length=10)]) -> Response:
    """The date picker's target (a GET form): on to that day's page."""
    return RedirectResponse(f"/papers/date/{parse_day(d).isoformat()}", status_code=303)


@router.get("/papers/date/{day}")
async def day_page(request: Request, day: str, p: PageNumber = 1) -> Response:
    return await _period_page(request, day_period(parse_day(day)), p)


@router.get("/papers/week/{week}")
async def week_page(request: Request, week: str, p: PageNumber = 1) -> Response:
    return await _period_page(request, week_period(week), p)


@router.get("/papers/month/{month}")
async def month_page(request: Request, month: str, p: PageNumber = 1) -> Response:
    return await _period_page(request, month_period(month), p)


WINDOW_LABELS = {"today": "Today", "week": "This week", "month": "This month", "all": "All time"}


@router.get("/trending")
async def trending_page(
    request: Request,
    p: PageNumber = 1,
    category: Annotated[str | None, Query(max_length=40, pattern=CATEGORY_PATTERN)] = None,
    window: Literal["today", "week", "month", "all"] | None = None,
) -> Response:
    state = web_state(request)
    community = community_web(request)
    view = window or community.settings.default_window

    def render(viewer: Viewer | None) -> Rendered:
        listing = trending(
            state.store,
            community.model,
            window=view,
            category=category,
            limit=PAGE_SIZE + 1,
            offset=(p - 1) * PAGE_SIZE,
        )
        shown = listing.papers[:PAGE_SIZE]
        return state.render_html(
            "trending.html",
            **page_context(request, state.store, shown, viewer),
            papers=[paper_view(s) for s in shown],
            scores=listing.scores,
            ranking=listing.ranking,
            has_more=len(listing.papers) > PAGE_SIZE,
            page=p,
            category=category,
            window=view,
            windows=[(w, WINDOW_LABELS[w]) for w in WINDOWS],
            half_life=community.settings.half_lives[view],
        )

    return await personal_page(request, ("trending", view, category, p), render)


@router.get("/search")
async def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=300)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    p: Annotated[int, Query(ge=1, le=50)] = 1,
) -> Response:
    state = web_state(request)
    query = q.strip()
    form = {"q": query, "category": category, "since": since, "until": until, "mode": mode}
    if not query:
        return send(request, state.render_html("search.html", form=form, results=None), PAGE_CACHE)
    if state.search is None:
        unavailable = state.render_html(
            "error.html",
            status_code=503,
            title="Search is not available",
            message="This paperfeed was installed without search. Browse by day instead.",
        )
        return send(request, unavailable, PAGE_CACHE)
    cat = parse_category(category)
    first = parse_day(since) if since else None
    last = parse_day(until) if until else None
    if first and last and first > last:
        raise BadRequest("the start of the date range is after its end")
    key = ("search", query, cat, first, last, mode, p)
    scorer = community_web(request).model
    viewer = await current_viewer(request)
    if viewer is not None:  # their own page: without the papers they said are not for them
        outcome = await run_in_threadpool(
            _render_search, state, scorer, form, query, cat, first, last, mode, p, viewer
        )
        if isinstance(outcome, str):
            return RedirectResponse(outcome, status_code=303)
        return send(request, outcome, PRIVATE)
    found, freshness = state.cache.lookup(key)
    if found is not None and freshness is Freshness.STALE and state.cache.claim_refresh(key):
        in_background(
            run_in_threadpool(
                state.cache.render,
                key,
                lambda: _rendered_or_raise(
                    _render_search(state, scorer, form, query, cat, first, last, mode, p)
                ),
            )
        )
    if found is None:
        version = state.store.data_version()
        outcome = await run_in_threadpool(
            _render_search, state, scorer, form, query, cat, first, last, mode, p
        )
        if isinstance(outcome, str):  # an arXiv id or exact title: straight to the paper
            return RedirectResponse(outcome, status_code=303)
        found = outcome
        state.cache.keep(key, found, version)
    return send(request, found, PAGE_CACHE)


def _rendered_or_raise(outcome: Rendered | str) -> Rendered:
    """A search page for the cache; a redirect (a pinned paper) is never cached."""
    if isinstance(outcome, str):
        return Rendered.of(b"", "text/plain", 303)
    return outcome


def _render_search(
    state: WebState,
    scorer: SignalScorer,
    form: dict[str, str],
    query: str,
    category: str | None,
    since: date | None,
    until: date | None,
    mode: str,
    page: int,
    viewer: Viewer | None = None,
) -> Rendered | str:
    assert state.search is not None
    results = state.search.search(
        query,
        mode=mode,
        filters=search_filters(category, since, until),
        limit=SEARCH_PAGE_SIZE + 1,
        offset=(page - 1) * SEARCH_PAGE_SIZE,
    )
    if results.pinned and results.pin_kind and page == 1:
        return f"/papers/{results.pinned}"
    shown = list(results.hits[:SEARCH_PAGE_SIZE])
    hits = [
        {
            "paper": paper_view(hit.paper),
            "title": highlighted(hit.title),
            "snippet": highlighted(hit.snippet),
        }
        for hit in results.hits[:SEARCH_PAGE_SIZE]
    ]
    ids = [hit.paper.paper.id for hit in shown]
    ratings = state.store.ratings_of(viewer.account.id, ids) if viewer else {}
    return state.render_html(
        "search.html",
        signals=card_signals(state.store, scorer, [hit.paper for hit in shown], None),
        hidden={i for i, rating in ratings.items() if rating == "less"},
        form=form,
        results=results,
        hits=hits,
        has_more=len(results.hits) > SEARCH_PAGE_SIZE,
        page=page,
    )


@router.get("/papers/{paper_id:path}")
async def paper_page(request: Request, paper_id: str) -> Response:
    state = web_state(request)
    canonical = canonical_paper_id(paper_id)
    if canonical != paper_id:
        return RedirectResponse(f"/papers/{canonical}", status_code=301)

    community = community_web(request)

    def render(viewer: Viewer | None) -> Rendered:
        stored = state.store.get_paper(canonical)
        if stored is None:
            return state.paper_not_found(canonical)
        return state.render_html(
            "paper.html",
            **page_context(request, state.store, [stored], viewer),
            paper=paper_view(stored),
            similar=_similar(state, canonical),
            why=explain_paper(state.store, community.model, canonical),
            window_labels=WINDOW_LABELS,
            submission=state.store.get_submission(canonical),
            upvoters=state.store.upvoters(canonical, limit=UPVOTERS_SHOWN),
            cite=cite_section(stored),
        )

    return await personal_page(request, ("paper", canonical), render)


def _similar(state: WebState, paper_id: str) -> list[object]:
    if state.search is None:
        return []
    try:
        hits = state.search.similar(paper_id, limit=SIMILAR_COUNT)
    except PaperfeedError:
        return []  # similar papers are a bonus: the paper page stands without them
    return [paper_view(hit.paper) for hit in hits]
