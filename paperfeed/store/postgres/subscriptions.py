"""PostgreSQL implementation of ``SubscriptionStore``.

The same rules as on SQLite (see ``store/subscriptions.py``); uniqueness is enforced by
the schema (``ON CONFLICT DO NOTHING``), so concurrent web and worker processes cannot
create a second subscriber, digest or sent-log row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from psycopg.rows import tuple_row

from paperfeed.store.postgres.connection import Connection, PostgresPool
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


def _subscriber(row: Mapping[str, Any]) -> Subscriber:
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
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        preferences=preferences,
        last_digest_at=row["last_digest_at"],
    )


def _plan(row: Mapping[str, Any]) -> DigestPlan:
    picks = tuple(DigestPick(p["id"], p["reason"]) for p in orjson.loads(row["picks_json"]))
    return DigestPlan(
        subscriber_id=row["subscriber_id"],
        period=row["period"],
        window_start=row["window_start"],
        window_end=row["window_end"],
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


def _weekdays(preferences: DigestPreferences) -> str:
    return "".join(str(d) for d in preferences.weekdays)


def _insert_interests(conn: Connection, rows: list[tuple[int, str, str, int]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO subscriber_interests (subscriber_id, kind, value, position)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            rows,
        )


class PostgresSubscriptionStore(SubscriptionStore):
    """Mixed into ``PostgresPaperStore``; uses its pool (``self._pool``)."""

    _pool: PostgresPool

    def _one(self, statement: str, params: Sequence[Any]) -> dict[str, Any] | None:
        return self._pool.run(lambda conn: conn.execute(statement, params).fetchone())

    def _all(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._pool.run(lambda conn: conn.execute(statement, params).fetchall())

    # -- subscribers ------------------------------------------------------------------

    def add_subscriber(self, email: str) -> tuple[Subscriber, bool]:
        now = datetime.now(UTC).replace(microsecond=0)

        def add(conn: Connection) -> tuple[Subscriber, bool]:
            inserted = conn.execute(
                "INSERT INTO subscribers (email, status, created_at, updated_at)"
                " VALUES (%s, 'pending', %s, %s) ON CONFLICT (email) DO NOTHING",
                (email, now, now),
            ).rowcount
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE email = %s", (email,)
            ).fetchone()
            assert row is not None
            return _subscriber(row), inserted == 1

        return self._pool.run(add)

    def import_subscribers(
        self, rows: Sequence[tuple[str, DigestPreferences, Interests]], now: datetime
    ) -> int:
        def add(conn: Connection) -> int:
            added = 0
            for email, p, interests in rows:
                row = conn.execute(
                    "INSERT INTO subscribers (email, status, created_at, confirmed_at,"
                    " updated_at, cadence, weekdays, timezone, send_hour, max_papers,"
                    " trending_only, send_empty)"
                    " VALUES (%s, 'confirmed', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (email) DO NOTHING RETURNING id",
                    (email, now, now, now, p.cadence, _weekdays(p), p.timezone, p.send_hour,
                     p.max_papers, p.trending_only, p.send_empty),
                ).fetchone()  # fmt: skip
                if row is None:
                    continue
                added += 1
                _insert_interests(conn, _interest_rows(row["id"], interests))
            return added

        return self._pool.run(add)

    def get_subscriber(self, email: str) -> Subscriber | None:
        row = self._one(f"SELECT {_COLUMNS} FROM subscribers WHERE email = %s", (email,))
        return _subscriber(row) if row else None

    def get_subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self._one(f"SELECT {_COLUMNS} FROM subscribers WHERE id = %s", (subscriber_id,))
        return _subscriber(row) if row else None

    def confirm_subscriber(self, subscriber_id: int, now: datetime) -> Subscriber | None:
        row = self._one(
            "UPDATE subscribers SET status = 'confirmed', confirmed_at = %s, updated_at = %s,"
            " unsubscribed_at = NULL,"
            " last_digest_at = CASE WHEN status = 'confirmed' THEN last_digest_at END"
            f" WHERE id = %s RETURNING {_COLUMNS}",
            (now, now, subscriber_id),
        )
        return _subscriber(row) if row else None

    def unsubscribe_subscriber(self, subscriber_id: int, now: datetime) -> bool:
        row = self._one(
            "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = %s,"
            " updated_at = %s WHERE id = %s AND status <> 'unsubscribed' RETURNING id",
            (now, now, subscriber_id),
        )
        return row is not None

    def set_preferences(self, subscriber_id: int, preferences: DigestPreferences) -> None:
        p = preferences
        self._pool.run(
            lambda conn: conn.execute(
                "UPDATE subscribers SET cadence = %s, weekdays = %s, timezone = %s,"
                " send_hour = %s, max_papers = %s, trending_only = %s, send_empty = %s,"
                " updated_at = %s WHERE id = %s",
                (
                    p.cadence,
                    _weekdays(p),
                    p.timezone,
                    p.send_hour,
                    p.max_papers,
                    p.trending_only,
                    p.send_empty,
                    datetime.now(UTC),
                    subscriber_id,
                ),
            )
        )

    def confirmed_subscribers(self) -> list[Subscriber]:
        rows = self._all(
            f"SELECT {_COLUMNS} FROM subscribers WHERE status = 'confirmed' ORDER BY id"
        )
        return [_subscriber(row) for row in rows]

    # -- interests and feedback -------------------------------------------------------

    def set_interests(self, subscriber_id: int, interests: Interests) -> None:
        def replace(conn: Connection) -> None:
            conn.execute(
                "DELETE FROM subscriber_interests WHERE subscriber_id = %s", (subscriber_id,)
            )
            _insert_interests(conn, _interest_rows(subscriber_id, interests))

        self._pool.run(replace)

    def interests_of(self, subscriber_ids: Iterable[int]) -> dict[int, Interests]:
        found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        rows = self._all(
            "SELECT subscriber_id, kind, value FROM subscriber_interests"
            " WHERE subscriber_id = ANY(%s) ORDER BY subscriber_id, position",
            (list(subscriber_ids),),
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
            self._pool.run(
                lambda conn: conn.execute(
                    "DELETE FROM subscriber_feedback WHERE subscriber_id = %s AND paper_id = %s",
                    (subscriber_id, paper_id),
                )
            )
            return
        self._pool.run(
            lambda conn: conn.execute(
                "INSERT INTO subscriber_feedback (subscriber_id, paper_id, verdict, at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (subscriber_id, paper_id)"
                " DO UPDATE SET verdict = excluded.verdict, at = excluded.at",
                (subscriber_id, paper_id, 1 if verdict > 0 else -1, now),
            )
        )

    def feedback_of(self, subscriber_ids: Iterable[int]) -> dict[int, Feedback]:
        ids = list(subscriber_ids)

        def read(conn: Connection) -> dict[int, Feedback]:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor = conn.cursor(row_factory=tuple_row)
            verdicts = cursor.execute(
                "SELECT subscriber_id, paper_id, verdict FROM subscriber_feedback"
                " WHERE subscriber_id = ANY(%s) ORDER BY subscriber_id, at",
                (ids,),
            ).fetchall()
            saves = cursor.execute(
                SAVES_OF_SUBSCRIBERS.format(ids="SELECT unnest(%s::bigint[])"), (ids,)
            ).fetchall()
            return combine_feedback(verdicts, saves)

        return self._pool.run(read)

    def use_link_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        def use(conn: Connection) -> bool:
            conn.execute("DELETE FROM used_link_tokens WHERE expires_at < %s", (now,))
            return (
                conn.execute(
                    "INSERT INTO used_link_tokens (nonce, used_at, expires_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (nonce) DO NOTHING",
                    (nonce, now, expires_at),
                ).rowcount
                == 1
            )

        return self._pool.run(use)

    # -- composing --------------------------------------------------------------------

    def papers_arrived(
        self, start: datetime, end: datetime, *, announced_since: datetime
    ) -> list[tuple[str, datetime]]:
        rows = self._all(
            "SELECT id, first_seen_at FROM papers"
            " WHERE first_seen_at > %s AND first_seen_at <= %s"
            " AND (coalesce(announced, published) IS NULL"
            "      OR coalesce(announced, published) >= %s)"
            " ORDER BY first_seen_at, id",
            (start, end, announced_since.date()),
        )
        return [(row["id"], row["first_seen_at"]) for row in rows]

    def sent_among(self, paper_ids: Sequence[str]) -> dict[int, set[str]]:
        sent: dict[int, set[str]] = defaultdict(set)
        rows = self._all(
            "SELECT subscriber_id, paper_id FROM digest_sent WHERE paper_id = ANY(%s)",
            (list(paper_ids),),
        )
        for row in rows:
            sent[row["subscriber_id"]].add(row["paper_id"])
        return dict(sent)

    def save_digest_plans(self, plans: Sequence[DigestPlan], now: datetime) -> list[bool]:
        def save(conn: Connection) -> list[bool]:
            new: list[bool] = []
            for plan in plans:
                picks = orjson.dumps([{"id": p.paper_id, "reason": p.reason} for p in plan.picks])
                inserted = conn.execute(
                    f"INSERT INTO digests ({_PLAN_COLUMNS}, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (subscriber_id, period) DO NOTHING",
                    (plan.subscriber_id, plan.period, plan.window_start, plan.window_end,
                     plan.candidates, plan.capped, picks.decode(), plan.state, now),
                ).rowcount  # fmt: skip
                new.append(inserted == 1)
                if inserted != 1:
                    continue
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO digest_sent (subscriber_id, paper_id, period)"
                        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        [(plan.subscriber_id, p.paper_id, plan.period) for p in plan.picks],
                    )
                conn.execute(
                    "UPDATE subscribers SET last_digest_at = %s WHERE id = %s",
                    (plan.window_end, plan.subscriber_id),
                )
            return new

        return self._pool.run(save)

    def digest_plans(
        self, *, state: DigestState, subscriber_ids: Sequence[int] | None = None
    ) -> list[DigestPlan]:
        query = f"SELECT {_PLAN_COLUMNS} FROM digests WHERE state = %s"
        if subscriber_ids is None:
            rows = self._all(query + " ORDER BY subscriber_id, period", (state,))
        else:
            rows = self._all(
                query + " AND subscriber_id = ANY(%s) ORDER BY subscriber_id, period",
                (state, list(subscriber_ids)),
            )
        return [_plan(row) for row in rows]

    def get_digest_plan(self, subscriber_id: int, period: str) -> DigestPlan | None:
        row = self._one(
            f"SELECT {_PLAN_COLUMNS} FROM digests WHERE subscriber_id = %s AND period = %s",
            (subscriber_id, period),
        )
        return _plan(row) if row else None

    def mark_digests(self, keys: Sequence[tuple[int, str]], state: DigestState) -> None:
        def mark(conn: Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE digests SET state = %s"
                    " WHERE subscriber_id = %s AND period = %s AND state = 'planned'",
                    [(state, sid, period) for sid, period in keys],
                )

        self._pool.run(mark)

    def topic_vectors(self, generation: str, topics: Iterable[str]) -> dict[str, bytes]:
        rows = self._all(
            "SELECT topic, vector FROM topic_vectors WHERE generation = %s AND topic = ANY(%s)",
            (generation, list(topics)),
        )
        return {row["topic"]: bytes(row["vector"]) for row in rows}

    def put_topic_vectors(self, generation: str, vectors: Mapping[str, bytes]) -> None:
        def put(conn: Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO topic_vectors (generation, topic, vector) VALUES (%s, %s, %s)"
                    " ON CONFLICT (generation, topic) DO UPDATE SET vector = excluded.vector",
                    [(generation, topic, vector) for topic, vector in vectors.items()],
                )

        self._pool.run(put)
