"""RSS and Atom feeds: today's papers, trending, any search, any category."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from paperfeed.store.base import PaperFilter, StoredPaper
from paperfeed.web import feeds
from paperfeed.web.api_schema import FEED_ANSWERS
from paperfeed.web.cache import Rendered
from paperfeed.web.community import community_web
from paperfeed.web.params import CATEGORY_PATTERN, parse_category
from paperfeed.web.responses import FEED_CACHE, cached
from paperfeed.web.routes.listing import latest_period, period_filter, trending
from paperfeed.web.search_port import search_filters
from paperfeed.web.state import web_state

router = APIRouter(
    prefix="/feeds", tags=["feeds"], default_response_class=Response, responses=FEED_ANSWERS
)
Category = Annotated[str, Path(pattern=CATEGORY_PATTERN, description="e.g. cs.LG, hep-th.")]

FEED_SIZE = 50
Format = Literal["rss", "atom"]
_MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


def _document(fmt: Format, info: feeds.FeedInfo, papers: Sequence[StoredPaper]) -> Rendered:
    body = feeds.rss(info, papers) if fmt == "rss" else feeds.atom(info, papers)
    return Rendered.of(body, _MEDIA_TYPES[fmt])


async def _feed(
    request: Request,
    fmt: Format,
    key: tuple[object, ...],
    describe: Callable[[str], feeds.FeedInfo],
    papers: Callable[[], Sequence[StoredPaper]],
) -> Response:
    site = web_state(request).site_url(request)
    feed_url = site + request.url.path + (f"?{request.url.query}" if request.url.query else "")

    def render() -> Rendered:
        info = describe(site)
        return _document(fmt, _with_self(info, feed_url), papers())

    return await cached(request, ("feed", fmt, site, *key), render, FEED_CACHE)


def _with_self(info: feeds.FeedInfo, feed_url: str) -> feeds.FeedInfo:
    return feeds.FeedInfo(info.title, info.description, info.page_url, feed_url, info.site_url)


@router.get("/today.{fmt}", summary="Today's papers")
async def today(request: Request, fmt: Format) -> Response:
    """The papers of the latest day with papers, most upvoted first."""
    store = web_state(request).store

    def papers() -> list[StoredPaper]:
        period = latest_period(store)
        if period is None:
            return []
        return store.list_papers(period_filter(period), limit=FEED_SIZE)

    def describe(site: str) -> feeds.FeedInfo:
        return feeds.FeedInfo(
            "paperfeed: today's papers", "The latest day's papers.", f"{site}/", "", site
        )

    return await _feed(request, fmt, ("today",), describe, papers)


@router.get("/trending.{fmt}", summary="Trending papers")
async def trending_feed(request: Request, fmt: Format) -> Response:
    store = web_state(request).store
    community = community_web(request)

    def describe(site: str) -> feeds.FeedInfo:
        return feeds.FeedInfo(
            "paperfeed: trending", "Trending papers.", f"{site}/trending", "", site
        )

    return await _feed(
        request,
        fmt,
        ("trending",),
        describe,
        lambda: (
            trending(
                store,
                community.model,
                window=community.settings.default_window,
                category=None,
                limit=FEED_SIZE,
                offset=0,
            ).papers
        ),
    )


@router.get("/category/{category}.{fmt}", summary="Newest papers in one arXiv category")
async def category_feed(request: Request, category: Category, fmt: Format) -> Response:
    store = web_state(request).store
    cat = parse_category(category)
    if cat is None:
        raise HTTPException(404, "no category given")

    def describe(site: str) -> feeds.FeedInfo:
        return feeds.FeedInfo(
            f"paperfeed: {cat}",
            f"The newest papers in {cat}.",
            f"{site}/trending?category={quote(cat)}",
            "",
            site,
        )

    def papers() -> list[StoredPaper]:
        return store.list_papers(PaperFilter(category=cat), limit=FEED_SIZE, order="newest")

    return await _feed(request, fmt, ("category", cat), describe, papers)


@router.get("/search.{fmt}", summary="Papers matching a search")
async def search_feed(
    request: Request,
    fmt: Format,
    q: Annotated[str, Query(min_length=1, max_length=300)],
    category: Annotated[str | None, Query(pattern=CATEGORY_PATTERN)] = None,
) -> Response:
    state = web_state(request)
    if state.search is None:
        raise HTTPException(503, "search is not available on this server")
    service = state.search
    query = q.strip()
    cat = parse_category(category)

    def describe(site: str) -> feeds.FeedInfo:
        page = f"{site}/search?" + urlencode({"q": query, **({"category": cat} if cat else {})})
        return feeds.FeedInfo(f"paperfeed: {query}", f"Papers matching “{query}”.", page, "", site)

    def papers() -> list[StoredPaper]:
        if not query:
            return []  # only spaces (control characters arrive as spaces)
        results = service.search(query, filters=search_filters(cat, None, None), limit=FEED_SIZE)
        return [hit.paper for hit in results.hits]

    return await _feed(request, fmt, ("search", query, cat), describe, papers)


@router.get("/author.{fmt}", summary="An author's papers")
async def author_feed(
    request: Request,
    fmt: Format,
    name: Annotated[str, Query(min_length=1, max_length=300, description="The author's name.")],
) -> Response:
    """The newest papers under a name, matched as digests match names ("Y. LeCun" =
    "Yann LeCun"); 404 when no paper is under it."""
    from paperfeed.web.authors import author_papers
    from paperfeed.web.views import author_url

    store = web_state(request).store
    _, found = await run_in_threadpool(author_papers, store, name)
    if not found:
        raise HTTPException(404, "no papers by an author of that name")

    def describe(site: str) -> feeds.FeedInfo:
        return feeds.FeedInfo(
            f"paperfeed: {name}", f"Papers by {name}.", f"{site}{author_url(name)}", "", site
        )

    return await _feed(request, fmt, ("author", name), describe, lambda: found[:FEED_SIZE])
