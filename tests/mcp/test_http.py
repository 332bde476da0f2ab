"""``/mcp`` under a real ``paperfeed serve`` on 127.0.0.1, driven by the SDK's HTTP client."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from paperfeed.store import PaperStore
from tests.mcp.conftest import check_reader_state, check_reader_tools, check_tools, error_of
from tests.web.live_server import serve_process

pytestmark = pytest.mark.slow


@contextmanager
def serving(tmp_path: Path, database_url: str, **env: str) -> Iterator[str]:
    """``paperfeed serve`` in a process of its own; yields its base URL."""
    with serve_process(tmp_path / "var", database_url, **env) as server:
        yield server.base


def test_every_tool_over_streamable_http(tmp_path: Path, filled_url: str) -> None:
    async def session(url: str) -> None:
        async with Client(url) as client:
            assert client.server_info is not None and client.server_info.name == "paperfeed"
            await check_tools(client)

    with serving(tmp_path, filled_url) as base:
        anyio.run(session, f"{base}/mcp")
        # A second client, as another worker process would see it: nothing is kept.
        anyio.run(session, f"{base}/mcp")


def test_the_reader_s_tools_with_a_bearer_token_over_http(
    tmp_path: Path, filled_url: str, reader_token: str, store: PaperStore
) -> None:
    async def session(url: str, token: str, check: bool) -> None:
        http = create_mcp_http_client({"Authorization": f"Bearer {token}"})
        async with Client(streamable_http_client(url, http_client=http)) as client:
            if check:
                await check_reader_tools(client)
            else:
                assert "not valid" in await error_of(client, "for_you")

    with serving(tmp_path, filled_url) as base:
        anyio.run(session, f"{base}/mcp", reader_token, True)
        anyio.run(session, f"{base}/mcp", "pfa_" + "x" * 43, False)
        anyio.run(session, f"{base}/mcp", "not even a token", False)
    check_reader_state(store)


def statuses_of(url: str, headers: dict[str, str], *, refused: bool = False) -> set[int]:
    """Connect and list tools with extra headers; the HTTP statuses the server answered."""
    statuses: set[int] = set()

    async def attempt() -> None:
        async def record(response: httpx2.Response) -> None:
            statuses.add(response.status_code)

        http = create_mcp_http_client(headers)
        http.event_hooks["response"].append(record)
        async with Client(streamable_http_client(url, http_client=http)) as client:
            await client.list_tools()

    if refused:  # the SDK reports only "error response": the statuses say which
        with pytest.raises(Exception, match="unhandled errors"):
            anyio.run(attempt)
    else:
        anyio.run(attempt)
    return statuses


def test_origin_and_host_are_checked(tmp_path: Path, filled_url: str) -> None:
    """DNS rebinding: a page elsewhere must not reach a server on the reader's machine."""
    with serving(tmp_path, filled_url, PAPERFEED_PUBLIC_URL="https://papers.example.org") as base:
        url = f"{base}/mcp"
        accepted = {200, 202}  # 202: a notification, when the client falls back to initialize
        assert statuses_of(url, {"Origin": base}) <= accepted
        assert statuses_of(url, {"Origin": "https://papers.example.org"}) <= accepted
        assert statuses_of(url, {"Host": "papers.example.org"}) <= accepted
        hostile = {"Origin": "http://attacker.example"}
        assert statuses_of(url, hostile, refused=True) == {403}
        assert statuses_of(url, {"Host": "attacker.example:80"}, refused=True) == {421}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)  # no GET stream: stateless, JSON only
        assert refused.value.code == 405
