"""A reader's own access to their "For you" list and data: the private feed URL, the
``/api/v1/for-you`` endpoint with personal API tokens, "download my data" and "delete
my personal data", and the account-page forms that manage them.

Every list comes from ``paperfeed.personal.readers.for_you``, the ranking the page, the
command line and digests use. Tokens are kept as digests (``paperfeed.personal.tokens``):
a new one is shown once, in the answer to the form that made it, and never again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from paperfeed.personal.feed import RankedPaper
from paperfeed.personal.tokens import issue_token, token_account
from paperfeed.store.base import StoredPaper
from paperfeed.web import feeds
from paperfeed.web.api_schema import error_answers
from paperfeed.web.community import PRIVATE, community_web
from paperfeed.web.params import (
    CURSOR_PATTERN,
    DAY_PATTERN,
    decode_cursor,
    encode_cursor,
    parse_day,
)
from paperfeed.web.responses import json_rendered, send
from paperfeed.web.routes.community import (
    _check_csrf,
    _field,
    _form,
    _form_page,
    _signed_in,
)
from paperfeed.web.state import WebState, web_state

FEED_SIZE = 50
_MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}

pages = APIRouter(include_in_schema=False)
feed_router = APIRouter(include_in_schema=False)  # a secret URL: not in the public document
api_router = APIRouter(prefix="/api/v1", tags=["paperfeed API"], responses=error_answers(400, 401))
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="personal API token",
    description="A personal API token made on the account page (`Authorization: Bearer pfa_...`).",
)


def _ranked(
    state: WebState,
    request: Request,
    account_id: int,
    *,
    limit: int,
    since: date | None = None,
    until: date | None = None,
) -> list[RankedPaper]:
    from paperfeed.personal.readers import for_you

    model = community_web(request).model
    return for_you(
        state.store,
        account_id,
        model,
        since=since,
        until=until,
        limit=limit,
        cache=state.personal,
    )


# -- the private feed -----------------------------------------------------------------


@feed_router.get("/for-you/feed/{token}.{fmt}")
async def private_feed(
    request: Request,
    token: Annotated[str, Path(max_length=60)],
    fmt: Literal["rss", "atom"],
) -> Response:
    """The reader's For-you list as RSS or Atom; 404 for a token that is not live."""
    state = web_state(request)
    account = await run_in_threadpool(token_account, state.store, "feed", token)
    if account is None:
        raise HTTPException(404, "No such feed: the link was replaced or revoked.")
    ranked = await run_in_threadpool(_ranked, state, request, account, limit=FEED_SIZE)
    papers = await run_in_threadpool(_stored, state, ranked)
    site = state.site_url(request)
    info = feeds.FeedInfo(
        "paperfeed: for you",
        "Papers ranked for you from your ratings, follows and library.",
        f"{site}/for-you",
        site + request.url.path,
        site,
    )
    body = feeds.rss(info, papers) if fmt == "rss" else feeds.atom(info, papers)
    return Response(body, media_type=_MEDIA_TYPES[fmt], headers={"Cache-Control": PRIVATE})


def _stored(state: WebState, ranked: list[RankedPaper]) -> list[StoredPaper]:
    found = state.store.get_papers([r.id for r in ranked])
    return [found[r.id] for r in ranked if r.id in found]


# -- the API --------------------------------------------------------------------------

Day = Annotated[
    str | None,
    Query(pattern=DAY_PATTERN, description="YYYY-MM-DD", json_schema_extra={"format": "date"}),
]


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


