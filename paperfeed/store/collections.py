"""What collections keep (a reader's named lists of papers with a note per paper), and
the narrow protocol their callers type against (``CollectionStore``).

The store checks nothing but ownership and uniqueness: names, lengths and what a
visitor may see are ``paperfeed.collections``' rules.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Collection:
    """One named list of one reader."""

    id: int
    account_id: int
    name: str
    description: str
    public: bool
    created_at: datetime
    updated_at: datetime
    papers: int = 0
    owner_name: str = ""


@dataclass(frozen=True, slots=True)
class CollectionEntry:
    """A paper in a list, with the reader's note on it."""

    paper_id: str
    note: str
    added_at: datetime


class CollectionStore(Protocol):
    """Named lists of papers per account."""

    @abstractmethod
    def create_collection(
        self, account_id: int, name: str, name_key: str, *, public: bool, at: datetime
    ) -> Collection | None:
        """A new list; ``None`` if the reader already has one with this ``name_key``."""

    @abstractmethod
    def collection(self, collection_id: int) -> Collection | None:
        """A list by id, with its paper count and its owner's display name."""

    @abstractmethod
    def collection_named(self, account_id: int, name_key: str) -> Collection | None:
        """The reader's list of this ``name_key``."""

    @abstractmethod
    def collections_of(self, account_id: int) -> list[Collection]:
        """The reader's lists, most recently changed first, with their paper counts."""

    @abstractmethod
    def update_collection(
        self,
        collection_id: int,
        account_id: int,
        *,
        name: str,
        name_key: str,
        description: str,
        public: bool,
        at: datetime,
    ) -> bool:
        """Rename, describe and set the visibility of the reader's own list; false if it
        is not theirs. Raises nothing on a name clash: the caller checks first and the
        unique key refuses a race (``StoreError``)."""

    @abstractmethod
    def delete_collection(self, collection_id: int, account_id: int) -> bool:
        """Delete the reader's own list and its entries; whether it was there."""

    @abstractmethod
    def add_to_collection(
        self, collection_id: int, entries: Sequence[tuple[str, str]], at: datetime
    ) -> int:
        """Add ``(paper_id, note)`` pairs to a list in one transaction; a paper already
        there gets the new note only when the note is not empty. Unknown papers are
        skipped. How many papers were new."""

    @abstractmethod
    def set_collection_note(self, collection_id: int, paper_id: str, note: str) -> bool:
        """Replace the note of a paper in the list; whether it is in the list."""

    @abstractmethod
    def remove_from_collection(self, collection_id: int, paper_id: str) -> bool:
        """Take a paper out of the list; whether it was there."""

    @abstractmethod
    def collection_entries(
        self, collection_id: int, *, limit: int, offset: int = 0
    ) -> list[CollectionEntry]:
        """The list's papers, most recently added first."""

    @abstractmethod
    def collections_holding(self, account_id: int, paper_ids: Sequence[str]) -> dict[str, set[int]]:
        """For each of these papers, the ids of the reader's lists that hold it."""
