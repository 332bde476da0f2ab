"""The paper store: the only place that knows about databases, tables and files."""

from __future__ import annotations

from paperfeed.store.base import (
    Migration,
    PaperFilter,
    PaperStore,
    SourceRecord,
    StoredPaper,
    StoreError,
    StoreStats,
    UpsertResult,
)
from paperfeed.store.urls import DEFAULT_DATABASE_URL, parse_database_url


def open_store(url: str = DEFAULT_DATABASE_URL, *, migrate: bool = True) -> PaperStore:
    """Open the store named by a database URL, applying pending migrations by default."""
    parsed = parse_database_url(url)
    if parsed.scheme == "sqlite":
        from paperfeed.store.sqlite import SQLitePaperStore

        assert parsed.path is not None
        return SQLitePaperStore(parsed.path, migrate=migrate)
    try:
        from paperfeed.store.postgres import PostgresPaperStore
    except ImportError as exc:
        raise StoreError(
            "PostgreSQL support needs the postgres extra: pip install 'paperfeed[postgres]'"
        ) from exc
    return PostgresPaperStore(parsed.raw, migrate=migrate)


__all__ = [
    "DEFAULT_DATABASE_URL",
    "Migration",
    "PaperFilter",
    "PaperStore",
    "SourceRecord",
    "StoreError",
    "StoreStats",
    "StoredPaper",
    "UpsertResult",
    "open_store",
]
