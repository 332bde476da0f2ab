"""Keeping the stored papers' TL;DRs and keywords current.

Ingest summarises each page's new and changed papers right after storing them; the
derived work after every ingest and ``paperfeed index update`` summarise whatever is
still pending (a killed run's papers, papers stored before summaries existed, summaries
an older model wrote). Each batch is written in one transaction, so a stop mid-way keeps
what was written and the next pass picks up the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.store.summaries import PaperSummary, SummaryStore
from paperfeed.summaries.summarizer import MODEL_VERSION, summarize

BATCH = 500  # papers summarised, then written in one transaction


def summarize_pending(
    store: SummaryStore, *, among: Sequence[str] | None = None, batch: int = BATCH
) -> int:
    """Summarise the papers (of ``among``, or all) that lack a current summary, in one
    pass along their ids; returns how many were written.

    Summaries use the shipped word statistics, not the collection's, so a paper's
    summary depends on its text and the model alone, not on what was stored before it.
    """
    done = 0
    after = ""
    while pending := store.papers_to_summarize(
        MODEL_VERSION, after=after, limit=batch, among=among
    ):
        store.put_summaries(
            [_summary(p.paper_id, p.content_hash, p.title_text, p.abstract_text) for p in pending]
        )
        done += len(pending)
        after = pending[-1].paper_id
    return done


def _summary(paper_id: str, content_hash: str, title: str, abstract: str) -> PaperSummary:
    summary = summarize(title, abstract)
    return PaperSummary(paper_id, summary.tldr, summary.keywords, MODEL_VERSION, content_hash)
