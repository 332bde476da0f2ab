"""The store's part in TL;DRs and keywords: which papers lack a current summary, and
writing the summaries computed for them.

A summary remembers the model that wrote it and the paper's ``content_hash`` it was
computed from, so a new model or a changed paper makes it pending again; readers still
get the older summary until the new one is written.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SummaryInput:
    """What a summary is computed from: the plain-text title and abstract, and the
    paper's content hash at the time they were read."""

    paper_id: str
    content_hash: str
    title_text: str
    abstract_text: str


@dataclass(frozen=True, slots=True)
class PaperSummary:
    """A computed TL;DR and keywords, and what they were computed from and with."""

    paper_id: str
    tldr: str
    keywords: tuple[str, ...]
    model_version: str
    content_hash: str


class SummaryStore(Protocol):
    """Summaries of the stored papers, kept current with the papers and the model."""

    @abstractmethod
    def papers_to_summarize(
        self,
        model_version: str,
        *,
        after: str = "",
        limit: int = 500,
        among: Sequence[str] | None = None,
    ) -> list[SummaryInput]:
        """Papers with an id above ``after`` (and in ``among``, if given), in id order,
        that have no summary, one by another model, or one computed before the paper
        last changed."""

    @abstractmethod
    def count_papers_to_summarize(self, model_version: str) -> int:
        """How many papers ``papers_to_summarize`` would return without a limit."""

    @abstractmethod
    def put_summaries(self, summaries: Sequence[PaperSummary]) -> None:
        """Store ``summaries`` (replacing older ones) in one transaction; a paper deleted
        meanwhile is skipped."""

    @abstractmethod
    def count_summaries(self, model_version: str | None = None) -> int:
        """How many papers have a summary (by ``model_version``, if given)."""
