"""The outbox's contract on a real store: idempotent queueing, atomic leased claims."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from paperfeed.store import PaperStore, open_store
from paperfeed.store.outbox import NewOutboxMessage


def new(i: int, *, to: str | None = None, transactional: bool = False) -> NewOutboxMessage:
    return NewOutboxMessage(
        key=f"digest.{i}.2026-05-09",
        kind="digest",
        sender="digest@paperfeed.example",
        recipient=to or f"Reader{i}@Example.org",
        message_id=f"<digest.{i}.2026-05-09@paperfeed.example>",
        content=b"Subject: x\r\n\r\n" + b"body " * 2000,
        transactional=transactional,
    )


def test_same_key_is_queued_once(store: PaperStore) -> None:
    assert store.enqueue_messages([new(1), new(2)]) == [True, True]
    assert store.enqueue_messages([new(1), new(3)]) == [False, True]
    assert store.outbox_counts() == {"pending": 3, "sending": 0, "sent": 0, "failed": 0}


def test_claim_returns_exact_bytes_and_nobody_else_gets_them(store: PaperStore) -> None:
    store.enqueue_messages([new(i) for i in range(5)])
    first = store.claim_outbox(limit=3, lease_seconds=60)
    second = store.claim_outbox(limit=10, lease_seconds=60)
    assert [m.key for m in first] == [f"digest.{i}.2026-05-09" for i in range(3)]
    assert {m.key for m in second} == {"digest.3.2026-05-09", "digest.4.2026-05-09"}
    assert first[0].content == new(0).content and first[0].attempts == 1
    assert store.claim_outbox(limit=10, lease_seconds=60) == []


def test_concurrent_claims_from_two_connections_never_overlap(store_url: str) -> None:
    stores = [open_store(store_url), open_store(store_url)]
    stores[0].enqueue_messages([new(i) for i in range(200)])
    claimed: list[list[int]] = [[], []]

    def drain(n: int) -> None:
        while batch := stores[n].claim_outbox(limit=7, lease_seconds=60):
            claimed[n].extend(m.id for m in batch)

    threads = [threading.Thread(target=drain, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed[0] + claimed[1]) == sorted(set(claimed[0] + claimed[1]))
    assert len(claimed[0]) + len(claimed[1]) == 200
    for s in stores:
        s.close()


def test_expired_lease_is_claimed_again_with_same_message_id(store: PaperStore) -> None:
    store.enqueue_messages([new(1)])
    (first,) = store.claim_outbox(limit=1, lease_seconds=30)
    assert store.claim_outbox(limit=1, lease_seconds=30) == []
    later = datetime.now(UTC) + timedelta(seconds=31)
    (again,) = store.claim_outbox(limit=1, lease_seconds=30, now=later)
    assert again.message_id == first.message_id and again.attempts == 2
    assert not store.mark_outbox_sent(first.id, first.claim_token)  # the old claim is void
    assert store.mark_outbox_sent(again.id, again.claim_token)
    entry = store.get_outbox_entry(first.key)
    assert entry is not None and entry.state == "sent" and entry.sent_at is not None


def test_retry_waits_for_next_attempt_at(store: PaperStore) -> None:
    store.enqueue_messages([new(1)])
    (m,) = store.claim_outbox(limit=1, lease_seconds=30)
    due = datetime.now(UTC) + timedelta(minutes=5)
    assert store.mark_outbox_retry(m.id, m.claim_token, error="451 later", next_attempt_at=due)
    assert store.claim_outbox(limit=1, lease_seconds=30) == []
    (again,) = store.claim_outbox(limit=1, lease_seconds=30, now=due + timedelta(seconds=1))
    assert again.attempts == 2
    entry = store.get_outbox_entry(m.key)
    assert entry is not None and entry.last_error == "451 later"


def test_hard_bounces_suppress_and_clearing_lifts_it(store: PaperStore) -> None:
    address = "gone@example.org"
    for i in range(3):
        store.enqueue_messages([new(i, to=address)])
        (m,) = store.claim_outbox(limit=1, lease_seconds=30)
        store.mark_outbox_failed(m.id, m.claim_token, error="550 no such user", bounce_limit=3)
        assert store.bounce_record("GONE@example.org").suppressed == (i == 2)
    assert store.bounce_record(address).hard_bounces == 3
    assert store.suppressed_among(["Gone@Example.org", "other@example.org"]) == {address}
    store.enqueue_messages([new(10, to=address), new(11, to=address, transactional=True)])
    (claimed,) = store.claim_outbox(limit=5, lease_seconds=30)
    assert claimed.key == "digest.11.2026-05-09"  # only the transactional one goes out
    blocked = store.get_outbox_entry("digest.10.2026-05-09")
    assert blocked is not None and blocked.state == "failed"
    assert store.clear_suppression(address)
    assert store.bounce_record(address) == store.bounce_record("nobody@example.org").__class__(
        address=address, hard_bounces=0, suppressed=False, last_error=None
    )


def test_a_delivery_resets_consecutive_bounces(store: PaperStore) -> None:
    store.enqueue_messages([new(1, to="flaky@example.org"), new(2, to="flaky@example.org")])
    a, b = store.claim_outbox(limit=2, lease_seconds=30)
    store.mark_outbox_failed(a.id, a.claim_token, error="550", bounce_limit=3)
    assert store.bounce_record("flaky@example.org").hard_bounces == 1
    store.mark_outbox_sent(b.id, b.claim_token)
    assert store.bounce_record("flaky@example.org").hard_bounces == 0


def test_release_gives_the_attempt_back(store: PaperStore) -> None:
    store.enqueue_messages([new(1)])
    (m,) = store.claim_outbox(limit=1, lease_seconds=30)
    assert store.release_outbox(m.id, m.claim_token)
    (again,) = store.claim_outbox(limit=1, lease_seconds=30)
    assert again.attempts == 1


def test_leases_have_one_holder_until_they_expire(store: PaperStore) -> None:
    assert store.acquire_lease("mail-sender", "a", 60)
    assert not store.acquire_lease("mail-sender", "b", 60)
    assert store.acquire_lease("mail-sender", "a", 60)  # renewal
    store.release_lease("mail-sender", "b")  # not the holder: no effect
    assert not store.acquire_lease("mail-sender", "b", 60)
    store.release_lease("mail-sender", "a")
    assert store.acquire_lease("mail-sender", "b", 0.0)
    assert store.acquire_lease("mail-sender", "c", 60)  # b's lease had expired
