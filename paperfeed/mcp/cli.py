"""``paperfeed mcp``: the MCP server over stdio, for an assistant that starts it."""

from __future__ import annotations

import click

from paperfeed.community.settings import CommunitySettings
from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.errors import PaperfeedError
from paperfeed.store import open_store
from paperfeed.web.search_port import default_search


@click.command("mcp")
@click.option("--db", "database_url", metavar="URL", help=SETTINGS_BY_NAME["database_url"].help)
@click.option(
    "--token",
    envvar="PAPERFEED_MCP_TOKEN",
    metavar="TOKEN",
    help="A reader's personal API token: opens for_you and add_to_collection for them."
    " [env: PAPERFEED_MCP_TOKEN]",
)
@click.pass_context
def mcp_command(ctx: click.Context, database_url: str | None, token: str | None) -> None:
    """Serve paperfeed's tools to an MCP client over stdin and stdout.

    An assistant (Claude Desktop, an IDE, any MCP client) starts this command and talks
    to it; nothing but protocol messages is written to stdout. These tools only read:
    search_papers, get_paper, similar_papers, daily_papers, trending and cite. With a
    reader's API token, for_you and add_to_collection work for that reader.
    """
    from paperfeed.digest.run import embedder_for
    from paperfeed.mcp.reader_tools import ReaderTools
    from paperfeed.mcp.server import build_server
    from paperfeed.mcp.tools import PaperTools

    parent = getattr(ctx.find_root().obj, "settings", None)
    settings = (parent if isinstance(parent, Settings) else Settings()).with_values(
        database_url=database_url
    )
    try:
        community = CommunitySettings.from_settings(settings)
        store = open_store(settings.database_url)
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    search = default_search(store, settings)
    try:
        tools = PaperTools(
            store,
            search,
            community.trending_model(),
            community.default_window,
            str(settings.get("public_url") or ""),
        )
        model = tools.model
        reader = ReaderTools(store, model, community, embedder_for(settings))
        build_server(tools, reader, stdio_token=token).run("stdio")
    finally:
        close = getattr(search, "close", None)
        if callable(close):
            close()
        store.close()
