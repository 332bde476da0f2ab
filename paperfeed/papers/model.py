"""The normalised ``Paper`` every source produces and every later stage reads.

Fields hold metadata as the source wrote it (LaTeX kept); the plain-text rendering is
derived (``paperfeed.papers.text``) so it can change without re-ingesting anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Author:
    """One author, in paper order, with affiliations when the source gives them."""

    name: str
    affiliations: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.affiliations:
            data["affiliations"] = list(self.affiliations)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Author:
        return cls(str(data["name"]), tuple(data.get("affiliations") or ()))


@dataclass(frozen=True, slots=True)
class HFInfo:
    """What Hugging Face's daily papers add to a paper; ``None`` means "not known"."""

    upvotes: int | None = None
    featured_on: date | None = None
    submitter: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    num_comments: int | None = None
    thumbnail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "upvotes": self.upvotes,
            "featured_on": self.featured_on.isoformat() if self.featured_on else None,
            "submitter": self.submitter,
            "ai_summary": self.ai_summary,
            "ai_keywords": list(self.ai_keywords),
            "github_repo": self.github_repo,
            "github_stars": self.github_stars,
            "project_page": self.project_page,
            "organization": self.organization,
            "num_comments": self.num_comments,
            "thumbnail": self.thumbnail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HFInfo:
        featured = data.get("featured_on")
        return cls(
            upvotes=data.get("upvotes"),
            featured_on=date.fromisoformat(featured) if featured else None,
            submitter=data.get("submitter"),
            ai_summary=data.get("ai_summary"),
            ai_keywords=tuple(data.get("ai_keywords") or ()),
            github_repo=data.get("github_repo"),
            github_stars=data.get("github_stars"),
            project_page=data.get("project_page"),
            organization=data.get("organization"),
            num_comments=data.get("num_comments"),
            thumbnail=data.get("thumbnail"),
        )


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper at its latest known version.

    ``id`` is canonical and unversioned; ``version`` is ``None`` when the source does not
    say (bulk dumps, Hugging Face), which ranks below any known version on upsert.
    ``announced`` is the day the paper was listed (RSS announcement, else its v1 date):
    the day it belongs to when papers are browsed by date.
    """

    id: str
    title: str
    abstract: str
    authors: tuple[Author, ...] = ()
    version: int | None = None
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    published: date | None = None
    updated: date | None = None
    announced: date | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    code_links: tuple[str, ...] = ()
    hf: HFInfo | None = field(default=None, compare=True)

    @property
    def versioned_id(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    def core_json(self) -> dict[str, Any]:
        """The arXiv metadata (without Hugging Face fields), as stored and hashed."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "abstract": self.abstract,
            "authors": [a.to_json() for a in self.authors],
            "primary_category": self.primary_category,
            "categories": list(self.categories),
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "announced": self.announced.isoformat() if self.announced else None,
            "comments": self.comments,
            "journal_ref": self.journal_ref,
            "doi": self.doi,
            "license": self.license,
            "code_links": list(self.code_links),
        }

    def content_hash(self) -> str:
        """A digest of everything the paper says: equal hashes mean an upsert has nothing to do."""
        data = self.core_json()
        data["hf"] = self.hf.to_json() if self.hf else None
        raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        return hashlib.blake2b(raw, digest_size=16).hexdigest()

    def rank(self) -> tuple[int, date]:
        """Order of freshness: a higher rank may overwrite a lower one, never the reverse."""
        return (self.version or 0, self.updated or self.published or date.min)
