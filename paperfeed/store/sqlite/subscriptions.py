"""SQLite implementation of ``SubscriptionStore``."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import cast

import orjson

from paperfeed.store.sqlite.connection import ConnectionPool
from paperfeed.store.sqlite.sql import chunks, marks
from paperfeed.store.subscriptions import (
    SAVES_OF_SUBSCRIBERS,
    Cadence,
    DigestPick,
    DigestPlan,
    DigestPreferences,
    DigestState,
    Feedback,
    InterestKind,
    Interests,
    Subscriber,
    SubscriberStatus,
    SubscriptionStore,
    combine_feedback,
)

_COLUMNS = (
    "id, email, status, created_at, confirmed_at, cadence, weekdays, timezone, send_hour,"
    " max_papers, trending_only, send_empty, last_digest_at"
)
_PLAN_COLUMNS = (
    "subscriber_id, period, window_start, window_end, candidates, capped, picks_json, state"
)
_KINDS: tuple[InterestKind, ...] = ("topic", "category", "author")


def _stamp(moment: datetime) -> str:
    """The text form ``papers.first_seen_at`` uses, so stamps compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _subscriber(row: sqlite3.Row) -> Subscriber:
    preferences = DigestPreferences(
        cadence=cast(Cadence, row["cadence"]),
        weekdays=tuple(int(d) for d in row["weekdays"]),
        timezone=row["timezone"],
        send_hour=row["send_hour"],
        max_papers=row["max_papers"],
        trending_only=bool(row["trending_only"]),
        send_empty=bool(row["send_empty"]),
    )
    return Subscriber(
        id=row["id"],
        email=row["email"],
        status=cast(SubscriberStatus, row["status"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        confirmed_at=_moment(row["confirmed_at"]),
        preferences=preferences,
        last_digest_at=_moment(row["last_digest_at"]),
    )


def _plan(row: sqlite3.Row) -> DigestPlan:
    picks = tuple(DigestPick(p["id"], p["reason"]) for p in orjson.loads(row["picks_json"]))
    return DigestPlan(
        subscriber_id=row["subscriber_id"],
        period=row["period"],
        window_start=datetime.fromisoformat(row["window_start"]),
        window_end=datetime.fromisoformat(row["window_end"]),
        candidates=row["candidates"],
        capped=bool(row["capped"]),
        picks=picks,
        state=cast(DigestState, row["state"]),
    )


def _interest_rows(subscriber_id: int, interests: Interests) -> list[tuple[int, str, str, int]]:
    values = {"topic": interests.topics, "category": interests.categories}
    values["author"] = interests.authors
    return [
        (subscriber_id, kind, value, position)
        for kind in _KINDS
        for position, value in enumerate(values[kind])
    ]


class SQLiteSubscriptionStore(SubscriptionStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""

    _pool: ConnectionPool

    # -- subscribers ------------------------------------------------------------------

    def add_subscriber(self, email: str) -> tuple[Subscriber, bool]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._pool.write() as conn:
            inserted = conn.execute(
                "INSERT INTO subscribers (email, status, created_at, updated_at)"
                " VALUES (?, 'pending', ?, ?) ON CONFLICT (email) DO NOTHING",
                (email, now, now),
            ).rowcount
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE email = ?", (email,)
            ).fetchone()
        return _subscriber(row), inserted == 1

    def import_subscribers(
        self, rows: Sequence[tuple[str, DigestPreferences, Interests]], now: datetime
    ) -> int:
        stamp = _stamp(now)
        added = 0
        with self._pool.write() as conn:
            for email, p, interests in rows:
                cursor = conn.execute(
                    "INSERT INTO subscribers (email, status, created_at, confirmed_at, updated_at,"
                    " cadence, weekdays, timezone, send_hour, max_papers, trending_only,"
                    " send_empty) VALUES (?, 'confirmed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (email) DO NOTHING",
                    (
                        email,
                        stamp,
                        stamp,
                        stamp,
                        p.cadence,
                        "".join(str(d) for d in p.weekdays),
                        p.timezone,
                        p.send_hour,
                        p.max_papers,
                        int(p.trending_only),
                        int(p.send_empty),
                    ),
                )
                if cursor.rowcount != 1:
                    continue
                added += 1
                conn.executemany(
                    "INSERT OR IGNORE INTO subscriber_interests"
                    " (subscriber_id, kind, value, position) VALUES (?, ?, ?, ?)",
                    _interest_rows(cursor.lastrowid or 0, interests),
                )
        return added

    def get_subscriber(self, email: str) -> Subscriber | None:
        row = (
            self._pool.get()
            .execute(f"SELECT {_COLUMNS} FROM subscribers WHERE email = ?", (email,))
            .fetchone()
        )
        return _subscriber(row) if row else None

    def get_subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = (
            self._pool.get()
            .execute(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,))
            .fetchone()
        )
        return _subscriber(row) if row else None

    def confirm_subscriber(self, subscriber_id: int, now: datetime) -> Subscriber | None:
        stamp = _stamp(now)
        with self._pool.write() as conn:
            conn.execute(
                "UPDATE subscribers SET status = 'confirmed', confirmed_at = ?, updated_at = ?,"
                " unsubscribed_at = NULL,"
                " last_digest_at = CASE WHEN status = 'confirmed' THEN last_digest_at END"
                " WHERE id = ?",
                (stamp, stamp, subscriber_id),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
            ).fetchone()
        return _subscriber(row) if row else None

    def unsubscribe_subscriber(self, subscriber_id: int, now: datetime) -> bool:
        stamp = _stamp(now)
        with self._pool.write() as conn:
            changed = conn.execute(
                "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?,"
                " updated_at = ? WHERE id = ? AND status != 'unsubscribed'",
                (stamp, stamp, subscriber_id),
            ).rowcount
        return changed == 1

    def set_preferences(self, subscriber_id: int, preferences: DigestPreferences) -> None:
        p = preferences
        with self._pool.write() as conn:
            conn.execute(
                "UPDATE subscribers SET cadence = ?, weekdays = ?, timezone = ?, send_hour = ?,"
                " max_papers = ?, trending_only = ?, send_empty = ?, updated_at = ?"
                " WHERE id = ?",
                (
                    p.cadence,
                    "".join(str(d) for d in p.weekdays),
                    p.timezone,
                    p.send_hour,
                    p.max_papers,
                    int(p.trending_only),
                    int(p.send_empty),
                    _stamp(datetime.now(UTC)),
                    subscriber_id,
                ),
            )

    def confirmed_subscribers(self) -> list[Subscriber]:
        rows = (
            self._pool.get()
            .execute(f"SELECT {_COLUMNS} FROM subscribers WHERE status = 'confirmed' ORDER BY id")
            .fetchall()
        )
        return [_subscriber(row) for row in rows]

    # -- interests and feedback -------------------------------------------------------

    def set_interests(self, subscriber_id: int, interests: Interests) -> None:
        with self._pool.write() as conn:
            conn.execute(
                "DELETE FROM subscriber_interests WHERE subscriber_id = ?", (subscriber_id,)
            )
            conn.executemany(
                "INSERT OR IGNORE INTO subscriber_interests (subscriber_id, kind, value, position)"
                " VALUES (?, ?, ?, ?)",
                _interest_rows(subscriber_id, interests),
            )

    def interests_of(self, subscriber_ids: Iterable[int]) -> dict[int, Interests]:
        found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        conn = self._pool.get()
        for chunk in chunks(list(subscriber_ids)):
            rows = conn.execute(
                "SELECT subscriber_id, kind, value FROM subscriber_interests"
                f" WHERE subscriber_id IN ({marks(len(chunk))}) ORDER BY subscriber_id, position",
                list(chunk),
            )
            for row in rows:
                found[row["subscriber_id"]][row["kind"]].append(row["value"])
        return {
            sid: Interests(tuple(k["topic"]), tuple(k["category"]), tuple(k["author"]))
            for sid, k in found.items()
        }

    def record_feedback(
        self, subscriber_id: int, paper_id: str, verdict: int | None, now: datetime
    ) -> None:
        with self._pool.write() as conn:
            if verdict is None:
                conn.execute(
                    "DELETE FROM subscriber_feedback WHERE subscriber_id = ? AND paper_id = ?",
                    (subscriber_id, paper_id),
                )
                return
            conn.execute(
                "INSERT INTO subscriber_feedback (subscriber_id, paper_id, verdict, at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (subscriber_id, paper_id)"
                " DO UPDATE SET verdict = excluded.verdict, at = excluded.at",
                (subscriber_id, paper_id, 1 if verdict > 0 else -1, _stamp(now)),
            )

    def feedback_of(self, subscriber_ids: Iterable[int]) -> dict[int, Feedback]:
        verdicts: list[tuple[int, str, int]] = []
        saves: list[tuple[int, str]] = []
        with self._pool.read() as conn:
            for chunk in chunks(list(subscriber_ids)):
                ids = marks(len(chunk))
                verdicts += conn.execute(
                    "SELECT subscriber_id, paper_id, verdict FROM subscriber_feedback"
                    f" WHERE subscriber_id IN ({ids}) ORDER BY subscriber_id, at",
                    chunk,
                ).fetchall()
                saves += conn.execute(SAVES_OF_SUBSCRIBERS.format(ids=ids), chunk).fetchall()
        return combine_feedback(verdicts, saves)

    def use_link_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM used_link_tokens WHERE expires_at < ?", (_stamp(now),))
            inserted = conn.execute(
                "INSERT INTO used_link_tokens (nonce, used_at, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (nonce) DO NOTHING",
                (nonce, _stamp(now), _stamp(expires_at)),
            ).rowcount
        return inserted == 1

    # -- composing --------------------------------------------------------------------

    def papers_arrived(
        self, start: datetime, end: datetime, *, announced_since: datetime
    ) -> list[tuple[str, datetime]]:
        rows = (
            self._pool.get()
            .execute(
                "SELECT id, first_seen_at FROM papers"
                " WHERE first_seen_at > ? AND first_seen_at <= ?"
                " AND (COALESCE(announced, published) IS NULL"
                "      OR COALESCE(announced, published) >= ?)"
                " ORDER BY first_seen_at, id",
                (_stamp(start), _stamp(end), announced_since.date().isoformat()),
            )
            .fetchall()
        )
        return [(row["id"], datetime.fromisoformat(row["first_seen_at"])) for row in rows]

    def sent_among(self, paper_ids: Sequence[str]) -> dict[int, set[str]]:
        sent: dict[int, set[str]] = defaultdict(set)
        conn = self._pool.get()
        for chunk in chunks(list(paper_ids)):
            rows = conn.execute(
                "SELECT subscriber_id, paper_id FROM digest_sent"
                f" WHERE paper_id IN ({marks(len(chunk))})",
                list(chunk),
            )
            for row in rows:
                sent[row["subscriber_id"]].add(row["paper_id"])
        return dict(sent)

    def save_digest_plans(self, plans: Sequence[DigestPlan], now: datetime) -> list[bool]:
        created = _stamp(now)
        new: list[bool] = []
        with self._pool.write() as conn:
            for plan in plans:
                picks = orjson.dumps([{"id": p.paper_id, "reason": p.reason} for p in plan.picks])
                inserted = conn.execute(
                    f"INSERT INTO digests ({_PLAN_COLUMNS}, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (subscriber_id, period) DO NOTHING",
                    (
                        plan.subscriber_id,
                        plan.period,
                        _stamp(plan.window_start),
                        _stamp(plan.window_end),
                        plan.candidates,
                        int(plan.capped),
                        picks.decode(),
                        plan.state,
                        created,
                    ),
                ).rowcount
                new.append(inserted == 1)
                if inserted != 1:
                    continue
                conn.executemany(
                    "INSERT OR IGNORE INTO digest_sent (subscriber_id, paper_id, period)"
                    " VALUES (?, ?, ?)",
                    [(plan.subscriber_id, p.paper_id, plan.period) for p in plan.picks],
                )
                conn.execute(
                    "UPDATE subscribers SET last_digest_at = ? WHERE id = ?",
                    (_stamp(plan.window_end), plan.subscriber_id),
                )
        return new

    def digest_plans(
        self, *, state: DigestState, subscriber_ids: Sequence[int] | None = None
    ) -> list[DigestPlan]:
        conn = self._pool.get()
        query = f"SELECT {_PLAN_COLUMNS} FROM digests WHERE state = ?"
        if subscriber_ids is None:
            rows = conn.execute(query + " ORDER BY subscriber_id, period", (state,)).fetchall()
            return [_plan(row) for row in rows]
        plans: list[DigestPlan] = []
        for chunk in chunks(list(subscriber_ids)):
            found = conn.execute(
                query + f" AND subscriber_id IN ({marks(len(chunk))})", [state, *chunk]
            )
            plans.extend(_plan(row) for row in found)
        return plans

    def get_digest_plan(self, subscriber_id: int, period: str) -> DigestPlan | None:
        row = (
            self._pool.get()
            .execute(
                f"SELECT {_PLAN_COLUMNS} FROM digests WHERE subscriber_id = ? AND period = ?",
                (subscriber_id, period),
            )
            .fetchone()
        )
        return _plan(row) if row else None

    def mark_digests(self, keys: Sequence[tuple[int, str]], state: DigestState) -> None:
        with self._pool.write() as conn:
            conn.executemany(
                "UPDATE digests SET state = ?"
                " WHERE subscriber_id = ? AND period = ? AND state = 'planned'",
                [(state, sid, period) for sid, period in keys],
            )

    def topic_vectors(self, generation: str, topics: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        conn = self._pool.get()
        for chunk in chunks(list(topics)):
            rows = conn.execute(
                "SELECT topic, vector FROM topic_vectors"
                f" WHERE generation = ? AND topic IN ({marks(len(chunk))})",
                [generation, *chunk],
            )
            found.update((row["topic"], bytes(row["vector"])) for row in rows)
        return found

    def put_topic_vectors(self, generation: str, vectors: Mapping[str, bytes]) -> None:
        with self._pool.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO topic_vectors (generation, topic, vector) VALUES (?, ?, ?)",
                [(generation, topic, vector) for topic, vector in vectors.items()],
            )
