"""The polite HTTP client: redirects stay on the configured host, and a stop ends waiting.

Real parts: a real HTTP server on 127.0.0.1 replaying answers (``localhost`` names the
same server under another host name, which is what a redirect elsewhere looks like).
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from paperfeed.sources.http import FetchCancelled, HTTPFetchError, PoliteClient, may_redirect
from tests.recorded_server import RecordedServer, Reply


def client(**options: float) -> PoliteClient:
    values = {"min_interval": 0.0, "max_retries": 0, "timeout": 10.0, **options}
    return PoliteClient(pace_group="test", **values)  # type: ignore[arg-type]


def test_a_redirect_on_the_same_host_is_followed(recorded_server: RecordedServer) -> None:
    recorded_server.add("/api/query", Reply(b"", status=301, headers={"Location": "/api/v2"}))
    recorded_server.add("/api/v2", Reply(b"<feed/>"))
    with client() as http:
        page = http.get(recorded_server.url + "/api/query", {"id_list": "2603.01001"})
    assert page.body == b"<feed/>"
    assert [path for path, _ in recorded_server.requests] == ["/api/query", "/api/v2"]


def test_a_redirect_to_another_host_is_refused(recorded_server: RecordedServer) -> None:
    elsewhere = recorded_server.url.replace("127.0.0.1", "localhost") + "/stolen"
    recorded_server.add("/api/query", Reply(b"", status=302, headers={"Location": elsewhere}))
    recorded_server.add("/stolen", Reply(b"<feed/>"))
    with client() as http, pytest.raises(HTTPFetchError) as refused:
        http.get(recorded_server.url + "/api/query")
    assert "another host" in refused.value.problem and "localhost" in refused.value.problem
    assert [path for path, _ in recorded_server.requests] == ["/api/query"]


def test_redirect_loops_end(recorded_server: RecordedServer) -> None:
    recorded_server.add("/a", Reply(b"", status=302, headers={"Location": "/b"}))
    recorded_server.add("/b", Reply(b"", status=302, headers={"Location": "/a"}))
    with client() as http, pytest.raises(HTTPFetchError, match="too many redirects"):
        http.get(recorded_server.url + "/a")
    assert len(recorded_server.requests) <= 6


@pytest.mark.parametrize(
    ("origin", "target", "allowed"),
    [
        ("https://export.arxiv.org/api/query", "https://export.arxiv.org/api/v2", True),
        ("http://export.arxiv.org/api/query", "https://export.arxiv.org/api/query", True),
        ("https://export.arxiv.org/api/query", "https://EXPORT.arxiv.org/x", True),
        ("https://export.arxiv.org/api/query", "http://export.arxiv.org/api/query", False),
        ("https://export.arxiv.org/api/query", "https://arxiv.org/api/query", False),
        ("https://export.arxiv.org/api/query", "https://export.arxiv.org.evil.example/", False),
        ("https://export.arxiv.org/api/query", "https://export.arxiv.org:8443/", False),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/other", True),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8081/other", False),
        ("http://127.0.0.1:8080/api", "https://127.0.0.1:8443/other", False),
    ],
)
def test_which_redirects_may_be_followed(origin: str, target: str, allowed: bool) -> None:
    assert may_redirect(httpx.URL(origin), httpx.URL(target)) is allowed


def test_a_stop_ends_the_backoff_and_starts_no_new_attempt(
    recorded_server: RecordedServer,
) -> None:
    recorded_server.add("/api/query", Reply(b"busy", status=503))
    stop = threading.Event()
    http = PoliteClient(pace_group="test", min_interval=0, max_retries=5, backoff=30, stop=stop)
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with http, pytest.raises(FetchCancelled):
        http.get(recorded_server.url + "/api/query")
    assert time.monotonic() - started < 5  # not the 30 s backoff, let alone five of them
    assert len(recorded_server.requests) == 1
