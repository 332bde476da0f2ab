"""Papers in the JSON shapes of huggingface.co's papers API.

Field names and nesting follow ``/api/daily_papers`` and ``/api/papers/{id}`` exactly, so
clients written for Hugging Face (``huggingface_hub.HfApi`` among them) read paperfeed
unchanged. Values Hugging Face has and paperfeed does not (avatars, discussion ids) are
left out rather than invented; counts default to 0 as Hugging Face's do.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from paperfeed.papers.latex import latex_to_text
from paperfeed.store.base import StoredPaper
from paperfeed.web.views import code_urls


def hf_datetime(value: date | datetime | None) -> str | None:
    """Hugging Face's timestamp format: ``2026-05-29T00:00:00.000Z`` (UTC, milliseconds)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _featured_day(stored: StoredPaper) -> date | None:
    paper = stored.paper
    if paper.hf and paper.hf.featured_on:
        return paper.hf.featured_on
    return paper.announced or paper.published


def _submitter(name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    return {"name": name, "fullname": name, "user": name, "type": "user"}


def _organization(name: str | None) -> dict[str, Any] | None:
    return {"name": name, "fullname": name} if name else None


def hf_paper(stored: StoredPaper) -> dict[str, Any]:
    """The ``paper`` object: what ``/api/papers/{id}`` returns and daily items nest."""
    paper = stored.paper
    hf = paper.hf
    code = code_urls(stored)
    data: dict[str, Any] = {
        "id": paper.id,
        "authors": [{"name": a, "hidden": False} for a in _author_names(stored)],
        "publishedAt": hf_datetime(paper.published or paper.announced),
        "submittedOnDailyAt": hf_datetime(_featured_day(stored)),
        "title": stored.title_text,
        "summary": stored.abstract_text,
        "upvotes": (hf.upvotes or 0) if hf else 0,
        "ai_summary": hf.ai_summary if hf else None,
        "ai_keywords": list(hf.ai_keywords) if hf else [],
        "githubRepo": code[0] if code else None,
        "githubStars": hf.github_stars if hf else None,
        "projectPage": hf.project_page if hf else None,
        "organization": _organization(hf.organization if hf else None),
        "submittedOnDailyBy": _submitter(hf.submitter if hf else None),
    }
    return {k: v for k, v in data.items() if v is not None}


def _author_names(stored: StoredPaper) -> list[str]:
    return [latex_to_text(a.name) for a in stored.paper.authors]


def hf_daily_item(stored: StoredPaper) -> dict[str, Any]:
    """One item of ``/api/daily_papers`` (and of ``/api/papers/search``)."""
    paper = stored.paper
    hf = paper.hf
    data: dict[str, Any] = {
        "paper": hf_paper(stored),
        "publishedAt": hf_datetime(_featured_day(stored)),
        "title": stored.title_text,
        "summary": stored.abstract_text,
        "thumbnail": hf.thumbnail if hf else None,
        "numComments": (hf.num_comments or 0) if hf else 0,
        "submittedBy": _submitter(hf.submitter if hf else None),
        "organization": _organization(hf.organization if hf else None),
        "isAuthorParticipating": False,
    }
    return {k: v for k, v in data.items() if v is not None}
