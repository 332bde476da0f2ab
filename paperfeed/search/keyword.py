"""Turn a parsed query into the store's keyword query, keeping it fast.

BM25 over an OR of many terms costs time in proportion to every posting of every
term, and very common words (``the``, ``model``, ``learning``) add much cost and
little ranking signal. So stopwords go, and of the remaining free words only the
``max_terms`` rarest are kept (document frequencies come from the index and are
cached). Phrases, prefixes, exclusions and author terms are always kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from paperfeed.search.query import ParsedQuery, QueryTerm
from paperfeed.store.search import KeywordQuery, Phrase

STOPWORDS = frozenset(
    (
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yours",
    )
)


# Words in fewer papers than this are never dropped for being common: in a small
# collection every query is fast, and dropping words would only cost relevance.
ALWAYS_KEPT_BELOW = 2000


class DocumentFrequencies:
    """How many papers contain a word, cached (they change slowly as papers arrive).

    Asks whichever keyword index answers queries: the store's own, or the one beside it.
    """

    def __init__(
        self,
        counts: Callable[[Sequence[str]], dict[str, int]],
        total: Callable[[], int],
        *,
        size: int = 50_000,
    ) -> None:
        self._counts = counts
        self._count_total = total
        self._size = size
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self._total: tuple[int, float] | None = None

    def get(self, words: list[str]) -> dict[str, int]:
        with self._lock:
            found = {w: self._cache[w] for w in words if w in self._cache}
        missing = [w for w in words if w not in found]
        if missing:
            fresh = self._counts(missing)
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return found

    def total(self) -> int:
        """How many papers the index holds (refreshed with the cache, every 60 s)."""
        now = time.monotonic()
        if self._total is None or now - self._total[1] > 60:
            self._total = (self._count_total(), now)
        return self._total[0]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _pieces(terms: tuple[QueryTerm, ...]) -> list[QueryTerm]:
    """Each word of an unquoted compound (``self-supervised``, ``don't``) as a term of
    its own, scored as any other word (as plain BM25 does): requiring the pieces side
    by side missed papers that write them apart or differently (decision 0003).
    Quoted phrases and prefixes stay whole."""
    split: list[QueryTerm] = []
    for term in terms:
        if term.prefix or len(term.words) == 1:
            split.append(term)
        else:
            split += [QueryTerm((word,)) for word in term.words]
    return split


def _significant(terms: list[QueryTerm]) -> list[QueryTerm]:
    """Terms without stopwords; all terms when every one is a stopword."""
    kept = [t for t in terms if t.prefix or len(t.words) > 1 or t.words[0] not in STOPWORDS]
    return kept or list(terms)


def build_keyword_query(
    parsed: ParsedQuery,
    frequencies: DocumentFrequencies,
    *,
    max_terms: int,
    max_document_share: float = 1.0,
) -> KeywordQuery:
    """The store query for ``parsed``: the rarest free words OR-ed, the rest required.

    Free words found in more than ``max_document_share`` of all papers are dropped
    (unless no word is rarer): they cost the most time and carry the least weight.
    """
    terms = list(dict.fromkeys(_significant(_pieces(parsed.terms))))
    single = [t for t in terms if len(t.words) == 1 and not t.prefix]
    if len(single) > 1 and (len(single) > max_terms or max_document_share < 1.0):
        counts = frequencies.get([t.words[0] for t in single])
        present = sorted(
            (t for t in single if counts.get(t.words[0], 0) > 0), key=lambda t: counts[t.words[0]]
        )
        ceiling = max(max_document_share * frequencies.total(), ALWAYS_KEPT_BELOW)
        rare = [t for t in present if counts[t.words[0]] <= ceiling] or present[:1]
        keep = set(rare[:max_terms])
        terms = [t for t in terms if t not in single or t in keep]
    return KeywordQuery(
        should=tuple(Phrase(t.words, prefix=t.prefix) for t in terms),
        must=tuple(Phrase(p) for p in parsed.phrases)
        + tuple(Phrase(a, field="authors") for a in parsed.authors),
        must_not=tuple(Phrase(e) for e in parsed.excluded),
    )
