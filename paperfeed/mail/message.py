"""Building one outgoing message: validated headers, multipart text + HTML bodies.

Everything that reaches a header is checked here (see ``addresses`` and ``headers``).
``render_message`` writes the bytes directly (see ``wire``) and re-reads the header
block it wrote, so a message whose headers are not exactly the intended ones never
leaves this module; ``build_message`` gives the same message as an ``EmailMessage``
(for previews, and as the reference the direct writer is tested against).
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
from functools import lru_cache

from paperfeed.mail.addresses import make_address
from paperfeed.mail.errors import MessageError
from paperfeed.mail.headers import (
    DELIVERY_POLICY,
    check_unsubscribe_url,
    clean_subject,
    stored_text,
)
from paperfeed.mail.wire import (
    CRLF,
    address_header,
    body_block,
    check_header_block,
    list_header,
    needs_encoded_words,
    plain_header,
    subject_header,
    transfer_encoding,
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


def _unsubscribe_urls(message: OutgoingMessage) -> list[str]:
    urls = [check_unsubscribe_url(url) for url in message.list_unsubscribe]
    if message.one_click_unsubscribe and not any(u.startswith("https://") for u in urls):
        raise MessageError("one-click unsubscribe needs an https List-Unsubscribe URL")
    return urls


def _unsubscribe_header(message: OutgoingMessage) -> str | None:
    return ", ".join(f"<{url}>" for url in _unsubscribe_urls(message)) or None


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
    email.set_content(message.text, cte=transfer_encoding(message.text))
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", cte=transfer_encoding(message.html))
    return email


@lru_cache(maxsize=4096)
def _subject(subject: str) -> tuple[str, str]:
    """The cleaned subject and its folded header line.

    Cached: a digest run sends the same subject (count, day, top paper) to many
    subscribers, and encoding one costs more than the rest of the headers together.
    """
    cleaned = clean_subject(subject)
    return cleaned, subject_header(cleaned)


def render_message(
    message: OutgoingMessage, *, sender: Address, now: datetime | None = None
) -> RenderedMessage:
    """Write and verify a message's bytes: what the outbox stores and sends.

    The bytes are those ``build_message(...).as_bytes(policy=DELIVERY_POLICY)`` gives
    (bar the random boundary), written without the generator.
    """
    to = make_address(message.to_address, message.to_name)
    unsubscribe = _unsubscribe_urls(message)
    message_id = message.key.message_id(sender.domain)
    subject, subject_line = _subject(message.subject)
    headers = [
        address_header("From", sender),
        address_header("To", to),
        subject_line,
        plain_header("Date", format_datetime(now or datetime.now(UTC))),
        plain_header("Message-ID", message_id),
        plain_header("Auto-Submitted", "auto-generated"),
    ]
    if unsubscribe:
        headers.append(list_header("List-Unsubscribe", unsubscribe))
        if message.one_click_unsubscribe:
            headers.append(plain_header("List-Unsubscribe-Post", ONE_CLICK))
    mime, body = body_block(message.text, message.html)
    block = "".join(headers + mime)
    check_header_block(block, [h.split(":", 1)[0] for h in headers + mime])
    shown = (sender.display_name, sender.addr_spec, to.display_name, to.addr_spec, subject)
    if any(needs_encoded_words(t) for t in shown):
        _verify_encoded(block, sender, to, subject)
    return RenderedMessage(
        key=message.key,
        sender=sender.addr_spec,
        recipient=to.addr_spec,
        message_id=message_id,
        content=(block + CRLF + body).encode("ascii"),
        transactional=message.transactional,
    )


def _verify_encoded(block: str, sender: Address, to: Address, subject: str) -> None:
    """Parse encoded words back: a reader must see exactly the intended name and subject.

    Folded encoded words do not always decode to what was encoded (a space can appear
    between two of them), so such a message is refused rather than sent garbled.
    """
    parsed = BytesHeaderParser(policy=email_policy.default).parsebytes(block.encode() + b"\r\n")
    for name, address in (("From", sender), ("To", to)):
        if parsed[name] is None or parsed[name].addresses != (address,):
            raise MessageError(f"rendered {name} differs from the intended address")
    if parsed["Subject"] != subject:
        raise MessageError("rendered Subject differs from the intended subject")
