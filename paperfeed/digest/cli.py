"""``paperfeed digest``: compose and send due digests (cron), preview one."""

from __future__ import annotations

import tempfile
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.digest.compose import Composer, DueDigest
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestRenderer
from paperfeed.digest.run import embedder_for, run_digests
from paperfeed.digest.schedule import digest_window, due_period
from paperfeed.digest.settings import DigestSettings
from paperfeed.errors import PaperfeedError
from paperfeed.mail import build_message
from paperfeed.security import TokenSigner, load_secret_key
from paperfeed.store import PaperStore, open_store


def _settings(ctx: click.Context) -> Settings:
    settings = getattr(ctx.find_root().obj, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


@contextmanager
def _opened(
    ctx: click.Context, database_url: str | None
) -> Iterator[tuple[PaperStore, Settings, DigestSettings, str]]:
    settings = _settings(ctx).with_values(database_url=database_url)
    try:
        digest = DigestSettings.from_settings(settings)
        secret = load_secret_key(settings)
        store = open_store(settings.database_url)
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store, settings, digest, secret
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


_db = click.option(
    "--db", "database_url", metavar="URL", help=SETTINGS_BY_NAME["database_url"].help
)


@click.group("digest")
def digest() -> None:
    """Compose, queue and send the email digests; preview one."""


@digest.command("run")
@_db
@click.option("--no-send", is_flag=True, help="Queue the digests but leave sending to `mail send`.")
@click.pass_context
def run(ctx: click.Context, database_url: str | None, no_send: bool) -> None:
    """Compose and send every digest due now, then exit (0 also when none was due).

    Cron-friendly: run it every few minutes; a run that overlaps another does nothing.
    """
    with _opened(ctx, database_url) as (store, settings, digest_settings, secret):
        report = run_digests(
            store, digest_settings, secret, embed=embedder_for(settings), send=not no_send
        )
    click.echo(report.summary())
    if report.sent is not None and report.sent.stopped:
        raise click.ClickException(f"sending stopped early: {report.sent.stopped}")


@digest.command("preview")
@click.argument("email")
@_db
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML part in a browser.")
@click.pass_context
def preview(
    ctx: click.Context, email: str, database_url: str | None, as_html: bool, open_browser: bool
) -> None:
    """Show the digest EMAIL would get now (nothing is saved, queued or sent)."""
    with _opened(ctx, database_url) as (store, settings, digest_settings, secret):
        subscriber = store.get_subscriber(email.strip().lower())
        if subscriber is None:
            raise click.ClickException(f"no subscriber with the address {email!r}")
        now = datetime.now(UTC)
        window = digest_window(subscriber, now, digest_settings.catchup_days)
        period = due_period(subscriber, now) or now.date().isoformat()
        composer = Composer.for_window(
            store,
            window.start,
            window.end,
            catchup_papers=digest_settings.catchup_papers,
            trending=digest_settings.trending,
            embed=embedder_for(settings),
        )
        (plan,) = composer.plan([DueDigest(subscriber, period, window)])
        plan = replace(plan, state="planned")
        papers = store.get_papers([p.paper_id for p in plan.picks])
        renderer = DigestRenderer(DigestLinks(TokenSigner(secret), digest_settings))
        message = renderer.digest(subscriber.id, subscriber.email, plan, papers)
    rendered = build_message(message, sender=digest_settings.mail.mail_from)
    if open_browser:
        path = Path(tempfile.mkstemp(suffix=".html", prefix="paperfeed-digest-")[1])
        path.write_text(message.html or "", encoding="utf-8")
        webbrowser.open(path.as_uri())
        click.echo(f"opened {path}")
        return
    click.echo(f"Subject: {rendered['Subject']}")
    click.echo(f"To: {rendered['To']}")
    click.echo(f"List-Unsubscribe: {rendered['List-Unsubscribe']}")
    click.echo("")
    click.echo(message.html if as_html else message.text)
