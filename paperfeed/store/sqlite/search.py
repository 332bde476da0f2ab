"""SQLite implementation of ``SearchStore`` (FTS5 keyword index, stored embeddings)."""

from __future__ import annotations

from paperfeed.store.search import SearchStore


class SQLiteSearchStore(SearchStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""
