"""``paperfeed cite``: references for stored papers, in BibTeX, RIS, CSL-JSON or text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from paperfeed.citations.formats import FORMATS, cite, papers_to_cite
from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.store import PaperStore, open_store


@contextmanager
def _store(database_url: str | None) -> Iterator[PaperStore]:
    """The main command's store, or one opened here for ``--db``."""
    app = click.get_current_context().find_root().obj
    if database_url is None and app is not None:
        yield app.store()
        return
    settings = getattr(app, "settings", None)
    base = settings if isinstance(settings, Settings) else Settings()
    store = open_store(base.with_values(database_url=database_url).database_url)
    try:
        yield store
    finally:
        store.close()


@click.command("cite")
@click.argument("paper_ids", metavar="ID...", nargs=-1, required=True)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    default="bibtex",
    show_default=True,
    help="bibtex, ris, csl-json (a JSON array of CSL items) or text (APA style).",
)
@click.option("--db", "database_url", metavar="URL", help=SETTINGS_BY_NAME["database_url"].help)
def cite_command(paper_ids: tuple[str, ...], format_name: str, database_url: str | None) -> None:
    """Print references for papers by arXiv id (any form: 2112.12345v2, an abs URL).

    Citation keys are readable (zhang2021revisiting) and unique within one run. Every
    id must be in the store; unknown ids are named and nothing is printed.
    """
    with _store(database_url) as store:
        papers = papers_to_cite(store, paper_ids)
        click.echo(cite(papers, format_name), nl=False)
