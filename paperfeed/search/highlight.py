"""Mark the query's words in a title and pick the abstract window that shows them best.

The keyword index stems with Porter; here a light suffix stripper approximates it, so
``invariant`` and ``invariance`` both light up for either word. Output is a list of text
runs, ``True`` for a match: callers escape each run and wrap matches (``<mark>``).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache

Highlighted = list[tuple[str, bool]]

_SUFFIXES = (
    "ational", "ations", "ation", "ances", "ance", "ences", "ence", "ities", "ity",
    "ments", "ment", "ness", "ings", "ing", "ants", "ant", "ents", "ent", "ies", "ied",
    "ers", "er", "ed", "es", "ly", "al", "s", "e", "y",
)  # fmt: skip


@lru_cache(maxsize=65_536)
def light_stem(word: str) -> str:
    """Lower-case, strip accents and common English suffixes (stem of at least 3 letters)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) - len(suffix) >= 3:
            return base[: -len(suffix)]
    return base


class Matcher:
    """Finds the words of a paper that match one of the query's words."""

    def __init__(self, words: Iterable[str], prefixes: Iterable[str] = ()) -> None:
        self._stems = {light_stem(w) for w in words if w}
        self._prefixes = tuple(p.lower() for p in prefixes if p)
        # A stem with no letters left (a lone combining mark) begins no word.
        starts = sorted({s for s in self._stems | set(self._prefixes) if s}, key=len, reverse=True)
        # A regex finds candidate words in C; each candidate is then confirmed by stem.
        # The look-ahead on the first letters lets most positions fail in one test.
        firsts = "".join(
            sorted({re.escape(ch) for s in starts for ch in {s[0].lower(), s[0].upper()}})
        )
        self._pattern = (
            re.compile(
                rf"(?<!\w)(?=[{firsts}])(?:" + "|".join(map(re.escape, starts)) + r")\w*",
                re.IGNORECASE,
            )
            if starts
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def matches(self, word: str) -> bool:
        return light_stem(word) in self._stems or word.lower().startswith(self._prefixes or ("\0",))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Start and end of every matching word in ``text``."""
        if self._pattern is None:
            return []
        return [m.span() for m in self._pattern.finditer(text) if self.matches(m[0])]


def highlight(text: str, matcher: Matcher) -> Highlighted:
    """``text`` as runs, matched words marked; adjacent runs of one kind are merged."""
    return _runs(text, matcher.spans(text), 0, len(text))


def _runs(text: str, spans: list[tuple[int, int]], begin: int, end: int) -> Highlighted:
    """``text[begin:end]`` as runs, marking the ``spans`` that lie inside it."""
    runs: Highlighted = []
    position = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        _append(runs, text[position:start], False)
        _append(runs, text[start:stop], True)
        position = stop
    _append(runs, text[position:end], False)
    return runs


def snippet(text: str, matcher: Matcher, *, chars: int = 280) -> Highlighted:
    """The window of about ``chars`` characters with the most matches, cut at spaces,
    with ellipses where text was left out."""
    spans = matcher.spans(text)
    if len(text) <= chars:
        return _runs(text, spans, 0, len(text))
    hit_starts = [a for a, _ in spans]
    best_start, best = 0, 0
    for i, first in enumerate(hit_starts):  # windows that begin at a matched word
        count = bisect_left(hit_starts, first + chars, lo=i) - i
        if count > best:
            best_start, best = first, count
    begin = max(0, min(best_start - 30, len(text) - chars))  # a little context before
    if begin > 0:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < best_start else begin
    end = min(len(text), begin + chars)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin else end
    runs = _runs(text, spans, begin, end)
    if begin > 0:
        runs.insert(0, ("… ", False))
    if end < len(text):
        runs.append((" …", False))
    return _merged(runs)


def _append(runs: Highlighted, text: str, marked: bool) -> None:
    if not text:
        return
    if runs and runs[-1][1] == marked:
        runs[-1] = (runs[-1][0] + text, marked)
    else:
        runs.append((text, marked))


def _merged(runs: Highlighted) -> Highlighted:
    out: Highlighted = []
    for text, marked in runs:
        _append(out, text, marked)
    return out
