"""The JSON shape of a stored paper, shared by ``--json`` output and the API.

Scripts and monitoring rely on it: add fields, never rename or remove them.
"""

from __future__ import annotations

from typing import Any

from paperfeed.papers.codelinks import repo_url
from paperfeed.store.base import StoredPaper, StoreStats


def paper_json(stored: StoredPaper) -> dict[str, Any]:
    paper = stored.paper
    data = paper.core_json()
    data.update(
        {
            "title_text": stored.title_text,
            "abstract_text": stored.abstract_text,
            "authors_text": stored.authors_text,
            "links": {
                "abs": paper.abs_url,
                "pdf": paper.pdf_url,
                "code": [repo_url(link) for link in paper.code_links],
            },
            "hf": paper.hf.to_json() if paper.hf else None,
            # paperfeed's own TL;DR and keywords ("" and [] until computed); Hugging
            # Face's stay under "hf" (ai_summary, ai_keywords).
            "tldr": stored.tldr or "",
            "keywords": list(stored.keywords),
            "sources": [
                {
                    "source": s.source,
                    "first_seen_at": s.first_seen_at.isoformat(),
                    "last_changed_at": s.last_changed_at.isoformat(),
                }
                for s in stored.sources
            ],
            "first_seen_at": stored.first_seen_at.isoformat(),
            "updated_at": stored.updated_at.isoformat(),
        }
    )
    return data


def stats_json(stats: StoreStats) -> dict[str, Any]:
    return {
        "papers": stats.papers,
        "by_source": dict(stats.by_source),
        "by_category": dict(stats.by_category),
        "with_hf": stats.with_hf,
        "latest_day": stats.latest_day.isoformat() if stats.latest_day else None,
        "schema_version": stats.schema_version,
        "checkpoints": {k: dict(v) for k, v in stats.checkpoints.items()},
    }
