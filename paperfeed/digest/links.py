"""Signed links in mails: confirm (single use), manage, unsubscribe, thumbs.

Each purpose has its own signing salt, so a token made for one never works for another.
Manage, unsubscribe and thumbs links do idempotent things and live long (links in old
mails keep working); the confirmation link expires within hours and works once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote

from paperfeed.digest.errors import LinkError
from paperfeed.digest.settings import DigestSettings
from paperfeed.security import TokenError, TokenSigner

Purpose = Literal["confirm", "manage", "unsubscribe", "feedback"]
PAPER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/]{0,63}")
DAY = 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class ConfirmClaim:
    subscriber_id: int
    nonce: str


@dataclass(frozen=True, slots=True)
class FeedbackClaim:
    subscriber_id: int
    paper_id: str
    verdict: int  # 1 or -1


class DigestLinks:
    """Makes and checks the tokens; builds absolute URLs on ``public_url``."""

    def __init__(self, signer: TokenSigner, settings: DigestSettings) -> None:
        self._signer = signer
        self._settings = settings
        self.base = settings.public_url.rstrip("/")

    def _max_age(self, purpose: Purpose) -> int:
        if purpose == "confirm":
            return self._settings.confirm_hours * 60 * 60
        return self._settings.link_days * DAY

    def _sign(self, purpose: Purpose, payload: object) -> str:
        return self._signer.sign(f"digest-{purpose}", payload)

    def _verify(self, purpose: Purpose, token: str) -> object:
        if not token or len(token) > 1000:
            raise LinkError("This link is incomplete.")
        try:
            return self._signer.verify(f"digest-{purpose}", token, max_age=self._max_age(purpose))
        except TokenError as exc:
            if "expired" in str(exc):
                raise LinkError("This link has expired.") from exc
            raise LinkError("This link is not valid.") from exc

    # -- tokens -----------------------------------------------------------------------

    def confirm_token(self, subscriber_id: int) -> str:
        return self._sign("confirm", {"s": subscriber_id, "n": secrets.token_urlsafe(12)})

    def check_confirm(self, token: str) -> ConfirmClaim:
        data = self._verify("confirm", token)
        if not isinstance(data, dict) or not isinstance(data.get("s"), int):
            raise LinkError("This link is not valid.")
        return ConfirmClaim(data["s"], str(data.get("n")))

    @property
    def confirm_hours(self) -> int:
        return self._settings.confirm_hours

    def confirm_expiry(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._max_age("confirm"))

    def subscriber_token(self, purpose: Literal["manage", "unsubscribe"], sid: int) -> str:
        return self._sign(purpose, sid)

    def check_subscriber(self, purpose: Literal["manage", "unsubscribe"], token: str) -> int:
        data = self._verify(purpose, token)
        if not isinstance(data, int) or isinstance(data, bool):
            raise LinkError("This link is not valid.")
        return data

    def feedback_token(self, sid: int) -> str:
        """One token per digest: it proves the subscriber; paper and verdict ride along."""
        return self._sign("feedback", sid)

    def check_feedback(self, token: str, paper_id: str, verdict: str | int) -> FeedbackClaim:
        data = self._verify("feedback", token)
        if not isinstance(data, int) or isinstance(data, bool):
            raise LinkError("This link is not valid.")
        if not PAPER_ID.fullmatch(paper_id) or str(verdict) not in ("1", "-1"):
            raise LinkError("This link is not valid.")
        return FeedbackClaim(data, paper_id, int(verdict))

    # -- URLs -------------------------------------------------------------------------

    def confirm_url(self, sid: int) -> str:
        return f"{self.base}/subscriptions/confirm?t={self.confirm_token(sid)}"

    def manage_url(self, sid: int) -> str:
        return f"{self.base}/subscriptions/manage?t={self.subscriber_token('manage', sid)}"

    def unsubscribe_url(self, sid: int, token: str | None = None) -> str:
        token = token or self.subscriber_token("unsubscribe", sid)
        return f"{self.base}/unsubscribe?t={token}"

    def unsubscribe_mailto(self, sid: int, token: str | None = None) -> str:
        token = token or self.subscriber_token("unsubscribe", sid)
        subject = quote(f"unsubscribe {token}", safe="")
        return f"mailto:{self._settings.unsubscribe_mailto}?subject={subject}"

    def feedback_url(self, token: str, paper_id: str, verdict: int) -> str:
        vote = "1" if verdict > 0 else "-1"
        return f"{self.base}/subscriptions/feedback?t={token}&p={quote(paper_id, safe='')}&v={vote}"

    def paper_url(self, paper_id: str) -> str:
        return f"{self.base}/papers/{quote(paper_id, safe='/.')}"
