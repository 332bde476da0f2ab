"""The ``paperfeed`` command line.

Every error a user can cause or meet prints one line and exits non-zero. ``ingest``
commands exit 0 when something new or changed arrived and 3 when nothing did, so cron
can skip the work that follows an empty run.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import click
import orjson

from paperfeed import __version__
from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.derived import DerivedReport, finish_derived_work
from paperfeed.errors import PaperfeedError
from paperfeed.ingest import IngestReport, run_ingest
from paperfeed.paper_json import paper_json, stats_json
from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.sources.base import Page, Source
from paperfeed.sources.http import PoliteClient
from paperfeed.store import PaperFilter, PaperStore, UpsertResult, open_store

if TYPE_CHECKING:
    from paperfeed.demo import DemoReport

EXIT_NOTHING_NEW = 3
F = TypeVar("F", bound=Callable[..., Any])


def _print_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _setting_help(name: str) -> str:
    setting = SETTINGS_BY_NAME[name]
    return f"{setting.help} [env: {setting.env}; default: {setting.default}]"


class AppContext:
    """What every command shares: the resolved settings and a lazily opened store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: PaperStore | None = None

    def store(self) -> PaperStore:
        if self._store is None:
            self._store = open_store(self.settings.database_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _app() -> AppContext:
    return click.get_current_context().find_object(AppContext)  # type: ignore[return-value]


def db_option(func: F) -> F:
    """``--db URL`` on a subcommand too, so it can be written after the command name."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            app = ctx.find_object(AppContext)
            assert app is not None
            app.settings = app.settings.with_values(database_url=value)

    return click.option(
        "--db",
        "database_url",
        metavar="URL",
        expose_value=False,
        callback=remember,
        help=_setting_help("database_url"),
    )(func)


class PaperfeedGroup(click.Group):
    """Turns paperfeed's own errors into one line and exit status 1, and imports a
    subcommand's module only when that subcommand runs (``lazy``: name to
    ``"module:attribute"``): the web app, the digest and the community code are most of
    the start-up time of commands that use none of them."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command), self.lazy[cmd_name]
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperfeedError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(
    cls=PaperfeedGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "search": "paperfeed.search.cli:search_command",
        "similar": "paperfeed.search.cli:similar_command",
        "index": "paperfeed.search.cli:index_group",
        "serve": "paperfeed.web.cli:serve",
        "mail": "paperfeed.mail.cli:mail",
        "digest": "paperfeed.digest.cli:digest",
        "trending": "paperfeed.community.cli:trending",
        "github": "paperfeed.community.cli:github",
        "cite": "paperfeed.citations.cli:cite_command",
        "mcp": "paperfeed.mcp.cli:mcp_command",
    },
)
@click.version_option(__version__, prog_name="paperfeed")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file [env: PAPERFEED_CONFIG].",
)
@click.option("--db", "database_url", metavar="URL", help=_setting_help("database_url"))
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


# -- ingest ---------------------------------------------------------------------------


@main.group(cls=PaperfeedGroup)
def ingest() -> None:
    """Bring papers in from arXiv, Hugging Face or a JSON Lines file.

    Exit status: 0 when new or changed papers arrived, 3 when nothing new did, 1 on error.
    """


