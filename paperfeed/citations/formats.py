"""The citation formats paperfeed writes, and how each is served and saved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from paperfeed.citations.bibtex import write_bibtex
from paperfeed.citations.csl import csl_items
from paperfeed.citations.record import Citable, citables
from paperfeed.citations.reference import references_text
from paperfeed.citations.ris import write_ris
from paperfeed.errors import PaperfeedError
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.store.base import PaperStore, StoredPaper


class CitationError(PaperfeedError):
    """A citation was asked in an unknown format or for papers the store lacks."""


def _write_csl_json(items: Sequence[Citable]) -> str:
    return orjson.dumps(csl_items(items), option=orjson.OPT_INDENT_2).decode() + "\n"


@dataclass(frozen=True, slots=True)
class CitationFormat:
    name: str
    label: str
    media_type: str
    extension: str
    write: Callable[[Sequence[Citable]], str]


FORMATS: dict[str, CitationFormat] = {
    f.name: f
    for f in (
        CitationFormat(
            "bibtex", "BibTeX", "application/x-bibtex; charset=utf-8", "bib", write_bibtex
        ),
        CitationFormat(
            "ris", "RIS", "application/x-research-info-systems; charset=utf-8", "ris", write_ris
        ),
        CitationFormat(
            "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json",
            _write_csl_json,
        ),
        CitationFormat("text", "Plain text", "text/plain; charset=utf-8", "txt", references_text),
    )
}  # fmt: skip


def citation_format(name: str) -> CitationFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise CitationError(
            f"unknown citation format {name!r}; choose one of {', '.join(FORMATS)}"
        ) from None


def cite(papers: Sequence[StoredPaper], format_name: str) -> str:
    """``papers`` (each once, in the order given) written in one format."""
    return citation_format(format_name).write(citables(papers))


def papers_to_cite(store: PaperStore, ids: Sequence[str]) -> list[StoredPaper]:
    """The stored papers for ``ids`` (any arXiv id form), in order; every unknown or
    malformed id is named in one error."""
    canonical: list[str] = []
    malformed: list[str] = []
    for text in ids:
        try:
            canonical.append(parse_arxiv_id(text).id)
        except InvalidArxivId:
            malformed.append(repr(text[:60]))
    if malformed:
        raise CitationError(f"not an arXiv identifier: {', '.join(malformed)}")
    found = store.get_papers(canonical)
    missing = [i for i in dict.fromkeys(canonical) if i not in found]
    if missing:
        raise CitationError(f"no paper {', '.join(missing)} in the store")
    return [found[i] for i in canonical]
