"""HEAD answers like GET without the body (uptime monitors and feed readers send it)."""

from __future__ import annotations

import urllib.request

from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.web.conftest import SECRET
from tests.web.live_server import live_server

PATHS = [
    "/",
    "/trending",
    "/papers/date/2026-03-12",
    "/papers/week/2026-W11",
    "/papers/2603.01001",
    "/subscribe",
    "/signin",
    "/docs",
    "/feeds/today.rss",
    "/feeds/trending.atom",
    "/feeds/category/cs.LG.rss",
    "/api/v1/papers?date=2026-03-12",
    "/api/v1/papers/2603.01001",
    "/api/v1/trending",
    "/api/daily_papers",
    "/api/papers/2603.01001",
    "/openapi.json",
    "/static/style.css",
]


FORM_PAGES = {"/subscribe", "/signin"}  # a fresh form token each time: another ETag


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    for path in PATHS:
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if path not in FORM_PAGES:
            assert head.headers.get("etag") == got.headers.get("etag"), path
            assert head.headers["content-length"] == got.headers["content-length"], path


def test_a_real_server_answers_head_with_the_length_of_get(
    filled_store: PaperStore, settings: Settings
) -> None:
    app = create_app(settings, store=filled_store, with_search=False, secret_key=SECRET)
    with live_server(app) as base:
        for path in ("/", "/feeds/today.rss", "/api/v1/papers/2603.01001"):
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as got:
                length = len(got.read())
            request = urllib.request.Request(f"{base}{path}", method="HEAD")
            with urllib.request.urlopen(request, timeout=10) as head:
                assert head.status == 200
                assert int(head.headers["Content-Length"]) == length
                assert head.read() == b""


def test_head_of_a_missing_page_is_a_404(client: TestClient) -> None:
    assert client.head("/papers/2603.09999").status_code == 404
    assert client.head("/no/such/page").status_code == 404


def test_head_is_still_refused_where_get_is(client: TestClient) -> None:
    refused = client.head("/signout")
    assert refused.status_code == 405
    assert "POST" in refused.headers["allow"]
