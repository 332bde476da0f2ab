"""Requests that end early: a client hanging up mid-body, a shutdown cancelling a request.

Neither is a server error, yet both reached uvicorn as exceptions and were logged as
"Exception in ASGI application" with a traceback (log flooding). Here a hang-up ends
the request with one debug line, and a request that ``paperfeed serve`` cancels after
its shutdown grace answers 503 (try again shortly) if it had not answered yet.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("paperfeed.web")
STOPPING = "paperfeed is restarting; try again in a moment.\n"


class QuietEndings:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ClientDisconnect:
            log.debug("client hung up before sending its whole request: %s", scope["path"])
        except asyncio.CancelledError:
            log.info("cancelled at shutdown: %s %s", scope["method"], scope["path"])
            if not started:
                headers = {"Retry-After": "5", "Connection": "close"}
                await PlainTextResponse(STOPPING, 503, headers)(scope, receive, send)
