"""Control characters never reach a page.

NUL, escape sequences and C1 codes are invisible at best and break pages, logs and
terminals at worst. They are dropped at the edges: from records as they are ingested
(``paperfeed.papers.clean``), from every value a template prints (for anything stored
before that), and from every query string as a request comes in, so no route, search
or cache key ever sees them. In a query each one becomes a space rather than nothing:
``graph%00networks`` stays two words, and a value keeps its length, so the limits the
API documents (at most 300 characters, at least one) mean the same before and after.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup
from starlette.types import ASGIApp, Receive, Scope, Send

from paperfeed.papers.clean import CONTROL_CHARACTERS, drop_controls, has_controls

_DROP: dict[int, None] = {code: None for code in range(0xA0) if CONTROL_CHARACTERS.match(chr(code))}


def clean_query_string(raw: bytes) -> bytes:
    """``raw`` with each control character in a name or value made a space (only when
    there are any: a clean query string is passed on byte for byte)."""
    if b"%" not in raw:
        return raw  # servers refuse raw control bytes in a request line
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    if not any(has_controls(name) or has_controls(value) for name, value in pairs):
        return raw
    return urlencode([(_blank(n), _blank(v)) for n, v in pairs]).encode("ascii")


def _blank(text: str) -> str:
    return CONTROL_CHARACTERS.sub(" ", text)


class CleanQueryStrings:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            cleaned = clean_query_string(scope["query_string"])
            if cleaned is not scope["query_string"]:
                scope = {**scope, "query_string": cleaned}
        await self.app(scope, receive, send)


def printable(value: Any) -> Any:
    """Jinja's ``finalize``: each printed string without control characters (markup
    stays markup: dropping characters cannot open a tag)."""
    if isinstance(value, Markup):
        return value.translate(_DROP) if has_controls(value) else value
    if isinstance(value, str):
        return drop_controls(value)
    return value
