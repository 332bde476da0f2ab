"""PostgreSQL implementation of ``OutboxStore``.

Many senders share the outbox: a claim selects due rows ``FOR UPDATE SKIP LOCKED``
and marks them ``sending`` with a fresh token and lease in the same transaction, so
two senders never claim the same row and neither waits for the other. Content is
zlib-compressed and dropped once the message is sent, as on SQLite.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from paperfeed.store.outbox import (
    CONTENT_COMPRESSION_LEVEL,
    OUTBOX_STATES,
    BounceRecord,
    ClaimedMessage,
    NewOutboxMessage,
    OutboxEntry,
    OutboxState,
    OutboxStore,
)
from paperfeed.store.postgres.connection import Connection, PostgresPool


def _utc(moment: datetime | None) -> datetime:
    return datetime.now(UTC) if moment is None else moment.astimezone(UTC)


def _entry(row: Mapping[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        key=row["message_key"],
        kind=row["kind"],
        recipient=row["recipient"],
        message_id=row["message_id"],
        state=cast(OutboxState, row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )


class PostgresOutboxStore(OutboxStore):
    """Mixed into ``PostgresPaperStore``; uses its pool (``self._pool``)."""

    _pool: PostgresPool

    def enqueue_messages(self, messages: Sequence[NewOutboxMessage]) -> list[bool]:
        now = _utc(None)

        def enqueue(conn: Connection) -> list[bool]:
            new = []
            for m in messages:
                row = conn.execute(
                    "INSERT INTO outbox (message_key, kind, sender, recipient, message_id,"
                    " content, transactional, next_attempt_at, created_at, updated_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    (m.key, m.kind, m.sender, m.recipient, m.message_id,
                     zlib.compress(m.content, CONTENT_COMPRESSION_LEVEL), m.transactional,
                     now, now, now),
                ).fetchone()  # fmt: skip
                new.append(row is not None)
            return new

        return self._pool.run(enqueue)

    def claim_outbox(
        self, *, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[ClaimedMessage]:
        moment = _utc(now)
        lease = moment + timedelta(seconds=lease_seconds)
        token = secrets.token_hex(12)

        def claim(conn: Connection) -> list[ClaimedMessage]:
            rows = conn.execute(
                "SELECT o.id, o.transactional, EXISTS (SELECT 1 FROM suppressed_addresses s"
                " WHERE s.address = lower(o.recipient)) AS suppressed FROM outbox o"
                " WHERE (o.state = 'pending' AND o.next_attempt_at <= %s)"
                " OR (o.state = 'sending' AND o.lease_expires_at <= %s)"
                " ORDER BY o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED",
                (moment, moment, limit),
            ).fetchall()
            blocked = [r["id"] for r in rows if r["suppressed"] and not r["transactional"]]
            if blocked:
                conn.execute(
                    "UPDATE outbox SET state = 'failed', last_error = 'recipient suppressed',"
                    " claim_token = NULL, lease_expires_at = NULL, updated_at = %s"
                    " WHERE id = ANY(%s)",
                    (moment, blocked),
                )
            ids = [r["id"] for r in rows if r["id"] not in set(blocked)]
            if not ids:
                return []
            claimed = conn.execute(
                "UPDATE outbox SET state = 'sending', claim_token = %s, lease_expires_at = %s,"
                " attempts = attempts + 1, updated_at = %s WHERE id = ANY(%s)"
                " RETURNING id, message_key, sender, recipient, message_id, content, attempts,"
                " claim_token",
                (token, lease, moment, ids),
            ).fetchall()
            return [
                ClaimedMessage(
                    id=r["id"],
                    key=r["message_key"],
                    sender=r["sender"],
                    recipient=r["recipient"],
                    message_id=r["message_id"],
                    content=zlib.decompress(r["content"]),
                    attempts=r["attempts"],
                    claim_token=r["claim_token"],
                )
                for r in sorted(claimed, key=lambda r: r["id"])
            ]

        return self._pool.run(claim)

    def mark_outbox_sent(self, message_id: int, claim_token: str) -> bool:
        now = _utc(None)

        def mark(conn: Connection) -> bool:
            row = conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = %s, updated_at = %s,"
                " content = NULL, claim_token = NULL, lease_expires_at = NULL,"
                " last_error = NULL WHERE id = %s AND claim_token = %s RETURNING recipient",
                (now, now, message_id, claim_token),
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE mail_bounces SET hard_bounces = 0 WHERE address = %s AND hard_bounces > 0",
                (row["recipient"].lower(),),
            )
            return True

        return self._pool.run(mark)

    def mark_outbox_retry(
        self, message_id: int, claim_token: str, *, error: str, next_attempt_at: datetime
    ) -> bool:
        return self._update_claimed(
            "UPDATE outbox SET state = 'pending', next_attempt_at = %s, last_error = %s,"
            " claim_token = NULL, lease_expires_at = NULL, updated_at = %s"
            " WHERE id = %s AND claim_token = %s",
            (_utc(next_attempt_at), error, _utc(None), message_id, claim_token),
        )

    def _update_claimed(self, statement: str, params: Sequence[Any]) -> bool:
        return self._pool.run(lambda conn: conn.execute(statement, params).rowcount == 1)

    def mark_outbox_failed(
        self, message_id: int, claim_token: str, *, error: str, bounce_limit: int | None
    ) -> bool:
        now = _utc(None)

        def mark(conn: Connection) -> bool:
            row = conn.execute(
                "UPDATE outbox SET state = 'failed', last_error = %s, claim_token = NULL,"
                " lease_expires_at = NULL, updated_at = %s WHERE id = %s AND claim_token = %s"
                " RETURNING recipient",
                (error, now, message_id, claim_token),
            ).fetchone()
            if row is None:
                return False
            if bounce_limit is not None:
                _count_bounce(conn, row["recipient"].lower(), error, bounce_limit, now)
            return True

        return self._pool.run(mark)

    def release_outbox(self, message_id: int, claim_token: str) -> bool:
        return self._update_claimed(
            "UPDATE outbox SET state = 'pending', attempts = greatest(attempts - 1, 0),"
            " claim_token = NULL, lease_expires_at = NULL, updated_at = %s"
            " WHERE id = %s AND claim_token = %s",
            (_utc(None), message_id, claim_token),
        )

    def get_outbox_entry(self, key: str) -> OutboxEntry | None:
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT * FROM outbox WHERE message_key = %s", (key,)
            ).fetchone()
        )
        return _entry(row) if row else None

    def outbox_counts(self) -> Mapping[OutboxState, int]:
        counts: dict[OutboxState, int] = dict.fromkeys(OUTBOX_STATES, 0)
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT state, count(*) AS n FROM outbox GROUP BY state"
            ).fetchall()
        )
        for row in rows:
            counts[cast(OutboxState, row["state"])] = row["n"]
        return counts

    def bounce_record(self, address: str) -> BounceRecord:
        key = address.lower()
        row = self._pool.run(
            lambda conn: conn.execute(
                "SELECT (SELECT hard_bounces FROM mail_bounces WHERE address = %s) AS bounces,"
                " (SELECT last_error FROM mail_bounces WHERE address = %s) AS last_error,"
                " EXISTS (SELECT 1 FROM suppressed_addresses WHERE address = %s) AS suppressed",
                (key, key, key),
            ).fetchone()
        )
        assert row is not None
        return BounceRecord(
            address=key,
            hard_bounces=row["bounces"] or 0,
            suppressed=row["suppressed"],
            last_error=row["last_error"],
        )

    def suppressed_among(self, addresses: Iterable[str]) -> set[str]:
        wanted = sorted({a.lower() for a in addresses})
        rows = self._pool.run(
            lambda conn: conn.execute(
                "SELECT address FROM suppressed_addresses WHERE address = ANY(%s)", (wanted,)
            ).fetchall()
        )
        return {row["address"] for row in rows}

    def suppress_address(self, address: str, reason: str) -> None:
        self._pool.run(
            lambda conn: conn.execute(
                "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
                " VALUES (%s, %s, %s) ON CONFLICT (address) DO UPDATE SET reason = excluded.reason",
                (address.lower(), reason, _utc(None)),
            )
        )

    def clear_suppression(self, address: str) -> bool:
        key = address.lower()

        def clear(conn: Connection) -> bool:
            removed = conn.execute(
                "DELETE FROM suppressed_addresses WHERE address = %s", (key,)
            ).rowcount
            conn.execute("DELETE FROM mail_bounces WHERE address = %s", (key,))
            return removed == 1

        return self._pool.run(clear)

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        now = _utc(None)
        return self._pool.run(
            lambda conn: (
                conn.execute(
                    "INSERT INTO job_leases (name, holder, expires_at) VALUES (%s, %s, %s)"
                    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                    " expires_at = excluded.expires_at"
                    " WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= %s",
                    (name, holder, now + timedelta(seconds=ttl_seconds), now),
                ).rowcount
                == 1
            )
        )

    def release_lease(self, name: str, holder: str) -> None:
        self._pool.run(
            lambda conn: conn.execute(
                "DELETE FROM job_leases WHERE name = %s AND holder = %s", (name, holder)
            )
        )


def _count_bounce(conn: Connection, address: str, error: str, limit: int, now: datetime) -> None:
    row = conn.execute(
        "INSERT INTO mail_bounces (address, hard_bounces, last_error, last_bounce_at)"
        " VALUES (%s, 1, %s, %s) ON CONFLICT (address) DO UPDATE SET"
        " hard_bounces = mail_bounces.hard_bounces + 1, last_error = excluded.last_error,"
        " last_bounce_at = excluded.last_bounce_at RETURNING hard_bounces",
        (address, error, now),
    ).fetchone()
    count = int(row["hard_bounces"]) if row else 0
    if count >= limit:
        conn.execute(
            "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
            " VALUES (%s, %s, %s) ON CONFLICT (address) DO NOTHING",
            (address, f"{count} hard bounces; last: {error}", now),
        )
