"""The entry point: title and abstract in, TL;DR and keywords out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from paperfeed.summaries.keywords import WordStatistics, choose_keywords
from paperfeed.summaries.linear import LinearModel
from paperfeed.summaries.rarity import rarity_lookup
from paperfeed.summaries.sentences import split_sentences
from paperfeed.summaries.tldr import MAX_SENTENCES, choose_tldr

__all__ = ["MODEL_VERSION", "Summarizer", "Summary", "summarize"]

# Bumped with every retrained model file, so stored TL;DRs can be recomputed when it changes.
MODEL_VERSION = "scitldr-linear-1"
MAX_INPUT_CHARS = 100_000  # beyond this an "abstract" is a pasted paper: its start will do
MAX_TLDR_CHARS = 300  # a fallback TL;DR (no sentence fit) is cut to this many characters
# Control and invisible formatting characters (bidi overrides, zero-width marks, BOM) and
# lone surrogates: nothing a reader should get back in a TL;DR.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)


@dataclass(frozen=True, slots=True)
class Summary:
    """A paper at a glance: one sentence and a few phrases, both taken from its text."""

    tldr: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Models:
    words: LinearModel
    ranker: LinearModel
    keywords: LinearModel
    vocabulary: frozenset[str]


@cache
def _shipped_models() -> _Models:
    data_dir = resources.files("paperfeed.summaries").joinpath("data")
    tldr = json.loads(data_dir.joinpath("tldr.json").read_text(encoding="utf-8"))
    keywords = json.loads(data_dir.joinpath("keywords.json").read_text(encoding="utf-8"))
    return _Models(
        words=LinearModel.from_json(tldr["words"]),
        ranker=LinearModel.from_json(tldr["ranker"]),
        keywords=LinearModel.from_json(keywords["model"]),
        vocabulary=frozenset(keywords["vocabulary"]),
    )


class Summarizer:
    """Summarises papers with the shipped models; one instance serves a whole ingest.

    ``statistics`` (the keyword index, or anything with ``document_frequencies`` and
    ``document_total``) tells which words are rare in the user's collection; without it a
    shipped table stands in. Thread-safe: it holds no state but a frequency cache.
    """

    def __init__(self, statistics: WordStatistics | None = None) -> None:
        self._models = _shipped_models()
        self._rarity = rarity_lookup(statistics)

    def summarize(self, title: str, abstract: str) -> Summary:
        """The TL;DR and keywords of a paper; empty ones when there is no text to use."""
        title, abstract = _clean(title), _clean(abstract)
        sentences = split_sentences(abstract[:MAX_INPUT_CHARS])[: MAX_SENTENCES + 1]
        return Summary(
            tldr=self._tldr(title, sentences),
            keywords=tuple(self._keywords(title, " ".join(sentences))),
        )

    def _tldr(self, title: str, sentences: list[str]) -> str:
        models = self._models
        tldr = choose_tldr(title, sentences, models.words, models.ranker)
        if tldr or not sentences:
            return tldr
        return _shorten(sentences[0], MAX_TLDR_CHARS)

    def _keywords(self, title: str, abstract: str) -> list[str]:
        models = self._models
        return choose_keywords(title, abstract, models.keywords, models.vocabulary, self._rarity)


def summarize(title: str, abstract: str) -> Summary:
    """``Summarizer().summarize`` with the shipped frequency table."""
    return _default_summarizer().summarize(title, abstract)


@cache
def _default_summarizer() -> Summarizer:
    return Summarizer()


def _clean(text: str) -> str:
    """Whitespace collapsed; control characters and lone surrogates dropped."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return " ".join(_INVISIBLE.sub(" ", text[:MAX_INPUT_CHARS]).split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"
