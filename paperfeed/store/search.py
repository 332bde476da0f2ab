"""The store's part in search: the keyword index and stored embeddings.

Engine-neutral interface; ``store/sqlite/search.py`` implements it for SQLite.
"""

from __future__ import annotations

from abc import ABC


class SearchStore(ABC):  # noqa: B024 - methods arrive with the search capability
    """Keyword search over papers and the embeddings that semantic search indexes."""
