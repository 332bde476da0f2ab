"""Which TL;DR and keywords a reader sees, and whose they are.

Hugging Face's AI summary and keywords, where it wrote them, stay shown as Hugging
Face's; paperfeed's own (computed at ingest) are shown otherwise. Pages, feeds, mail,
the JSON API and the MCP server all take the choice from here, labelled by ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from paperfeed.store.base import StoredPaper

SummarySource = Literal["huggingface", "paperfeed"]
SOURCE_LABELS: dict[str, str] = {
    "huggingface": "Hugging Face's AI summary",
    "paperfeed": "TL;DR by paperfeed",
}


@dataclass(frozen=True, slots=True)
class ShownSummary:
    """A TL;DR and keywords, each with whose it is (``None`` when there is none)."""

    tldr: str | None
    tldr_source: SummarySource | None
    keywords: tuple[str, ...]
    keywords_source: SummarySource | None

    @property
    def tldr_label(self) -> str:
        return SOURCE_LABELS.get(self.tldr_source or "", "")


def shown_summary(stored: StoredPaper) -> ShownSummary:
    hf = stored.paper.hf
    tldr: str | None
    tldr_source: SummarySource | None
    keywords: tuple[str, ...]
    keywords_source: SummarySource | None
    if hf and hf.ai_summary:
        tldr, tldr_source = hf.ai_summary, "huggingface"
    elif stored.tldr:
        tldr, tldr_source = stored.tldr, "paperfeed"
    else:
        tldr, tldr_source = None, None
    if hf and hf.ai_keywords:
        keywords, keywords_source = tuple(hf.ai_keywords), "huggingface"
    elif stored.keywords:
        keywords, keywords_source = stored.keywords, "paperfeed"
    else:
        keywords, keywords_source = (), None
    return ShownSummary(tldr, tldr_source, keywords, keywords_source)


def keyword_search_url(keyword: str) -> str:
    """A keyword search for the phrase, quoted so its words are searched together."""
    return "/search?" + urlencode({"q": f'"{keyword}"', "mode": "keyword"})
