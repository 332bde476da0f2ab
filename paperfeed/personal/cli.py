"""``paperfeed library import``, ``rate``, ``follow``, ``unfollow`` and ``for-you``: a
reader's personal ranking from the command line (operators and scripts). The account
of the address is created if missing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from paperfeed.cli_context import (
    PaperfeedCommand,
    PaperfeedGroup,
    app_context,
    db_option,
    print_json,
)
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.personal.errors import PersonalError
from paperfeed.personal.library_import import FORMATS, MAX_BYTES
from paperfeed.store import PaperStore
from paperfeed.store.personal import FollowKind, Rating, TokenKind


def _reader(email: str) -> tuple[PaperStore, int]:
    from paperfeed.personal.readers import reader_account

    store = app_context().store()
    return store, reader_account(store, email)


library_format_option = click.option(
    "--format",
    "library_format",
    type=click.Choice(("auto", *FORMATS)),
    default="auto",
    show_default=True,
    help="The file's format; auto reads it from the content.",
)
"""The format of a library file (``library import``, ``collections import``)."""


@click.group("library", cls=PaperfeedGroup)
def library() -> None:
    """A reader's library of papers (they count as liked)."""


@library.command("import")
@click.argument("email")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@library_format_option
@click.option("--json", "as_json", is_flag=True, help='Print {"matched": N, "unmatched": [...]}.')
@db_option
def library_import(email: str, file: Path, library_format: str, as_json: bool) -> None:
    """Import a BibTeX, RIS or CSL-JSON export, or a list of arXiv ids, arXiv URLs and
    DOIs (one a line); entries are matched by arXiv id, then DOI, then title."""
    from paperfeed.personal.library_import import LibraryImportError
    from paperfeed.personal.readers import import_library

    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LibraryImportError(
            f"{file} is larger than {MAX_BYTES // 1024 // 1024} MiB: export a smaller collection"
        )
    store, account = _reader(email)
    result = import_library(store, account, data, library_format)
    if as_json:
        print_json({"matched": result.matched, "unmatched": list(result.unmatched)})
        return
    click.echo(
        f"matched {result.matched} papers ({result.added} new in the library);"
        f" {len(result.unmatched)} entries not found"
    )
    for label in result.unmatched:
        click.echo(f"  not found: {label}")


@click.command("rate", cls=PaperfeedCommand)
@click.argument("email")
@click.argument("paper_id")
@click.argument("rating", type=click.Choice(("more", "less")))
@db_option
def rate(email: str, paper_id: str, rating: Rating) -> None:
    """Rate a paper for a reader: "more" like this, or "less" (not for me)."""
    from paperfeed.personal.readers import rate_paper

    canonical = _paper_id(paper_id)
    store, account = _reader(email)
    try:
        rate_paper(store, account, canonical, rating)
    except PersonalError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"rated {canonical}: {rating}")


def _paper_id(text: str) -> str:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise click.BadParameter(str(exc), param_hint="PAPER_ID") from exc


def _follow_options(func: Any) -> Any:
    for option in reversed(
        (
            click.option("--author", metavar="NAME", help="An author's name."),
            click.option("--category", metavar="CAT", help="An arXiv category, e.g. cs.LG."),
            click.option("--topic", metavar="TEXT", help="A free-text topic."),
        )
    ):
        func = option(func)
    return func


def _one_follow(
    author: str | None, category: str | None, topic: str | None
) -> tuple[FollowKind, str]:
    given: Sequence[tuple[FollowKind, str | None]] = (
        ("author", author),
        ("category", category),
        ("topic", topic),
    )
    chosen = [(kind, " ".join(value.split())) for kind, value in given if value is not None]
    if len(chosen) != 1 or not chosen[0][1]:
        raise click.UsageError("give exactly one of --author, --category or --topic")
    return chosen[0]


@click.command("follow", cls=PaperfeedCommand)
@click.argument("email")
@_follow_options
@db_option
def follow(email: str, author: str | None, category: str | None, topic: str | None) -> None:
    """Follow an author, an arXiv category or a topic for a reader."""
    kind, value = _one_follow(author, category, topic)
    store, account = _reader(email)
    new = store.follow(account, kind, value, datetime.now(UTC))
    click.echo(f"following {kind} {value!r}" + ("" if new else " (already)"))


@click.command("unfollow", cls=PaperfeedCommand)
@click.argument("email")
@_follow_options
@db_option
def unfollow(email: str, author: str | None, category: str | None, topic: str | None) -> None:
    """Stop following an author, category or topic (in the digest's interests too)."""
    from paperfeed.personal.readers import unfollow_matching

    kind, value = _one_follow(author, category, topic)
    store, account = _reader(email)
    removed = unfollow_matching(store, account, kind, value)
    if not removed:
        raise click.ClickException(f"{email} does not follow {kind} {value!r}")
    click.echo(f"no longer following {kind} {value!r}")


@click.command("for-you", cls=PaperfeedCommand)
@click.argument("email")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Announced on or after.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Announced on or before.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--explain", is_flag=True, help="Print each paper's reasons under it.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print [{"id", "title", "score", "reasons"}], best first.',
)
@db_option
def for_you_command(
    email: str, since: Any, until: Any, limit: int, explain: bool, as_json: bool
) -> None:
    """A reader's ranking of the papers announced in a window (default: the latest
    day), never papers in their library or that they rated."""
    from paperfeed.community.settings import CommunitySettings
    from paperfeed.digest.run import embedder_for
    from paperfeed.personal.readers import for_you

    app = app_context()
    store, account = _reader(email)
    ranked = for_you(
        store,
        account,
        CommunitySettings.from_settings(app.settings).trending_model(),
        since=since.date() if since else None,
        until=until.date() if until else None,
        limit=limit,
        embed=embedder_for(app.settings),
    )
    if as_json:
        print_json(
            [
                {"id": r.id, "title": r.title, "score": r.score, "reasons": list(r.reasons)}
                for r in ranked
            ]
        )
        return
    if not ranked:
        click.echo("no papers in that window")
    for number, paper in enumerate(ranked, 1):
        click.echo(f"{number:>3}. {paper.title} [{paper.id}]")
        if explain:
            for reason in paper.reasons:
                click.echo(f"       {reason}")


@click.group("token", cls=PaperfeedGroup)
def token_group() -> None:
    """A reader's private feed URL and personal API tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--kind", type=click.Choice(("api", "feed")), required=True)
@click.option("--label", default="", help="A name for the token (e.g. the client).")
@db_option
def token_create(email: str, kind: TokenKind, label: str) -> None:
    """Make a token and print it once (a feed token replaces the reader's earlier one)."""
    from paperfeed.personal.tokens import issue_token

    store, account = _reader(email)
    token = issue_token(store, account, kind, label)
    if kind == "feed":
        site = str(app_context().settings.get("public_url") or "").rstrip("/")
        click.echo(f"{site}/for-you/feed/{token}.atom")
        click.echo(f"{site}/for-you/feed/{token}.rss")
    else:
        click.echo(token)


@token_group.command("revoke")
@click.argument("email")
@click.option("--kind", type=click.Choice(("api", "feed")), required=True)
@db_option
def token_revoke(email: str, kind: TokenKind) -> None:
    """Revoke every live token of that kind of the reader, at once."""
    store, account = _reader(email)
    revoked = store.revoke_personal_tokens(account, kind, datetime.now(UTC))
    click.echo(f"revoked {revoked} {kind} token{'s' if revoked != 1 else ''}")
