"""Digest subscriptions on the web: confirm, manage, unsubscribe, thumbs, and the API.

Links in mails are GETs that only show a page; the change itself is a POST from that
page's button. Mail scanners and link previews fetch every link in a message, so a GET
that confirmed, unsubscribed or voted would act on the reader's behalf. The one
exception is RFC 8058 one-click unsubscribe: a bare POST to the List-Unsubscribe URL
unsubscribes at once, with no cookie and no form token (the signed link is the proof).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, JsonValue, ValidationError
from starlette.concurrency import run_in_threadpool

from paperfeed.community.errors import RateLimited
from paperfeed.config import Settings
from paperfeed.digest.describe import describe_digest
from paperfeed.digest.errors import SubscriptionError
from paperfeed.digest.interests import (
    CATEGORY,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_TEXT,
    MAX_TOPICS,
    parse_interests,
    parse_preferences,
    split_lines,
)
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.scheduler import DigestScheduler
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.subscriptions import SubscriptionService
from paperfeed.mail import open_transport, send_pending
from paperfeed.security import TokenSigner
from paperfeed.store import open_store
from paperfeed.store.base import PaperStore
from paperfeed.store.subscriptions import DigestPreferences, Interests, Subscriber
from paperfeed.web.community import client_ip
from paperfeed.web.forms import MAX_EMAIL_LENGTH, FormError, normalise_email
from paperfeed.web.responses import in_background, json_rendered, send
from paperfeed.web.state import web_state

log = logging.getLogger("paperfeed.web")
# The settings form and the API carry topic lists: bodies up to 16 KB (the app: 4 KB).
MAX_SUBSCRIPTION_BYTES = 16_384
router = APIRouter(max_body_size=MAX_SUBSCRIPTION_BYTES)
NO_STORE = "no-store"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(slots=True)
class DigestWeb:
    """What the routes share: the subscription rules and a way to send queued mail."""

    service: SubscriptionService
    settings: DigestSettings
    store_url: str

    def deliver(self) -> None:
        """Send what is queued (the confirmation just asked for); errors are logged.

        Runs after the response on its own store connection, so a slow mail server
        delays no request and an app shutting down does not close it mid-send.
        """
        try:
            store = open_store(self.store_url, migrate=False)
            try:
                with open_transport(self.settings.mail) as transport:
                    send_pending(store, transport, self.settings.mail)
            finally:
                store.close()
        except Exception:  # the mail stays queued: the scheduler or cron sends it later
            log.exception("sending queued mail failed")


def install(app: FastAPI, settings: Settings, store: PaperStore, signer: TokenSigner) -> DigestWeb:
    """Mount the routes and keep their shared state on ``app.state.digests``."""
    digest = DigestSettings.from_settings(settings)
    service = SubscriptionService(store, digest, DigestLinks(signer, digest))
    web = DigestWeb(service, digest, store.url)
    app.state.digests = web
    app.include_router(router)
    return web


def scheduler_for(
    settings: Settings, secret_key: str, store_url: str, owns_store: bool, wanted: bool | None
) -> DigestScheduler | None:
    """The in-process digest scheduler, if this app should run one (on its own connection
    to the app's store)."""
    if wanted is None:
        wanted = owns_store and bool(int(settings.get("digest_scheduler")))
    if not wanted:
        return None
    digest = DigestSettings.from_settings(settings)
    return DigestScheduler(settings, digest, secret_key, store_url)


def _digests(request: Request) -> DigestWeb:
    web: DigestWeb = request.app.state.digests
    return web


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    state = web_state(request)
    context.setdefault("error", None)
    rendered = state.render_html(template, status_code=status, **context)
    response = send(request, rendered, NO_STORE)
    response.headers["Referrer-Policy"] = "no-referrer"  # tokens are in these URLs
    return response


def _message(request: Request, title: str, text: str, status: int = 200) -> Response:
    return _page(request, "digest_message.html", status, title=title, text=text)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form(max_files=0, max_fields=60)
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value[:4000])
    return values


def _first(values: dict[str, Any], key: str) -> str:
    found = values.get(key) or [""]
    return str(found[0])


# -- confirm ----------------------------------------------------------------------------


@router.get("/subscriptions/confirm", include_in_schema=False)
async def confirm_page(request: Request, t: str = "") -> Response:
    web = _digests(request)
    try:
        web.service.links.check_confirm(t)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    return _page(request, "digest_confirm.html", token=t)


@router.post("/subscriptions/confirm", include_in_schema=False)
async def confirm(request: Request) -> Response:
    web = _digests(request)
    try:
        token = _first(await _form(request), "t")
        subscriber = await run_in_threadpool(web.service.confirm, token)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    interests = await run_in_threadpool(web.service.interests, subscriber)
    manage = web.service.links.manage_url(subscriber.id)
    return _page(
        request,
        "digest_confirmed.html",
        digest=describe_digest(subscriber, interests),
        manage_url=manage,
    )


