"""The mail outbox, bounces, suppression and job leases, in SQL.

A message moves pending -> sending -> sent, or -> failed. A claim selects due rows
and marks them ``sending`` with a fresh token and lease in one transaction; the
engine says how due rows are found and taken (``_claim_due``): SQLite's single writer
already excludes a second claimer, PostgreSQL locks the rows ``FOR UPDATE SKIP
LOCKED`` so senders never wait for each other. Content is zlib-compressed and dropped once sent.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from paperfeed.store.database import Database, Row, Transaction
from paperfeed.store.dialect import moment, stored_moment
from paperfeed.store.outbox import (
    CONTENT_COMPRESSION_LEVEL,
    OUTBOX_STATES,
    BounceRecord,
    ClaimedMessage,
    NewOutboxMessage,
    OutboxEntry,
    OutboxState,
)

_RELEASED = "claim_token = NULL, lease_expires_at = NULL"


def _utc(moment: datetime | None = None) -> datetime:
    return datetime.now(UTC) if moment is None else moment.astimezone(UTC)


def _entry(row: Row) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        key=row["message_key"],
        kind=row["kind"],
        recipient=row["recipient"],
        message_id=row["message_id"],
        state=cast(OutboxState, row["state"]),
        attempts=row["attempts"],
        next_attempt_at=stored_moment(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=stored_moment(row["created_at"]),
        sent_at=moment(row["sent_at"]),
    )


def _claimed(row: Row) -> ClaimedMessage:
    return ClaimedMessage(
        id=row["id"],
        key=row["message_key"],
        sender=row["sender"],
        recipient=row["recipient"],
        message_id=row["message_id"],
        content=zlib.decompress(row["content"]),
        attempts=row["attempts"],
        claim_token=row["claim_token"],
    )


class OutboxTables:
    """``OutboxStore`` in SQL both engines run (mixed into the store)."""

    _db: Database
    _claim_due: str
    """The engine's query for up to ``?`` (limit) due rows, given the time twice:
    ``id``, ``transactional`` and whether the recipient is ``suppressed``."""

    def enqueue_messages(self, messages: Sequence[NewOutboxMessage]) -> list[bool]:
        now = _utc()

        def enqueue(tx: Transaction) -> list[bool]:
            return [
                tx.execute(
                    "INSERT INTO outbox (message_key, kind, sender, recipient, message_id,"
                    " content, transactional, next_attempt_at, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (m.key, m.kind, m.sender, m.recipient, m.message_id,
                     zlib.compress(m.content, CONTENT_COMPRESSION_LEVEL), m.transactional,
                     now, now, now),
                ).rowcount == 1
                for m in messages
            ]  # fmt: skip

        return self._db.write(enqueue)

    def claim_outbox(
        self, *, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[ClaimedMessage]:
        moment = _utc(now)
        lease = moment + timedelta(seconds=lease_seconds)
        token = secrets.token_hex(12)

        def claim(tx: Transaction) -> list[ClaimedMessage]:
            d = tx.dialect
            rows = tx.all(self._claim_due, (moment, moment, limit))
            blocked = [r["id"] for r in rows if r["suppressed"] and not r["transactional"]]
            if blocked:
                tx.execute(
                    "UPDATE outbox SET state = 'failed', last_error = 'recipient suppressed',"
                    f" {_RELEASED}, updated_at = ? WHERE {d.member('id')}",
                    (moment, d.values(blocked)),
                )
            ids = [r["id"] for r in rows if r["id"] not in set(blocked)]
            if not ids:
                return []
            claimed = tx.all(
                "UPDATE outbox SET state = 'sending', claim_token = ?, lease_expires_at = ?,"
                f" attempts = attempts + 1, updated_at = ? WHERE {d.member('id')}"
                " RETURNING id, message_key, sender, recipient, message_id, content, attempts,"
                " claim_token",
                (token, lease, moment, d.values(ids)),
            )
            return [_claimed(row) for row in sorted(claimed, key=lambda row: row["id"])]

        return self._db.write(claim)

    def mark_outbox_sent(self, message_id: int, claim_token: str) -> bool:
        now = _utc()

        def mark(tx: Transaction) -> bool:
            recipient = tx.value(
                "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?, content = NULL,"
                f" {_RELEASED}, last_error = NULL"
                " WHERE id = ? AND claim_token = ? RETURNING recipient",
                (now, now, message_id, claim_token),
            )
            if recipient is None:
                return False
            tx.execute(
                "UPDATE mail_bounces SET hard_bounces = 0 WHERE address = ? AND hard_bounces > 0",
                (recipient.lower(),),
            )
            return True

        return self._db.write(mark)

    def mark_outbox_retry(
        self, message_id: int, claim_token: str, *, error: str, next_attempt_at: datetime
    ) -> bool:
        return self._update_claimed(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?,"
            f" {_RELEASED}, updated_at = ? WHERE id = ? AND claim_token = ?",
            (_utc(next_attempt_at), error, _utc(), message_id, claim_token),
        )

    def _update_claimed(self, sql: str, params: tuple[object, ...]) -> bool:
        return self._db.write(lambda tx: tx.execute(sql, params).rowcount == 1)

    def mark_outbox_failed(
        self, message_id: int, claim_token: str, *, error: str, bounce_limit: int | None
    ) -> bool:
        now = _utc()

        def mark(tx: Transaction) -> bool:
            recipient = tx.value(
                "UPDATE outbox SET state = 'failed', last_error = ?,"
                f" {_RELEASED}, updated_at = ? WHERE id = ? AND claim_token = ?"
                " RETURNING recipient",
                (error, now, message_id, claim_token),
            )
            if recipient is None:
                return False
            if bounce_limit is not None:
                _count_bounce(tx, recipient.lower(), error, bounce_limit, now)
            return True

        return self._db.write(mark)

    def release_outbox(self, message_id: int, claim_token: str) -> bool:
        greatest = self._db.dialect.greatest
        return self._update_claimed(
            f"UPDATE outbox SET state = 'pending', attempts = {greatest}(attempts - 1, 0),"
            f" {_RELEASED}, updated_at = ? WHERE id = ? AND claim_token = ?",
            (_utc(), message_id, claim_token),
        )

    def get_outbox_entry(self, key: str) -> OutboxEntry | None:
        row = self._db.one("SELECT * FROM outbox WHERE message_key = ?", (key,))
        return _entry(row) if row else None

    def outbox_counts(self) -> Mapping[OutboxState, int]:
        counts: dict[OutboxState, int] = dict.fromkeys(OUTBOX_STATES, 0)
        for row in self._db.all("SELECT state, count(*) AS n FROM outbox GROUP BY state"):
            counts[cast(OutboxState, row["state"])] = row["n"]
        return counts

    def bounce_record(self, address: str) -> BounceRecord:
        key = address.lower()
        row = self._db.one(
            "SELECT (SELECT hard_bounces FROM mail_bounces WHERE address = ?) AS bounces,"
            " (SELECT last_error FROM mail_bounces WHERE address = ?) AS last_error,"
            " EXISTS (SELECT 1 FROM suppressed_addresses WHERE address = ?) AS suppressed",
            (key, key, key),
        )
        assert row is not None
        return BounceRecord(
            address=key,
            hard_bounces=row["bounces"] or 0,
            suppressed=bool(row["suppressed"]),
            last_error=row["last_error"],
        )

    def suppressed_among(self, addresses: Iterable[str]) -> set[str]:
        d = self._db.dialect
        rows = self._db.all(
            f"SELECT address FROM suppressed_addresses WHERE {d.member('address')}",
            (d.values(sorted({a.lower() for a in addresses})),),
        )
        return {row["address"] for row in rows}

    def suppress_address(self, address: str, reason: str) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE SET reason = excluded.reason",
                (address.lower(), reason, _utc()),
            )
        )

    def clear_suppression(self, address: str) -> bool:
        key = address.lower()

        def clear(tx: Transaction) -> bool:
            removed = tx.execute("DELETE FROM suppressed_addresses WHERE address = ?", (key,))
            tx.execute("DELETE FROM mail_bounces WHERE address = ?", (key,))
            return removed.rowcount == 1

        return self._db.write(clear)

    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        now = _utc()
        return self._db.write(
            lambda tx: (
                tx.execute(
                    "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                    " expires_at = excluded.expires_at"
                    " WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?",
                    (name, holder, now + timedelta(seconds=ttl_seconds), now),
                ).rowcount
                == 1
            )
        )

    def release_lease(self, name: str, holder: str) -> None:
        self._db.write(
            lambda tx: tx.execute(
                "DELETE FROM job_leases WHERE name = ? AND holder = ?", (name, holder)
            )
        )


def _count_bounce(tx: Transaction, address: str, error: str, limit: int, now: datetime) -> None:
    count = int(
        tx.value(
            "INSERT INTO mail_bounces (address, hard_bounces, last_error, last_bounce_at)"
            " VALUES (?, 1, ?, ?) ON CONFLICT (address) DO UPDATE SET"
            " hard_bounces = mail_bounces.hard_bounces + 1, last_error = excluded.last_error,"
            " last_bounce_at = excluded.last_bounce_at RETURNING hard_bounces",
            (address, error, now),
        )
    )
    if count >= limit:
        tx.execute(
            "INSERT INTO suppressed_addresses (address, reason, suppressed_at)"
            " VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING",
            (address, f"{count} hard bounces; last: {error}", now),
        )
