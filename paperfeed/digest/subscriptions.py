"""Subscribing, confirming, managing and leaving: the rules of double opt-in.

- Subscribing (form or API) records a pending subscriber (one row per address, ever)
  and queues the confirmation mail, the only mail an unconfirmed address receives.
  At most one confirmation per address per hour is queued, so the form cannot be used
  to flood someone's inbox.
- A confirmation link works once and expires; confirming (again) lifts a bounce
  suppression, since the person just proved the address works.
- A confirmed subscriber's interests are changed only through their manage link, never
  by someone re-subscribing their address.
- Unsubscribing is immediate and idempotent; nothing is sent afterwards until the
  person subscribes and confirms again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from paperfeed.community.ratelimits import Limit, take
from paperfeed.digest.errors import LinkError, SubscriptionError
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestRenderer
from paperfeed.digest.settings import DigestSettings
from paperfeed.mail import enqueue, normalize_address
from paperfeed.mail.errors import MessageError
from paperfeed.store.base import PaperRecords
from paperfeed.store.community import CommunityStore
from paperfeed.store.outbox import OutboxStore
from paperfeed.store.subscriptions import (
    DigestPreferences,
    Interests,
    Subscriber,
    SubscriptionStore,
)


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    subscriber: Subscriber
    created: bool
    confirmation_queued: bool


def deliverable_address(email: str) -> str:
    """The address normalised and lower-cased, or ``SubscriptionError`` if paperfeed would
    not (or could not safely) send to it. Syntax only: no DNS look-up."""
    if len(email) > 320:
        raise SubscriptionError("That email address is too long.")
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
        return normalize_address(str(valid.normalized).lower())
    except (EmailNotValidError, MessageError) as exc:
        raise SubscriptionError("That is not an email address we can send to.") from exc


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class SubscriberStore(PaperRecords, SubscriptionStore, OutboxStore, CommunityStore, Protocol):
    """What the subscription rules use: subscribers and their links, the outbox for the
    confirmation mail, the rate limits, and the papers a digest's reader rates."""


class SubscriptionService:
    """The subscription rules over a store; shared by the web routes, API and CLI."""

    def __init__(
        self, store: SubscriberStore, settings: DigestSettings, links: DigestLinks
    ) -> None:
        self.store = store
        self.settings = settings
        self.links = links
        self.renderer = DigestRenderer(links)

    def subscribe(
        self,
        email: str,
        *,
        interests: Interests | None = None,
        preferences: DigestPreferences | None = None,
        ip: str | None = None,
        now: datetime | None = None,
    ) -> SubscribeResult:
        """Record the subscription (pending) and queue its confirmation mail; ``ip``:
        the client asking, counted against ``subscribe_per_ip`` (``RateLimited``)."""
        address = deliverable_address(email)
        if ip is not None:
            limit = Limit("subscribe-ip", self.settings.subscribe_per_ip, ip, "subscriptions")
            take(self.store, [limit], _now(now).timestamp())
        subscriber, created = self.store.add_subscriber(address)
        if subscriber.status != "confirmed":
            if interests is not None:
                self.store.set_interests(subscriber.id, interests)
            if preferences is not None:
                self.store.set_preferences(subscriber.id, preferences)
        moment = _now(now)
        message = self.renderer.confirmation(
            subscriber.id, subscriber.email, moment.strftime("%Y-%m-%dT%H")
        )
        queued = enqueue(self.store, message, self.settings.mail, now=moment).queued
        return SubscribeResult(subscriber, created, queued)

    def confirm(self, token: str, *, now: datetime | None = None) -> Subscriber:
        """Confirm the subscription a confirmation link names. A link works once: used
        again it is refused, whatever the subscription's state, so an old mail cannot
        be turned into a fresh manage link."""
        claim = self.links.check_confirm(token)
        subscriber = self.store.get_subscriber_by_id(claim.subscriber_id)
        if subscriber is None:
            raise LinkError("This subscription no longer exists.")
        moment = _now(now)
        fresh = self.store.use_link_nonce(
            f"confirm:{claim.nonce}", self.links.confirm_expiry(moment), moment
        )
        if not fresh:
            if subscriber.status == "confirmed":
                raise LinkError(
                    "This link was already used: it works once. The subscription is"
                    " confirmed; every digest links to its settings."
                )
            raise LinkError("This link was already used. Subscribe again for a new one.")
        confirmed = self.store.confirm_subscriber(subscriber.id, moment)
        assert confirmed is not None
        self.store.clear_suppression(confirmed.email)
        return confirmed

    def subscriber_for(self, purpose: str, token: str) -> Subscriber:
        """The subscriber a manage or unsubscribe link names."""
        if purpose not in ("manage", "unsubscribe"):
            raise LinkError("This link is not valid.")
        sid = self.links.check_subscriber(purpose, token)  # type: ignore[arg-type]
        subscriber = self.store.get_subscriber_by_id(sid)
        if subscriber is None:
            raise LinkError("This subscription no longer exists.")
        return subscriber

    def unsubscribe(self, token: str, *, now: datetime | None = None) -> Subscriber:
        """Unsubscribe at once (RFC 8058 one-click); idempotent."""
        subscriber = self.subscriber_for("unsubscribe", token)
        self.store.unsubscribe_subscriber(subscriber.id, _now(now))
        updated = self.store.get_subscriber_by_id(subscriber.id)
        assert updated is not None
        return updated

    def update(
        self, token: str, interests: Interests, preferences: DigestPreferences
    ) -> Subscriber:
        """Save what the manage page submitted."""
        subscriber = self.subscriber_for("manage", token)
        self.store.set_interests(subscriber.id, interests)
        self.store.set_preferences(subscriber.id, preferences)
        updated = self.store.get_subscriber_by_id(subscriber.id)
        assert updated is not None
        return updated

    def interests(self, subscriber: Subscriber) -> Interests:
        return self.store.interests_of([subscriber.id]).get(subscriber.id, Interests())

    def feedback(
        self, token: str, paper_id: str, verdict: str | int, *, now: datetime | None = None
    ) -> tuple[Subscriber, str, int]:
        """Record a thumbs up or down from a digest link."""
        claim = self.links.check_feedback(token, paper_id, verdict)
        subscriber = self.store.get_subscriber_by_id(claim.subscriber_id)
        if subscriber is None:
            raise LinkError("This subscription no longer exists.")
        self.store.record_feedback(subscriber.id, claim.paper_id, claim.verdict, _now(now))
        return subscriber, claim.paper_id, claim.verdict
