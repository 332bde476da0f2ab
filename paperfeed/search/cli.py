"""Command-line search: ``search``, ``similar`` and the ``index`` group.

Registered on the main ``paperfeed`` group. Each command reads the shared settings and
store from the main command's context when there is one, else from the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
import orjson

from paperfeed.cli_context import PaperfeedCommand, PaperfeedGroup, app_context, db_option
from paperfeed.search.service import MODES, SearchFilters, SearchHit, SearchService
from paperfeed.store.summaries import SummaryStore


@contextmanager
def _service() -> Iterator[SearchService]:
    """A search service on the command's store."""
    app = app_context()
    service = SearchService(app.store(), app.settings)
    try:
        yield service
    finally:
        service.close()


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    paper = hit.paper.paper
    return {
        "id": paper.id,
        "title": hit.paper.title_text,
        "score": round(hit.score, 6),
        "rank": hit.rank,
        "pinned": hit.pinned,
        "matched_by": sorted(hit.matched_by),
        "authors": hit.paper.authors_text,
        "categories": list(paper.categories),
        "published": paper.published.isoformat() if paper.published else None,
        "url": f"https://arxiv.org/abs/{paper.id}",
    }


def _print_hits(hits: list[SearchHit], as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps([_hit_json(h) for h in hits], option=orjson.OPT_INDENT_2))
        return
    for hit in hits:
        mark = " (pinned)" if hit.pinned else ""
        click.echo(f"{hit.rank:>3}. {hit.paper.title_text} [{hit.paper.paper.id}]{mark}")
        click.echo("     " + "".join(text for text, _ in hit.snippet))


@click.command("search", cls=PaperfeedCommand)
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--category", metavar="CAT", help="Only papers in this category, e.g. cs.LG.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Announced on or after.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Announced on or before.")
@click.option("--author", metavar="NAME", help="Only papers with this author (substring).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits, best first.")
@db_option
def search_command(
    query: str,
    mode: str,
    limit: int,
    offset: int,
    category: str | None,
    since: datetime | None,
    until: datetime | None,
    author: str | None,
    as_json: bool,
) -> None:
    """Search papers by keyword, by meaning, or both (hybrid, the default).

    QUERY accepts words, "exact phrases", prefix*, author:NAME, category:CAT,
    since:DATE, until:DATE and -excluded words; an arXiv id, URL, DOI or exact title
    puts that paper first.
    """
    filters = SearchFilters(
        category=category,
        since=since.date() if since else None,
        until=until.date() if until else None,
        author=author,
    )
    with _service() as service:
        results = service.search(
            query,
            mode=mode,  # type: ignore[arg-type]
            filters=filters,
            limit=limit,
            offset=offset,
        )
    if results.fallback:
        click.echo(f"note: keyword results only: {results.fallback}", err=True)
    _print_hits(results.hits, as_json)


@click.command("similar", cls=PaperfeedCommand)
@click.argument("paper_id")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of papers, best first.")
@db_option
def similar_command(paper_id: str, limit: int, as_json: bool) -> None:
    """Papers most similar in meaning to PAPER_ID (an arXiv id or URL)."""
    with _service() as service:
        if service.store.get_paper(paper_id.strip()) is None:
            from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id

            try:
                canonical = parse_arxiv_id(paper_id).id
            except InvalidArxivId:
                canonical = paper_id
            if service.store.get_paper(canonical) is None:
                raise click.ClickException(f"no paper {paper_id!r} in the store")
        hits = service.similar(paper_id, limit=limit)
        if not hits and service.store.active_generation() is None:
            click.echo("note: no semantic index yet: run `paperfeed index update`", err=True)
    _print_hits(hits, as_json)


@click.group("index", cls=PaperfeedGroup)
def index_group() -> None:
    """Build and inspect the search indexes (keyword index, embeddings, vector index)."""


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@index_group.command("update")
@db_option
def index_update() -> None:
    """Catch the keyword index up, bring the papers' TL;DRs and keywords up to date, then
    embed and index the papers that have no vector."""
    with _service() as service:
        with _progress_bar("keyword index") as progress:
            service.update_keyword_index(progress=progress)
        _update_summaries(app_context().store())
        with _progress_bar("embedding") as progress:
            count = service.index_papers(progress=progress)
        generation = service.target_generation
    click.echo(f"{generation}: embedded {count:,} paper(s)")


def _update_summaries(store: SummaryStore) -> None:
    """Summarise the papers without a current TL;DR and keywords (on every core when
    there are many: papers stored before summaries existed, or a new model)."""
    from paperfeed.summaries import MODEL_VERSION
    from paperfeed.summaries.refresh import summarize_pending

    total = store.count_papers_to_summarize(MODEL_VERSION)
    with _progress_bar("summaries") as progress:
        count = summarize_pending(store, progress=lambda done: progress(done, total))
    click.echo(f"{MODEL_VERSION}: summarised {count:,} paper(s)")


@index_group.command("rebuild")
@db_option
def index_rebuild() -> None:
    """Rebuild the keyword index from the papers, embed what is missing, then rebuild the
    vector index from the stored vectors."""
    with _service() as service:
        with _progress_bar("keyword index") as progress:
            service.rebuild_keyword_index(progress=progress)
        with _progress_bar("indexing") as progress:
            count = service.rebuild_index(progress=progress)
        generation = service.target_generation
    click.echo(f"{generation}: embedded {count:,} paper(s); index rebuilt")


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@db_option
def index_status(as_json: bool) -> None:
    """The keyword index, embedding generations and how many papers each covers."""
    from paperfeed.search.index_files import read_manifest

    with _service() as service:
        store = service.store
        papers = store.count_papers()
        rows = []
        for generation in store.generations():
            manifest = read_manifest(service.index_root, generation.name)
            rows.append(
                {
                    "generation": generation.name,
                    "active": generation.active,
                    "dim": generation.dim,
                    "embedded": generation.embedded,
                    "papers": papers,
                    "index_count": manifest.count if manifest else None,
                    "index_built_at": manifest.built_at if manifest else None,
                }
            )
        target = service.target_generation
        root = str(service.index_root)
        state = service.keywords.state()
        keyword = None
        if state is not None:
            keyword = {"papers": state.papers, "pending_changes": state.pending_changes}
    if as_json:
        click.echo(
            orjson.dumps(
                {"target": target, "index_dir": root, "keyword": keyword, "generations": rows},
                option=orjson.OPT_INDENT_2,
            )
        )
        return
    if keyword is not None:
        click.echo(
            f"keyword index: {keyword['papers']:,} papers,"
            f" {keyword['pending_changes']:,} change(s) pending"
        )
    click.echo(f"configured model: {target}; indexes in {root}")
    if not rows:
        click.echo("no embeddings yet: run `paperfeed index update`")
    for row in rows:
        flag = "active" if row["active"] else "inactive"
        indexed = (
            "no index file" if row["index_count"] is None else f"{row['index_count']:,} indexed"
        )
        click.echo(
            f"{row['generation']} ({flag}): {row['embedded']:,}/{row['papers']:,} embedded,"
            f" {indexed}"
        )


COMMANDS = (search_command, similar_command, index_group)
