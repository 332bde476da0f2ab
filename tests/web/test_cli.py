"""``paperfeed serve``: its options, and a real server answering on loopback."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from paperfeed.store.sqlite.connection import checkpointer_running
from paperfeed.web.cli import serve
from tests.web.live_server import serve_process


def test_serve_help_lists_its_options() -> None:
    result = CliRunner().invoke(serve, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--db", "PAPERFEED_WEB_PORT"):
        assert option in result.output
    assert "default: 8000" in result.output and "default: 127.0.0.1" in result.output


def test_serve_rejects_a_bad_port() -> None:
    result = CliRunner().invoke(serve, ["--port", "70000"])
    assert result.exit_code == 2


@contextmanager
def serving(tmp_path: Path, **env: str) -> Iterator[str]:
    """``paperfeed serve`` in a process of its own, on a free loopback port."""
    with serve_process(tmp_path, **env) as server:
        yield server.base


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        with urllib.request.urlopen(f"{base}/", timeout=2) as response:
            assert b"No papers yet" in response.read()
        assert (tmp_path / "secret_key").exists()
        # Beside it, the process that checkpoints the SQLite store's WAL.
        assert checkpointer_running(tmp_path / "papers.db")
    deadline = time.monotonic() + 10
    while checkpointer_running(tmp_path / "papers.db"):  # it leaves with the server
        assert time.monotonic() < deadline, "the checkpointing process outlived the server"
        time.sleep(0.05)


def subscribe(base: str, email: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/subscriptions",
        data=json.dumps({"email": email}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_per_ip_limits_see_the_client_behind_a_trusted_proxy_only(tmp_path: Path) -> None:
    limit = {"PAPERFEED_RATE_SUBSCRIBE_PER_IP": "1/hour"}
    with serving(tmp_path / "a", PAPERFEED_WEB_TRUSTED_PROXIES="127.0.0.1", **limit) as base:
        assert subscribe(base, "a@example.org", "203.0.113.1") == 202
        assert subscribe(base, "b@example.org", "203.0.113.2") == 202  # another client
        assert subscribe(base, "c@example.org", "203.0.113.1") == 429
    with serving(tmp_path / "b", **limit) as base:  # no proxy trusted: the peer counts
        assert subscribe(base, "a@example.org", "203.0.113.1") == 202
        assert subscribe(base, "b@example.org", "203.0.113.2") == 429
