"""Queueing messages: what the digest and sign-in code call.

``enqueue`` renders the message now (so a field that cannot be sent fails in the
caller, not hours later in the sender) and stores the exact bytes under the message's
key: queueing the same key again is a no-op, and every retry sends the same bytes
with the same Message-ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from paperfeed.mail.message import OutgoingMessage, render_message
from paperfeed.mail.settings import MailSettings
from paperfeed.store.outbox import NewOutboxMessage, OutboxStore


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What happened to one message: queued now, already queued, or not for this address."""

    key: str
    message_id: str
    queued: bool
    suppressed: bool = False


def enqueue(
    store: OutboxStore,
    message: OutgoingMessage,
    mail: MailSettings,
    *,
    now: datetime | None = None,
) -> EnqueueResult:
    """Render and queue one message (see ``enqueue_many``)."""
    return enqueue_many(store, [message], mail, now=now)[0]


def enqueue_many(
    store: OutboxStore,
    messages: Sequence[OutgoingMessage],
    mail: MailSettings,
    *,
    now: datetime | None = None,
) -> list[EnqueueResult]:
    """Render and queue messages in one transaction; ``MessageError`` on a bad field.

    Non-transactional messages to a suppressed address are not queued (their key is
    not recorded, so they can be queued once the address is cleared).
    """
    rendered = [render_message(m, sender=mail.mail_from, now=now) for m in messages]
    bulk = [r.recipient for r in rendered if not r.transactional]
    suppressed = store.suppressed_among(bulk) if bulk else set()
    wanted = [r for r in rendered if r.transactional or r.recipient.lower() not in suppressed]
    new = store.enqueue_messages(
        [
            NewOutboxMessage(
                key=str(r.key),
                kind=r.key.kind,
                sender=r.sender,
                recipient=r.recipient,
                message_id=r.message_id,
                content=r.content,
                transactional=r.transactional,
            )
            for r in wanted
        ]
    )
    queued = {id(r): is_new for r, is_new in zip(wanted, new, strict=True)}
    return [
        EnqueueResult(
            key=str(r.key),
            message_id=r.message_id,
            queued=queued.get(id(r), False),
            suppressed=id(r) not in queued,
        )
        for r in rendered
    ]
