"""The mail settings, resolved and checked once (see ``paperfeed.config``)."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path

from paperfeed.config import ConfigError, Settings
from paperfeed.mail.addresses import parse_mailbox
from paperfeed.mail.errors import MessageError


@dataclass(frozen=True, slots=True)
class MailSettings:
    """What the sender and transports need; ``repr`` never shows the SMTP password."""

    mail_from: Address
    public_url: str
    outbox_dir: Path
    smtp_url: str = ""
    smtp_rate_limit: float = 0.0
    smtp_concurrency: int = 2
    smtp_timeout: float = 30.0
    max_attempts: int = 8
    retry_delay: float = 60.0
    hard_bounce_limit: int = 3

    def __repr__(self) -> str:
        shown = "file" if not self.smtp_url else "smtp"
        return f"MailSettings(mail_from={self.mail_from!s}, transport={shown})"

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        try:
            mail_from = parse_mailbox(str(settings.get("mail_from")))
        except MessageError as exc:
            raise ConfigError(f"mail_from: {exc}") from exc
        mail = cls(
            mail_from=mail_from,
            public_url=public_url(settings),
            outbox_dir=settings.var_dir / "outbox",
            smtp_url=str(settings.get("smtp_url") or ""),
            smtp_rate_limit=float(settings.get("smtp_rate_limit")),
            smtp_concurrency=int(settings.get("smtp_concurrency")),
            smtp_timeout=float(settings.get("smtp_timeout")),
            max_attempts=int(settings.get("mail_max_attempts")),
            retry_delay=float(settings.get("mail_retry_delay")),
            hard_bounce_limit=int(settings.get("mail_hard_bounce_limit")),
        )
        mail.check()
        return mail

    def check(self) -> None:
        """Refuse values that would make the sender spin or never send."""
        if self.smtp_rate_limit < 0:
            raise ConfigError("smtp_rate_limit must be 0 (no limit) or more")
        for name in ("smtp_concurrency", "max_attempts", "hard_bounce_limit"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.smtp_timeout <= 0 or self.retry_delay < 0:
            raise ConfigError("smtp_timeout must be positive and mail_retry_delay not negative")


def public_url(settings: Settings) -> str:
    """The base of every link in a mail: ``public_url``, else the local web server."""
    configured = str(settings.get("public_url") or "").rstrip("/")
    if configured:
        return configured
    return f"http://{settings.get('web_host')}:{settings.get('web_port')}"
