"""A plain-text reference in APA style (7th edition, a preprint):

``Zhang, Z., & Wang, X. (2021). Title (arXiv:2112.12345). arXiv. https://doi.org/...``

Written here rather than by a CSL processor: citeproc-py takes about 0.1 s of CPU per
reference with the APA style (it walks the style's XML for every entry), which a paper
page, ``paperfeed cite --format text`` over a reading list and an assistant's ``cite``
call cannot afford. The tests check these references against citeproc-py's rendering
of the CSL-JSON item with the Citation Style Language's own APA style
(docs/decisions/0009-citations.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from paperfeed.citations.names import PersonName
from paperfeed.citations.record import Citable

MAX_AUTHORS = 20  # APA lists up to 20 authors; beyond, the first 19, "…", the last
_INITIAL = re.compile(r"\w", re.UNICODE)


def initials(given: str) -> str:
    """``Jean-Pierre Marie`` -> ``J.-P. M.``"""
    words = []
    for word in given.replace(".", ". ").split():
        parts = [p for p in word.split("-") if p]
        letters = [m.group() for p in parts if (m := _INITIAL.search(p))]
        if letters:
            words.append("-".join(f"{letter.upper()}." for letter in letters))
    return " ".join(words)


def apa_name(name: PersonName) -> str:
    if name.literal:
        return name.literal
    parts = [name.sort_family]
    if name.given and (given := initials(name.given)):
        parts.append(given)
    if name.suffix:
        parts.append(name.suffix)
    return ", ".join(parts)


def apa_authors(names: Sequence[PersonName]) -> str:
    listed = [apa_name(n) for n in names]
    if len(listed) > MAX_AUTHORS:
        return ", ".join(listed[: MAX_AUTHORS - 1]) + ", … " + listed[-1]
    if len(listed) <= 1:
        return "".join(listed)
    return ", ".join(listed[:-1]) + ", & " + listed[-1]


def _sentence(text: str) -> str:
    """``text`` ending in one full stop (none added after ``?``, ``!`` or ``.``)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def reference_text(citable: Citable) -> str:
    """One paper's APA-style reference, on one line."""
    year = str(citable.year) if citable.year else "n.d."
    link = f"https://doi.org/{citable.doi}" if citable.doi else citable.url
    title = f"{citable.title_text} (arXiv:{citable.arxiv_id})"
    parts = [f"({year}).", _sentence(title), "arXiv.", link]
    if citable.authors:
        parts.insert(0, _sentence(apa_authors(citable.authors)))
    else:
        parts = [_sentence(title), f"({year}).", "arXiv.", link]
    return " ".join(parts)


def references_text(citables: Sequence[Citable]) -> str:
    """One reference per line, in the order given."""
    return "".join(reference_text(c) + "\n" for c in citables)
