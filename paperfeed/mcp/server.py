"""The MCP server: paperfeed's read-only tools, described for a model to use well.

Built on the official SDK's ``MCPServer``; the same server runs over stdio
(``paperfeed mcp``) and over streamable HTTP at ``/mcp`` under ``paperfeed serve``.
Arguments are checked against each tool's JSON schema by the SDK (bounded limits,
date and id patterns); a request paperfeed cannot answer comes back as a tool error
(``isError``) whose text says what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Annotated, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from paperfeed import __version__
from paperfeed.citations import FORMATS
from paperfeed.errors import PaperfeedError
from paperfeed.mcp.reader_tools import Added, ForYou, ReaderTools
from paperfeed.mcp.tools import (
    Citation,
    Listing,
    PaperDetail,
    PaperList,
    PaperTools,
    SearchResults,
    TrendingList,
)
from paperfeed.web.params import CATEGORY_PATTERN, MONTH_PATTERN, WEEK_PATTERN

P = ParamSpec("P")
R = TypeVar("R")

INSTRUCTIONS = """\
paperfeed holds research papers from arXiv and Hugging Face's daily papers.
Find papers with search_papers (keyword, semantic or hybrid; filters for category,
dates and author), browse a day, week or month with daily_papers, see what the
community reads with trending, look one paper up with get_paper (abstract, TL;DR,
links, trend), find related work with similar_papers, and get BibTeX, RIS, CSL-JSON
or an APA reference with cite. Papers are named by arXiv id (2112.12345,
hep-th/9108028; versions and abs URLs are accepted). These tools only read.
With the reader's personal API token, for_you lists the papers picked for them (with
reasons) and add_to_collection puts a paper into one of their lists."""

MAX_LIMIT = 50
MAX_LISTING = 100

PaperId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        description="An arXiv id such as 2112.12345 or hep-th/9108028 (a version or URL works).",
    ),
]
Category = Annotated[
    str | None,
    Field(pattern=CATEGORY_PATTERN, description="Only papers in this arXiv category, e.g. cs.LG."),
]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"How many papers (1-{MAX_LIMIT}).")]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
ADDS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
BEARER = "bearer "


def request_token(ctx: Context, stdio_token: str | None) -> str | None:
    """The reader's API token: the HTTP request's ``Authorization: Bearer`` header, or
    over stdio the one the server was started with."""
    request = ctx.request_context.request
    headers = getattr(request, "headers", None)
    if headers is None:
        return stdio_token
    value = str(headers.get("authorization", ""))
    return value[len(BEARER) :].strip() if value.lower().startswith(BEARER) else None


def _tool_errors(function: Callable[P, R]) -> Callable[P, R]:
    """paperfeed's own errors become tool errors that carry their message."""

    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except PaperfeedError as exc:
            raise ToolError(str(exc)) from exc

    return call


