"""A real store with papers (both engines), and the checks both transports must pass.

The tests talk to paperfeed only through the MCP SDK's own client: ``paperfeed mcp`` as
a subprocess over stdio, and ``paperfeed serve`` on 127.0.0.1 over streamable HTTP.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from paperfeed.community.hf_signals import import_hf_signals
from paperfeed.community.ranking import ensure_params
from paperfeed.community.settings import CommunitySettings
from paperfeed.config import Settings
from paperfeed.personal.tokens import issue_token
from paperfeed.store import PaperStore
from tests.web.conftest import sample_papers

READ_TOOLS = {"search_papers", "get_paper", "similar_papers", "daily_papers", "trending", "cite"}
READER_TOOLS = {"for_you", "add_to_collection"}
TOOLS = READ_TOOLS | READER_TOOLS


@pytest.fixture
def filled_url(store: PaperStore, store_url: str) -> str:
    """The web tests' papers, with their Hugging Face upvotes counted as trending signals."""
    store.upsert_papers(sample_papers(), source="jsonl")
    community = CommunitySettings.from_settings(Settings(environ={}))
    model = community.trending_model()
    ensure_params(store, model)
    import_hf_signals(store, community, model)
    return store_url


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The subprocess's environment: this one, its own var folder, no config file."""
    env = {k: v for k, v in os.environ.items() if k != "PAPERFEED_CONFIG"}
    return {**env, "PAPERFEED_VAR_DIR": str(tmp_path / "var"), **extra}


async def call(client: Client, name: str, **arguments: Any) -> Any:
    """A tool's structured result; fails the test on a tool error."""
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def error_of(client: Client, name: str, **arguments: Any) -> str:
    result = await client.call_tool(name, arguments)
    assert result.is_error
    assert result.structured_content is None
    return " ".join(getattr(block, "text", "") for block in result.content)


async def check_tools(client: Client) -> None:
    """List the tools, call each, and send bad arguments: what both transports must do."""
    listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        assert tool.description and tool.annotations and tool.output_schema is not None
        assert tool.annotations.read_only_hint is (tool.name != "add_to_collection")
    limit = listed["search_papers"].input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 50)
    assert listed["cite"].input_schema["properties"]["format"]["enum"] == [
        "bibtex",
        "ris",
        "csl-json",
        "text",
    ]

    found = await call(client, "search_papers", query="normalizing flows", mode="keyword")
    assert found["papers"][0]["id"] == "2603.01003"
    assert found["mode_used"] == "keyword"

    paper = await call(client, "get_paper", paper_id="https://arxiv.org/abs/2603.01001v1")
    assert paper["id"] == "2603.01001"
    assert paper["tldr"] == "Invariant initial representations suffice."
    assert paper["tldr_source"] == "huggingface"
    assert paper["keywords"] == ["invariance", "point clouds"]
    assert paper["links"]["code"] == ["https://github.com/example-lab/TinvNN"]
    assert paper["trend"]["hf_upvotes"] == 42

    similar = await call(client, "similar_papers", paper_id="2603.01001", limit=3)
    assert isinstance(similar["papers"], list)  # empty until papers are embedded

    day = await call(client, "daily_papers")
    assert (day["period"], day["total"], day["previous"]) == ("2026-03-12", 3, "2026-03-11")
    assert day["papers"][0]["id"] == "2603.01001"  # most upvoted first
    week = await call(client, "daily_papers", week="2026-W11", limit=2)
    assert week["total"] == 4 and len(week["papers"]) == 2
    old = await call(client, "daily_papers", date="1991-08-28")
    assert [p["id"] for p in old["papers"]] == ["hep-th/9108028"]

    hot = await call(client, "trending", window="all", limit=3)
    assert (hot["window"], hot["ranking"]) == ("all", "trending")
    assert [p["id"] for p in hot["papers"]] == ["2603.01001", "2603.01003"]
    assert hot["papers"][0]["score"] > hot["papers"][1]["score"]

    bib = await call(client, "cite", paper_ids=["2603.01001", "hep-th/9108028"])
    assert "@misc{zhang2021revisiting," in bib["citation"]
    assert "eprint = {hep-th/9108028}" in bib["citation"]
    csl = await call(client, "cite", paper_ids=["2603.01002"], format="csl-json")
    assert json.loads(csl["citation"])[0]["id"] == "zhang2021script"

    assert "no paper 2603.09999" in await error_of(client, "get_paper", paper_id="2603.09999")
    assert "not an arXiv identifier" in await error_of(client, "get_paper", paper_id="x")
    too_many = await error_of(client, "search_papers", query="flows", limit=500)
    assert "less than or equal to 50" in too_many
    assert "week" in await error_of(client, "daily_papers", week="last week")
    both = await error_of(client, "daily_papers", date="2026-03-12", month="2026-03")
    assert "at most one of date, week and month" in both
    assert "no paper 2603.09998" in await error_of(
        client, "cite", paper_ids=["2603.01001", "2603.09998"]
    )
    assert "format" in await error_of(client, "cite", paper_ids=["2603.01001"], format="doc")
    assert "Unknown tool" in await error_of(client, "delete_everything")
    # Without a token the reader's tools are listed but say what they need.
    assert "needs a personal API token" in await error_of(client, "for_you")
    assert "needs a personal API token" in await error_of(
        client, "add_to_collection", collection="Mine", paper_id="2603.01001"
    )


