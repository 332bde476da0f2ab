"""What a paper record may carry, enforced where records come in.

Upstream text sometimes holds control characters (NUL, escape sequences, C1 codes from
mis-decoded bytes): invisible at best, refused by PostgreSQL (NUL) or echoed into pages
at worst. They are dropped; tabs and line breaks stay. An abstract is kept to
``MAX_ABSTRACT_CHARS`` characters: arXiv's own limit is 1,920, so anything near this
cap is a broken or hostile record, and one such record must not make an 870 KB page.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from paperfeed.papers.model import Author, Paper

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_ABSTRACT_CHARS = 10_000


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab and line breaks."""
    # Printable text (checked in C) has none; only the rest needs the regex.
    plain = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
    return not plain.isprintable() and CONTROL_CHARACTERS.search(plain) is not None


def drop_controls(text: str) -> str:
    """``text`` without control characters (tabs and line breaks kept)."""
    return CONTROL_CHARACTERS.sub("", text) if has_controls(text) else text


def cut_text(text: str, limit: int) -> str:
    """``text`` cut at a word boundary before ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[-200:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:. ") + "…"


@dataclasses.dataclass(frozen=True, slots=True)
class CleanedPaper:
    paper: Paper
    abstract_cut_from: int | None = None  # the abstract's length, when it was cut


# The text fields of a record: (single strings, perhaps None; tuples of strings).
_Fields = tuple[tuple[str, ...], tuple[str, ...]]
_PAPER: _Fields = (
    ("title", "abstract", "primary_category", "comments", "journal_ref", "doi", "license"),
    ("categories", "code_links"),
)
_HF: _Fields = (
    ("submitter", "ai_summary", "github_repo", "project_page", "organization", "thumbnail"),
    ("ai_keywords",),
)


def _texts_of(record: object, fields: _Fields) -> list[str]:
    singles, lists = fields
    texts = [text for text in (getattr(record, name) for name in singles) if text]
    for name in lists:
        texts += getattr(record, name)
    return texts


def _cleaned(record: object, fields: _Fields) -> dict[str, Any]:
    singles, lists = fields
    changes: dict[str, Any] = {}
    for name in singles:
        text = getattr(record, name)
        changes[name] = drop_controls(text) if text else text
    for name in lists:
        changes[name] = tuple(drop_controls(text) for text in getattr(record, name))
    return changes


def _texts(paper: Paper) -> list[str]:
    texts = _texts_of(paper, _PAPER)
    for author in paper.authors:
        texts += [author.name, *author.affiliations]
    return texts + (_texts_of(paper.hf, _HF) if paper.hf else [])


def clean_paper(paper: Paper) -> CleanedPaper:
    """The paper without control characters, its abstract capped (and by how much)."""
    if len(paper.abstract) <= MAX_ABSTRACT_CHARS and not has_controls(" ".join(_texts(paper))):
        return CleanedPaper(paper)  # nearly every paper: nothing to rebuild
    changes = _cleaned(paper, _PAPER)
    abstract = changes.pop("abstract")
    cut_from = len(abstract) if len(abstract) > MAX_ABSTRACT_CHARS else None
    cleaned = dataclasses.replace(
        paper,
        **changes,
        abstract=cut_text(abstract, MAX_ABSTRACT_CHARS),
        authors=tuple(
            Author(drop_controls(a.name), tuple(drop_controls(x) for x in a.affiliations))
            for a in paper.authors
        ),
        hf=dataclasses.replace(paper.hf, **_cleaned(paper.hf, _HF)) if paper.hf else None,
    )
    return CleanedPaper(cleaned, cut_from)
