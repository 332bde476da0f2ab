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

from paperfeed.papers.model import Author, HFInfo, Paper

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


def _optional(text: str | None) -> str | None:
    return drop_controls(text) if text else text


def _strings(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(drop_controls(v) for v in values)


def _clean_hf(hf: HFInfo) -> HFInfo:
    return dataclasses.replace(
        hf,
        submitter=_optional(hf.submitter),
        ai_summary=_optional(hf.ai_summary),
        ai_keywords=_strings(hf.ai_keywords),
        github_repo=_optional(hf.github_repo),
        project_page=_optional(hf.project_page),
        organization=_optional(hf.organization),
        thumbnail=_optional(hf.thumbnail),
    )


def _texts(paper: Paper) -> list[str]:
    texts = [paper.title, paper.abstract, *paper.categories, *paper.code_links]
    texts += [t for t in (paper.comments, paper.journal_ref, paper.doi, paper.license) if t]
    for author in paper.authors:
        texts.append(author.name)
        texts += author.affiliations
    if paper.hf:
        texts += [t for t in (paper.hf.submitter, paper.hf.ai_summary) if t]
        texts += [t for t in (paper.hf.organization, paper.hf.github_repo) if t]
        texts += [t for t in (paper.hf.project_page, paper.hf.thumbnail) if t]
        texts += paper.hf.ai_keywords
    return texts


def clean_paper(paper: Paper) -> CleanedPaper:
    """The paper without control characters, its abstract capped (and by how much)."""
    if len(paper.abstract) <= MAX_ABSTRACT_CHARS and not has_controls(" ".join(_texts(paper))):
        return CleanedPaper(paper)  # nearly every paper: nothing to rebuild
    abstract = drop_controls(paper.abstract)
    cut_from = len(abstract) if len(abstract) > MAX_ABSTRACT_CHARS else None
    cleaned = dataclasses.replace(
        paper,
        title=drop_controls(paper.title),
        abstract=cut_text(abstract, MAX_ABSTRACT_CHARS),
        authors=tuple(
            Author(drop_controls(a.name), _strings(a.affiliations)) for a in paper.authors
        ),
        categories=_strings(paper.categories),
        primary_category=_optional(paper.primary_category),
        comments=_optional(paper.comments),
        journal_ref=_optional(paper.journal_ref),
        doi=_optional(paper.doi),
        license=_optional(paper.license),
        code_links=_strings(paper.code_links),
        hf=_clean_hf(paper.hf) if paper.hf else None,
    )
    return CleanedPaper(cleaned, cut_from)
