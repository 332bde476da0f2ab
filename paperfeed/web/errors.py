"""Every error as a clear 4xx (or 503) in the caller's language: HTML for pages, JSON for APIs."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from paperfeed.errors import PaperfeedError
from paperfeed.store.base import StoreError
from paperfeed.web.params import BadRequest, NoSuchPeriod
from paperfeed.web.state import JSON, web_state

_MACHINE_PREFIXES = ("/api/", "/feeds/", "/openapi.json")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(_MACHINE_PREFIXES)


def error_response(request: Request, status: int, message: str, detail: Any = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if _wants_json(request):
        body = {"detail": detail if detail is not None else message}
        return Response(orjson.dumps(body), status, media_type=JSON, headers=headers)
    rendered = web_state(request).render_html(
        "error.html", status_code=status, title=HTTPStatus(status).phrase, message=message
    )
    return Response(rendered.body, status, media_type=rendered.media_type, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and not _wants_json(request):
            message = "There is no page at this address."
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return error_response(request, 422, _validation_message(exc), detail)

    async def on_bad_request(request: Request, exc: Exception) -> Response:
        return error_response(request, 404 if isinstance(exc, NoSuchPeriod) else 400, str(exc))

    async def on_store_error(request: Request, exc: Exception) -> Response:
        return error_response(request, 503, "The paper store is unavailable; try again shortly.")

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(BadRequest, on_bad_request)

    async def on_capability_error(request: Request, exc: Exception) -> Response:
        return error_response(request, 503, f"This part of paperfeed is unavailable: {exc}")

    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(PaperfeedError, on_capability_error)
