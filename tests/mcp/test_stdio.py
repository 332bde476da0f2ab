"""``paperfeed mcp`` as a subprocess, driven by the MCP SDK's stdio client."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from paperfeed.store import PaperStore
from tests.mcp.conftest import (
    check_reader_state,
    check_reader_tools,
    check_tools,
    environment,
    error_of,
)

pytestmark = pytest.mark.slow


def server(tmp_path: Path, database_url: str, *options: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "paperfeed", "--db", database_url, "mcp", *options],
        env=environment(tmp_path, **env),
    )


def test_the_reader_s_tools_with_a_token_over_stdio(
    tmp_path: Path, filled_url: str, reader_token: str, store: PaperStore
) -> None:
    async def session() -> None:
        env = {"PAPERFEED_MCP_TOKEN": reader_token}
        async with Client(server(tmp_path, filled_url, **env)) as client:
            await check_reader_tools(client)
        revoked = reader_token[:-4] + "AAAA"
        async with Client(server(tmp_path, filled_url, "--token", revoked)) as client:
            assert "not valid" in await error_of(client, "for_you")
            assert "not valid" in await error_of(
                client, "add_to_collection", collection="Other", paper_id="2603.01001"
            )

    anyio.run(session)
    check_reader_state(store)


def test_every_tool_over_stdio(tmp_path: Path, filled_url: str) -> None:
    async def session() -> None:
        async with Client(server(tmp_path, filled_url)) as client:
            assert client.server_info is not None and client.server_info.name == "paperfeed"
            assert "search_papers" in (client.instructions or "")
            await check_tools(client)

    anyio.run(session)


def test_a_store_that_cannot_open_fails_with_one_line(tmp_path: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "paperfeed", "--db", "mysql://nowhere/db", "mcp"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""  # stdout belongs to the protocol
    assert result.stderr.startswith("Error:")
