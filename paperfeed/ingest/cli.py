"""``paperfeed ingest``: bring papers in from arXiv, Hugging Face or a JSON Lines file.

Each command exits 0 when something new or changed arrived and 3 when nothing did, so
cron can skip the work that follows an empty run. After every run the derived work
catches up from the store's own state (TL;DRs and keywords, keyword index, Hugging Face
signals, vectors), including what an earlier, killed run left.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import click

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option, print_json, setting_help
from paperfeed.config import Settings
from paperfeed.derived import DerivedReport, finish_derived_work
from paperfeed.ingest.run import IngestReport, run_ingest
from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.sources.base import Page, Source
from paperfeed.sources.http import PoliteClient
from paperfeed.store import PaperStore, UpsertResult

if TYPE_CHECKING:
    from paperfeed.demo import DemoReport

EXIT_NOTHING_NEW = 3
F = TypeVar("F", bound=Callable[..., Any])


@click.group("ingest", cls=PaperfeedGroup)
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
    app = app_context()
    with _progress(f"ingest {source.name}") as on_page:
        report = run_ingest(app.store(), source, restart=restart, on_page=on_page)
    derived = finish_derived(app.store(), app.settings)
    _report(report, as_json)
    if not report.changed and derived.did_work:
        click.echo(
            f"finished what an earlier run left: {derived.summarized:,} papers summarised,"
            f" {derived.keyword_changes:,} keyword changes,"
            f" {derived.hf_rows:,} Hugging Face rows, {derived.embedded:,} papers embedded",
            err=True,
        )
    if not report.changed:
        sys.exit(EXIT_NOTHING_NEW)


def finish_derived(store: PaperStore, settings: Settings) -> DerivedReport:
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
        print_json(report.to_json())
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
@click.option("--base-url", metavar="URL", help=setting_help("arxiv_api_url"))
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
    settings = app_context().settings.with_values(arxiv_api_url=base_url)
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
@click.option("--base-url", metavar="URL", help=setting_help("arxiv_oai_url"))
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

    settings = app_context().settings.with_values(arxiv_oai_url=base_url)
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
@click.option("--base-url", metavar="URL", help=setting_help("arxiv_rss_url"))
@ingest_options
def ingest_arxiv_rss(
    categories: tuple[str, ...], base_url: str | None, restart: bool, as_json: bool
) -> None:
    """Read today's announcements from arXiv's RSS listings, e.g. cs.LG cs.CV."""
    from paperfeed.sources.arxiv_rss import ArxivRSSSource

    settings = app_context().settings.with_values(arxiv_rss_url=base_url)
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
@click.option("--base-url", metavar="URL", help=setting_help("hf_url"))
@ingest_options
def ingest_hf_daily(
    since: Any, until: Any, base_url: str | None, restart: bool, as_json: bool
) -> None:
    """Read Hugging Face's daily papers: upvotes, AI summaries, GitHub repositories."""
    from paperfeed.sources.hf_daily import HFDailySource

    settings = app_context().settings.with_values(hf_url=base_url)
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
    app = app_context()
    report = load_demo_corpus(app.store(), app.settings, restart=restart, as_json=as_json)
    finish_derived(app.store(), app.settings)
    if not report.changed:
        sys.exit(EXIT_NOTHING_NEW)


def load_demo_corpus(
    store: PaperStore, settings: Settings, *, restart: bool = False, as_json: bool = False
) -> DemoReport:
    """Load the bundled demo and say what it stored (``ingest demo``, ``paperfeed run``)."""
    from paperfeed.demo import RECORDED_DAY, load_demo

    report = load_demo(store, settings, restart=restart)
    _report(report.papers, as_json)
    if not as_json:
        click.echo(
            f"Hugging Face daily papers of {RECORDED_DAY}: {report.hugging_face.changed} stored"
            f" with their upvotes, summaries and repositories; {report.trending_rows} papers'"
            " upvotes and stars count from"
            f" {report.first_load_at:%Y-%m-%d %H:%M} UTC (the recorded day played back as today)"
        )
    return report
