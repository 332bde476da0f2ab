"""A one-sentence TL;DR: the abstract's most summary-like sentence, lightly compressed.

Two small models trained on SciTLDR (scripts/train_summaries.py) do the work:

1. a word model gives each word of the abstract the probability that a summary of the
   paper uses it (title words, words the abstract repeats, words of the sentence that
   states the contribution score high; "recently", "however" and numbers low);
2. a candidate ranker scores every sentence and a few shortened forms of it (lead-in
   dropped, brackets dropped, cut before a trailing clause) from the expected word
   overlap with a summary, its length, its position and its cues ("we propose", "this
   paper"), and the best-scoring one is the TL;DR.

It extracts and only deletes, so a TL;DR never says what the abstract does not.
docs/decisions/0013-tldr-and-keywords.md has the measurements.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from paperfeed.summaries.linear import Features, LinearModel
from paperfeed.summaries.words import STOPWORDS, WORD, word_key

__all__ = [
    "MAX_SENTENCES",
    "WORD_FEATURES",
    "Candidate",
    "WordSalience",
    "candidate_features",
    "choose_tldr",
    "tldr_candidates",
    "word_features",
    "word_salience",
]

MAX_SENTENCES = 40  # a TL;DR comes from the first sentences of even a very long abstract
MAX_SENTENCE_CHARS = 600  # longer "sentences" are lists, tables or unsplittable text
MIN_WORDS = 6  # shorter cuts are fragments, not summaries

# "we propose", "this paper": the sentence that states the contribution.
CUE = re.compile(
    r"\b(?:we (?:propose|present|introduce|show|develop|describe|study|demonstrate|"
    r"investigate|design|provide|derive|prove|consider|formulate|explore|analy[sz]e|offer)|"
    r"(?:this|our|the present) (?:paper|work|study|article|note|letter)|in this work|"
    r"here,? we)\b",
    re.IGNORECASE,
)
# Openings a summary does without: "In this paper, ", "Specifically, ", "To this end, ".
LEAD_IN = re.compile(
    r"^(?:(?:in|within) (?:this|the present|our) (?:\w+ )?(?:paper|work|study|article|note|"
    r"letter|report)|here|specifically|more specifically|more concretely|concretely|"
    r"to (?:this|that) end|to (?:address|overcome|tackle|solve|alleviate|mitigate|remedy|fill)"
    r" (?:this|these|the|such|that|those)\b[^,]{0,60}|however|moreover|furthermore|"
    r"in addition|additionally|in particular|finally|therefore|thus|as a result|"
    r"consequently|in contrast|instead|(?:motivated|inspired) by [^,]{1,80}|"
    r"(?:based|building) on [^,]{1,80}|to do so|in summary|overall|first|second|third|"
    r"then|next|importantly|notably|crucially|empirically|experimentally|theoretically|"
    r"on the other hand|for example|for instance|in practice|in this (?:context|setting|"
    r"regard)|to (?:the best of )?our knowledge)\s*,\s*",
    re.IGNORECASE,
)
# Where a sentence can stop early and still read as one: before a trailing clause.
CLAUSE_BREAK = re.compile(
    r",\s+(?:which|where|while|whereby|thus|thereby|and|but|leading|resulting|achieving|"
    r"allowing|enabling|making|yielding|demonstrating|showing|outperforming|using|based|"
    r"as|with|without|including|such)\b|;\s|\s+(?:by|via|through|using|while|whereby|"
    r"in order to|so that|because|since)\s",
    re.IGNORECASE,
)
BRACKETED = re.compile(r"\s*\([^()]{0,200}\)")
_DIGIT = re.compile(r"\d")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible TL;DR: ``text`` cut from sentence ``index`` of the abstract."""

    text: str
    sentence: str
    index: int
    lead_cut: bool = False
    brackets_cut: bool = False
    tail_cut: bool = False


WordSalience = dict[str, float]


# The word model's dense features, in the order _word_values gives them.
WORD_FEATURES = (
    "title",
    "tf",
    "sf",
    "first",
    "first0",
    "cue",
    "caps",
    "stop",
    "digit",
    "short",
    "title_x_tf",
)


def _word_values(sentences: Sequence[str], title: str) -> Iterator[tuple[str, list[float]]]:
    """Each word key of the abstract with its WORD_FEATURES values."""
    title_keys = {word_key(w) for w in WORD.findall(title)}
    n = max(1, len(sentences))
    counts: Counter[str] = Counter()
    sentence_counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    in_cue: set[str] = set()
    capitalised: set[str] = set()
    for index, sentence in enumerate(sentences):
        words = WORD.findall(sentence)
        keys = [word_key(w) for w in words]
        counts.update(keys)
        sentence_counts.update(set(keys))
        for key in keys:
            first.setdefault(key, index)
        if CUE.search(sentence):
            in_cue.update(keys)
        capitalised.update(
            key for key, word in zip(keys[1:], words[1:], strict=True) if word != word.lower()
        )
    last = max(1, n - 1)
    for key, count in counts.items():
        in_title = float(key in title_keys)
        tf = math.log1p(count)
        yield (
            key,
            [
                in_title,
                tf,
                sentence_counts[key] / n,
                first[key] / last,
                float(first[key] == 0),
                float(key in in_cue),
                float(key in capitalised),
                float(key in STOPWORDS),
                float(_DIGIT.search(key) is not None),
                float(len(key) <= 2),
                in_title * tf,
            ],
        )


