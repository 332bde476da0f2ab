"""A one-sentence TL;DR and 3-8 keywords for a paper, from its title and abstract alone.

Computed locally at ingest: no network, no large model, a few milliseconds a paper.
``Summarizer(statistics).summarize(title, abstract)`` takes the plain text the store
renders (``paperfeed.papers.text.render_plain``) and never raises on odd input. The method
and its measurements: docs/decisions/0013-tldr-and-keywords.md.
"""

from paperfeed.summaries.keywords import MAX_KEYWORDS, MIN_KEYWORDS, WordStatistics
from paperfeed.summaries.sentences import split_sentences
from paperfeed.summaries.summarizer import (
    MODEL_VERSION,
    Summarizer,
    Summary,
    summarize,
)

__all__ = [
    "MAX_KEYWORDS",
    "MIN_KEYWORDS",
    "MODEL_VERSION",
    "Summarizer",
    "Summary",
    "WordStatistics",
    "split_sentences",
    "summarize",
]
