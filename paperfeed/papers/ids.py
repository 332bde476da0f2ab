"""arXiv identifiers: parse anything a user or a feed writes into one canonical form.

The canonical id carries no version (``2503.14603``, ``hep-th/9108028``) so that every
version of a paper is one row; the version travels beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.errors import PaperfeedError

# Archives that used old-style ids (before April 2007); the subject class after a dot
# (``math.GT``) is not part of the identifier.
_OLD_ARCHIVES = (
    "acc-phys|adap-org|alg-geom|ao-sci|astro-ph|atom-ph|bayes-an|chao-dyn|chem-ph|cmp-lg|"
    "comp-gas|cond-mat|cs|dg-ga|funct-an|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math|math-ph|"
    "mtrl-th|nlin|nucl-ex|nucl-th|patt-sol|physics|plasm-ph|q-alg|q-bio|q-fin|quant-ph|"
    "solv-int|stat|supr-con"
)
_NEW = r"(?P<new>(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5}))"
_OLD = (
    rf"(?P<old>(?P<archive>{_OLD_ARCHIVES})(?:\.[A-Za-z]{{2}})?"
    r"/(?P<oyy>\d{2})(?P<omm>\d{2})(?P<onum>\d{3}))"
)
_VERSION = r"(?:v(?P<version>\d{1,3}))?"
_PREFIX = (
    r"(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|oai:arXiv\.org:|arxiv:)?"
)

_FULL = re.compile(rf"^\s*{_PREFIX}(?:{_NEW}|{_OLD}){_VERSION}(?:\.pdf)?/?\s*$", re.IGNORECASE)
_ANYWHERE = re.compile(
    rf"(?<![\w./-]){_PREFIX}(?:{_NEW}|{_OLD}){_VERSION}(?![\w-]|\.\d)", re.IGNORECASE
)


class InvalidArxivId(PaperfeedError, ValueError):
    """The text is not an arXiv identifier."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A canonical arXiv id and, when the text named one, a version."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def _from_match(match: re.Match[str]) -> ArxivId | None:
    version = int(match["version"]) if match["version"] else None
    if version == 0:
        return None
    if match["new"]:
        yy, mm, num = int(match["yy"]), int(match["mm"]), match["num"]
        # Four-digit numbers ran 0704-1412; five digits from 1501 on.
        if not 1 <= mm <= 12 or (len(num) == 5) != (yy * 100 + mm >= 1501) or yy * 100 + mm < 704:
            return None
        return ArxivId(match["new"], version)
    mm = int(match["omm"])
    if not 1 <= mm <= 12:
        return None
    archive = match["archive"].lower()
    return ArxivId(f"{archive}/{match['oyy']}{match['omm']}{match['onum']}", version)


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, ``arXiv:`` id, abs/pdf URL or OAI identifier; raise if it is none."""
    match = _FULL.match(text)
    parsed = _from_match(match) if match else None
    if parsed is None:
        raise InvalidArxivId(f"not an arXiv identifier: {text[:80]!r}")
    return parsed


def find_arxiv_id(text: str) -> ArxivId | None:
    """Return the first arXiv id written anywhere in ``text`` (for pinning search results)."""
    for match in _ANYWHERE.finditer(text):
        parsed = _from_match(match)
        if parsed is not None:
            return parsed
    return None


def is_arxiv_id(text: str) -> bool:
    """True when ``text`` is exactly one arXiv identifier (with or without version or URL)."""
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True
