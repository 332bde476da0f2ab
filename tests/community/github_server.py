"""The recorded-response server, also remembering each request's headers, and the
hand-written GitHub fixtures served through it."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.recorded_server import RecordedServer, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "github"


class HeaderRecordingServer(RecordedServer):
    """A ``RecordedServer`` that also keeps the headers of every request, in order."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        super().__init__()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler_class()
        server = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                super().do_GET()

        return Handler


def github_reply(name: str, **header_changes: str) -> Reply:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    headers = {**data["headers"], **header_changes}
    body = b"" if data["body"] is None else json.dumps(data["body"]).encode()
    return Reply(body, status=data["status"], headers=headers)
