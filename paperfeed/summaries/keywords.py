"""Three to eight keywords: the phrases of title and abstract a summary would name.

Candidates are the runs of words between punctuation and function words ("mixed
precision training", "graph neural networks") and their shorter pieces. A logistic model
trained on SciTLDR (scripts/train_summaries.py) scores each from where and how often it
occurs (title, first mention, repetitions), how rare its words are in the collection
(document frequencies, from the keyword index when ingest passes it) and the words it
starts and ends with; the best non-overlapping phrases are kept, longer phrases weighed up
a little, and shown as the text spells them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from paperfeed.summaries.linear import Features, LinearModel
from paperfeed.summaries.words import STOPWORDS, WORD, word_key

__all__ = [
    "MAX_KEYWORDS",
    "MIN_KEYWORDS",
    "Phrase",
    "RarityLookup",
    "WordStatistics",
    "choose_keywords",
    "keyword_candidates",
    "keyword_features",
]

MIN_KEYWORDS = 3
MAX_KEYWORDS = 8
MAX_PHRASE_WORDS = 4
MAX_TEXT_CHARS = 20_000  # keywords come from the start of a very long abstract
LENGTH_WEIGHT = 0.5  # utility = probability * words ** LENGTH_WEIGHT
KEEP_THRESHOLD = 0.3  # past MIN_KEYWORDS, keep phrases at least this likely

# Words too general to be a keyword on their own ("graph neural networks" keeps "networks").
_GENERIC_TEXT = """
    using used use based approach approaches method methods model models result results
    framework frameworks technique techniques problem problems task tasks performance paper
    work study analysis system systems new novel proposed propose show shows provide
    provides present different various existing several state art way ways set sets number
    """
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
# Punctuation that ends a phrase (a hyphen inside a word does not).
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”«»|/=<>+*]|\s[-–—]\s|\s'|'\s")
_INNER_CAPITAL = re.compile(r"\w[A-Z]")
_DIGIT = re.compile(r"\d")
_SUFFIXES = ("ly", "ed", "ing", "al", "ive", "ic", "ous", "able", "s", "er", "ion", "ity")


class WordStatistics(Protocol):
    """Document frequencies of a collection: the keyword index provides them."""

    def document_frequencies(self, words: Sequence[str]) -> Mapping[str, int]:
        """How many documents contain each word (any spelling the index folds together)."""
        ...

    def document_total(self) -> int:
        """How many documents the collection holds."""
        ...


class RarityLookup(Protocol):
    """How rare each word key is, from 0 (in every document) to 1 (in none)."""

    def __call__(self, keys: Sequence[str]) -> Mapping[str, float]: ...


@dataclass(slots=True)
class Phrase:
    """A candidate keyword: its word keys and what the text says about it."""

    keys: tuple[str, ...]
    in_title: int = 0
    in_abstract: int = 0
    first_run: int = -1
    forms: dict[str, int] = field(default_factory=dict)

    def form(self) -> str:
        """The phrase's most frequent spelling (the first seen, on a tie)."""
        forms = self.forms
        return next(iter(forms)) if len(forms) == 1 else max(forms, key=forms.__getitem__)

    def words(self) -> list[str]:
        return self.form().split()

    def display(self, casing: Mapping[str, str]) -> str:
        """The phrase as the text spells it, with title-case words lowercased."""
        form = self.form()
        return " ".join(casing.get(w.lower(), _lowercase_unless_name(w)) for w in form.split())


def keyword_candidates(title: str, abstract: str) -> tuple[dict[tuple[str, ...], Phrase], int]:
    """Every phrase of title and abstract, and how many runs the abstract has."""
    phrases: dict[tuple[str, ...], Phrase] = {}
    run_count = 0
    for source, text in (("title", title), ("abstract", abstract[:MAX_TEXT_CHARS])):
        for run in _runs(text):
            run_keys = [word_key(w) for w in run]
            for start, end in _spans(len(run)):
                keys = tuple(run_keys[start:end])
                phrase = phrases.get(keys)
                if phrase is None:
                    phrase = phrases[keys] = Phrase(keys)
                form = " ".join(run[start:end])
                phrase.forms[form] = phrase.forms.get(form, 0) + 1
                if source == "title":
                    phrase.in_title += 1
                else:
                    phrase.in_abstract += 1
                    if phrase.first_run < 0:
                        phrase.first_run = run_count
            if source == "abstract":
                run_count += 1
    return phrases, run_count


