"""How a message leaves paperfeed: the transport interface and its construction.

A transport is handed the envelope and the exact bytes; it raises
``TemporaryDeliveryError`` (retry later), ``PermanentDeliveryError`` (give up) or
``TransportError`` (the transport itself is broken). ``send`` may be called from
several threads at once, up to ``concurrency``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from paperfeed.config import Settings
from paperfeed.mail.settings import MailSettings


class Transport(ABC):
    """Delivers one message at a time per calling thread."""

    concurrency: int = 1

    @abstractmethod
    def send(self, sender: str, recipient: str, message_id: str, content: bytes) -> None:
        """Deliver ``content`` (with the given Message-ID) or raise a ``DeliveryError``."""

    @abstractmethod
    def describe(self) -> str:
        """Where messages go, for logs (never containing a password)."""

    def close(self) -> None:  # noqa: B027 - most transports hold nothing to release
        """Release connections."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_transport(settings: Settings | MailSettings) -> Transport:
    """The SMTP transport when ``smtp_url`` is set, else the file transport."""
    mail = settings if isinstance(settings, MailSettings) else MailSettings.from_settings(settings)
    if mail.smtp_url:
        from paperfeed.mail.smtp_transport import SMTPTransport
        from paperfeed.mail.smtp_url import parse_smtp_url

        return SMTPTransport(
            parse_smtp_url(mail.smtp_url),
            timeout=mail.smtp_timeout,
            rate_limit=mail.smtp_rate_limit,
            concurrency=mail.smtp_concurrency,
        )
    from paperfeed.mail.file_transport import FileTransport

    return FileTransport(mail.outbox_dir)