def word_features(sentences: Sequence[str], title: str) -> dict[str, Features]:
    """Features of every word key of the abstract, for training the word model."""
    return {
        key: {**dict(zip(WORD_FEATURES, values, strict=True)), f"v:{key}": 1.0}
        for key, values in _word_values(sentences, title)
    }


def word_salience(sentences: Sequence[str], title: str, model: LinearModel) -> WordSalience:
    """Each word key's probability of appearing in a summary of the paper.

    ``model.score(word_features(...)[key])``, without building a dict per word.
    """
    weights = [model.weights.get(name, 0.0) for name in WORD_FEATURES]
    prior = model.weights.get
    salience: WordSalience = {}
    for key, values in _word_values(sentences, title):
        total = model.bias + prior(f"v:{key}", 0.0)
        for weight, value in zip(weights, values, strict=True):
            total += weight * value
        salience[key] = model.link_value(total)
    return salience


def tldr_candidates(sentences: Sequence[str]) -> Iterator[Candidate]:
    """Each sentence and its shortened forms, without duplicates."""
    for index, raw in enumerate(sentences[:MAX_SENTENCES]):
        sentence = " ".join(raw.split())
        if not sentence or len(sentence) > MAX_SENTENCE_CHARS:
            continue
        seen: set[str] = set()
        for candidate in _shortened(sentence, index):
            if candidate.text not in seen and _word_count(candidate.text) >= 3:
                seen.add(candidate.text)
                yield candidate


def _shortened(sentence: str, index: int) -> Iterator[Candidate]:
    """The sentence, without its lead-in, without brackets, and cut before a clause."""
    bases = [Candidate(sentence, sentence, index)]
    lead = LEAD_IN.match(sentence)
    if lead and _word_count(sentence[lead.end() :]) >= MIN_WORDS:
        bases.append(Candidate(_capitalise(sentence[lead.end() :]), sentence, index, True))
    for base in list(bases):
        unbracketed = _tidy(BRACKETED.sub("", base.text))
        if unbracketed != base.text and _word_count(unbracketed) >= MIN_WORDS:
            bases.append(Candidate(unbracketed, sentence, index, base.lead_cut, True))
    yield from bases
    for base in bases:
        for match in CLAUSE_BREAK.finditer(base.text):
            head = base.text[: match.start()].rstrip(" ,;:")
            if _word_count(head) >= MIN_WORDS and _balanced(head):
                yield Candidate(
                    _tidy(head + "."), sentence, index, base.lead_cut, base.brackets_cut, True
                )


def candidate_features(
    candidate: Candidate,
    sentence_count: int,
    first_cue: int,
    title_keys: set[str],
    salience: WordSalience,
) -> Features:
    """What the ranker knows of a candidate (see the module docstring)."""
    keys = [word_key(w) for w in WORD.findall(candidate.text)]
    counts = Counter(keys)
    length = len(keys)
    overlap = sum(salience.get(k, 0.2) * (1.0 + 0.3 * (c - 1)) for k, c in counts.items())
    sentence_length = _word_count(candidate.sentence)
    index = candidate.index
    f: Features = {
        "ef1_10": 2 * overlap / (length + 10),
        "ef1_20": 2 * overlap / (length + 20),
        "ef1_30": 2 * overlap / (length + 30),
        "sum_p": overlap / 10,
        "mean_p": overlap / max(1, length),
        "len": length / 20,
        "len2": (length / 20) ** 2,
        "sentence_len": sentence_length / 20,
        "ratio": length / max(1, sentence_length),
        "pos": index / max(1, sentence_count - 1),
        "index": float(min(index, 6)),
        "sentences": float(min(sentence_count, 20)),
        "cue": float(_has_cue(candidate.sentence)),
        "first_cue": float(index == first_cue),
        "before_cue": float(0 <= index < first_cue),
        "title_cover": len(set(keys) & title_keys) / max(1, len(title_keys)),
        "starts_we": float(candidate.text[:3].lower() == "we "),
        "lead_cut": float(candidate.lead_cut),
        "brackets_cut": float(candidate.brackets_cut),
        "tail_cut": float(candidate.tail_cut),
        "ends_colon": float(candidate.text.endswith(":")),
        "question": float(candidate.text.endswith("?")),
        "digits": sum(k.isdigit() for k in keys) / max(1, length),
    }
    return f


def choose_tldr(
    title: str, sentences: Sequence[str], words: LinearModel, ranker: LinearModel
) -> str:
    """The best-scoring candidate, or "" when the abstract has no usable sentence."""
    salience = word_salience(sentences[:MAX_SENTENCES], title, words)
    title_keys = {word_key(w) for w in WORD.findall(title)} - STOPWORDS
    first_cue = next((i for i, s in enumerate(sentences) if CUE.search(s)), -1)
    best, best_score = "", -math.inf
    for candidate in tldr_candidates(sentences):
        features = candidate_features(candidate, len(sentences), first_cue, title_keys, salience)
        score = ranker.score(features)
        if score > best_score:
            best, best_score = candidate.text, score
    return best


@lru_cache(maxsize=4096)
def _word_count(text: str) -> int:
    """Words in ``text`` (cached: every candidate of a sentence asks for its length)."""
    return len(WORD.findall(text))


@lru_cache(maxsize=1024)
def _has_cue(sentence: str) -> bool:
    return CUE.search(sentence) is not None


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))
    return text.replace(",.", ".").replace(";.", ".").replace(":.", ".")


def _balanced(text: str) -> bool:
    return all(text.count(o) == text.count(c) for o, c in ("()", "[]", "{}"))
