"""Subscribers, their interests and feedback, digests and the sent-log, in SQL.

Uniqueness is the schema's (``ON CONFLICT DO NOTHING``), so concurrent web and worker
processes never create a second subscriber, digest or sent-log row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import cast

import orjson

from paperfeed.store.database import Database, Row, Transaction
from paperfeed.store.dialect import moment, stored_moment
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
_INSERT_INTEREST = (
    "INSERT INTO subscriber_interests (subscriber_id, kind, value, position)"
    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _subscriber(row: Row) -> Subscriber:
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
        created_at=stored_moment(row["created_at"]),
        confirmed_at=moment(row["confirmed_at"]),
        preferences=preferences,
        last_digest_at=moment(row["last_digest_at"]),
    )


def _plan(row: Row) -> DigestPlan:
    picks = tuple(DigestPick(p["id"], p["reason"]) for p in orjson.loads(row["picks_json"]))
    return DigestPlan(
        subscriber_id=row["subscriber_id"],
        period=row["period"],
        window_start=stored_moment(row["window_start"]),
        window_end=stored_moment(row["window_end"]),
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


def _preference_values(p: DigestPreferences) -> tuple[object, ...]:
    """``cadence, weekdays, timezone, send_hour, max_papers, trending_only, send_empty``."""
    weekdays = "".join(str(d) for d in p.weekdays)
    return (p.cadence, weekdays, p.timezone, p.send_hour, p.max_papers, p.trending_only,
            p.send_empty)  # fmt: skip


class SubscriptionTables:
    """``SubscriptionStore`` in SQL both engines run (mixed into the store)."""

    _db: Database

    # -- subscribers ------------------------------------------------------------------

    def add_subscriber(self, email: str) -> tuple[Subscriber, bool]:
        now = datetime.now(UTC).replace(microsecond=0)

        def add(tx: Transaction) -> tuple[Subscriber, bool]:
            inserted = tx.execute(
                "INSERT INTO subscribers (email, status, created_at, updated_at)"
                " VALUES (?, 'pending', ?, ?) ON CONFLICT (email) DO NOTHING",
                (email, now, now),
            ).rowcount
            row = tx.one(f"SELECT {_COLUMNS} FROM subscribers WHERE email = ?", (email,))
            return _subscriber(row), inserted == 1

        return self._db.write(add)

    def import_subscribers(
        self, rows: Sequence[tuple[str, DigestPreferences, Interests]], now: datetime
    ) -> int:
        def add(tx: Transaction) -> int:
            added = 0
            for email, preferences, interests in rows:
                subscriber_id = tx.value(
                    "INSERT INTO subscribers (email, status, created_at, confirmed_at,"
                    " updated_at, cadence, weekdays, timezone, send_hour, max_papers,"
                    " trending_only, send_empty)"
                    " VALUES (?, 'confirmed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (email) DO NOTHING RETURNING id",
                    (email, now, now, now, *_preference_values(preferences)),
                )
                if subscriber_id is None:
                    continue
                added += 1
                tx.executemany(_INSERT_INTEREST, _interest_rows(subscriber_id, interests))
            return added

        return self._db.write(add)

    def get_subscriber(self, email: str) -> Subscriber | None:
        row = self._db.one(f"SELECT {_COLUMNS} FROM subscribers WHERE email = ?", (email,))
        return _subscriber(row) if row else None

    def get_subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self._db.one(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,))
        return _subscriber(row) if row else None

    def confirm_subscriber(self, subscriber_id: int, now: datetime) -> Subscriber | None:
        row = self._db.write(
            lambda tx: tx.one(
                "UPDATE subscribers SET status = 'confirmed', confirmed_at = ?, updated_at = ?,"
                " unsubscribed_at = NULL,"
                " last_digest_at = CASE WHEN status = 'confirmed' THEN last_digest_at END"
                f" WHERE id = ? RETURNING {_COLUMNS}",
                (now, now, subscriber_id),
            )
        )
        return _subscriber(row) if row else None

    def unsubscribe_subscriber(self, subscriber_id: int, now: datetime) -> bool:
        changed = self._db.write(
            lambda tx: (
                tx.execute(
                    "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?,"
                    " updated_at = ? WHERE id = ? AND status <> 'unsubscribed'",
                    (now, now, subscriber_id),
                ).rowcount
            )
        )
        return changed == 1

    def set_preferences(self, subscriber_id: int, preferences: DigestPreferences) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "UPDATE subscribers SET cadence = ?, weekdays = ?, timezone = ?, send_hour = ?,"
                " max_papers = ?, trending_only = ?, send_empty = ?, updated_at = ?"
                " WHERE id = ?",
                (*_preference_values(preferences), datetime.now(UTC), subscriber_id),
            )
        )

    def confirmed_subscribers(self) -> list[Subscriber]:
        rows = self._db.all(
            f"SELECT {_COLUMNS} FROM subscribers WHERE status = 'confirmed' ORDER BY id"
        )
        return [_subscriber(row) for row in rows]

    # -- interests and feedback -------------------------------------------------------

    def set_interests(self, subscriber_id: int, interests: Interests) -> None:
        def replace(tx: Transaction) -> None:
            tx.execute("DELETE FROM subscriber_interests WHERE subscriber_id = ?", (subscriber_id,))
            tx.executemany(_INSERT_INTEREST, _interest_rows(subscriber_id, interests))

        self._db.write(replace)

    def interests_of(self, subscriber_ids: Iterable[int]) -> dict[int, Interests]:
        found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        d = self._db.dialect
        rows = self._db.all(
            "SELECT subscriber_id, kind, value FROM subscriber_interests"
            f" WHERE {d.member('subscriber_id')} ORDER BY subscriber_id, position",
            (d.values(subscriber_ids),),
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
        if verdict is None:
            sql = "DELETE FROM subscriber_feedback WHERE subscriber_id = ? AND paper_id = ?"
            self._db.write(lambda tx: tx.execute(sql, (subscriber_id, paper_id)))
            return
        self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO subscriber_feedback (subscriber_id, paper_id, verdict, at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (subscriber_id, paper_id)"
                " DO UPDATE SET verdict = excluded.verdict, at = excluded.at",
                (subscriber_id, paper_id, 1 if verdict > 0 else -1, now),
            )
        )

    def feedback_of(self, subscriber_ids: Iterable[int]) -> dict[int, Feedback]:
        d = self._db.dialect
        ids = d.values(subscriber_ids)

        def read(tx: Transaction) -> dict[int, Feedback]:
            verdicts = tx.tuples(
                "SELECT subscriber_id, paper_id, verdict FROM subscriber_feedback"
                f" WHERE {d.member('subscriber_id')} ORDER BY subscriber_id, at",
                (ids,),
            )
            saves = tx.tuples(SAVES_OF_SUBSCRIBERS.format(member=d.member("s.id")), (ids,))
            return combine_feedback(verdicts, saves)

        return self._db.read(read, snapshot=True)

    def use_link_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        def use(tx: Transaction) -> bool:
            tx.execute("DELETE FROM used_link_tokens WHERE expires_at < ?", (now,))
            return (
                tx.execute(
                    "INSERT INTO used_link_tokens (nonce, used_at, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (nonce) DO NOTHING",
                    (nonce, now, expires_at),
                ).rowcount
                == 1
            )

        return self._db.write(use)

    # -- composing --------------------------------------------------------------------

    def papers_arrived(
        self, start: datetime, end: datetime, *, announced_since: datetime
    ) -> list[tuple[str, datetime]]:
        rows = self._db.all(
            "SELECT id, first_seen_at FROM papers"
            " WHERE first_seen_at > ? AND first_seen_at <= ?"
            " AND (coalesce(announced, published) IS NULL"
            "      OR coalesce(announced, published) >= ?)"
            " ORDER BY first_seen_at, id",
            (start, end, announced_since.date()),
        )
        return [(row["id"], stored_moment(row["first_seen_at"])) for row in rows]

    def sent_among(self, paper_ids: Sequence[str]) -> dict[int, set[str]]:
        sent: dict[int, set[str]] = defaultdict(set)
        d = self._db.dialect
        rows = self._db.all(
            f"SELECT subscriber_id, paper_id FROM digest_sent WHERE {d.member('paper_id')}",
            (d.values(paper_ids),),
        )
        for row in rows:
            sent[row["subscriber_id"]].add(row["paper_id"])
        return dict(sent)

    def save_digest_plans(self, plans: Sequence[DigestPlan], now: datetime) -> list[bool]:
        def save(tx: Transaction) -> list[bool]:
            new: list[bool] = []
            for plan in plans:
                picks = orjson.dumps([{"id": p.paper_id, "reason": p.reason} for p in plan.picks])
                inserted = tx.execute(
                    f"INSERT INTO digests ({_PLAN_COLUMNS}, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (subscriber_id, period) DO NOTHING",
                    (plan.subscriber_id, plan.period, plan.window_start, plan.window_end,
                     plan.candidates, plan.capped, picks.decode(), plan.state, now),
                ).rowcount  # fmt: skip
                new.append(inserted == 1)
                if inserted != 1:
                    continue
                tx.executemany(
                    "INSERT INTO digest_sent (subscriber_id, paper_id, period)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [(plan.subscriber_id, p.paper_id, plan.period) for p in plan.picks],
                )
                tx.execute(
                    "UPDATE subscribers SET last_digest_at = ? WHERE id = ?",
                    (plan.window_end, plan.subscriber_id),
                )
            return new

        return self._db.write(save)

    def digest_plans(
        self, *, state: DigestState, subscriber_ids: Sequence[int] | None = None
    ) -> list[DigestPlan]:
        d = self._db.dialect
        query = f"SELECT {_PLAN_COLUMNS} FROM digests WHERE state = ?"
        if subscriber_ids is None:
            rows = self._db.all(query + " ORDER BY subscriber_id, period", (state,))
        else:
            rows = self._db.all(
                query + f" AND {d.member('subscriber_id')} ORDER BY subscriber_id, period",
                (state, d.values(subscriber_ids)),
            )
        return [_plan(row) for row in rows]

    def get_digest_plan(self, subscriber_id: int, period: str) -> DigestPlan | None:
        row = self._db.one(
            f"SELECT {_PLAN_COLUMNS} FROM digests WHERE subscriber_id = ? AND period = ?",
            (subscriber_id, period),
        )
        return _plan(row) if row else None

    def mark_digests(self, keys: Sequence[tuple[int, str]], state: DigestState) -> None:
        self._db.write(
            lambda tx: tx.executemany(
                "UPDATE digests SET state = ?"
                " WHERE subscriber_id = ? AND period = ? AND state = 'planned'",
                [(state, sid, period) for sid, period in keys],
            )
        )

    def topic_vectors(self, generation: str, topics: Iterable[str]) -> dict[str, bytes]:
        d = self._db.dialect
        rows = self._db.all(
            f"SELECT topic, vector FROM topic_vectors WHERE generation = ? AND {d.member('topic')}",
            (generation, d.values(topics)),
        )
        return {row["topic"]: bytes(row["vector"]) for row in rows}

    def put_topic_vectors(self, generation: str, vectors: Mapping[str, bytes]) -> None:
        self._db.write(
            lambda tx: tx.executemany(
                "INSERT INTO topic_vectors (generation, topic, vector) VALUES (?, ?, ?)"
                " ON CONFLICT (generation, topic) DO UPDATE SET vector = excluded.vector",
                [(generation, topic, vector) for topic, vector in vectors.items()],
            )
        )
