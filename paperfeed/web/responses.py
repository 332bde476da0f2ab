"""Turning a ``Rendered`` body into a response: ETag, Cache-Control, 304s, JSON."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from paperfeed.web.cache import Freshness, Rendered
from paperfeed.web.state import JSON, web_state

log = logging.getLogger(__name__)
PAGE_CACHE = "no-cache"  # pages revalidate every time (cheap: ETag) so "new" is never stale
API_CACHE = "public, max-age=60"
FEED_CACHE = "public, max-age=300"


def json_rendered(data: Any, status_code: int = 200) -> Rendered:
    return Rendered.of(orjson.dumps(data), JSON, status_code)


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def send(request: Request, rendered: Rendered, cache_control: str) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if rendered.status_code == 200 and _matches(request, rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(
        rendered.body,
        status_code=rendered.status_code,
        media_type=rendered.media_type,
        headers=headers,
    )


async def cached(
    request: Request, key: Hashable, render: Callable[[], Rendered], cache_control: str
) -> Response:
    """Serve ``key`` from the render cache, rendering it in a worker thread on a miss.

    A hit costs a dictionary look-up on the event loop; the database and templates are
    only touched off the loop, so a slow query never stalls other requests. A stale hit
    is served as is while one background task renders its replacement.
    """
    cache = web_state(request).cache
    rendered, freshness = cache.lookup(key)
    if rendered is None:
        rendered = await run_in_threadpool(cache.render, key, render)
    elif freshness is Freshness.STALE and cache.claim_refresh(key):
        in_background(run_in_threadpool(cache.render, key, render))
    return send(request, rendered, cache_control)


_background: set[asyncio.Task[Any]] = set()


def in_background(work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` without waiting for it; its failure is logged, never lost."""
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_finished)


async def drain_background(timeout: float = 10.0) -> None:
    """Wait (a while) for this loop's background work: at shutdown it must not find the
    store closed under it."""
    loop = asyncio.get_running_loop()
    pending = [t for t in _background if not t.done() and t.get_loop() is loop]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


def _finished(task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background render failed", exc_info=task.exception())
