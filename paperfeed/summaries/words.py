"""Words as the TL;DR and keyword models see them: found, folded and compared.

The models only need to tell that "networks" in an abstract is the "Network" of its title,
so a word's key is its lowercase form with English plural endings taken off; no stemmer
library is needed at run time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["STOPWORDS", "WORD", "word_key", "word_keys"]

# Letters and digits, with inner hyphens and apostrophes: "self-supervised", "Bayes'".
WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")

# Function words and the stock phrases of abstracts: never a keyword, never a word whose
# presence says what a paper is about.
_STOPWORD_TEXT = """
    a about above across after again against all almost along also although always am
    among an and another any are around as at be because been before being below between
    both but by can cannot could did do does doing done down due during each either else
    even ever every few for from further had has have having he her here hers him his how
    however i if in into is it its itself just least less like many may might more most
    much must my neither no nor not of off often on once one only onto or other others
    otherwise our ours out over own per rather same several she should since so some such
    than that the their theirs them then there therefore these they this those though
    through thus to too toward towards under until up upon us very via was we well were
    what whatever when where whereas whether which while who whom whose why will with
    within without would yet you your etc et al
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=200_000)
def word_key(word: str) -> str:
    """The form under which two spellings of a word count as the same word."""
    word = unicodedata.normalize("NFKC", word).lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


def word_keys(text: str) -> list[str]:
    """The keys of the words of ``text``, in order."""
    return [word_key(w) for w in WORD.findall(text)]
