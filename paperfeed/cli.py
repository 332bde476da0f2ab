"""The ``paperfeed`` command line.

Every error a user can cause or meet prints one line and exits non-zero. The commands of
each capability live with it and are imported only when they run (``ingest`` in
paperfeed/ingest/cli.py, ``search`` in paperfeed/search/cli.py, ...); what they share is
in paperfeed/cli_context.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from paperfeed import __version__
from paperfeed.cli_context import (
    AppContext,
    PaperfeedGroup,
    app_context,
    db_option,
    print_json,
    setting_help,
)
from paperfeed.config import Settings
from paperfeed.errors import PaperfeedError
from paperfeed.paper_json import paper_json, stats_json
from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.store import PaperFilter, PaperStore, open_store


@click.group(
    cls=PaperfeedGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "ingest": "paperfeed.ingest.cli:ingest",
        "search": "paperfeed.search.cli:search_command",
        "similar": "paperfeed.search.cli:similar_command",
        "index": "paperfeed.search.cli:index_group",
        "serve": "paperfeed.web.cli:serve",
        "mail": "paperfeed.mail.cli:mail",
        "digest": "paperfeed.digest.cli:digest",
        "trending": "paperfeed.community.cli:trending",
        "github": "paperfeed.community.cli:github",
        "cite": "paperfeed.citations.cli:cite_command",
        "collections": "paperfeed.collections.cli:collections",
        "mcp": "paperfeed.mcp.cli:mcp_command",
        "library": "paperfeed.personal.cli:library",
        "rate": "paperfeed.personal.cli:rate",
        "follow": "paperfeed.personal.cli:follow",
        "unfollow": "paperfeed.personal.cli:unfollow",
        "for-you": "paperfeed.personal.cli:for_you_command",
        "token": "paperfeed.personal.cli:token_group",
    },
)
@click.version_option(__version__, prog_name="paperfeed")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file [env: PAPERFEED_CONFIG].",
)
@click.option("--db", "database_url", metavar="URL", help=setting_help("database_url"))
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, database_url: str | None) -> None:
    """paperfeed: gather, rank, search and mail research papers."""
    try:
        settings = Settings({"database_url": database_url}, config_file=config_file)
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    app = AppContext(settings)
    ctx.obj = app
    ctx.call_on_close(app.close)


# -- papers ---------------------------------------------------------------------------


@main.group(cls=PaperfeedGroup)
def papers() -> None:
    """Look at stored papers."""


@papers.command("show")
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@db_option
def papers_show(paper_id: str, as_json: bool) -> None:
    """Show one paper by arXiv id (any form: 2503.14603v2, arXiv:..., an abs URL)."""
    from paperfeed.summaries.shown import shown_summary

    canonical = parse_arxiv_id(paper_id).id
    stored = app_context().store().get_paper(canonical)
    if stored is None:
        raise click.ClickException(f"no paper {canonical} in the store")
    if as_json:
        print_json(paper_json(stored))
        return
    p = stored.paper
    click.echo(f"{p.versioned_id}  {stored.title_text}")
    click.echo(f"  {stored.authors_text}")
    click.echo(
        f"  {' '.join(p.categories) or '(no category)'} | published {p.published or '?'}"
        f" | updated {p.updated or '?'}"
    )
    if p.hf and p.hf.upvotes is not None:
        click.echo(f"  {p.hf.upvotes} upvotes on Hugging Face")
    shown = shown_summary(stored)
    if shown.tldr:
        click.echo(f"  {shown.tldr_label}: {shown.tldr}")
    if shown.keywords:
        click.echo(f"  Keywords: {', '.join(shown.keywords)}")
    click.echo(f"  {p.abs_url}  {p.pdf_url}")
    for link in p.code_links:
        click.echo(f"  code: https://{link}")
    click.echo()
    click.echo(
        click.wrap_text(stored.abstract_text, width=88, initial_indent="  ", subsequent_indent="  ")
    )


@papers.command("list")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Papers listed that day.")
@click.option("--category", metavar="CAT", help="Papers in this arXiv category, e.g. cs.LG.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of papers.")
@db_option
def papers_list(day: Any, category: str | None, limit: int, as_json: bool) -> None:
    """List papers, most upvoted then newest first."""
    where = PaperFilter(day=day.date() if day else None, category=category)
    rows = app_context().store().list_papers(where, limit=limit)
    if as_json:
        print_json([paper_json(s) for s in rows])
        return
    for stored in rows:
        click.echo(f"{stored.paper.id:<18} {stored.paper.announced or '':<10}  {stored.title_text}")


# -- stats, db, run -------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@db_option
def stats(as_json: bool) -> None:
    """Counts of papers, per source and per primary category."""
    data = stats_json(app_context().store().stats())
    if as_json:
        print_json(data)
        return
    click.echo(f"papers: {data['papers']:,}  (with Hugging Face data: {data['with_hf']:,})")
    click.echo(f"latest day: {data['latest_day'] or '-'}")
    for source, count in data["by_source"].items():
        click.echo(f"  source {source}: {count:,}")
    for category, count in list(data["by_category"].items())[:15]:
        click.echo(f"  category {category}: {count:,}")


@main.group(cls=PaperfeedGroup, lazy={"copy": "paperfeed.store.copy_cli:copy_command"})
def db() -> None:
    """Database maintenance."""


@db.command("migrate")
@click.option("--json", "as_json", is_flag=True, help="Print applied migrations as JSON.")
@db_option
def db_migrate(as_json: bool) -> None:
    """Apply pending schema migrations (each in its own transaction)."""
    store = open_store(app_context().settings.database_url, migrate=False)
    try:
        applied = store.migrate()
        known = store.migrations()
    finally:
        store.close()
    if as_json:
        print_json(
            {
                "applied": [{"version": m.version, "name": m.name} for m in applied],
                "schema_version": max((m.version for m in known if m.applied_at), default=0),
            }
        )
        return
    for m in applied:
        click.echo(f"applied {m.version:04d}_{m.name}")
    click.echo(f"schema is up to date (version {max((m.version for m in known), default=0)})")


@main.command()
@click.option("--no-serve", is_flag=True, help="Prepare and print, then exit without serving.")
@db_option
@click.pass_context
def run(ctx: click.Context, no_serve: bool) -> None:
    """The main job: prepare the store (demo corpus when empty), then serve the web app."""
    from paperfeed.demo import demo_pending
    from paperfeed.ingest.cli import finish_derived, load_demo_corpus

    app = app_context()
    store = app.store()
    if demo_pending(store):
        click.echo("empty store: loading the demo (a recorded day, played back as today)")
        load_demo_corpus(store, app.settings)
        click.echo("indexing the demo for search")
    finish_derived(store, app.settings)
    day = store.latest_day()
    if day is None:
        click.echo("no papers yet")
    else:
        _print_day(store, day)
    if not no_serve:
        from paperfeed.web.cli import serve

        ctx.invoke(serve)


def _print_day(store: PaperStore, day: date) -> None:
    total = store.count_papers()
    todays = store.list_papers(PaperFilter(day=day), limit=1000)
    click.echo(f"\nPapers of {day.isoformat()} ({len(todays)} of {total:,} in the store)\n")
    for stored in todays:
        click.echo(f"  {stored.paper.id:<12} {stored.title_text}")


if __name__ == "__main__":
    main()
