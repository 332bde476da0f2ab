"""The embedded default store: one SQLite file in WAL mode."""

from paperfeed.store.sqlite.store import SQLitePaperStore

__all__ = ["SQLitePaperStore"]
