"""No state change through the API from a page on another site.

Forms carry a token (``paperfeed.web.csrf``); the JSON API cannot, so it relies on what
browsers say about where a request comes from. A state-changing API request (anything
but GET, HEAD and OPTIONS under ``/api/``) is refused with a 403 when the browser marks
it cross-site: ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or an
``Origin`` that is neither this request's own nor the configured public address.
Requests without those headers come from scripts and servers, not from a victim's
browser, and pass. Together with JSON routes accepting only ``application/json`` (a
type no cross-site form can send, and no script without a CORS preflight that
paperfeed never grants), this closes the API to cross-site forgery.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE_FETCHES = frozenset({b"same-origin", b"none"})
GUARDED_PREFIX = "/api/"
REFUSAL = orjson.dumps(
    {"detail": "This request came from another site; paperfeed's API refuses changes from there."}
)


def _host_of(url: str) -> str:
    """``host[:port]`` of a URL or an ``Origin`` (``""`` for ``null`` and garbage).

    Schemes are not compared: behind a TLS proxy this server may see http while the
    browser's origin is https, and no other site can claim this host in its origin.
    """
    return urlsplit(url).netloc.lower()


class CrossSiteGuard:
    def __init__(self, app: ASGIApp, *, public_url: str = "") -> None:
        self.app = app
        self.public_host = _host_of(public_url)

    def allows(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", ()))
        fetch_site = headers.get(b"sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES:
            return False
        origin = headers.get(b"origin")
        if origin is None:
            return True
        claimed = _host_of(origin.decode("latin-1"))
        own = {headers.get(b"host", b"").decode("latin-1").lower(), self.public_host}
        return bool(claimed) and claimed in own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not scope["path"].startswith(GUARDED_PREFIX)
            or self.allows(scope)
        ):
            await self.app(scope, receive, send)
            return
        refusal = Response(REFUSAL, 403, {"Cache-Control": "no-store"}, "application/json")
        await refusal(scope, receive, send)
