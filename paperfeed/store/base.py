"""The store interface: everything paperfeed keeps, behind one set of methods.

Nothing outside ``paperfeed.store`` touches SQL or the database's files. The embedded
default is SQLite; a PostgreSQL implementation provides the same methods, so callers
never depend on which engine is underneath.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from paperfeed.errors import PaperfeedError
from paperfeed.papers.model import Paper
from paperfeed.store.collections import CollectionStore
from paperfeed.store.community import CommunityStore
from paperfeed.store.outbox import OutboxStore
from paperfeed.store.personal import PersonalStore
from paperfeed.store.search import SearchStore
from paperfeed.store.subscriptions import SubscriptionStore
from paperfeed.store.summaries import SummaryStore
from paperfeed.store.trending import TrendingStore


class StoreError(PaperfeedError):
    """The database is unreachable, unreadable, or refused a change."""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one batch of papers did to the store."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """When a source first delivered a paper, and when it last changed it."""

    source: str
    first_seen_at: datetime
    last_changed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPaper:
    """A paper as stored: the metadata, its plain-text rendering and its history."""

    paper: Paper
    title_text: str
    abstract_text: str
    authors_text: str
    first_seen_at: datetime
    updated_at: datetime
    sources: tuple[SourceRecord, ...] = ()
    tldr: str | None = None
    """paperfeed's own one-sentence summary (``paperfeed.summaries``), once computed."""
    keywords: tuple[str, ...] = ()
    """paperfeed's own keywords, computed with the TL;DR."""


@dataclass(frozen=True, slots=True)
class PaperFilter:
    """Which papers a listing wants; ``None`` means no restriction."""

    day: date | None = None
    since: date | None = None
    until: date | None = None
    category: str | None = None


ListOrder = Literal["upvotes", "newest"]
"""How a listing is ordered: most upvoted first (then newest), or newest first."""


@dataclass(frozen=True, slots=True)
class StoreStats:
    papers: int
    by_source: Mapping[str, int]
    by_category: Mapping[str, int]
    with_hf: int
    latest_day: date | None
    checkpoints: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    schema_version: int = 0


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    applied_at: datetime | None


class PaperRecords(Protocol):
    """Papers, their sources and the ingestion checkpoints: what ingestion writes and
    listings read."""

    @abstractmethod
    def upsert_papers(
        self,
        papers: Sequence[Paper],
        *,
        source: str,
        checkpoint_key: str | None = None,
        checkpoint: Mapping[str, Any] | None = None,
    ) -> UpsertResult:
        """Insert or update ``papers`` and save the checkpoint, all in one transaction.

        Idempotent: storing the same data again changes nothing. A newer version of a
        paper replaces the older one's fields; an older version never overwrites a newer
        one (it only fills fields the stored paper lacks).
        """

    @abstractmethod
    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        """The checkpoint last committed under ``key``."""

    @abstractmethod
    def reset_checkpoint(self, key: str) -> None:
        """Forget a checkpoint so the next run starts from the beginning."""

    @abstractmethod
    def set_first_seen(self, arrivals: Mapping[str, datetime], *, stored_since: datetime) -> int:
        """Set when papers first arrived, for those first stored at ``stored_since`` or
        later (an earlier arrival is a fact and stays): the bundled demo replays its
        own timeline with it. Returns how many papers changed."""

    @abstractmethod
    def get_paper(self, paper_id: str) -> StoredPaper | None:
        """One paper by canonical arXiv id."""

    @abstractmethod
    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]:
        """Several papers by id (missing ids are absent from the result)."""

    @abstractmethod
    def list_papers(
        self,
        where: PaperFilter = PaperFilter(),
        *,
        limit: int = 50,
        offset: int = 0,
        order: ListOrder = "upvotes",
    ) -> list[StoredPaper]:
        """Papers matching ``where``: most upvoted first, then newest (or newest first)."""

    @abstractmethod
    def count_papers(self, where: PaperFilter = PaperFilter()) -> int:
        """How many papers match ``where``."""

    @abstractmethod
    def latest_day(self) -> date | None:
        """The most recent announcement day that has papers."""

    @abstractmethod
    def neighbour_days(self, day: date) -> tuple[date | None, date | None]:
        """The nearest days before and after ``day`` that have papers."""

    @abstractmethod
    def data_version(self) -> int:
        """A number that changes whenever anything was committed to the store.

        Cheap enough to ask on every request, so readers can cache what they derive
        from the store and know when to throw it away. Only equality is meaningful,
        and only within one process.
        """

    @abstractmethod
    def source_lock(self, key: str) -> AbstractContextManager[None]:
        """Hold the lock of one ingestion source (by checkpoint key) while in the block.

        Blocks while another process ingests the same source, so two timers or workers
        never fetch and write the same pages at once; a different source is not held up.
        """

    @abstractmethod
    def stats(self) -> StoreStats:
        """Counts for monitoring: papers, per source, per primary category."""


class SearchableStore(PaperRecords, SearchStore, Protocol):
    """What search reads: the papers, and the store's part in search."""


class PaperStore(
    PaperRecords,
    SearchStore,
    SubscriptionStore,
    OutboxStore,
    CommunityStore,
    TrendingStore,
    PersonalStore,
    SummaryStore,
    CollectionStore,
    ABC,
):
    """The whole store: every capability's part, migrations and connections. Callers
    ask for the part they use (``PaperRecords``, ``OutboxStore``, ...); commands that
    open and close a store hold this."""

    url: str

    @abstractmethod
    def migrate(self) -> list[Migration]:
        """Apply pending migrations, each in its own transaction; return those applied."""

    @abstractmethod
    def migrations(self) -> list[Migration]:
        """Every known migration, with when it was applied (``None`` if pending)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> PaperStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
