"""CSL-JSON items: what Zotero, Pandoc and every CSL processor read.

A preprint is CSL's ``article`` type, published by arXiv, numbered by its identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paperfeed.citations.names import PersonName
from paperfeed.citations.record import Citable


def csl_name(name: PersonName) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    data = {"family": name.family, "given": name.given}
    if name.particle:
        data["non-dropping-particle"] = name.particle
    if name.suffix:
        data["suffix"] = name.suffix
    return {k: v for k, v in data.items() if v}


def csl_item(citable: Citable) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": citable.key,
        "type": "article",
        "title": citable.title_text,
        "author": [csl_name(a) for a in citable.authors],
        "publisher": "arXiv",
        "number": f"arXiv:{citable.arxiv_id}",
        "URL": citable.url,
    }
    if citable.issued:
        issued = citable.issued
        item["issued"] = {"date-parts": [[issued.year, issued.month, issued.day]]}
    elif citable.year:
        item["issued"] = {"date-parts": [[citable.year]]}
    if citable.doi:
        item["DOI"] = citable.doi
    if citable.journal_ref:
        item["note"] = citable.journal_ref
    if citable.abstract_text:
        item["abstract"] = citable.abstract_text
    return item


def csl_items(citables: Sequence[Citable]) -> list[dict[str, Any]]:
    return [csl_item(c) for c in citables]
