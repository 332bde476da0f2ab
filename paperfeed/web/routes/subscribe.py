"""The subscribe form: validated, protected against forgery, stored as pending, and the
confirmation mail sent (double opt-in: see ``paperfeed.digest.subscriptions``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.community.errors import RateLimited
from paperfeed.digest.errors import SubscriptionError
from paperfeed.digest.interests import parse_interests, split_lines
from paperfeed.store.subscriptions import DigestPreferences
from paperfeed.web.community import client_ip
from paperfeed.web.csrf import COOKIE, FIELD, MAX_AGE, CSRFError
from paperfeed.web.forms import FormError, normalise_email
from paperfeed.web.responses import in_background, send
from paperfeed.web.routes.subscriptions import DigestWeb
from paperfeed.web.state import WebState, web_state

router = APIRouter(include_in_schema=False)
NO_STORE = "no-store"


def _form_page(
    state: WebState,
    request: Request,
    *,
    email: str = "",
    topics: str = "",
    categories: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    nonce = request.cookies.get(COOKIE) or state.csrf.new_nonce()
    rendered = state.render_html(
        "subscribe.html",
        status_code=status,
        csrf_field=FIELD,
        csrf_token=state.csrf.token_for(nonce),
        email=email,
        topics=topics,
        categories=categories,
        error=error,
    )
    response = send(request, rendered, NO_STORE)
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/subscribe")
async def subscribe_form(request: Request) -> Response:
    return _form_page(web_state(request), request)


@router.post("/subscribe")
async def subscribe(request: Request) -> Response:
    state = web_state(request)
    form = await request.form(max_files=0, max_fields=10)
    email = str(form.get("email") or "")[:400]
    topics = str(form.get("topics") or "")[:2000]
    categories = str(form.get("categories") or "")[:400]
    token = form.get(FIELD)
    try:
        state.csrf.check(token if isinstance(token, str) else None, request.cookies.get(COOKIE))
    except CSRFError as exc:
        return _form_page(
            state, request, email=email, error=f"Please try again: {exc}.", status=403
        )
    digests: DigestWeb = request.app.state.digests
    try:
        address = normalise_email(email)
        interests = parse_interests(split_lines(topics), categories.replace(",", " ").split(), [])
        preferences = DigestPreferences(trending_only=interests.is_empty)
        await run_in_threadpool(
            digests.service.subscribe,
            address,
            interests=interests,
            preferences=preferences,
            ip=client_ip(request),
        )
    except (RateLimited, FormError, SubscriptionError) as exc:
        limited = exc if isinstance(exc, RateLimited) else None
        response = _form_page(
            state,
            request,
            email=email,
            topics=topics,
            categories=categories,
            error=str(exc),
            status=429 if limited else 400,
        )
        if limited:
            response.headers["Retry-After"] = str(limited.retry_after)
        return response
    in_background(run_in_threadpool(digests.deliver))
    return RedirectResponse("/subscribe/thanks", status_code=303)


@router.get("/subscribe/thanks")
async def subscribed(request: Request) -> Response:
    return send(request, web_state(request).render_html("subscribed.html"), NO_STORE)