# -- unsubscribe ------------------------------------------------------------------------


@router.get("/unsubscribe", include_in_schema=False)
async def unsubscribe_page(request: Request, t: str = "") -> Response:
    web = _digests(request)
    try:
        subscriber = await run_in_threadpool(web.service.subscriber_for, "unsubscribe", t)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    return _page(request, "digest_unsubscribe.html", token=t, email=subscriber.email, done=False)


@router.post("/unsubscribe", include_in_schema=False)
async def unsubscribe(request: Request, t: str = "") -> Response:
    """RFC 8058: a bare POST (body ``List-Unsubscribe=One-Click``) unsubscribes at once."""
    web = _digests(request)
    try:
        token = t or _first(await _form(request), "t")
        subscriber = await run_in_threadpool(web.service.unsubscribe, token)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    return _page(request, "digest_unsubscribe.html", token="", email=subscriber.email, done=True)


# -- thumbs -----------------------------------------------------------------------------


@router.get("/subscriptions/feedback", include_in_schema=False)
async def feedback_page(request: Request, t: str = "", p: str = "", v: str = "") -> Response:
    web = _digests(request)
    try:
        claim = web.service.links.check_feedback(t, p, v)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    paper = await run_in_threadpool(web.service.store.get_paper, claim.paper_id)
    title = paper.title_text if paper else claim.paper_id
    return _page(
        request,
        "digest_feedback.html",
        token=t,
        paper_id=claim.paper_id,
        title=title,
        verdict=claim.verdict,
        done=False,
    )


@router.post("/subscriptions/feedback", include_in_schema=False)
async def feedback(request: Request) -> Response:
    web = _digests(request)
    try:
        values = await _form(request)
        _subscriber, paper_id, verdict = await run_in_threadpool(
            web.service.feedback, _first(values, "t"), _first(values, "p"), _first(values, "v")
        )
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    paper = await run_in_threadpool(web.service.store.get_paper, paper_id)
    return _page(
        request,
        "digest_feedback.html",
        token="",
        paper_id=paper_id,
        title=paper.title_text if paper else paper_id,
        verdict=verdict,
        done=True,
    )


# -- manage -----------------------------------------------------------------------------


def _manage_context(web: DigestWeb, subscriber: Subscriber, token: str) -> dict[str, Any]:
    from paperfeed.personal.readers import with_account_follows

    interests = web.service.interests(subscriber)
    if isinstance(web.service.store, PaperStore):  # the account's follows are the same list
        interests = with_account_follows(web.service.store, subscriber.email, interests)
    feedback = web.service.store.feedback_of([subscriber.id]).get(subscriber.id)
    rated = [*(feedback.liked if feedback else ()), *(feedback.disliked if feedback else ())]
    papers = web.service.store.get_papers(rated) if rated else {}
    liked = set(feedback.liked) if feedback else set()
    return {
        "token": token,
        "subscriber": subscriber,
        "prefs": subscriber.preferences,
        "topics": "\n".join(interests.topics),
        "categories": ", ".join(interests.categories),
        "authors": "\n".join(interests.authors),
        "weekday_names": WEEKDAYS,
        "rated": [(papers[p].title_text if p in papers else p, p in liked) for p in rated],
        "saved": False,
        "unsubscribe_path": "/unsubscribe?t="
        + web.service.links.subscriber_token("unsubscribe", subscriber.id),
    }


@router.get("/subscriptions/manage", include_in_schema=False)
async def manage_page(request: Request, t: str = "") -> Response:
    web = _digests(request)
    try:
        subscriber = await run_in_threadpool(web.service.subscriber_for, "manage", t)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    context = await run_in_threadpool(_manage_context, web, subscriber, t)
    return _page(request, "digest_manage.html", **context)


def _submitted(
    values: dict[str, Any], base: DigestPreferences
) -> tuple[Interests, DigestPreferences]:
    interests = parse_interests(
        split_lines(_first(values, "topics")),
        _first(values, "categories").replace(",", " ").split(),
        split_lines(_first(values, "authors")),
    )
    preferences = parse_preferences(
        base,
        cadence=_first(values, "cadence") or "daily",
        weekdays=values.get("weekdays") or [],
        timezone=_first(values, "timezone"),
        send_hour=_first(values, "send_hour") or base.send_hour,
        max_papers=_first(values, "max_papers") or base.max_papers,
        trending_only=_first(values, "kind") != "interests",
        send_empty=bool(values.get("send_empty")),
    )
    return interests, preferences


