"""Composing digests: trending by default, interests with reasons, never a repeat,
nothing on an empty day, a capped catch-up, one outbox message per period, resumable."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from paperfeed.digest.compose import Composer, DueDigest
from paperfeed.digest.run import RUN_LEASE, run_digests
from paperfeed.digest.schedule import Window
from paperfeed.digest.settings import DigestSettings
from paperfeed.store import PaperStore
from paperfeed.store.community import NewMark
from paperfeed.store.subscriptions import DigestPlan, DigestPreferences, Interests, Subscriber
from tests.community.conftest import community_settings
from tests.digest.conftest import EVERY_DAY, SECRET, add_papers, day_papers, later
from tests.factories import make_paper


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture(autouse=True)
def _clear_of_midnight() -> None:
    """These tests read the clock and run digests minutes ahead (``later``): rather than
    straddle two UTC days, and so two digest periods, they wait out a day's last minutes."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    if midnight - now < timedelta(minutes=10):
        time.sleep((midnight - now).total_seconds() + 1)


MODEL = community_settings().trending_model()
NO_SETTLE = timedelta(0)


def outbox_text(store: PaperStore, digest: DigestSettings, key: str) -> str:
    entry = store.get_outbox_entry(key)
    assert entry is not None, key
    eml = digest.mail.outbox_dir / "new" / f"{entry.message_id.strip('<>')}.eml"
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return f"{message['Subject']}\n{body.get_content()}"


def plan_of(store: PaperStore, subscriber: Subscriber) -> list[tuple[str, str]]:
    plans = store.digest_plans(state="queued", subscriber_ids=[subscriber.id])
    assert len(plans) == 1
    return [(p.paper_id, p.reason) for p in plans[0].picks]


