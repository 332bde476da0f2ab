"""What pages need from the community: who is signed in, and each card's signals.

Pages for people who are not signed in are shared and cached as before (the counts in
them change with ``data_version``). A signed-in person's page carries their own
buttons and a form token, so it is rendered for them alone and never cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.signin import session_account
from paperfeed.community.submissions import PaperFetcher, arxiv_fetcher
from paperfeed.community.trending_ranking import trending_rows
from paperfeed.config import Settings
from paperfeed.mail import MailSettings
from paperfeed.security import TokenSigner
from paperfeed.store.base import StoredPaper
from paperfeed.store.collections import CollectionStore
from paperfeed.store.community import Account, CommunityStore, SignalScorer
from paperfeed.store.personal import PersonalStore
from paperfeed.store.trending import TrendingStore
from paperfeed.web.cache import Rendered
from paperfeed.web.collections import list_choices
from paperfeed.web.csrf import COOKIE as CSRF_COOKIE
from paperfeed.web.csrf import MAX_AGE as CSRF_MAX_AGE
from paperfeed.web.responses import PAGE_CACHE, cached, send
from paperfeed.web.state import web_state

SESSION_COOKIE = "paperfeed_session"
PRIVATE = "private, no-store"


@dataclass(slots=True)
class CommunityWeb:
    """The community's collaborators, built once by ``create_app``."""

    settings: CommunitySettings
    model: TrendingModel
    signer: TokenSigner
    mail: MailSettings
    fetch: PaperFetcher


def community_web_for(
    settings: Settings, signer: TokenSigner, stopping: threading.Event
) -> CommunityWeb:
    """``stopping`` is set when the app shuts down: submissions stop asking arXiv."""
    community = CommunitySettings.from_settings(settings)
    return CommunityWeb(
        settings=community,
        model=community.trending_model(),
        signer=signer,
        mail=MailSettings.from_settings(settings),
        fetch=arxiv_fetcher(settings, stopping),
    )


def community_web(request: Request) -> CommunityWeb:
    community: CommunityWeb = request.app.state.community
    return community


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in person on this request, with the form token for their buttons."""

    account: Account
    csrf_token: str
    csrf_nonce: str
    new_nonce: bool


@dataclass(frozen=True, slots=True)
class CardSignals:
    """What a card shows beyond the paper: counts here, and this viewer's marks."""

    upvotes: int = 0
    saves: int = 0
    upvoted: bool = False
    saved: bool = False
    rating: str | None = None
    """This viewer's private rating: "more" (like this) or "less" (not for me)."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def current_account(request: Request) -> Account | None:
    """The signed-in account (looked up once per request; no cookie: no query)."""
    if "account" in request.scope.get("state", {}):
        found: Account | None = request.state.account
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    account = None
    if cookie:
        account = await run_in_threadpool(session_account, web_state(request).store, cookie)
    request.state.account = account
    return account


async def current_viewer(request: Request) -> Viewer | None:
    account = await current_account(request)
    if account is None:
        return None
    csrf = web_state(request).csrf
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh = not nonce
    nonce = nonce or csrf.new_nonce()
    return Viewer(account, csrf.token_for(nonce), nonce, fresh)


class CardStore(TrendingStore, CommunityStore, PersonalStore, CollectionStore, Protocol):
    """What a paper card's signals read: the ledger's counts, the viewer's marks and
    lists."""


def card_signals(
    store: CardStore, scorer: SignalScorer, papers: Sequence[StoredPaper], viewer: Viewer | None
) -> dict[str, CardSignals]:
    ids = [p.paper.id for p in papers]
    rows = trending_rows(store, ids, scorer)
    upvoted: set[str] = set()
    saved: set[str] = set()
    ratings: dict[str, str] = {}
    if viewer is not None:
        upvoted = store.marked_by(viewer.account.id, "upvote", ids)
        saved = store.marked_by(viewer.account.id, "save", ids)
        ratings = dict(store.ratings_of(viewer.account.id, ids))
    return {
        i: CardSignals(
            upvotes=rows[i].upvotes if i in rows else 0,
            saves=rows[i].saves if i in rows else 0,
            upvoted=i in upvoted,
            saved=i in saved,
            rating=ratings.get(i),
        )
        for i in ids
    }


def page_context(
    request: Request,
    store: CardStore,
    papers: Sequence[StoredPaper],
    viewer: Viewer | None,
) -> dict[str, Any]:
    """Template variables for cards: signals, the viewer, their form token, where to return."""
    # Percent-encoded again: an author page's path holds spaces and other letters.
    path = quote(request.url.path, safe="/:@!$&'()*+,;=-._~%") + (
        f"?{request.url.query}" if request.url.query else ""
    )
    signals = card_signals(store, community_web(request).model, papers, viewer)
    return {
        "signals": signals,
        "hidden": {i for i, s in signals.items() if s.rating == "less"},
        "viewer": viewer,
        "csrf_token": viewer.csrf_token if viewer else "",
        "next_url": path,
        **list_choices(store, papers, viewer.account.id if viewer else None),
    }


def set_csrf_cookie(request: Request, response: Response, viewer: Viewer | None) -> None:
    if viewer is not None and viewer.new_nonce:
        response.set_cookie(
            CSRF_COOKIE,
            viewer.csrf_nonce,
            max_age=CSRF_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


async def personal_page(
    request: Request, key: Hashable, render: Callable[[Viewer | None], Rendered]
) -> Response:
    """Cached for everyone who is not signed in; rendered afresh for who is."""
    viewer = await current_viewer(request)
    if viewer is None:
        return await cached(request, key, lambda: render(None), PAGE_CACHE)
    rendered = await run_in_threadpool(render, viewer)
    response = send(request, rendered, PRIVATE)
    set_csrf_cookie(request, response, viewer)
    return response
