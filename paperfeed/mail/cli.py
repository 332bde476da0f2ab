"""``paperfeed mail``: drain the outbox, show its state, send a test message."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
import orjson

from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.errors import PaperfeedError
from paperfeed.mail.message import MessageKey, OutgoingMessage
from paperfeed.mail.outbox import enqueue
from paperfeed.mail.sender import send_pending
from paperfeed.mail.settings import MailSettings
from paperfeed.mail.transports import open_transport
from paperfeed.store import PaperStore, open_store


def _settings(ctx: click.Context) -> Settings:
    """The settings resolved by the ``paperfeed`` group, or fresh ones when run alone."""
    settings = getattr(ctx.find_root().obj, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


@contextmanager
def _opened(
    ctx: click.Context, database_url: str | None
) -> Iterator[tuple[PaperStore, MailSettings]]:
    settings = _settings(ctx).with_values(database_url=database_url)
    try:
        mail = MailSettings.from_settings(settings)
        store = open_store(settings.database_url)
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store, mail
    except PaperfeedError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


_db = click.option(
    "--db", "database_url", metavar="URL", help=SETTINGS_BY_NAME["database_url"].help
)


@click.group("mail")
def mail() -> None:
    """Deliver queued mail (digests, confirmation links) and inspect the outbox."""


@mail.command("send")
@_db
@click.option("--limit", type=click.IntRange(1), help="Try at most this many messages.")
@click.pass_context
def send(ctx: click.Context, database_url: str | None, limit: int | None) -> None:
    """Send every due message once, then exit (0 also when there was nothing to send)."""
    with _opened(ctx, database_url) as (store, settings), open_transport(settings) as transport:
        report = send_pending(store, transport, settings, limit=limit)
    if report.locked:
        click.echo("another sender is running; nothing done")
        return
    click.echo(
        f"sent {report.sent}, retrying {report.retried}, bounced {report.bounced},"
        f" failed {report.failed} ({transport.describe()})"
    )
    if report.stopped:
        raise click.ClickException(f"stopped early: {report.stopped}")


@mail.command("status")
@_db
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """How many messages are pending, sending, sent and failed."""
    with _opened(ctx, database_url) as (store, _settings_unused):
        counts = dict(store.outbox_counts())
    if as_json:
        click.echo(orjson.dumps(counts).decode())
        return
    for state, count in counts.items():
        click.echo(f"{state:<8} {count}")


@mail.command("test")
@click.argument("address")
@_db
@click.pass_context
def test(ctx: click.Context, address: str, database_url: str | None) -> None:
    """Queue a test message to ADDRESS and send it through the configured transport."""
    with _opened(ctx, database_url) as (store, settings):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        message = OutgoingMessage(
            key=MessageKey("test", "cli", f"{stamp}-{secrets.token_hex(4)}"),
            to_address=address,
            subject="paperfeed test message",
            text=f"This is a test message from paperfeed ({settings.public_url}).\n",
            transactional=True,
        )
        queued = enqueue(store, message, settings)
        with open_transport(settings) as transport:
            report = send_pending(store, transport, settings)
            where = transport.describe()
        entry = store.get_outbox_entry(queued.key)
    if report.locked:
        raise click.ClickException("another sender is running; the test message is queued")
    if entry is None or entry.state != "sent":
        error = entry.last_error if entry else "not queued"
        raise click.ClickException(f"test message not delivered: {error}")
    click.echo(f"sent {queued.message_id} to {address} via {where}")
