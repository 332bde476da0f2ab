"""Conversions between ``Paper`` objects and the column values every engine stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import orjson

from paperfeed.papers.model import Author, HFInfo, Paper


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def to_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def authors_json(paper: Paper) -> str:
    return dumps([a.to_json() for a in paper.authors])


def paper_from_columns(row: dict[str, Any], hf: HFInfo | None) -> Paper:
    """Rebuild a ``Paper`` from the ``papers`` columns (and its Hugging Face row)."""
    return Paper(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(Author.from_json(a) for a in orjson.loads(row["authors_json"])),
        primary_category=row["primary_category"],
        categories=tuple(orjson.loads(row["categories_json"])),
        published=to_date(row["published"]),
        updated=to_date(row["updated"]),
        announced=to_date(row["announced"]),
        comments=row["comments"],
        journal_ref=row["journal_ref"],
        doi=row["doi"],
        license=row["license"],
        code_links=tuple(orjson.loads(row["code_links_json"])),
        hf=hf,
    )


def hf_from_columns(row: dict[str, Any]) -> HFInfo:
    return HFInfo(
        upvotes=row["upvotes"],
        featured_on=to_date(row["featured_on"]),
        submitter=row["submitter"],
        ai_summary=row["ai_summary"],
        ai_keywords=tuple(orjson.loads(row["ai_keywords_json"])),
        github_repo=row["github_repo"],
        github_stars=row["github_stars"],
        project_page=row["project_page"],
        organization=row["organization"],
        num_comments=row["num_comments"],
        thumbnail=row["thumbnail"],
    )


_MERGED_FIELDS = (
    "version",
    "primary_category",
    "published",
    "updated",
    "announced",
    "comments",
    "journal_ref",
    "doi",
    "license",
)


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """Combine what is stored with what arrived, by freshness.

    The fresher side (higher version, then later update date; the incoming one on a tie)
    supplies every field it has; the other side only fills fields left empty. Hugging
    Face data is merged the same way, with the incoming values preferred (upvotes change).
    """
    if incoming.rank() >= stored.rank():
        fresh, old = incoming, stored
    else:
        fresh, old = stored, incoming
    filled: dict[str, Any] = {
        name: getattr(old, name)
        for name in _MERGED_FIELDS
        if getattr(fresh, name) is None and getattr(old, name) is not None
    }
    if not fresh.title and old.title:
        filled["title"] = old.title
    if not fresh.abstract and old.abstract:
        filled["abstract"] = old.abstract
    for name in ("authors", "categories", "code_links"):
        if not getattr(fresh, name) and getattr(old, name):
            filled[name] = getattr(old, name)
    if (fresh.announced and old.announced) and old.announced < fresh.announced:
        filled["announced"] = old.announced  # a paper belongs to the day it was first listed
    filled["hf"] = merge_hf(stored.hf, incoming.hf)
    return replace(fresh, **filled)


def merge_hf(stored: HFInfo | None, incoming: HFInfo | None) -> HFInfo | None:
    if stored is None or incoming is None:
        return incoming or stored
    values = {
        name: getattr(incoming, name)
        if getattr(incoming, name) not in (None, ())
        else getattr(stored, name)
        for name in HFInfo.__slots__
    }
    return HFInfo(**values)
