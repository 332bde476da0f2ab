"""SIGTERM stops ``paperfeed serve`` within its grace, whatever its clients are doing.

Real parts: ``paperfeed serve`` in its own process, raw sockets for a client trickling
its body, and a real HTTP server on loopback standing in for an arXiv that never answers.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from paperfeed.community.signin import open_session
from paperfeed.store import open_store
from tests.community.conftest import community_settings
from tests.recorded_server import RecordedServer, Reply
from tests.web.live_server import ServeProcess, serve_process

GRACE = 2
# Grace, then the app's own shutdown (closing the store), then the interpreter's exit.
STOPPED_WITHIN = GRACE + 8.0
PAPER = "2603.01234"


def seconds_to_stop(server: ServeProcess) -> float:
    started = time.monotonic()
    server.process.terminate()
    try:
        server.process.wait(timeout=STOPPED_WITHIN + 5)
    except Exception:
        server.process.kill()
        raise
    return time.monotonic() - started


def trickle(base: str, stop: threading.Event) -> None:
    """A client sending its body one byte at a time, for as long as it is let."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(
            b"POST /api/subscriptions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"
        )
        while not stop.wait(0.3):
            try:
                sock.sendall(b" ")
            except OSError:
                return


def test_sigterm_stops_the_server_while_a_client_trickles_its_body(tmp_path: Path) -> None:
    stop = threading.Event()
    with serve_process(tmp_path, PAPERFEED_WEB_SHUTDOWN_GRACE=str(GRACE)) as server:
        client = threading.Thread(target=trickle, args=(server.base, stop), daemon=True)
        client.start()
        time.sleep(1.0)  # the request is in the app, reading its body
        try:
            assert seconds_to_stop(server) < STOPPED_WITHIN
        finally:
            stop.set()


def signed_in_cookie(store_url: str) -> str:
    store = open_store(store_url)
    try:
        account, _ = store.get_or_create_account("ada@example.org", "ada")
        return open_session(store, account, community_settings())
    finally:
        store.close()


def submit_in_background(base: str, session: str) -> threading.Thread:
    client = httpx.Client(base_url=base, cookies={"paperfeed_session": session}, timeout=120)
    page = client.get("/submit")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text

    def post() -> None:
        try:
            client.post("/submit", data={"csrf_token": token[1], "paper": PAPER})
        except httpx.HTTPError:
            pass  # the server went away mid-request: expected
        finally:
            client.close()

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_sigterm_stops_the_server_while_a_submission_waits_on_arxiv(
    tmp_path: Path, store_url: str, recorded_server: RecordedServer
) -> None:
    recorded_server.add("/api/query", Reply(b"", status=503, delay=120))
    session = signed_in_cookie(store_url)
    with serve_process(
        tmp_path / "var",
        store_url,
        PAPERFEED_WEB_SHUTDOWN_GRACE=str(GRACE),
        PAPERFEED_ARXIV_API_URL=recorded_server.url + "/api/query",
        PAPERFEED_ARXIV_REQUEST_INTERVAL="0",
    ) as server:
        submit_in_background(server.base, session)
        deadline = time.monotonic() + 10
        while not recorded_server.requests:  # the submission is now waiting on "arXiv"
            assert time.monotonic() < deadline, "the submission never asked arXiv"
            time.sleep(0.05)
        assert seconds_to_stop(server) < STOPPED_WITHIN
        server.stop()
    assert len(recorded_server.requests) == 1  # no retry started after the signal
    assert "Traceback" not in server.stderr.decode(), server.stderr.decode()
    store = open_store(store_url)  # consistent: opens, and holds no half a submission
    try:
        assert store.get_paper(PAPER) is None
        assert store.get_submission(PAPER) is None
    finally:
        store.close()
