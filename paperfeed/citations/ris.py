"""RIS records (EndNote, Zotero, Mendeley), written by rispy.

An arXiv paper is an electronic article (``EJOUR``) published by arXiv, with the arXiv
identifier as its accession number; titles and names are plain Unicode text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rispy

from paperfeed.citations.names import PersonName
from paperfeed.citations.record import Citable


class _RisWriter(rispy.RisWriter):  # type: ignore[misc]
    """rispy's writer without the record numbers ("1.") some databases put first."""

    def set_header(self, count: int) -> str:
        return ""


def _one_line(value: str) -> str:
    """RIS is line-based: a value never spans lines."""
    return " ".join(value.split())


def ris_name(name: PersonName) -> str:
    """``Family, Given, Suffix``: RIS's own order."""
    if name.literal:
        return name.literal
    return ", ".join(filter(None, [name.sort_family, name.given, name.suffix]))


def _record(citable: Citable) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type_of_reference": "EJOUR",
        "id": citable.key,
        "title": citable.title_text,
        "authors": [ris_name(a) for a in citable.authors],
        "publisher": "arXiv",
        "type_of_work": "Preprint",
        "accession_number": f"arXiv:{citable.arxiv_id}",
        "urls": [citable.url],
    }
    if citable.year:
        record["year"] = str(citable.year)
    if citable.issued:
        record["date"] = citable.issued.strftime("%Y/%m/%d")
    if citable.doi:
        record["doi"] = citable.doi
    if citable.journal_ref:
        record["notes"] = [citable.journal_ref]
    if citable.abstract_text:
        record["abstract"] = citable.abstract_text
    tidy = {
        k: [_one_line(x) for x in v] if isinstance(v, list) else _one_line(v)
        for k, v in record.items()
    }
    return {k: v for k, v in tidy.items() if v not in ("", [])}


def write_ris(citables: Sequence[Citable]) -> str:
    """An ``.ris`` file of ``citables``."""
    return str(rispy.dumps([_record(c) for c in citables], implementation=_RisWriter))
