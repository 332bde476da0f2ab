"""The one small interface every upstream source implements.

A source turns upstream data into pages of normalised ``Paper`` objects. Each page
carries the checkpoint that is true once it is stored, so the store can commit the
papers and the checkpoint in one transaction: a run killed at any moment resumes from
the last committed page and neither loses nor duplicates anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from paperfeed.errors import PaperfeedError
from paperfeed.papers.model import Paper

Checkpoint = Mapping[str, Any]


class SourceError(PaperfeedError):
    """An upstream page could not be fetched or understood.

    The message names the source and where the problem is (URL or file, and the
    position inside it), so a user can find the bad input.
    """

    def __init__(self, source: str, where: str, problem: str) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        super().__init__(f"{source}: {where}: {problem}")


@dataclass(frozen=True, slots=True)
class Page:
    """Papers from one upstream page and the checkpoint that holds once they are stored."""

    papers: Sequence[Paper]
    checkpoint: Checkpoint
    where: str = ""
    info: Mapping[str, Any] = field(default_factory=dict)


class Source(ABC):
    """An upstream of papers, read page by page from a checkpoint."""

    name: ClassVar[str]

    @property
    @abstractmethod
    def checkpoint_key(self) -> str:
        """Identifies what this source instance reads (source plus query, set or file)."""

    @abstractmethod
    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        """Yield pages from where ``checkpoint`` left off (from the start when ``None``)."""
