"""Where keyword queries are answered: one backend, chosen once per store.

SQLite has no keyword ranking fast enough of its own, so an embedded tantivy index
beside the database answers, fed from the store's change log (``keyword_index``).
PostgreSQL ranks in SQL over tsvector and GIN (``store/postgres/search.py``). The search
service and the commands talk to a ``KeywordBackend`` and never ask which one it is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from paperfeed.config import Settings
from paperfeed.errors import PaperfeedError
from paperfeed.search.keyword_index import KeywordIndex, Progress
from paperfeed.store.search import (
    FullTextSearch,
    KeywordChangeLog,
    KeywordMatch,
    KeywordQuery,
    SearchScope,
)

EMBEDDED_MAX_TERMS = 64  # free words of one query the embedded keyword index ranks by


@dataclass(frozen=True, slots=True)
class KeywordIndexState:
    """How far an index kept outside the store has got: papers held, log entries left."""

    papers: int
    pending_changes: int


class KeywordBackend(Protocol):
    """Keyword search, the word statistics query building weighs words by, and upkeep."""

    max_terms: int
    """At most this many free words of a query are ranked by."""
    max_document_share: float
    """Words in a larger share of the papers are left out of a long query."""

    def search(self, query: KeywordQuery, scope: SearchScope, *, limit: int) -> list[KeywordMatch]:
        """The best ``limit`` papers for ``query`` within ``scope``, best first."""
        ...

    def document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        """How many papers contain each word."""
        ...

    def document_total(self) -> int:
        """How many papers the keyword index holds."""
        ...

    def update(self, progress: Progress | None = None) -> int:
        """Bring the index up to date now: pending changes applied (how many), or stale
        word counts refreshed (how many words were written)."""
        ...

    def rebuild(self, progress: Progress | None = None) -> int:
        """Build the index (or its word counts) again from every paper."""
        ...

    def prepare(self) -> None:
        """Load what the first query would wait for."""
        ...

    def state(self) -> KeywordIndexState | None:
        """Progress of an index kept outside the store; ``None`` for the engine's own."""
        ...

    def close(self) -> None:
        """Let background work finish."""
        ...


class EmbeddedKeywords:
    """The tantivy index in files beside an SQLite store, opened on first use."""

    max_terms = EMBEDDED_MAX_TERMS
    # Its cost barely grows with the number of words, so every word counts (better
    # ranking); the cap only bounds a pasted abstract.
    max_document_share = 1.0

    def __init__(self, store: KeywordChangeLog, folder: Path) -> None:
        self._store = store
        self._folder = folder
        self._index: KeywordIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> KeywordIndex:
        with self._lock:
            if self._index is None:
                self._index = KeywordIndex(self._store, self._folder)
            return self._index

    def search(self, query: KeywordQuery, scope: SearchScope, *, limit: int) -> list[KeywordMatch]:
        return self.index().search(query, scope, limit=limit)

    def document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        return self.index().document_frequencies(words)

    def document_total(self) -> int:
        return self.index().document_total()

    def update(self, progress: Progress | None = None) -> int:
        return self.index().refresh(progress)

    def rebuild(self, progress: Progress | None = None) -> int:
        return self.index().rebuild(progress)

    def prepare(self) -> None:
        self.index().document_total()  # opens it and catches up

    def state(self) -> KeywordIndexState:
        index = self.index()
        papers = index.document_total()
        pending = max(0, self._store.latest_keyword_change() - index.applied_seq)
        return KeywordIndexState(papers, pending)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


class EngineKeywords:
    """Keyword search the database engine ranks itself (PostgreSQL full-text)."""

    def __init__(self, store: FullTextSearch, settings: Settings) -> None:
        self._store = store
        self.max_terms = int(settings.get("search_max_keyword_terms"))
        self.max_document_share = float(settings.get("search_max_term_share"))

    def search(self, query: KeywordQuery, scope: SearchScope, *, limit: int) -> list[KeywordMatch]:
        return self._store.keyword_search(query, scope, limit=limit)

    def document_frequencies(self, words: Sequence[str]) -> dict[str, int]:
        return self._store.keyword_document_frequencies(words)

    def document_total(self) -> int:
        return self._store.keyword_document_total()

    def update(self, progress: Progress | None = None) -> int:
        return self._store.refresh_keyword_statistics()

    def rebuild(self, progress: Progress | None = None) -> int:
        return self._store.refresh_keyword_statistics(force=True)

    def prepare(self) -> None:
        """Nothing to load: the database answers."""

    def state(self) -> None:
        return None

    def close(self) -> None:
        """Nothing runs in the background."""


def keyword_backend(store: object, settings: Settings, folder: Path) -> KeywordBackend:
    """The backend for ``store``: its engine's own full-text search, else an embedded
    index in ``folder`` fed from its change log."""
    if isinstance(store, FullTextSearch):
        return EngineKeywords(store, settings)
    if isinstance(store, KeywordChangeLog):
        return EmbeddedKeywords(store, folder)
    raise PaperfeedError(f"{type(store).__name__} offers no keyword search")
