"""``paperfeed index``: the search commands' index group, whose ``update`` also brings
the papers' TL;DRs and keywords up to date before the search indexes (papers stored
before summaries existed, summaries an older model wrote, those a killed ingest left).

The group is a copy of the search one with ``update`` replaced: it summarises, then runs
the search update unchanged.
"""

from __future__ import annotations

import click

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option
from paperfeed.search.cli import index_group as search_index_group
from paperfeed.search.cli import index_update as search_index_update
from paperfeed.summaries import MODEL_VERSION
from paperfeed.summaries.refresh import summarize_pending

__all__ = ["index_group", "index_update"]

index_group = PaperfeedGroup(
    "index", commands=dict(search_index_group.commands), help=search_index_group.help
)


@index_group.command("update")
@db_option
def index_update() -> None:
    """Summarise the papers without a current TL;DR and keywords, catch the keyword index
    up, then embed and index the papers that have no vector."""
    count = summarize_pending(app_context().store())
    click.echo(f"{MODEL_VERSION}: summarised {count:,} paper(s)")
    click.get_current_context().invoke(search_index_update)