def keyword_features(
    phrase: Phrase, run_count: int, rarity: Mapping[str, float], vocabulary: frozenset[str]
) -> Features:
    """What the keyword model knows of a phrase."""
    keys = phrase.keys
    n = len(keys)
    form = phrase.form()
    idf = [rarity.get(k, 1.0) for k in keys]
    first = phrase.first_run if phrase.first_run >= 0 else run_count
    in_title = float(phrase.in_title > 0)
    f: Features = {
        f"n{n}": 1.0,
        "title": in_title,
        "title_x_n": in_title * n,
        "tf": math.log1p(phrase.in_abstract),
        "first": first / max(1, run_count),
        "absent": float(phrase.in_abstract == 0),
        "idf_min": min(idf),
        "idf_mean": sum(idf) / n,
        "caps": float(_INNER_CAPITAL.search(form) is not None),
        "hyphen": float("-" in form),
        "digit": float(_DIGIT.search(form) is not None),
        f"first_suffix:{_suffix(form.split(' ', 1)[0])}": 1.0,
        f"last_suffix:{_suffix(form.rsplit(' ', 1)[-1])}": 1.0,
    }
    if keys[-1] in vocabulary:
        f[f"last:{keys[-1]}"] = 1.0
    if keys[0] in vocabulary:
        f[f"first:{keys[0]}"] = 1.0
    return f


def choose_keywords(
    title: str,
    abstract: str,
    model: LinearModel,
    vocabulary: frozenset[str],
    rarity_of: RarityLookup,
) -> list[str]:
    """Up to MAX_KEYWORDS readable phrases, at least MIN_KEYWORDS when the text has them."""
    phrases, run_count = keyword_candidates(title, abstract)
    # Phrases named once, outside the title, are hardly ever among the best: scoring only
    # the others is five times faster (unless the text is too short to have enough).
    likely = [
        p
        for p in phrases.values()
        if (p.in_title or p.in_abstract > 1)
        and not (len(p.keys) == 1 and p.keys[0] in GENERIC_WORDS)
    ]
    if len(likely) < MIN_KEYWORDS:
        likely = list(phrases.values())
    if not likely:
        return []
    rarity = rarity_of(sorted({k for phrase in likely for k in phrase.keys}))
    scored = []
    for phrase in likely:
        p = model.score(keyword_features(phrase, run_count, rarity, vocabulary))
        scored.append((p * len(phrase.keys) ** LENGTH_WEIGHT, p, phrase))
    scored.sort(key=lambda item: -item[0])
    chosen: list[Phrase] = []
    for _, p, phrase in scored:
        if len(chosen) >= MIN_KEYWORDS and p < KEEP_THRESHOLD:
            break
        if any(_overlaps(phrase.keys, other.keys) for other in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == MAX_KEYWORDS:
            break
    for _, _, phrase in scored:  # too few: allow phrases that share a word, not repeats
        if len(chosen) >= MIN_KEYWORDS:
            break
        if not any(
            _contains(phrase.keys, o.keys) or _contains(o.keys, phrase.keys) for o in chosen
        ):
            chosen.append(phrase)
    casing = _casing(abstract[:MAX_TEXT_CHARS], {w for p in chosen for w in p.words()})
    shown: list[str] = []
    for phrase in chosen:
        text = phrase.display(casing)
        if text.lower() not in (s.lower() for s in shown):
            shown.append(text)
    return shown


def _runs(text: str) -> Iterator[list[str]]:
    """Runs of content words, broken at punctuation, function words and bare numbers."""
    for chunk in _BREAK.split(text):
        run: list[str] = []
        for word in WORD.findall(chunk):
            if word.lower() in STOPWORDS or word.isdigit() or len(word) > 40:
                if run:
                    yield run
                run = []
            else:
                run.append(word)
        if run:
            yield run


@lru_cache(maxsize=64)
def _spans(length: int) -> tuple[tuple[int, int], ...]:
    """The (start, end) of every phrase of up to MAX_PHRASE_WORDS words in a run."""
    return tuple(
        (start, start + n)
        for n in range(1, min(MAX_PHRASE_WORDS, length) + 1)
        for start in range(length - n + 1)
    )


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two phrases share a word: showing both would repeat it."""
    return bool(set(a) & set(b))


def _contains(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    """Whether ``inner`` occurs in ``outer`` as a run of words."""
    n = len(inner)
    return any(outer[i : i + n] == inner for i in range(len(outer) - n + 1))


@lru_cache(maxsize=100_000)
def _suffix(word: str) -> str:
    lower = word.lower()
    if len(lower) <= 3 or not lower.isalpha():
        return "other"
    return next((s for s in _SUFFIXES if lower.endswith(s)), "other")


def _casing(abstract: str, words: set[str]) -> dict[str, str]:
    """How the abstract spells ``words`` inside sentences (so "Gaussian" stays capital)."""
    wanted = {w.lower() for w in words}
    seen: dict[str, Counter[str]] = {}
    for match in WORD.finditer(abstract):
        word = match.group()
        lower = word.lower()
        if lower not in wanted:
            continue
        before = abstract[max(0, match.start() - 3) : match.start()].rstrip()[-1:]
        if before and before not in ".!?":  # a sentence's first word is capitalised anyway
            seen.setdefault(lower, Counter())[word] += 1
    return {lower: forms.most_common(1)[0][0] for lower, forms in seen.items()}


def _lowercase_unless_name(word: str) -> str:
    """Title Case words become lowercase; acronyms and names like "PointGrow" stay."""
    parts = word.split("-")
    return "-".join(p.lower() if p[:1].isupper() and p[1:].islower() else p for p in parts)
