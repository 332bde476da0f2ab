"""Author names split into the parts citation formats ask for (family, given, ...).

arXiv writes each author as one string, usually "Given Family", sometimes with LaTeX
accents, a particle ("van der"), a suffix ("Jr.") or a collaboration's name. BibTeX's own
rules (as implemented by bibtexparser) split the plain-text rendering; a collaboration
stays one literal name, since "The ATLAS Collaboration" has no family name to sort by.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

from paperfeed.papers.latex import latex_to_text

_GROUP_WORDS = re.compile(
    r"\b(collaboration|consortium|team|group|project|collective|committee|initiative|"
    r"organi[sz]ation|contributors|et al\.?)\b",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"^(?P<rest>.+?),?\s+(?P<suffix>Jr\.?|Sr\.?|II|III|IV)$")


@dataclass(frozen=True, slots=True)
class PersonName:
    """One author as plain Unicode text; ``literal`` alone when the name is not split."""

    family: str = ""
    given: str = ""
    particle: str = ""  # "van der", kept beside the family name
    suffix: str = ""  # "Jr."
    literal: str = ""

    @property
    def sort_family(self) -> str:
        """The family name as it leads a reference: particle included ("van der Waals")."""
        if self.literal:
            return self.literal
        return f"{self.particle} {self.family}".strip()


def _clean(name: str) -> str:
    text = unicodedata.normalize("NFC", latex_to_text(name))
    return " ".join(text.replace("{", " ").replace("}", " ").split())


def split_name(name: str) -> PersonName:
    """The parts of one author name as arXiv writes it (LaTeX accents allowed)."""
    text = _clean(name)
    if not text:
        return PersonName(literal="Anonymous")
    if _GROUP_WORDS.search(text):
        return PersonName(literal=text)
    suffix = ""
    if "," not in text and (match := _SUFFIX.match(text)):
        text, suffix = match["rest"], match["suffix"]
    try:
        parts = parse_single_name_into_parts(text, strict=False)
    except (InvalidNameError, ValueError, IndexError):
        return PersonName(literal=text)
    family = " ".join(parts.last)
    if not family:
        return PersonName(literal=text)
    return PersonName(
        family=family,
        given=" ".join(parts.first),
        particle=" ".join(parts.von),
        suffix=suffix or " ".join(parts.jr),
    )
