"""``paperfeed mail``: drain the outbox, show its state, send a test message."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import click
import orjson

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option
from paperfeed.mail.message import MessageKey, OutgoingMessage
from paperfeed.mail.outbox import enqueue
from paperfeed.mail.sender import send_pending
from paperfeed.mail.settings import MailSettings
from paperfeed.mail.transports import open_transport
from paperfeed.store import PaperStore


def _mail() -> tuple[PaperStore, MailSettings]:
    """The store and the mail settings the commands use."""
    app = app_context()
    mail = MailSettings.from_settings(app.settings)
    return app.store(), mail


@click.group("mail", cls=PaperfeedGroup)
def mail() -> None:
    """Deliver queued mail (digests, confirmation links) and inspect the outbox."""


@mail.command("send")
@db_option
@click.option("--limit", type=click.IntRange(1), help="Try at most this many messages.")
def send(limit: int | None) -> None:
    """Send every due message once, then exit (0 also when there was nothing to send)."""
    store, settings = _mail()
    with open_transport(settings) as transport:
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
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """How many messages are pending, sending, sent and failed."""
    store, _ = _mail()
    counts = dict(store.outbox_counts())
    if as_json:
        click.echo(orjson.dumps(counts).decode())
        return
    for state, count in counts.items():
        click.echo(f"{state:<8} {count}")


@mail.command("test")
@click.argument("address")
@db_option
def test(address: str) -> None:
    """Queue a test message to ADDRESS and send it through the configured transport."""
    store, settings = _mail()
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
