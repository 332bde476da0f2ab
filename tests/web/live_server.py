"""Real servers on 127.0.0.1: uvicorn in a thread, or ``paperfeed serve`` in a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ServeProcess:
    """A running ``paperfeed serve``: its base URL and its process (stderr captured)."""

    def __init__(self, base: str, process: subprocess.Popen[bytes]) -> None:
        self.base = base
        self.process = process
        self.stderr = b""
        self.stopped = False

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait; keeps what the server wrote to stderr. Once."""
        if self.stopped:
            return int(self.process.returncode)
        self.stopped = True
        if self.process.poll() is None:
            self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                _, err = self.process.communicate()
        self.stderr += err or b""
        return int(self.process.returncode)


@contextmanager
def serve_process(
    var_dir: Path, database_url: str | None = None, **env: str
) -> Iterator[ServeProcess]:
    """``paperfeed serve`` in a process of its own, on a free loopback port."""
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    # Never a developer's own config file: the test says everything the server reads.
    inherited = {k: v for k, v in os.environ.items() if k != "PAPERFEED_CONFIG"}
    environ = {**inherited, "PAPERFEED_VAR_DIR": str(var_dir), **env}
    command = [
        sys.executable,
        "-c",
        "from paperfeed.web.cli import serve; serve()",
        "--db",
        database_url or f"sqlite:///{var_dir / 'papers.db'}",
        "--port",
        str(port),
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=environ, stderr=subprocess.PIPE)
    server = ServeProcess(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 120  # each worker loads the embedding model first
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/", timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None, "the server exited while starting"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield server
    finally:
        server.stop()
