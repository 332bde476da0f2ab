"""Citation keys: readable, stable, and unique within one export.

A key is the first author's family name, the year and the first significant word of the
title, folded to ASCII lower case (``zhang2021revisiting``), as Google Scholar and most
reference managers write them. Papers that share a key within one export get ``a``,
``b``, ... in order of arXiv id, so the same set of papers always gets the same keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import count, product
from string import ascii_lowercase

_STOPWORDS = """a an the on of in for to and or with without from by at as is are be via
towards toward into onto over under using about can do does how what when where which
why who we our your its it this that these those not no all any some"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i"}
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
UNKNOWN_AUTHOR = "anon"


def ascii_fold(text: str) -> str:
    """``Forré`` -> ``forre``; characters with no ASCII form (CJK, Hebrew) vanish."""
    decomposed = unicodedata.normalize("NFKD", str(text.translate(_FOLD)))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def first_significant_word(title: str) -> str:
    for word in _WORD.findall(ascii_fold(title)):
        if word not in STOPWORDS and not word.isdigit():
            return str(word)
    return ""


def base_key(family: str, year: int | None, title: str) -> str:
    """``zhang2021revisiting`` from ``Zhang``, 2021 and the plain-text title."""
    name = "".join(_WORD.findall(ascii_fold(family))) or UNKNOWN_AUTHOR
    return f"{name}{year or ''}{first_significant_word(title)}"


def _suffixes() -> Iterator[str]:
    for length in count(1):
        for letters in product(ascii_lowercase, repeat=length):
            yield "".join(letters)


def unique_keys(papers: Sequence[tuple[str, str]]) -> list[str]:
    """Keys for ``(arxiv_id, base_key)`` pairs, in the same order, none repeated."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, (_, key) in enumerate(papers):
        groups[key].append(index)
    keys = [key for _, key in papers]
    taken = {key for key, members in groups.items() if len(members) == 1}
    for key, members in groups.items():
        if len(members) == 1:
            continue
        suffixes = _suffixes()
        for index in sorted(members, key=lambda i: (papers[i][0], i)):
            candidate = key + next(suffixes)
            while candidate in taken:
                candidate = key + next(suffixes)
            keys[index] = candidate
            taken.add(candidate)
    return keys
