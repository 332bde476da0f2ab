"""A real HTTP server on 127.0.0.1 that replays recorded upstream responses.

Tests point a source's base URL at it: everything above the socket is the real code.
Routes match a path and (optionally) a subset of query parameters; each route replays
its replies in order and repeats the last one. A reply can also cut the connection
mid-body, to test what a dropped connection does.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    drop_after: int | None = None  # send this many body bytes, then close the socket
    delay: float = 0.0  # seconds to wait before answering (cut short when the server stops)

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class _Route:
    path: str
    query: Mapping[str, str]
    replies: list[Reply]
    served: int = 0

    def matches(self, path: str, query: Mapping[str, str]) -> bool:
        return path == self.path and all(query.get(k) == v for k, v in self.query.items())

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class RecordedServer:
    """Serve recorded replies; remember every request (path and query) for assertions."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, *replies: Reply, query: Mapping[str, str] | None = None) -> None:
        """Route ``path`` (with these query values) to ``replies``; later routes win."""
        with self._lock:
            self._routes.insert(0, _Route(path, dict(query or {}), list(replies)))

    def start(self) -> RecordedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _reply_for(self, raw_path: str) -> Reply:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append((parts.path, query))
            for route in self._routes:
                if route.matches(parts.path, query):
                    return route.next_reply()
        return Reply(b"not recorded", status=404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                reply = server._reply_for(self.path)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                data = reply.data
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply.drop_after is not None:
                    self.wfile.write(data[: reply.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
