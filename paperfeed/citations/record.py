"""What a citation says about a paper, independent of the format it is written in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from paperfeed.citations.keys import base_key, unique_keys
from paperfeed.citations.names import PersonName, split_name
from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.store.base import StoredPaper


@dataclass(frozen=True, slots=True)
class Citable:
    """One paper, ready to be written as a reference.

    ``title_latex`` is the title as arXiv has it (LaTeX), ``title_text`` its plain-text
    rendering; ``issued`` is the first version's date (what arXiv cites), ``year`` falls
    back on the year the identifier encodes.
    """

    key: str
    arxiv_id: str
    title_latex: str
    title_text: str
    abstract_text: str
    authors: tuple[PersonName, ...]
    issued: date | None
    year: int | None
    primary_category: str | None
    doi: str | None
    journal_ref: str | None

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


def _year_of_id(arxiv_id: str) -> int | None:
    """arXiv ids encode their month of submission: ``2112.12345`` is from 2021."""
    digits = arxiv_id.rsplit("/", 1)[-1][:2]
    if not digits.isdigit():
        return None
    yy = int(digits)
    return 1900 + yy if yy >= 91 else 2000 + yy


def _citable(stored: StoredPaper, key: str) -> Citable:
    paper = stored.paper
    issued = paper.published or paper.announced
    return Citable(
        key=key,
        arxiv_id=paper.id,
        title_latex=paper.title,
        title_text=stored.title_text,
        abstract_text=stored.abstract_text,
        authors=tuple(split_name(a.name) for a in paper.authors),
        issued=issued,
        year=issued.year if issued else _year_of_id(paper.id),
        primary_category=paper.primary_category,
        doi=paper.doi,
        journal_ref=paper.journal_ref,
    )


def citables(papers: Sequence[StoredPaper]) -> list[Citable]:
    """The papers (each once, in the order given) with keys unique among them."""
    seen: dict[str, StoredPaper] = {}
    for stored in papers:
        seen.setdefault(parse_arxiv_id(stored.paper.id).id, stored)
    unique = list(seen.values())
    drafts = [_citable(s, "") for s in unique]
    bases = [base_key(_key_name(d.authors), d.year, d.title_text) for d in drafts]
    keys = unique_keys([(d.arxiv_id, b) for d, b in zip(drafts, bases, strict=True)])
    return [replace(d, key=k) for d, k in zip(drafts, keys, strict=True)]


def _key_name(authors: Sequence[PersonName]) -> str:
    """The first author's family name without particle ("van der Waals" -> "Waals")."""
    if not authors:
        return ""
    return authors[0].family or authors[0].literal
