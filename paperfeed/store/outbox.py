"""The store's part in mail delivery: the outbox of messages and their states.

Engine-neutral interface; ``store/tables/outbox.py`` implements it for both engines. A
message moves pending -> sending -> sent, or -> failed after a permanent refusal or too
many attempts. Claiming is atomic and leased: a message whose claim expired (its sender
died) is claimed again and sent again with the same bytes and Message-ID. On SQLite the
claim is one ``BEGIN IMMEDIATE`` transaction; a PostgreSQL engine claims with
``SELECT ... FOR UPDATE SKIP LOCKED``. Addresses are compared lower-cased.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

# zlib level for stored message content: level 1 halves the time of the default (6) for
# about 10% more bytes on real digests, which are written once and read once.
CONTENT_COMPRESSION_LEVEL = 1

OutboxState = Literal["pending", "sending", "sent", "failed"]
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "sending", "sent", "failed")


@dataclass(frozen=True, slots=True)
class NewOutboxMessage:
    """A rendered message to queue: ``key`` is unique, ``content`` the exact bytes."""

    key: str
    kind: str
    sender: str
    recipient: str
    message_id: str
    content: bytes
    transactional: bool = False


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message this sender now owns until its lease expires."""

    id: int
    key: str
    sender: str
    recipient: str
    message_id: str
    content: bytes
    attempts: int  # including this one
    claim_token: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message's delivery state, without its content."""

    id: int
    key: str
    kind: str
    recipient: str
    message_id: str
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class BounceRecord:
    """Consecutive hard bounces of one address, and whether it is suppressed."""

    address: str
    hard_bounces: int
    suppressed: bool
    last_error: str | None


class OutboxStore(Protocol):
    """Messages waiting to be sent, being sent, sent or failed; bounces; suppression."""

    @abstractmethod
    def enqueue_messages(self, messages: Sequence[NewOutboxMessage]) -> list[bool]:
        """Queue messages in one transaction; per message, whether it was new.

        A key already in the outbox (in any state) is left as it is: queueing the same
        digest twice sends it once.
        """

    @abstractmethod
    def claim_outbox(
        self, *, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[ClaimedMessage]:
        """Atomically take up to ``limit`` due messages (oldest first) for sending.

        Due: pending with ``next_attempt_at <= now``, or sending with an expired lease.
        Non-transactional messages to suppressed addresses are marked failed instead.
        Each claimed message's attempt count goes up by one.
        """

    @abstractmethod
    def mark_outbox_sent(self, message_id: int, claim_token: str) -> bool:
        """The server accepted the message; false if the claim was lost meanwhile.

        Drops the stored content (no longer needed) and resets the address's
        consecutive hard-bounce count.
        """

    @abstractmethod
    def mark_outbox_retry(
        self, message_id: int, claim_token: str, *, error: str, next_attempt_at: datetime
    ) -> bool:
        """A temporary failure: back to pending, due again at ``next_attempt_at``."""

    @abstractmethod
    def mark_outbox_failed(
        self, message_id: int, claim_token: str, *, error: str, bounce_limit: int | None
    ) -> bool:
        """A permanent failure. With ``bounce_limit``, count a hard bounce for the
        recipient and suppress the address once it reaches the limit."""

    @abstractmethod
    def release_outbox(self, message_id: int, claim_token: str) -> bool:
        """Give a claimed message back untried (the transport was unusable)."""

    @abstractmethod
    def get_outbox_entry(self, key: str) -> OutboxEntry | None:
        """One message's state by its key."""

    @abstractmethod
    def outbox_counts(self) -> Mapping[OutboxState, int]:
        """How many messages are in each state (every state present, zero or not)."""

    @abstractmethod
    def bounce_record(self, address: str) -> BounceRecord:
        """Bounce count and suppression of an address (zero and false if unknown)."""

    @abstractmethod
    def suppressed_among(self, addresses: Iterable[str]) -> set[str]:
        """Which of ``addresses`` are suppressed (lower-cased), for composing in bulk."""

    @abstractmethod
    def suppress_address(self, address: str, reason: str) -> None:
        """Never send non-transactional mail to ``address`` again (until cleared)."""

    @abstractmethod
    def clear_suppression(self, address: str) -> bool:
        """Lift a suppression and reset the bounce count (the person confirmed again)."""

    @abstractmethod
    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the named lock; false while another holder's lease is live.

        A lease, not a lock that needs its holder alive: if the holder dies, the lease
        simply expires and the next run takes it.
        """

    @abstractmethod
    def release_lease(self, name: str, holder: str) -> None:
        """Give the named lock up (only if ``holder`` still holds it)."""
