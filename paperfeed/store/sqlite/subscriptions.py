"""SQLite implementation of ``SubscriptionStore``."""

from __future__ import annotations

from paperfeed.store.subscriptions import SubscriptionStore


class SQLiteSubscriptionStore(SubscriptionStore):
    """Mixed into ``SQLitePaperStore``; uses its connection pool (``self._pool``)."""
