"""What the web app needs from the search capability, as structural types.

The web layer depends on this shape, not on the search package's internals, so pages
can be built and served whether or not search is installed: without it, search routes
answer 503 and the rest of the site works.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from paperfeed.config import Settings
from paperfeed.store.base import PaperStore, StoredPaper

Highlighted = Sequence[tuple[str, bool]]
log = logging.getLogger("paperfeed.web")


class SearchHitLike(Protocol):
    @property
    def paper(self) -> StoredPaper: ...
    @property
    def score(self) -> float: ...
    @property
    def title(self) -> Highlighted: ...
    @property
    def snippet(self) -> Highlighted: ...


class SearchResultsLike(Protocol):
    @property
    def query(self) -> str: ...
    @property
    def hits(self) -> Sequence[SearchHitLike]: ...
    @property
    def mode_used(self) -> str: ...
    @property
    def fallback(self) -> str | None: ...
    @property
    def pinned(self) -> str | None: ...
    @property
    def pin_kind(self) -> str | None: ...


class SearchServiceLike(Protocol):
    def search(
        self,
        query: str,
        *,
        mode: Any = ...,
        filters: Any = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> SearchResultsLike: ...

    def similar(self, paper_id: str, *, limit: int = ...) -> Sequence[SearchHitLike]: ...


def default_search(store: PaperStore, settings: Settings) -> SearchServiceLike | None:
    """The installed search service over ``store``, or ``None`` when there is none."""
    try:
        module: Any = importlib.import_module("paperfeed.search")
    except ImportError:
        return None
    factory = getattr(module, "SearchService", None)
    if factory is None:  # a search package without its service is not usable yet
        return None
    service: SearchServiceLike = factory(store, settings)
    return service


def prepare_search(search: SearchServiceLike) -> None:
    """Load the search model and indexes now, before the first request, and log how
    long it took (a service without ``prepare`` loads on first use)."""
    prepare = getattr(search, "prepare", None)
    if not callable(prepare):
        return
    readiness = prepare()
    if readiness.generation is not None:
        log.info(
            "search: embedding model %s and indexes loaded in %.1f s",
            readiness.generation,
            readiness.seconds,
        )
    else:
        log.warning(
            "search: keyword results only (%s); indexes loaded in %.1f s",
            readiness.reason,
            readiness.seconds,
        )


def search_filters(
    category: str | None, since: date | None, until: date | None, author: str | None = None
) -> Any:
    """The search package's ``SearchFilters`` for these restrictions."""
    module: Any = importlib.import_module("paperfeed.search")
    return module.SearchFilters(category=category, since=since, until=until, author=author)
