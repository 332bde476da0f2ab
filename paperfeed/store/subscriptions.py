"""The store's part in subscriptions (email digests): subscribers, interests, digests.

Engine-neutral interface; ``store/tables/subscriptions.py`` implements it for both engines.
Addresses arrive already validated and normalised (``paperfeed.web.forms``): the store
only guarantees one row per address. The rules (double opt-in, never a repeat) live in
``paperfeed.digest``; the store makes each step atomic.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

SubscriberStatus = Literal["pending", "confirmed", "unsubscribed"]
Cadence = Literal["daily", "weekly"]
InterestKind = Literal["topic", "category", "author"]
DigestState = Literal["planned", "queued", "dropped", "empty"]


@dataclass(frozen=True, slots=True)
class DigestPreferences:
    """When and what a subscriber receives; the defaults are a new subscriber's.

    ``weekdays`` are 0 (Monday) to 6; a weekly digest goes out on the first of them.
    ``trending_only`` ignores interests (the plain trending digest).
    """

    cadence: Cadence = "daily"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "UTC"
    send_hour: int = 7
    max_papers: int = 10
    trending_only: bool = True
    send_empty: bool = False


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One address that asked for the digest; ``pending`` until it is confirmed."""

    id: int
    email: str
    status: SubscriberStatus
    created_at: datetime
    confirmed_at: datetime | None = None
    preferences: DigestPreferences = field(default_factory=DigestPreferences)
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Interests:
    """What a subscriber follows, in the order they gave it."""

    topics: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.topics or self.categories or self.authors)


@dataclass(frozen=True, slots=True)
class Feedback:
    """Papers a subscriber gave a thumbs up or down."""

    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestPick:
    """One paper in a digest and the one-line reason it was picked."""

    paper_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """A composed digest: its window, its picks, and where it is on its way out."""

    subscriber_id: int
    period: str
    window_start: datetime
    window_end: datetime
    candidates: int
    capped: bool
    picks: tuple[DigestPick, ...]
    state: DigestState = "planned"