@router.post("/subscriptions/manage", include_in_schema=False)
async def manage(request: Request) -> Response:
    web = _digests(request)
    try:
        values = await _form(request)
        token = _first(values, "t")
        subscriber = await run_in_threadpool(web.service.subscriber_for, "manage", token)
    except SubscriptionError as exc:
        return _message(request, "This link does not work", str(exc), 400)
    try:
        interests, preferences = _submitted(values, subscriber.preferences)
        subscriber = await run_in_threadpool(web.service.update, token, interests, preferences)
        if isinstance(web.service.store, PaperStore):
            from paperfeed.personal.readers import drop_unlisted_follows

            store = web.service.store
            await run_in_threadpool(drop_unlisted_follows, store, subscriber.email, interests)
    except SubscriptionError as exc:
        context = await run_in_threadpool(_manage_context, web, subscriber, token)
        context["error"] = str(exc)
        return _page(request, "digest_manage.html", 400, **context)
    context = await run_in_threadpool(_manage_context, web, subscriber, token)
    context["saved"] = True
    return _page(request, "digest_manage.html", **context)


# -- the API ----------------------------------------------------------------------------


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Topic = Annotated[str, Field(max_length=MAX_TEXT)]


class SubscriptionRequest(BaseModel):
    """The body of ``POST /api/subscriptions``; its JSON Schema is the one documented."""

    model_config = ConfigDict(extra="ignore", strict=True)  # no false for Monday

    email: EmailStr = Field(max_length=MAX_EMAIL_LENGTH)
    topics: list[Topic] = Field(default=[], max_length=MAX_TOPICS)
    categories: list[Annotated[str, Field(pattern=f"^{CATEGORY.pattern}$")]] = Field(
        default=[], max_length=MAX_CATEGORIES
    )
    authors: list[Topic] = Field(default=[], max_length=MAX_AUTHORS)
    cadence: Literal["daily", "weekly"] = "daily"
    weekdays: list[Annotated[int, Field(ge=0, le=6)] | Weekday] | None = Field(
        default=None, min_length=1, max_length=7
    )
    timezone: str = Field(
        default="UTC",
        description="An IANA time zone, e.g. Europe/Paris.",
        json_schema_extra={"enum": list[JsonValue](sorted(available_timezones() | {"UTC"}))},
    )


def _validation_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


def _api_request(body: bytes) -> tuple[str, Interests, DigestPreferences]:
    try:
        data = SubscriptionRequest.model_validate_json(body)
    except ValidationError as exc:
        raise SubscriptionError(_validation_problem(exc)) from exc
    try:
        address = normalise_email(data.email)
    except FormError as exc:
        raise SubscriptionError(str(exc)) from exc
    interests = parse_interests(data.topics, data.categories, data.authors)
    preferences = parse_preferences(
        DigestPreferences(),
        cadence=data.cadence,
        weekdays=data.weekdays,
        timezone=data.timezone,
        trending_only=interests.is_empty,
    )
    return address, interests, preferences


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


ERROR = _object(error={"type": "string"})
DETAIL = _object(detail={"type": "string"})
PENDING = _object(status={"type": "string", "enum": ["pending"]}, message={"type": "string"})


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def is_json(request: Request) -> bool:
    """A JSON body, declared so: the one type a cross-site form cannot send."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def _json(status: int, data: dict[str, Any]) -> Response:
    rendered = json_rendered(data, status)
    return Response(
        rendered.body, status, media_type=rendered.media_type, headers={"Cache-Control": NO_STORE}
    )


@router.post(
    "/api/subscriptions",
    status_code=202,
    tags=["subscriptions"],
    summary="Subscribe an address to the email digest (double opt-in)",
    response_class=Response,
    responses={
        202: _answer("Pending: a confirmation link was mailed", PENDING),
        400: _answer("The body is not a valid subscription (the error says why)", ERROR),
        403: _answer("Sent from a page on another site", DETAIL),
        413: _answer("The body is larger than 16 KB", DETAIL),
        415: _answer("The body is not declared as application/json", ERROR),
        429: _answer("Too many subscriptions from this network (see Retry-After)", ERROR),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SubscriptionRequest.model_json_schema()}},
        }
    },
)
async def subscribe_api(request: Request) -> Response:
    """JSON ``{"email", "topics", "categories", "authors", "cadence"}``; answers 202 and
    mails a confirmation link. Nothing else is sent until the link is followed."""
    web = _digests(request)
    if not is_json(request):
        return _json(415, {"error": "Send the body as application/json."})
    body = await request.body()  # at most MAX_SUBSCRIPTION_BYTES: the router says so
    try:
        address, interests, preferences = _api_request(body)
        await run_in_threadpool(
            web.service.subscribe,
            address,
            interests=interests,
            preferences=preferences,
            ip=client_ip(request),
        )
    except RateLimited as exc:
        limited = _json(429, {"error": str(exc)})
        limited.headers["Retry-After"] = str(exc.retry_after)
        return limited
    except SubscriptionError as exc:
        return _json(400, {"error": str(exc)})
    in_background(run_in_threadpool(web.deliver))
    return _json(
        202,
        {"status": "pending", "message": "Check your inbox for a link to confirm the address."},
    )
