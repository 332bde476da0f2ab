"""The streamable-HTTP transport at ``/mcp`` inside the web app.

Stateless and answering plain JSON: every request stands alone, so any worker process
of ``paperfeed serve`` can answer it and nothing is held open between calls. As the
MCP specification asks, the Host and Origin headers are checked against the names this
site answers to (loopback, ``web_host`` and the host of ``public_url``), which stops
DNS-rebinding pages from reaching a server on a reader's own machine. CSRF tokens do
not apply: the endpoint takes only JSON bodies (``Content-Type: application/json``),
which a cross-site form cannot send, and it changes nothing.

The SDK (about a second of imports) is loaded and the server built on the first
request to ``/mcp``, not when the site starts; its session manager then runs in a task
group that the app's lifespan holds open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import product
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
from anyio.abc import TaskGroup, TaskStatus
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from paperfeed.community.scoring import TrendingModel
from paperfeed.config import Settings
from paperfeed.store.base import PaperStore
from paperfeed.store.community import Window
from paperfeed.web.search_port import SearchServiceLike

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

PATH = "/mcp"
MAX_BODY = 64 * 1024  # a tool call is a few hundred bytes
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_ANY_ADDRESS = ("", "0.0.0.0", "::", "[::]")  # noqa: S104 (compared, never bound)


def _host_names(settings: Settings) -> tuple[list[str], list[str]]:
    """The ``Host`` values and extra origins this site answers to."""
    hosts = list(LOOPBACK)
    origins: list[str] = []
    web_host = str(settings.get("web_host") or "")
    if web_host not in _ANY_ADDRESS:
        hosts.append(f"[{web_host}]" if ":" in web_host and "[" not in web_host else web_host)
    public = urlsplit(str(settings.get("public_url") or ""))
    if public.hostname:
        netloc = public.netloc.rsplit("@", 1)[-1]
        hosts.append(netloc)
        origins.append(f"{public.scheme}://{netloc}")
    return list(dict.fromkeys(hosts)), origins


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """The SDK's Host and Origin checks, for the names this site answers to."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts, origins = _host_names(settings)
    for host, scheme, port in product(hosts, ("http", "https"), ("", ":*")):
        origins.append(f"{scheme}://{host}{port}")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[name for host in hosts for name in (host, f"{host}:*")],
        allowed_origins=list(dict.fromkeys(origins)),
    )


class McpEndpoint:
    """The ``/mcp`` route; the MCP server behind it starts with its first request."""

    def __init__(
        self,
        settings: Settings,
        store: PaperStore,
        search: SearchServiceLike | None,
        model: TrendingModel,
        default_window: Window,
    ) -> None:
        self._settings = settings
        self._store, self._search, self._model = store, search, model
        self._default_window = default_window
        self._group: TaskGroup | None = None
        self._lock: anyio.Lock | None = None
        self._app: ASGIApp | None = None
        self.route = Route(PATH, endpoint=self, methods=["POST"])  # stateless: no GET stream

    def _build(self) -> tuple[Any, ASGIApp]:
        from paperfeed.community.settings import CommunitySettings
        from paperfeed.digest.run import embedder_for
        from paperfeed.mcp.reader_tools import ReaderTools
        from paperfeed.mcp.server import build_server
        from paperfeed.mcp.tools import PaperTools

        tools = PaperTools(
            self._store,
            self._search,
            self._model,
            self._default_window,
            str(self._settings.get("public_url") or ""),
        )
        community = CommunitySettings.from_settings(self._settings)
        reader = ReaderTools(self._store, self._model, community, embedder_for(self._settings))
        server = build_server(tools, reader)
        app = server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            max_request_body_size=MAX_BODY,
            transport_security=transport_security(self._settings),
        )
        return server, app

    async def _serve(self, *, task_status: TaskStatus[ASGIApp]) -> None:
        server, app = await anyio.to_thread.run_sync(self._build)
        async with server.session_manager.run():
            task_status.started(app)
            await anyio.sleep_forever()

    async def _started(self) -> ASGIApp | None:
        if self._app is None and self._group is not None and self._lock is not None:
            async with self._lock:
                if self._app is None:
                    self._app = await self._group.start(self._serve)
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = await self._started()
        if app is None:
            response = PlainTextResponse("the MCP server is not running", status_code=503)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Hold this open in the app's lifespan: the server's tasks live inside it."""
        async with anyio.create_task_group() as group:
            self._group, self._lock = group, anyio.Lock()
            try:
                yield
            finally:
                self._group, self._app = None, None
                group.cancel_scope.cancel()
