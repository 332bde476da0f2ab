"""The subscription store: one row per address, interests, feedback, plans, sent-log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperfeed.store import PaperStore
from paperfeed.store.community import NewMark
from paperfeed.store.subscriptions import (
    DigestPick,
    DigestPlan,
    DigestPreferences,
    Interests,
)
from tests.community.conftest import community_settings
from tests.factories import make_paper

NOW = datetime(2026, 5, 8, 9, tzinfo=UTC)


def test_preferences_round_trip(store: PaperStore) -> None:
    ada, created = store.add_subscriber("ada@example.org")
    assert created and ada.preferences == DigestPreferences()
    prefs = DigestPreferences("weekly", (2,), "Asia/Tokyo", 6, 25, False, True)
    store.set_preferences(ada.id, prefs)
    assert store.get_subscriber_by_id(ada.id).preferences == prefs  # type: ignore[union-attr]


def test_confirm_and_unsubscribe(store: PaperStore) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    assert store.confirmed_subscribers() == []
    confirmed = store.confirm_subscriber(ada.id, NOW)
    assert confirmed is not None and confirmed.confirmed_at == NOW
    assert [s.id for s in store.confirmed_subscribers()] == [ada.id]
    assert store.unsubscribe_subscriber(ada.id, NOW)
    assert not store.unsubscribe_subscriber(ada.id, NOW)
    assert store.confirmed_subscribers() == []
    again, created = store.add_subscriber("ada@example.org")
    assert not created and again.status == "unsubscribed"


def test_interests_keep_their_order_and_replace(store: PaperStore) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    bob, _ = store.add_subscriber("bob@example.org")
    store.set_interests(ada.id, Interests(("b topic", "a topic"), ("cs.LG",), ("Ada",)))
    store.set_interests(bob.id, Interests(authors=("Bob",)))
    store.set_interests(bob.id, Interests(categories=("math.AG",)))
    found = store.interests_of([ada.id, bob.id, 999])
    assert found[ada.id] == Interests(("b topic", "a topic"), ("cs.LG",), ("Ada",))
    assert found[bob.id] == Interests(categories=("math.AG",))


def test_feedback_last_verdict_wins(store: PaperStore) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    store.record_feedback(ada.id, "2605.00001", 1, NOW)
    store.record_feedback(ada.id, "2605.00001", -1, NOW + timedelta(seconds=1))
    store.record_feedback(ada.id, "2605.00002", 1, NOW)
    store.record_feedback(ada.id, "2605.00003", 1, NOW)
    store.record_feedback(ada.id, "2605.00003", None, NOW)
    feedback = store.feedback_of([ada.id])[ada.id]
    assert feedback.liked == ("2605.00002",) and feedback.disliked == ("2605.00001",)


def test_papers_saved_by_the_same_person_count_as_liked(store: PaperStore) -> None:
    papers = ["2605.00001", "2605.00002", "2605.00003"]
    store.upsert_papers([make_paper(paper_id) for paper_id in papers], source="jsonl")
    ada, _ = store.add_subscriber("ada@example.org")
    bob, _ = store.add_subscriber("bob@example.org")
    account, _ = store.get_or_create_account("ada@example.org", "Ada")
    saves = [
        NewMark(account.id, paper_id, NOW.timestamp() + n) for n, paper_id in enumerate(papers)
    ]
    store.add_marks("save", saves, community_settings().trending_model())
    store.record_feedback(ada.id, "2605.00002", -1, NOW)  # a thumbs down outweighs a save
    store.record_feedback(ada.id, "2605.00003", 1, NOW)
    found = store.feedback_of([ada.id, bob.id])
    assert found[ada.id].liked == ("2605.00003", "2605.00001")
    assert found[ada.id].disliked == ("2605.00002",)
    assert bob.id not in found  # another address: none of Ada's saves


def test_link_nonces_are_single_use(store: PaperStore) -> None:
    assert store.use_link_nonce("n1", NOW + timedelta(hours=1), NOW)
    assert not store.use_link_nonce("n1", NOW + timedelta(hours=1), NOW)


def test_plans_write_the_sent_log_once(store: PaperStore) -> None:
    ada, _ = store.add_subscriber("ada@example.org")
    picks = (DigestPick("2605.00001", "trending: 3 upvotes"), DigestPick("2605.00002", "x"))
    plan = DigestPlan(ada.id, "2026-05-08", NOW - timedelta(days=1), NOW, 10, False, picks)
    assert store.save_digest_plans([plan], NOW) == [True]
    assert store.save_digest_plans([plan], NOW) == [False]
    assert store.get_digest_plan(ada.id, "2026-05-08") == plan
    assert store.get_subscriber_by_id(ada.id).last_digest_at == NOW  # type: ignore[union-attr]
    assert store.sent_among(["2605.00001", "2605.00009"]) == {ada.id: {"2605.00001"}}
    store.mark_digests([(ada.id, "2026-05-08")], "queued")
    assert store.digest_plans(state="planned") == []
    assert store.digest_plans(state="queued", subscriber_ids=[ada.id])[0].state == "queued"


def test_import_adds_confirmed_subscribers_once(store: PaperStore) -> None:
    rows = [
        ("ada@example.org", DigestPreferences(max_papers=5), Interests(topics=("gnn",))),
        ("bob@example.org", DigestPreferences(), Interests()),
    ]
    assert store.import_subscribers(rows, NOW) == 2
    assert store.import_subscribers(rows, NOW) == 0
    ada = store.get_subscriber("ada@example.org")
    assert ada is not None and ada.status == "confirmed" and ada.preferences.max_papers == 5
    assert store.interests_of([ada.id])[ada.id].topics == ("gnn",)


def test_topic_vectors_are_kept_per_generation(store: PaperStore) -> None:
    store.put_topic_vectors("model-a", {"gnn": b"\x00" * 8})
    assert store.topic_vectors("model-a", ["gnn", "other"]) == {"gnn": b"\x00" * 8}
    assert store.topic_vectors("model-b", ["gnn"]) == {}
