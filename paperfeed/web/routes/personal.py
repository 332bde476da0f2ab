"""The personal pages: ratings on cards, the For-you list, author pages, and the
account's follows and library import.

Every page here is the reader's own (never cached, never shared). Every change is a
POST carrying the form token, like upvotes and saves; the ranking itself is
``paperfeed.personal`` (the same one the command line and digests use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.personal.errors import PersonalError
from paperfeed.personal.library_import import FORMATS, MAX_BYTES
from paperfeed.personal.readers import (
    ImportResult,
    import_library,
    rate_paper,
    unfollow_matching,
)
from paperfeed.store import PaperStore
from paperfeed.store.personal import FOLLOW_KINDS, Follow, FollowKind, Rating
from paperfeed.web.authors import AuthorPage, author_page
from paperfeed.web.community import (
    PRIVATE,
    Viewer,
    community_web,
    current_account,
    current_viewer,
    page_context,
    set_csrf_cookie,
)
from paperfeed.web.forms import LIBRARY_BODY_LIMIT, library_file
from paperfeed.web.params import canonical_paper_id
from paperfeed.web.responses import send
from paperfeed.web.routes.community import (
    _check_csrf,
    _field,
    _form,
    _form_page,
    _signed_in,
    _to_signin,
    safe_next,
)
from paperfeed.web.state import web_state
from paperfeed.web.views import author_url, paper_view

router = APIRouter(include_in_schema=False)
# The library upload takes a whole export: up to the importer's limit, plus the form.
upload_router = APIRouter(include_in_schema=False, max_body_size=LIBRARY_BODY_LIMIT)
router.include_router(upload_router)

FOR_YOU_SIZE = 30
AUTHOR_PAGE_SIZE = 30
MAX_FOLLOW_CHARS = 200
_CATEGORY = re.compile(r"[A-Za-z][A-Za-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,9})?")
_RATINGS: dict[str, Rating | None] = {"more": "more", "less": "less", "none": None}


# -- ratings ------------------------------------------------------------------------------


@router.post("/papers/{paper_id:path}/rate")
async def rate(request: Request, paper_id: str) -> Response:
    """ "More like this", "not for me", or ``none`` to withdraw: private, and the next
    list of every kind follows it."""
    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    canonical = canonical_paper_id(paper_id)
    back = safe_next(_field(form, "next"), f"/papers/{canonical}")
    account = await current_account(request)
    if account is None:
        return _to_signin(back)
    choice = _field(form, "rating")
    if choice not in _RATINGS:
        raise HTTPException(400, "rating must be more, less or none")
    try:
        await run_in_threadpool(rate_paper, state.store, account.id, canonical, _RATINGS[choice])
    except PersonalError as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse(back, 303)


# -- for you ------------------------------------------------------------------------------


@router.get("/for-you")
async def for_you_page(request: Request, window: Literal["day", "week"] = "day") -> Response:
    """The reader's ranking of the latest day's (or week's) papers, with reasons."""
    state = web_state(request)
    viewer = await current_viewer(request)
    if viewer is None:
        rendered = state.render_html("for_you.html", section="for-you", window=window)
        return send(request, rendered, PRIVATE)
    trending = community_web(request).model
    store = state.store
    embed = _embedder(request)

    def render(viewer: Viewer) -> Response:
        from paperfeed.personal.readers import for_you

        latest = store.latest_day()
        since = latest - timedelta(days=6) if latest and window == "week" else None
        ranked = for_you(
            store,
            viewer.account.id,
            trending,
            since=since,
            until=latest if since else None,
            limit=FOR_YOU_SIZE,
            embed=embed,
        )
        found = store.get_papers([r.id for r in ranked])
        papers = [found[r.id] for r in ranked if r.id in found]
        profile = store.profile(viewer.account.id)
        rendered = state.render_html(
            "for_you.html",
            **page_context(request, store, papers, viewer),
            papers=[paper_view(p) for p in papers],
            reasons={r.id: r.reasons for r in ranked},
            cold=not profile.events and not profile.follows,
            window=window,
            latest=latest,
        )
        return send(request, rendered, PRIVATE)

    response = await run_in_threadpool(render, viewer)
    set_csrf_cookie(request, response, viewer)
    return response


def _embedder(request: Request) -> Any:
    """Embeds followed topics the store has no vector for yet: the configured model,
    loaded on first use and kept for the app's life."""
    from paperfeed.digest.run import embedder_for

    app_state = request.app.state
    if getattr(app_state, "topic_embedder", None) is None:
        app_state.topic_embedder = embedder_for(web_state(request).settings)
    return app_state.topic_embedder


# -- authors ------------------------------------------------------------------------------


@router.get("/authors/{name:path}")
async def author(
    request: Request, name: str, p: Annotated[int, Query(ge=1, le=300)] = 1
) -> Response:
    """The papers under a name (matched as digests match names), newest first."""
    state = web_state(request)
    viewer = await current_viewer(request)
    store = state.store

    def render(viewer: Viewer | None) -> Response:
        page: AuthorPage | None = author_page(
            store, name, limit=AUTHOR_PAGE_SIZE, offset=(p - 1) * AUTHOR_PAGE_SIZE
        )
        if page is None:
            missing = state.render_html(
                "error.html",
                status_code=404,
                title="No papers under this name",
                message="paperfeed has no papers by an author of that name.",
            )
            return send(request, missing, PRIVATE)
        following = viewer is not None and _follows_author(store, viewer.account.id, page.key)
        rendered = state.render_html(
            "author.html",
            **page_context(request, store, page.papers, viewer),
            author=page,
            papers=[paper_view(s) for s in page.papers],
            page=p,
            following=following,
            author_url=author_url(page.name),
        )
        return send(request, rendered, PRIVATE)

    response = await run_in_threadpool(render, viewer)
    set_csrf_cookie(request, response, viewer)
    return response


def _follows_author(store: PaperStore, account_id: int, key: str) -> bool:
    from paperfeed.digest.candidates import author_key

    return any(
        f.kind == "author" and author_key(f.value) == key for f in store.profile(account_id).follows
    )


# -- follows ------------------------------------------------------------------------------


def clean_follow(kind: str, value: str) -> tuple[FollowKind, str]:
    """A follow as submitted, checked: a known kind, a value of sensible length, a
    category in arXiv's form."""
    if kind not in FOLLOW_KINDS:
        raise ValueError("choose an author, a category or a topic")
    text = " ".join(value.split())
    if not text:
        raise ValueError(f"the {kind} is empty")
    if len(text) > MAX_FOLLOW_CHARS:
        raise ValueError(f"the {kind} is longer than {MAX_FOLLOW_CHARS} characters")
    if kind == "category" and not _CATEGORY.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not an arXiv category such as cs.LG or hep-th")
    return kind, text


@router.post("/account/follows")
async def change_follow(request: Request) -> Response:
    """Follow or stop following an author, a category or a topic (the digest's
    interests of the same person are the same list)."""
    from datetime import UTC, datetime

    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    back = safe_next(_field(form, "next"), "/account#follows")
    account = await current_account(request)
    if account is None:
        return _to_signin(back)
    try:
        kind, value = clean_follow(_field(form, "kind"), _field(form, "value", 1000))
    except ValueError as exc:
        return await _account_page(request, error=str(exc), status=400)
    if _field(form, "on") == "0":
        await run_in_threadpool(unfollow_matching, state.store, account.id, kind, value)
    else:
        await run_in_threadpool(state.store.follow, account.id, kind, value, datetime.now(UTC))
    return RedirectResponse(back, 303)


@dataclass(frozen=True, slots=True)
class FollowsByKind:
    authors: list[Follow]
    categories: list[Follow]
    topics: list[Follow]


def account_sections(store: PaperStore, account_id: int) -> dict[str, Any]:
    """What the account page's follows and library sections show."""
    follows = store.profile(account_id).follows
    return {
        "follows": FollowsByKind(
            [f for f in follows if f.kind == "author"],
            [f for f in follows if f.kind == "category"],
            [f for f in follows if f.kind == "topic"],
        ),
        "library_formats": FORMATS,
        "library_mib": MAX_BYTES // 1024 // 1024,
        "author_url": author_url,
    }


async def _account_page(request: Request, *, error: str, status: int) -> Response:
    from paperfeed.web.routes.community import _account_form

    return await _account_form(request, await _signed_in(request), error=error, status=status)


# -- library import -----------------------------------------------------------------------


@upload_router.post("/account/library")
async def library_upload(request: Request) -> Response:
    """Import a library export: matched papers count as liked; nothing changes on
    error."""
    state = web_state(request)
    form = await request.form(max_files=1, max_fields=5)
    _check_csrf(state, request, form)
    account = await current_account(request)
    if account is None:
        return _to_signin("/account#library")
    data = await library_file(form)
    if not data:
        return await _account_page(request, error="Choose a file to import.", status=400)
    chosen = _field(form, "format") or "auto"
    if chosen not in ("auto", *FORMATS):
        return await _account_page(request, error="Unknown file format.", status=400)
    try:
        result: ImportResult = await run_in_threadpool(
            import_library, state.store, account.id, data, chosen
        )
    except PersonalError as exc:
        return await _account_page(request, error=f"Nothing was imported: {exc}", status=400)
    return _form_page(
        request,
        "library_imported.html",
        viewer={"account": account},
        result=result,
    )
