"""Embedding after ingest: what the ingest command calls for the papers it stored."""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.config import Settings
from paperfeed.search.generations import Progress
from paperfeed.search.service import SearchService
from paperfeed.store.base import SearchableStore


def index_after_ingest(
    store: SearchableStore,
    settings: Settings,
    paper_ids: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
) -> int:
    """Embed and index ``paper_ids`` (``None``: every paper still missing) for the
    configured model; returns how many were embedded. Raises ``SearchError`` when the
    model cannot be loaded, so the caller can warn and leave it to ``index update``."""
    service = SearchService(store, settings)
    try:
        return service.index_papers(paper_ids, progress=progress)
    finally:
        service.close()
