"""SQLite implementation of ``OutboxStore``.

SQLite has one writer at a time, so a claim is simply a ``BEGIN IMMEDIATE``
transaction that selects due rows and marks them ``sending`` with a fresh claim token
and lease: two senders can never claim the same row. Content is zlib-compressed (a
digest's HTML shrinks several-fold) and dropped once the message is sent.
"""

from __future__ import annotations

import secrets
import sqlite3
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

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
from paperfeed.store.sqlite.connection import ConnectionPool
from paperfeed.store.sqlite.sql import chunks, marks


def _utc(moment: datetime | None) -> datetime:
    return datetime.now(UTC) if moment is None else moment.astimezone(UTC)


def _ts(moment: datetime) -> str:
    """A sortable UTC timestamp: text comparison equals time comparison."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        key=row["message_key"],
        kind=row["kind"],
        recipient=row["recipient"],
        message_id=row["message_id"],
        state=cast(OutboxState, row["state"]),
        attempts=row["attempts"],
        next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=datetime.fromisoformat(row["created_at"]),
        sent_at=_dt(row["sent_at"]),
    )


class SQLiteOutboxStore(OutboxStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""

    _pool: ConnectionPool

    def enqueue_messages(self, messages: Sequence[NewOutboxMessage]) -> list[bool]:
        now = _ts(_utc(None))
        new: list[bool] = []
        with self._pool.write() as conn:
            for m in messages:
                cursor = conn.execute(
                    "INSERT INTO outbox (message_key, kind, sender, recipient, message_id,"
                    " content, transactional, next_attempt_at, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        m.key,
                        m.kind,
                        m.sender,
                        m.recipient,
                        m.message_id,
                        zlib.compress(m.content, CONTENT_COMPRESSION_LEVEL),
                        int(m.transactional),
                        now,
                        now,
                        now,
                    ),
                )
                new.append(cursor.rowcount == 1)
        return new

    def claim_outbox(
        self, *, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[ClaimedMessage]:
        moment = _utc(now)
        stamp, lease = _ts(moment), _ts(moment + timedelta(seconds=lease_seconds))
        token = secrets.token_hex(12)
        with self._pool.write() as conn:
            rows = conn.execute(
                "SELECT id, transactional, lower(recipient) IN (SELECT address"
                " FROM suppressed_addresses) AS suppressed FROM outbox"
                " WHERE state = 'pending' AND next_attempt_at <= ?"
                " UNION ALL SELECT id, transactional, lower(recipient) IN (SELECT address"
                " FROM suppressed_addresses) FROM outbox"
                " WHERE state = 'sending' AND lease_expires_at <= ?"
                " ORDER BY id LIMIT ?",
                (stamp, stamp, limit),
            ).fetchall()
            blocked = [(stamp, r["id"]) for r in rows if r["suppressed"] and not r["transactional"]]
            conn.executemany(
                "UPDATE outbox SET state = 'failed', last_error = 'recipient suppressed',"
                " claim_token = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                blocked,
            )
            blocked_ids = {row_id for _, row_id in blocked}
            ids = [r["id"] for r in rows if r["id"] not in blocked_ids]
            conn.executemany(
                "UPDATE outbox SET state = 'sending', claim_token = ?, lease_expires_at = ?,"
                " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(token, lease, stamp, row_id) for row_id in ids],
            )
            return self._claimed(conn, ids)

    @staticmethod
    def _claimed(conn: sqlite3.Connection, ids: list[int]) -> list[ClaimedMessage]:
        claimed: list[ClaimedMessage] = []
        for chunk in chunks(ids):
            rows = conn.execute(
                "SELECT id, message_key, sender, recipient, message_id, content, attempts,"
                f" claim_token FROM outbox WHERE id IN ({marks(len(chunk))})"
                " ORDER BY id",
                chunk,
            )
            claimed.extend(
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
                for r in rows
            )
        return claimed

    def mark_outbox_sent(self, message_id: int, claim_token: str) -> bool:
        now = _ts(_utc(None))
        with self._pool.write() as conn:
            row = conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?, content = NULL,"
                " claim_token = NULL, lease_expires_at = NULL, last_error = NULL"
                " WHERE id = ? AND claim_token = ? RETURNING recipient",
                (now, now, message_id, claim_token),
            ).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE mail_bounces SET hard_bounces = 0 WHERE address = ? AND hard_bounces > 0",
                (row["recipient"].lower(),),
            )
        return True

    def mark_outbox_retry(
        self, message_id: int, claim_token: str, *, error: str, next_attempt_at: datetime
    ) -> bool:
        with self._pool.write() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?,"
                " claim_token = NULL, lease_expires_at = NULL, updated_at = ?"
                " WHERE id = ? AND claim_token = ?",
                (_ts(next_attempt_at), error, _ts(_utc(None)), message_id, claim_token),
            )
        return cursor.rowcount == 1

    def mark_outbox_failed(
        self, message_id: int, claim_token: str, *, error: str, bounce_limit: int | None
    ) -> bool:
        now = _ts(_utc(None))
        with self._pool.write() as conn:
            row = conn.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?, claim_token = NULL,"
                " lease_expires_at = NULL, updated_at = ? WHERE id = ? AND claim_token = ?"
                " RETURNING recipient",
                (error, now, message_id, claim_token),
            ).fetchone()
            if row is None:
                return False
            if bounce_limit is not None:
                self._count_bounce(conn, row["recipient"].lower(), error, bounce_limit, now)
        return True

    @staticmethod
    def _count_bounce(
        conn: sqlite3.Connection, address: str, error: str, limit: int, now: str
    ) -> None:
        count = conn.execute(
            "INSERT INTO mail_bounces (address, hard_bounces, last_error, last_bounce_at)"
            " VALUES (?, 1, ?, ?) ON CONFLICT (address) DO UPDATE SET"
            " hard_bounces = hard_bounces + 1, last_error = excluded.last_error,"
            " last_bounce_at = excluded.last_bounce_at RETURNING hard_bounces",
            (address, error, now),
        ).fetchone()[0]
        if count >= limit:
            conn.execute(
                "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING",
                (address, f"{count} hard bounces; last: {error}", now),
            )

    def release_outbox(self, message_id: int, claim_token: str) -> bool:
        with self._pool.write() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'pending', attempts = max(attempts - 1, 0),"
                " claim_token = NULL, lease_expires_at = NULL, updated_at = ?"
                " WHERE id = ? AND claim_token = ?",
                (_ts(_utc(None)), message_id, claim_token),
            )
        return cursor.rowcount == 1

    def get_outbox_entry(self, key: str) -> OutboxEntry | None:
        row = (
            self._pool.get()
            .execute("SELECT * FROM outbox WHERE message_key = ?", (key,))
            .fetchone()
        )
        return _entry(row) if row else None

    def outbox_counts(self) -> Mapping[OutboxState, int]:
        counts: dict[OutboxState, int] = dict.fromkeys(OUTBOX_STATES, 0)
        for state, count in self._pool.get().execute(
            "SELECT state, count(*) FROM outbox GROUP BY state"
        ):
            counts[cast(OutboxState, state)] = count
        return counts

    def bounce_record(self, address: str) -> BounceRecord:
        key = address.lower()
        with self._pool.read() as conn:
            bounce = conn.execute(
                "SELECT hard_bounces, last_error FROM mail_bounces WHERE address = ?", (key,)
            ).fetchone()
            suppressed = conn.execute(
                "SELECT 1 FROM suppressed_addresses WHERE address = ?", (key,)
            ).fetchone()
        return BounceRecord(
            address=key,
            hard_bounces=bounce["hard_bounces"] if bounce else 0,
            suppressed=suppressed is not None,
            last_error=bounce["last_error"] if bounce else None,
        )

    def suppressed_among(self, addresses: Iterable[str]) -> set[str]:
        wanted = sorted({a.lower() for a in addresses})
        found: set[str] = set()
        conn = self._pool.get()
        for chunk in chunks(wanted):
            rows = conn.execute(
                f"SELECT address FROM suppressed_addresses WHERE address IN ({marks(len(chunk))})",
                chunk,
            )
            found.update(row[0] for row in rows)
        return found

    def suppress_address(self, address: str, reason: str) -> None:
        with self._pool.write() as conn:
            conn.execute(
                "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE SET reason = excluded.reason",
                (address.lower(), reason, _ts(_utc(None))),
            )

    def clear_suppression(self, address: str) -> bool:
        key = address.lower()
        with self._pool.write() as conn:
            removed = conn.execute(
                "DELETE FROM suppressed_addresses WHERE address = ?", (key,)
            ).rowcount
            conn.execute("DELETE FROM mail_bounces WHERE address = ?", (key,))
        return removed == 1

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        now = _utc(None)
        with self._pool.write() as conn:
            cursor = conn.execute(
                "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at"
                " WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?",
                (name, holder, _ts(now + timedelta(seconds=ttl_seconds)), _ts(now)),
            )
        return cursor.rowcount == 1

    def release_lease(self, name: str, holder: str) -> None:
        with self._pool.write() as conn:
            conn.execute("DELETE FROM job_leases WHERE name = ? AND holder = ?", (name, holder))
