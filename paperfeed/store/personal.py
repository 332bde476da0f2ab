"""What the personal ranking keeps per reader, and the narrow protocol its callers type
against (``PersonalStore``).

One profile per person, keyed by the account: ratings, follows and the imported
library live here; saves and upvotes (``paper_marks``) and the digest's thumbs and
interests (``subscriber_feedback``, ``subscriber_interests``, joined by the address)
are read as part of the same profile. See migration 0011 for how they map.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

Rating = Literal["more", "less"]
FollowKind = Literal["author", "category", "topic"]
TokenKind = Literal["feed", "api"]
EventKind = Literal["library", "save", "upvote", "more", "less"]

FOLLOW_KINDS: tuple[FollowKind, ...] = ("author", "category", "topic")


@dataclass(frozen=True, slots=True)
class ProfileEvent:
    """One thing a reader did with a paper: imported, saved, upvoted or rated it."""

    paper_id: str
    kind: EventKind
    at: datetime


@dataclass(frozen=True, slots=True)
class Follow:
    kind: FollowKind
    value: str


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything a reader's model is trained from, oldest event first."""

    account_id: int
    events: tuple[ProfileEvent, ...] = ()
    follows: tuple[Follow, ...] = ()

    @property
    def paper_ids(self) -> set[str]:
        """Papers the reader already has or has judged: never recommended to them."""
        return {e.paper_id for e in self.events}


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A reader's saved model and what it was trained from."""

    generation: str
    format: int
    fingerprint: str
    state: bytes
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PersonalToken:
    """A private-feed or API token as kept: its digest (never the token), label and use."""

    token_hash: str
    kind: TokenKind
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredBackground:
    generation: str
    papers: int
    state: bytes
    fitted_at: datetime


class PersonalStore(Protocol):
    """Ratings, follows, library, models and personal tokens."""

    @abstractmethod
    def ensure_account(self, email: str, display_name: str) -> int:
        """The id of the account of this (normalised) address, created if missing;
        unlike a sign-in, nothing else about the account changes."""

    @abstractmethod
    def account_id(self, email: str) -> int | None:
        """The id of the account of this (normalised) address, if there is one."""

    @abstractmethod
    def account_ids(self, emails: Sequence[str]) -> dict[str, int]:
        """The accounts of these (normalised) addresses that have one, by address."""

    @abstractmethod
    def rate(self, account_id: int, paper_id: str, rating: Rating, at: datetime) -> None:
        """Record "more like this" or "not for me", replacing the reader's earlier one."""

    @abstractmethod
    def unrate(self, account_id: int, paper_id: str) -> bool:
        """Withdraw a rating; whether there was one."""

    @abstractmethod
    def ratings_of(self, account_id: int, paper_ids: Sequence[str]) -> dict[str, Rating]:
        """The reader's own ratings of these papers (pages show them and hide "not for
        me")."""

    @abstractmethod
    def papers_by_author_text(self, fragment: str, limit: int) -> list[str]:
        """Ids of papers whose author list contains ``fragment`` (lower-cased; ``_``
        stands for any one letter), newest first: the candidates an author page then
        matches by name."""

    @abstractmethod
    def follow(self, account_id: int, kind: FollowKind, value: str, at: datetime) -> bool:
        """Follow an author, category or topic; false if already followed."""

    @abstractmethod
    def unfollow(self, account_id: int, kind: FollowKind, values: Sequence[str]) -> int:
        """Stop following these exact values, here and in the digest's interests of the
        same person; how many rows went."""

    @abstractmethod
    def add_to_library(
        self, account_id: int, paper_ids: Sequence[str], source: str, at: datetime
    ) -> int:
        """Add papers to the reader's library, in one transaction; how many were new."""

    @abstractmethod
    def profile(self, account_id: int) -> Profile:
        """The reader's events and follows, from every place that holds them."""

    @abstractmethod
    def papers_titled(self, titles: Sequence[str]) -> dict[str, list[str]]:
        """Paper ids by lower-cased plain title, for the given lower-cased titles (an
        exact match of the stored title; non-ASCII letters compare as stored on
        SQLite)."""

    @abstractmethod
    def profiles(self, account_ids: Sequence[int]) -> dict[int, Profile]:
        """Many readers' profiles in one snapshot, one query per table (a digest batch)."""

    @abstractmethod
    def reader_model(self, account_id: int) -> StoredModel | None: ...

    @abstractmethod
    def reader_models(self, account_ids: Sequence[int]) -> dict[int, StoredModel]:
        """The kept models of many readers, in one query (those without one are absent)."""

    @abstractmethod
    def save_reader_model(self, account_id: int, model: StoredModel) -> None: ...

    @abstractmethod
    def save_reader_models(self, models: Mapping[int, StoredModel]) -> None:
        """Keep many readers' models in one transaction."""

    @abstractmethod
    def reader_background(self, generation: str) -> StoredBackground | None: ...

    @abstractmethod
    def save_reader_background(self, background: StoredBackground) -> None: ...

    @abstractmethod
    def add_personal_token(
        self, account_id: int, kind: TokenKind, token_hash: str, label: str, at: datetime
    ) -> None:
        """Keep the digest of a new private-feed or API token."""

    @abstractmethod
    def personal_token_account(self, kind: TokenKind, token_hash: str, now: datetime) -> int | None:
        """The account a live (not revoked) token belongs to, noting its use."""

    @abstractmethod
    def revoke_personal_tokens(self, account_id: int, kind: TokenKind, now: datetime) -> int:
        """Revoke every live token of this kind of the reader; how many."""

    @abstractmethod
    def replace_personal_token(
        self, account_id: int, kind: TokenKind, token_hash: str, label: str, at: datetime
    ) -> int:
        """Revoke the reader's live tokens of this kind and keep the new one, in one
        transaction (a rotated feed URL stops working at once); how many were revoked."""

    @abstractmethod
    def revoke_personal_token(self, account_id: int, token_hash: str, now: datetime) -> bool:
        """Revoke one of the reader's tokens; whether it was live."""

    @abstractmethod
    def personal_tokens(self, account_id: int) -> list[PersonalToken]:
        """The reader's tokens, live and revoked, newest first."""

    @abstractmethod
    def personal_rows(self, account_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row the store holds about the reader, by table, in one snapshot (what
        "download my data" gives them): account, subscription, digest interests,
        thumbs and sent-log, ratings, follows, library, saves and upvotes, token
        metadata (never the digests)."""

    @abstractmethod
    def forget_personal_data(self, account_id: int) -> None:
        """Delete the reader's ratings (the digest's thumbs too), follows (the digest's
        interests too), library, model, tokens and collections in one transaction (the
        account itself goes with ``delete_account``, which cascades)."""
