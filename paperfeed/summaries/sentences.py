"""Split an abstract into sentences, robustly enough for scientific prose.

sentencex (Wikimedia's rule-based segmenter, in Rust) finds the candidate boundaries fast;
abstracts then need repairs it does not know about: it splits after reference
abbreviations ("Eq. (2)", "Thm. 3", "Proc. Natl. Acad. Sci."), inside math that kept its
``$`` delimiters or inside brackets, and it misses a full stop with no space after it
("on CIFAR-10.We show"). The repairs below only ever merge neighbouring pieces or cut at a
full stop, so no text is lost or reordered.
"""

from __future__ import annotations

import re

from sentencex import get_sentence_boundaries

__all__ = ["split_sentences"]

# Abbreviations that point at a numbered thing ("Eq. (2)", "Thm. 3", "App. A"): no
# sentence ends after them when a number, a bracket or a short label follows.
_REFERENCE_WORDS = (
    "fig figs eq eqs eqn eqns sec secs sect ch chap thm thms lem prop def cor app appx "
    "tab alg ref refs no nos vol vols pp"
)
_REFERENCE_ABBREVIATIONS = frozenset(_REFERENCE_WORDS.split())
# Abbreviations that never end a sentence in an abstract (compared lowercased, without
# the final dot). sentencex knows some of them, not all, and not in every context.
_ABBREVIATION_WORDS = (
    "e.g i.e cf vs viz approx ca incl wrt w.r.t a.k.a dr prof mr mrs ms proc natl acad "
    "sci phys rev lett conf univ dept inst"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
# A piece that continues the previous one: it starts with punctuation that cannot open a
# sentence.
_CONTINUATION = re.compile(r"^[,;:)\]}%]")
# A plain lowercase word ("al.", "showed"), unlike the names that may open a sentence in
# lowercase ("k-means", "iRNN", "fMRI").
_LOWERCASE_WORD = re.compile(r"^[a-z]+\b(?![-\w])")
# What follows a reference abbreviation: "(2)", "3", "[12]", "A", "IV", "3b".
_LABEL = re.compile(r"^(?:[(\[]|\d|[A-Z]{1,4}\b|[IVX]+\b)")
# "CIFAR-10.We": a full stop between a word and a capitalised word, with no space.
_GLUED = re.compile(r"[a-z0-9)\]]\.[A-Z][a-z]")
_MAX_MERGED_CHARS = 2_000  # a bracket left open must not swallow the rest of the text


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each stripped and with whitespace collapsed.

    Never raises; empty or blank text gives ``[]``.
    """
    text = " ".join(text.split())
    if not text:
        return []
    try:
        boundaries = [b["text"] for b in get_sentence_boundaries("en", text)]
    except Exception:  # a segmenter failure must not lose the abstract
        boundaries = [text]
    pieces = [p for piece in _rejoin_words(boundaries) for p in _split_glued(piece) if p]
    return _merge_false_splits(pieces)


def _rejoin_words(pieces: list[str]) -> list[str]:
    """Undo cuts inside a word ("github.com/org/Repo." + "Name"): a sentence boundary has
    a space after it; _split_glued then cuts the few real ones that lack it."""
    out: list[str] = []
    glued = False
    for piece in pieces:
        if glued and out:
            out[-1] += piece
        else:
            out.append(piece)
        glued = piece.endswith(".")  # not "。": Chinese and Japanese put no space after it
    return [p.strip() for p in out]


def _split_glued(piece: str) -> list[str]:
    """Cut "...CIFAR-10.We show..." at the full stop, unless it belongs to a URL."""
    out: list[str] = []
    start = 0
    for match in _GLUED.finditer(piece):
        stop = match.start() + 2  # just after the full stop
        word_start = piece.rfind(" ", 0, stop) + 1
        word_end = piece.find(" ", stop)
        word = piece[word_start : word_end if word_end >= 0 else len(piece)]
        if "/" in word or "@" in word or "www." in word:
            continue  # a URL, an e-mail address or a path
        out.append(piece[start:stop].strip())
        start = stop
    out.append(piece[start:].strip())
    return out


def _merge_false_splits(pieces: list[str]) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1]) < _MAX_MERGED_CHARS and _continues(merged[-1], piece):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _continues(previous: str, piece: str) -> bool:
    """Whether ``piece`` is the rest of the sentence ``previous`` was cut from."""
    if _CONTINUATION.match(piece):
        return True
    if _open_brackets(previous) > 0 and _open_brackets(piece) < 0:
        return True  # "(see App." + "A) are robust."
    if previous.count("$") % 2 == 1 and "$" in piece:
        return True  # a full stop inside inline math
    last = previous.rsplit(None, 1)[-1]
    if not last.endswith("."):
        return False
    word = last[:-1].lstrip("([").lower()
    if word in _ABBREVIATIONS:
        return True
    if _LOWERCASE_WORD.match(piece) and (len(word) <= 4 or "." in word):
        return True  # "Sagun et. al. (2016)", "resp. the", "changes: 1. designing"
    return word in _REFERENCE_ABBREVIATIONS and bool(_LABEL.match(piece))


def _open_brackets(text: str) -> int:
    """How many more brackets ``text`` opens than it closes."""
    return sum(text.count(o) - text.count(c) for o, c in ("()", "[]", "{}"))
