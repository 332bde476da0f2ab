"""``paperfeed trending`` (views, ``--explain``, rebuild, Hugging Face import) and
``paperfeed github sync`` (star history)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import orjson

from paperfeed.community.hf_signals import import_hf_signals
from paperfeed.community.ranking import ensure_params, explain_paper, rank_trending
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.stars import sync_stars
from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.errors import PaperfeedError
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.sources.github import GitHubClient
from paperfeed.store import PaperStore, open_store
from paperfeed.store.community import SIGNAL_KINDS, WINDOWS, Window


def _settings(ctx: click.Context) -> Settings:
    """The settings resolved by the ``paperfeed`` group, or fresh ones when run alone."""
    settings = getattr(ctx.find_root().obj, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


@contextmanager
def _opened(
    ctx: click.Context, database_url: str | None
) -> Iterator[tuple[PaperStore, CommunitySettings, TrendingModel]]:
    settings = _settings(ctx).with_values(database_url=database_url)
    try:
        community = CommunitySettings.from_settings(settings)
        store = open_store(settings.database_url)
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store, community, community.trending_model()
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


_db = click.option(
    "--db", "database_url", metavar="URL", help=SETTINGS_BY_NAME["database_url"].help
)


@click.group("trending", invoke_without_command=True)
@_db
@click.option("--window", type=click.Choice(WINDOWS), help="View (default: the setting).")
@click.option("--category", metavar="CAT", help="Only papers in this arXiv category.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--explain", is_flag=True, help="Break each score into its signals.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def trending(
    ctx: click.Context,
    database_url: str | None,
    window: str | None,
    category: str | None,
    limit: int,
    explain: bool,
    as_json: bool,
) -> None:
    """Show the trending papers (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"database_url": database_url}
        return
    with _opened(ctx, database_url) as (store, community, model):
        if not ensure_params(store, model):
            click.echo(
                "warning: weights or half-lives changed; run `paperfeed trending rebuild`",
                err=True,
            )
        view: Window = window or community.default_window  # type: ignore[assignment]
        now = time.time()
        ranked = rank_trending(store, model, view, category=category, limit=limit, now=now)
        rows = []
        for rank, item in enumerate(ranked, start=1):
            row: dict[str, Any] = {
                "rank": rank,
                "id": item.stored.paper.id,
                "title": item.stored.title_text,
                "score": round(item.score, 6),
            }
            if explain:
                parts = explain_paper(store, model, item.stored.paper.id, now).views[view]
                row["parts"] = {k: round(v, 6) for k, v in parts.parts.items() if v}
                row["signals"] = {k: v for k, v in parts.amounts.items() if v}
            rows.append(row)
    if as_json:
        click.echo(orjson.dumps({"window": view, "category": category, "papers": rows}))
        return
    if not rows:
        click.echo(f"nothing trends in the {view} view yet")
    for row in rows:
        click.echo(f"{row['rank']:>3}. {row['score']:10.3f}  {row['id']:<16} {row['title'][:70]}")
        if explain:
            shown = "  ".join(f"{k} {v:.3f}" for k, v in row["parts"].items())
            amounts = ", ".join(f"{v:g} {k}" for k, v in row["signals"].items())
            click.echo(f"{'':17}= {shown}   (from {amounts})")


def _db_url(ctx: click.Context) -> str | None:
    parent = ctx.parent.obj if ctx.parent is not None else None
    return parent.get("database_url") if isinstance(parent, dict) else None


@trending.command("explain")
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def explain(ctx: click.Context, paper_id: str, as_json: bool) -> None:
    """Why one paper trends: each view's score, split by kind of signal."""
    try:
        canonical = parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise click.ClickException(str(exc)) from exc
    with _opened(ctx, _db_url(ctx)) as (store, _, model):
        found = explain_paper(store, model, canonical)
    signals = {k: found.views["all"].amounts[k] for k in SIGNAL_KINDS}
    data = {
        "id": canonical,
        "views": {
            w: {
                "score": found.views[w].total,
                "stored_score": found.stored_scores[w],
                "parts": found.views[w].parts,
            }
            for w in WINDOWS
        },
        "signals": signals,
    }
    if as_json:
        click.echo(orjson.dumps(data))
        return
    click.echo(f"{canonical}: " + ", ".join(f"{v:g} {k}" for k, v in signals.items()))
    for w in WINDOWS:
        view = found.views[w]
        parts = "  ".join(f"{k} {v:.3f}" for k, v in view.parts.items())
        click.echo(f"  {w:<6} {view.total:10.3f} = {parts}")


@trending.command("rebuild")
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Recompute every score from the signal ledger (after changing weights or half-lives)."""
    with _opened(ctx, _db_url(ctx)) as (store, _, model):
        started = time.perf_counter()
        papers = store.rebuild_trending(model, model.params_json())
    click.echo(f"rebuilt the scores of {papers:,} papers in {time.perf_counter() - started:.1f} s")


@trending.command("import-hf")
@click.pass_context
def import_hf(ctx: click.Context) -> None:
    """Turn Hugging Face upvotes and stars stored by the hf-daily source into signals."""
    with _opened(ctx, _db_url(ctx)) as (store, community, model):
        ensure_params(store, model)
        report = import_hf_signals(store, community, model)
    click.echo(
        f"read {report.papers:,} Hugging Face rows: {report.upvotes:,} upvotes gained,"
        f" {report.repos:,} star readings"
    )


@click.group("github")
def github() -> None:
    """Code repositories of papers: star history from the GitHub API."""


@github.command("sync")
@_db
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True,
              help="Look up at most this many repositories.")  # fmt: skip
@click.pass_context
def sync(ctx: click.Context, database_url: str | None, limit: int) -> None:
    """Link recent papers to their repositories and record the stars of those due."""
    with _opened(ctx, database_url) as (store, community, model):
        ensure_params(store, model)
        client = GitHubClient(
            community.github_api_url,
            token=community.github_token,
            max_wait=community.github_max_wait,
        )
        with client:
            report = sync_stars(store, client, community, model, limit=limit)
    click.echo(
        f"linked {report.linked:,} new repositories; looked up {report.checked:,}"
        f" ({report.changed:,} with stars, {report.not_modified:,} unchanged,"
        f" {report.gone:,} gone, {report.failed:,} failed) in {report.requests:,} requests"
    )
    if report.stopped:
        raise click.ClickException(f"stopped early: {report.stopped}")


@github.command("history")
@_db
@click.argument("repo")
@click.pass_context
def history(ctx: click.Context, database_url: str | None, repo: str) -> None:
    """Print a repository's star history (owner/name)."""
    with _opened(ctx, database_url) as (store, _, _model):
        rows = store.star_history(repo.lower())
    if not rows:
        raise click.ClickException(f"no star readings of {repo} yet")
    for when, stars in rows:
        click.echo(f"{when:%Y-%m-%d %H:%M}  {stars:>8,}")
