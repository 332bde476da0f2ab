"""Request bodies: a size limit enforced while the body streams in, and quiet hang-ups.

A limit checked after ``await request.body()`` comes too late: a 200 MB chunked POST
is already in memory by then. This ASGI middleware counts bytes as each piece arrives
and stops the request the moment it passes its route's limit (at once when the
declared ``Content-Length`` already does), so no route can read more than it allows,
chunked or not, JSON or form.

A client that hangs up mid-body is not a server error: the request simply ends, with
one debug line instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("paperfeed.web")


class BodyTooLarge(HTTPException):
    """The body is (or was declared) larger than the route accepts: a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than the {limit:,} bytes allowed.",
            headers={"Connection": "close"},  # the rest of the body is not worth reading
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """At most ``default`` body bytes per request; ``larger`` raises it for path prefixes.

    Bodies are refused by raising ``BodyTooLarge`` from ``receive``, inside the route
    that reads them, so the answer is the app's own 413 page or JSON.
    """

    def __init__(
        self, app: ASGIApp, *, default: int, larger: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.default = default
        self.larger = tuple(larger)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.larger:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _declared_length(scope)
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted_receive, send)
        except ClientDisconnect:
            log.debug("client hung up before sending its whole request: %s", scope["path"])
