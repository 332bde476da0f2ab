"""Sign-in by email link, the account page, upvotes, saves, the reading list, submissions.

Every state change is a POST carrying the form token (``paperfeed.web.csrf``); the
session cookie is HttpOnly, SameSite=Lax, and Secure when the request came over https.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from paperfeed.community.errors import CommunityError, RateLimited
from paperfeed.community.marks import set_mark
from paperfeed.community.names import DisplayNameError, check_display_name
from paperfeed.community.signin import (
    check_signin_token,
    close_session,
    complete_signin,
    deliver_now,
    open_session,
    request_signin,
)
from paperfeed.community.submissions import submit_paper
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.store.community import Account, MarkKind
from paperfeed.web.community import (
    PRIVATE,
    SESSION_COOKIE,
    Viewer,
    client_ip,
    community_web,
    current_account,
    current_viewer,
    page_context,
    set_csrf_cookie,
)
from paperfeed.web.csrf import COOKIE as CSRF_COOKIE
from paperfeed.web.csrf import FIELD, CSRFError
from paperfeed.web.forms import FormError, normalise_email
from paperfeed.web.responses import in_background, send
from paperfeed.web.state import WebState, web_state
from paperfeed.web.views import paper_view

router = APIRouter(include_in_schema=False)
_GITHUB_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
SAVED_PAGE_SIZE = 30


_SAFE_PATH = re.compile(r"/(?![/\\\\])[A-Za-z0-9/._~%?&=+:@!$'()*,;-]{0,499}")


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never another origin (``//host``, ``/\\host``, or one
    a browser would make of them by dropping tabs and newlines)."""
    if not target or not _SAFE_PATH.fullmatch(target):
        return default
    return target


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=20)


def _field(form: FormData, name: str, limit: int = 400) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _check_csrf(state: WebState, request: Request, form: FormData) -> None:
    try:
        state.csrf.check(_field(form, FIELD) or None, request.cookies.get(CSRF_COOKIE))
    except CSRFError as exc:
        raise HTTPException(403, f"Please try again: {exc}.") from exc


def _rate_limited(exc: RateLimited) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def _form_page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page with a form: a token bound to this browser's nonce cookie, never cached."""
    state = web_state(request)
    nonce = request.cookies.get(CSRF_COOKIE) or state.csrf.new_nonce()
    rendered = state.render_html(
        template,
        status_code=status,
        csrf_field=FIELD,
        csrf_token=state.csrf.token_for(nonce),
        **context,
    )
    response = send(request, rendered, PRIVATE)
    if headers:
        response.headers.update(headers)
    if request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            max_age=2 * 60 * 60,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


async def _signed_in(request: Request) -> Account:
    account = await current_account(request)
    if account is None:
        raise HTTPException(401, "Sign in first.")
    return account


