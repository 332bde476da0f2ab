"""``paperfeed trending`` (views, ``--explain``, rebuild, Hugging Face import) and
``paperfeed github sync`` (star history)."""

from __future__ import annotations

import time
from typing import Any

import click
import orjson

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option
from paperfeed.community.hf_signals import import_hf_signals
from paperfeed.community.ranking import ensure_params, explain_paper, rank_trending
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.community.stars import sync_stars
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.sources.github import GitHubClient
from paperfeed.store import PaperStore
from paperfeed.store.community import SIGNAL_KINDS, WINDOWS, Window


def _community() -> tuple[PaperStore, CommunitySettings, TrendingModel]:
    """The store, the community settings and the trending model every command here uses."""
    app = app_context()
    community = CommunitySettings.from_settings(app.settings)
    return app.store(), community, community.trending_model()


@click.group("trending", cls=PaperfeedGroup, invoke_without_command=True)
@db_option
@click.option("--window", type=click.Choice(WINDOWS), help="View (default: the setting).")
@click.option("--category", metavar="CAT", help="Only papers in this arXiv category.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--explain", is_flag=True, help="Break each score into its signals.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def trending(
    ctx: click.Context,
    window: str | None,
    category: str | None,
    limit: int,
    explain: bool,
    as_json: bool,
) -> None:
    """Show the trending papers (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    store, community, model = _community()
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


@trending.command("explain")
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain(paper_id: str, as_json: bool) -> None:
    """Why one paper trends: each view's score, split by kind of signal."""
    try:
        canonical = parse_arxiv_id(paper_id).id
    except InvalidArxivId as exc:
        raise click.ClickException(str(exc)) from exc
    store, _, model = _community()
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
def rebuild() -> None:
    """Recompute every score from the signal ledger (after changing weights or half-lives)."""
    store, _, model = _community()
    started = time.perf_counter()
    papers = store.rebuild_trending(model, model.params_json())
    click.echo(f"rebuilt the scores of {papers:,} papers in {time.perf_counter() - started:.1f} s")


@trending.command("import-hf")
def import_hf() -> None:
    """Turn Hugging Face upvotes and stars stored by the hf-daily source into signals."""
    store, community, model = _community()
    ensure_params(store, model)
    report = import_hf_signals(store, community, model)
    click.echo(
        f"read {report.papers:,} Hugging Face rows: {report.upvotes:,} upvotes gained,"
        f" {report.repos:,} star readings"
    )


@click.group("github", cls=PaperfeedGroup)
def github() -> None:
    """Code repositories of papers: star history from the GitHub API."""


@github.command("sync")
@db_option
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True,
              help="Look up at most this many repositories.")  # fmt: skip
def sync(limit: int) -> None:
    """Link recent papers to their repositories and record the stars of those due."""
    store, community, model = _community()
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
@db_option
@click.argument("repo")
def history(repo: str) -> None:
    """Print a repository's star history (owner/name)."""
    store, _, _model = _community()
    rows = store.star_history(repo.lower())
    if not rows:
        raise click.ClickException(f"no star readings of {repo} yet")
    for when, stars in rows:
        click.echo(f"{when:%Y-%m-%d %H:%M}  {stars:>8,}")