@pytest.fixture
def reader_token(store: PaperStore, filled_url: str) -> str:
    """An API token of a reader whose library holds one paper by the same authors."""
    account = store.ensure_account("ada@example.org", "ada")
    store.add_to_library(account, ["2603.00501"], "ids", datetime.now(UTC))
    return issue_token(store, account, "api", "assistant")


async def check_reader_tools(client: Client) -> None:
    """The reader's tools with a valid token: their ranking, and adding to their lists."""
    ranked = await call(client, "for_you", limit=5)
    assert [p["id"] for p in ranked["papers"]] == ["2603.01001", "2603.01003", "2603.01002"]
    assert all(p["reasons"] for p in ranked["papers"])
    made = await call(
        client, "add_to_collection", collection="Reading group", paper_id="2603.01003",
        note="<b>week 1</b>",
    )  # fmt: skip
    assert (made["collection"], made["added"], made["created"], made["papers"]) == (
        "Reading group", True, True, 1,
    )  # fmt: skip
    again = await call(
        client, "add_to_collection", collection=str(made["collection_id"]),
        paper_id="arXiv:2603.01003v2",
    )  # fmt: skip
    assert (again["added"], again["created"], again["papers"]) == (False, False, 1)
    saved = await call(client, "add_to_collection", collection="saved", paper_id="2603.01001")
    assert (saved["collection"], saved["collection_id"], saved["added"]) == ("Saved", None, True)
    # Papers now in the reader's lists or saves are not offered again.
    after = await call(client, "for_you", limit=5)
    assert [p["id"] for p in after["papers"]] == ["2603.01002"]
    assert "not an arXiv identifier" in await error_of(
        client, "add_to_collection", collection="Reading group", paper_id="x"
    )
    assert "no paper 2603.09999" in await error_of(
        client, "add_to_collection", collection="Reading group", paper_id="2603.09999"
    )
    assert "no list '999'" in await error_of(
        client, "add_to_collection", collection="999", paper_id="2603.01001"
    )
    assert "collection" in await error_of(client, "add_to_collection", paper_id="2603.01001")
    assert "less than or equal to 50" in await error_of(client, "for_you", limit=99)
    assert "since is after until" in await error_of(
        client, "for_you", since="2026-03-12", until="2026-03-01"
    )


def check_reader_state(store: PaperStore) -> None:
    """What the reader's tools wrote, as the store sees it."""
    account = store.account_id("ada@example.org")
    assert account is not None
    (made,) = store.collections_of(account)
    assert made.name == "Reading group" and not made.public
    entries = store.collection_entries(made.id, limit=10)
    assert [(e.paper_id, e.note) for e in entries] == [("2603.01003", "<b>week 1</b>")]
    assert store.marked_by(account, "save", ["2603.01001"]) == {"2603.01001"}