def ingest_options(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")(
        func
    )
    func = click.option(
        "--restart",
        is_flag=True,
        help="Forget this source's checkpoint and start from the beginning.",
    )(func)
    func = click.option(
        "--no-embed",
        is_flag=True,
        expose_value=False,
        callback=lambda ctx, _param, value: ctx.meta.__setitem__("no_embed", value),
        help="Do not embed the new papers now (catch up later with `paperfeed index update`).",
    )(func)
    return db_option(func)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[Page, UpsertResult], None]]:
    """A live counter on stderr while pages arrive (silent when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(label, total=None, detail="")
        seen = [0, 0]

        def update(page: Page, result: UpsertResult) -> None:
            seen[0] += len(page.papers)
            seen[1] += result.changed
            bar.update(task, detail=f"{seen[0]:,} papers read, {seen[1]:,} new or changed")

        yield update


def _run_source(source: Source, *, restart: bool, as_json: bool) -> None:
    """Ingest, finish the derived work (also what an earlier, killed run left), report;
    exit 3 if nothing new arrived."""
    app = _app()
    with _progress(f"ingest {source.name}") as on_page:
        report = run_ingest(app.store(), source, restart=restart, on_page=on_page)
    derived = _finish_derived_work(app.store(), app.settings)
    _report(report, as_json)
    if not report.changed and derived.did_work:
        click.echo(
            f"finished what an earlier run left: {derived.keyword_changes:,} keyword changes,"
            f" {derived.hf_rows:,} Hugging Face rows, {derived.embedded:,} papers embedded",
            err=True,
        )
    if not report.changed:
        sys.exit(EXIT_NOTHING_NEW)


def _finish_derived_work(store: PaperStore, settings: Settings) -> DerivedReport:
    """The keyword index, trending signals and vectors brought up to date from the store's
    own state; a missing model only warns (search falls back)."""
    embed = not click.get_current_context().meta.get("no_embed")
    derived = finish_derived_work(store, settings, embed=embed)
    if derived.embed_error:
        click.echo(
            f"Warning: papers not embedded ({derived.embed_error}); run `paperfeed index update`",
            err=True,
        )
    return derived


def _report(report: IngestReport, as_json: bool) -> None:
    for warning in report.warnings():
        click.echo(f"Warning: {warning}", err=True)
    if as_json:
        _print_json(report.to_json())
        return
    r = report.result
    click.echo(
        f"{report.source}: {report.pages} page(s), {r.inserted} new, {r.updated} updated,"
        f" {r.unchanged} unchanged"
    )


def _client(settings: Settings, group: str) -> PoliteClient:
    interval = settings.get("arxiv_request_interval" if group == "arxiv" else "hf_request_interval")
    return PoliteClient(
        pace_group=group,
        min_interval=interval,
        timeout=settings.get("http_timeout"),
        max_retries=settings.get("http_max_retries"),
    )


@ingest.command("arxiv-api")
@click.option(
    "--query",
    "search_query",
    metavar="QUERY",
    help="arXiv search_query, e.g. 'cat:cs.LG AND ti:transformer'.",
)
@click.option(
    "--id", "id_list", multiple=True, metavar="ID", help="An arXiv id to fetch (repeatable)."
)
@click.option("--max-results", type=click.IntRange(min=1), help="Stop after this many results.")
@click.option("--page-size", type=click.IntRange(1, 2000), default=100, show_default=True)
@click.option("--base-url", metavar="URL", help=_setting_help("arxiv_api_url"))
@ingest_options
def ingest_arxiv_api(
    search_query: str | None,
    id_list: tuple[str, ...],
    max_results: int | None,
    page_size: int,
    base_url: str | None,
    restart: bool,
    as_json: bool,
) -> None:
    """Query the arXiv API (Atom) by search query or id list."""
    from paperfeed.sources.arxiv_api import ArxivAPISource

    if not search_query and not id_list:
        raise click.UsageError("give --query or at least one --id")
    settings = _app().settings.with_values(arxiv_api_url=base_url)
    ids = [str(parse_arxiv_id(i)) for i in id_list]
    with _client(settings, "arxiv") as client:
        source = ArxivAPISource(
            search_query,
            ids,
            base_url=settings.get("arxiv_api_url"),
            page_size=page_size,
            max_results=max_results,
            client=client,
        )
        _run_source(source, restart=restart, as_json=as_json)


@ingest.command("arxiv-oai")
@click.option(
    "--prefix",
    "metadata_prefix",
    type=click.Choice(["arXiv", "arXivRaw"]),
    default="arXiv",
    show_default=True,
    help="OAI-PMH metadata format.",
)
@click.option(
    "--set", "set_spec", metavar="SET", help="OAI set, e.g. cs, cs:cs:LG, physics:hep-th."
)
@click.option(
    "--from", "from_date", type=click.DateTime(["%Y-%m-%d"]), help="First datestamp (YYYY-MM-DD)."
)
@click.option(
    "--until", "until_date", type=click.DateTime(["%Y-%m-%d"]), help="Last datestamp (YYYY-MM-DD)."
)
@click.option("--base-url", metavar="URL", help=_setting_help("arxiv_oai_url"))
@ingest_options
def ingest_arxiv_oai(
    metadata_prefix: str,
    set_spec: str | None,
    from_date: Any,
    until_date: Any,
    base_url: str | None,
    restart: bool,
    as_json: bool,
) -> None:
    """Harvest arXiv's OAI-PMH service incrementally (ListRecords)."""
    from paperfeed.sources.arxiv_oai import ArxivOAISource

    settings = _app().settings.with_values(arxiv_oai_url=base_url)
    with _client(settings, "arxiv") as client:
        source = ArxivOAISource(
            metadata_prefix=cast(Literal["arXiv", "arXivRaw"], metadata_prefix),
            set_spec=set_spec,
            from_date=from_date.date() if from_date else None,
            until_date=until_date.date() if until_date else None,
            base_url=settings.get("arxiv_oai_url"),
            client=client,
        )
        _run_source(source, restart=restart, as_json=as_json)


