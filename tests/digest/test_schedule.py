"""When a digest is due, which period it is, and how far back it looks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperfeed.digest.schedule import SETTLE, digest_window, due_period, usual_gap
from paperfeed.store.subscriptions import DigestPreferences, Subscriber

FRIDAY_9_UTC = datetime(2026, 5, 8, 9, 0, tzinfo=UTC)


def subscriber(last: datetime | None = None, **prefs: object) -> Subscriber:
    return Subscriber(
        id=1,
        email="ada@example.org",
        status="confirmed",
        created_at=FRIDAY_9_UTC - timedelta(days=30),
        preferences=DigestPreferences(**prefs),  # type: ignore[arg-type]
        last_digest_at=last,
    )


def test_daily_digest_is_due_from_the_hour_on_chosen_weekdays() -> None:
    weekdays = subscriber(send_hour=7)
    assert due_period(weekdays, FRIDAY_9_UTC) == "2026-05-08"
    assert due_period(weekdays, FRIDAY_9_UTC.replace(hour=6)) is None
    assert due_period(weekdays, FRIDAY_9_UTC + timedelta(days=1)) is None  # Saturday
    assert due_period(subscriber(weekdays=(5,)), FRIDAY_9_UTC + timedelta(days=1)) == "2026-05-09"


def test_the_hour_is_the_subscribers_local_hour() -> None:
    tokyo = subscriber(timezone="Asia/Tokyo", send_hour=7, weekdays=tuple(range(7)))
    # 23:00 UTC on Friday is 08:00 on Saturday in Tokyo
    assert due_period(tokyo, FRIDAY_9_UTC.replace(hour=23)) == "2026-05-09"
    assert due_period(tokyo, FRIDAY_9_UTC.replace(hour=22)) == "2026-05-09"
    assert due_period(tokyo, FRIDAY_9_UTC.replace(hour=21, minute=59)) is None


def test_one_digest_per_day() -> None:
    done = subscriber(last=FRIDAY_9_UTC - timedelta(minutes=30))
    assert due_period(done, FRIDAY_9_UTC) is None
    assert due_period(subscriber(last=FRIDAY_9_UTC - timedelta(days=1)), FRIDAY_9_UTC)


def test_weekly_digest_goes_out_on_the_first_chosen_day() -> None:
    weekly = subscriber(cadence="weekly", weekdays=(0, 4))
    assert usual_gap(weekly) == timedelta(days=7)
    assert due_period(weekly, FRIDAY_9_UTC) is None  # Monday is the first chosen day
    assert due_period(weekly, FRIDAY_9_UTC + timedelta(days=3)) == "2026-05-11"


def test_usual_gap_spans_the_weekend() -> None:
    assert usual_gap(subscriber()) == timedelta(days=3)
    assert usual_gap(subscriber(weekdays=tuple(range(7)))) == timedelta(days=1)


def test_window_runs_from_the_last_digest_to_now() -> None:
    last = FRIDAY_9_UTC - timedelta(days=3)
    window = digest_window(subscriber(last=last), FRIDAY_9_UTC, catchup_days=14)
    assert (window.start, window.end, window.capped) == (last, FRIDAY_9_UTC - SETTLE, False)
    first = digest_window(subscriber(), FRIDAY_9_UTC, catchup_days=14)
    assert first.start == FRIDAY_9_UTC - SETTLE - timedelta(days=3) and not first.capped


def test_a_long_absence_is_capped() -> None:
    window = digest_window(
        subscriber(last=FRIDAY_9_UTC - timedelta(days=60)), FRIDAY_9_UTC, catchup_days=14
    )
    assert window.capped
    assert window.end - window.start == timedelta(days=14)
