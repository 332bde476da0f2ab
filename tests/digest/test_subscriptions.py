"""Double opt-in: one row per address, one confirmation link used once, nothing else
sent to an unconfirmed address, unsubscribe at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from paperfeed.digest.errors import LinkError, SubscriptionError
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.run import run_digests
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.subscriptions import SubscriptionService
from paperfeed.security import TokenSigner
from paperfeed.store import PaperStore
from paperfeed.store.subscriptions import DigestPreferences, Interests, Subscriber
from tests.digest.conftest import EVERY_DAY, SECRET, add_papers, day_papers, later


def test_subscribing_queues_only_a_transactional_confirmation(
    service: SubscriptionService, store: PaperStore
) -> None:
    result = service.subscribe(" Ada@Example.ORG ")
    assert result.created and result.confirmation_queued
    assert result.subscriber.status == "pending"
    assert result.subscriber.preferences.trending_only  # the default digest
    counts = store.outbox_counts()
    assert counts["pending"] == 1
    assert store.get_subscriber("ada@example.org") == result.subscriber


def test_subscribing_again_never_creates_a_second_subscriber(
    service: SubscriptionService, store: PaperStore
) -> None:
    first = service.subscribe("ada@example.org", now=datetime(2026, 5, 9, 10, tzinfo=UTC))
    again = service.subscribe("ADA@example.org", now=datetime(2026, 5, 9, 10, 30, tzinfo=UTC))
    later_on = service.subscribe("ada@example.org", now=datetime(2026, 5, 9, 12, tzinfo=UTC))
    assert {first.subscriber.id, again.subscriber.id, later_on.subscriber.id} == {1}
    assert not again.created
    assert not again.confirmation_queued  # at most one confirmation per hour
    assert later_on.confirmation_queued


@pytest.mark.parametrize(
    "address", ["", "not-an-address", "a@b", "ada@example.org\r\nBcc: x@y.org", '"q"@x.org']
)
def test_invalid_addresses_are_refused(service: SubscriptionService, address: str) -> None:
    with pytest.raises(SubscriptionError):
        service.subscribe(address)


def test_a_confirmation_link_works_once(
    service: SubscriptionService, links: DigestLinks, store: PaperStore
) -> None:
    sid = service.subscribe("ada@example.org").subscriber.id
    token = links.confirm_token(sid)
    assert service.confirm(token).status == "confirmed"
    with pytest.raises(LinkError, match="already used: it works once"):
        service.confirm(token)  # a used link gives nothing, not even to its subscriber
    store.unsubscribe_subscriber(sid, datetime.now(UTC))
    with pytest.raises(LinkError, match=r"already used\. Subscribe again"):
        service.confirm(token)  # ...and never re-confirms someone who left


def test_confirmation_links_expire_and_cannot_be_forged(
    service: SubscriptionService, digest: DigestSettings
) -> None:
    sid = service.subscribe("ada@example.org").subscriber.id
    other = DigestLinks(TokenSigner("another-key-" + "x" * 40), digest)
    with pytest.raises(LinkError, match="not valid"):
        service.confirm(other.confirm_token(sid))
    with pytest.raises(LinkError, match="not valid"):
        service.confirm(service.links.subscriber_token("manage", sid))  # other purpose
    impatient = replace(digest, confirm_hours=0)
    hasty = SubscriptionService(
        service.store, impatient, DigestLinks(TokenSigner(SECRET), impatient)
    )
    token = hasty.links.confirm_token(sid)
    time.sleep(1.1)
    with pytest.raises(LinkError, match="expired"):
        hasty.confirm(token)


def test_confirming_again_lifts_a_bounce_suppression(
    service: SubscriptionService, links: DigestLinks, store: PaperStore
) -> None:
    sid = service.subscribe("ada@example.org").subscriber.id
    store.suppress_address("ada@example.org", "550 no such user")
    service.confirm(links.confirm_token(sid))
    assert not store.bounce_record("ada@example.org").suppressed


def test_nothing_but_the_confirmation_reaches_an_unconfirmed_address(
    service: SubscriptionService, store: PaperStore, digest: DigestSettings
) -> None:
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    sid = service.subscribe("ada@example.org").subscriber.id
    store.set_preferences(sid, DigestPreferences(weekdays=EVERY_DAY, send_hour=0))
    report = run_digests(store, digest, SECRET, now=later(), send=False)
    assert report.due == 0 and report.queue.queued == 0
    assert store.outbox_counts()["pending"] == 1  # the confirmation alone


def test_resubscribing_does_not_let_a_stranger_change_interests(
    service: SubscriptionService,
    make_subscriber: Callable[..., Subscriber],
    store: PaperStore,
) -> None:
    ada = make_subscriber(interests=Interests(topics=("graph neural networks",)))
    service.subscribe("ada@example.org", interests=Interests(topics=("spam",)))
    assert store.interests_of([ada.id])[ada.id].topics == ("graph neural networks",)
    assert store.get_subscriber_by_id(ada.id).status == "confirmed"  # type: ignore[union-attr]


def test_unsubscribing_is_immediate_and_idempotent(
    service: SubscriptionService, links: DigestLinks, make_subscriber: Callable[..., Subscriber]
) -> None:
    ada = make_subscriber()
    token = links.subscriber_token("unsubscribe", ada.id)
    assert service.unsubscribe(token).status == "unsubscribed"
    assert service.unsubscribe(token).status == "unsubscribed"


def test_returning_subscriber_confirms_again_and_starts_a_fresh_window(
    service: SubscriptionService,
    links: DigestLinks,
    make_subscriber: Callable[..., Subscriber],
    store: PaperStore,
    digest: DigestSettings,
) -> None:
    add_papers(store, day_papers(datetime.now(UTC).date(), "2605"))
    ada = make_subscriber()
    run_digests(store, digest, SECRET, now=later(), send=False)
    assert store.get_subscriber_by_id(ada.id).last_digest_at is not None  # type: ignore[union-attr]
    service.unsubscribe(links.subscriber_token("unsubscribe", ada.id))
    again = service.subscribe("ada@example.org")
    assert again.subscriber.id == ada.id and again.subscriber.status == "unsubscribed"
    confirmed = service.confirm(links.confirm_token(ada.id))
    assert confirmed.status == "confirmed" and confirmed.last_digest_at is None


def test_manage_links_update_interests_and_preferences(
    service: SubscriptionService, links: DigestLinks, make_subscriber: Callable[..., Subscriber]
) -> None:
    ada = make_subscriber()
    token = links.subscriber_token("manage", ada.id)
    prefs = DigestPreferences(cadence="weekly", weekdays=(4,), timezone="Europe/Paris")
    updated = service.update(token, Interests(authors=("Yann LeCun",)), prefs)
    assert updated.preferences == prefs
    assert service.interests(updated).authors == ("Yann LeCun",)
    with pytest.raises(LinkError):
        service.update(links.subscriber_token("unsubscribe", ada.id), Interests(), prefs)


def test_thumbs_links_record_feedback(
    service: SubscriptionService,
    links: DigestLinks,
    make_subscriber: Callable[..., Subscriber],
    store: PaperStore,
) -> None:
    ada = make_subscriber()
    token = links.feedback_token(ada.id)
    service.feedback(token, "2605.00001", "1")
    service.feedback(token, "2605.00002", "-1")
    service.feedback(token, "2605.00002", -1)
    with pytest.raises(LinkError):
        service.feedback(token, "2605.00003", "2")
    with pytest.raises(LinkError):
        service.feedback(token, "../../etc", "1")
    feedback = store.feedback_of([ada.id])[ada.id]
    assert feedback.liked == ("2605.00001",) and feedback.disliked == ("2605.00002",)


def test_link_lifetimes_come_from_the_settings(digest: DigestSettings) -> None:
    assert digest.confirm_hours == 48 and digest.link_days == 365
    assert timedelta(hours=digest.confirm_hours) < timedelta(days=digest.link_days)
