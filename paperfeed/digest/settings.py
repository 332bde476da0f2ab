"""The digest settings, resolved and checked once (see ``paperfeed.config``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings, RateLimit
from paperfeed.config import ConfigError, Settings
from paperfeed.mail import MailSettings, parse_mailbox
from paperfeed.mail.errors import MessageError

MAX_PAPERS = 50  # the most papers a subscriber may ask for in one digest


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """What composing, linking and scheduling need, next to the mail settings."""

    mail: MailSettings
    unsubscribe_mailto: str
    trending: TrendingModel
    """The community's trending weights and half-lives: a digest's trend input."""
    subscribe_per_ip: RateLimit
    """Subscriptions asked from one IP address: each mails a confirmation link, so one
    client must not make the service mail many strangers."""
    catchup_days: int = 14
    catchup_papers: int = 20
    confirm_hours: int = 48
    link_days: int = 365
    workers: int = 1
    scheduler: bool = True
    scheduler_interval: float = 60.0

    @property
    def public_url(self) -> str:
        return self.mail.public_url

    @classmethod
    def from_settings(cls, settings: Settings, mail: MailSettings | None = None) -> DigestSettings:
        mail = mail or MailSettings.from_settings(settings)
        mailto = str(settings.get("unsubscribe_mailto") or "") or mail.mail_from.addr_spec
        try:
            mailto = parse_mailbox(mailto).addr_spec
        except MessageError as exc:
            raise ConfigError(f"unsubscribe_mailto: {exc}") from exc
        workers = int(settings.get("digest_workers")) or (os.cpu_count() or 1)
        community = CommunitySettings.from_settings(settings)  # its rate and trend parsing
        digest = cls(
            mail=mail,
            unsubscribe_mailto=mailto,
            catchup_days=int(settings.get("digest_catchup_days")),
            catchup_papers=int(settings.get("digest_catchup_papers")),
            confirm_hours=int(settings.get("digest_confirm_hours")),
            link_days=int(settings.get("digest_link_days")),
            workers=workers,
            scheduler=bool(int(settings.get("digest_scheduler"))),
            scheduler_interval=float(settings.get("digest_scheduler_interval")),
            trending=community.trending_model(),
            subscribe_per_ip=community.rate_subscribe_per_ip,
        )
        digest.check()
        return digest

    def check(self) -> None:
        """Refuse values that would make digests empty, endless or unconfirmable."""
        for name in ("catchup_days", "catchup_papers", "confirm_hours", "link_days", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"digest setting {name} must be at least 1")
        if self.catchup_papers > MAX_PAPERS:
            raise ConfigError(f"digest_catchup_papers must be at most {MAX_PAPERS}")
        if self.scheduler_interval < 1:
            raise ConfigError("digest_scheduler_interval must be at least 1 second")
