"""``paperfeed digest``: compose and send due digests (cron), preview one."""

from __future__ import annotations

import tempfile
import webbrowser
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option
from paperfeed.config import Settings
from paperfeed.digest.compose import Composer, DueDigest
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestRenderer
from paperfeed.digest.run import embedder_for, run_digests
from paperfeed.digest.schedule import digest_window, due_period
from paperfeed.digest.settings import DigestSettings
from paperfeed.mail import build_message
from paperfeed.security import TokenSigner, load_secret_key
from paperfeed.store import PaperStore


def _digest() -> tuple[PaperStore, Settings, DigestSettings, str]:
    """The store, the settings, the digest settings and the secret key the commands use."""
    app = app_context()
    digest = DigestSettings.from_settings(app.settings)
    secret = load_secret_key(app.settings)
    return app.store(), app.settings, digest, secret


@click.group("digest", cls=PaperfeedGroup)
def digest() -> None:
    """Compose, queue and send the email digests; preview one."""


@digest.command("run")
@db_option
@click.option("--no-send", is_flag=True, help="Queue the digests but leave sending to `mail send`.")
def run(no_send: bool) -> None:
    """Compose and send every digest due now, then exit (0 also when none was due).

    Cron-friendly: run it every few minutes; a run that overlaps another does nothing.
    """
    store, settings, digest_settings, secret = _digest()
    report = run_digests(
        store, digest_settings, secret, embed=embedder_for(settings), send=not no_send
    )
    click.echo(report.summary())
    if report.sent is not None and report.sent.stopped:
        raise click.ClickException(f"sending stopped early: {report.sent.stopped}")


@digest.command("preview")
@click.argument("email")
@db_option
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML part in a browser.")
def preview(email: str, as_html: bool, open_browser: bool) -> None:
    """Show the digest EMAIL would get now (nothing is saved, queued or sent)."""
    store, settings, digest_settings, secret = _digest()
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
