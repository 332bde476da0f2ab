"""Picking the transport the settings ask for: SMTP when ``smtp_url`` is set, else
``.eml`` files. The one place that knows every implementation of ``Transport``."""

from __future__ import annotations

from paperfeed.config import Settings
from paperfeed.mail.file_transport import FileTransport
from paperfeed.mail.settings import MailSettings
from paperfeed.mail.smtp_transport import SMTPTransport
from paperfeed.mail.smtp_url import parse_smtp_url
from paperfeed.mail.transport import Transport


def open_transport(settings: Settings | MailSettings) -> Transport:
    """The SMTP transport when ``smtp_url`` is set, else the file transport."""
    mail = settings if isinstance(settings, MailSettings) else MailSettings.from_settings(settings)
    if mail.smtp_url:
        return SMTPTransport(
            parse_smtp_url(mail.smtp_url),
            timeout=mail.smtp_timeout,
            rate_limit=mail.smtp_rate_limit,
            concurrency=mail.smtp_concurrency,
        )
    return FileTransport(mail.outbox_dir)
