"""Building one outgoing message: validated headers, multipart text + HTML bodies.

Everything that reaches a header is checked here (see ``addresses`` and ``headers``),
and the rendered bytes are parsed back and compared with what was intended, so a
message whose headers differ from the caller's values never leaves this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime

from paperfeed.mail.addresses import make_address
from paperfeed.mail.errors import MessageError
from paperfeed.mail.headers import (
    DELIVERY_POLICY,
    check_unsubscribe_url,
    clean_subject,
    stored_text,
)

_KEY_PART = re.compile(r"[A-Za-z0-9_+=-]{1,100}")
_PERIOD = re.compile(r"[A-Za-z0-9_+=-]{1,100}(?:\.[A-Za-z0-9_+=-]{1,100}){0,5}")
ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True, slots=True)
class MessageKey:
    """What makes a message unique: enqueueing the same key twice queues it once.

    ``kind`` (``digest``, ``confirm``, ``signin``, ...) and ``recipient`` (a subscriber
    id, never the address itself) contain no dots; ``period`` (``2026-05-09``, a week,
    a token's nonce) may. The Message-ID is derived from the key alone, so a retry of
    the same message carries the same Message-ID.
    """

    kind: str
    recipient: str
    period: str

    def __post_init__(self) -> None:
        for name in ("kind", "recipient"):
            if not _KEY_PART.fullmatch(getattr(self, name)):
                raise MessageError(f"message key {name} must match {_KEY_PART.pattern}")
        if not _PERIOD.fullmatch(self.period):
            raise MessageError(f"message key period must match {_PERIOD.pattern}")

    def __str__(self) -> str:
        return f"{self.kind}.{self.recipient}.{self.period}"

    def message_id(self, domain: str) -> str:
        """``<kind.recipient.period@domain>``: deterministic, unique per key."""
        return f"<{self}@{domain}>"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message as the digest or sign-in code hands it over: plain values, not bytes.

    ``list_unsubscribe`` holds https and/or mailto URLs for the List-Unsubscribe header;
    ``one_click_unsubscribe`` adds ``List-Unsubscribe-Post`` (RFC 8058), which needs an
    https URL that unsubscribes on a bare POST. ``transactional`` messages (a
    confirmation link, a sign-in link: mails the person just asked for) are sent even
    to a suppressed address; everything else is not.
    """

    key: MessageKey
    to_address: str
    subject: str
    text: str
    html: str | None = None
    to_name: str = ""
    list_unsubscribe: tuple[str, ...] = ()
    one_click_unsubscribe: bool = False
    transactional: bool = False


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A built message ready for the outbox: envelope and the exact bytes to send."""

    key: MessageKey
    sender: str
    recipient: str
    message_id: str
    content: bytes
    transactional: bool


def _unsubscribe_header(message: OutgoingMessage) -> str | None:
    urls = [check_unsubscribe_url(url) for url in message.list_unsubscribe]
    if message.one_click_unsubscribe and not any(u.startswith("https://") for u in urls):
        raise MessageError("one-click unsubscribe needs an https List-Unsubscribe URL")
    return ", ".join(f"<{url}>" for url in urls) or None


def build_message(
    message: OutgoingMessage, *, sender: Address, now: datetime | None = None
) -> EmailMessage:
    """The message as an ``EmailMessage``; ``MessageError`` for any unusable field."""
    to = make_address(message.to_address, message.to_name)
    unsubscribe = _unsubscribe_header(message)
    email = EmailMessage(policy=DELIVERY_POLICY)
    email["From"] = sender
    email["To"] = to
    email["Subject"] = stored_text(clean_subject(message.subject))
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message.key.message_id(sender.domain)
    email["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        email["List-Unsubscribe"] = unsubscribe
        if message.one_click_unsubscribe:
            email["List-Unsubscribe-Post"] = ONE_CLICK
    email.set_content(message.text, cte=_transfer_encoding(message.text))
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", cte=_transfer_encoding(message.html))
    return email


def _transfer_encoding(body: str) -> str:
    """7bit for short-lined ASCII, else base64.

    base64 is encoded in C: quoted-printable of a 30 KB digest costs milliseconds in
    pure Python, and 8bit would depend on the server's 8BITMIME support.
    """
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return "7bit"
    return "base64"


def render_message(
    message: OutgoingMessage, *, sender: Address, now: datetime | None = None
) -> RenderedMessage:
    """Build, serialise and verify a message: what the outbox stores and sends."""
    email = build_message(message, sender=sender, now=now)
    content = email.as_bytes(policy=DELIVERY_POLICY)
    _verify_headers(content, email, message)
    return RenderedMessage(
        key=message.key,
        sender=sender.addr_spec,
        recipient=email["To"].addresses[0].addr_spec,
        message_id=str(email["Message-ID"]),
        content=content,
        transactional=message.transactional,
    )


def _verify_headers(content: bytes, intended: EmailMessage, message: OutgoingMessage) -> None:
    """Parse the bytes back: same header names, the caller's values, nothing injected."""
    header_block = content.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    parsed = BytesHeaderParser(policy=email_policy.default).parsebytes(header_block)
    if [k.lower() for k in parsed] != [k.lower() for k in intended]:
        raise MessageError("rendered headers differ from the intended headers")
    for name in ("From", "To"):
        if parsed[name].addresses != intended[name].addresses:
            raise MessageError(f"rendered {name} differs from the intended address")
    if parsed["Subject"] != clean_subject(message.subject):
        raise MessageError("rendered Subject differs from the intended subject")
    if _unfolded(parsed["List-Unsubscribe"]) != _unsubscribe_header(message):
        raise MessageError("rendered List-Unsubscribe differs from the intended URLs")
    for name in ("Message-ID", "List-Unsubscribe-Post"):
        if _unfolded(parsed[name]) != _unfolded(intended[name]):
            raise MessageError(f"rendered {name} differs from the intended value")


def _unfolded(value: object) -> str | None:
    return None if value is None else " ".join(str(value).split())