class SubscriptionStore(Protocol):
    """Subscribers to the email digest, what they follow, and what they were sent."""

    # -- subscribers ------------------------------------------------------------------

    @abstractmethod
    def add_subscriber(self, email: str) -> tuple[Subscriber, bool]:
        """Record a pending subscription; return it and whether it is new.

        Subscribing again with the same address never creates a second row; it returns
        the existing one unchanged (an unsubscribed row stays so until confirmed again).
        """

    @abstractmethod
    def import_subscribers(
        self, rows: Sequence[tuple[str, DigestPreferences, Interests]], now: datetime
    ) -> int:
        """Add confirmed subscribers in one transaction; return how many were new.

        Skips the double opt-in, so it is only for lists whose consent was proven
        elsewhere (moving from another newsletter service) and for benchmarks.
        Addresses already present are left as they are.
        """

    @abstractmethod
    def get_subscriber(self, email: str) -> Subscriber | None:
        """The subscriber with this (normalised) address."""

    @abstractmethod
    def get_subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        """The subscriber with this id."""

    @abstractmethod
    def confirm_subscriber(self, subscriber_id: int, now: datetime) -> Subscriber | None:
        """Mark confirmed (again); a returning subscriber starts a fresh digest window."""

    @abstractmethod
    def unsubscribe_subscriber(self, subscriber_id: int, now: datetime) -> bool:
        """Mark unsubscribed; false if it already was (or does not exist)."""

    @abstractmethod
    def set_preferences(self, subscriber_id: int, preferences: DigestPreferences) -> None:
        """Replace when and how much the subscriber receives."""

    @abstractmethod
    def confirmed_subscribers(self) -> list[Subscriber]:
        """Every confirmed subscriber (the scheduler decides who is due)."""

    # -- interests and feedback -------------------------------------------------------

    @abstractmethod
    def set_interests(self, subscriber_id: int, interests: Interests) -> None:
        """Replace the subscriber's topics, categories and authors."""

    @abstractmethod
    def interests_of(self, subscriber_ids: Iterable[int]) -> dict[int, Interests]:
        """Interests of many subscribers at once (absent: none recorded)."""

    @abstractmethod
    def record_feedback(
        self, subscriber_id: int, paper_id: str, verdict: int | None, now: datetime
    ) -> None:
        """Thumbs up (1) or down (-1) on a paper; ``None`` forgets the verdict."""

    @abstractmethod
    def feedback_of(self, subscriber_ids: Iterable[int]) -> dict[int, Feedback]:
        """Liked and disliked papers of many subscribers at once: their thumbs in
        digests, and the papers saved by the account with their address (see
        ``combine_feedback``)."""

    @abstractmethod
    def use_link_nonce(self, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record a single-use link as used; false if it already was."""

    # -- composing --------------------------------------------------------------------

    @abstractmethod
    def papers_arrived(
        self, start: datetime, end: datetime, *, announced_since: datetime
    ) -> list[tuple[str, datetime]]:
        """Papers first seen in ``(start, end]`` and announced (or published) no earlier
        than ``announced_since``'s day, with when each arrived (a back-filled old paper
        is not new)."""

    @abstractmethod
    def sent_among(self, paper_ids: Sequence[str]) -> dict[int, set[str]]:
        """Which of ``paper_ids`` each subscriber was already sent (the sent-log)."""

    @abstractmethod
    def save_digest_plans(self, plans: Sequence[DigestPlan], now: datetime) -> list[bool]:
        """Record digests, their picks in the sent-log and each subscriber's new window
        start, in one transaction. Per plan, whether it was new: a (subscriber, period)
        already planned is left as it is."""

    @abstractmethod
    def digest_plans(
        self, *, state: DigestState, subscriber_ids: Sequence[int] | None = None
    ) -> list[DigestPlan]:
        """Digests in ``state`` (of these subscribers, or of all)."""

    @abstractmethod
    def get_digest_plan(self, subscriber_id: int, period: str) -> DigestPlan | None:
        """One digest by subscriber and period."""

    @abstractmethod
    def mark_digests(self, keys: Sequence[tuple[int, str]], state: DigestState) -> None:
        """Planned digests (subscriber id, period) are queued in the outbox, or dropped."""

    @abstractmethod
    def topic_vectors(self, generation: str, topics: Iterable[str]) -> dict[str, bytes]:
        """Stored vectors (float32 bytes) of topics in an embedding generation."""

    @abstractmethod
    def put_topic_vectors(self, generation: str, vectors: Mapping[str, bytes]) -> None:
        """Keep topic vectors so a topic is embedded once per generation."""


SAVES_OF_SUBSCRIBERS = (
    "SELECT s.id, m.paper_id FROM subscribers s"
    " JOIN accounts a ON a.email = s.email"
    " JOIN paper_marks m ON m.account_id = a.id AND m.kind = 'save'"
    " WHERE {member} ORDER BY s.id, m.created_at, m.paper_id"
)
"""Each subscriber's saved papers (an account and a subscriber with one address are
one person); ``{member}``: the dialect's test that ``s.id`` is in the list parameter."""


def combine_feedback(
    verdicts: Iterable[tuple[int, str, int]], saves: Iterable[tuple[int, str]]
) -> dict[int, Feedback]:
    """Feedback from ``(subscriber, paper, verdict)`` thumbs in digests, oldest first,
    and ``(subscriber, paper)`` saves: a saved paper counts as liked unless the
    subscriber gave it a thumbs down."""
    liked: dict[int, dict[str, None]] = {}
    disliked: dict[int, dict[str, None]] = {}
    for subscriber, paper_id, verdict in verdicts:
        (liked if verdict > 0 else disliked).setdefault(subscriber, {})[paper_id] = None
    for subscriber, paper_id in saves:
        if paper_id not in disliked.get(subscriber, {}):
            liked.setdefault(subscriber, {})[paper_id] = None
    return {
        sid: Feedback(tuple(liked.get(sid, ())), tuple(disliked.get(sid, ())))
        for sid in liked.keys() | disliked.keys()
    }