def test_a_new_subscriber_gets_the_trending_digest(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(max_papers=3)
    report = run_digests(store, digest, SECRET, now=later())
    assert (report.due, report.queue.queued) == (1, 1)
    assert plan_of(store, ada) == [
        ("2605.00005", "trending: 60 upvotes"),
        ("2605.00004", "trending: 50 upvotes"),
        ("2605.00003", "trending: 40 upvotes"),
    ]
    period = datetime.now(UTC).date().isoformat()
    entry = store.get_outbox_entry(f"digest.{ada.id}.{period}")
    assert entry is not None and entry.state == "sent"
    assert entry.message_id == f"<digest.{ada.id}.{period}@paperfeed.example>"


def test_upvotes_here_make_a_paper_trend_in_digests(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(max_papers=2)
    voters = [store.get_or_create_account(f"v{n}@example.org", f"v{n}")[0] for n in range(70)]
    at = datetime.now(UTC).timestamp()
    # The day's least upvoted paper on Hugging Face (20) gets 70 upvotes here.
    votes = [NewMark(voter.id, "2605.00001", at) for voter in voters]
    store.add_marks("upvote", votes, MODEL)
    run_digests(store, digest, SECRET, now=later())
    assert plan_of(store, ada) == [
        ("2605.00001", "trending: 90 upvotes"),
        ("2605.00005", "trending: 60 upvotes"),
    ]


def test_interests_rank_with_a_reason_each(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    interests = Interests(
        topics=("graph neural networks",), categories=("cs.CV",), authors=("Y. LeCun",)
    )
    ada = make_subscriber(interests=interests, max_papers=4)
    run_digests(store, digest, SECRET, now=later(), send=False)
    picks = dict(plan_of(store, ada))
    assert picks["2605.00005"] == "by Yann LeCun, whom you follow"
    assert picks["2605.00000"] == "matches your topic 'graph neural networks'"
    assert picks["2605.00002"] == "matches your topic 'graph neural networks'"
    assert picks["2605.00003"] == "new in cs.CV, which you follow; trending: 40 upvotes"
    assert next(iter(picks)) == "2605.00005"  # a followed author first


def test_interests_that_match_little_are_filled_with_trending_papers(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(interests=Interests(authors=("Ada Lovelace",)), max_papers=3)
    run_digests(store, digest, SECRET, now=later(), send=False)
    assert plan_of(store, ada) == [
        ("2605.00005", "by Ada Lovelace, whom you follow"),
        ("2605.00004", "trending: 50 upvotes"),
        ("2605.00003", "trending: 40 upvotes"),
    ]


def _due(subscriber: Subscriber, period: str, start: datetime, end: datetime) -> DueDigest:
    return DueDigest(subscriber, period, Window(start, end, capped=False))


def test_never_the_same_paper_twice(
    store: PaperStore, make_subscriber: Callable[..., Subscriber]
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(max_papers=4)
    first_end = datetime.now(UTC)
    composer = Composer.for_window(store, start, first_end, catchup_papers=20, trending=MODEL)
    (day1,) = composer.plan([_due(ada, "2026-05-08", start, first_end)])
    store.save_digest_plans([day1], first_end)
    # a newer version and a cross-list of papers already sent, and two new papers
    add_papers(store, [make_paper("2605.00005", version=2, announced=today(), title="v2")])
    add_papers(store, day_papers(today(), "2606", count=2))
    end = datetime.now(UTC)
    # a window that overlaps the first (a catch-up) still sends nothing twice
    composer = Composer.for_window(store, start, end, catchup_papers=20, trending=MODEL)
    (day2,) = composer.plan([_due(ada, "2026-05-09", start, end)])
    first = {p.paper_id for p in day1.picks}
    second = {p.paper_id for p in day2.picks}
    assert len(first) == 4 and second and not first & second
    assert {"2606.00000", "2606.00001"} <= second


def test_back_filled_old_papers_are_not_news(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(date(2019, 1, 7), "1901"))
    make_subscriber()
    report = run_digests(store, digest, SECRET, now=later(), send=False)
    assert report.due == 1 and report.empty == 1 and report.queue.queued == 0


def test_an_empty_day_sends_nothing_unless_asked(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    quiet = make_subscriber("quiet@example.org")
    eager = make_subscriber("eager@example.org", send_empty=True)
    report = run_digests(store, digest, SECRET, now=later())
    assert (report.due, report.empty, report.queue.queued) == (2, 1, 1)
    period = datetime.now(UTC).date().isoformat()
    assert store.get_outbox_entry(f"digest.{quiet.id}.{period}") is None
    text = outbox_text(store, digest, f"digest.{eager.id}.{period}")
    assert "Nothing new for you today" in text
    assert "no new papers" in text  # the subject says so too


def test_a_catch_up_after_a_long_absence_is_capped_and_says_so(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    ada = make_subscriber(max_papers=5)
    away = datetime.now(UTC) - timedelta(days=60)
    old = DigestPlan(ada.id, "2026-01-01", away - timedelta(days=1), away, 0, False, ())
    store.save_digest_plans([replace(old, state="queued")], away)  # the last digest, long ago
    add_papers(store, day_papers(today(), "2605", count=30))
    now = later()
    report = run_digests(store, digest, SECRET, now=now)
    assert report.queue.queued == 1
    plan = store.get_digest_plan(ada.id, now.date().isoformat())
    assert plan is not None and plan.capped and len(plan.picks) == digest.catchup_papers
    assert plan.window_end - plan.window_start == timedelta(days=digest.catchup_days)
    text = outbox_text(store, digest, f"digest.{ada.id}.{now.date().isoformat()}")
    assert re.search(r"catch-up covers only the papers\s+since", text)
    assert f"the best {digest.catchup_papers} of 30" in text


def test_one_message_per_subscriber_and_period(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    make_subscriber()
    first = run_digests(store, digest, SECRET, now=later())
    second = run_digests(store, digest, SECRET, now=later(6))
    assert first.queue.queued == 1 and second.due == 0
    assert store.outbox_counts()["sent"] == 2  # the confirmation and one digest


def test_an_interrupted_run_finishes_with_the_same_picks(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(max_papers=2)
    now = datetime.now(UTC)
    start = now - timedelta(days=1)
    composer = Composer.for_window(store, start, now, catchup_papers=20, trending=MODEL)
    plans = composer.plan([_due(ada, now.date().isoformat(), start, now)])
    store.save_digest_plans(plans, now)  # ... and the process dies before queueing
    report = run_digests(store, digest, SECRET, now=later())
    assert report.resumed == 1 and report.due == 0 and report.queue.queued == 1
    assert plan_of(store, ada) == [(p.paper_id, p.reason) for p in plans[0].picks]


def test_a_second_run_at_the_same_time_does_nothing(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    make_subscriber()
    assert store.acquire_lease(RUN_LEASE, "another-server", 60)
    report = run_digests(store, digest, SECRET, now=later())
    assert report.locked and "another digest run" in report.summary()
    store.release_lease(RUN_LEASE, "another-server")
    assert run_digests(store, digest, SECRET, now=later()).queue.queued == 1


def test_unsubscribed_and_suppressed_addresses_are_never_mailed(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    gone = make_subscriber("gone@example.org")
    bounced = make_subscriber("bounced@example.org")
    stays = make_subscriber("stays@example.org")
    store.unsubscribe_subscriber(gone.id, datetime.now(UTC))
    store.suppress_address("bounced@example.org", "550 5.1.1 no such user")
    report = run_digests(store, digest, SECRET, now=later())
    assert report.due == 1 and report.queue.queued == 1
    queued = {p.subscriber_id for p in store.digest_plans(state="queued")}
    assert queued == {stays.id} and bounced.id not in queued


def test_a_plan_whose_subscriber_left_before_queueing_is_dropped(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber()
    now = datetime.now(UTC)
    start = now - timedelta(days=1)
    composer = Composer.for_window(store, start, now, catchup_papers=20, trending=MODEL)
    store.save_digest_plans(composer.plan([_due(ada, "2026-05-08", start, now)]), now)
    store.unsubscribe_subscriber(ada.id, now)
    report = run_digests(store, digest, SECRET, now=later())
    assert report.queue.dropped == 1 and report.queue.queued == 0
    assert store.digest_plans(state="dropped")[0].subscriber_id == ada.id


def test_preferences_limit_the_digest(
    store: PaperStore, digest: DigestSettings, make_subscriber: Callable[..., Subscriber]
) -> None:
    add_papers(store, day_papers(today(), "2605"))
    ada = make_subscriber(max_papers=2)
    store.set_preferences(ada.id, DigestPreferences(weekdays=EVERY_DAY, send_hour=0, max_papers=1))
    run_digests(store, digest, SECRET, now=later(), send=False)
    assert len(plan_of(store, ada)) == 1
