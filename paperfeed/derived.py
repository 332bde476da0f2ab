"""The work that follows stored papers, found from the store's own state.

Storing a page of papers is one transaction; what is derived from the papers follows
it: each paper's TL;DR and keywords, the keyword index, Hugging Face upvotes and stars
turned into trending signals, and vectors for search by meaning. Each step asks the store
what is still undone (papers without a current summary, keyword changes not yet applied,
Hugging Face rows not yet read, papers without a vector, an index behind the vectors)
instead of trusting what the current run fetched. So a run killed after storing papers
leaves nothing undone for good: the next ingest, even one that finds nothing new, or
``paperfeed serve`` finishes it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from paperfeed.config import Settings
from paperfeed.store.base import SearchableStore
from paperfeed.store.community import CommunityStore
from paperfeed.store.summaries import SummaryStore
from paperfeed.store.trending import TrendingStore

log = logging.getLogger("paperfeed.derived")


class DerivedStore(SearchableStore, CommunityStore, TrendingStore, SummaryStore, Protocol):
    """What the derived work reads and writes: papers and their search part, Hugging
    Face readings, the trending ledger and the papers' summaries."""


@dataclass
class DerivedReport:
    """What one pass did; ``embed_error`` says why papers were left without vectors."""

    keyword_changes: int = 0
    hf_rows: int = 0
    embedded: int = 0
    summarized: int = 0
    embed_error: str | None = None

    @property
    def did_work(self) -> bool:
        return bool(self.keyword_changes or self.hf_rows or self.embedded or self.summarized)


def finish_derived_work(
    store: DerivedStore, settings: Settings, *, embed: bool = True
) -> DerivedReport:
    """Bring everything derived from the stored papers up to date; cheap when nothing is
    pending (no model is loaded then). ``embed=False`` leaves vectors to ``index update``."""
    from paperfeed.summaries.refresh import summarize_pending

    report = DerivedReport()
    report.hf_rows = _import_hf_signals(store, settings)
    report.keyword_changes = _update_keyword_index(store, settings)
    report.summarized = summarize_pending(store)
    if embed:
        _embed_missing(store, settings, report)
    return report


def _import_hf_signals(store: DerivedStore, settings: Settings) -> int:
    from paperfeed.community.hf_signals import import_hf_signals
    from paperfeed.community.ranking import ensure_params
    from paperfeed.community.settings import CommunitySettings

    if not store.hf_readings(limit=1):
        return 0
    community = CommunitySettings.from_settings(settings)
    model = community.trending_model()
    ensure_params(store, model)
    return import_hf_signals(store, community, model).papers


def _update_keyword_index(store: DerivedStore, settings: Settings) -> int:
    from paperfeed.search import SearchService

    service = SearchService(store, settings)
    try:
        return service.update_keyword_index()
    finally:
        service.close()


def _embed_missing(store: DerivedStore, settings: Settings, report: DerivedReport) -> None:
    from paperfeed.search import SearchError, SearchService

    service = SearchService(store, settings)
    try:
        if service.vectors_behind():
            report.embedded = service.index_papers()
    except SearchError as exc:
        report.embed_error = str(exc)
    finally:
        service.close()


def finish_in_background(settings: Settings) -> threading.Thread:
    """Run ``finish_derived_work`` on its own store connection in a daemon thread (for
    ``serve``: pages are served meanwhile; a stop mid-way loses nothing, since every
    step commits as it goes and the next pass resumes)."""

    def work() -> None:
        from paperfeed.store import open_store

        try:
            store = open_store(settings.database_url, migrate=False)
            try:
                report = finish_derived_work(store, settings)
            finally:
                store.close()
        except Exception:
            log.exception("finishing the work an earlier ingest left failed")
            return
        if report.embed_error:
            log.warning(
                "papers not embedded (%s); run `paperfeed index update`", report.embed_error
            )
        elif report.did_work:
            log.info(
                "finished what an earlier ingest left: %d papers summarised, %d keyword"
                " changes, %d Hugging Face rows, %d papers embedded",
                report.summarized,
                report.keyword_changes,
                report.hf_rows,
                report.embedded,
            )

    thread = threading.Thread(target=work, name="paperfeed-derived", daemon=True)
    thread.start()
    return thread
