"""Mail delivery: building messages, the outbox, SMTP and file transports, the sender.

What other capabilities call::

    mail = MailSettings.from_settings(settings)
    enqueue(store, OutgoingMessage(key=MessageKey("digest", str(sub.id), "2026-05-09"),
                                   to_address=sub.email, subject=..., text=..., html=...,
                                   list_unsubscribe=(https_url, mailto_url),
                                   one_click_unsubscribe=True), mail)
    with open_transport(mail) as transport:
        send_pending(store, transport, mail)
"""

from paperfeed.mail.addresses import normalize_address, parse_mailbox
from paperfeed.mail.errors import (
    DeliveryError,
    MessageError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    TransportError,
)
from paperfeed.mail.message import MessageKey, OutgoingMessage, build_message, render_message
from paperfeed.mail.outbox import EnqueueResult, enqueue, enqueue_many
from paperfeed.mail.sender import SendReport, send_pending
from paperfeed.mail.settings import MailSettings, public_url
from paperfeed.mail.transport import Transport
from paperfeed.mail.transports import open_transport

__all__ = [
    "DeliveryError",
    "EnqueueResult",
    "MailSettings",
    "MessageError",
    "MessageKey",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "SendReport",
    "TemporaryDeliveryError",
    "Transport",
    "TransportError",
    "build_message",
    "enqueue",
    "enqueue_many",
    "normalize_address",
    "open_transport",
    "parse_mailbox",
    "public_url",
    "render_message",
    "send_pending",
]