def build_server(
    tools: PaperTools, reader: ReaderTools | None = None, *, stdio_token: str | None = None
) -> MCPServer:
    """A server whose tools answer from ``tools`` (and the reader's own from
    ``reader``, opened by a token); sync tools run on worker threads."""
    server: MCPServer = MCPServer(
        "paperfeed",
        title="paperfeed",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )

    @server.tool(title="Search papers", annotations=READ_ONLY)
    @_tool_errors
    def search_papers(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=300,
                description='Words, a "quoted phrase", prefix*, author:NAME, -excluded; an'
                " arXiv id, DOI or exact title puts that paper first.",
            ),
        ],
        mode: Annotated[
            Literal["hybrid", "keyword", "semantic"],
            Field(description="hybrid (default) fuses keyword and semantic ranking."),
        ] = "hybrid",
        category: Category = None,
        since: Annotated[date | None, Field(description="Announced on or after.")] = None,
        until: Annotated[date | None, Field(description="Announced on or before.")] = None,
        author: Annotated[
            str | None, Field(max_length=100, description="Only papers by this author.")
        ] = None,
        limit: Limit = 10,
    ) -> SearchResults:
        """Search papers by keyword, by meaning, or both; best match first."""
        return tools.search_papers(query, mode, category, since, until, author, limit)

    @server.tool(title="Get a paper", annotations=READ_ONLY)
    @_tool_errors
    def get_paper(paper_id: PaperId) -> PaperDetail:
        """One paper in full: authors, abstract, dates, TL;DR and keywords when known,
        DOI and journal reference, links (arXiv, PDF, code) and its trending scores."""
        return tools.get_paper(paper_id)

    @server.tool(title="Similar papers", annotations=READ_ONLY)
    @_tool_errors
    def similar_papers(paper_id: PaperId, limit: Limit = 10) -> PaperList:
        """Papers closest in meaning to one paper (its abstract's embedding), nearest first."""
        return tools.similar_papers(paper_id, limit)

    @server.tool(title="Papers of a day, week or month", annotations=READ_ONLY)
    @_tool_errors
    def daily_papers(
        date: Annotated[
            date | None, Field(description="A day (YYYY-MM-DD); without a period: the latest.")
        ] = None,
        week: Annotated[str | None, Field(pattern=WEEK_PATTERN, description="YYYY-Www")] = None,
        month: Annotated[str | None, Field(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
        category: Category = None,
        order: Annotated[
            Literal["upvotes", "newest"], Field(description="Most upvoted first, or newest.")
        ] = "upvotes",
        limit: Annotated[int, Field(ge=1, le=MAX_LISTING, description="Papers per page.")] = 30,
        offset: Annotated[int, Field(ge=0, le=10_000, description="Papers to skip.")] = 0,
    ) -> Listing:
        """The papers announced on one day, in one ISO week or one month (give one of
        date, week, month; none means the latest day), with the periods around it."""
        return tools.daily_papers(date, week, month, category, order, limit, offset)

    @server.tool(title="Trending papers", annotations=READ_ONLY)
    @_tool_errors
    def trending(
        window: Annotated[
            Literal["today", "week", "month", "all"] | None,
            Field(description="How far back signals count (default: the server's setting)."),
        ] = None,
        category: Category = None,
        limit: Limit = 20,
    ) -> TrendingList:
        """What the community reads now: papers ranked by recent upvotes, saves and
        GitHub stars, each counting less as it ages."""
        return tools.trending(window, category, limit)

    @server.tool(title="Cite papers", annotations=READ_ONLY)
    @_tool_errors
    def cite(
        paper_ids: Annotated[
            list[PaperId],
            Field(min_length=1, max_length=MAX_LIMIT, description="The papers, in order."),
        ],
        format: Annotated[
            Literal["bibtex", "ris", "csl-json", "text"],
            Field(description="bibtex, ris, csl-json or text (an APA-style reference)."),
        ] = "bibtex",
    ) -> Citation:
        """References for papers, with readable citation keys (zhang2021revisiting)."""
        assert format in FORMATS
        return tools.cite(paper_ids, format)

    if reader is not None:
        _reader_tools(server, reader, stdio_token)
    return server


def _reader_tools(server: MCPServer, reader: ReaderTools, stdio_token: str | None) -> None:
    @server.tool(title="Papers for you", annotations=READ_ONLY)
    @_tool_errors
    def for_you(
        ctx: Context,
        since: Annotated[
            date | None, Field(description="Listed on or after (default: the latest day).")
        ] = None,
        until: Annotated[date | None, Field(description="Listed on or before.")] = None,
        limit: Limit = 20,
    ) -> ForYou:
        """The papers of a window ranked for the reader the API token belongs to (their
        ratings, saves, library and follows), best first, each with the reasons it was
        picked. Papers they already have or rated are left out. Needs the token."""
        return reader.for_you(request_token(ctx, stdio_token), since, until, limit)

    @server.tool(title="Add a paper to a list", annotations=ADDS)
    @_tool_errors
    def add_to_collection(
        ctx: Context,
        collection: Annotated[
            str,
            Field(
                min_length=1,
                max_length=100,
                description="The list's name or id; a new name makes a private list;"
                ' "Saved" is the reader\'s saved papers.',
            ),
        ],
        paper_id: PaperId,
        note: Annotated[
            str, Field(max_length=2000, description="An optional note on the paper.")
        ] = "",
    ) -> Added:
        """Put a paper into one of the reader's lists (collections), with an optional
        note; adding it again only replaces the note. Needs the token."""
        return reader.add_to_collection(request_token(ctx, stdio_token), collection, paper_id, note)
