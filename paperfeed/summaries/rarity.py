"""How rare a word is in the collection, from the keyword index or a shipped table.

Keywords favour rare words ("equivariance") over common ones ("model"). Ingest passes the
keyword index, whose document frequencies describe the user's own collection; without it
(a fresh store, a test, the benchmark) a table of document frequencies over the SciTLDR
training abstracts, shipped with the package, stands in. Rarity is the inverse document
frequency scaled to [0, 1] by the collection's size, so the keyword model reads the same
scale from a 300-paper store and from a million-paper one.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from paperfeed.summaries.keywords import RarityLookup, WordStatistics

__all__ = ["ShippedFrequencies", "rarity_lookup"]

log = logging.getLogger(__name__)


class ShippedFrequencies:
    """The shipped table (``data/word_frequencies.json``) as a ``WordStatistics``."""

    def __init__(self, frequencies: Mapping[str, int], documents: int) -> None:
        self._frequencies = frequencies
        self._documents = documents

    def document_frequencies(self, words: Sequence[str]) -> Mapping[str, int]:
        return {w: self._frequencies.get(w, 0) for w in words}

    def document_total(self) -> int:
        return self._documents


@cache
def shipped_frequencies() -> ShippedFrequencies:
    text = (
        resources.files("paperfeed.summaries")
        .joinpath("data", "word_frequencies.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    return ShippedFrequencies(data["frequencies"], int(data["documents"]))


def rarity_lookup(statistics: WordStatistics | None = None) -> RarityLookup:
    """A function from word keys to rarity in [0, 1], reading ``statistics`` if given.

    A failing or empty collection (the index being rebuilt, a store with no papers yet)
    falls back to the shipped table, so keywords are computed all the same.
    """
    fallback = shipped_frequencies()
    if statistics is not None:
        statistics = _CachedStatistics(statistics)

    def rarity(keys: Sequence[str]) -> Mapping[str, float]:
        source: WordStatistics = fallback
        if statistics is not None:
            try:
                if statistics.document_total() > 0:
                    source = statistics
            except Exception as exc:  # statistics are an aid: never lose the keywords
                log.warning("word statistics unavailable, using the shipped table: %s", exc)
        try:
            return _rarities(source, keys)
        except Exception as exc:
            if source is fallback:
                raise
            log.warning("word statistics unavailable, using the shipped table: %s", exc)
            return _rarities(fallback, keys)

    return rarity


class _CachedStatistics:
    """Remembers frequencies already asked for: an index look-up per word per paper would
    cost more than the rest of the step, and a frequency that is a little old is as good."""

    MAX_WORDS = 200_000

    def __init__(self, statistics: WordStatistics) -> None:
        self._statistics = statistics
        self._frequencies: dict[str, int] = {}

    def document_frequencies(self, words: Sequence[str]) -> Mapping[str, int]:
        missing = [w for w in words if w not in self._frequencies]
        if missing:
            if len(self._frequencies) + len(missing) > self.MAX_WORDS:
                self._frequencies.clear()
            found = self._statistics.document_frequencies(missing)
            self._frequencies.update({w: int(found.get(w, 0)) for w in missing})
        return {w: self._frequencies[w] for w in words}

    def document_total(self) -> int:
        return self._statistics.document_total()


def _rarities(source: WordStatistics, keys: Sequence[str]) -> dict[str, float]:
    total = max(1, source.document_total())
    scale = math.log(total + 1)
    frequencies = source.document_frequencies(list(keys))
    return {
        k: min(1.0, max(0.0, math.log((total + 1) / (frequencies.get(k, 0) + 1)) / scale))
        for k in keys
    }