async def api_account(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The account of the request's personal API token, or a 401 that says why."""
    if credentials is None:
        raise _unauthorised(
            "This needs a personal API token: send `Authorization: Bearer <token>`"
            " (make one on your account page)."
        )
    store = web_state(request).store
    account = await run_in_threadpool(token_account, store, "api", credentials.credentials)
    if account is None:
        raise _unauthorised("The API token is not valid: it was revoked or mistyped.")
    return account


@api_router.get(
    "/for-you",
    summary="Your personal ranking (For you)",
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "papers": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "title": {"type": "string"},
                                        "score": {"type": "number"},
                                        "reasons": {"type": "array", "items": {"type": "string"}},
                                    },
                                    "required": ["id", "title", "score", "reasons"],
                                },
                            },
                            "next_cursor": {"type": ["string", "null"]},
                        },
                        "required": ["papers", "next_cursor"],
                    }
                }
            }
        }
    },
)
async def for_you_api(
    request: Request,
    account: Annotated[int, Depends(api_account)],
    since: Day = None,
    until: Day = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Papers per page (1-100).")] = 20,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page.")
    ] = None,
) -> Response:
    """The papers announced in `[since, until]` (default: the latest day) ranked for the
    token's reader, best first, each with its reasons; never papers in their library or
    that they rated. The same ranking as the For-you page, feed and digests."""
    state = web_state(request)
    first = parse_day(since) if since else None
    last = parse_day(until) if until else None
    offset = decode_cursor(cursor)
    ranked = await run_in_threadpool(
        _ranked, state, request, account, limit=offset + limit + 1, since=first, until=last
    )
    page = ranked[offset : offset + limit]
    body = {
        "papers": [
            {"id": r.id, "title": r.title, "score": r.score, "reasons": list(r.reasons)}
            for r in page
        ],
        "next_cursor": encode_cursor(offset + limit) if len(ranked) > offset + limit else None,
    }
    return send(request, json_rendered(body), PRIVATE)


# -- the account page's forms ---------------------------------------------------------


def access_context(state: WebState, account_id: int) -> dict[str, Any]:
    """What ``_personal_access.html`` shows: the reader's live tokens."""
    tokens = state.store.personal_tokens(account_id)
    live = [t for t in tokens if t.revoked_at is None]
    return {
        "feed_token_live": any(t.kind == "feed" for t in live),
        "api_tokens": [t for t in live if t.kind == "api"],
    }


async def _form_action(
    request: Request, work: Callable[[WebState, int, Any], Response | None]
) -> Response:
    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    account = await _signed_in(request)
    shown = await run_in_threadpool(work, state, account.id, form)
    return shown if shown is not None else RedirectResponse("/account#personal-access", 303)


@pages.post("/account/feed-token")
async def new_feed_url(request: Request) -> Response:
    """A new private feed URL; the previous one stops working in the same write."""

    def work(state: WebState, account_id: int, _form: Any) -> Response:
        token = issue_token(state.store, account_id, "feed")
        site = state.site_url(request)
        return _form_page(
            request,
            "personal_token.html",
            kind="feed",
            urls=[f"{site}/for-you/feed/{token}.atom", f"{site}/for-you/feed/{token}.rss"],
            token=None,
        )

    return await _form_action(request, work)


@pages.post("/account/feed-token/revoke")
async def revoke_feed_url(request: Request) -> Response:
    def work(state: WebState, account_id: int, _form: Any) -> None:
        state.store.revoke_personal_tokens(account_id, "feed", datetime.now(UTC))

    return await _form_action(request, work)


@pages.post("/account/api-tokens")
async def new_api_token(request: Request) -> Response:
    def work(state: WebState, account_id: int, form: Any) -> Response:
        token = issue_token(state.store, account_id, "api", _field(form, "label", 60))
        return _form_page(request, "personal_token.html", kind="api", urls=[], token=token)

    return await _form_action(request, work)


@pages.post("/account/api-tokens/revoke")
async def revoke_api_token(request: Request) -> Response:
    """Revoke one API token (``token_hash`` of the form) or, without it, all of them."""

    def work(state: WebState, account_id: int, form: Any) -> None:
        digest = _field(form, "token_hash", 64)
        now = datetime.now(UTC)
        if digest:
            state.store.revoke_personal_token(account_id, digest, now)
        else:
            state.store.revoke_personal_tokens(account_id, "api", now)

    return await _form_action(request, work)


@pages.get("/account/data.json")
async def download_my_data(request: Request) -> Response:
    """Everything the service holds about the signed-in reader, as a JSON download."""
    from paperfeed.personal.privacy import personal_export

    state = web_state(request)
    account = await _signed_in(request)
    export = await run_in_threadpool(personal_export, state.store, account.id)
    return Response(
        orjson.dumps(export, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Cache-Control": PRIVATE,
            "Content-Disposition": 'attachment; filename="paperfeed-my-data.json"',
        },
    )


@pages.post("/account/personal-data/delete")
async def delete_my_personal_data(request: Request) -> Response:
    """Forget ratings (mail thumbs too), follows (digest interests too), library, model
    and tokens; the account, reading list and subscription stay."""

    def work(state: WebState, account_id: int, form: Any) -> Response | None:
        if _field(form, "confirm") != "delete":
            raise HTTPException(400, "Type delete to confirm.")
        state.store.forget_personal_data(account_id)
        return None

    return await _form_action(request, work)
