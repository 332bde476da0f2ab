"""Request bodies against a real ``paperfeed serve``: size limits enforced while the body
streams in (declared or chunked), and clients that hang up mid-body.

Raw sockets, because the point is what the server does before the body is complete.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.web.live_server import ServeProcess, serve_process

CHUNK = b"x" * 8192


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve_process(tmp_path_factory.mktemp("serve")) as running:
        yield running


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def stream_until_answered(
    base: str, path: str, headers: dict[str, str], *, give_up_after: int
) -> tuple[int | None, int]:
    """Send a chunked body until the server answers or ``give_up_after`` bytes are sent.

    Returns the status (``None``: no answer) and how many body bytes went out first.
    """
    sock = _connect(base)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    sock.sendall(f"{request}{head}\r\n".encode())
    sent = 0
    chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
    try:
        while sent < give_up_after:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                break
            if not writable:
                break  # the server stopped reading and has not answered
            try:
                sock.sendall(chunk)
            except OSError:
                break  # the server closed the connection: read its answer
            sent += len(CHUNK)
        readable, _, _ = select.select([sock], [], [], 5)
        answer = sock.recv(4096) if readable else b""
    finally:
        sock.close()
    return (_status(answer) if answer else None), sent


def resident_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/subscriptions", "application/json"),
        ("/subscribe", "application/x-www-form-urlencoded"),
    ],
)
def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    server: ServeProcess, path: str, content_type: str
) -> None:
    before = resident_mb(server.process.pid)
    status, sent = stream_until_answered(
        server.base, path, {"Content-Type": content_type}, give_up_after=200 * 1024 * 1024
    )
    assert status == 413
    assert sent < 16 * 1024 * 1024  # answered long before the 200 MB were sent
    assert resident_mb(server.process.pid) - before < 20


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/subscriptions", "application/json"),
        ("/subscribe", "application/x-www-form-urlencoded"),
        ("/signin", "application/x-www-form-urlencoded"),
        ("/subscriptions/manage", "application/x-www-form-urlencoded"),
    ],
)
def test_a_declared_oversized_body_is_refused_before_it_is_read(
    server: ServeProcess, path: str, content_type: str
) -> None:
    sock = _connect(server.base)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = sock.recv(4096)  # no body sent at all: only an early answer can come
    finally:
        sock.close()
    assert _status(answer) == 413


def hang_up_mid_body(base: str, path: str, content_type: str) -> None:
    sock = _connect(base)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Content-Length: 1000\r\n\r\n".encode()
        + b"email=a"
    )
    time.sleep(0.2)
    sock.close()


def test_clients_hanging_up_mid_body_leave_no_traceback_in_the_log(tmp_path: Path) -> None:
    with serve_process(tmp_path) as running:
        for path in ("/api/subscriptions", "/subscribe", "/signin", "/subscriptions/manage"):
            content_type = (
                "application/json"
                if path.startswith("/api/")
                else ("application/x-www-form-urlencoded")
            )
            hang_up_mid_body(running.base, path, content_type)
        time.sleep(0.5)
        running.stop()
    log = running.stderr.decode()
    assert "Exception in ASGI application" not in log
    assert "Traceback" not in log
