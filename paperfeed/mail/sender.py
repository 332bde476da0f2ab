"""Draining the outbox: claim a batch, send each message, record the outcome.

Crash safety comes from the order of operations. A message is marked ``sending``
(with a lease) before the SMTP transaction starts and ``sent`` right after the
server's final 250 reply. A sender killed between those two moments leaves the
message ``sending``; once the lease expires the next run sends it again, with the same
bytes and Message-ID. So nothing is ever lost, and the only duplicate possible is a
message whose SMTP transaction was cut mid-flight (at most one per connection in use
at the moment of the crash), which receiving systems can recognise by its Message-ID.

One sender runs at a time: a named lease in the store (``mail-sender``) makes a second
``paperfeed mail send`` (cron overlapping itself, two servers) return at once. The
claim alone already prevents two senders from sending the same message; the lease
keeps them from competing for connections and rate limit.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from paperfeed.mail.errors import PermanentDeliveryError, TemporaryDeliveryError, TransportError
from paperfeed.mail.settings import MailSettings
from paperfeed.mail.transport import Transport
from paperfeed.store.outbox import ClaimedMessage, OutboxStore

log = logging.getLogger("paperfeed.mail")

SENDER_LEASE = "mail-sender"
MAX_RETRY_DELAY = timedelta(hours=6)
BATCH_PER_CONNECTION = 16

Outcome = Literal["sent", "retry", "failed", "bounced", "released", "expired", "lost"]
# A claimed message is only sent while this share of its lease is left: past it, another
# sender may soon claim it too (the database may have been away), so it waits instead.
_LEASE_USABLE_SHARE = 0.8


@dataclass(slots=True)
class SendReport:
    """What one run did; ``locked`` when another sender was running."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    locked: bool = False
    stopped: str | None = None  # why the run stopped early (transport broken)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.bounced


_JITTER = random.Random()
"""Retry jitter from a generator of its own: the module-wide one belongs to the caller
(tests seed it; drawing from it in a background thread disturbs them)."""


def retry_delay(attempts: int, mail: MailSettings) -> timedelta:
    """Exponential backoff with 10% jitter: base, 2x base, 4x base, ... capped at 6 h."""
    base = mail.retry_delay * 2 ** min(max(attempts - 1, 0), 30)
    return min(timedelta(seconds=base * _JITTER.uniform(0.9, 1.1)), MAX_RETRY_DELAY)


def lease_seconds(batch: int, transport: Transport, mail: MailSettings) -> float:
    """Long enough for a whole batch even if every message waits for the timeout."""
    per_connection = -(-batch // transport.concurrency)
    paced = batch / mail.smtp_rate_limit if mail.smtp_rate_limit > 0 else 0.0
    return 60.0 + per_connection * mail.smtp_timeout + paced


def _deliver(
    store: OutboxStore, transport: Transport, message: ClaimedMessage, mail: MailSettings
) -> tuple[Outcome, str | None]:
    token = message.claim_token
    try:
        transport.send(message.sender, message.recipient, message.message_id, message.content)
    except TemporaryDeliveryError as exc:
        if message.attempts >= mail.max_attempts:
            error = f"gave up after {message.attempts} attempts: {exc}"
            ok = store.mark_outbox_failed(message.id, token, error=error, bounce_limit=None)
            return ("failed" if ok else "lost"), str(exc)
        due = datetime.now(UTC) + retry_delay(message.attempts, mail)
        ok = store.mark_outbox_retry(message.id, token, error=str(exc), next_attempt_at=due)
        return ("retry" if ok else "lost"), str(exc)
    except PermanentDeliveryError as exc:
        limit = mail.hard_bounce_limit if exc.bounce else None
        ok = store.mark_outbox_failed(message.id, token, error=str(exc), bounce_limit=limit)
        return ("bounced" if exc.bounce else "failed") if ok else "lost", str(exc)
    except TransportError as exc:
        store.release_outbox(message.id, token)
        return "released", str(exc)
    return ("sent" if store.mark_outbox_sent(message.id, token) else "lost"), None


def _batch_sender(
    store: OutboxStore, transport: Transport, mail: MailSettings, lease: float
) -> Callable[[ClaimedMessage], tuple[Outcome, str | None]]:
    """``_deliver`` for one claimed batch, guarded against sending twice.

    A message sent but not recorded as sent goes out again once its lease expires. So
    nothing more is sent once recording an outcome failed (the database went away: that
    failure is what ``send_pending`` raises), nor once most of the batch's lease is used
    up (the database came back late, or the server was slow): those messages stay
    claimed until their lease expires and are then claimed afresh.
    """
    failed = threading.Event()
    usable_until = time.monotonic() + lease * _LEASE_USABLE_SHARE

    def deliver(message: ClaimedMessage) -> tuple[Outcome, str | None]:
        if failed.is_set():
            raise RuntimeError("not sent: recording an earlier message failed")
        if time.monotonic() > usable_until:
            return "expired", None
        try:
            return _deliver(store, transport, message, mail)
        except BaseException:
            failed.set()
            raise

    return deliver


def send_pending(
    store: OutboxStore,
    transport: Transport,
    mail: MailSettings,
    *,
    limit: int | None = None,
    batch_size: int | None = None,
    lease: float | None = None,
) -> SendReport:
    """Send due messages until none is left (or ``limit`` were tried); cron-friendly.

    Returns at once with ``locked=True`` if another sender holds the lease. Stops early
    (``stopped`` says why) if the transport is unusable; the untried messages stay
    pending.
    """
    report = SendReport()
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    batch = batch_size or transport.concurrency * BATCH_PER_CONNECTION
    lease_for = lease or lease_seconds(batch, transport, mail)
    if not store.acquire_lease(SENDER_LEASE, holder, lease_for):
        report.locked = True
        return report
    try:
        with ThreadPoolExecutor(transport.concurrency, thread_name_prefix="mail") as pool:
            while limit is None or report.attempted < limit:
                wanted = batch if limit is None else min(batch, limit - report.attempted)
                claimed = store.claim_outbox(limit=wanted, lease_seconds=lease_for)
                if not claimed:
                    break
                outcomes = pool.map(_batch_sender(store, transport, mail, lease_for), claimed)
                expired = 0
                for message, (outcome, error) in zip(claimed, outcomes, strict=True):
                    _tally(report, message, outcome, error)
                    expired += outcome == "expired"
                if report.stopped or expired:
                    break  # the rest waits for the next run (or for its lease to expire)
                store.acquire_lease(SENDER_LEASE, holder, lease_for)
    finally:
        store.release_lease(SENDER_LEASE, holder)
    return report


def _tally(
    report: SendReport, message: ClaimedMessage, outcome: Outcome, error: str | None
) -> None:
    if outcome == "sent":
        report.sent += 1
    elif outcome == "retry":
        report.retried += 1
        log.info("will retry %s (attempt %d): %s", message.message_id, message.attempts, error)
    elif outcome == "bounced":
        report.bounced += 1
        log.warning("%s refused for good: %s", message.message_id, error)
    elif outcome == "failed":
        report.failed += 1
        log.warning("%s failed: %s", message.message_id, error)
    elif outcome == "released":
        report.stopped = error
    elif outcome == "expired":
        log.info("%s left for the next claim: its lease ran low", message.message_id)
    else:
        log.warning("lost the claim on %s (its lease expired mid-send)", message.message_id)
