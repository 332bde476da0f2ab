"""Run a source into the store, page by page, resuming from its checkpoint.

Each page's papers and the checkpoint after it are committed in one transaction, so a
run killed at any moment (even with SIGKILL) restarts from the last committed page:
nothing is lost and, because upserts are idempotent, nothing is duplicated.

Every paper passes ``paperfeed.papers.clean`` on its way in: control characters are
dropped and an oversized abstract is cut (the report names each one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from paperfeed.papers.clean import MAX_ABSTRACT_CHARS, clean_paper
from paperfeed.sources.base import Page, Source
from paperfeed.store.base import PaperRecords, UpsertResult

PageCallback = Callable[[Page, UpsertResult], None]


@dataclass
class IngestReport:
    """What one run brought in; ``changed`` tells cron whether anything new arrived."""

    source: str
    checkpoint_key: str
    pages: int = 0
    result: UpsertResult = field(default_factory=UpsertResult)
    abstracts_cut: dict[str, int] = field(default_factory=dict)  # paper id: original length

    @property
    def changed(self) -> bool:
        return self.result.changed > 0

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "checkpoint_key": self.checkpoint_key,
            "pages": self.pages,
            "inserted": self.result.inserted,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "abstracts_cut": dict(self.abstracts_cut),
        }

    def warnings(self) -> list[str]:
        """What a person should know about what was stored (one line each)."""
        return [
            f"{paper_id}: abstract of {length:,} characters cut to {MAX_ABSTRACT_CHARS:,}"
            for paper_id, length in self.abstracts_cut.items()
        ]


def run_ingest(
    store: PaperRecords,
    source: Source,
    *,
    restart: bool = False,
    on_page: PageCallback | None = None,
) -> IngestReport:
    """Read ``source`` from its saved checkpoint (or from the start) into ``store``."""
    key = source.checkpoint_key
    report = IngestReport(source.name, key)
    # One ingester per source: a second one waits, then resumes from the checkpoint the
    # first committed (so it fetches only what is new since).
    with store.source_lock(key):
        if restart:
            store.reset_checkpoint(key)
        for page in source.pages(store.get_checkpoint(key)):
            cleaned = [clean_paper(p) for p in page.papers]
            report.abstracts_cut.update(
                (c.paper.id, c.abstract_cut_from) for c in cleaned if c.abstract_cut_from
            )
            result = store.upsert_papers(
                [c.paper for c in cleaned],
                source=source.name,
                checkpoint_key=key,
                checkpoint=page.checkpoint,
            )
            report.pages += 1
            report.result += result
            if on_page is not None:
                on_page(page, result)
    return report
