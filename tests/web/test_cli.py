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

from paperfeed.config import Settings
from paperfeed.ingest import run_ingest
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import open_store
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
def serving(tmp_path: Path, database_url: str | None = None, **env: str) -> Iterator[str]:
    """``paperfeed serve`` in a process of its own, on a free loopback port; its log
    goes to ``tmp_path / "serve.log"`` when it stops."""
    with serve_process(tmp_path, database_url, **env) as server:
        try:
            yield server.base
        finally:
            server.stop()
            (tmp_path / "serve.log").write_bytes(server.stderr)


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


def test_the_first_searches_of_a_fresh_server_are_hybrid(
    store_url: str, tmp_path: Path, shared_model_dir: Path
) -> None:
    import gzip

    from paperfeed.search import SearchService
    from tests.search.conftest import DEMO_CORPUS

    subset = tmp_path / "subset.jsonl"
    lines = gzip.decompress(DEMO_CORPUS.read_bytes()).splitlines(keepends=True)
    subset.write_bytes(b"".join(lines[:20]))
    var = tmp_path / "var"
    with open_store(store_url) as store:
        run_ingest(store, JSONLSource(subset))
        settings = {"var_dir": str(var), "search_model_dir": str(shared_model_dir)}
        service = SearchService(store, Settings(settings, environ={}))
        service.index_papers()
        service.close()
    # The default query time limit (300 ms) is shorter than loading the model takes: the
    # server loads it before it accepts requests.
    with serving(var, store_url, PAPERFEED_SEARCH_MODEL_DIR=str(shared_model_dir)) as base:
        query = "q=dreaming+up+new+minerals"
        with urllib.request.urlopen(f"{base}/search?{query}", timeout=10) as response:
            assert "Search mode: hybrid" in response.read().decode()
        with urllib.request.urlopen(f"{base}/api/v1/search?{query}", timeout=10) as response:
            data = json.loads(response.read())
        assert data["mode_used"] == "hybrid" and data["fallback"] is None
    log = (var / "serve.log").read_text()
    assert "search: embedding model minilm-l6-v2-int8 and indexes loaded in" in log
