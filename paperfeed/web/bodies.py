"""Request bodies: limits, and clients that hang up mid-body.

Limits are FastAPI's own ``max_body_size`` (the app's default, raised per router or
route), which counts bytes as each piece of the body arrives and answers 413 the moment
a route's limit is passed, or at once when the declared ``Content-Length`` already
does: a 200 MB chunked POST is never read, and a chunked form cannot skip the form
limit. This module holds the sizes and the one thing FastAPI leaves out.

A client that hangs up mid-body is not a server error: the request simply ends, with
one debug line instead of an "Exception in ASGI application" traceback.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("paperfeed.web")

# The small forms (sign-in, subscribe, votes, submit) and the default for any body.
MAX_FORM_BYTES = 4096
# The digest settings form and the subscription API, with their topic lists.
MAX_SUBSCRIPTION_BYTES = 16_384


class QuietHangUps:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            log.debug("client hung up before sending its whole request: %s", scope.get("path"))
