"""``paperfeed serve``: its options, and a real server answering on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from paperfeed.store.sqlite.connection import checkpointer_running
from paperfeed.web.cli import serve
from tests.web.live_server import free_port


def test_serve_help_lists_its_options() -> None:
    result = CliRunner().invoke(serve, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--db", "PAPERFEED_WEB_PORT"):
        assert option in result.output
    assert "default: 8000" in result.output and "default: 127.0.0.1" in result.output


def test_serve_rejects_a_bad_port() -> None:
    result = CliRunner().invoke(serve, ["--port", "70000"])
    assert result.exit_code == 2


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PAPERFEED_VAR_DIR": str(tmp_path)}
    command = [
        sys.executable,
        "-c",
        "from paperfeed.web.cli import serve; serve()",
        "--db",
        f"sqlite:///{tmp_path / 'papers.db'}",
        "--port",
        str(port),
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    assert b"No papers yet" in response.read()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert (tmp_path / "secret_key").exists()
        # Beside it, the process that checkpoints the SQLite store's WAL.
        assert checkpointer_running(tmp_path / "papers.db")
    finally:
        server.terminate()
        server.wait(timeout=20)
    deadline = time.monotonic() + 10
    while checkpointer_running(tmp_path / "papers.db"):  # it leaves with the server
        assert time.monotonic() < deadline, "the checkpointing process outlived the server"
        time.sleep(0.05)