def _to_signin(next_url: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/signin?next={quote(safe_next(next_url), safe='/')}", 303)


# -- sign-in ------------------------------------------------------------------------------


@router.get("/signin")
async def signin_form(
    request: Request, next: Annotated[str, Query(max_length=500)] = "/"
) -> Response:
    if await current_account(request) is not None:
        return RedirectResponse("/account", 303)
    return _form_page(request, "signin.html", email="", error=None, next_url=safe_next(next))


@router.post("/signin")
async def signin(request: Request) -> Response:
    state = web_state(request)
    community = community_web(request)
    form = await _form(request)
    email = _field(form, "email")
    _check_csrf(state, request, form)
    try:
        address = normalise_email(email)
    except FormError as exc:
        return _form_page(request, "signin.html", status=400, email=email, error=str(exc))
    try:
        await run_in_threadpool(
            request_signin,
            state.store,
            community.signer,
            community.settings,
            community.mail,
            email=address,
            ip=client_ip(request),
            base_url=community.mail.public_url,  # never the request's Host header
        )
    except RateLimited as exc:
        return _form_page(
            request,
            "signin.html",
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
            email=email,
            error=str(exc),
        )
    if community.settings.signin_send_now:
        in_background(run_in_threadpool(deliver_now, state.store, community.mail))
    return RedirectResponse("/signin/sent", 303)


@router.get("/signin/sent")
async def signin_sent(request: Request) -> Response:
    state = web_state(request)
    minutes = community_web(request).settings.signin_link_minutes
    return send(request, state.render_html("signin_sent.html", minutes=minutes), PRIVATE)


@router.get("/signin/verify")
async def signin_confirm(
    request: Request, token: Annotated[str, Query(max_length=1000)] = ""
) -> Response:
    """Show a button: a link that mail scanners open must not sign anyone in."""
    community = community_web(request)
    try:
        email = check_signin_token(community.signer, token, community.settings)
    except CommunityError as exc:
        return _form_page(request, "signin.html", status=400, email="", error=str(exc))
    return _form_page(request, "signin_verify.html", token=token, email=email)


@router.post("/signin/verify")
async def signin_verify(request: Request) -> Response:
    state = web_state(request)
    community = community_web(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    token = _field(form, "token", 1000)
    try:
        account = await run_in_threadpool(
            complete_signin, state.store, community.signer, token, community.settings
        )
    except CommunityError as exc:
        return _form_page(request, "signin.html", status=400, email="", error=str(exc))
    session = await run_in_threadpool(open_session, state.store, account, community.settings)
    response = RedirectResponse("/account", 303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=community.settings.session_days * 86_400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    await run_in_threadpool(close_session, state.store, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- the account --------------------------------------------------------------------------


@router.get("/account")
async def account_page(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return _to_signin("/account")
    return await _account_form(request, account)


async def _account_form(
    request: Request, account: Account, *, error: str | None = None, status: int = 200
) -> Response:
    from paperfeed.web.routes.personal import account_sections
    from paperfeed.web.routes.personal_access import access_context

    state = web_state(request)
    subscriber = await run_in_threadpool(state.store.get_subscriber, account.email)
    personal = await run_in_threadpool(account_sections, state.store, account.id)
    access = await run_in_threadpool(access_context, state, account.id)
    return _form_page(
        request,
        "account.html",
        status=status,
        account=account,
        viewer={"account": account},
        subscriber=subscriber,
        error=error,
        **personal,
        **access,
    )


@router.post("/account")
async def update_account(request: Request) -> Response:
    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    account = await _signed_in(request)
    handle = _field(form, "github_handle").strip().removeprefix("@")
    try:
        name = check_display_name(_field(form, "display_name"))
    except DisplayNameError as exc:
        return await _account_form(request, account, error=str(exc), status=400)
    if handle and not _GITHUB_HANDLE.match(handle):
        return await _account_form(
            request, account, error="That is not a GitHub user name.", status=400
        )
    await run_in_threadpool(
        lambda: state.store.update_account(
            account.id, display_name=name, github_handle=handle or None
        )
    )
    return RedirectResponse("/account", 303)


@router.post("/account/delete")
async def delete_account(request: Request) -> Response:
    state = web_state(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    account = await _signed_in(request)
    if _field(form, "confirm") != "delete":
        return await _account_form(request, account, error="Type delete to confirm.", status=400)
    await run_in_threadpool(state.store.delete_account, account.id)
    response = RedirectResponse("/account/deleted", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/deleted")
async def account_deleted(request: Request) -> Response:
    return send(request, web_state(request).render_html("account_deleted.html"), PRIVATE)


# -- upvotes and saves --------------------------------------------------------------------


async def _mark(request: Request, paper_id: str, kind: MarkKind) -> Response:
    state = web_state(request)
    community = community_web(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    try:
        canonical = parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise HTTPException(400, f"{paper_id[:60]!r} is not an arXiv identifier") from exc
    back = safe_next(_field(form, "next"), f"/papers/{canonical}")
    account = await current_account(request)
    if account is None:
        return _to_signin(back)
    try:
        await run_in_threadpool(
            lambda: set_mark(
                state.store,
                community.settings,
                community.model,
                kind=kind,
                account=account,
                paper_id=canonical,
                on=_field(form, "on") != "0",
                ip=client_ip(request),
            )
        )
    except RateLimited as exc:
        raise _rate_limited(exc) from exc
    except CommunityError as exc:
        raise HTTPException(404, str(exc)) from exc
    return RedirectResponse(back, 303)


@router.post("/papers/{paper_id:path}/upvote")
async def upvote(request: Request, paper_id: str) -> Response:
    return await _mark(request, paper_id, "upvote")


@router.post("/papers/{paper_id:path}/save")
async def save(request: Request, paper_id: str) -> Response:
    return await _mark(request, paper_id, "save")


@router.get("/saved")
async def saved(request: Request, p: Annotated[int, Query(ge=1, le=300)] = 1) -> Response:
    """The reading list (also what digests may use as liked papers)."""
    state = web_state(request)
    viewer = await current_viewer(request)
    if viewer is None:
        return _to_signin("/saved")

    def render(viewer: Viewer) -> Response:
        ids = state.store.marked_papers(
            viewer.account.id, "save", limit=SAVED_PAGE_SIZE + 1, offset=(p - 1) * SAVED_PAGE_SIZE
        )
        found = state.store.get_papers(ids[:SAVED_PAGE_SIZE])
        papers = [found[i] for i in ids[:SAVED_PAGE_SIZE] if i in found]
        rendered = state.render_html(
            "saved.html",
            **page_context(request, state.store, papers, viewer),
            papers=[paper_view(s) for s in papers],
            has_more=len(ids) > SAVED_PAGE_SIZE,
            page=p,
        )
        return send(request, rendered, PRIVATE)

    response = await run_in_threadpool(render, viewer)
    set_csrf_cookie(request, response, viewer)
    return response


# -- submissions --------------------------------------------------------------------------


@router.get("/submit")
async def submit_form(request: Request) -> Response:
    if await current_account(request) is None:
        return _to_signin("/submit")
    days = community_web(request).settings.submission_max_age_days
    return _form_page(request, "submit.html", paper="", error=None, days=days)


@router.post("/submit")
async def submit(request: Request) -> Response:
    state = web_state(request)
    community = community_web(request)
    form = await _form(request)
    _check_csrf(state, request, form)
    account = await current_account(request)
    if account is None:
        return _to_signin("/submit")
    text = _field(form, "paper", 300)
    days = community.settings.submission_max_age_days
    try:
        result = await run_in_threadpool(
            lambda: submit_paper(
                state.store,
                community.settings,
                community.model,
                community.fetch,
                account=account,
                text=text,
                ip=client_ip(request),
            )
        )
    except RateLimited as exc:
        return _form_page(
            request,
            "submit.html",
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
            paper=text,
            error=str(exc),
            days=days,
        )
    except CommunityError as exc:
        return _form_page(request, "submit.html", status=400, paper=text, error=str(exc), days=days)
    return RedirectResponse(f"/papers/{result.paper_id}", 303)


@router.get("/trending/formula")
async def trending_formula(request: Request) -> Response:
    settings = community_web(request).settings
    rendered = web_state(request).render_html(
        "trending_formula.html",
        weights=settings.weights,
        half_lives=settings.half_lives,
        star_cap=settings.star_baseline_cap,
    )
    return send(request, rendered, "public, max-age=300")