@ingest.command("arxiv-rss")
@click.argument("categories", nargs=-1, required=True)
@click.option("--base-url", metavar="URL", help=_setting_help("arxiv_rss_url"))
@ingest_options
def ingest_arxiv_rss(
    categories: tuple[str, ...], base_url: str | None, restart: bool, as_json: bool
) -> None:
    """Read today's announcements from arXiv's RSS listings, e.g. cs.LG cs.CV."""
    from paperfeed.sources.arxiv_rss import ArxivRSSSource

    settings = _app().settings.with_values(arxiv_rss_url=base_url)
    with _client(settings, "arxiv") as client:
        source = ArxivRSSSource(
            list(categories), base_url=settings.get("arxiv_rss_url"), client=client
        )
        _run_source(source, restart=restart, as_json=as_json)


@ingest.command("hf-daily")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day to read (YYYY-MM-DD).")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day to read (default: today)."
)
@click.option("--base-url", metavar="URL", help=_setting_help("hf_url"))
@ingest_options
def ingest_hf_daily(
    since: Any, until: Any, base_url: str | None, restart: bool, as_json: bool
) -> None:
    """Read Hugging Face's daily papers: upvotes, AI summaries, GitHub repositories."""
    from paperfeed.sources.hf_daily import HFDailySource

    settings = _app().settings.with_values(hf_url=base_url)
    with _client(settings, "hf") as client:
        source = HFDailySource(
            since=since.date() if since else None,
            until=until.date() if until else None,
            base_url=settings.get("hf_url"),
            client=client,
        )
        _run_source(source, restart=restart, as_json=as_json)


@ingest.command("jsonl")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid", is_flag=True, help="Skip (and count) bad lines instead of stopping."
)
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=5000, show_default=True)
@ingest_options
def ingest_jsonl(
    path: Path, skip_invalid: bool, batch_size: int, restart: bool, as_json: bool
) -> None:
    """Import a JSON Lines dump (paperfeed's or Kaggle's arXiv format; plain, .gz or .xz)."""
    from paperfeed.sources.jsonl import JSONLSource

    source = JSONLSource(path, batch_size=batch_size, skip_invalid=skip_invalid)
    _run_source(source, restart=restart, as_json=as_json)


@ingest.command("demo")
@ingest_options
def ingest_demo(restart: bool, as_json: bool) -> None:
    """Load the bundled demo: 344 real arXiv papers and a recorded Hugging Face day."""
    app = _app()
    report = _load_demo(app.store(), restart=restart, as_json=as_json)
    _finish_derived_work(app.store(), app.settings)
    if not report.changed:
        sys.exit(EXIT_NOTHING_NEW)


def _load_demo(store: PaperStore, *, restart: bool = False, as_json: bool = False) -> DemoReport:
    from paperfeed.demo import RECORDED_DAY, load_demo

    report = load_demo(store, _app().settings, restart=restart)
    _report(report.papers, as_json)
    if not as_json:
        click.echo(
            f"Hugging Face daily papers of {RECORDED_DAY}: {report.hugging_face.changed} stored"
            f" with their upvotes, summaries and repositories; {report.trending_rows} papers'"
            " upvotes and stars count from"
            f" {report.first_load_at:%Y-%m-%d %H:%M} UTC (the recorded day played back as today)"
        )
    return report


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
    canonical = parse_arxiv_id(paper_id).id
    stored = _app().store().get_paper(canonical)
    if stored is None:
        raise click.ClickException(f"no paper {canonical} in the store")
    if as_json:
        _print_json(paper_json(stored))
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
    rows = _app().store().list_papers(where, limit=limit)
    if as_json:
        _print_json([paper_json(s) for s in rows])
        return
    for stored in rows:
        click.echo(f"{stored.paper.id:<18} {stored.paper.announced or '':<10}  {stored.title_text}")


# -- stats, db, run -------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@db_option
def stats(as_json: bool) -> None:
    """Counts of papers, per source and per primary category."""
    data = stats_json(_app().store().stats())
    if as_json:
        _print_json(data)
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
    store = open_store(_app().settings.database_url, migrate=False)
    try:
        applied = store.migrate()
        known = store.migrations()
    finally:
        store.close()
    if as_json:
        _print_json(
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

    store = _app().store()
    if demo_pending(store):
        click.echo("empty store: loading the demo (a recorded day, played back as today)")
        _load_demo(store)
        click.echo("indexing the demo for search")
    _finish_derived_work(store, _app().settings)
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
